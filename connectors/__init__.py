"""Pluggable ERP connectors and the HTTP machinery they share.

A connector turns what one source (a trial-balance file, TOTVS, Conta Azul, Omie, Bling) exposes
into local trial-balance frames (``close.engine.frames.LOCAL_TB_COLUMNS``). Connectors are found by name
through the ``monthclose.connectors`` entry-point group (``connectors.registry``).
"""
