"""Investment elimination, goodwill and non-controlling interests (IFRS 3, IFRS 10, IAS 28).

For every fully consolidated subsidiary S held by P (carried at cost in P's books, system role
``investment_in_subsidiaries``, counterparty S), with the top parent's effective interests
``e_P`` in P and ``e_S`` in S:

* at acquisition — P's investment is eliminated against S's equity at acquisition (its share
  capital lines and the rest of ``equity_at_acquisition`` from retained earnings, both at the
  acquisition-date rate) and the fair-value uplift pushed down by the PPA. Goodwill (IFRS 3.32,
  the indirect method for multi-level groups) is ``e_P × investment + NCI at acquisition − fair
  value of net assets``, with NCI at its proportionate share ``(1 − e_S) × net assets`` or at
  fair value (full goodwill). The NCI of P bears ``(1 − e_P)`` of the investment it eliminates.
  Goodwill is fixed in S's currency and translated at the closing rate, the difference to CTA
  (IAS 21.47). A subsidiary founded by its parent (no acquisition) is eliminated against its
  share capital at the historical rate with no goodwill;
* after acquisition — the NCI takes ``(1 − e_S)`` of the change in S's translated net assets
  (fair values included): of its profit (after intragroup dividends, shown on the NCI profit
  line), of its CTA (moved from CTA to NCI), of its dividends (direct minority) and of the rest
  of its reserves.

Example (IFRS 3 IE, proportionate): P pays 800 for 80% of S whose net assets at fair value are
900: NCI = 20% × 900 = 180, goodwill = 800 + 180 − 900 = 80.

In a multi-level group the NCI of an intermediate parent P bears ``(1 − e_P)`` of the investment
it eliminates: the indirect holding adjustment, deducted from P's own NCI (the ACCA/CIMA
workings). Each subsidiary's NCI row splits its NCI % into the direct minority and the indirect
one (see ``NCI_COLUMNS``).

Associates (``equity``): ``close.engine.associates``. Later changes: ownership steps
(``close.engine.ownership_changes``), disposals (``close.engine.disposal``), goodwill impairments
(``close.engine.impairment``); deferred tax on the PPA uplift is in ``close.engine.ppa``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd

from close.config import EntityConfig
from close.engine._kernels import TextCodes, encode_text, sum_by_code
from close.engine.associates import (
    ASSOCIATE_COLUMNS,
    Rates,
    associate_figures,
    associates_frame,
    equity_method_journal,
    rates_for,
    require_investment,
    roll_forward,
)
from close.engine.chart import INCOME_STATEMENT_CLASSES, Chart, SystemRole
from close.engine.disposal import (
    DISPOSAL_COLUMNS,
    DisposalInputs,
    disposal_journal,
    disposal_month,
    disposals_frame,
)
from close.engine.frames import frame_from_rows
from close.engine.fx import _EXACT, _exponent_shift_rate, _round_decimal, translate_amount
from close.engine.impairment import totals as impairment_totals
from close.engine.journals import JournalEntry, JournalLine, balanced_entry
from close.engine.money import ONE, ZERO, exponent, to_minor
from close.engine.ownership import Holding
from close.engine.ownership_changes import (
    STEP_COLUMNS,
    NciState,
    PeriodContext,
    StepFigures,
    figures_frame,
    nci_journal,
    nci_parts,
    step_considerations,
    stepped_nci,
    steps_by,
)
from close.engine.periods import fiscal_year_first
from close.engine.types import Currency, EntityId
from close.errors import ConfigError, InputDataError

# Per subsidiary: total NCI % (direct + indirect), NCI in net assets (after the indirect holding
# adjustment of its own investments), in profit and in CTA; the direct and indirect split.
NCI_COLUMNS: tuple[str, ...] = (
    "entity", "nci_pct", "equity", "profit", "cta", "direct_pct", "indirect_pct", "indirect_adjustment",
)
NCI_INTS: tuple[str, ...] = ("equity", "profit", "cta", "indirect_adjustment")
GOODWILL_COLUMNS: tuple[str, ...] = ("entity", "local", "translated", "at_acquisition", "cta", "impairment")


@dataclass(frozen=True, slots=True)
class InvestmentResult:
    """Journals (investment, NCI, equity method) and the NCI and goodwill reports."""

    journals: tuple[JournalEntry, ...]
    nci: pd.DataFrame
    goodwill: pd.DataFrame
    steps: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(STEP_COLUMNS)))
    disposals: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(DISPOSAL_COLUMNS)))
    associates: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(ASSOCIATE_COLUMNS)))


def _share(fraction: Decimal, amount: int) -> int:
    return _round_decimal(_EXACT.multiply(fraction, Decimal(amount)))


_Line = tuple[str, str, str, str, int]  # entity, account, std_account, counterparty, translated


def _rows(frame: pd.DataFrame) -> list[_Line]:
    return list(
        zip(
            frame["entity"],
            frame["account"],
            frame["std_account"],
            frame["counterparty"],
            (int(v) for v in frame["translated"]),
            strict=True,
        )
    )


def _lines_of(rows: list[_Line] | None, sign: int, memo: str) -> list[JournalLine]:
    return [JournalLine(e, s, sign * t, c, memo, f"TB {e}/{a}/{c}") for e, a, s, c, t in rows or () if t != 0]


def eliminate_investments(
    translated: pd.DataFrame,
    *,
    holdings: Mapping[EntityId, Holding],
    entities: Mapping[EntityId, EntityConfig],
    chart: Chart,
    currencies: Mapping[EntityId, Currency],
    closing_rates: Mapping[EntityId, Decimal],
    presentation_currency: Currency,
    dividend_income: pd.DataFrame,
    uplift: Mapping[EntityId, int],
    entity_codes: TextCodes | None = None,
    std_codes: TextCodes | None = None,
    deferred_tax: Mapping[EntityId, int] | None = None,
    step_context: PeriodContext | None = None,
    impairments: pd.DataFrame | None = None,
) -> InvestmentResult:
    """Eliminate investments, recognise goodwill and attribute NCI; pick up associates.

    The steps, each a function below: the chart's accounts → each entity's translated totals →
    per holding, its equity and fair value at acquisition (IFRS 3.18) → for an associate, the
    equity method (IAS 28.10) → for a subsidiary, its investment carried by the parent → the
    elimination against equity at acquisition with goodwill (IFRS 10.B86(b), IFRS 3.32) → the
    NCI after acquisition (IFRS 10.B94) → disposals (IFRS 10.25).

    Args:
        translated: every entity's translated lines (``close.engine.fx.TRANSLATED_COLUMNS``).
        holdings: effective interests and methods (``close.engine.ownership.compute_ownership``).
        entities: entity configs by id (acquisition data).
        chart: the standard chart.
        currencies: functional currency by entity.
        closing_rates: the period's closing rate by entity (presentation per functional unit).
        presentation_currency: the group's presentation currency.
        dividend_income: translated lines of intragroup dividend income (entity, translated).
        uplift: the PPA fair-value uplift per acquiree net of its deferred tax, local minor units.
        entity_codes: ``translated``'s entity column as codes (``close.engine.fx.encode_text``), if known.
        std_codes: its std_account column as codes, if known.
        deferred_tax: the deferred tax liability on each acquiree's uplift at acquisition (local).
        step_context: the period, for later changes in ownership (``close.engine.ownership_changes``).
        impairments: goodwill impairments booked so far (``close.engine.impairment.IMPAIRMENT_COLUMNS``).

    Returns:
        The journals and the NCI and goodwill reports.

    Raises:
        ConfigError: for an acquisition that lacks what goodwill needs (rate, equity).
        InputDataError: when a parent carries no investment in its subsidiary.

    """
    roles = _roles(chart, entities, impairments)
    group = _Group(
        translated=translated,
        holdings=holdings,
        entities=entities,
        chart=chart,
        currencies=currencies,
        closing_rates=closing_rates,
        presentation=presentation_currency,
        uplift=uplift,
        deferred_tax=deferred_tax or {},
        step_context=step_context,
        impairments=impairments,
        roles=roles,
        totals=_entity_totals(translated, chart, roles, entity_codes, std_codes),
        dividends_received=(
            dividend_income.groupby("entity")["translated"].sum().to_dict() if len(dividend_income) else {}
        ),
        from_associates=_dividends_from_associates(translated, holdings, chart),
        fiscal_year_first=(
            fiscal_year_first(step_context.period, step_context.fiscal_year_start) if step_context else ""
        ),
    )
    journals: list[JournalEntry] = []
    nci_rows: list[tuple] = []
    goodwill_rows: list[tuple] = []
    step_rows: list[StepFigures] = []
    associate_rows: list[tuple] = []
    indirect: dict[EntityId, int] = {}  # intermediate parent → the indirect holding adjustment
    disposing: dict[EntityId, int] = {}  # subsidiary disposed of this month → its cost
    for sid, holding in holdings.items():
        if holding.method not in ("full", "equity") or holding.parent is None:
            continue
        at_acquisition = _at_acquisition(sid, group)
        if holding.method == "equity":
            entry, row = _associate(sid, holding, at_acquisition, group)
            journals.extend([entry] if entry is not None else [])
            associate_rows.append(row)
            continue
        outcome = _consolidate_subsidiary(sid, holding, at_acquisition, group)
        journals.extend(outcome.journals)
        goodwill_rows.append(outcome.goodwill_row)
        nci_rows.append(outcome.nci_row)
        step_rows.extend(outcome.steps)
        indirect[holding.parent] = indirect.get(holding.parent, 0) + outcome.indirect_adjustment
        if outcome.disposed_cost is not None:
            disposing[sid] = outcome.disposed_cost
    nci = frame_from_rows(_nci_split(nci_rows, holdings, indirect), NCI_COLUMNS, ints=NCI_INTS)
    goodwill = frame_from_rows(goodwill_rows, GOODWILL_COLUMNS, ints=GOODWILL_COLUMNS[1:])
    disposal_entries, disposal_rows = _disposals(disposing, nci, goodwill, group)
    return InvestmentResult(
        journals=(*journals, *disposal_entries),
        nci=nci,
        goodwill=goodwill,
        steps=figures_frame(step_rows),
        disposals=disposals_frame(disposal_rows),
        associates=associates_frame(associate_rows),
    )


@dataclass(frozen=True, slots=True)
class _Roles:
    """The chart's accounts the elimination reads and books to."""

    investment: str  # investment in subsidiaries
    associates: str  # investment in associates
    goodwill: str
    cta: str
    retained_earnings: str
    nci: str  # NCI in equity
    dividends: str
    impairment: str  # goodwill impairment loss ("" when nothing is impaired)
    disposal: str  # result on disposal ("" when nothing is disposed of)
    journals: dict[str, str]  # the codes the NCI, ownership-step and disposal journals book to


def _roles(
    chart: Chart, entities: Mapping[EntityId, EntityConfig], impairments: pd.DataFrame | None
) -> _Roles:
    """Look up the system accounts once; the optional ones only when the group needs them."""
    nci_code = chart.by_role(SystemRole.NCI_EQUITY)
    cta_code = chart.by_role(SystemRole.CTA)
    inv_code = chart.by_role(SystemRole.INVESTMENT_IN_SUBSIDIARIES)
    re_code = chart.by_role(SystemRole.RETAINED_EARNINGS)
    div_code = chart.by_role(SystemRole.DIVIDENDS)
    journals = {"inv": inv_code, "nci": nci_code, "nci_profit": chart.by_role(SystemRole.NCI_PROFIT),
                "cta": cta_code, "div": div_code, "re": re_code}  # fmt: skip
    if any(e.acquisition and e.acquisition.steps for e in entities.values()):
        journals["equity"] = chart.by_role(SystemRole.TRANSACTIONS_WITH_NCI)
    impaired = impairments is not None and len(impairments)
    disposes = any(e.disposal for e in entities.values())
    return _Roles(
        investment=inv_code,
        associates=chart.by_role(SystemRole.INVESTMENT_IN_ASSOCIATES),
        goodwill=chart.by_role(SystemRole.GOODWILL),
        cta=cta_code,
        retained_earnings=re_code,
        nci=nci_code,
        dividends=div_code,
        impairment=chart.by_role(SystemRole.GOODWILL_IMPAIRMENT) if impaired else "",
        disposal=chart.by_role(SystemRole.DISPOSAL_RESULT) if disposes else "",
        journals=journals,
    )


# Which per-entity totals a line counts in, as bits of one code (a line may count in several).
_TOTAL_BITS = {"equity_and_profit": 1, "profit": 2, "cta": 4, "share_capital": 8, "dividends": 16}


@dataclass(frozen=True, slots=True)
class _EntityTotals:
    """Each entity's translated totals, and the few lines the elimination books line by line."""

    by_column: dict[str, dict[EntityId, int]]  # _TOTAL_BITS column → entity → translated total
    investments: dict[tuple[EntityId, EntityId], list[_Line]]  # (holder, investee) → investment lines
    share_capital: dict[EntityId, list[_Line]]  # entity → its share-capital lines

    def of(self, entity: EntityId, column: str) -> int:
        """Return one entity's total of a ``_TOTAL_BITS`` column (0 without lines)."""
        return int(self.by_column[column].get(entity, 0))


def _entity_totals(
    translated: pd.DataFrame,
    chart: Chart,
    roles: _Roles,
    entity_codes: TextCodes | None,
    std_codes: TextCodes | None,
) -> _EntityTotals:
    """Sum every entity's equity and profit, profit, CTA, share capital and dividends in one pass.

    Equity and profit together are minus the entity's net assets (its TB sums to zero).
    """
    accounts = chart.accounts
    # Account attributes once per distinct account, spread by code (millions of lines).
    std = std_codes or encode_text(translated["std_account"])
    class_of, subclass_of = accounts["class"].to_dict(), accounts["subclass"].to_dict()
    equity_and_profit = ("equity", *INCOME_STATEMENT_CLASSES)
    account_bits = np.array(
        [
            (_TOTAL_BITS["equity_and_profit"] if class_of.get(u) in equity_and_profit else 0)
            | (_TOTAL_BITS["profit"] if class_of.get(u) in INCOME_STATEMENT_CLASSES else 0)
            | (_TOTAL_BITS["share_capital"] if subclass_of.get(u) == "share_capital" else 0)
            | (_TOTAL_BITS["dividends"] if u == roles.dividends else 0)
            for u in std.uniques
        ],
        dtype=np.int64,
    )
    line_bits = account_bits[std.codes]
    # CTA plug rows are on the CTA account: compare the rate type of those few rows only.
    on_cta = np.flatnonzero(np.array([u == roles.cta for u in std.uniques], dtype=bool)[std.codes])
    plug_rows = on_cta[translated["rate_type"].iloc[on_cta].to_numpy(dtype=object) == "cta"]
    line_bits[plug_rows] |= _TOTAL_BITS["cta"]
    is_investment = np.array([u in (roles.investment, roles.associates) for u in std.uniques], dtype=bool)
    is_share_capital = (line_bits & _TOTAL_BITS["share_capital"]) != 0
    amounts = translated["translated"].to_numpy(dtype=np.int64)
    entity = entity_codes or encode_text(translated["entity"])
    n_ent = len(entity.uniques)
    # One pass over the lines: sums by (entity, bits), then each total adds the bit patterns it counts.
    by_bits = sum_by_code(entity.codes * 32 + line_bits, amounts, 32 * n_ent).reshape(n_ent, 32)
    patterns = np.arange(32)
    by_column = {
        column: dict(zip(entity.uniques, by_bits[:, (patterns & bit) != 0].sum(axis=1).tolist(), strict=True))
        for column, bit in _TOTAL_BITS.items()
    }
    # Plain Python over the few investment and share-capital lines: one pandas call per
    # subsidiary would dominate a group of a thousand entities.
    investments: dict[tuple[str, str], list[_Line]] = {}
    for row in _rows(translated[is_investment[std.codes]]):
        investments.setdefault((row[0], row[3]), []).append(row)
    share_capital: dict[str, list[_Line]] = {}
    for row in _rows(translated[is_share_capital]):
        share_capital.setdefault(row[0], []).append(row)
    return _EntityTotals(by_column, investments, share_capital)


@dataclass(frozen=True, slots=True)
class _Group:
    """What every holding's elimination reads."""

    translated: pd.DataFrame
    holdings: Mapping[EntityId, Holding]
    entities: Mapping[EntityId, EntityConfig]
    chart: Chart
    currencies: Mapping[EntityId, Currency]
    closing_rates: Mapping[EntityId, Decimal]
    presentation: Currency
    uplift: Mapping[EntityId, int]  # PPA uplift net of deferred tax, local minor units
    deferred_tax: Mapping[EntityId, int]  # deferred tax on the uplift at acquisition, local
    step_context: PeriodContext | None
    impairments: pd.DataFrame | None
    roles: _Roles
    totals: _EntityTotals
    dividends_received: dict[EntityId, int]  # intragroup dividend income, translated
    from_associates: dict[tuple[EntityId, EntityId], list[_Line]]  # dividends from associates
    fiscal_year_first: str  # the period opening the fiscal year ("" without a context)


@dataclass(frozen=True, slots=True)
class _AtAcquisition:
    """A holding's equity at acquisition, translated at the acquisition-date rate."""

    rate: Decimal | None  # the acquisition-date rate (None for a subsidiary founded by its parent)
    equity: int  # book equity at acquisition
    uplift: int  # the PPA fair-value uplift, net of its deferred tax

    @property
    def fair_value(self) -> int:
        """The fair value of the net assets acquired (IFRS 3.18)."""
        return self.equity + self.uplift


def _at_acquisition(sid: EntityId, group: _Group) -> _AtAcquisition:
    """Translate equity and uplift at acquisition at the acquisition-date rate (IAS 21.47-48).

    A subsidiary founded by its parent was never acquired: its equity at acquisition is its
    share capital (at the historical rate, as translated), with no uplift.

    Raises:
        ConfigError: when the acquisition has no rate, or neither equity nor net assets.

    """
    acq = group.entities[sid].acquisition
    ccy, presentation = group.currencies[sid], group.presentation
    if acq is None:
        return _AtAcquisition(None, -group.totals.of(sid, "share_capital"), 0)
    rate = ONE if ccy == presentation else acq.rate
    if rate is None:
        raise ConfigError(
            f"entity {sid}: the acquisition needs the rate on its date",
            key=f"entities[{sid}].acquisition.rate",
            expected=f"presentation units per {ccy}, as a quoted number",
        )
    book = acq.equity_at_acquisition
    if book is None:
        if acq.net_assets_fair_value is None:
            raise ConfigError(
                f"entity {sid}: the acquisition needs its equity or net assets",
                key=f"entities[{sid}].acquisition.equity_at_acquisition",
                expected="a quoted amount in the acquiree's currency",
            )
        gross = group.uplift.get(sid, 0) + group.deferred_tax.get(sid, 0)
        book = acq.net_assets_fair_value - Decimal(gross).scaleb(-exponent(ccy))
    return _AtAcquisition(
        rate,
        translate_amount(to_minor(book, ccy), rate, ccy, presentation),
        translate_amount(group.uplift.get(sid, 0), rate, ccy, presentation),
    )


def _associate(
    sid: EntityId, holding: Holding, at_acquisition: _AtAcquisition, group: _Group
) -> tuple[JournalEntry | None, tuple]:
    """Account for an associate by the equity method (IAS 28.10): ``close.engine.associates``."""
    ctx = group.step_context
    return _equity_method(
        sid, holding, group.translated, group.chart, group.totals.investments.get((holding.parent, sid), []),
        group.from_associates.get((holding.parent, sid), []),
        (-group.totals.of(sid, "equity_and_profit"), at_acquisition.fair_value),
        rates_for(group.currencies[sid], group.presentation, at_acquisition.rate, group.closing_rates[sid],
                  ctx.opening_rates if ctx else {}),
        ctx.prior_associates if ctx else None,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class _SubsidiaryOutcome:
    """What consolidating one subsidiary adds to the group's journals and reports."""

    journals: tuple[JournalEntry, ...]  # the elimination, then the NCI or ownership-step journals
    goodwill_row: tuple  # GOODWILL_COLUMNS
    nci_row: tuple  # NCI_COLUMNS up to ``cta``
    steps: tuple[StepFigures, ...]  # ownership steps this month
    indirect_adjustment: int  # the parent's NCI share of the investment (multi-level groups)
    disposed_cost: int | None  # the investment's cost when the subsidiary is disposed of this month


def _consolidate_subsidiary(
    sid: EntityId, holding: Holding, at_acquisition: _AtAcquisition, group: _Group
) -> _SubsidiaryOutcome:
    """Eliminate the parent's investment in a subsidiary and attribute the subsidiary's NCI."""
    parent = holding.parent
    assert parent is not None  # noqa: S101 (the caller skips the top parent)
    cfg, ctx = group.entities[sid], group.step_context
    investment, disposed_cost = _carried_investment(sid, parent, group)
    # Later steps' consideration sits on the investment too; their own journals take it out.
    later = sum(step_considerations(cfg, ctx).values()) if ctx else 0
    investment_total = sum(row[4] for row in investment) - later
    parent_share = _share(holding.parent_effective, investment_total)
    lines = _lines_of(investment, -1, f"investment in {sid} eliminated")
    if later:
        memo = f"consideration of the steps in {sid}"
        lines.append(JournalLine(parent, group.roles.investment, later, sid, memo, f"rule IFRS 10.23 {sid}"))
    stepped = ctx is not None and bool(steps_by(cfg, ctx.period))
    lines += _lines_of(group.totals.share_capital.get(sid), -1, f"share capital of {sid} at acquisition")
    # A stepped subsidiary of the top parent: its NCI at acquisition is at the share then.
    nci_pct = ONE - (cfg.ownership if stepped else holding.effective)
    indirect_adjustment = investment_total - parent_share
    if cfg.acquisition is None:
        elimination = _eliminate_founded(
            sid, parent, nci_pct, at_acquisition, indirect_adjustment, lines, group
        )
    else:
        elimination = _eliminate_acquired(
            sid, parent, nci_pct, parent_share, at_acquisition, indirect_adjustment, lines, group
        )
    entry = balanced_entry(
        f"INV:{parent}:{sid}", "investment", f"eliminate {parent}'s investment in {sid}", elimination.lines
    )
    goodwill = elimination.goodwill
    goodwill_row = (sid, goodwill.local, goodwill.closing, elimination.goodwill_at_acquisition, goodwill.cta,
                    goodwill.impaired)  # fmt: skip
    nci_code = group.roles.nci
    nci_at_acquisition = -sum(
        ln.amount for ln in elimination.lines if ln.std_account == nci_code and ln.entity == sid
    )
    nci_journals, nci_row, steps = _nci_after_acquisition(
        sid, holding, nci_pct, stepped, at_acquisition, elimination, nci_at_acquisition, group
    )
    return _SubsidiaryOutcome(
        journals=(*((entry,) if entry is not None else ()), *nci_journals),
        goodwill_row=goodwill_row,
        nci_row=nci_row,
        steps=steps,
        indirect_adjustment=indirect_adjustment,
        disposed_cost=disposed_cost,
    )


def _carried_investment(sid: EntityId, parent: EntityId, group: _Group) -> tuple[list[_Line], int | None]:
    """Return the parent's investment lines in the subsidiary, and its cost when disposed of now.

    Raises:
        InputDataError: when the parent carries no investment in the subsidiary.

    """
    cfg, ctx, inv_code = group.entities[sid], group.step_context, group.roles.investment
    investment = [row for row in group.totals.investments.get((parent, sid), ()) if row[2] == inv_code]
    disposed_cost = None
    if ctx is not None and disposal_month(cfg) == ctx.period:
        capital = -group.totals.of(sid, "share_capital")
        investment = _disposed_investment(sid, parent, cfg, investment, inv_code, capital, group.presentation)
        disposed_cost = investment[0][4]
    if not investment:
        raise InputDataError(
            f"parent {parent} carries no investment in subsidiary {sid} "
            f"(account with role investment_in_subsidiaries, counterparty {sid})",
            entity=parent,
            account=inv_code,
            field="counterparty",
        )
    return investment, disposed_cost


@dataclass(frozen=True, slots=True)
class _Elimination:
    """The investment eliminated against equity at acquisition."""

    lines: list[JournalLine]  # the elimination journal's lines
    nci_at_acquisition: int  # translated, at the acquisition-date rate
    goodwill_at_acquisition: int  # translated, at the acquisition-date rate
    goodwill: _Goodwill  # goodwill now: local, closing, CTA, impairments (all zero without any)


def _eliminate_founded(
    sid: EntityId,
    parent: EntityId,
    nci_pct: Decimal,
    at_acquisition: _AtAcquisition,
    indirect_adjustment: int,
    lines: list[JournalLine],
    group: _Group,
) -> _Elimination:
    """Eliminate a subsidiary its parent founded against its share capital, with no goodwill.

    The NCI at foundation is its share of the net assets (IFRS 10.B94 from the start); any
    difference between the investment and the share capital is a reserve, not goodwill.
    """
    roles = group.roles
    nci_acq = _share(nci_pct, at_acquisition.fair_value)
    lines.append(JournalLine(sid, roles.nci, -nci_acq, "", "NCI at foundation", f"rule NCI {sid}"))
    lines += _indirect_holding_adjustment(parent, sid, indirect_adjustment, roles.nci)
    difference = -(sum(ln.amount for ln in lines))
    memo = "difference between investment and share capital"
    lines.append(JournalLine(sid, roles.retained_earnings, difference, "", memo, f"rule investment {sid}"))
    return _Elimination(lines, nci_acq, 0, _Goodwill([], 0, 0, 0, 0, 0))


def _eliminate_acquired(
    sid: EntityId,
    parent: EntityId,
    nci_pct: Decimal,
    parent_share: int,
    at_acquisition: _AtAcquisition,
    indirect_adjustment: int,
    lines: list[JournalLine],
    group: _Group,
) -> _Elimination:
    """Eliminate an acquired subsidiary against its equity at acquisition; recognise goodwill.

    Goodwill (IFRS 3.32) = the parent's share of the consideration + NCI at acquisition − the
    fair value of the net assets acquired; NCI at its proportionate share of those net assets or
    at its fair value (IFRS 3.19, full goodwill). Goodwill is an asset of the acquiree, translated
    at the closing rate (IAS 21.47).

    Raises:
        ConfigError: for full goodwill without the NCI's fair value.

    """
    acq = group.entities[sid].acquisition
    assert acq is not None and at_acquisition.rate is not None  # noqa: S101 (an acquired subsidiary)
    roles, ccy, presentation = group.roles, group.currencies[sid], group.presentation
    if acq.nci_method == "full":
        if acq.nci_fair_value is None:
            raise ConfigError(
                f"entity {sid}: full goodwill needs the NCI's fair value",
                key=f"entities[{sid}].acquisition.nci_fair_value",
            )
        nci_acq = translate_amount(to_minor(acq.nci_fair_value, ccy), at_acquisition.rate, ccy, presentation)
    else:
        nci_acq = _share(nci_pct, at_acquisition.fair_value)
    goodwill_acq = parent_share + nci_acq - at_acquisition.fair_value
    lines.append(JournalLine(sid, roles.retained_earnings,
                             at_acquisition.equity + group.totals.of(sid, "share_capital"), "",
                             f"pre-acquisition reserves of {sid}",
                             f"config entities[{sid}].acquisition.equity_at_acquisition"))  # fmt: skip
    if at_acquisition.uplift:
        memo = f"fair-value uplift of {sid}"
        source = f"config entities[{sid}].acquisition"
        lines.append(JournalLine(sid, roles.retained_earnings, at_acquisition.uplift, "#ppa", memo, source))
    goodwill = _goodwill(
        sid, goodwill_acq, _exponent_shift_rate(at_acquisition.rate, ccy, presentation),
        impairment_totals(group.impairments, sid, group.fiscal_year_first), group.closing_rates[sid], ccy,
        presentation,
        {"goodwill": roles.goodwill, "cta": roles.cta, "re": roles.retained_earnings,
         "loss": roles.impairment},
    )  # fmt: skip
    lines += goodwill.lines
    lines.append(JournalLine(sid, roles.nci, -nci_acq, "", f"NCI in {sid} at acquisition", f"rule NCI {sid}"))
    lines += _indirect_holding_adjustment(parent, sid, indirect_adjustment, roles.nci)
    return _Elimination(lines, nci_acq, goodwill_acq, goodwill)


def _nci_after_acquisition(
    sid: EntityId,
    holding: Holding,
    nci_pct: Decimal,
    stepped: bool,
    at_acquisition: _AtAcquisition,
    elimination: _Elimination,
    nci_at_acquisition: int,
    group: _Group,
) -> tuple[tuple[JournalEntry, ...], tuple, tuple[StepFigures, ...]]:
    """Attribute the subsidiary's changes since acquisition to the NCI (IFRS 10.B94).

    The NCI takes its share of the profit (after intragroup dividends), of the CTA, of its
    dividends and of the other reserves; a subsidiary whose ownership stepped this month is
    re-measured step by step (IFRS 10.23, ``close.engine.ownership_changes``).

    Returns:
        The NCI journals, the NCI row (``NCI_COLUMNS`` up to ``cta``) and the step figures.

    """
    totals, acq = group.totals, group.entities[sid].acquisition
    full = acq is not None and acq.nci_method == "full"
    goodwill_acq, goodwill = elimination.goodwill_at_acquisition, elimination.goodwill
    net_assets = -totals.of(sid, "equity_and_profit")  # translated, own books incl. the PPA push-down
    profit = totals.of(sid, "profit") - int(group.dividends_received.get(sid, 0))  # negative for a profit
    dividends, cta = totals.of(sid, "dividends"), totals.of(sid, "cta")
    # Full goodwill: the NCI's part of it is its fair value over its share of the net assets.
    nci_goodwill_full = elimination.nci_at_acquisition - _share(nci_pct, at_acquisition.fair_value)
    if stepped:
        nci_goodwill = nci_goodwill_full if full else 0
        result = stepped_nci(
            sid,
            holding.parent,  # type: ignore[arg-type]  (a subsidiary has a parent)
            group.entities[sid],
            nci_at_acquisition=nci_at_acquisition,
            goodwill_fraction=(
                Decimal(nci_goodwill) / Decimal(goodwill_acq) if nci_goodwill and goodwill_acq > 0 else ZERO
            ),
            goodwill_cta=goodwill.cta,
            state=NciState(net_assets, goodwill.closing, profit, dividends, cta),
            ctx=group.step_context,  # type: ignore[arg-type]  (set when stepped)
            codes=group.roles.journals,
        )
        return tuple(result.journals), result.nci_row, tuple(result.figures)
    if nci_pct == ZERO:
        return (), (sid, str(nci_pct), nci_at_acquisition, 0, 0), ()
    with_goodwill = full and goodwill_acq > 0
    nci_goodwill = nci_goodwill_full if with_goodwill else 0
    entry, post, profit_line, cta_line = _nci_journal(
        sid, nci_pct, ONE - holding.direct,
        NciState(net_assets - at_acquisition.fair_value, goodwill.cta, profit, dividends, cta),
        Fraction(nci_goodwill, goodwill_acq) if nci_goodwill else Fraction(0),
        (goodwill.impaired, goodwill.impaired_this_year) if full else (0, 0),
        group.roles.journals,
    )  # fmt: skip
    nci_row = (sid, str(nci_pct), nci_at_acquisition + post, profit_line, cta_line)
    return ((entry,) if entry is not None else ()), nci_row, ()


def _disposals(
    disposing: Mapping[EntityId, int], nci: pd.DataFrame, goodwill: pd.DataFrame, group: _Group
) -> tuple[list[JournalEntry], list[tuple]]:
    """Derecognise each subsidiary disposed of this month (IFRS 10.25, 10.B98): ``close.engine.disposal``."""
    entries, rows = [], []
    codes = {**group.roles.journals, "goodwill": group.roles.goodwill, "result": group.roles.disposal}
    for sid, cost in disposing.items():
        d = _disposal_inputs(sid, group.holdings[sid], group.entities[sid], group.translated, group.chart,
                             nci, goodwill, group.totals.of(sid, "cta"), cost, group.step_context,
                             group.presentation)  # fmt: skip
        entry, row = disposal_journal(d, codes)
        entries.append(entry)
        rows.append(row)
    return entries, rows


def _nci_journal(
    sid: EntityId,
    nci_pct: Decimal,
    direct_minority: Decimal,
    since: NciState,
    goodwill_share: Fraction,
    impaired: tuple[int, int],
    codes: Mapping[str, str],
) -> tuple[JournalEntry | None, int, int, int]:
    """Attribute a subsidiary's post-acquisition change to its NCI (IFRS 10.B94).

    Args:
        sid: the subsidiary.
        nci_pct: the NCI's share (1 − the top parent's effective interest).
        direct_minority: its own minority's share (dividends go to them).
        since: the change in net assets since acquisition (``net_assets``), the goodwill's CTA
            (``goodwill``), profit after intragroup dividends, dividends and the CTA.
        goodwill_share: the NCI's share of goodwill (full goodwill), for its share of its CTA.
        impaired: goodwill impairments, total and this year's, the NCI bears its share of.
        codes: account codes ``nci``, ``nci_profit``, ``cta``, ``div``, ``re``.

    Returns:
        The journal, the NCI's post-acquisition change, its profit line and its CTA.

    """
    def exact(fraction: Decimal, amount: int) -> Decimal:
        return _EXACT.multiply(fraction, Decimal(amount))

    gw_nci_cta = _EXACT.divide(_EXACT.multiply(Decimal(goodwill_share.numerator), Decimal(since.goodwill)),
                               Decimal(goodwill_share.denominator))
    parts = nci_parts(
        exact(nci_pct, -since.profit_base - impaired[1]),
        _EXACT.subtract(exact(nci_pct, since.cta), gw_nci_cta),
        exact(direct_minority, since.dividends),
        exact(nci_pct, since.net_assets - impaired[0]),
    )
    entry = nci_journal(sid, parts, codes, f"rule NCI {sid}")
    return entry, parts.post, parts.profit, parts.cta


def _indirect_holding_adjustment(
    parent: EntityId, sid: EntityId, amount: int, nci_code: str
) -> list[JournalLine]:
    """Deduct the NCI's share of an intermediate parent's cost of investment from that parent's NCI.

    The ACCA / CIMA workings: the NCI in the intermediate parent owns its share of the parent's
    investment in the sub-subsidiary, which is eliminated; its NCI (not the sub-subsidiary's) is
    reduced by that share.
    """
    if not amount:
        return []
    memo = f"indirect holding adjustment: {parent}'s NCI share of its cost of investment in {sid}"
    return [JournalLine(parent, nci_code, amount, sid, memo, f"rule NCI indirect {parent}/{sid}")]


def _nci_split(
    rows: list[tuple], holdings: Mapping[EntityId, Holding], indirect: Mapping[EntityId, int]
) -> list[tuple]:
    """Add the direct and indirect NCI % and deduct each intermediate parent's indirect adjustment."""
    out = []
    for sid, pct, equity, profit, cta in rows:
        h = holdings[sid]
        direct = ONE - h.direct
        adjustment = indirect.get(sid, 0)
        indirect_pct = Decimal(pct) - direct
        out.append((sid, pct, equity - adjustment, profit, cta, str(direct), str(indirect_pct), adjustment))
    return out


@dataclass(frozen=True, slots=True)
class _Goodwill:
    """An acquisition's goodwill this period (presentation minor units; ``local`` in its currency)."""

    lines: list[JournalLine]
    local: int  # net of impairments
    closing: int
    cta: int  # its translation difference since acquisition (TB sign)
    impaired: int
    impaired_this_year: int


def _goodwill(
    sid: EntityId,
    at_acquisition: int,
    acquisition_rate: Decimal,
    impaired: tuple[int, int, int],
    closing_rate: Decimal,
    ccy: Currency,
    presentation: Currency,
    codes: Mapping[str, str],
) -> _Goodwill:
    """Return an acquisition's goodwill lines and figures.

    Goodwill is fixed in the acquiree's currency at the closing rate (IAS 21.47), net of its
    impairments, the difference to CTA; a bargain purchase (negative) goes to reserves (IFRS 3.34).
    """
    if at_acquisition < 0:
        memo = f"bargain purchase gain on {sid} (IFRS 3.34), in reserves"
        return _Goodwill([JournalLine(sid, codes["re"], at_acquisition, "", memo, f"rule IFRS 3.34 {sid}")],
                         0, 0, 0, 0, 0)  # fmt: skip
    if at_acquisition == 0:
        return _Goodwill([], 0, 0, 0, 0, 0)
    total, this_year, local_impaired = impaired
    local = _round_decimal(_EXACT.divide(Decimal(at_acquisition), acquisition_rate)) - local_impaired
    closing = translate_amount(local, closing_rate, ccy, presentation)
    cta = at_acquisition - total - closing
    lines = [
        *_impairment_lines(sid, total, this_year, codes["loss"], codes["re"]),
        JournalLine(sid, codes["goodwill"], closing, "", f"goodwill on {sid} at closing rate",
                    f"rule IFRS 3.32 goodwill {sid}"),
        JournalLine(sid, codes["cta"], cta, "", f"translation of goodwill on {sid}",
                    f"rule IAS 21.47 goodwill {sid}"),
    ]  # fmt: skip
    return _Goodwill(lines, local, closing, cta, total, this_year)


def _impairment_lines(sid: EntityId, total: int, year: int, loss: str, re_code: str) -> list[JournalLine]:
    """Return an acquiree's goodwill impairment: this year's on its own line, earlier years' in reserves."""
    rule = f"rule IAS 36.104 {sid}"
    return [
        JournalLine(sid, loss, year, "", f"impairment of goodwill on {sid}", rule),
        JournalLine(sid, re_code, total - year, "", f"impairment of goodwill on {sid}, earlier years", rule),
    ]


def _disposed_investment(
    sid: EntityId,
    parent: EntityId,
    cfg: EntityConfig,
    booked: list[_Line],
    inv_code: str,
    capital: int,
    presentation_currency: Currency,
) -> list[_Line]:
    """Return the investment to eliminate in the month of a disposal: its cost.

    The parent's own disposal entry has credited it already, so its books carry none.

    Raises:
        InputDataError: when the parent still carries the investment.

    """
    if sum(row[4] for row in booked):
        raise InputDataError(
            f"{parent} still carries its investment in {sid}, disposed of this month: book the disposal "
            "(proceeds, investment at cost, the gain with counterparty the subsidiary)",
            entity=parent,
            account=inv_code,
            field="counterparty",
        )
    acq = cfg.acquisition
    cost = to_minor(acq.consideration, presentation_currency) if acq is not None else capital
    return [(parent, "", inv_code, sid, cost)]


def _disposal_inputs(
    sid: EntityId,
    h: Holding,
    cfg: EntityConfig,
    translated: pd.DataFrame,
    chart: Chart,
    nci: pd.DataFrame,
    goodwill: pd.DataFrame,
    cta_s: int,
    cost: int,
    ctx: PeriodContext | None,
    presentation_currency: Currency,
) -> DisposalInputs:
    """Gather what the derecognition of a disposed subsidiary needs from this period's figures."""
    assert cfg.disposal is not None and ctx is not None and h.parent is not None  # noqa: S101
    classes = chart.accounts["class"]
    own = translated[(translated["entity"] == sid).to_numpy()]
    bs = own[own["std_account"].map(classes).isin(("asset", "liability")).to_numpy()]
    sums = bs.groupby("std_account", observed=True)["translated"].sum()
    by_account = {str(a): int(v) for a, v in sums.items()}
    result_code = chart.by_role(SystemRole.DISPOSAL_RESULT)
    parent_rows = translated[(translated["entity"] == h.parent).to_numpy()]
    own_gain = (parent_rows["std_account"] == result_code) & (parent_rows["counterparty"] == sid)
    gain = parent_rows[own_gain.to_numpy()]
    n = nci.set_index("entity").loc[sid] if sid in set(nci["entity"]) else None
    g = goodwill.set_index("entity").loc[sid] if sid in set(goodwill["entity"]) else None
    c_line = int(n["cta"]) if n is not None else 0
    gw_cta = int(g["cta"]) if g is not None else 0
    return DisposalInputs(
        sid=sid,
        parent=h.parent,
        date=cfg.disposal.date.isoformat(),
        period=ctx.period,
        proceeds=to_minor(cfg.disposal.proceeds, presentation_currency),
        cost=cost,
        balance_sheet={a: v for a, v in by_account.items() if v},
        goodwill=int(g["translated"]) if g is not None else 0,
        nci=int(n["equity"]) if n is not None else 0,
        cta_group=cta_s + gw_cta - c_line,
        parent_gain=int(gain["translated"].sum()),
    )  # fmt: skip


def _dividends_from_associates(
    translated: pd.DataFrame, holdings: Mapping[EntityId, Holding], chart: Chart
) -> dict[tuple[EntityId, EntityId], list[_Line]]:
    """Return the investor's dividend-income lines from each associate, by (investor, associate)."""
    investor_of = {sid: h.parent for sid, h in holdings.items() if h.method == "equity" and h.parent}
    if not investor_of:
        return {}
    acc = chart.accounts
    income = set(acc.index[(acc["class"] == "revenue") & (acc["subclass"] == "dividend_income")])
    rows = translated[translated["counterparty"].isin(set(investor_of)).to_numpy()]
    out: dict[tuple[EntityId, EntityId], list[_Line]] = {}
    for row in _rows(rows[rows["std_account"].isin(income).to_numpy()]):
        if investor_of.get(row[3]) == row[0]:
            out.setdefault((row[0], row[3]), []).append(row)
    return out



def _equity_method(
    sid: EntityId,
    h: Holding,
    translated: pd.DataFrame,
    chart: Chart,
    inv: list[_Line],
    dividends: list[_Line],
    net_assets: tuple[int, int],
    rates: Rates,
    prior: pd.DataFrame | None,
) -> tuple[JournalEntry | None, tuple]:
    """Apply the equity method to one associate (``close.engine.associates``): journal, roll-forward."""
    assert h.parent is not None  # noqa: S101 (an associate has an investor)
    require_investment(sid, h.parent, bool(inv), chart.by_role(SystemRole.INVESTMENT_IN_ASSOCIATES))
    f = associate_figures(
        sid, h.parent, h.effective, translated=translated, chart=chart, investment=sum(r[4] for r in inv),
        net_assets=net_assets[0], net_assets_at_acquisition=net_assets[1], rates=rates,
    )  # fmt: skip
    memo = f"dividend from associate {sid}: a return of the investment"
    entry = equity_method_journal(f, inv[0][2], _lines_of(dividends, -1, memo), chart)
    return entry, roll_forward(f, prior)
