"""The consolidation: translated entity TBs plus journals, aggregated into the group's TB.

``consolidate`` is a pure function, frames in and frames out, run in this order:

1. PPA push-down (``close.engine.ppa``): acquired intangibles into each acquiree's book;
2. translation (``close.engine.fx``): IAS 21 per account class; the CTA of each entity is the
   balancing figure of its translated TB (so each sums to exactly zero), carried from run to run
   through ``prior`` and checked against the CTA computed from its parts;
3. intercompany (``close.engine.intercompany``): pairs matched after translation and eliminated, and
   unrealized profit in intragroup inventory when the seller's margin is configured;
4. investments (``close.engine.investment``): investment against equity at acquisition, goodwill at
   the closing rate, NCI share of equity, profit and CTA; associates by the equity method
   (``close.engine.associates``); ownership steps, disposals and goodwill impairments
   (``close.engine.ownership_changes``, ``close.engine.disposal``, ``close.engine.impairment``), whose
   figures fixed in an earlier month come back through the ``prior_*`` inputs;
5. top-side and GAAP adjustments (``close.engine.adjustments``);
6. the consolidating worksheet (entity × account × column: translated, elimination, ppa,
   adjustment) and the consolidated TB, its sum of IFRS columns by account.

Worked example: HOLD (USD) owns 100% of BR1 (BRL, founded). BR1's cash BRL 1,000.00 and share
capital BRL -1,000.00 contributed at 0.20 translate, at a closing rate of 0.18, to cash USD 180.00,
share capital USD -200.00 and CTA +20.00 (the plug). HOLD's investment USD 200.00 is eliminated
against BR1's share capital USD -200.00; the consolidated TB holds HOLD's lines, cash 180.00 and
CTA 20.00, and sums to zero.

US GAAP journals appear in the worksheet with basis ``US_GAAP`` but not in ``consolidated`` (the
IFRS figures); :func:`consolidated_on_basis` gives the US GAAP view.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal

import numpy as np
import pandas as pd

from close.config import EntityConfig, IntercompanySettings
from close.engine._kernels import TextCodes, encode_text, sum_by_code
from close.engine.adjustments import validate_adjustments
from close.engine.associates import ASSOCIATE_COLUMNS
from close.engine.chart import INCOME_STATEMENT_CLASSES, Chart, SystemRole
from close.engine.disposal import (
    CONTRIBUTION_COLUMNS,
    DISPOSAL_COLUMNS,
    carried,
    carried_journal,
    contribution,
    disposed_now,
    entities_after_disposals,
)
from close.engine.dividends import DeclaredDividend, declaration_portions, spot_rates
from close.engine.frames import MAPPED_TB_COLUMNS, frame_from_rows, normalize_text_columns
from close.engine.fx import (
    PPA_BOOK,
    TEXT_COLUMNS,
    TRANSLATED_COLUMNS,
    OpeningBalances,
    PeriodRates,
    Translation,
    translate_balances,
)
from close.engine.impairment import IMPAIRMENT_COLUMNS, split_impairments
from close.engine.intercompany import eliminate_unrealized_profit, match_intercompany
from close.engine.investment import eliminate_investments
from close.engine.journals import (
    WORKSHEET_COLUMN,
    JournalEntry,
    JournalLine,
    balanced_entry,
    journal_lines_frame,
)
from close.engine.money import ONE
from close.engine.ownership import Holding, compute_ownership, consolidated_entities
from close.engine.ownership_changes import STEP_COLUMNS, PeriodContext, entities_at, validate_changes
from close.engine.periods import parse_period, previous_period
from close.engine.ppa import CARRYING_COLUMNS, PushDown, opening_rate_defaults, push_down
from close.engine.types import AccountCode, Currency, EntityId, Period
from close.errors import InputDataError, PermanentError

WORKSHEET_COLUMNS: tuple[str, ...] = ("entity", "std_account", "column", "basis", "amount")
TRACE_COLUMNS: tuple[str, ...] = (
    "source_type",
    "entity",
    "account",
    "counterparty",
    "journal_id",
    "rate",
    "rate_type",
    "local_closing",
    "amount",
    "memo",
    "source",
)


@dataclass(frozen=True, slots=True)
class ConsolidationInputs:
    """Everything one period's consolidation needs (see ``close.engine.fx`` for rates and openings).

    ``prior_consolidated`` is the prior period's ``ConsolidationResult.consolidated``; the month's
    ``consolidated_movement`` is the closing less it. Without it (the first period of a chain) the
    translated openings are eliminated the same way as the closing and stand in for it.
    """

    period: Period
    fiscal_year_start: int
    presentation_currency: Currency
    chart: Chart
    entities: tuple[EntityConfig, ...]
    balances: pd.DataFrame  # MAPPED_TB_COLUMNS, int64 minor units of each entity's currency
    rates: PeriodRates
    prior: pd.DataFrame | None  # the prior period's ConsolidationResult.translated
    opening: OpeningBalances | None
    adjustments: tuple[JournalEntry, ...]
    intercompany: IntercompanySettings
    prior_consolidated: pd.DataFrame | None = None
    dividends: tuple[DeclaredDividend, ...] = ()  # declared in the period or open (close.engine.dividends)
    prior_steps: pd.DataFrame | None = None  # the prior period's ConsolidationResult.steps
    prior_disposals: pd.DataFrame | None = None  # the prior period's ConsolidationResult.disposal_lines
    prior_associates: pd.DataFrame | None = None  # the prior period's ConsolidationResult.associates
    prior_impairments: pd.DataFrame | None = None  # the prior period's ConsolidationResult.impairments


@dataclass(frozen=True, slots=True)
class ConsolidationResult:
    """The consolidation's outputs; every frame's amounts are int64 presentation minor units."""

    translated: pd.DataFrame  # engine.fx.TRANSLATED_COLUMNS (+ book), incl. CTA plug rows; text categorical
    journals: tuple[JournalEntry, ...]
    worksheet: pd.DataFrame  # WORKSHEET_COLUMNS
    consolidated: pd.DataFrame  # std_account, amount (IFRS; income statement YTD)
    consolidated_movement: pd.DataFrame  # std_account, amount (this month)
    cta: pd.DataFrame  # entity, plug, from_parts, difference, tolerance
    ic_pairs: pd.DataFrame  # close.engine.intercompany.IC_PAIR_COLUMNS
    nci: pd.DataFrame  # entity, nci_pct, equity, profit, cta
    goodwill: pd.DataFrame  # entity, local, translated, at_acquisition, cta
    ppa: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(CARRYING_COLUMNS)))
    steps: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(STEP_COLUMNS)))
    disposals: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(DISPOSAL_COLUMNS)))
    disposal_lines: pd.DataFrame = field(default_factory=lambda: _empty(CONTRIBUTION_COLUMNS))
    associates: pd.DataFrame = field(default_factory=lambda: _empty(ASSOCIATE_COLUMNS))
    impairments: pd.DataFrame = field(default_factory=lambda: _empty(IMPAIRMENT_COLUMNS))


def consolidate(inputs: ConsolidationInputs) -> ConsolidationResult:
    """Consolidate one period.

    The steps: the group's holdings at the period end (IFRS 10.B86: consolidate what is
    controlled) → the entities' lines coded once → the PPA pushed down into the acquirees' books
    (IFRS 3.18) → translation (IAS 21.39) → eliminations, investments, NCI and disposals
    (``_eliminate``) → the month's movement against the prior consolidated TB.

    Args:
        inputs: balances, rates, prior translation or opening balances, config and journals.

    Returns:
        The translated lines, journals, worksheet, consolidated TB and the reports.

    Raises:
        ConfigError: for an invalid ownership, PPA or acquisition (naming the entity).
        InputDataError: for a missing rate (naming currency and entity), an unknown entity or
            account, an unbalanced adjustment journal, or an opening with no translation.
        PermanentError: when an internal invariant (a TB that does not sum to zero) breaks.

    """
    chart = inputs.chart
    pres = inputs.presentation_currency
    validate_changes(inputs.entities)
    holdings = _holdings_at(inputs.entities, inputs.period)
    by_id = {e.id: e for e in inputs.entities}
    currencies = {e.id: e.currency for e in inputs.entities}
    consolidated = consolidated_entities(holdings)
    translated_entities = {e for e, h in holdings.items() if h.method in ("parent", "full", "equity")}
    for eid in sorted(translated_entities):
        for kind in ("closing", "average"):
            inputs.rates.rate(kind, currencies[eid], pres, entity=eid)
    balances, codes = _coded_balances(inputs.balances, by_id, translated_entities)
    push = push_down(
        inputs.entities,
        consolidated=consolidated,
        chart=chart,
        period=inputs.period,
        fiscal_year_start=inputs.fiscal_year_start,
    )
    translation = _translate(inputs, balances, codes, push, translated_entities)
    translated = translation.translated
    ent_codes, std_codes, book = translation.entity_codes, translation.std_codes, translation.book_codes
    assert ent_codes is not None and std_codes is not None and book is not None  # noqa: S101 (always set)

    validate_adjustments(inputs.adjustments, chart=chart, entities=by_id, presentation_currency=pres)
    group, adjustments, impairments = _group_of_period(inputs, holdings, consolidated, push)
    codes_out = (ent_codes, std_codes, book)
    closing = {e: inputs.rates.rate("closing", currencies[e], pres, entity=e) for e in translated_entities}
    period_rates = inputs.rates
    if inputs.dividends:
        period_rates = replace(period_rates, spot=spot_rates(inputs.dividends, currencies))
    kept = carried(inputs.entities, inputs.period, inputs.fiscal_year_start)
    carried_entries = tuple(carried_journal(sid, inputs.prior_disposals) for sid in kept)
    journals = (*carried_entries, *adjustments)
    view = _eliminate(group, translated, codes_out, period_rates, closing, journals)
    position = (translated, codes_out, closing, period_rates)
    disposal_lines = _disposal_lines(group, inputs, view, position, kept)
    prior_consolidated = inputs.prior_consolidated
    if prior_consolidated is None:
        prior_consolidated = _consolidated_openings(group, inputs, translated, codes_out, closing)
    movement = _movement(view.tb, prior_consolidated, chart, inputs.period, inputs.fiscal_year_start)
    out_translated = translated[[*TRANSLATED_COLUMNS, "book"]].reset_index(drop=True)
    return ConsolidationResult(
        translated=out_translated,
        journals=view.journals,
        worksheet=view.worksheet,
        consolidated=view.tb,
        consolidated_movement=movement,
        cta=translation.cta,
        ic_pairs=view.ic_pairs,
        nci=view.nci,
        goodwill=view.goodwill,
        ppa=push.carrying,
        steps=view.steps if view.steps is not None else _empty(STEP_COLUMNS),
        disposals=view.disposals if view.disposals is not None else _empty(DISPOSAL_COLUMNS),
        disposal_lines=disposal_lines,
        associates=view.associates if view.associates is not None else _empty(ASSOCIATE_COLUMNS),
        impairments=impairments,
    )


def _coded_balances(
    balances: pd.DataFrame, by_id: Mapping[EntityId, EntityConfig], translated_entities: set[EntityId]
) -> tuple[pd.DataFrame, dict[str, TextCodes]]:
    """Code the text columns once and keep the lines of the entities that are translated.

    Raises:
        InputDataError: for lines of an entity that is not in the group.

    """
    # Text columns become integer codes once; a group's TB can be millions of lines. Copy (and
    # normalize) only when a column has missing or non-text values, which its codes reveal.
    codes = {c: encode_text(balances[c]) for c in TEXT_COLUMNS}
    dirty = [c for c, tc in codes.items() if tc.missing or not all(isinstance(u, str) for u in tc.uniques)]
    if dirty:
        balances = normalize_text_columns(balances, dirty)
        codes.update({c: encode_text(balances[c]) for c in dirty})
    ent = codes["entity"]
    unknown = sorted(
        str(ent.uniques[k]) for k in ent.occurring([k for k, u in enumerate(ent.uniques) if u not in by_id])
    )
    if unknown:
        raise InputDataError(
            "trial balance lines for an entity that is not in the group", entity=unknown[0], field="entity"
        )
    keep = _of_entities(codes["entity"], translated_entities)
    if not keep.all():
        balances = balances[keep]
        codes = {c: tc.take(keep) for c, tc in codes.items()}
    return balances, codes


def _translate(
    inputs: ConsolidationInputs,
    balances: pd.DataFrame,
    codes: dict[str, TextCodes],
    push: PushDown,
    translated_entities: set[EntityId],
) -> Translation:
    """Translate the entities' lines with the pushed-down PPA lines appended (IAS 21.47).

    A pushed-down line new this period opens at the acquisition-date rate (``close.engine.ppa``); the
    prior translation is limited to the entities translated now.
    """
    pres = inputs.presentation_currency
    by_id = {e.id: e for e in inputs.entities}
    currencies = {e.id: e.currency for e in inputs.entities}
    lines, codes = balances, dict(codes)
    if not push.lines.empty:
        lines = pd.concat([balances[list(MAPPED_TB_COLUMNS)], push.lines], ignore_index=True)
        for c, tc in codes.items():
            pushed = encode_text(push.lines[c], uniques=tc.uniques)
            codes[c] = TextCodes(np.concatenate((tc.codes, pushed.codes)), pushed.uniques)
    acq_rates = {}
    for eid in push.uplift:
        acq = by_id[eid].acquisition
        acq_rates[eid] = ONE if currencies[eid] == pres else acq.rate  # type: ignore[union-attr]
    defaults = opening_rate_defaults(
        push,
        acquisition_rates={k: v for k, v in acq_rates.items() if v is not None},
        average_rates={e: inputs.rates.rate("average", currencies[e], pres, entity=e) for e in push.uplift},
        chart=inputs.chart,
    )
    prior = inputs.prior
    if prior is not None:
        keep_prior = _of_entities(encode_text(prior["entity"]), translated_entities)
        if not keep_prior.all():
            prior = prior[keep_prior]
    return translate_balances(
        lines,
        currencies=currencies,
        chart=inputs.chart,
        rates=inputs.rates,
        presentation_currency=pres,
        period=inputs.period,
        fiscal_year_start=inputs.fiscal_year_start,
        prior=prior,
        opening=_opening_for(inputs.opening, translated_entities),
        opening_rate_defaults=defaults,
        codes=codes,
        spot_portions=declaration_portions(
            inputs.dividends, period=inputs.period, chart=inputs.chart, currencies=currencies
        ),
    )


def _group_of_period(
    inputs: ConsolidationInputs,
    holdings: dict[EntityId, Holding],
    consolidated: frozenset[EntityId],
    push: PushDown,
) -> tuple[_Group, tuple[JournalEntry, ...], pd.DataFrame]:
    """Gather what the eliminations read, and set the goodwill impairments (IAS 36) apart.

    Returns:
        The group, the adjustments other than impairments, and the impairments so far.

    """
    pres = inputs.presentation_currency
    by_id = {e.id: e for e in inputs.entities}
    currencies = {e.id: e.currency for e in inputs.entities}
    group = _Group(
        inputs.chart, holdings, by_id, currencies, consolidated, pres, inputs.intercompany, push.uplift
    )
    steps = PeriodContext(
        inputs.period, inputs.fiscal_year_start, pres, inputs.prior_steps,
        opening_rates=inputs.rates.opening, prior_associates=inputs.prior_associates,
    )  # fmt: skip
    acquirees = frozenset(e for e in consolidated if by_id[e].acquisition is not None)
    adjustments, impairments = split_impairments(
        inputs.adjustments, inputs.chart, inputs.prior_impairments, period=inputs.period, acquirees=acquirees,
        currencies=currencies, presentation=pres,
        average={e: inputs.rates.rate("average", currencies[e], pres, entity=e) for e in acquirees},
    )  # fmt: skip
    group = replace(group, deferred_tax=push.deferred_tax, steps=steps, impairments=impairments)
    return group, adjustments, impairments


def _consolidated_openings(
    group: _Group,
    inputs: ConsolidationInputs,
    translated: pd.DataFrame,
    codes_out: tuple[TextCodes, TextCodes, TextCodes],
    closing: dict[EntityId, Decimal],
) -> pd.DataFrame:
    """Consolidate the translated openings when there is no prior run.

    The month's movement is then closing less opening on both sides of the eliminations.
    """
    opening_frame = translated.assign(translated=translated["translated"] - translated["translated_movement"])
    opening_rates, opening_closing = _opening_rates(
        inputs.rates, closing, group.currencies, inputs.presentation_currency
    )
    return _eliminate(
        _as_of_prior_month(group, inputs), opening_frame, codes_out, opening_rates, opening_closing, (),
        must_balance=False,
    ).tb


def _empty(columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame(columns=list(columns))


def _holdings_at(entities: tuple[EntityConfig, ...], period: Period) -> dict[EntityId, Holding]:
    """Return the holdings at the end of ``period``: ownership steps applied, earlier disposals out."""
    return compute_ownership(entities_after_disposals(entities_at(entities, period), period))


def _disposal_lines(
    group: _Group,
    inputs: ConsolidationInputs,
    view: _View,
    position: tuple[pd.DataFrame, tuple[TextCodes, ...], dict[EntityId, Decimal], PeriodRates],
    kept: tuple[EntityId, ...],
) -> pd.DataFrame:
    """Return the contribution of each subsidiary disposed of this fiscal year, to carry to next month.

    A subsidiary disposed of this month contributes the difference between the consolidated TB
    with it and without it; one disposed of earlier keeps the contribution the prior run carried.
    """
    frames = []
    if kept and inputs.prior_disposals is not None:
        frames.append(inputs.prior_disposals[inputs.prior_disposals["entity"].isin(kept)])
    translated, (ent, std, book), closing, period_rates = position
    accounts = group.chart.accounts
    balance_sheet = set(accounts.index[accounts["class"].isin(("asset", "liability"))])
    for sid in disposed_now(inputs.entities, inputs.period):
        without = dict(group.holdings)
        without[sid] = replace(without[sid], method="none")
        alone = replace(group, holdings=without, consolidated=group.consolidated - {sid})
        carried_ = tuple(j for j in view.journals if j.journal_id.startswith("DISPOSED:"))
        plain = tuple(j for j in view.journals if j.kind == "adjustment")
        other = _eliminate(alone, translated, (ent, std, book), period_rates, closing, (*carried_, *plain))
        frames.append(contribution(view.tb, other.tb, sid, inputs.period, balance_sheet))
    if not frames:
        return _empty(CONTRIBUTION_COLUMNS)
    return pd.concat(frames, ignore_index=True)[list(CONTRIBUTION_COLUMNS)]


def _as_of_prior_month(group: _Group, inputs: ConsolidationInputs) -> _Group:
    """Return the group as it stood at the end of the prior month (the first period's opening view).

    That is before this month's acquisitions, ownership steps, disposals and goodwill impairments.
    """
    prev = previous_period(inputs.period)
    holdings = _holdings_at(inputs.entities, prev)
    group = replace(group, holdings=holdings, consolidated=consolidated_entities(holdings))
    if group.steps is not None:
        group = replace(group, steps=replace(group.steps, period=prev))
    imp = group.impairments
    if imp is None or imp.empty:
        return group
    return replace(group, impairments=imp[imp["period"] < inputs.period])


@dataclass(frozen=True, slots=True)
class _Group:
    """What the eliminations need to know of the group, whatever the translated frame."""

    chart: Chart
    holdings: dict[EntityId, Holding]
    entities: dict[EntityId, EntityConfig]
    currencies: dict[EntityId, Currency]
    consolidated: frozenset[EntityId]
    presentation_currency: Currency
    intercompany: IntercompanySettings
    uplift: dict[EntityId, int]
    deferred_tax: dict[EntityId, int] = field(default_factory=dict)
    steps: PeriodContext | None = None  # the period of ownership steps
    impairments: pd.DataFrame | None = None  # close.engine.impairment.IMPAIRMENT_COLUMNS


@dataclass(frozen=True, slots=True)
class _View:
    """One translated position eliminated: its journals, worksheet and consolidated TB."""

    journals: tuple[JournalEntry, ...]
    worksheet: pd.DataFrame
    tb: pd.DataFrame
    ic_pairs: pd.DataFrame
    nci: pd.DataFrame
    goodwill: pd.DataFrame
    steps: pd.DataFrame | None = None
    disposals: pd.DataFrame | None = None
    associates: pd.DataFrame | None = None


def _eliminate(
    group: _Group,
    translated: pd.DataFrame,
    codes: tuple[TextCodes, TextCodes, TextCodes],
    rates: PeriodRates,
    closing: dict[EntityId, Decimal],
    adjustments: tuple[JournalEntry, ...],
    *,
    must_balance: bool = True,
) -> _View:
    """Eliminate a translated position: intercompany, investments and NCI, URP, PPA, adjustments.

    ``must_balance=False`` for an opening position built from an opening-balances file, which
    may not hold every balance-sheet line (its movement then shows what is missing).

    Raises:
        PermanentError: when the consolidated TB does not sum to zero (a bug in a rule).

    """
    ent_codes, std_codes, book = codes
    chart, pres = group.chart, group.presentation_currency
    ic = match_intercompany(
        translated,
        chart=chart,
        consolidated=group.consolidated,
        currencies=group.currencies,
        rates=rates,
        presentation_currency=pres,
        settings=group.intercompany,
    )
    div_income = ic.lines[
        (ic.lines["kind"] == "dividend") & ic.lines["std_account"].map(chart.accounts["class"]).eq("revenue")
    ]
    inv = eliminate_investments(
        translated,
        holdings=group.holdings,
        entities=group.entities,
        chart=chart,
        currencies=group.currencies,
        closing_rates=closing,
        presentation_currency=pres,
        dividend_income=div_income[["entity", "translated"]],
        uplift=group.uplift,
        entity_codes=ent_codes,
        std_codes=std_codes,
        deferred_tax=group.deferred_tax,
        step_context=group.steps,
        impairments=group.impairments,
    )
    urp = eliminate_unrealized_profit(
        translated,
        chart=chart,
        consolidated=group.consolidated,
        margins=dict(group.intercompany.inventory_margins),
        nci={e: h.nci for e, h in group.holdings.items()},
    )
    own = translated
    own_rows = _of_entities(ent_codes, group.consolidated)
    if not own_rows.all():
        own = translated[own_rows]
        ent_codes, std_codes, book = ent_codes.take(own_rows), std_codes.take(own_rows), book.take(own_rows)
    is_ppa = np.array([u == PPA_BOOK for u in book.uniques], dtype=bool)[book.codes]
    journals = (*ic.journals, *urp, *inv.journals, *_ppa_journals(own[is_ppa]), *adjustments)
    by_account = _sum_by_pair(ent_codes, std_codes, own["translated"].to_numpy(dtype=np.int64), ~is_ppa)
    worksheet = _worksheet(by_account, journals)
    tb = _sum_by_account(worksheet[worksheet["basis"] == "IFRS"])
    if must_balance and int(tb["amount"].sum()) != 0:
        raise PermanentError(f"the consolidated TB sums to {int(tb['amount'].sum())}, not zero")
    return _View(
        journals, worksheet, tb, ic.pairs, inv.nci, inv.goodwill, inv.steps, inv.disposals, inv.associates
    )


def _opening_rates(
    rates: PeriodRates, closing: dict[EntityId, Decimal], currencies: dict[EntityId, Currency], pres: Currency
) -> tuple[PeriodRates, dict[EntityId, Decimal]]:
    """Return the rates of the opening position: last month's closing where known, else this month's.

    They date the opening goodwill and widen the intercompany band; a currency with no prior
    closing keeps this month's rate (the opening position is then an estimate for that currency).
    """
    prior_closing = {**rates.closing, **rates.opening}
    opening_closing = {
        e: (rates.opening.get(currencies[e], r) if currencies[e] != pres else r) for e, r in closing.items()
    }
    return PeriodRates(closing=prior_closing, average=rates.average, opening=rates.opening), opening_closing


def _opening_for(opening: OpeningBalances | None, keep: set[str]) -> OpeningBalances | None:
    if opening is None:
        return None
    frame = opening.translated
    return OpeningBalances(
        translated=frame[frame["entity"].isin(keep)], historical_rates=opening.historical_rates
    )


def _of_entities(entity: TextCodes, keep: set[str] | frozenset[str]) -> np.ndarray:
    """Tell which rows belong to one of the ``keep`` entities."""
    return np.array([u in keep for u in entity.uniques], dtype=bool)[entity.codes]


def _sum_by_pair(
    entity: TextCodes | None, std: TextCodes, amounts: np.ndarray, rows: np.ndarray | None = None
) -> pd.DataFrame:
    """Sum amounts by (entity, std_account), or by std_account alone when ``entity`` is None.

    Returns:
        entity (when given), std_account, amount (int64) for every pair that has a row.

    """
    width = len(std.uniques)
    pair = std.codes if entity is None else entity.codes * width + std.codes
    if rows is not None:
        pair, amounts = pair[rows], amounts[rows]
    space = width if entity is None else width * len(entity.uniques)
    if space <= 4 * len(pair) + 4096:
        # Dense: one slot per possible pair (entities × accounts is far below the line count).
        sums = sum_by_code(pair, amounts, space)
        uniq = np.flatnonzero(np.bincount(pair, minlength=space))
        sums = sums[uniq]
    else:
        uniq, inverse = np.unique(pair, return_inverse=True)
        sums = sum_by_code(inverse, amounts, len(uniq))
    frame = {"std_account": pd.Series(std.uniques[uniq % width], dtype=object), "amount": sums}
    if entity is not None:
        frame = {"entity": pd.Series(entity.uniques[uniq // width], dtype=object), **frame}
    return pd.DataFrame(frame)


def _ppa_journals(rows: pd.DataFrame) -> list[JournalEntry]:
    """One journal per acquiree: its translated PPA push-down lines and their CTA."""
    out = []
    for eid, grp in rows.groupby("entity", sort=True):
        lines = [
            JournalLine(
                r.entity,
                r.std_account,
                int(r.translated),
                r.counterparty,
                f"PPA {r.account or 'CTA'} at {r.rate_type} rate {r.rate}".strip(),
                f"rule PPA {r.entity}/{r.account or 'CTA'}",
            )
            for r in grp.itertuples(index=False)
        ]
        entry = balanced_entry(f"PPA:{eid}", "ppa", f"purchase price allocation of {eid}", lines)
        if entry is not None:
            out.append(entry)
    return out


def build_worksheet(translated: pd.DataFrame, journals: tuple[JournalEntry, ...]) -> pd.DataFrame:
    """Build the consolidating worksheet: amounts by entity, account, column and basis.

    Args:
        translated: the consolidated entities' translated lines (PPA push-down rows are taken
            from the PPA journals instead).
        journals: every journal of the period.

    Returns:
        ``WORKSHEET_COLUMNS``, entity ``""`` for group-level journal lines.

    """
    own = translated[translated["book"] != PPA_BOOK]
    t = own.groupby(["entity", "std_account"], sort=False, as_index=False)["translated"].sum()
    return _worksheet(t.rename(columns={"translated": "amount"}), journals)


def _worksheet(by_account: pd.DataFrame, journals: tuple[JournalEntry, ...]) -> pd.DataFrame:
    """Build the worksheet from the translated lines summed by (entity, std_account) and the journals."""
    # Plain Python over the journal lines (thousands at most): a pandas group-by per period
    # costs more in overhead than the sums themselves.
    sums: dict[tuple[str, str, str, str], int] = {}
    for j in journals:
        column = WORKSHEET_COLUMN[j.kind]
        for ln in j.lines:
            key = (column, ln.entity, ln.std_account, j.basis)
            sums[key] = sums.get(key, 0) + ln.amount
    translated = zip(
        by_account["entity"].tolist(),
        by_account["std_account"].tolist(),
        by_account["amount"].tolist(),
        strict=True,
    )
    rows = [("translated", e, s, "IFRS", a) for e, s, a in translated if a != 0]
    rows += [(*key, amount) for key, amount in sums.items() if amount != 0]
    rows.sort(key=lambda r: r[:3])  # stable: a key's IFRS and US GAAP rows keep their order
    return frame_from_rows([(e, s, c, b, a) for c, e, s, b, a in rows], WORKSHEET_COLUMNS, ints=("amount",))


def _sum_by_account(ws: pd.DataFrame) -> pd.DataFrame:
    """Sum amounts by standard account: std_account (sorted), amount (int64), zero sums left out."""
    sums: dict[str, int] = {}
    for code, amount in zip(ws["std_account"].tolist(), ws["amount"].tolist(), strict=True):
        sums[code] = sums.get(code, 0) + amount
    return frame_from_rows(
        [(code, sums[code]) for code in sorted(sums) if sums[code] != 0],
        ("std_account", "amount"),
        ints=("amount",),
    )


def consolidated_on_basis(result: ConsolidationResult, basis: str) -> pd.DataFrame:
    """Return the consolidated TB on a basis: ``IFRS`` or ``US_GAAP`` (IFRS plus the GAAP journals).

    Raises:
        ValueError: for another basis.

    """
    if basis == "IFRS":
        return result.consolidated
    if basis != "US_GAAP":
        raise ValueError(f"unknown basis {basis!r}: IFRS | US_GAAP")
    return _sum_by_account(result.worksheet)


def _movement(
    consolidated: pd.DataFrame, prior: pd.DataFrame, chart: Chart, period: Period, fiscal_year_start: int
) -> pd.DataFrame:
    """Return this month's consolidated movement: closing less the prior closing.

    At the fiscal-year start the prior year's result and dividends are rolled into retained
    earnings first, so the roll itself is not a movement of the month.
    """
    p = prior[["std_account", "amount"]].copy()
    if parse_period(period)[1] == fiscal_year_start:
        acc = chart.accounts
        flows = p["std_account"].map(acc["class"]).isin(INCOME_STATEMENT_CLASSES) | p["std_account"].eq(
            chart.by_role(SystemRole.DIVIDENDS)
        )
        roll = int(p.loc[flows, "amount"].sum())
        p = pd.concat(
            [
                p[~flows],
                pd.DataFrame(
                    {"std_account": [chart.by_role(SystemRole.RETAINED_EARNINGS)], "amount": [roll]}
                ),
            ],
            ignore_index=True,
        )
    both = pd.concat(
        [consolidated.assign(amount=consolidated["amount"]), p.assign(amount=-p["amount"].astype(np.int64))],
        ignore_index=True,
    )
    return _sum_by_account(both)


def trace_account(result: ConsolidationResult, code: AccountCode) -> pd.DataFrame:
    """Return everything behind one consolidated account: entity lines, rates and journal lines.

    Args:
        result: a consolidation result.
        code: the standard account.

    Returns:
        ``TRACE_COLUMNS``; the IFRS rows sum to the account's consolidated amount.

    """
    consolidated_entities_ = set(result.worksheet.loc[result.worksheet["column"] == "translated", "entity"])
    tr = result.translated
    tr = tr[
        (tr["std_account"] == code) & tr["entity"].isin(consolidated_entities_) & (tr["book"] != PPA_BOOK)
    ]
    tr = normalize_text_columns(tr, ("entity", "account", "counterparty", "rate", "rate_type"))
    a = pd.DataFrame(
        {
            "source_type": "translated",
            "entity": tr["entity"],
            "account": tr["account"],
            "counterparty": tr["counterparty"],
            "journal_id": "",
            "rate": tr["rate"],
            "rate_type": tr["rate_type"],
            "local_closing": tr["local_closing"],
            "amount": tr["translated"],
            "memo": "",
            "source": "TB " + tr["entity"] + "/" + tr["account"] + "/" + tr["counterparty"],
        }
    )
    jl = journal_lines_frame(result.journals)
    jl = jl[(jl["std_account"] == code) & (jl["basis"] == "IFRS")]
    b = pd.DataFrame(
        {
            "source_type": jl["kind"],
            "entity": jl["entity"],
            "account": "",
            "counterparty": jl["counterparty"],
            "journal_id": jl["journal_id"],
            "rate": "",
            "rate_type": "",
            "local_closing": 0,
            "amount": jl["amount"],
            "memo": jl["memo"],
            "source": jl["source"],
        }
    )
    out = pd.concat([a, b], ignore_index=True)
    out["amount"] = out["amount"].astype(np.int64)
    out["local_closing"] = out["local_closing"].astype(np.int64)
    return out[list(TRACE_COLUMNS)]


__all__ = [
    "ConsolidationInputs",
    "ConsolidationResult",
    "consolidate",
    "consolidated_on_basis",
    "build_worksheet",
    "trace_account",
]
