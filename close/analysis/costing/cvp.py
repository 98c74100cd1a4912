"""Contribution margin and cost-volume-profit analysis of a product or cost centre.

Definitions (the management-accounting textbook ones, e.g. ACCA PM / CIMA P2 "CVP analysis"):

- contribution          = revenue − variable costs;  C/S ratio = contribution / revenue
- break-even units      = fixed costs / contribution per unit
- break-even revenue    = fixed costs / C/S ratio
- margin of safety      = revenue − break-even revenue (and as a share of revenue)
- operating leverage    = contribution / operating profit (profit = contribution − fixed costs)

A figure that cannot be computed is None with the reason in ``reasons`` (no selling price, no
fixed costs, a contribution or a profit of zero or less), never a zero that looks like an answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

from close.analysis.costing.variances import cents

_RATIO = Decimal("0.0001")


@dataclass(frozen=True, slots=True)
class Cvp:
    """A product's contribution and CVP figures; None where ``reasons`` says why."""

    product: str
    revenue: Decimal | None
    variable_costs: Decimal
    contribution: Decimal | None
    cs_ratio: Decimal | None
    fixed_costs: Decimal | None
    operating_profit: Decimal | None
    break_even_units: Decimal | None
    break_even_revenue: Decimal | None
    margin_of_safety: Decimal | None
    margin_of_safety_pct: Decimal | None
    operating_leverage: Decimal | None
    reasons: tuple[str, ...]


def _ratio(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(_RATIO, rounding=ROUND_HALF_EVEN)


def cvp(product: str, *, units: Decimal, variable_costs: Decimal, selling_price: Decimal | None,
        fixed_costs: Decimal | None) -> Cvp:
    """Compute contribution, break-even, margin of safety and operating leverage.

    Args:
        product: the product or cost centre.
        units: units sold in the period.
        variable_costs: the period's variable costs of those units.
        selling_price: price per unit, or None when not known.
        fixed_costs: the period's fixed costs attributed to the product, or None.

    Returns:
        The figures, revenue and costs to the cent, ratios to four decimals, units to two.

    """
    reasons: list[str] = []
    revenue = contribution = cs = profit = be_units = be_rev = mos = mos_pct = dol = None
    if selling_price is None:
        reasons.append("contribution, break-even and margin of safety: no selling price given")
    else:
        rev = Fraction(units) * Fraction(selling_price)
        con = rev - Fraction(variable_costs)
        revenue, contribution = cents(rev), cents(con)
        cs = _ratio(con / rev) if rev else None
        if rev == 0:
            reasons.append("C/S ratio: no revenue")
        if fixed_costs is None:
            reasons.append("break-even, margin of safety and operating leverage: no fixed costs given")
        elif con <= 0 or units <= 0:
            reasons.append("break-even: contribution is zero or negative, costs are never recovered")
        else:
            fixed = Fraction(fixed_costs)
            per_unit = con / Fraction(units)
            be_units = (Decimal(round(fixed / per_unit * 100)) / 100).quantize(Decimal("0.01"))
            be = fixed / (con / rev)
            be_rev, mos = cents(be), cents(rev - be)
            mos_pct = _ratio((rev - be) / rev)
            prof = con - fixed
            profit = cents(prof)
            if prof > 0:
                dol = _ratio(con / prof)
            else:
                reasons.append("operating leverage: operating profit is zero or negative")
    return Cvp(product, revenue, variable_costs, contribution, cs, fixed_costs, profit, be_units, be_rev,
               mos, mos_pct, dol, tuple(reasons))
