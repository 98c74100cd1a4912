"""Plausibility of rates: flag a closing or average rate that moved too much since last month.

A move is ``|rate - prior| / prior``; above the group's threshold (10 % by default) it is a
finding with both rates as evidence. A typo in a rates file (0.1840 typed 0.0184) or a source
serving the wrong currency shows up here before it reaches the package. Historical rates do not
move and are not compared; a pair without a prior-month rate cannot be compared either and is
left to the completeness check.

Example: BRL->USD closing 0.1800 in July, 0.2025 in August: a 12.5 % move, flagged at 10 %.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from close.engine.types import Currency, Period, RateType
from close.rates.model import FxRate


@dataclass(frozen=True, slots=True)
class RateMoveFinding:
    """A rate that moved more than the threshold since the prior month (evidence, never raised)."""

    code: str  # always "fx_rate_moved"
    severity: str  # "warn": a move is a question for the controller, not a broken close
    period: Period
    prior_period: Period
    currency: Currency
    presentation_currency: Currency
    rate_type: RateType
    expected: Decimal  # the prior month's rate
    actual: Decimal  # this month's rate
    difference: Decimal  # actual - expected
    relative_move: Decimal  # |difference| / expected
    message: str


def find_implausible_moves(current: Iterable[FxRate], prior: Iterable[FxRate],
                           threshold: Decimal) -> tuple[RateMoveFinding, ...]:
    """Compare each closing and average rate with the same rate of the prior month.

    Args:
        current: this period's rates.
        prior: the prior period's rates.
        threshold: the relative move that is flagged, e.g. ``Decimal("0.10")``.

    Returns:
        One finding per rate whose move exceeds the threshold, in currency order.

    """
    def key(r: FxRate) -> tuple[str, str, str]:
        return (r.currency, r.presentation_currency, r.rate_type)

    before = {key(r): r for r in prior if r.rate_type != "historical"}
    findings = []
    for rate in sorted((r for r in current if r.rate_type != "historical"), key=key):
        old = before.get(key(rate))
        if old is None or old.rate == 0:
            continue
        difference = rate.rate - old.rate
        move = abs(difference) / old.rate
        if move > threshold:
            pct = (move * 100).quantize(Decimal("0.1"))
            findings.append(RateMoveFinding(
                code="fx_rate_moved", severity="warn", period=rate.period, prior_period=old.period,
                currency=rate.currency, presentation_currency=rate.presentation_currency,
                rate_type=rate.rate_type, expected=old.rate, actual=rate.rate,
                difference=difference, relative_move=move,
                message=(f"{rate.currency}->{rate.presentation_currency} {rate.rate_type} rate moved "
                         f"{pct}% since {old.period} (threshold {threshold * 100}%): expected about "
                         f"{old.rate} != {rate.rate} ({difference:+})"),
            ))
    return tuple(findings)
