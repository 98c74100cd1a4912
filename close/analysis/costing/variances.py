"""Standard-cost variances of one product: price, mix, yield (usage = mix + yield) and volume.

The decomposition is the one of the ACCA Performance Management syllabus (technical article
"Materials mix and yield variances"), also CIMA P1's:

- price    = Σ AQ × (AP − SP)                       what the inputs cost against their standard
- mix      = Σ (AQ − AQ_total × s) × SP             the actual mix against the standard mix s of
                                                    the same total input (inputs of a mix group)
- yield    = Σ (AQ_total × s − SQ) × SP             the input used against the standard input
                                                    for the actual output (SQ), at standard mix
- volume   = (budget units − actual units) × standard cost per unit, the static budget's cost
             against the flexed standard cost of the actual output (when a budget is given)

so that price + mix + yield = actual cost − standard cost of the actual output, and adding the
volume variance reaches actual cost − budgeted cost. An input outside a mix group (labour, a
bought-in part) has no mix variance: all of its usage variance is yield (efficiency). Positive
is adverse (the cost is higher than the standard), negative favourable.

Each figure is computed exactly and rounded once to the cent. Rounding four figures can leave
the rounded parts a cent away from the rounded total: that cent is reported as ``rounding``,
never folded into a variance.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from close.engine.money import round_half_even_div


@dataclass(frozen=True, slots=True)
class StandardInput:
    """One input of a product's standard cost card and what was actually used.

    Attributes:
        name: the material, labour grade or part.
        std_qty: standard quantity per standard batch of output.
        std_price: standard price per unit of input.
        actual_qty: quantity actually used for the period's output.
        actual_price: actual price per unit of input.
        mix_group: inputs of the same non-empty group are substitutes mixed together (mix and
            yield variances); an empty group means no mix variance.

    """

    name: str
    std_qty: Decimal
    std_price: Decimal
    actual_qty: Decimal
    actual_price: Decimal
    mix_group: str = ""


@dataclass(frozen=True, slots=True)
class CostVariances:
    """A product's variances, to the cent; positive adverse.

    ``price + mix + yield_ + rounding == total`` and ``total + volume == total_vs_budget``.
    """

    product: str
    actual_cost: Decimal
    standard_cost: Decimal  # standard cost of the actual output
    price: Decimal
    mix: Decimal
    yield_: Decimal
    rounding: Decimal
    total: Decimal
    volume: Decimal | None  # None: no budgeted output given
    total_vs_budget: Decimal | None

    @property
    def usage(self) -> Decimal:
        """Usage (efficiency) variance: mix + yield."""
        return self.mix + self.yield_


def cents(value: Fraction) -> Decimal:
    """Round an exact fraction to the cent, half-even, in integers (no float, no context precision)."""
    return Decimal(round_half_even_div(value.numerator * 100, value.denominator)).scaleb(-2)


def _f(value: Decimal) -> Fraction:
    return Fraction(value)


def cost_variances(product: str, inputs: Sequence[StandardInput], *, actual_units: Decimal,
                   batch_output: Decimal = Decimal(1), budget_units: Decimal | None = None) -> CostVariances:
    """Decompose a product's total cost variance into price, mix, yield and volume.

    Args:
        product: the product or cost centre.
        inputs: its standard cost card with the actual quantities and prices.
        actual_units: output actually produced.
        batch_output: units of output a standard batch (the ``std_qty`` of every input) yields.
        budget_units: the budgeted output, for the volume variance; None: no volume variance.

    Returns:
        The variances; see the module docstring for the definitions.

    Raises:
        ValueError: no inputs, a non-positive batch output, or a negative quantity.

    """
    if not inputs or batch_output <= 0 or actual_units < 0:
        raise ValueError(f"{product}: needs inputs, a positive batch output and non-negative units")
    units, batch = _f(actual_units), _f(batch_output)
    groups: dict[str, list[StandardInput]] = defaultdict(list)
    for i in inputs:
        groups[i.mix_group or f"\0{i.name}"].append(i)  # an empty group: the input on its own
    price = mix = yld = Fraction(0)
    actual = standard = Fraction(0)
    for members in groups.values():
        std_total = sum(_f(i.std_qty) for i in members)
        act_total = sum(_f(i.actual_qty) for i in members)
        for i in members:
            aq, sp, ap = _f(i.actual_qty), _f(i.std_price), _f(i.actual_price)
            share = _f(i.std_qty) / std_total if std_total else Fraction(0)
            std_mix_qty = act_total * share  # the actual total input in the standard mix
            sq = units * _f(i.std_qty) / batch  # standard quantity for the actual output
            price += aq * (ap - sp)
            mix += (aq - std_mix_qty) * sp
            yld += (std_mix_qty - sq) * sp
            actual += aq * ap
            standard += sq * sp
    total = cents(actual - standard)
    parts = (cents(price), cents(mix), cents(yld))
    volume = total_vs_budget = None
    if budget_units is not None:
        # Actual − budget = (actual − flexed standard) + (flexed standard − budget): the volume
        # variance is the second term, a cost higher than budget because more was made.
        unit_cost = sum(_f(i.std_qty) * _f(i.std_price) for i in inputs) / batch
        volume = cents((units - _f(budget_units)) * unit_cost)
        total_vs_budget = total + volume
    return CostVariances(product, cents(actual), cents(standard), *parts, total - sum(parts), total,
                         volume, total_vs_budget)
