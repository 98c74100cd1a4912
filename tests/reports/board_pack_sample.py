"""A realistic small group as a ``BoardPackData``, consolidated here so that it balances.

``sample_board_pack()`` gives a USD holding with two BRL subsidiaries (one 80 % owned) and a EUR
subsidiary; ``sample_board_pack(n_entities=66)`` a synthetic group of that size (benchmarks).
The figures come out of a miniature consolidation (translation, intercompany and investment
eliminations, NCI, PPA, a top-side adjustment) so that every trial balance sums to zero, the
consolidating worksheet adds up to the consolidated balances and the cash flow ties to cash.
It is test data, not the engine: shortcuts are named where they are taken.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pandas as pd

from close.analysis.commentary_text import DATA_ONLY_LABELS, headline_sentence
from close.analysis.constant_currency import FxImpact, constant_currency_impact, impact_rows
from close.analysis.covenants import CovenantReport, covenant_figures, evaluate_covenants
from close.analysis.variances import account_nature
from close.config.covenants import CovenantSettings
from close.engine.money import ZERO, D, quantize_cents, to_minor
from reports.budget_model import AccountYear, EntityAmount, EntityResults, FullYearBudget
from reports.model import (
    AuditEvent,
    BoardPackData,
    ChartAccount,
    ChecklistTask,
    CloseStep,
    Comparative,
    ConsolidatedBalance,
    Entity,
    EntityAttribution,
    EntityTrialBalance,
    FxRateRow,
    IntercompanyPair,
    Journal,
    JournalLine,
    Kpi,
    KpiPoint,
    Locale,
    MonthPosition,
    PeriodResult,
    Signature,
    SignOff,
    ValidationFinding,
    Variance,
    VarianceDriver,
    Waiver,
    WorksheetRow,
)
from reports.statements import income_statement_figures

CHART_CSV = Path(__file__).resolve().parents[2] / "close" / "data" / "default_chart.csv"
YEAR, MONTH = 2025, 6
PERIOD = f"{YEAR}-{MONTH:02d}"
AS_OF = datetime(2025, 7, 4, 18, 30, 0, tzinfo=UTC)
RUN_ID = "7f3c2a9e-5b1d-4c8e-9a6f-2d4e8b1c0f35"
IC_RECEIVABLE_USD = D("50000.00")
IC_FEE_USD = D("10000.00")
PPA_INTANGIBLE = D("300000.00")
PPA_MONTHS = 60
BONUS_ACCRUAL = D("15000.00")
ACQUISITION = (2024, 1)  # every subsidiary was acquired (or founded) in January 2024


def load_chart(locale: str = "en-US") -> tuple[ChartAccount, ...]:
    """Read the default chart that ships with the package into ``ChartAccount`` rows."""
    with CHART_CSV.open(newline="", encoding="utf-8") as fh:
        return tuple(
            ChartAccount(
                code=row["code"], name=row["name_pt" if locale == "pt-BR" else "name"],
                account_class=row["class"],
                subclass=row["subclass"], cash_flow_category=row["cash_flow_category"],
                normal_balance=row["normal_balance"],
                kpi_tags=tuple(tag for tag in row["kpi_tags"].split(";") if tag),
                system_role=row["system_role"] or None, rate_type=row["rate_type"])
            for row in csv.DictReader(fh))


@dataclass(frozen=True)
class _Ent:
    id: str
    name: str
    currency: str
    ownership: Decimal
    base: Decimal  # monthly revenue scale, local currency


def _entities(n: int) -> tuple[_Ent, ...]:
    named = (
        _Ent("HOLD", "Atlas Holdings Inc.", "USD", D(1), D("400000")),
        _Ent("BR1", "Atlas Brasil Serviços Ltda.", "BRL", D(1), D("2500000")),
        _Ent("BR2", "Nordeste Tecnologia S.A.", "BRL", D("0.80"), D("1200000")),
        _Ent("EU1", "Atlas Europe GmbH", "EUR", D(1), D("350000")),
    )
    if n <= len(named):
        return named[:n]
    extra = []
    for i in range(n - len(named)):
        cur = ("BRL", "BRL", "EUR")[i % 3]
        own = D("0.80") if i % 4 == 3 else D(1)
        scale = D("1500000") if cur == "BRL" else D("300000")
        extra.append(_Ent(f"S{i + 5:03d}", f"Subsidiary {i + 5:03d} {cur}", cur, own,
                          scale + D(i * 1000)))
    return named + tuple(extra)


def _month_index(year: int, month: int) -> int:
    return (year - ACQUISITION[0]) * 12 + (month - ACQUISITION[1])


def _closing_rate(cur: str, year: int, month: int) -> Decimal:
    i = _month_index(year, month)
    if cur == "BRL":
        return D("0.1750") + D(i % 5) * D("0.0015")
    if cur == "EUR":
        return D("1.0600") + D(i % 4) * D("0.0080")
    return D(1)


def _average_rate(cur: str, year: int, month: int) -> Decimal:
    py, pm = (year, month - 1) if month > 1 else (year - 1, 12)
    return quantize_cents((_closing_rate(cur, year, month) + _closing_rate(cur, py, pm)) / 2, 6)


def _historical_rate(cur: str) -> Decimal:
    return {"BRL": D("0.2000"), "EUR": D("1.1000")}.get(cur, D(1))


def _q(x: Decimal) -> Decimal:
    return quantize_cents(x)


def _monthly_income(e: _Ent, year: int, k: int) -> dict[str, Decimal]:
    """Month ``k``'s income statement in local currency (TB sign)."""
    rev = _q(e.base * (D(1) + D("0.015") * k) * (D("1.08") if year >= 2025 else D(1)))
    lines = {
        "4000": -_q(rev * D("0.70")), "4100": -_q(rev * D("0.30")),
        "5000": _q(rev * D("0.42")), "6000": _q(rev * D("0.17")),
        "6100": _q(e.base * D("0.03")), "6200": _q(rev * D("0.07")),
        "6300": _q(e.base * D("0.02")), "6400": _q(rev * D("0.04")),
        "6500": _q(e.base * D("0.025")), "7100": _q(e.base * D("0.012")),
        "7000": -_q(e.base * D("0.002")),
    }
    if e.currency == "BRL":
        lines["4200"] = _q(rev * D("0.05"))
    if e.id == "HOLD":
        lines["4150"] = -IC_FEE_USD
    if e.id == "BR1":
        lines["5150"] = _q(IC_FEE_USD / _average_rate("BRL", year, k))
    pbt = -sum(lines.values(), ZERO)
    lines["8000"] = _q(max(pbt, ZERO) * D("0.25"))
    return lines


def _results_before(e: _Ent, year: int) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    """Income-statement lines of every fiscal year since acquisition before ``year`` (TB sign).

    Returns the local lines and the same lines translated month by month at average rates: the
    roll moves both into retained earnings, so the translated retained earnings keep the rates
    the results were reported at.
    """
    local: dict[str, Decimal] = defaultdict(lambda: ZERO)
    translated: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for y in range(ACQUISITION[0], year):
        for k in range(1, 13):
            for acc, amount in _monthly_income(e, y, k).items():
                local[acc] += amount
                translated[acc] += _q(amount * _average_rate(e.currency, y, k))
    return local, translated


def _ic_difference(hold: _Ent, year: int, month: int) -> Decimal:
    """HOLD's translated receivable plus BR1's translated payable (the IAS 21.45 difference)."""
    py, pm = (year, month - 1) if month > 1 else (year - 1, 12)
    payable = -_q(IC_RECEIVABLE_USD / _closing_rate("BRL", py, pm))
    return (_q(IC_RECEIVABLE_USD * _closing_rate(hold.currency, year, month))
            + _q(payable * _closing_rate("BRL", year, month)))


def _local_tb(e: _Ent, year: int, month: int, investments: Decimal) -> dict[str, Decimal]:
    """The entity's local trial balance at the end of ``year-month`` (sums to zero)."""
    tb: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for k in range(1, month + 1):
        for acc, amount in _monthly_income(e, year, k).items():
            tb[acc] += amount
    rev = -(_monthly_income(e, year, month)["4000"] + _monthly_income(e, year, month)["4100"])
    n = _month_index(year, month) + 24  # assets were two years old at acquisition
    tb["1100"] = _q(rev * D("1.40"))
    tb["1200"] = _q(rev * D("0.38")) if e.id != "HOLD" else ZERO
    tb["1300"] = _q(e.base * D("0.10"))
    tb["1500"] = _q(e.base * (12 + D("0.03") * _month_index(year, month)))  # monthly capex
    tb["1550"] = -_q(e.base * D("0.025") * n)
    tb["2000"] = -_q(rev * D("0.34"))
    tb["2100"] = -_q(rev * D("0.09"))
    tb["2200"] = -_q(tb["8000"] * D("0.5"))
    tb["2500"] = -_q(e.base * 4 - e.base * D("0.01") * _month_index(year, month))
    tb["3000"] = -_q(e.base * 6) - investments
    # Reserves at acquisition, plus every full fiscal year's result since (the year-end roll).
    tb["3100"] = -_q(e.base * 2) + sum(_results_before(e, year)[0].values(), ZERO)
    if e.id == "HOLD":
        tb["1800"] = investments
        tb["1150"] = IC_RECEIVABLE_USD
    if e.id == "BR1":
        py, pm = (year, month - 1) if month > 1 else (year - 1, 12)
        tb["2050"] = -_q(IC_RECEIVABLE_USD / _closing_rate("BRL", py, pm))
    tb["1000"] = -sum((v for k, v in tb.items() if k != "1000"), ZERO)
    return {k: v for k, v in tb.items() if v != 0}


@dataclass
class _Consolidation:
    local: dict[str, dict[str, Decimal]]
    translated: dict[str, dict[str, Decimal]]
    rates: dict[str, dict[str, Decimal | None]]
    journals: list[Journal]
    consolidated: dict[str, Decimal]
    cta: dict[str, Decimal]


def _costs(ents: tuple[_Ent, ...]) -> dict[str, Decimal]:
    """Purchase price of each subsidiary: its share of equity at acquisition plus a premium."""
    return {e.id: _q(e.ownership * _equity_at_acquisition(e) + e.base * _historical_rate(e.currency)
                     * D("1.5"))
            for e in ents[1:]}


def _equity_at_acquisition(e: _Ent) -> Decimal:
    return _q(e.base * 8 * _historical_rate(e.currency))  # share capital 6x + reserves 2x base


def _consolidate(ents: tuple[_Ent, ...], year: int, month: int) -> _Consolidation:
    costs = _costs(ents)
    local = {e.id: _local_tb(e, year, month, sum(costs.values(), ZERO) if e.id == "HOLD" else ZERO)
             for e in ents}
    translated: dict[str, dict[str, Decimal]] = {}
    rates: dict[str, dict[str, Decimal | None]] = {}
    cta: dict[str, Decimal] = {}
    chart = {a.code: a for a in load_chart()}
    for e in ents:
        tr: dict[str, Decimal] = {}
        rt: dict[str, Decimal | None] = {}
        for acc, amount in local[e.id].items():
            cls = chart[acc].account_class
            if cls in ("revenue", "expense"):
                # YTD = the sum of each month translated at that month's average rate.
                tr[acc] = sum((_q(_monthly_income(e, year, k).get(acc, ZERO)
                                  * _average_rate(e.currency, year, k))
                               for k in range(1, month + 1)), ZERO)
                rt[acc] = None if e.currency != "USD" else D(1)
            elif acc == "3100" and year > ACQUISITION[0]:
                rolled_local, rolled = _results_before(e, year)
                tr[acc] = (_q((amount - sum(rolled_local.values(), ZERO)) * _historical_rate(e.currency))
                           + sum(rolled.values(), ZERO))
                rt[acc] = None if e.currency != "USD" else D(1)
            elif cls == "equity":
                rt[acc] = _historical_rate(e.currency)
                tr[acc] = _q(amount * rt[acc])
            else:
                rt[acc] = _closing_rate(e.currency, year, month)
                tr[acc] = _q(amount * rt[acc])
        balancing = -sum(tr.values(), ZERO)
        if balancing:
            tr["3300"] = balancing
            rt["3300"] = None
        cta[e.id] = balancing
        translated[e.id], rates[e.id] = tr, rt

    journals: list[Journal] = []
    hold = ents[0].id
    rolled_years = year - ACQUISITION[0]
    if len(ents) > 1 and ents[1].id == "BR1":
        rec, pay = translated[hold]["1150"], translated["BR1"]["2050"]
        # Earlier years' differences were rolled into retained earnings with their results.
        before = _ic_difference(ents[0], year - 1, 12) if rolled_years else ZERO
        journals.append(Journal("IC-001", "intercompany", "Eliminate HOLD/BR1 receivable and payable",
                                "IFRS", (
            JournalLine(hold, "1150", -rec, "BR1", "IC receivable"),
            JournalLine("BR1", "2050", -pay, hold, "IC payable"),
            JournalLine(hold, "7250", rec + pay - before, "BR1", "exchange difference (IAS 21.45)"),
            JournalLine(hold, "3100", before, "BR1", "exchange differences of prior years"))))
        fee, cost = translated[hold]["4150"], translated["BR1"]["5150"]
        # The fees of earlier years sit in the entities' retained earnings: eliminated there,
        # their rate difference stays in CTA.
        fee_before = _results_before(ents[0], year)[1]["4150"]
        cost_before = _results_before(ents[1], year)[1]["5150"]
        journals.append(Journal("IC-002", "intercompany", "Eliminate HOLD/BR1 management fees",
                                "IFRS", (
            JournalLine(hold, "4150", -fee, "BR1", "IC revenue"),
            JournalLine("BR1", "5150", -cost, hold, "IC expense"),
            JournalLine("BR1", "3300", fee + cost + fee_before + cost_before, hold,
                        "rate difference to CTA"),
            JournalLine(hold, "3100", -fee_before - cost_before, "BR1",
                        "management fees of prior years"))))
    for e in ents[1:]:
        hist = _historical_rate(e.currency)
        sc, re_acq = _q(e.base * 6 * hist), _q(e.base * 2 * hist)
        goodwill = costs[e.id] - _q(e.ownership * (sc + re_acq))
        nci_acq = (sc + re_acq) - _q(e.ownership * (sc + re_acq))
        lines = [JournalLine(hold, "1800", -costs[e.id], e.id, "investment at cost"),
                 JournalLine(e.id, "3000", sc, None, "share capital at acquisition"),
                 JournalLine(e.id, "3100", re_acq, None, "reserves at acquisition"),
                 JournalLine(e.id, "1700", goodwill, None, "goodwill")]
        if nci_acq:
            lines.append(JournalLine(e.id, "3400", -nci_acq, None, "NCI at acquisition"))
        journals.append(Journal(f"INV-{e.id}", "investment",
                                f"Eliminate investment in {e.id}; goodwill and NCI", "IFRS",
                                tuple(lines)))
        share = D(1) - e.ownership
        if share:
            post_re = -translated[e.id]["3100"] - re_acq
            profit = -sum((v for acc, v in translated[e.id].items()
                           if chart[acc].account_class in ("revenue", "expense")), ZERO)
            nci_re, nci_profit = _q(share * post_re), _q(share * profit)
            nci_cta = _q(share * cta[e.id])
            journals.append(Journal(f"NCI-{e.id}", "nci", f"Attribute {share:%} of {e.id} to NCI",
                                    "IFRS", (
                JournalLine(e.id, "3100", nci_re, None, "NCI share of post-acquisition reserves"),
                JournalLine(e.id, "8900", nci_profit, None, "NCI share of profit"),
                JournalLine(e.id, "3300", -nci_cta, None, "NCI share of CTA"),
                JournalLine(e.id, "3400", -(nci_re + nci_profit) + nci_cta, None, "NCI"))))
    if any(e.id == "BR2" for e in ents):
        amort = _q(PPA_INTANGIBLE / PPA_MONTHS)
        n = _month_index(year, month) + 1
        journals.append(Journal("PPA-BR2", "ppa", "Acquired customer relationships of BR2, "
                                "amortized over 60 months", "IFRS", (
            JournalLine("BR2", "1650", PPA_INTANGIBLE, None, "customer relationships"),
            JournalLine("BR2", "1700", -PPA_INTANGIBLE, None, "reclassified from goodwill"),
            JournalLine("BR2", "1660", -amort * n, None, "accumulated amortization"),
            JournalLine("BR2", "6550", amort * month, None, "amortization YTD"),
            JournalLine("BR2", "3100", amort * (n - month), None, "amortization of prior years"))))
    journals.append(Journal("ADJ-001", "topside", "Accrue management bonus (IAS 19)", "IFRS", (
        JournalLine(hold, "6000", BONUS_ACCRUAL * month, None, "bonus accrual YTD"),
        JournalLine(hold, "3100", BONUS_ACCRUAL * 12 * rolled_years, None,
                    "bonus accrued in prior years"),
        JournalLine(hold, "2100", -BONUS_ACCRUAL * (month + 12 * rolled_years), None,
                    "accrued bonus"))))

    consolidated: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for tr in translated.values():
        for acc, v in tr.items():
            consolidated[acc] += v
    for j in journals:
        for line in j.lines:
            consolidated[line.account] += line.amount
    return _Consolidation(local, translated, rates, journals, dict(consolidated), cta)


def _previous(year: int, month: int) -> tuple[int, int]:
    return (year, month - 1) if month > 1 else (year - 1, 12)


def _balances(ents: tuple[_Ent, ...], year: int, month: int,
              cache: dict[tuple[int, int], _Consolidation]) -> tuple[ConsolidatedBalance, ...]:
    def cons(y: int, m: int) -> _Consolidation:
        if (y, m) not in cache:
            cache[(y, m)] = _consolidate(ents, y, m)
        return cache[(y, m)]

    chart = {a.code: a for a in load_chart()}
    now, before = cons(year, month).consolidated, cons(*_previous(year, month)).consolidated
    out = []
    for acc in sorted(set(now) | set(before)):
        is_account = chart[acc].account_class in ("revenue", "expense")
        opening = ZERO if is_account and month == 1 else before.get(acc, ZERO)
        closing = now.get(acc, ZERO)
        if closing or closing - opening:
            out.append(ConsolidatedBalance(acc, closing, closing - opening))
    return tuple(out)


def _worksheet(ents: tuple[_Ent, ...], c: _Consolidation) -> tuple[WorksheetRow, ...]:
    columns: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(
        lambda: {"eliminations": ZERO, "ppa": ZERO, "adjustments": ZERO})
    for j in c.journals:
        column = {"ppa": "ppa", "topside": "adjustments", "gaap": "adjustments"}.get(
            j.kind, "eliminations")
        for line in j.lines:
            columns[(line.entity, line.account)][column] += line.amount
    rows = []
    for e in ents:
        accounts = sorted(set(c.translated[e.id]) | {a for (ent, a) in columns if ent == e.id})
        for acc in accounts:
            post = columns.get((e.id, acc), {"eliminations": ZERO, "ppa": ZERO, "adjustments": ZERO})
            tr = c.translated[e.id].get(acc, ZERO)
            rows.append(WorksheetRow(
                entity=e.id, account=acc, local_amount=c.local[e.id].get(acc, ZERO),
                local_currency=e.currency, rate=c.rates[e.id].get(acc), translated=tr,
                eliminations=post["eliminations"], ppa=post["ppa"],
                adjustments=post["adjustments"],
                consolidated=tr + post["eliminations"] + post["ppa"] + post["adjustments"]))
    return tuple(rows)


def _trial_balance(ents: tuple[_Ent, ...], c: _Consolidation, prev: _Consolidation,
                   chart: dict[str, ChartAccount]) -> tuple[EntityTrialBalance, ...]:
    """Each entity's local lines summed, as the stage sums the stored lines (the lines go to a CSV)."""
    out = []
    for e in ents:
        opening = debits = credits = closing = ZERO
        for acc, close in c.local[e.id].items():
            is_account = chart[acc].account_class in ("revenue", "expense")
            start = ZERO if is_account and MONTH == 1 else prev.local[e.id].get(acc, ZERO)
            mv = close - start
            opening, debits, credits, closing = (opening + start, debits + max(mv, ZERO),
                                                 credits + max(-mv, ZERO), closing + close)
        out.append(EntityTrialBalance(entity=e.id, currency=e.currency, lines=len(c.local[e.id]),
                                      opening=opening, debits=debits, credits=credits, closing=closing))
    return tuple(out)


def _variances(balances: tuple[ConsolidatedBalance, ...], budget: Comparative,
               chart: dict[str, ChartAccount], locale: str = "en-US") -> tuple[Variance, ...]:
    bud = {b.account: b.month for b in budget.balances}
    out = []
    for i, b in enumerate(x for x in balances if x.account in bud):
        diff = b.month - bud[b.account]
        pct = diff / abs(bud[b.account]) if bud[b.account] else None
        material = abs(diff) >= 10000 or (pct is not None and abs(pct) >= D("0.10"))
        if not material:
            continue
        name = chart[b.account].name
        favourable = diff < 0  # less debit: more income or less cost
        source = "claude" if i % 3 else "data-only"
        acc = chart[b.account]
        sign = -1 if acc.normal_balance == "credit" else 1  # TB sign → normal-balance sign
        text = (f"{name} came in {'above' if diff < 0 else 'below'} budget, driven mainly by "
                f"the Brazilian subsidiaries; the gap reflects volume and the BRL rate."
                if source == "claude" else
                DATA_ONLY_LABELS[locale] + headline_sentence(
                    name, account_nature(acc.account_class, acc.subclass, acc.normal_balance),
                    "budget", "USD", sign * b.month, sign * bud[b.account], sign * diff,
                    pct, favourable, locale))
        out.append(Variance(
            account=b.account, basis="budget", scope="month", actual=b.month,
            comparison=bud[b.account], difference=diff, pct=pct, material=True, commentary=text,
            source=source, confidence=D("0.85") if source == "claude" else D("0.60"),
            light="green" if favourable else ("red" if abs(diff) > 50000 else "yellow"),
            drivers=(VarianceDriver("BR1", _q(diff * D("0.6"))),
                     VarianceDriver("HOLD", diff - _q(diff * D("0.6"))))))
    return tuple(out)


def _kpis(balances: tuple[ConsolidatedBalance, ...], history: tuple[PeriodResult, ...],
          chart: tuple[ChartAccount, ...]) -> tuple[Kpi, ...]:
    def margins(bal: tuple[ConsolidatedBalance, ...]) -> tuple[Decimal | None, Decimal | None]:
        f = income_statement_figures(bal, chart)
        if not f["revenue"]:
            return None, None
        return (quantize_cents(f["ebitda"] / f["revenue"], 4),
                quantize_cents(f["net_income"] / f["revenue"], 4))

    closing = {b.account: b.closing for b in balances}
    classes = {c.code: c.account_class for c in chart}
    current_assets = sum((v for a, v in closing.items()
                          if "current_asset" in next(c for c in chart if c.code == a).kpi_tags), ZERO)
    current_liab = -sum((v for a, v in closing.items()
                         if "current_liability" in next(c for c in chart if c.code == a).kpi_tags), ZERO)
    ebitda_m, net_m = margins(balances)
    trend = tuple(KpiPoint(h.period, margins(h.balances)[0]) for h in history)
    arr = -closing.get("4100", ZERO) / 6 * 12
    return (
        Kpi("ebitda_margin", "EBITDA margin", ebitda_m, "percent", trend=trend),
        Kpi("net_margin", "Net margin", net_m, "percent",
            trend=tuple(KpiPoint(h.period, margins(h.balances)[1]) for h in history)),
        Kpi("current_ratio", "Current ratio", quantize_cents(current_assets / current_liab, 2),
            "ratio"),
        Kpi("debt_to_equity", "Debt to equity", quantize_cents(
            -closing.get("2500", ZERO) / -sum((v for a, v in closing.items()
                                               if classes[a] == "equity"), ZERO), 2), "ratio"),
        Kpi("arr", "ARR (subscription revenue run-rate)", _q(arr), "currency"),
        Kpi("nrr", "Net revenue retention", None, "percent",
            reason="no customer-level revenue in the trial balances"),
        Kpi("ltv_cac", "LTV / CAC", None, "ratio", reason="customer acquisition cost not tracked"),
    )


def _intercompany() -> tuple[IntercompanyPair, ...]:
    """A matched pair, one whose difference the rates explain, one within tolerance."""
    return (
        IntercompanyPair("BR1", "BR2", "receivable_payable", D("125000.00"), D("-125000.00"),
                         D("0.00"), D("0.00"), D("0.00"), "eliminated"),
        IntercompanyPair("BR1", "HOLD", "loan", D("500000.00"), D("-499210.40"), D("789.60"),
                         D("789.60"), D("0.00"), "eliminated"),
        IntercompanyPair("EU1", "HOLD", "revenue_expense", D("48210.33"), D("-48150.00"),
                         D("60.33"), D("0.00"), D("60.33"), "plugged"),
    )


def _attributions(ents: tuple[_Ent, ...], c: _Consolidation) -> tuple[EntityAttribution, ...]:
    """CTA and NCI per subsidiary of one month's consolidation, from its NCI journals."""
    nci_lines: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for j in c.journals:
        for line in j.lines:
            nci_lines[line.entity][line.account] += line.amount
    out = []
    for e in ents[1:]:
        cta = -c.cta[e.id]
        share = D(1) - e.ownership
        out.append(EntityAttribution(
            entity=e.id, cta=cta, cta_from_parts=cta + (D("0.01") if e.currency == "EUR" else ZERO),
            cta_nci=_q(share * cta), nci_equity=-nci_lines[e.id]["3400"],
            nci_profit_ytd=nci_lines[e.id]["8900"],
            direct_pct=share, indirect_pct=ZERO))  # every subsidiary is held by the top parent
    return tuple(out)


def sample_board_pack(*, n_entities: int = 4, locale: Locale = "en-US", with_budget: bool = True,
                      with_prior_month: bool = True, with_prior_year: bool = True,
                      with_prior_year_end: bool = True) -> BoardPackData:
    """Build the sample group's board pack for June 2025.

    Args:
        n_entities: 4 for HOLD (USD), BR1 and BR2 (BRL, BR2 80 % owned), EU1 (EUR); more adds
            synthetic subsidiaries.
        locale: ``en-US`` or ``pt-BR``.
        with_budget: include the budget comparative.
        with_prior_month: include the prior month comparative.
        with_prior_year: include the prior year comparative.
        with_prior_year_end: include the prior fiscal year-end (December) comparative.

    Returns:
        A balanced ``BoardPackData``.
    """
    ents = _entities(n_entities)
    chart = load_chart(locale)
    by_code = {a.code: a for a in chart}
    cache: dict[tuple[int, int], _Consolidation] = {}
    balances = _balances(ents, YEAR, MONTH, cache)
    current, prev = cache[(YEAR, MONTH)], cache[_previous(YEAR, MONTH)]
    prior_month = Comparative(f"{YEAR}-{MONTH - 1:02d}", _balances(ents, YEAR, MONTH - 1, cache),
                              "5e1d7a2c-0b3f-4f6e-8d9c-1a2b3c4d5e6f")
    prior_year = Comparative(f"{YEAR - 1}-{MONTH:02d}", _balances(ents, YEAR - 1, MONTH, cache),
                             "0c9b8a7d-6e5f-4a3b-2c1d-0e9f8a7b6c5d")
    prior_year_end = Comparative(f"{YEAR - 1}-12", _balances(ents, YEAR - 1, 12, cache),
                                 "7d6c5b4a-3f2e-4d1c-9b8a-7f6e5d4c3b2a")
    factors = {"revenue": D("1.04"), "expense": D("0.97")}
    budget = Comparative(PERIOD, tuple(
        ConsolidatedBalance(b.account, _q(b.closing * factors[by_code[b.account].account_class]),
                            _q(b.month * factors[by_code[b.account].account_class]))
        for b in balances if by_code[b.account].account_class in factors
        and by_code[b.account].system_role != "nci_profit"))
    history = []
    y, m = YEAR - 1, MONTH
    for _ in range(12):
        history.append(PeriodResult(f"{y}-{m:02d}", tuple(
            b for b in _balances(ents, y, m, cache)
            if by_code[b.account].account_class in ("revenue", "expense"))))
        y, m = (y, m + 1) if m < 12 else (y + 1, 1)

    attributions = _attributions(ents, current)

    fx_rates = []
    for cur in sorted({e.currency for e in ents} - {"USD"}):
        src = {"BRL": "BCB PTAX", "EUR": "ECB reference rate"}[cur]
        fx_rates += [
            FxRateRow(cur, "closing", _closing_rate(cur, YEAR, MONTH), src,
                      "inverted (USD per unit)" if cur == "BRL" else "cross via EUR/USD"),
            FxRateRow(cur, "average", _average_rate(cur, YEAR, MONTH), src, "mean of daily rates"),
            FxRateRow(cur, "historical", _historical_rate(cur), "opening-balances file",
                      "rate at acquisition"),
        ]
    variances = _variances(balances, budget, by_code, locale)
    validation = (
        ValidationFinding("TB_SUMS_ZERO", "pass", None, None, ZERO, ZERO, ZERO,
                          "local, translated and consolidated trial balances sum to zero"),
        ValidationFinding("BS_BALANCES", "pass", None, None, ZERO, ZERO, ZERO,
                          "total assets equal total liabilities and equity"),
        *(ValidationFinding("CTA_FROM_PARTS", "pass", a.entity, "3300", a.cta, a.cta_from_parts,
                            a.cta_from_parts - a.cta,
                            f"CTA plug {a.cta} vs parts {a.cta_from_parts} within tolerance")
          for a in attributions),
        ValidationFinding("IC_MISMATCH", "warn", "BR1", "2050", D("50000.00"), D("49871.20"),
                          D("-128.80"), "expected 50000.00 != accumulated 49871.20 "
                          "(128.80 too little)", waived_by="maria.souza",
                          waiver_reason="timing: BR1 booked the June fee on July 1st"),
        ValidationFinding("FX_PLAUSIBLE", "pass", None, None, None, None, None,
                          "every currency has closing and average rates within 5% of May"),
    )
    start = AS_OF - timedelta(hours=6)
    steps = ("PENDING→EXTRACTING", "EXTRACTING→MAPPING", "MAPPING→CONSOLIDATING",
             "CONSOLIDATING→VALIDATING", "VALIDATING→ANALYZING", "ANALYZING→REPORTING")
    audit = [AuditEvent(start, "scheduler", "created", f"beat:{'atlas'}:{PERIOD}")]
    audit += [AuditEvent(start + timedelta(minutes=7 * (i + 1)), "worker-1", "transition", s)
              for i, s in enumerate(steps)]
    audit.insert(3, AuditEvent(start + timedelta(minutes=10), "worker-2", "retry",
                               "extract BR2: HTTP 503 from Omie, retry 1 of 3"))
    audit.append(AuditEvent(start + timedelta(minutes=50), "maria.souza", "waived",
                            "IC_MISMATCH: timing: BR1 booked the June fee on July 1st"))
    hist_tuple = tuple(history)
    # Month-end positions back to December of the prior year and one more month: the cash
    # flow's opening, its year to date and its prior-month column.
    positions = []
    y, m = _previous(YEAR, MONTH)
    for _ in range(MONTH):
        c = cache.get((y, m)) or cache.setdefault((y, m), _consolidate(ents, y, m))
        foreign = sorted({e.currency for e in ents} - {"USD"})
        positions.append(MonthPosition.of(
            f"{y}-{m:02d}", _worksheet(ents, c),
            [FxRateRow(cur, kind, rate(cur, y, m), "sample", "sample") for cur in foreign
             for kind, rate in (("closing", _closing_rate), ("average", _average_rate))]))
        y, m = _previous(y, m)
    data = BoardPackData(
        group_id="atlas", group_name="Atlas Group", period=PERIOD, run_id=RUN_ID,
        run_status="REPORTING", presentation_currency="USD", locale=locale, as_of=AS_OF,
        chart=chart, balances=balances,
        entities=tuple(Entity(e.id, e.name, e.currency, e.ownership,
                              "parent" if i == 0 else "full", None if i == 0 else ents[0].id)
                       for i, e in enumerate(ents)),
        fiscal_year_start=1, basis="IFRS",
        prior_month=prior_month if with_prior_month else None,
        prior_year=prior_year if with_prior_year else None,
        prior_year_end=prior_year_end if with_prior_year_end else None,
        budget=budget if with_budget else None,
        history=hist_tuple,
        worksheet=_worksheet(ents, current),
        trial_balance=_trial_balance(ents, current, prev, by_code),
        fx_rates=tuple(fx_rates), journals=tuple(current.journals),
        attributions=attributions,
        prior_year_end_attributions=_attributions(ents, cache[(YEAR - 1, 12)])
        if with_prior_year_end else None,
        variances=variances if with_budget else (),
        kpis=_kpis(balances, hist_tuple, chart),
        validation=validation, validation_score=D("97.5"), validation_light="green",
        audit_log=tuple(audit), positions=tuple(reversed(positions)),
        close_steps=_close_steps(start), checklist=_checklist(), intercompany=_intercompany(),
        full_year_budget=_full_year(budget) if with_budget else None,
        entity_results=_entity_results(ents, current, prev, by_code, factors, with_budget),
        fx_impact=_fx_impact(ents, chart, balances, prior_year),
        covenants=_covenants(chart, balances, hist_tuple))
    return data


def _full_year(budget: Comparative) -> FullYearBudget:
    """The year's budget: January to June as budgeted, then six more months like June's."""
    accounts = tuple(AccountYear(b.account, b.closing + 6 * b.month, 6 * b.month)
                     for b in budget.balances)
    return FullYearBudget(first=f"{YEAR}-01", last=f"{YEAR}-12", accounts=accounts)


def _entity_results(ents: tuple[_Ent, ...], current: _Consolidation, prev: _Consolidation,
                    by_code: dict[str, ChartAccount], factors: dict[str, Decimal],
                    with_budget: bool) -> EntityResults:
    """Each entity's translated result (the month: this worksheet less May's), budgets at the
    consolidated budget's factors, and the worksheet's other columns as the adjustments."""
    income = {c for c, a in by_code.items() if a.account_class in factors}
    now = [w for w in _worksheet(ents, current) if w.account in income]
    before = {(w.entity, w.account): w for w in _worksheet(ents, prev) if w.account in income}
    zero = WorksheetRow("", "", ZERO, "USD", None, ZERO, ZERO, ZERO, ZERO, ZERO)

    def other(w: WorksheetRow) -> Decimal:
        return w.eliminations + w.ppa + w.adjustments

    actual = tuple(EntityAmount(w.entity, w.account,
                                w.translated - before.get((w.entity, w.account), zero).translated,
                                w.translated) for w in now)
    budget = tuple(EntityAmount(a.entity, a.account,
                                _q(a.month * factors[by_code[a.account].account_class]),
                                _q(a.ytd * factors[by_code[a.account].account_class]))
                   for a in actual) if with_budget else ()
    adjust: dict[str, list[Decimal]] = {}
    for w in now:
        m = adjust.setdefault(w.account, [ZERO, ZERO])
        m[0] += other(w)
        m[1] += other(w)
    for (_, account), w in before.items():
        adjust.setdefault(account, [ZERO, ZERO])[0] -= other(w)
    return EntityResults(actual=actual, budget=budget,
                         adjustments=tuple(EntityAmount("", a, m, y) for a, (m, y) in sorted(adjust.items())),
                         shown=tuple(e.id for e in ents))


def _fx_impact(ents: tuple[_Ent, ...], chart: tuple[ChartAccount, ...],
               balances: tuple[ConsolidatedBalance, ...], prior_year: Comparative) -> FxImpact:
    """The FX impact through ``close.analysis.constant_currency``, from the sample's own months and rates."""
    lines, consolidated = [], []
    for scope, months in (("month", (MONTH,)), ("ytd", tuple(range(1, MONTH + 1)))):
        for side, year in (("current", YEAR), ("comparative", YEAR - 1)):
            for e in ents:
                for m in months:
                    rate = _average_rate(e.currency, year, m)
                    lines += [(scope, side, f"{YEAR}-{m:02d}", e.currency, code, to_minor(local, e.currency),
                               to_minor(_q(local * rate), "USD"))
                              for code, local in _monthly_income(e, year, m).items()]
            source = balances if side == "current" else prior_year.balances
            consolidated += [(scope, side, b.account,
                              to_minor(b.month if scope == "month" else b.closing, "USD")) for b in source]
    foreign = sorted({e.currency for e in ents} - {"USD"})
    rates = pd.DataFrame([(f"{YEAR}-{m:02d}", c, _average_rate(c, YEAR - 1, m)) for m in range(1, MONTH + 1)
                          for c in foreign], columns=["month", "currency", "rate"])
    frame = constant_currency_impact(
        pd.DataFrame(lines, columns=["scope", "side", "month", "currency", "account", "local", "translated"]),
        pd.DataFrame(consolidated, columns=["scope", "side", "account", "amount"]), rates,
        pd.DataFrame([(a.code, a.account_class, a.subclass, a.system_role or "") for a in chart],
                     columns=["code", "class", "subclass", "system_role"]), "USD")
    return FxImpact(PERIOD, f"{YEAR - 1}-{MONTH:02d}", rows=impact_rows(frame, "USD"),
                    rates=tuple((PERIOD, c, _average_rate(c, YEAR, MONTH), _average_rate(c, YEAR - 1, MONTH))
                                for c in foreign))


# Limits that give one covenant of each colour in the 4-entity sample.
SAMPLE_COVENANTS = CovenantSettings(net_debt_to_ebitda_max=D("2.5"), interest_cover_min=D("19.0"),
                                    minimum_liquidity=D("5000000"), undrawn_facilities=D("1000000"),
                                    amber_headroom=D("0.15"))


def _covenants(chart: tuple[ChartAccount, ...], balances: tuple[ConsolidatedBalance, ...],
               history: tuple[PeriodResult, ...]) -> CovenantReport:
    """The covenants through ``close.analysis.covenants``: this month and the sample's history."""
    months = [{b.account: b.month for b in balances},
              *({b.account: b.month for b in h.balances} for h in reversed(history[1:]))]
    accounts = [(a.code, a.account_class, a.subclass, a.system_role, a.kpi_tags) for a in chart]
    figures = covenant_figures({b.account: b.closing for b in balances}, months, accounts,
                               SAMPLE_COVENANTS.undrawn_facilities)
    return evaluate_covenants(SAMPLE_COVENANTS, figures)


def _close_steps(start: datetime) -> tuple[CloseStep, ...]:
    """The run's statuses: a wait at the REPORTING gate until the accruals were booked."""
    moves = [(start + timedelta(minutes=7 * (i + 1)), s) for i, s in enumerate(
        ("EXTRACTING", "MAPPING", "CONSOLIDATING", "VALIDATING", "ANALYZING", "AWAITING_TASKS"))]
    moves.append((start + timedelta(hours=3, minutes=10), "REPORTING"))
    return tuple(CloseStep(to, at, moves[i + 1][0] if i + 1 < len(moves) else None)
                 for i, (at, to) in enumerate(moves))


def _checklist() -> tuple[ChecklistTask, ...]:
    """Four tasks: one done on time, one done late (it held REPORTING), one overdue, one not yet due."""
    digest = "9b74c9897bac770ffc029102a200c5de" * 2
    return (
        ChecklistTask("bank-rec", "Bank reconciliations signed", "controller", date(2025, 7, 1), None,
                      datetime(2025, 7, 1, 16, 10, tzinfo=UTC), "ana.lima", digest, overdue=False),
        ChecklistTask("accruals", "Accruals booked", "controller", date(2025, 7, 2), "REPORTING",
                      datetime(2025, 7, 4, 15, 40, tzinfo=UTC), "joao.pereira", None, overdue=False),
        ChecklistTask("ic-confirm", "Intercompany balances confirmed with each entity", "controller",
                      date(2025, 7, 3), None, None, None, None, overdue=True),
        ChecklistTask("package-review", "Package reviewed", "cfo", date(2025, 7, 7), "SIGNOFF",
                      None, None, None, overdue=False),
    )


def with_locale(data: BoardPackData, locale: Locale) -> BoardPackData:
    """Return ``data`` rendered for another locale."""
    return replace(data, locale=locale)


def sample_signoff(data: BoardPackData) -> SignOff:
    """A sign-off of the sample run: prepared by the scheduler, reviewed, signed off, one waiver."""
    waived = [f for f in data.validation if f.waived_by]
    return SignOff(
        preparer=Signature("scheduler", data.as_of - timedelta(hours=6)),
        reviewer=Signature("maria.souza", data.as_of - timedelta(minutes=10)),
        approver=Signature("joao.pereira.cfo", data.as_of + timedelta(days=2, hours=3), operator=True),
        note="Approved for the July board meeting; IC timing difference reviewed with BR1's controller.",
        waivers=tuple(Waiver(f.code, f.entity, f.waived_by or "", data.as_of - timedelta(minutes=10),
                             f.waiver_reason or "") for f in waived))
