"""Rates, intercompany and reasonableness checks: crafted inputs that trip them, with evidence."""

from __future__ import annotations

import pandas as pd

from close.checks import (
    check_flux_budget,
    check_flux_prior_month,
    check_intercompany_pairs,
    check_key_ratios,
    check_rate_moves,
    check_rates_complete,
)
from close.config import ClassMateriality, RatioBand, Thresholds, ValidationSettings
from close.engine.intercompany import IC_PAIR_COLUMNS
from close.engine.money import D
from tests.close.validation.tbs import BUDGET, CONSOLIDATED, PRIOR_RATES, clean, edit, rate, tb


def flagged(results: list) -> list:
    return [r for r in results if r.severity != "pass"]


def evidence(r: object) -> tuple:
    return (r.entity, r.account, r.expected, r.actual, r.difference)  # type: ignore[attr-defined]


def test_missing_average_rate() -> None:
    [r] = flagged(check_rates_complete(clean(rates=(rate("2025-08", "closing", "0.2"),))))
    assert (r.severity, r.category) == ("fail", "rates")
    assert evidence(r) == ("BR1", None, "average BRL->USD 2025-08", "missing", None)


def test_rate_of_another_period_does_not_count() -> None:
    found = flagged(check_rates_complete(clean(rates=PRIOR_RATES)))
    assert [r.expected for r in found] == ["closing BRL->USD 2025-08", "average BRL->USD 2025-08"]


def test_rate_moved_beyond_threshold() -> None:
    rates = (rate("2025-08", "closing", "0.2250"), rate("2025-08", "average", "0.21"))
    [r] = flagged(check_rate_moves(clean(rates=rates)))
    assert (r.severity, r.expected, r.actual, r.difference) == ("warn", "0.2", "0.2250", "0.0250")
    assert "12.5%" in r.message


IC = """
entity | counterparty | kind | entity_amount | counterparty_amount | difference | mismatch | status
US1 | BR1 | receivable_payable | 1000.00 | -1000.00 | 0.00 | 0.00 | eliminated
BR1 | US1 | revenue_expense | -480.00 | 500.00 | 20.00 | 20.00 | uneliminated
US1 | BR1 | loan | 300.00 | -299.50 | 0.50 | 0.50 | plugged
"""


def test_intercompany_unmatched_and_plugged_pairs_show_both_sides() -> None:
    uneliminated, plugged = flagged(check_intercompany_pairs(clean(ic_pairs=tb(IC))))
    assert (uneliminated.severity, plugged.severity) == ("fail", "warn")
    assert evidence(uneliminated) == ("BR1", None, "-500.00", "-480.00", "20.00")
    assert uneliminated.message == (
        "BR1 with US1 revenue_expense (uneliminated): expected -500.00 != actual "
        "-480.00 (20.00 too much), unexplained 20.00"
    )
    assert evidence(plugged) == ("US1", None, "299.50", "300.00", "0.50")


def test_intercompany_pairs_tolerate_extra_columns_and_text_amounts() -> None:
    pairs = tb(IC).astype(object).assign(explained=0, note="x")
    pairs["entity_amount"] = pairs["entity_amount"].astype(str)
    assert len(flagged(check_intercompany_pairs(clean(ic_pairs=pairs)))) == 2
    no_pairs = pd.DataFrame(columns=list(IC_PAIR_COLUMNS))
    assert flagged(check_intercompany_pairs(clean(ic_pairs=no_pairs))) == []


def test_flux_against_prior_month_with_class_override() -> None:
    thresholds = Thresholds(mom_abs=D(100), mom_pct=D(10))
    # Revenue moved from -680 to -700 (20.00): not material at 100.00 ...
    assert "4000" not in {r.account for r in flagged(check_flux_prior_month(clean(thresholds=thresholds)))}
    # ... but revenue's own materiality of 10.00 makes it so.
    settings = ValidationSettings(materiality=(ClassMateriality("revenue", mom_abs=D(10)),))
    found = {
        r.account: r for r in flagged(check_flux_prior_month(clean(thresholds=thresholds, settings=settings)))
    }
    assert evidence(found["4000"]) == (None, "4000", "-680.00", "-700.00", "-20.00")
    assert found["4000"].message.endswith("(20.00 too little), -2.9%")
    # Cash 2,000 → 2,700 and payables: material at 100.00 under the overall thresholds.
    assert evidence(found["1000"]) == (None, "1000", "2000.00", "2700.00", "700.00")


def test_flux_against_budget() -> None:
    thresholds = Thresholds(budget_abs=D(100000), budget_pct=D("0.02"))
    found = flagged(check_flux_budget(clean(thresholds=thresholds)))
    # Revenue -700 vs -690 is 1.4 %; cost of sales 200 vs 205 is 2.4 %: only the latter.
    assert [evidence(r) for r in found] == [(None, "5000", "205.00", "200.00", "-5.00")]
    unbudgeted = edit(CONSOLIDATED, {"std_account": "6000"}, movement="50.00")
    unbudgeted = edit(unbudgeted, {"std_account": "1000"}, movement="650.00")
    found = flagged(
        check_flux_budget(
            clean(
                consolidated=unbudgeted,
                budget=BUDGET[BUDGET["std_account"] != "6000"],
                thresholds=Thresholds(budget_abs=D(40)),
            )
        )
    )
    assert [evidence(r) for r in found] == [(None, "6000", "0.00", "50.00", "50.00")]


def test_key_ratio_outside_its_band() -> None:
    settings = ValidationSettings(
        ratio_bands=(RatioBand("current_ratio", low=D(4)), RatioBand("gross_margin", low=D(0), high=D(70)))
    )
    current, margin = flagged(check_key_ratios(clean(settings=settings)))
    # Current assets 2,700 / current liabilities 700 = 3.86; gross margin (700 − 200) / 700 = 71.43 %.
    assert evidence(current) == (None, None, "4 .. inf", "3.86", "-0.14")
    assert evidence(margin) == (None, None, "0 .. 70", "71.43", "1.43")
    assert margin.message == "Gross margin: expected 0 .. 70 != actual 71.43% (1.43 too much)"


def test_unknown_kpi_band_is_reported() -> None:
    [r] = flagged(
        check_key_ratios(clean(settings=ValidationSettings(ratio_bands=(RatioBand("bogus", low=D(1)),))))
    )
    assert (r.severity, r.expected, r.actual) == ("warn", "bogus", "unknown KPI")
