"""The `close` command line: one module per command group.

``main`` is re-exported so the console script ``close = "close.cli:main"`` names the package.
"""

from close.cli.commands import main

__all__ = ["main"]
