"""Analysis of a consolidated month: variances, KPIs, budget, root cause, commentary."""
