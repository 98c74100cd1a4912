"""Purchase price allocation (IFRS 3): acquired intangibles, straight-line monthly amortization.

Each acquisition may list intangibles with a fair value (acquiree's currency), a useful life in
months and the first month of amortization. Amortization is straight-line by month; month ``k``
of the life amortizes ``round(FV × k / life) − round(FV × (k−1) / life)`` (half-even), so the
months add up to the fair value exactly. Any difference between the acquiree's identifiable net
assets at fair value and its book equity that the listed intangibles do not explain is carried
as a non-amortized fair-value adjustment.

The PPA is pushed down into the acquiree's book in its functional currency (counterparty
``#ppa:<name>``; retained earnings and CTA under ``#ppa``) and translated like the acquiree's own
lines: carrying amounts at the closing rate, amortization at each month's average (YTD = sum of
translated months), the fair-value uplift at the acquisition-date rate, the difference to the
acquiree's CTA (IAS 21.47: fair-value adjustments of a foreign operation are its assets).

With a ``tax_rate`` on the acquisition, each item carries a deferred tax liability of
``tax_rate`` × its carrying amount (IAS 12.19: the uplift has no tax base in the acquiree's
books), recognised at acquisition (the net uplift is smaller, so goodwill is larger, IAS 12.66)
and unwinding with the amortization through the tax line (role ``ppa_deferred_tax_expense``).

Example: a customer list of BRL 120,000.00 over 60 months from 2023-07 amortizes BRL 2,000.00 a
month; at 2025-10 (28 months) the carrying amount is BRL 64,000.00, and with a January fiscal
year the YTD amortization is BRL 20,000.00 (10 months).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

import pandas as pd

from close.config import EntityConfig, PpaIntangible
from close.engine.chart import Chart, SystemRole
from close.engine.frames import AMOUNT_COLUMNS, MAPPED_TB_COLUMNS, frame_from_rows
from close.engine.fx import PPA_BOOK
from close.engine.money import ZERO, round_half_even_div, to_minor
from close.engine.periods import add_months, fiscal_year_first, months_between
from close.engine.types import AccountCode, EntityId, Period
from close.errors import ConfigError

FAIR_VALUE_ADJUSTMENT = "fair_value_adjustments"
CARRYING_COLUMNS: tuple[str, ...] = (
    "entity",
    "intangible",
    "fair_value",
    "useful_life_months",
    "months_elapsed",
    "monthly",
    "accumulated",
    "carrying",
    "ytd_amortization",
    "deferred_tax",
)


@dataclass(frozen=True, slots=True)
class PushDown:
    """The PPA lines of every acquiree (local minor units) and the carrying-amount schedule."""

    lines: pd.DataFrame  # MAPPED_TB_COLUMNS
    carrying: pd.DataFrame  # CARRYING_COLUMNS (local minor units)
    uplift: dict[EntityId, int]  # fair value over book equity at acquisition less its deferred tax, local
    deferred_tax: dict[EntityId, int] = field(default_factory=dict)  # DTL at acquisition, local


def accumulated_amortization(fair_value: int, life: int, months: int) -> int:
    """Return the amortization accumulated after ``months`` months (clipped to the life).

    Args:
        fair_value: minor units.
        life: useful life in months (positive).
        months: months amortized so far (may be <= 0 or beyond the life).

    Returns:
        ``round_half_even(fair_value × min(max(months, 0), life) / life)``.

    """
    k = min(max(months, 0), life)
    return round_half_even_div(fair_value * k, life)


def validate_intangible(entity: EntityId, item: PpaIntangible) -> None:
    """Refuse a PPA intangible with a non-positive life, a negative fair value or a bad start.

    Raises:
        ConfigError: naming the entity and the intangible.

    """
    key = f"entities[{entity}].acquisition.ppa[{item.name}]"
    if not isinstance(item.useful_life_months, int) or item.useful_life_months <= 0:
        raise ConfigError(
            f"PPA intangible {item.name!r} of entity {entity} has useful life "
            f"{item.useful_life_months} months",
            key=f"{key}.useful_life_months",
            expected="a positive number of months",
        )
    if item.fair_value < ZERO:
        raise ConfigError(
            f"PPA intangible {item.name!r} of entity {entity} has a negative fair value {item.fair_value}",
            key=f"{key}.fair_value",
            expected="an amount >= 0",
        )
    if len(item.start) != 7 or item.start[4] != "-" or not item.start.replace("-", "").isdigit():
        raise ConfigError(
            f"PPA intangible {item.name!r} of entity {entity}: start {item.start!r}",
            key=f"{key}.start",
            expected="YYYY-MM",
        )


def push_down(
    entities: Iterable[EntityConfig],
    *,
    consolidated: frozenset[EntityId],
    chart: Chart,
    period: Period,
    fiscal_year_start: int,
) -> PushDown:
    """Build the pushed-down PPA lines of every consolidated acquiree for a period.

    Args:
        entities: the group's entities.
        consolidated: the fully consolidated entities (others get no PPA).
        chart: the standard chart (PPA accounts by system role).
        period: ``YYYY-MM``.
        fiscal_year_start: month 1..12.

    Returns:
        The lines (opening = the prior month's closing; income statement YTD), the schedule and
        the fair-value uplift per entity.

    Raises:
        ConfigError: for an invalid intangible.

    """
    rows: list[tuple] = []
    sched: list[tuple] = []
    uplift: dict[EntityId, int] = {}
    deferred_tax: dict[EntityId, int] = {}
    prev = add_months(period, -1)
    fy_first = fiscal_year_first(period, fiscal_year_start)
    prev_fy_first = fiscal_year_first(prev, fiscal_year_start)
    codes: dict[str, AccountCode] = {}
    for e in entities:
        acq = e.acquisition
        if acq is None or e.id not in consolidated:
            continue
        for item in acq.ppa:
            validate_intangible(e.id, item)
        acq_month = f"{acq.date.year:04d}-{acq.date.month:02d}"
        ppa_total = sum((i.fair_value for i in acq.ppa), ZERO)
        items: list[tuple[str, int, int | None, Period]] = [
            (i.name, to_minor(i.fair_value, e.currency), i.useful_life_months, i.start) for i in acq.ppa
        ]
        if acq.net_assets_fair_value is not None and acq.equity_at_acquisition is not None:
            residual = acq.net_assets_fair_value - acq.equity_at_acquisition - ppa_total
            if residual != ZERO:
                items.append((FAIR_VALUE_ADJUSTMENT, to_minor(residual, e.currency), None, acq_month))
        if not items or months_between(acq_month, period) < 0:
            continue
        if not codes:
            codes = {
                "asset": chart.by_role(SystemRole.PPA_INTANGIBLE),
                "acc": chart.by_role(SystemRole.PPA_ACCUMULATED_AMORTIZATION),
                "exp": chart.by_role(SystemRole.PPA_AMORTIZATION),
                "re": chart.by_role(SystemRole.RETAINED_EARNINGS),
            }
        tax_rate = acq.tax_rate or ZERO
        if tax_rate and not codes.get("dtl"):
            codes["dtl"] = chart.by_role(SystemRole.PPA_DEFERRED_TAX)
            codes["tax"] = chart.by_role(SystemRole.PPA_DEFERRED_TAX_EXPENSE)
        dtl_at_acquisition = sum(tax_on(fv, tax_rate) for _, fv, _, _ in items)
        uplift[e.id] = sum(fv for _, fv, _, _ in items) - dtl_at_acquisition
        if dtl_at_acquisition:
            deferred_tax[e.id] = dtl_at_acquisition
        dates = _Dates(period, prev, fy_first, prev_fy_first, months_between(acq_month, prev) >= 0)
        item_rows: list[tuple] = []
        for name, fv, life, start in items:
            item_rows_, schedule = _item_lines(e.id, name, fv, life, start, tax_rate, dates, codes)
            item_rows += item_rows_
            sched.append(schedule)
        # Book equity of the push-down: minus the net uplift, plus the prior years' amortization.
        re_open = -sum(r[5] for r in item_rows)
        re_close = -sum(r[6] for r in item_rows)
        rows += item_rows
        rows.append(
            (
                e.id,
                "PPA:equity",
                "PPA fair-value uplift and prior-year amortization",
                codes["re"],
                PPA_BOOK,
                re_open,
                re_close,
            )
        )
    lines = frame_from_rows(
        [
            (*r[:5], "", "", r[5], r[6] - r[5] if r[6] > r[5] else 0, r[5] - r[6] if r[5] > r[6] else 0, r[6])
            for r in rows
        ],
        MAPPED_TB_COLUMNS,
        ints=AMOUNT_COLUMNS,
    )
    carrying = frame_from_rows(sched, CARRYING_COLUMNS, ints=CARRYING_COLUMNS[2:])
    return PushDown(lines=lines, carrying=carrying, uplift=uplift, deferred_tax=deferred_tax)


def tax_on(amount: int, rate: Decimal) -> int:
    """Return ``amount × rate`` rounded half-even to a minor unit (deferred tax on a temporary difference)."""
    return int((rate * amount).to_integral_value(rounding=ROUND_HALF_EVEN))


@dataclass(frozen=True, slots=True)
class _Dates:
    """The periods one push-down looks at."""

    period: Period
    prev: Period
    fy_first: Period
    prev_fy_first: Period
    existed_before: bool  # the acquisition precedes this period


def _item_lines(
    entity: EntityId,
    name: str,
    fv: int,
    life: int | None,
    start: Period,
    tax_rate: Decimal,
    dates: _Dates,
    codes: dict[str, AccountCode],
) -> tuple[list[tuple], tuple]:
    """Return one PPA item's lines (opening, closing; local minor units) and its schedule row.

    The deferred tax liability is ``tax_rate`` × the carrying amount (IAS 12.19: the fair value
    has no tax base in the acquiree's books); it unwinds with the amortization through the tax
    line (IAS 12.58), so the YTD tax is the liability's change since the fiscal year began.
    """
    cp = f"{PPA_BOOK}:{name}"

    def acc_at(p: Period) -> int:
        return 0 if life is None else accumulated_amortization(fv, life, months_between(start, p) + 1)

    def dtl_at(p: Period) -> int:
        return tax_on(fv - acc_at(p), tax_rate)

    before_fy, before_prev_fy = add_months(dates.fy_first, -1), add_months(dates.prev_fy_first, -1)
    acc_close, acc_open = acc_at(dates.period), acc_at(dates.prev) if dates.existed_before else 0
    ytd_close = acc_close - acc_at(before_fy)
    ytd_open = (acc_open - acc_at(before_prev_fy)) if dates.existed_before else 0
    fv_open = fv if dates.existed_before else 0
    label = f"PPA:{name}"
    rows: list[tuple] = [
        (entity, label, f"PPA {name}", codes["asset"], cp, fv_open, fv),
        (entity, label, f"PPA {name} accumulated amortization", codes["acc"], cp, -acc_open, -acc_close),
    ]
    if life is not None:
        rows.append((entity, label, f"PPA {name} amortization", codes["exp"], cp, ytd_open, ytd_close))
    dtl_close = dtl_at(dates.period)
    if tax_rate:
        dtl_open = dtl_at(dates.prev) if dates.existed_before else 0
        rows.append((entity, label, f"PPA {name} deferred tax", codes["dtl"], cp, -dtl_open, -dtl_close))
        if life is not None:
            tax_close = dtl_close - dtl_at(before_fy)
            tax_open = (dtl_open - dtl_at(before_prev_fy)) if dates.existed_before else 0
            rows.append((entity, label, f"PPA {name} deferred tax", codes["tax"], cp, tax_open, tax_close))
    monthly = 0 if life is None else acc_close - acc_at(add_months(dates.period, -1))
    months = max(months_between(start, dates.period) + 1, 0)
    schedule = (entity, name, fv, life or 0, months, monthly, acc_close, fv - acc_close, ytd_close, dtl_close)
    return rows, schedule


def opening_rate_defaults(
    push: PushDown,
    *,
    acquisition_rates: dict[EntityId, Decimal],
    average_rates: dict[EntityId, Decimal],
    chart: Chart,
) -> dict[tuple[EntityId, AccountCode, str], Decimal]:
    """Rates for pushed-down openings that no prior translation holds (the first period only).

    The equity of the push-down is translated at the acquisition-date rate and the YTD
    amortization before the first period at the first period's average rate: an approximation
    the opening-balances file can override by listing those lines.

    Returns:
        (entity, std_account, counterparty) → rate.

    """
    re_code = chart.by_role(SystemRole.RETAINED_EARNINGS)
    flows = {chart.by_role(SystemRole.PPA_AMORTIZATION)}
    if push.deferred_tax:
        flows.add(chart.by_role(SystemRole.PPA_DEFERRED_TAX_EXPENSE))
    out: dict[tuple[EntityId, AccountCode, str], Decimal] = {}
    for e, std, cp in zip(
        push.lines["entity"], push.lines["std_account"], push.lines["counterparty"], strict=True
    ):
        if std == re_code and e in acquisition_rates:
            out[(e, std, cp)] = acquisition_rates[e]
        elif std in flows and e in average_rates:
            out[(e, std, cp)] = average_rates[e]
    return out
