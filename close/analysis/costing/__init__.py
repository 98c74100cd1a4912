"""Cost accounting (issue 21): standard-cost variances and cost-volume-profit analysis.

Pure functions over small records; exact arithmetic (``fractions.Fraction``) until each figure is
rounded once, half-even, to the cent.
"""
