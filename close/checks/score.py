"""The score, the light and what may be waived, from the findings alone."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_EVEN, Decimal

from close.checks.result import CheckResult, Light
from close.config import (
    DEFAULT_SCORE_WEIGHTS,
    ScoreWeight,
    weight_for,
)
from close.engine.money import ZERO

_CENTS = Decimal("0.01")
_HUNDRED = Decimal(100)
YELLOW_FROM = Decimal(80)
GREEN_FROM = Decimal(95)


def score_of(
    results: Iterable[CheckResult], weights: Sequence[ScoreWeight] = DEFAULT_SCORE_WEIGHTS
) -> Decimal:
    """Score findings 0–100 (see the module docstring for the rule and the default weights).

    Args:
        results: the findings (passes take nothing off).
        weights: penalty per fail / warn and cap per check code, by category.

    Returns:
        The score, two places, half-even.

    Raises:
        ConfigError: a finding's category has no weight.

    """
    penalty: dict[tuple[str, str], Decimal] = {}
    for r in results:
        if r.severity == "pass":
            continue
        w = weight_for(tuple(weights), r.category)
        key = (r.category, r.code)
        penalty[key] = min(w.cap, penalty.get(key, ZERO) + (w.fail if r.severity == "fail" else w.warn))
    total = sum(penalty.values(), ZERO)
    return max(ZERO, _HUNDRED - total).quantize(_CENTS, rounding=ROUND_HALF_EVEN)


def light_of(score: Decimal) -> Light:
    """Green ≥ 95, yellow 80 ≤ score < 95, red < 80."""
    if score >= GREEN_FROM:
        return "green"
    return "yellow" if score >= YELLOW_FROM else "red"


def waivable(result: CheckResult) -> bool:
    """Tell whether ``close approve --waive`` may waive a finding.

    Any warn or fail except a failed integrity check (fixed only by a top-side journal); a pass has
    nothing to waive.
    """
    return result.severity != "pass" and not (result.category == "integrity" and result.severity == "fail")
