"""The accounting engine: pure functions on frames and frozen records.

No SQL, HTTP, Celery or storage here (import-linter contracts in pyproject.toml).
"""
