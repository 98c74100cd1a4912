"""Changes in ownership without loss of control (IFRS 10.23, B96; IAS 21.48C).

A subsidiary's acquisition may list later steps: the parent buys more shares (consideration
paid) or sells some while keeping control (consideration received). Each is a transaction
between owners: no goodwill is remeasured and nothing goes to profit. At the step the NCI's
carrying amount is adjusted and the difference against the consideration goes to equity
attributable to the parent (role ``transactions_with_nci``); the cumulative translation
difference is re-attributed between the parent and the NCI in proportion (IAS 21.48C).

Method (the ACCA / Kaplan SBR workings):

* a purchase: the NCI decreases by its carrying amount × the share bought / the NCI share before
  ("NCI at the date × % purchased / NCI %"); its share of goodwill (full-goodwill method) goes in
  the same proportion;
* a sale: the NCI increases by the share sold × the net assets at the date (fair values included)
  and, under the full-goodwill method, × the goodwill too;
* the parent's equity takes ``consideration paid − decrease in NCI`` (a debit when it paid more)
  or ``consideration received − increase in NCI`` (a credit when it received more);
* from the step on, the NCI takes its new share of profit, OCI and dividends; within the fiscal
  year of the step the profit and dividends to the step stay at the old share.

A step is recognised at the end of the month of its date: that month's closing position is the
position at the step, its profit to date is split off at the old share. The parent books the
consideration against its investment (role ``investment_in_subsidiaries``, counterparty the
subsidiary): paid as a debit, received as a credit, no gain in its own profit. The figures at the
step (net assets, goodwill, profit and dividends to date, in the presentation currency) are
computed in the step month and carried from run to run through the prior result, like the CTA.

Steps are modelled for a subsidiary held directly by the top parent with no subsidiaries of its
own (a step higher in a chain would move the effective interests of everything below).

Example (ACCA P2 "RBE" answer, 2010; see tests/close/consolidation/test_ownership_changes.py):
the NCI of 30% is worth 755 on 1 October when the parent buys 20% more for 540: the NCI falls by
755 × 20/30 = 503.33 and the parent's equity takes 540 − 503.33 = 36.67.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal

import pandas as pd

from close.config import EntityConfig, OwnershipStep
from close.engine.frames import frame_from_rows
from close.engine.fx import _EXACT, _round_decimal
from close.engine.journals import JournalEntry, JournalLine, balanced_entry
from close.engine.money import ONE, to_minor
from close.engine.periods import fiscal_year_first
from close.engine.types import AccountCode, Currency, EntityId, Period
from close.errors import ConfigError, InputDataError

STEP_COLUMNS: tuple[str, ...] = (
    "entity",
    "date",
    "period",
    "ownership_before",
    "ownership_after",
    "consideration",
    "net_assets",
    "goodwill",
    "profit_ytd",
    "dividends_ytd",
    "cta",
    "nci_before",
    "nci_after",
    "nci_change",
    "equity_difference",
    "cta_reattributed",
)


def share(fraction: Decimal, amount: int) -> int:
    """Return ``fraction × amount`` rounded half-even to a minor unit."""
    return _round_decimal(_EXACT.multiply(fraction, Decimal(amount)))


def month_of(step: OwnershipStep) -> Period:
    """Return the period in which a step is recognised (the month of its date)."""
    return f"{step.date.year:04d}-{step.date.month:02d}"


def steps_by(entity: EntityConfig, period: Period) -> tuple[OwnershipStep, ...]:
    """Return the steps of an entity recognised by the end of ``period``."""
    acq = entity.acquisition
    return tuple(s for s in (acq.steps if acq else ()) if month_of(s) <= period)


def entities_at(entities: Iterable[EntityConfig], period: Period) -> tuple[EntityConfig, ...]:
    """Return the entities as they stand at the end of ``period``.

    Each direct ownership after the steps recognised by then; an entity acquired after
    ``period`` is not yet in the group (method ``none``).
    """
    out = []
    for e in entities:
        acq = e.acquisition
        if acq is not None and f"{acq.date.year:04d}-{acq.date.month:02d}" > period:
            out.append(replace(e, method="none"))
            continue
        done = steps_by(e, period)
        out.append(replace(e, ownership=done[-1].ownership) if done else e)
    return tuple(out)


def changeable(entities: Iterable[EntityConfig]) -> frozenset[EntityId]:
    """Return the subsidiaries whose ownership steps and disposals are modelled.

    Those are fully consolidated direct subsidiaries of the top parent without subsidiaries of
    their own (a change higher in a chain would move the effective interests of all below).
    """
    entities = tuple(entities)
    tops = {e.id for e in entities if e.parent is None}
    parents = {e.parent for e in entities}
    return frozenset(
        e.id for e in entities if e.parent in tops and e.method == "full" and e.id not in parents
    )


def validate_changes(entities: Iterable[EntityConfig]) -> None:
    """Refuse ownership steps and disposals where they are not modelled (see :func:`changeable`).

    Raises:
        ConfigError: naming the entity's steps or disposal key.

    """
    entities = tuple(entities)
    ok = changeable(entities)
    for i, e in enumerate(entities):
        keys = [k for k, present in (("acquisition.steps", e.acquisition is not None and e.acquisition.steps),
                                     ("disposal", e.disposal is not None)) if present]  # fmt: skip
        if keys and e.id not in ok:
            raise ConfigError(
                f"entity {e.id}: ownership steps and disposals are modelled for a fully consolidated "
                "subsidiary of the top parent without subsidiaries of its own",
                key=f"entities[{i}].{keys[0]}",
                expected="a direct subsidiary of the top parent",
            )


@dataclass(frozen=True, slots=True)
class StepFigures:
    """One step's figures in presentation minor units (a row of ``STEP_COLUMNS``)."""

    entity: EntityId
    date: str
    period: Period
    ownership_before: Decimal
    ownership_after: Decimal
    consideration: int  # paid (+) or received (−)
    net_assets: int  # the subsidiary's net assets at the step, fair values included
    goodwill: int  # goodwill at the step (closing rate of the step month)
    profit_ytd: int  # profit to the step in its fiscal year (TB sign, after intragroup dividends)
    dividends_ytd: int  # dividends declared to the step in its fiscal year (TB sign)
    cta: int  # the subsidiary's cumulative translation difference at the step (TB sign)
    nci_before: int  # NCI carrying amount just before (positive: a credit balance)
    nci_after: int

    @property
    def nci_change(self) -> int:
        """Return the increase (+) or decrease (−) of the NCI at the step."""
        return self.nci_after - self.nci_before

    @property
    def equity_difference(self) -> int:
        """Return the parent's equity posting (TB sign): consideration paid + NCI increase."""
        return self.consideration + self.nci_change

    @property
    def cta_reattributed(self) -> int:
        """Return the CTA moved to the NCI (+) or back to the parent (−), IAS 21.48C (TB sign)."""
        return share(self.ownership_before - self.ownership_after, self.cta)

    def row(self) -> tuple:
        """Return the figures as a row of ``STEP_COLUMNS``."""
        return (
            self.entity,
            self.date,
            self.period,
            str(self.ownership_before),
            str(self.ownership_after),
            self.consideration,
            self.net_assets,
            self.goodwill,
            self.profit_ytd,
            self.dividends_ytd,
            self.cta,
            self.nci_before,
            self.nci_after,
            self.nci_change,
            self.equity_difference,
            self.cta_reattributed,
        )


def goodwill_fractions(
    steps: tuple[OwnershipStep, ...], ownership: Decimal, fraction: Decimal, full_goodwill: bool
) -> list[Decimal]:
    """Return the NCI's share of goodwill after each step (the first: at acquisition).

    A purchase scales the NCI's goodwill with its carrying amount; a sale under the full-goodwill
    method adds the share sold of the goodwill (the proportionate method gives the NCI none).
    """
    out, e = [fraction], ownership
    for s in steps:
        if s.ownership > e:
            fraction = fraction * (ONE - s.ownership) / (ONE - e)
        elif full_goodwill:
            fraction = fraction + (e - s.ownership)
        out.append(fraction)
        e = s.ownership
    return out


@dataclass(frozen=True, slots=True)
class NciState:
    """What the NCI of a stepped subsidiary is measured on this period (presentation minor units)."""

    net_assets: int  # closing net assets, fair values included
    goodwill: int  # goodwill at the closing rate
    profit_base: int  # profit YTD after intragroup dividends (TB sign)
    dividends: int  # dividends declared YTD (TB sign)
    cta: int  # the subsidiary's CTA (TB sign)


def nci_carrying(e: Decimal, fraction: Decimal, state: NciState) -> int:
    """Return the NCI's carrying amount: its share of net assets and of goodwill (IFRS 10.B94)."""
    return share(ONE - e, state.net_assets) + share(fraction, state.goodwill)


def step_figures(
    sid: EntityId,
    acq_ownership: Decimal,
    fractions: list[Decimal],
    steps: tuple[OwnershipStep, ...],
    *,
    period: Period,
    state: NciState,
    consideration: Mapping[OwnershipStep, int],
    prior: pd.DataFrame | None,
) -> list[StepFigures]:
    """Return the figures of each step recognised by ``period``: computed in its month, else carried.

    Raises:
        InputDataError: when a step of an earlier month has no figures in the prior result.

    """
    out: list[StepFigures] = []
    before = acq_ownership
    for k, s in enumerate(steps):
        if month_of(s) == period:
            out.append(
                StepFigures(
                    sid,
                    s.date.isoformat(),
                    period,
                    before,
                    s.ownership,
                    consideration[s],
                    state.net_assets,
                    state.goodwill,
                    state.profit_base,
                    state.dividends,
                    state.cta,
                    nci_carrying(before, fractions[k], state),
                    nci_carrying(s.ownership, fractions[k + 1], state),
                )
            )
        else:
            out.append(_carried(sid, s, prior))
        before = s.ownership
    return out


@dataclass(frozen=True, slots=True)
class NciParts:
    """The NCI journal's amounts in minor units, as posted (see :func:`nci_journal`)."""

    profit: int  # its share of profit (TB sign: a debit for a profit)
    cta: int  # its share of CTA (TB sign)
    dividends: int  # its share of dividends (TB sign)
    post: int  # its post-acquisition change (a credit balance positive)
    reserves: int  # its share of the other reserves, taken from retained earnings (a debit)


def nci_parts(profit: Decimal, cta: Decimal, dividends: Decimal, post: Decimal) -> NciParts:
    """Round the NCI's exact parts once each; its share of CTA takes the remainder.

    The NCI's balance is reserves + profit − dividends − CTA (credit positive). Rounding profit,
    CTA, dividends and the whole on their own and taking the reserves as the difference let the
    reserves move by a cent from month to month, which the statement of changes in equity cannot
    explain by the NCI's profit, CTA and dividends (demo 2026-10). Here the whole, the profit, the
    dividends and the reserves (whole − profit + CTA + dividends, from exact values) are each
    rounded once, and the CTA share is the whole minus the others: the reserves are then constant
    within a fiscal year, so the NCI moves by exactly its rounded profit, dividends and CTA share.
    The CTA share takes the remainder because the CTA is itself the translation's balancing
    figure. Across a year end the next reserves are rounded afresh, so the roll can still differ
    from the rounded profit less dividends by a cent (not the case in the demo).

    Args:
        profit: its exact share of profit (TB sign), in minor units.
        cta: its exact share of CTA (TB sign).
        dividends: its exact share of dividends (TB sign).
        post: its exact post-acquisition change (a credit balance positive).

    Returns:
        The rounded parts.

    """
    reserves = _round_decimal(_EXACT.add(_EXACT.subtract(post, profit), _EXACT.add(cta, dividends)))
    p, dv, total = _round_decimal(profit), _round_decimal(dividends), _round_decimal(post)
    return NciParts(p, reserves - total + p - dv, dv, total, reserves)


def nci_journal(
    sid: EntityId, parts: NciParts, codes: Mapping[str, AccountCode], rule: str
) -> JournalEntry | None:
    """Return the NCI's post-acquisition journal of a subsidiary.

    Args:
        sid: the subsidiary.
        parts: its share of profit, of CTA and of dividends, its post-acquisition change and the
            rest of that change (reserves), rounded by :func:`nci_parts`.
        codes: account codes ``nci``, ``nci_profit``, ``cta``, ``div``, ``re``.
        rule: the source the lines cite.

    """
    lines = [
        JournalLine(sid, codes["nci_profit"], parts.profit, "", f"NCI share of {sid}'s profit", rule),
        JournalLine(sid, codes["cta"], -parts.cta, "", f"NCI share of {sid}'s CTA", rule),
        JournalLine(sid, codes["div"], -parts.dividends, "", f"dividends of {sid} to its minority", rule),
        JournalLine(sid, codes["re"], parts.reserves, "", f"NCI share of {sid}'s post-acquisition reserves",
                    rule),
        JournalLine(sid, codes["nci"], -parts.post, "", f"NCI in {sid} after acquisition", rule),
    ]  # fmt: skip
    return balanced_entry(f"NCI:{sid}", "nci", f"non-controlling interest in {sid}", lines)


def _carried(sid: EntityId, step: OwnershipStep, prior: pd.DataFrame | None) -> StepFigures:
    """Return a step's figures as the prior result holds them."""
    when = step.date.isoformat()
    rows = None if prior is None else prior[(prior["entity"] == sid) & (prior["date"] == when)]
    if rows is None or rows.empty:
        raise InputDataError(
            f"the ownership step of {sid} on {step.date} was recognised in {month_of(step)}, and no prior "
            "run carries its figures: close that month first (its run computes them)",
            entity=sid,
            field="acquisition.steps",
        )
    r = rows.iloc[0]
    ints = [int(r[c]) for c in STEP_COLUMNS[5:13]]
    return StepFigures(
        sid, str(r["date"]), str(r["period"]), Decimal(str(r["ownership_before"])),
        Decimal(str(r["ownership_after"])), *ints,
    )  # fmt: skip


def segmented(flow: int, splits: list[tuple[int, Decimal]], last: Decimal) -> int:
    """Return the NCI's share of a year-to-date flow whose share changed within the year.

    Args:
        flow: the flow to date.
        splits: (the flow to a step, the share before it) for each step in this fiscal year.
        last: the share since the last step.

    """
    total = done = 0
    for at, fraction in splits:
        total += share(fraction, at - done)
        done = at
    return total + share(last, flow - done)


def step_journal(
    sid: EntityId, parent: EntityId, f: StepFigures, codes: Mapping[str, AccountCode]
) -> JournalEntry | None:
    """Post one step: the consideration out of the investment, the NCI change, the parent's equity."""
    rule = f"rule IFRS 10.23 {sid} {f.date}"
    lines = [
        JournalLine(parent, codes["inv"], -f.consideration, sid, f"consideration of the step in {sid}", rule),
        JournalLine(sid, codes["nci"], -f.nci_change, "", f"NCI in {sid}: {f.ownership_before} to "
                    f"{f.ownership_after}", rule),
        JournalLine(parent, codes["equity"], f.equity_difference, "",
                    f"difference with the NCI on the step in {sid}, in the parent's equity", rule),
    ]  # fmt: skip
    return balanced_entry(f"STEP:{sid}:{f.date}", "nci", f"change in ownership of {sid} on {f.date}", lines)


def figures_frame(figures: Iterable[StepFigures]) -> pd.DataFrame:
    """Return the steps as a ``STEP_COLUMNS`` frame (amounts int64)."""
    return frame_from_rows([f.row() for f in figures], STEP_COLUMNS, ints=STEP_COLUMNS[5:])


@dataclass(frozen=True, slots=True)
class PeriodContext:
    """The period the group changes are measured at, and what the prior result carried."""

    period: Period
    fiscal_year_start: int
    presentation_currency: Currency  # the top parent's, in which the consideration is stated
    prior: pd.DataFrame | None = None  # STEP_COLUMNS
    opening_rates: Mapping[Currency, Decimal] = field(default_factory=dict)  # the prior month's closing
    prior_associates: pd.DataFrame | None = None  # close.engine.associates.ASSOCIATE_COLUMNS


def step_considerations(cfg: EntityConfig, ctx: PeriodContext) -> dict[OwnershipStep, int]:
    """Return each recognised step's consideration: paid (+) or received (−), presentation minor units."""
    steps = steps_by(cfg, ctx.period)
    before = (cfg.ownership, *(x.ownership for x in steps))
    return {
        s: to_minor(s.consideration, ctx.presentation_currency) * (1 if s.ownership > b else -1)
        for s, b in zip(steps, before, strict=False)
    }


@dataclass(frozen=True, slots=True)
class SteppedNci:
    """The NCI of a subsidiary with ownership steps: its journals, NCI row and step figures."""

    journals: list[JournalEntry]
    nci_row: tuple
    figures: list[StepFigures]


def stepped_nci(
    sid: EntityId,
    parent: EntityId,
    cfg: EntityConfig,
    *,
    nci_at_acquisition: int,
    goodwill_fraction: Decimal,
    goodwill_cta: int,
    state: NciState,
    ctx: PeriodContext,
    codes: Mapping[str, AccountCode],
) -> SteppedNci:
    """Attribute a stepped subsidiary's NCI: the step journals and the post-acquisition NCI journal.

    Args:
        sid: the subsidiary (held by the top parent ``parent``).
        parent: its parent.
        cfg: its config (``ownership`` is the share at acquisition; the steps follow).
        nci_at_acquisition: the NCI the investment journal recognised (presentation minor units).
        goodwill_fraction: the NCI's share of goodwill at acquisition (0 under the proportionate method).
        goodwill_cta: the goodwill's translation difference this period (TB sign, a debit when it fell).
        state: net assets, goodwill, flows and CTA now.
        ctx: the period and the prior result's steps.
        codes: account codes ``inv``, ``nci``, ``equity``, ``nci_profit``, ``cta``, ``div``, ``re``.

    Returns:
        The journals, the NCI row (``close.engine.investment.NCI_COLUMNS``) and the step figures.

    """
    acq = cfg.acquisition
    assert acq is not None  # noqa: S101 (only called for an acquisition with steps)
    steps = steps_by(cfg, ctx.period)
    fractions = goodwill_fractions(steps, cfg.ownership, goodwill_fraction, acq.nci_method == "full")
    paid = step_considerations(cfg, ctx)
    figures = step_figures(
        sid, cfg.ownership, fractions, steps, period=ctx.period, state=state, consideration=paid,
        prior=ctx.prior,
    )  # fmt: skip
    e_now, f_now = steps[-1].ownership, fractions[-1]
    fy_first = fiscal_year_first(ctx.period, ctx.fiscal_year_start)
    this_year = [f for f in figures if f.period >= fy_first]
    nci_now = nci_carrying(e_now, f_now, state)
    post = nci_now - nci_at_acquisition - sum(f.nci_change for f in figures)
    p_line = segmented(
        -state.profit_base, [(-f.profit_ytd, ONE - f.ownership_before) for f in this_year], ONE - e_now
    )
    c_line = share(ONE - e_now, state.cta) - share(f_now, goodwill_cta)
    dv = segmented(
        state.dividends, [(f.dividends_ytd, ONE - f.ownership_before) for f in this_year], ONE - e_now
    )
    journals = [j for f in figures if (j := step_journal(sid, parent, f, codes)) is not None]
    # The step figures are carried rounded from their months, so these parts are whole minor units.
    parts = nci_parts(Decimal(p_line), Decimal(c_line), Decimal(dv), Decimal(post))
    entry = nci_journal(sid, parts, codes, f"rule IFRS 10.B94 {sid}")
    if entry is not None:
        journals.append(entry)
    return SteppedNci(journals, (sid, str(ONE - e_now), nci_now, parts.profit, parts.cta), figures)

