"""``python -m close.cli``: the ``close`` command without the console script."""

from close.cli.main import main

main()
