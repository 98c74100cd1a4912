"""Data files shipped with the package: the default chart of accounts (``default_chart.csv``)."""
