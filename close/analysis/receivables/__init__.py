"""Receivables: aging, DSO, the IFRS 9 expected-credit-loss provision, collection drafts (issue 21).

Pure functions, frames in and frames out; storage is in ``close/storage/receivables.py``.
"""
