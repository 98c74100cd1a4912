"""The presented statements: they balance, tie to each other and say when data are missing."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

import pytest
from board_pack_sample import sample_board_pack

from close.engine.money import ZERO, D
from reports.model import (
    BoardPackData,
    ConsolidatedBalance,
    Journal,
    JournalLine,
    OwnershipStepRecord,
    WorksheetRow,
)
from reports.statements import (
    Statement,
    board_bridges,
    budget_bridge,
    build_statements,
    entity_figures,
    ytd_column,
)


def test_sample_trial_balances_sum_to_zero(sample: BoardPackData) -> None:
    assert sum((b.closing for b in sample.balances), ZERO) == 0
    assert sum((b.month for b in sample.balances), ZERO) == 0
    for entity in sample.entities:
        rows = [w for w in sample.worksheet if w.entity == entity.id]
        assert sum((w.translated for w in rows), ZERO) == 0, entity.id
    for journal in sample.journals:
        assert sum((line.amount for line in journal.lines), ZERO) == 0, journal.id


def test_worksheet_adds_up_to_the_consolidated_balances(sample: BoardPackData) -> None:
    by_account: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for w in sample.worksheet:
        assert w.translated + w.eliminations + w.ppa + w.adjustments == w.consolidated
        by_account[w.account] += w.consolidated
    assert {a: v for a, v in by_account.items() if v} == {
        b.account: b.closing for b in sample.balances if b.closing}


def test_balance_sheet_balances_in_every_column(sample: BoardPackData) -> None:
    bs = build_statements(sample).balance_sheet
    assert [c.key for c in bs.columns] == ["current", "prior_month", "prior_year_end", "prior_year"]
    assert bs.columns[2].label == "Prior year-end Dec 24"
    for c in range(4):
        assert bs.value("total_assets", c) == bs.value("total_liabilities_equity", c)
    # Equity = owners (incl. CTA in OCI) + NCI, shown separately.
    assert bs.value("total_equity") == bs.value("equity_owners") + bs.value("nci")
    assert bs.value("nci") > 0
    cta_line = next(line for line in bs.lines if line.account == "3300")
    assert cta_line.values[0] == -next(b.closing for b in sample.balances if b.account == "3300")


def test_income_statement_presents_revenue_positive_and_splits_nci(sample: BoardPackData) -> None:
    st = build_statements(sample)
    pl = st.income_statement
    ytd = ytd_column(pl)
    revenue_tb = sum((b.closing for b in sample.balances if b.account in ("4000", "4100", "4200")),
                     ZERO)
    assert pl.value("net_revenue", ytd) == -revenue_tb > 0
    assert pl.value("owners_of_parent", ytd) + pl.value("nci_share", ytd) == pl.value(
        "profit_for_period", ytd)
    assert pl.value("nci_share", ytd) == next(
        a.nci_profit_ytd for a in sample.attributions if a.entity == "BR2")
    # The year's profit attributable to owners is what the balance sheet carries in equity.
    assert st.balance_sheet.value("profit_for_year_owners") == pl.value("owners_of_parent", ytd)
    # Variance columns are actual - budget.
    keys = [c.key for c in pl.columns]
    m, b, v = keys.index("month"), keys.index("budget"), keys.index("variance")
    for line in pl.lines:
        if line.values:
            assert line.values[v] == line.values[m] - line.values[b]


def test_every_subtotal_is_the_sum_of_its_components(sample: BoardPackData) -> None:
    st = build_statements(sample)
    for statement in (st.balance_sheet, st.income_statement, st.cash_flow):
        for line in statement.lines:
            if line.components:
                for c in range(len(statement.columns)):
                    assert line.values[c] == sum(
                        (s * statement.lines[i].values[c] for i, s in line.components), ZERO)


def test_cash_flow_ends_at_balance_sheet_cash(sample: BoardPackData) -> None:
    st = build_statements(sample)
    cf = st.cash_flow
    cash = next(b for b in sample.balances if b.account == "1000")
    assert cf.value("cash_balance_sheet") == cash.closing == st.headline("cash")
    assert cf.value("cash_beginning") == cash.closing - cash.month
    # Every column adds up: beginning + net change = end; the difference line says what is left.
    for col in range(len(cf.columns)):
        assert cf.value("cash_end", col) == cf.value("cash_beginning", col) + cf.value(
            "net_change_cash", col)
        assert cf.value("reconciliation", col) == cf.value("cash_balance_sheet", col) - cf.value(
            "cash_end", col)
    assert [c.key for c in cf.columns] == ["month", "prior_month", "ytd"]
    assert cf.value("profit") == st.headline("net_income_month")


def test_comparatives_a_board_expects(sample: BoardPackData) -> None:
    """The month beside the same month last year; the balance sheet beside the prior year-end."""
    assert sample.prior_year is not None and sample.prior_year_end is not None
    pl = build_statements(sample).income_statement
    keys = [c.key for c in pl.columns]
    assert keys == ["month", "budget", "variance", "prior_year_month", "ytd", "budget_ytd",
                    "variance_ytd", "prior_year_ytd"]
    last_year = {b.account: b.month for b in sample.prior_year.balances}
    col = keys.index("prior_year_month")
    for line in pl.lines:
        if line.kind == "item" and line.account is not None:
            assert line.values[col] == -last_year.get(line.account, ZERO)
    bs = build_statements(sample).balance_sheet
    year_end = {b.account: b.closing for b in sample.prior_year_end.balances}
    cash = next(line for line in bs.lines if line.kind == "item")
    assert cash.values[2] == year_end[cash.account]


def test_first_month_of_the_year_shows_the_year_end_once() -> None:
    """In January the prior month is the prior year-end: one column, labelled as the year-end."""
    data = sample_board_pack()
    january = replace(data, prior_month=replace(data.prior_month, period="2024-12"))
    assert [c.key for c in build_statements(january).balance_sheet.columns] == [
        "current", "prior_year_end", "prior_year"]
def test_a_cash_movement_no_line_explains_is_printed_not_absorbed(sample: BoardPackData) -> None:
    # 100.00 more cash against the CTA (a movement no cash flow line classifies): the statement's
    # lines do not absorb it, the reconciliation line grows by exactly that and is flagged.
    entity = sample.worksheet[0].entity
    delta = {"1000": D("100.00"), "3300": D("-100.00")}

    def bump(w: WorksheetRow) -> WorksheetRow:
        d = delta.get(w.account, ZERO) if w.entity == entity else ZERO
        return replace(w, translated=w.translated + d, consolidated=w.consolidated + d)

    moved = replace(sample, worksheet=tuple(bump(w) for w in sample.worksheet))
    before, after = build_statements(sample).cash_flow, build_statements(moved).cash_flow
    for col, column in enumerate(after.columns):
        if column.key == "prior_month":
            continue
        assert after.value("reconciliation", col) - before.value("reconciliation", col) == D("100.00")
        assert after.value("net_change_cash", col) == before.value("net_change_cash", col)
    assert after.alerts == ("reconciliation",)


def test_missing_comparatives_are_not_available_never_zero() -> None:
    data = sample_board_pack(with_budget=False, with_prior_year=False, with_prior_month=False,
                             with_prior_year_end=False)
    st = build_statements(data)
    assert [c.key for c in st.balance_sheet.columns] == ["current"]
    assert [c.key for c in st.income_statement.columns] == ["month", "ytd"]
    assert any("Budget: not available" in n for n in st.income_statement.notes)
    assert any("Prior month: not available" in n for n in st.balance_sheet.notes)
    assert budget_bridge(st, data.locale) is None


def test_bridge_walks_from_budget_to_actual(sample: BoardPackData) -> None:
    st = build_statements(sample)
    steps = budget_bridge(st, sample.locale)
    assert steps is not None
    assert steps[0][0] == "budget" and steps[-1][0] == "actual"
    assert steps[0][2] + sum((s[2] for s in steps[1:-1]), ZERO) == steps[-1][2]


def test_entity_figures_sum_to_the_group(sample: BoardPackData) -> None:
    st = build_statements(sample)
    figures = entity_figures(sample)
    assert [f.entity for f in figures] == [e.id for e in sample.entities]
    assert sum((f.get("net_income").consolidated for f in figures), ZERO) == st.headline(
        "net_income_ytd")
    assert sum((f.get("total_assets").consolidated for f in figures), ZERO) == st.headline(
        "total_assets")
    br2 = next(f for f in figures if f.entity == "BR2")
    assert br2.get("revenue").local > br2.get("revenue").translated > 0  # BRL is ~0.18 USD


def test_model_refuses_naive_time_and_unknown_accounts(sample: BoardPackData) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        replace(sample, as_of=datetime(2025, 7, 4, 18, 30))  # noqa: DTZ001 - the point
    with pytest.raises(ValueError, match="not in the chart"):
        replace(sample, balances=(*sample.balances, ConsolidatedBalance("9999", D(1), D(1))))
    with pytest.raises(ValueError, match="locale"):
        replace(sample, locale="fr-FR")  # type: ignore[arg-type]


def test_ebitda_and_year_to_date_bridges_add_up(sample: BoardPackData) -> None:
    """Budget + each block's variance = actual, for the month's EBITDA and the year's net income."""
    st = build_statements(sample)
    pl = st.income_statement
    keys = [c.key for c in pl.columns]
    bridges = dict(board_bridges(st, sample.locale))
    ebitda = bridges["EBITDA bridge (month): budget to actual"]
    assert [k for k, _, _ in ebitda] == ["budget", "revenue", "cost_of_sales",
                                         "operating_expenses", "actual"]
    assert ebitda[0][2] == pl.value("ebitda", keys.index("budget"))
    assert ebitda[-1][2] == pl.value("ebitda", keys.index("month")) == st.headline("ebitda_month")
    ytd = bridges["Net income bridge (year to date): budget to actual"]
    assert ytd[0][2] == pl.value("profit_for_period", keys.index("budget_ytd"))
    assert ytd[-1][2] == pl.value("profit_for_period", keys.index("ytd"))
    for steps in (ebitda, ytd):
        assert sum((amount for _, _, amount in steps[:-1]), ZERO) == steps[-1][2]


def _soce_columns_add_across(soce: Statement) -> None:
    keys = [c.key for c in soce.columns]
    components = keys[:keys.index("equity_owners")]
    for line in soce.lines:
        if not line.values:
            continue
        v = dict(zip(keys, line.values, strict=True))
        assert v["equity_owners"] == sum((v[k] for k in components), ZERO), line.key
        assert v["total_equity"] == v["equity_owners"] + v["nci"], line.key


@pytest.mark.parametrize("locale", ["en-US", "pt-BR"])
def test_statement_of_changes_in_equity_reconciles_to_the_balance_sheet(locale: str) -> None:
    """IAS 1.106: prior year-end + every movement from its source = the balance sheet's equity."""
    data = sample_board_pack(locale=locale)  # type: ignore[arg-type]
    st = build_statements(data)
    soce, bs = st.equity_changes, st.balance_sheet
    keys = [c.key for c in soce.columns]
    assert keys == ["share_capital", "retained_earnings", "translation_reserve", "other_reserves",
                    "equity_owners", "nci", "total_equity"]
    _soce_columns_add_across(soce)
    for col in range(len(keys)):
        assert soce.value("soce_reconciliation", col) == 0, keys[col]
    assert not soce.alerts and not soce.notes
    year_end = [c.key for c in bs.columns].index("prior_year_end")
    for key in ("equity_owners", "nci", "total_equity"):
        assert soce.value("soce_closing", keys.index(key)) == bs.value(key), key
        assert soce.value("soce_opening", keys.index(key)) == bs.value(key, year_end), key
    pl = st.income_statement
    ytd = ytd_column(pl)
    assert soce.value("soce_profit", keys.index("retained_earnings")) == pl.value(
        "owners_of_parent", ytd)
    assert soce.value("soce_profit", keys.index("nci")) == pl.value("nci_share", ytd)
    # The owners' CTA is the CTA account; the NCI's exchange differences are its share of CTA.
    assert soce.value("soce_exchange_differences", keys.index("translation_reserve")) == (
        st.headline("cta") + sum((b.closing for b in data.prior_year_end.balances
                                  if b.account == "3300"), ZERO))
    assert soce.value("soce_exchange_differences", keys.index("nci")) != 0


def test_statement_of_changes_in_equity_prints_what_it_cannot_explain(
        sample: BoardPackData) -> None:
    """100.00 moved from retained earnings to share capital with no source: printed in red."""
    moved = replace(sample, balances=tuple(
        replace(b, closing=b.closing + {"3000": D("-100.00"), "3100": D("100.00")}.get(
            b.account, ZERO)) for b in sample.balances))
    soce = build_statements(moved).equity_changes
    keys = [c.key for c in soce.columns]
    assert soce.value("soce_reconciliation", keys.index("share_capital")) == D("100.00")
    assert soce.value("soce_reconciliation", keys.index("retained_earnings")) == D("-100.00")
    assert soce.value("soce_reconciliation", keys.index("total_equity")) == 0
    assert soce.alerts == ("soce_reconciliation",)
    assert any("Share capital" in n and "100.00" in n for n in soce.notes)


def test_statement_of_changes_in_equity_without_a_prior_year_end_is_not_available() -> None:
    soce = build_statements(sample_board_pack(with_prior_year_end=False)).equity_changes
    assert soce.lines == ()
    assert any("not available" in n for n in soce.notes)


def test_statement_of_changes_in_equity_shows_dividends_to_nci_and_transactions_with_nci(
        sample: BoardPackData) -> None:
    """The NCI's side of its dividends (the engine's NCI journal) and of an ownership step (its facts)."""
    role = {a.system_role: a.code for a in sample.chart if a.system_role}
    nci, dividends, with_nci = role["nci_equity"], role["dividends"], role["transactions_with_nci"]
    # BR2 declares 1,000.00 to its minority; HOLD sells shares of BR2 for their NCI carrying amount
    # of 2,500.00 (the NCI rises by 2,500.00, the parent's equity takes the difference).
    moves = {nci: D("1000.00") - D("2500.00"), dividends: D("-1000.00"), with_nci: D("2500.00")}
    present = {b.account for b in sample.balances}
    changed = replace(
        sample,
        balances=(*(replace(b, closing=b.closing + moves.get(b.account, ZERO)) for b in sample.balances),
                  *(ConsolidatedBalance(code, amount, amount) for code, amount in moves.items()
                    if code not in present)),
        journals=(*sample.journals,
                  Journal("NCI:BR2", "nci", "dividends of BR2 to its minority", "IFRS", (
                      JournalLine("BR2", dividends, D("-1000.00")), JournalLine("BR2", nci, D("1000.00")))),
                  Journal("STEP:BR2", "nci", "change in ownership of BR2", "IFRS", (
                      JournalLine("BR2", nci, D("-2500.00")), JournalLine("HOLD", with_nci, D("2500.00"))))),
        ownership_steps=(OwnershipStepRecord("BR2", sample.period, D("2500.00")),),
    )
    soce = build_statements(changed).equity_changes
    keys = [c.key for c in soce.columns]
    _soce_columns_add_across(soce)
    assert soce.value("soce_dividends", keys.index("nci")) == D("-1000.00")
    # The owners' dividends stay the dividends account, which the NCI journal has relieved.
    assert soce.value("soce_dividends", keys.index("retained_earnings")) == -sum(
        (b.closing for b in changed.balances if b.account == dividends), ZERO)
    assert soce.value("soce_transactions_with_nci", keys.index("nci")) == D("2500.00")
    assert soce.value("soce_transactions_with_nci", keys.index("other_reserves")) == D("-2500.00")
    for col in range(len(keys)):
        assert soce.value("soce_reconciliation", col) == 0, keys[col]
    assert not soce.alerts
