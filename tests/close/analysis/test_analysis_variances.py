"""Variances, drivers, trends and anomalies on inline frames with hand-computed figures."""

from __future__ import annotations

import json
from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from close.analysis.variances import (
    CONSOLIDATION_KEY,
    DRIVER_DIMENSIONS,
    AnalysisInputs,
    DriverFigures,
    Variance,
    analyze,
    compute_variances,
    is_material,
    month_changes,
    previous_period,
    robust_z_score,
    variance_from_json,
    variance_to_json,
)
from close.config import Thresholds
from close.engine.money import D
from close.errors import InputDataError
from tests.close.analysis.frames import chart, entity_figures, figures

CURRENT = figures("""
4000 | -1,200,000.00
6100 |    110,000.00
6000 |     52,000.00
1000 |    500,000.00
""")
PRIOR_MONTH = figures("""
4000 | -1,000,000.00
6100 |    100,000.00
6000 |     50,000.00
1000 |    480,000.00
""")
PRIOR_YEAR = figures("""
4000 | -1,100,000.00
6000 |     52,000.00
""")
BUDGET = figures("""
4000 | -1,150,000.00
6100 |    105,000.00
6000 |     45,000.00
""")
# Entities sum to -1,250,000 of revenue; consolidation eliminated 50,000 of it (40,000 last
# month). BR01 reports in BRL: at last month's rates its revenue would have been 760,000.
MOM_DRIVERS = DriverFigures(
    current=entity_figures("""
BR01 | 4000 | CC-SALES | COM | -500,000.00
BR01 | 4000 | CC-WEB   | DIG | -300,000.00
US01 | 4000 | CC-SALES | COM | -450,000.00
BR01 | 6100 |          |     |  110,000.00
BR01 | 6000 | CC-SALES | COM |   52,000.00
BR01 | 1000 |          |     |  500,000.00
"""),
    comparison=entity_figures("""
BR01 | 4000 | CC-SALES | COM | -450,000.00
BR01 | 4000 | CC-WEB   | DIG | -150,000.00
US01 | 4000 | CC-SALES | COM | -440,000.00
BR01 | 6100 |          |     |  100,000.00
BR01 | 6000 | CC-SALES | COM |   50,000.00
BR01 | 1000 |          |     |  480,000.00
"""),
    current_at_comparison_rates=entity_figures("""
BR01 | 4000 | CC-SALES | COM | -475,000.00
BR01 | 4000 | CC-WEB   | DIG | -285,000.00
US01 | 4000 | CC-SALES | COM | -450,000.00
BR01 | 6100 |          |     |  100,000.00
BR01 | 6000 | CC-SALES | COM |   47,000.00
BR01 | 1000 |          |     |  450,000.00
"""),
)
# Rent moved within ±1,000 for a year, then jumped 10,000 this month.
RENT_HISTORY = {
    f"{p}": figures(f"6100 | {amount}")
    for p, amount in zip(
        ["2024-03", "2024-04", "2024-05", "2024-06", "2024-07", "2024-08", "2024-09",
         "2024-10", "2024-11", "2024-12", "2025-01"],
        ["100000", "101000", "100000", "100500", "100000", "100000", "101000", "100000",
         "100500", "100000", "100000"], strict=True)
}


def inputs(**overrides: object) -> AnalysisInputs:
    base: dict[str, object] = {
        "chart": chart(), "period": "2025-03", "currency": "USD", "current": CURRENT,
        "prior_month": PRIOR_MONTH, "prior_year": PRIOR_YEAR, "budget": BUDGET,
        "history": RENT_HISTORY, "drivers": {"mom": MOM_DRIVERS},
    }
    base.update(overrides)
    return AnalysisInputs(**base)  # type: ignore[arg-type]


def find(variances: tuple[Variance, ...], account: str, kind: str,
         entity: str | None = None) -> Variance:
    (match,) = [v for v in variances
                if v.account == account and v.kind == kind and v.entity == entity]
    return match


def test_mom_variances_equal_hand_computed_figures() -> None:
    variances = compute_variances(inputs())
    revenue = find(variances, "4000", "mom")
    assert (revenue.current, revenue.comparison, revenue.delta) == (
        D("1200000.00"), D("1000000.00"), D("200000.00"))
    assert revenue.pct == D("0.2000")
    assert revenue.material and revenue.favourable is True
    rent = find(variances, "6100", "mom")
    assert (rent.delta, rent.pct, rent.material, rent.favourable) == (
        D("10000.00"), D("0.1000"), True, False)
    salaries = find(variances, "6000", "mom")  # 2,000 and 4 %: under both MoM thresholds
    assert (salaries.delta, salaries.pct, salaries.material) == (D("2000.00"), D("0.0400"), False)
    cash = find(variances, "1000", "mom")  # 20,000 but 4.17 %: both thresholds must be crossed
    assert (cash.delta, cash.pct, cash.material, cash.favourable) == (
        D("20000.00"), D("0.0417"), False, None)


def test_budget_and_yoy_variances_equal_hand_computed_figures() -> None:
    variances = compute_variances(inputs())
    # Materiality needs BOTH thresholds (issue 17): 50,000 over budget is only 4.35 %.
    revenue = find(variances, "4000", "budget")
    assert (revenue.delta, revenue.pct, revenue.material) == (D("50000.00"), D("0.0435"), False)
    rent = find(variances, "6100", "budget")  # 5,000 and 4.76 %: under both
    assert (rent.delta, rent.pct, rent.material) == (D("5000.00"), D("0.0476"), False)
    salaries = find(variances, "6000", "budget")  # 15.56 % but only 7,000: under the 10,000
    assert (salaries.delta, salaries.pct, salaries.material) == (D("7000.00"), D("0.1556"), False)
    assert not [v for v in variances if v.kind == "budget" and v.account == "1000"], \
        "a P&L budget must not produce balance-sheet variances"
    yoy = find(variances, "4000", "yoy")
    assert (yoy.delta, yoy.pct, yoy.material) == (D("100000.00"), D("0.0909"), False)  # < 10 %
    assert find(variances, "6000", "yoy").delta == D("0.00")
    # Rent had no figure a year ago: the percentage is undefined, the absolute test decides.
    rent_yoy = find(variances, "6100", "yoy")
    assert (rent_yoy.comparison, rent_yoy.pct, rent_yoy.material) == (D("0.00"), None, True)


def test_revenue_drivers_by_entity_split_fx_and_reconcile_to_consolidation() -> None:
    revenue = find(compute_variances(inputs()), "4000", "mom")
    table = [(d.key, d.delta, d.fx_effect, d.operational, d.rank)
             for d in revenue.driver_table("entity")]
    assert table == [
        ("BR01", D("200000.00"), D("40000.00"), D("160000.00"), 1),
        (CONSOLIDATION_KEY, D("-10000.00"), None, None, 2),
        ("US01", D("10000.00"), D("0.00"), D("10000.00"), 3),
    ]
    assert revenue.fx_effect == D("40000.00")
    by_cc = [(d.key, d.delta, d.fx_effect) for d in revenue.driver_table("cost_center")]
    assert by_cc == [
        ("CC-WEB", D("150000.00"), D("15000.00")),
        ("CC-SALES", D("60000.00"), D("25000.00")),
        (CONSOLIDATION_KEY, D("-10000.00"), None),
    ]


def test_every_driver_table_sums_exactly_to_its_variance() -> None:
    variances = compute_variances(inputs())
    with_drivers = [v for v in variances if v.drivers]
    assert len(with_drivers) >= 6
    for v in with_drivers:
        dims = DRIVER_DIMENSIONS if v.entity is None else ("cost_center", "department")
        for dim in dims:
            assert sum(d.delta for d in v.driver_table(dim)) == v.delta, (v.account, v.kind, dim)
        for d in v.drivers:
            if d.fx_effect is not None:
                assert d.fx_effect + d.operational == d.delta


def test_rent_variance_is_all_translation_effect() -> None:
    rent = find(compute_variances(inputs()), "6100", "mom")
    (br01,) = rent.driver_table("entity")
    assert (br01.delta, br01.fx_effect, br01.operational) == (
        D("10000.00"), D("10000.00"), D("0.00"))
    unassigned = rent.driver_table("cost_center")
    assert [d.key for d in unassigned] == ["(unassigned)"]


def test_per_entity_variances_have_dimension_drivers() -> None:
    variances = compute_variances(inputs())
    br01 = find(variances, "4000", "mom", entity="BR01")
    assert (br01.current, br01.comparison, br01.delta, br01.pct) == (
        D("800000.00"), D("600000.00"), D("200000.00"), D("0.3333"))
    assert br01.fx_effect == D("40000.00")
    assert [(d.key, d.delta) for d in br01.driver_table("cost_center")] == [
        ("CC-WEB", D("150000.00")), ("CC-SALES", D("50000.00"))]
    us01 = find(variances, "4000", "mom", entity="US01")
    assert (us01.delta, us01.pct, us01.material) == (D("10000.00"), D("0.0227"), False)


def test_trend_runs_twelve_months_before_to_this_month() -> None:
    rent = find(compute_variances(inputs()), "6100", "mom")
    assert [p.period for p in rent.trend] == [
        "2024-03", "2024-04", "2024-05", "2024-06", "2024-07", "2024-08", "2024-09", "2024-10",
        "2024-11", "2024-12", "2025-01", "2025-02", "2025-03"]
    assert rent.trend[-1].amount == D("110000.00")
    assert rent.trend[1].amount == D("101000.00")
    revenue = find(compute_variances(inputs()), "4000", "mom")
    assert [p.amount for p in revenue.trend][-2:] == [D("1000000.00"), D("1200000.00")]


def test_rent_jump_is_an_anomaly_with_hand_computed_z_score() -> None:
    result = analyze(inputs())
    (rent,) = [a for a in result.anomalies if a.account == "6100"]
    # History changes: ±1000, ±500, 0 → median 0, MAD 500; z = 0.6745 × 10000 / 500.
    assert (rent.change, rent.median, rent.mad, rent.history_points) == (
        D("10000.00"), D("0.00"), D("500.00"), 11)
    assert rent.z_score == D("13.49")
    assert {a.account for a in result.anomalies} == {"6100"}  # others lack history
    assert len(result.material) == len([v for v in result.variances if v.material])


def test_robust_z_score_falls_back_to_mean_absolute_deviation() -> None:
    score = robust_z_score(50, [0, 0, 0, 0, 0, 0, 70])
    assert (score.median, score.mad) == (D(0), D(0))
    assert score.z == D(50) / (D("1.253314") * D(10))
    assert robust_z_score(5, [3, 3, 3]).z is None
    assert robust_z_score(3, [3, 3, 3]).z == D(0)
    with pytest.raises(ValueError, match="at least one"):
        robust_z_score(1, [])


def test_month_changes_skip_gaps_between_months() -> None:
    levels = {"2024-11": D(10), "2024-12": D(15), "2025-02": D(30), "2025-03": D(28)}
    assert month_changes(levels) == {"2024-12": D(5), "2025-03": D(-2)}
    assert previous_period("2025-01") == "2024-12"


def test_missing_comparisons_produce_no_variances_of_that_kind() -> None:
    variances = compute_variances(inputs(budget=None, prior_year=None, drivers={}))
    assert {v.kind for v in variances} == {"mom"}
    assert all(v.drivers == () and v.fx_effect is None for v in variances)


def test_thresholds_are_configurable() -> None:
    strict = Thresholds(mom_abs=D(1000), mom_pct=D("0.03"))
    salaries = find(compute_variances(inputs(thresholds=strict)), "6000", "mom")
    assert salaries.material  # 2,000 and 4 %: over both lowered thresholds
    assert not find(compute_variances(inputs(thresholds=Thresholds(
        mom_abs=D(1000), mom_pct=D("0.05")))), "6000", "mom").material  # 4 % < 5 %


def test_materiality_needs_both_thresholds() -> None:
    t = Thresholds(budget_abs=D(10000), budget_pct=D("0.10"))
    # The issue-17 case: a 980 swing on a 2,000 line is 49 % but far under 10,000.
    assert not is_material(t, "budget", D(980), D(2000))
    assert not is_material(t, "budget", D(30000), D(5000000))  # 0.6 %
    assert is_material(t, "budget", D(10000), D(100000))  # exactly at both limits
    assert is_material(t, "budget", D(-12000), D(0))  # no comparison: the absolute test alone


def test_unknown_account_is_reported_with_its_code() -> None:
    bad = pd.concat([CURRENT, figures("9999 | 1.00")], ignore_index=True)
    with pytest.raises(InputDataError, match="9999"):
        compute_variances(inputs(current=bad))


_ENTITY = st.sampled_from(["BR01", "US01", "MX01"])
_CC = st.sampled_from(["", "CC1", "CC2"])
_AMOUNT = st.integers(min_value=-10**15, max_value=10**15)
_ROWS = st.lists(st.tuples(_ENTITY, st.sampled_from(["4000", "6100"]), _CC, _CC, _AMOUNT),
                 max_size=12)


@settings(max_examples=30, deadline=None)
@given(cur=_ROWS, cmp=_ROWS, const=_ROWS, cons_cur=_AMOUNT, cons_cmp=_AMOUNT)
def test_driver_tables_always_reconcile(cur: list, cmp: list, const: list, cons_cur: int,
                                        cons_cmp: int) -> None:
    columns = ["entity", "std_account", "cost_center", "department", "amount"]

    def frame(rows: list) -> pd.DataFrame:
        return pd.DataFrame(rows, columns=columns).astype({"amount": "int64"})

    consolidated = pd.DataFrame({"std_account": ["4000"], "amount": [cons_cur]})
    comparison = pd.DataFrame({"std_account": ["4000"], "amount": [cons_cmp]})
    result = compute_variances(inputs(
        current=consolidated, prior_month=comparison, prior_year=None, budget=None, history={},
        drivers={"mom": DriverFigures(frame(cur), frame(cmp), frame(const))}))
    for v in result:
        dims = DRIVER_DIMENSIONS if v.entity is None else ("cost_center", "department")
        for dim in dims:
            table = v.driver_table(dim)
            if v.entity is None or table:
                assert sum((d.delta for d in table), Decimal(0)) == v.delta


def test_variances_round_trip_through_json_exactly() -> None:
    for v in compute_variances(inputs()):
        text = json.dumps(variance_to_json(v))
        assert variance_from_json(json.loads(text)) == v
