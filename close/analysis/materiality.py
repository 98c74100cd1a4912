"""Materiality: when a move is worth a reader's attention, for both the checks and the analysis.

The rule (config ``[thresholds]``, per comparison kind): a variance is material when
``|Δ| ≥ abs`` and ``|Δ| / |comparison| ≥ pct`` (the analysis: what the board reads about), or when
either holds (the validation's flux checks, a reviewer's wider net). Without a comparison figure
the absolute threshold alone decides. Example: with ``mom_abs = 10000`` and ``mom_pct = 0.10``,
a move from 50,000 to 62,000 (Δ 12,000, 24 %) is material; from 500,000 to 512,000 (2.4 %) only
under ``either``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from close.config import Thresholds
from close.engine.money import ZERO

ComparisonKind = Literal["budget", "mom", "yoy"]
COMPARISON_KINDS: tuple[ComparisonKind, ...] = ("budget", "mom", "yoy")


def threshold_limits(thresholds: Thresholds, kind: ComparisonKind) -> tuple[Decimal, Decimal]:
    """Return ``(abs, pct)`` of a comparison kind from the config's ``[thresholds]``."""
    return {
        "budget": (thresholds.budget_abs, thresholds.budget_pct),
        "mom": (thresholds.mom_abs, thresholds.mom_pct),
        "yoy": (thresholds.yoy_abs, thresholds.yoy_pct),
    }[kind]


def is_material(thresholds: Thresholds, kind: ComparisonKind, delta: Decimal,
                comparison: Decimal, *, rule: Literal["both", "either"] = "both") -> bool:
    """Apply ``|Δ| ≥ abs and |Δ|/|comparison| ≥ pct``; without a comparison, abs only.

    Args:
        thresholds: the config's ``[thresholds]``.
        kind: the comparison kind whose thresholds apply.
        delta: current − comparison, presentation-currency units.
        comparison: the comparison figure.
        rule: ``both`` (a variance the board reads about) or ``either`` (the validation's flux
            checks, a reviewer's net that flags a move crossing either threshold).

    Returns:
        True when the variance is material.

    """
    abs_limit, pct_limit = threshold_limits(thresholds, kind)
    over_abs = abs(delta) >= abs_limit
    # Cross-multiplied so the test is exact (no rounded percentage decides materiality).
    over_pct = comparison != ZERO and abs(delta) >= pct_limit * abs(comparison)
    if rule == "either":
        return over_abs or over_pct
    return over_abs and (over_pct or comparison == ZERO)
