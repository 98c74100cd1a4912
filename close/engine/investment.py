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
    acc = chart.accounts
    inv_code = chart.by_role(SystemRole.INVESTMENT_IN_SUBSIDIARIES)
    assoc_code = chart.by_role(SystemRole.INVESTMENT_IN_ASSOCIATES)
    gw_code = chart.by_role(SystemRole.GOODWILL)
    cta_code = chart.by_role(SystemRole.CTA)
    re_code = chart.by_role(SystemRole.RETAINED_EARNINGS)
    nci_code = chart.by_role(SystemRole.NCI_EQUITY)
    nci_profit_code = chart.by_role(SystemRole.NCI_PROFIT)
    div_code = chart.by_role(SystemRole.DIVIDENDS)
    disposes = any(e.disposal for e in entities.values())
    disposal_code = chart.by_role(SystemRole.DISPOSAL_RESULT) if disposes else ""
    step_codes = {"inv": inv_code, "nci": nci_code, "nci_profit": nci_profit_code, "cta": cta_code,
                  "div": div_code, "re": re_code}
    if any(e.acquisition and e.acquisition.steps for e in entities.values()):
        step_codes["equity"] = chart.by_role(SystemRole.TRANSACTIONS_WITH_NCI)
    # Account attributes once per distinct account, spread by code (millions of lines).
    std = std_codes or encode_text(translated["std_account"])
    std_codes_, std_uniq = std.codes, std.uniques
    class_of, subclass_of = acc["class"].to_dict(), acc["subclass"].to_dict()
    # Each line's bits: which of the per-entity totals it counts in ("q": equity and profit).
    bits = {"q": 1, "profit": 2, "cta": 4, "sc": 8, "div": 16}
    u_bits = np.array(
        [
            (bits["q"] if class_of.get(u) in ("equity", *INCOME_STATEMENT_CLASSES) else 0)
            | (bits["profit"] if class_of.get(u) in INCOME_STATEMENT_CLASSES else 0)
            | (bits["sc"] if subclass_of.get(u) == "share_capital" else 0)
            | (bits["div"] if u == div_code else 0)
            for u in std_uniq
        ],
        dtype=np.int64,
    )
    line_bits = u_bits[std_codes_]
    # CTA plug rows are on the CTA account: compare the rate type of those few rows only.
    on_cta = np.flatnonzero(np.array([u == cta_code for u in std_uniq], dtype=bool)[std_codes_])
    plug_rows = on_cta[translated["rate_type"].iloc[on_cta].to_numpy(dtype=object) == "cta"]
    line_bits[plug_rows] |= bits["cta"]
    is_inv = np.array([u in (inv_code, assoc_code) for u in std_uniq], dtype=bool)[std_codes_]
    is_sc = (line_bits & bits["sc"]) != 0
    t_all = translated["translated"].to_numpy(dtype=np.int64)
    ent = entity_codes or encode_text(translated["entity"])
    ent_uniq = ent.uniques
    # One pass over the lines: sums by (entity, bits), then each total adds the bit patterns it counts.
    by_bits = sum_by_code(ent.codes * 32 + line_bits, t_all, 32 * len(ent_uniq)).reshape(len(ent_uniq), 32)
    patterns = np.arange(32)
    totals = {
        col: dict(zip(ent_uniq, by_bits[:, (patterns & bit) != 0].sum(axis=1).tolist(), strict=True))
        for col, bit in bits.items()
    }
    # Plain Python over the few investment and share-capital lines: one pandas call per
    # subsidiary would dominate a group of a thousand entities.
    inv_by_pair: dict[tuple[str, str], list[_Line]] = {}
    for row in _rows(translated[is_inv]):
        inv_by_pair.setdefault((row[0], row[3]), []).append(row)
    sc_by_entity: dict[str, list[_Line]] = {}
    for row in _rows(translated[is_sc]):
        sc_by_entity.setdefault(row[0], []).append(row)
    div_in = dividend_income.groupby("entity")["translated"].sum().to_dict() if len(dividend_income) else {}
    from_associates = _dividends_from_associates(translated, holdings, chart)

    def total(eid: EntityId, column: str) -> int:
        return int(totals[column].get(eid, 0))

    journals: list[JournalEntry] = []
    nci_rows, gw_rows = [], []
    fy_first = fiscal_year_first(step_context.period, step_context.fiscal_year_start) if step_context else ""
    impairment_code = chart.by_role(SystemRole.GOODWILL_IMPAIRMENT) if impairments is not None and len(
        impairments) else ""
    step_rows: list[StepFigures] = []
    assoc_rows: list[tuple] = []
    indirect: dict[EntityId, int] = {}  # intermediate parent → the indirect holding adjustment
    disposing: dict[EntityId, int] = {}  # subsidiary disposed of this month → its cost
    for sid, h in holdings.items():
        if h.method not in ("full", "equity") or h.parent is None:
            continue
        cfg = entities[sid]
        acq = cfg.acquisition
        ccy = currencies[sid]
        if acq is not None:
            acq_rate = ONE if ccy == presentation_currency else acq.rate
            if acq_rate is None:
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
                gross = uplift.get(sid, 0) + (deferred_tax or {}).get(sid, 0)
                book = acq.net_assets_fair_value - Decimal(gross).scaleb(-exponent(ccy))
            e_acq_t = translate_amount(to_minor(book, ccy), acq_rate, ccy, presentation_currency)
            uplift_t = translate_amount(uplift.get(sid, 0), acq_rate, ccy, presentation_currency)
        else:
            acq_rate = None
            e_acq_t = -total(sid, "sc")
            uplift_t = 0
        fv_acq_t = e_acq_t + uplift_t
        # Net assets now (translated, own books incl. the PPA push-down) = −(equity + P&L).
        na_now = -total(sid, "q")
        profit = total(sid, "profit")  # negative for a profit
        cta_s = total(sid, "cta")
        if h.method == "equity":
            entry, row = _equity_method(
                sid, h, translated, chart, inv_by_pair.get((h.parent, sid), []),
                from_associates.get((h.parent, sid), []),
                (na_now, fv_acq_t),
                rates_for(ccy, presentation_currency, acq_rate, closing_rates[sid],
                          step_context.opening_rates if step_context else {}),
                step_context.prior_associates if step_context else None,
            )  # fmt: skip
            journals.extend([entry] if entry is not None else [])
            assoc_rows.append(row)
            continue
        p = h.parent
        inv = [row for row in inv_by_pair.get((p, sid), ()) if row[2] == inv_code]
        if step_context is not None and disposal_month(cfg) == step_context.period:
            inv = _disposed_investment(sid, p, cfg, inv, inv_code, -total(sid, "sc"), presentation_currency)
            disposing[sid] = inv[0][4]
        if not inv:
            raise InputDataError(
                f"parent {p} carries no investment in subsidiary {sid} "
                f"(account with role investment_in_subsidiaries, counterparty {sid})",
                entity=p,
                account=inv_code,
                field="counterparty",
            )
        # Later steps' consideration sits on the investment too; their own journals take it out.
        later = sum(step_considerations(cfg, step_context).values()) if step_context else 0
        inv_t = sum(row[4] for row in inv) - later
        parent_share = _share(h.parent_effective, inv_t)
        sc_t = total(sid, "sc")
        lines = _lines_of(inv, -1, f"investment in {sid} eliminated")
        if later:
            lines.append(JournalLine(p, inv_code, later, sid, f"consideration of the steps in {sid}",
                                     f"rule IFRS 10.23 {sid}"))
        stepped = step_context is not None and bool(steps_by(cfg, step_context.period))
        lines += _lines_of(sc_by_entity.get(sid), -1, f"share capital of {sid} at acquisition")
        # A stepped subsidiary of the top parent: its NCI at acquisition is at the share then.
        nci_pct = ONE - (cfg.ownership if stepped else h.effective)
        gw_local = gw_close = gw_acq_t = gw_cta = imp_total = imp_year = 0
        if acq is None:
            nci_acq_t = _share(nci_pct, fv_acq_t)
            lines.append(JournalLine(sid, nci_code, -nci_acq_t, "", "NCI at foundation", f"rule NCI {sid}"))
            lines += _indirect_holding_adjustment(p, sid, inv_t - parent_share, nci_code)
            pre = -(sum(ln.amount for ln in lines))
            lines.append(
                JournalLine(
                    sid,
                    re_code,
                    pre,
                    "",
                    "difference between investment and share capital",
                    f"rule investment {sid}",
                )
            )
        else:
            if acq.nci_method == "full":
                if acq.nci_fair_value is None:
                    raise ConfigError(
                        f"entity {sid}: full goodwill needs the NCI's fair value",
                        key=f"entities[{sid}].acquisition.nci_fair_value",
                    )
                nci_acq_t = translate_amount(
                    to_minor(acq.nci_fair_value, ccy), acq_rate, ccy, presentation_currency
                )
            else:
                nci_acq_t = _share(nci_pct, fv_acq_t)
            gw_acq_t = parent_share + nci_acq_t - fv_acq_t
            lines.append(
                JournalLine(
                    sid,
                    re_code,
                    e_acq_t + sc_t,
                    "",
                    f"pre-acquisition reserves of {sid}",
                    f"config entities[{sid}].acquisition.equity_at_acquisition",
                )
            )
            if uplift_t:
                lines.append(
                    JournalLine(
                        sid,
                        re_code,
                        uplift_t,
                        "#ppa",
                        f"fair-value uplift of {sid}",
                        f"config entities[{sid}].acquisition",
                    )
                )
            goodwill = _goodwill(
                sid, gw_acq_t, _exponent_shift_rate(acq_rate, ccy, presentation_currency),
                impairment_totals(impairments, sid, fy_first), closing_rates[sid], ccy, presentation_currency,
                {"goodwill": gw_code, "cta": cta_code, "re": re_code, "loss": impairment_code},
            )  # fmt: skip
            lines += goodwill.lines
            gw_local, gw_close, gw_cta = goodwill.local, goodwill.closing, goodwill.cta
            imp_total, imp_year = goodwill.impaired, goodwill.impaired_this_year
            memo = f"NCI in {sid} at acquisition"
            lines.append(JournalLine(sid, nci_code, -nci_acq_t, "", memo, f"rule NCI {sid}"))
            lines += _indirect_holding_adjustment(p, sid, inv_t - parent_share, nci_code)
        indirect[p] = indirect.get(p, 0) + inv_t - parent_share
        entry = balanced_entry(f"INV:{p}:{sid}", "investment", f"eliminate {p}'s investment in {sid}", lines)
        if entry is not None:
            journals.append(entry)
        gw_rows.append((sid, gw_local, gw_close, gw_acq_t, gw_cta, imp_total))
        nci_acq_total = -sum(ln.amount for ln in lines if ln.std_account == nci_code and ln.entity == sid)
        if stepped:
            full = acq is not None and acq.nci_method == "full"
            nci_gw = nci_acq_t - _share(nci_pct, fv_acq_t) if full else 0
            result = stepped_nci(
                sid,
                p,
                cfg,
                nci_at_acquisition=nci_acq_total,
                goodwill_fraction=Decimal(nci_gw) / Decimal(gw_acq_t) if nci_gw and gw_acq_t > 0 else ZERO,
                goodwill_cta=gw_cta,
                state=NciState(na_now, gw_close, profit - int(div_in.get(sid, 0)), total(sid, "div"), cta_s),
                ctx=step_context,  # type: ignore[arg-type]  (set when stepped)
                codes=step_codes,
            )
            journals.extend(result.journals)
            nci_rows.append(result.nci_row)
            step_rows.extend(result.figures)
            continue
        # Post-acquisition NCI.
        if nci_pct == ZERO:
            nci_rows.append((sid, str(nci_pct), nci_acq_total, 0, 0))
            continue
        full = acq is not None and acq.nci_method == "full"
        nci_gw = nci_acq_t - _share(nci_pct, fv_acq_t) if full and gw_acq_t > 0 else 0
        entry, post, p_line, c_line = _nci_journal(
            sid, nci_pct, ONE - h.direct,
            NciState(na_now - fv_acq_t, gw_cta, profit - int(div_in.get(sid, 0)), total(sid, "div"), cta_s),
            Fraction(nci_gw, gw_acq_t) if nci_gw else Fraction(0), (imp_total, imp_year) if full else (0, 0),
            step_codes,
        )  # fmt: skip
        if entry is not None:
            journals.append(entry)
        nci_rows.append((sid, str(nci_pct), nci_acq_total + post, p_line, c_line))
    nci = frame_from_rows(_nci_split(nci_rows, holdings, indirect), NCI_COLUMNS, ints=NCI_INTS)
    gw = frame_from_rows(gw_rows, GOODWILL_COLUMNS, ints=GOODWILL_COLUMNS[1:])
    disposal_rows = []
    for sid, cost in disposing.items():
        d = _disposal_inputs(sid, holdings[sid], entities[sid], translated, chart, nci, gw, total(sid, "cta"),
                             cost, step_context, presentation_currency)  # fmt: skip
        entry, row = disposal_journal(d, {**step_codes, "goodwill": gw_code, "result": disposal_code})
        journals.append(entry)
        disposal_rows.append(row)
    return InvestmentResult(
        journals=tuple(journals),
        nci=nci,
        goodwill=gw,
        steps=figures_frame(step_rows),
        disposals=disposals_frame(disposal_rows),
        associates=associates_frame(assoc_rows),
    )


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
    p_line = _share(nci_pct, -since.profit_base) - _share(nci_pct, impaired[1])
    gw_nci_cta = _round_decimal(
        _EXACT.divide(_EXACT.multiply(Decimal(goodwill_share.numerator), Decimal(since.goodwill)),
                      Decimal(goodwill_share.denominator))
    )  # fmt: skip
    c_line = _share(nci_pct, since.cta) - gw_nci_cta
    dv = _share(direct_minority, since.dividends)
    post = _share(nci_pct, since.net_assets) - _share(nci_pct, impaired[0])
    entry = nci_journal(sid, (p_line, c_line, dv, post), codes, f"rule NCI {sid}")
    return entry, post, p_line, c_line


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
