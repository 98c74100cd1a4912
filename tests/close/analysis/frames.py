"""Inline frames for the analysis tests: pipe-separated text blocks, amounts in major units."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from close.analysis.variances import AnalysisInputs, DriverFigures, Variance, compute_variances
from close.engine.money import D, to_minor

CHART_FILE = Path(__file__).resolve().parents[3] / "close" / "data" / "default_chart.csv"


def chart() -> pd.DataFrame:
    """Return the default standard chart shipped with the package."""
    return pd.read_csv(CHART_FILE, dtype=str, keep_default_na=False)


def figures(text: str, columns: tuple[str, ...] = ("std_account", "amount")) -> pd.DataFrame:
    """Parse ``account | amount`` lines (or ``columns``) into a frame of int64 minor units (USD).

    A blank dimension cell becomes ``""``; ``amount`` is always the last column.
    """
    rows = []
    for line in filter(str.strip, text.splitlines()):
        cells = [c.strip() for c in line.split("|")]
        *keys, amount = cells
        rows.append((*keys, to_minor(D(amount.replace(",", "")), "USD")))
    frame = pd.DataFrame(rows, columns=list(columns))
    return frame.astype({"amount": "int64"})


def entity_figures(text: str) -> pd.DataFrame:
    """Parse ``entity | account | cost center | department | amount`` lines."""
    return figures(text, ("entity", "std_account", "cost_center", "department", "amount"))


# --- a small month for the commentary tests ----------------------------------------------

# Revenue grows 40,000-60,000 a month (this month's +50,000 is typical); rent moved within
# ±1,000 until this month's +10,000 (unusual, so its comment cannot be green).
HISTORY = {
    p: figures(f"4000 | {-v}\n6100 | {r}\n6200 | 20000")
    for p, v, r in [
        ("2024-03", 460_000, 100_000), ("2024-04", 500_000, 100_500),
        ("2024-05", 550_000, 100_000), ("2024-06", 610_000, 101_000),
        ("2024-07", 650_000, 100_000), ("2024-08", 700_000, 100_500),
        ("2024-09", 760_000, 100_000), ("2024-10", 800_000, 101_000),
        ("2024-11", 850_000, 100_000), ("2024-12", 910_000, 100_500),
        ("2025-01", 950_000, 100_000)]
}
CURRENT = figures("4000 | -1,050,000.00\n6100 | 110,000.00\n6200 | 20,500.00")
PRIOR = figures("4000 | -1,000,000.00\n6100 | 100,000.00\n6200 | 20,000.00")
DRIVERS = DriverFigures(
    current=entity_figures("""
BR01 | 4000 | CC-WEB | DIG | -650,000.00
US01 | 4000 | CC-WEB | DIG | -400,000.00
BR01 | 6100 |        |     |  110,000.00
US01 | 6200 | CC-MKT | MKT |   20,500.00
"""),
    comparison=entity_figures("""
BR01 | 4000 | CC-WEB | DIG | -600,000.00
US01 | 4000 | CC-WEB | DIG | -400,000.00
BR01 | 6100 |        |     |  100,000.00
US01 | 6200 | CC-MKT | MKT |   20,000.00
"""),
    current_at_comparison_rates=entity_figures("""
BR01 | 4000 | CC-WEB | DIG | -620,000.00
US01 | 4000 | CC-WEB | DIG | -400,000.00
BR01 | 6100 |        |     |  104,000.00
US01 | 6200 | CC-MKT | MKT |   20,500.00
"""),
)
def variances(current: Any = CURRENT) -> tuple[Variance, ...]:  # noqa: ANN401
    """Consolidated MoM variances: revenue (+50,000) and rent (+10,000) material, S&M not."""
    found = compute_variances(AnalysisInputs(
        chart=chart(), period="2025-03", currency="USD", current=current, prior_month=PRIOR,
        history=HISTORY, drivers={"mom": DRIVERS}))
    return tuple(v for v in found if v.entity is None)


def grounded_reply(body: dict[str, Any]) -> str:
    """Answer like a model that uses the prompt's figures, with some markdown to strip."""
    prompt = body["messages"][0]["content"]
    name = re.search(r"^Account: \d+ (.+?) \(", prompt, re.M).group(1)  # type: ignore[union-attr]
    delta = re.search(r"^Variance: \+?(\S+) USD", prompt, re.M).group(1)  # type: ignore[union-attr]
    driver = re.search(r"^Drivers by entity: (\S+)", prompt, re.M).group(1)  # type: ignore[union-attr]
    return (f"## Summary\n**{name}** rose by {delta} USD against the prior month.\n"
            f"- the increase came mainly from {driver}, partly from exchange rates.")
