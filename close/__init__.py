"""monthclose: a scheduled monthly-close pipeline for multi-entity groups."""

__version__ = "0.1.0"
