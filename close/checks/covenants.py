"""Covenants: a breach (red) or a thin headroom (amber) of a configured covenant is a finding.

The figures and the tests are ``close.analysis.covenants``' (the board package shows the same
ones); this check only turns them into evidence.
A breach is a ``fail`` and an amber a ``warn``, both in ``reasonableness``: they inform the
review and the board, they do not make the consolidation wrong. Not configured: one pass saying so.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

import pandas as pd

from close.analysis.covenants import CovenantTest, chart_accounts, covenant_figures, evaluate_covenants
from close.checks.result import CheckResult, ValidationContext
from close.engine.money import from_minor

CODE = "COVENANT_HEADROOM"
_NAMES = {"net_debt_to_ebitda": "net debt / LTM EBITDA", "interest_cover": "interest cover (LTM)",
          "minimum_liquidity": "liquidity (cash + undrawn facilities)"}


def amounts(frame: pd.DataFrame, column: str, currency: str) -> Mapping[str, Decimal]:
    """Return a consolidated frame's column (int minor units) as account → Decimal."""
    return {str(a): from_minor(int(v), currency) for a, v in zip(frame["std_account"], frame[column],
                                                                 strict=True)}


def _finding(test: CovenantTest) -> CheckResult:
    name = _NAMES[test.code]
    bound = "at most" if test.bound == "max" else "at least"
    value = "n/a" if test.value is None else f"{test.value:.2f}"
    word = "broken" if test.status == "red" else "headroom under the amber threshold"
    why = f" ({test.reason})" if test.reason else ""
    return CheckResult(CODE, "reasonableness", "fail" if test.status == "red" else "warn", None, None,
                       f"{bound} {test.limit}", value,
                       None if test.headroom is None else f"{test.headroom:.2f}",
                       f"covenant {name}: expected {bound} {test.limit} != actual {value}, {word}{why}")


def check_covenants(ctx: ValidationContext) -> list[CheckResult]:
    """Each configured covenant tested on this month and the stored earlier months."""
    settings = ctx.covenants
    if settings is None:
        return [CheckResult(CODE, "reasonableness", "pass", None, None, None, None, None,
                            "no covenants configured")]
    pc = ctx.presentation_currency
    months = [amounts(ctx.consolidated, "movement", pc),
              *(amounts(m, "movement", pc) for m in ctx.earlier_consolidated)]
    figures = covenant_figures(amounts(ctx.consolidated, "amount", pc), months,
                               chart_accounts(ctx.chart.accounts),
                               settings.undrawn_facilities)
    report = evaluate_covenants(settings, figures)
    found = [_finding(t) for t in report.tests if t.status != "green"]
    if found:
        return found
    listed = ", ".join(_NAMES[t.code] for t in report.tests)
    return [CheckResult(CODE, "reasonableness", "pass", None, None, None, None, None,
                        f"covenants within their limits with headroom: {listed}")]
