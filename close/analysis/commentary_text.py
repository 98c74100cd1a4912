"""The words of variance commentary: natural signs, favourable or adverse, en-US and pt-BR.

A board reads "an FX gain of 5,139, an improvement of 38,972 on the prior month", not the trial
balance's "FX gains and losses −5,139.11, down 38,972.43". Both the Claude prompt and the
data-only text are written from the same *natural-sign* facts:

* an income or cost line is stated as its normal-balance figure (revenue 1,200,000; salaries
  812,000) and moves *above* or *below* its comparison;
* a line that is a gain one month and a loss the next (``nature`` ``gain``/``loss``: exchange
  differences, associates, disposals) is stated as "a gain of" / "a loss of" and moves by "an
  improvement" or "a deterioration";
* an income-statement variance is *favourable* when it raises profit, *adverse* when it lowers it
  (revenue up, cost down: favourable), whatever the account's sign in the trial balance.

Drivers named are the entities that moved the figure the way it moved. The consolidation line
(eliminations and group adjustments) is never named, and neither is an entity whose movement
the eliminations cancel (an intercompany sale up 100,000 at one company and eliminated): the
real source is what is left.

Worked example (the issue-17 case): FX gains and losses, debit-normal, −5,139 this month
against +33,833 in the prior month (TB sign, a loss) reads "Foreign exchange gains and losses
came to a gain of 5,139 USD against a loss of 33,833 in the prior month, an improvement of
38,972: a favourable variance."
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType

from close.analysis.variances import CONSOLIDATION_KEY, AccountNature, ComparisonKind
from close.engine.money import ZERO
from close.engine.numbers import format_decimal

# An entity and the eliminations are an offsetting pair when they cancel to within this share of
# the entity's movement (an intercompany sale and its elimination are usually equal).
OFFSET_TOLERANCE = Decimal("0.10")
PLACES = 0  # commentary speaks in whole currency units, as a controller does

DATA_ONLY_LABELS: Mapping[str, str] = MappingProxyType({
    "en-US": "Data only (no AI commentary): ",
    "pt-BR": "Somente dados (sem comentário de IA): ",
})
LANGUAGE_NAMES: Mapping[str, str] = MappingProxyType({
    "en-US": "English (en-US), numbers written as 1,234.5",
    "pt-BR": "Brazilian Portuguese (pt-BR), numbers written as 1.234,5",
})


@dataclass(frozen=True, slots=True)
class _Words:
    """One locale's sentence parts."""

    gain: str
    loss: str
    nil: str
    improvement: str
    deterioration: str
    above: str
    below: str
    favourable: str
    adverse: str
    came_in: str  # {name} {cur} {ccy}
    came_to: str  # {name} {state} {ccy}
    against: Mapping[ComparisonKind, str]  # non-swing: "the budget of {cmp}"
    swing_against: Mapping[ComparisonKind, str]  # swing: "against {state} in the prior month"
    mainly: str
    then: str
    of_which_fx: str
    fx_the_other_way: str
    fx_only: str


_WORDS: Mapping[str, _Words] = MappingProxyType({
    "en-US": _Words(
        gain="a gain of {v}", loss="a loss of {v}", nil="nil",
        improvement="an improvement of {v}", deterioration="a deterioration of {v}",
        above="above", below="below",
        favourable=": a favourable variance", adverse=": an adverse variance",
        came_in="{name} came in at {cur} {ccy}", came_to="{name} came to {state} {ccy}",
        against=MappingProxyType({"budget": "the budget of {cmp}",
                                  "mom": "the prior month's {cmp}",
                                  "yoy": "the {cmp} of the same month last year"}),
        swing_against=MappingProxyType({"budget": "against {cmp} in the budget",
                                        "mom": "against {cmp} in the prior month",
                                        "yoy": "against {cmp} in the same month last year"}),
        mainly="The movement came mainly from {first}", then="; then {next}",
        of_which_fx=", of which {fx} from exchange rates",
        fx_the_other_way=", despite {fx} from exchange rates the other way",
        fx_only="Exchange rates account for {fx} of it.",
    ),
    "pt-BR": _Words(
        gain="ganho de {v}", loss="perda de {v}", nil="zero",
        improvement="melhora de {v}", deterioration="piora de {v}",
        above="acima", below="abaixo",
        favourable=": variação favorável", adverse=": variação desfavorável",
        came_in="Em {name}, o total foi de {cur} {ccy}",
        came_to="Em {name}, o resultado foi {state} {ccy}",
        against=MappingProxyType({"budget": "do orçamento de {cmp}",
                                  "mom": "dos {cmp} do mês anterior",
                                  "yoy": "dos {cmp} do mesmo mês do ano anterior"}),
        swing_against=MappingProxyType({"budget": "contra {cmp} no orçamento",
                                        "mom": "contra {cmp} no mês anterior",
                                        "yoy": "contra {cmp} no mesmo mês do ano anterior"}),
        mainly="A variação veio principalmente de {first}", then="; em seguida, {next}",
        of_which_fx=", dos quais {fx} de variação cambial",
        fx_the_other_way=", apesar de {fx} de variação cambial em sentido contrário",
        fx_only="A variação cambial responde por {fx} desse total.",
    ),
})


def words(locale: str) -> _Words:
    """Return the sentence parts of ``locale`` (English for any locale not translated)."""
    return _WORDS.get(locale, _WORDS["en-US"])


def is_swing(nature: AccountNature) -> bool:
    """Tell whether a line is read as a gain or a loss by its sign."""
    return nature in ("gain", "loss")


def natural(nature: AccountNature, amount: Decimal) -> Decimal:
    """Return an amount (normal-balance sign) in the sign a reader uses.

    Income, cost and balance-sheet lines keep their normal-balance sign; a gain-or-loss line
    turns into its effect on profit (gain positive).
    """
    return -amount if nature == "loss" else amount


def number(value: Decimal, locale: str, *, signed: bool = False) -> str:
    """Format a commentary figure: whole units, the locale's separators."""
    return format_decimal(value, locale, PLACES, signed=signed)


def percent(pct: Decimal, locale: str) -> str:
    """Format a fraction as an unsigned percentage with one decimal (``0.083`` → ``8.3%``)."""
    return format_decimal(abs(pct) * 100, locale, 1) + "%"


def state(nature: AccountNature, amount: Decimal, locale: str) -> str:
    """State a figure: ``812,000``, or for a gain-or-loss line ``a gain of 5,139``."""
    if not is_swing(nature):
        return number(amount, locale)
    w, value = words(locale), natural(nature, amount)
    if value == ZERO:
        return w.nil
    return (w.gain if value > ZERO else w.loss).format(v=number(abs(value), locale))


def change(nature: AccountNature, delta: Decimal, pct: Decimal | None, kind: ComparisonKind,
           comparison: Decimal, locale: str) -> str:
    """Describe a movement: ``62,000 (8.3%) above the budget of 750,000``.

    For a gain-or-loss line: ``an improvement of 38,972``.
    """
    w = words(locale)
    if is_swing(nature):
        value = natural(nature, delta)
        return (w.improvement if value >= ZERO else w.deterioration).format(
            v=number(abs(value), locale))
    share = f" ({percent(pct, locale)})" if pct is not None else ""
    where = w.against[kind].format(cmp=number(comparison, locale))
    return f"{number(abs(delta), locale)}{share} {w.above if delta >= ZERO else w.below} {where}"


def verdict(favourable: bool | None, locale: str) -> str:
    """Return ``: a favourable variance`` / ``: an adverse variance`` / ``""`` (balance sheet)."""
    w = words(locale)
    return "" if favourable is None else w.favourable if favourable else w.adverse


def real_drivers(drivers: Sequence[tuple[str, str, Decimal, Decimal | None]]
                 ) -> list[tuple[str, Decimal, Decimal | None]]:
    """Return the entity drivers that are a real source: ``(entity, delta, fx_effect)``.

    Drops the consolidation line, summary lines (``(others: n)``) and any entity whose movement
    the consolidation line cancels (see ``OFFSET_TOLERANCE``); rank order is kept.
    """
    entity = [(k, v, fx) for d, k, v, fx in drivers if d == "entity"]
    eliminations = next((v for k, v, _ in entity if k == CONSOLIDATION_KEY), ZERO)
    out = []
    for key, delta, fx in entity:
        if key.startswith("("):
            continue
        offset = eliminations != ZERO and delta * eliminations < ZERO \
            and abs(delta + eliminations) <= OFFSET_TOLERANCE * abs(delta)
        if not offset:
            out.append((key, delta, fx))
    return out


def driver_sentence(nature: AccountNature, delta: Decimal, fx_effect: Decimal | None,
                    drivers: Sequence[tuple[str, str, Decimal, Decimal | None]],
                    locale: str) -> str | None:
    """Name the (at most two) entities that moved the figure the way it moved.

    Returns:
        ``The movement came mainly from BR1 (30,000, of which 4,000 from exchange rates); then
        EU1 (5,000).``, the exchange-rate sentence when no entity qualifies, or None.

    """
    w = words(locale)
    moved = [(k, v, fx) for k, v, fx in real_drivers(drivers) if v * delta > ZERO][:2]
    if not moved:
        if fx_effect:
            return w.fx_only.format(fx=number(natural(nature, fx_effect), locale, signed=True))
        return None

    def part(key: str, value: Decimal, fx: Decimal | None) -> str:
        text = f"{key} ({number(abs(natural(nature, value)), locale)}"
        if fx:
            template = w.of_which_fx if fx * value > ZERO else w.fx_the_other_way
            text += template.format(fx=number(abs(natural(nature, fx)), locale))
        return text + ")"

    sentence = w.mainly.format(first=part(*moved[0]))
    if len(moved) > 1:
        sentence += w.then.format(next=part(*moved[1]))
    return sentence + "."


def headline_sentence(name: str, nature: AccountNature, kind: ComparisonKind, currency: str,
                      current: Decimal, comparison: Decimal, delta: Decimal, pct: Decimal | None,
                      favourable: bool | None, locale: str) -> str:
    """Write the first sentence: the figure, its comparison, the movement, its effect on profit."""
    w = words(locale)
    if is_swing(nature):
        opening = w.came_to.format(name=name, state=state(nature, current, locale), ccy=currency)
        against = w.swing_against[kind].format(cmp=state(nature, comparison, locale))
        body = f"{opening} {against}, {change(nature, delta, pct, kind, comparison, locale)}"
    elif comparison == ZERO:  # "above the 0 of last year" reads badly: "against nil"
        opening = w.came_in.format(name=name, cur=number(current, locale), ccy=currency)
        body = f"{opening} {w.swing_against[kind].format(cmp=w.nil)}"
    else:
        opening = w.came_in.format(name=name, cur=number(current, locale), ccy=currency)
        body = f"{opening}, {change(nature, delta, pct, kind, comparison, locale)}"
    return body + verdict(favourable, locale) + "."
