"""The `close` command line: one module per command group."""
