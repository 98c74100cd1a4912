"""Full-year budget and outlook, entities against budget: figures, reconciliation, rendering."""

from __future__ import annotations

import io
from dataclasses import replace
from decimal import Decimal

import openpyxl
import pytest
from board_pack_sample import sample_board_pack
from report_readers import pdf_pages

from close.engine.money import ZERO, D
from reports.budget_model import AccountYear, EntityAmount
from reports.budget_pages import ENTITY_FIGURES, entity_statement, full_year_statement, variance_pct
from reports.excel import build_workbook
from reports.labels import t
from reports.pdf import build_board_pdf
from reports.statements import income_statement


def _col(st, key: str) -> int:  # noqa: ANN001 - a Statement
    return [c.key for c in st.columns].index(key)


@pytest.mark.parametrize("locale", ["en-US", "pt-BR"])
def test_entities_plus_eliminations_give_the_income_statement(locale: str) -> None:
    data = sample_board_pack(locale=locale)
    st, pl = entity_statement(data), income_statement(data)
    assert not st.alerts
    for f in ENTITY_FIGURES:
        for scope, budget in (("month", "budget"), ("ytd", "budget_ytd")):
            entities = st.value(f"entities_total:{f}", _col(st, scope))
            eliminations = st.value(f"eliminations:{f}", _col(st, scope))
            assert entities + eliminations == pl.value(f, _col(pl, scope))
            assert st.value(f"consolidated:{f}", _col(st, budget)) == pl.value(f, _col(pl, budget))
            assert st.value(f"difference:{f}", _col(st, scope)) == ZERO
    # The sample's intercompany fee (10,000 a month) is what the revenue eliminations remove.
    assert st.value("eliminations:net_revenue", _col(st, "month")) == D("-10000.00")


def test_a_missing_adjustment_is_printed_in_red_not_absorbed() -> None:
    data = sample_board_pack()
    results = data.entity_results
    dropped = tuple(a for a in results.adjustments if a.account != "4150")  # the IC fee revenue
    st = entity_statement(replace(data, entity_results=replace(results, adjustments=dropped)))
    assert "difference:net_revenue" in st.alerts
    assert st.value("difference:net_revenue", _col(st, "month")) == D("-10000.00")
    assert any("10,000.00" in n for n in st.notes)


def test_variance_percent_is_of_the_absolute_budget_and_na_without_one() -> None:
    assert variance_pct(D("20"), D("100")) == D("0.2")
    assert variance_pct(D("-15"), D("-10")) == D("-1.5")  # a loss budgeted, a bigger loss: adverse
    assert variance_pct(D("5"), ZERO) is None
    data = sample_board_pack()
    st = entity_statement(data)
    hold = (st.value("HOLD:net_revenue", _col(st, "variance"))
            / st.value("HOLD:net_revenue", _col(st, "budget")))
    assert st.value("HOLD:net_revenue", _col(st, "variance_pct")) == hold


def test_full_year_outlook_adds_the_rest_of_the_budget_to_the_actual() -> None:
    data = sample_board_pack()
    st, pl = full_year_statement(data), income_statement(data)
    rest = {a.account: a.rest_of_year for a in data.full_year_budget.accounts}
    for f in ("net_revenue", "ebitda", "profit_for_period"):
        ytd = pl.value(f, _col(pl, "ytd"))
        assert st.value(f, _col(st, "ytd")) == ytd
        assert st.value(f, _col(st, "budget_ytd")) == pl.value(f, _col(pl, "budget_ytd"))
        assert st.value(f, _col(st, "outlook_variance")) == (
            st.value(f, _col(st, "fy_outlook")) - st.value(f, _col(st, "fy_budget")))
    line = next(x for x in st.lines if x.key == "4000")  # product revenue, presented positive
    assert line.values[_col(st, "fy_outlook")] - line.values[_col(st, "ytd")] == -rest["4000"] != ZERO


def test_a_budget_that_misses_months_is_not_added_up() -> None:
    data = sample_board_pack(locale="pt-BR")
    year = replace(data.full_year_budget, missing=("2025-11", "2025-12"))
    st = full_year_statement(replace(data, full_year_budget=year))
    assert not st.lines
    assert st.notes == (t("pt-BR", "fy_budget_missing", months="nov 25, dez 25"),)


def test_the_workbook_writes_formulas_with_their_values() -> None:
    data = sample_board_pack()
    book = openpyxl.load_workbook(io.BytesIO(build_workbook(data)), data_only=True)
    ws = book[t("en-US", "sheet_entity_pl")]
    st = entity_statement(data)
    rows = {ws.cell(r, 1).value: r for r in range(1, ws.max_row + 1)}
    r = rows[t("en-US", "entity_difference")]
    assert ws.cell(r, 2 + _col(st, "ytd")).value == 0
    total = [ws.cell(r, 2 + _col(st, "variance_pct")).value for r in range(1, ws.max_row + 1)
             if ws.cell(r, 1).value == t("en-US", "entities_total")][0]
    expected = st.value("entities_total:net_revenue", _col(st, "variance_pct"))
    assert round(Decimal(str(total)), 6) == round(expected, 6)
    formulas = openpyxl.load_workbook(io.BytesIO(build_workbook(data)))[t("en-US", "sheet_entity_pl")]
    assert str(formulas.cell(rows[t("en-US", "entities_total")], 2).value).startswith("=")


def test_the_pages_are_in_the_board_pdf_in_both_languages() -> None:
    for locale in ("en-US", "pt-BR"):
        pages = pdf_pages(build_board_pdf(sample_board_pack(locale=locale)))
        assert any(p.lstrip().startswith(t(locale, "full_year")) or t(locale, "full_year") in p[:300]
                   for p in pages)
        entity_page = next(p for p in pages if t(locale, "entity_pl") in p[:300])
        assert t(locale, "entity_eliminations") in " ".join(entity_page.split())  # it may wrap


def test_entity_amount_records_are_frozen() -> None:
    with pytest.raises(AttributeError):
        EntityAmount("HOLD", "4000", ZERO, ZERO).ytd = D("1")  # type: ignore[misc]
    assert AccountYear("4000", D("12"), D("6")).rest_of_year == D("6")


def test_the_outlook_note_names_the_forecast_and_the_budget_months() -> None:
    data = sample_board_pack()
    year = replace(data.full_year_budget, forecast_months=("2025-07", "2025-08", "2025-09"))
    (note,) = full_year_statement(replace(data, full_year_budget=year)).notes
    assert "the forecast of Jul 25–Sep 25 and the budget of Oct 25–Dec 25" in note
    december = replace(data, period="2025-12", full_year_budget=replace(year, forecast_months=()))
    assert full_year_statement(december).notes == (t("en-US", "fy_outlook_year_end", period="Dec 25",
                                                     first="Jan 25", last="Dec 25"),)
