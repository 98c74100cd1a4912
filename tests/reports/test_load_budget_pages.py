"""The full-year budget, the forecast and the entities' results as ``load_board_pack`` reads them."""

from __future__ import annotations

import pytest
from test_load import CONFIG, full_run, new_run

from close.engine.money import D
from close.errors import InputDataError
from close.run.stages.board_pack import load_board_pack
from close.storage import Database
from close.storage.runs import get_run, put_input

FORECAST_CONFIG = CONFIG.replace('budget = "budget.csv"', 'budget = "budget.csv"\nforecast = "forecast.csv"')
FULL_BUDGET = b"period,entity,account,amount\n" + b"".join(
    f"2025-{m:02d},,4000,-100.00\n".encode() for m in range(1, 13))


def test_entities_are_read_from_the_worksheet_and_the_translated_movements(db: Database) -> None:
    run = full_run(db)
    with db.tx() as conn:
        data = load_board_pack(conn, run)
    results = data.entity_results
    assert results is not None and results.shown == ("HOLD", "BR1", "BR2")  # not the entity at cost
    br1 = {(a.account): a for a in results.actual if a.entity == "BR1"}
    assert (br1["4000"].ytd, br1["4000"].month) == (D("-200000.00"), D("-30000.00"))  # PPA book apart
    assert set(br1) == {"4000"}  # balance-sheet rows are not results
    # the IC elimination and the NCI share, both group postings on BR1's rows
    assert {a.account: a.ytd for a in results.adjustments} == {"4000": D("10000.00"), "8900": D("700.00")}
    # May's run stored no worksheet: the month's eliminations are unknown, not zero.
    assert results.month_adjustments_known is False
    assert [(b.entity, b.account, b.month, b.ytd) for b in results.budget] == [
        ("BR1", "4000", D("-1.00"), D("-1.00"))]
    year = data.full_year_budget
    assert year is not None and (year.first, year.last) == ("2025-01", "2025-12")
    assert year.missing == ("2025-01", "2025-02", "2025-03", "2025-04", "2025-07", "2025-08",
                            "2025-09", "2025-10", "2025-11", "2025-12")


def test_the_forecast_feeds_the_outlook_and_a_bad_one_is_named(db: Database) -> None:
    with db.tx() as conn:
        run = new_run(conn, "2025-06", budget=FULL_BUDGET, config=FORECAST_CONFIG)
        put_input(conn, run.id, "forecast.csv", b"period,entity,account,amount\n2025-12,,4000,-250.00\n",
                  kind="file")
        year = load_board_pack(conn, get_run(conn, run.id)).full_year_budget
    assert year is not None and year.missing == () and year.forecast_months == ("2025-12",)
    assert {a.account: (a.full_year, a.rest_of_year) for a in year.accounts} == {
        "4000": (D("-1200.00"), D("-750.00"))}  # July..November budget + December forecast
    with db.tx() as conn:
        run = new_run(conn, "2025-07", budget=FULL_BUDGET, config=FORECAST_CONFIG)
        put_input(conn, run.id, "forecast.csv", b"period,entity,account,amount\n2025-12,,1000,5.00\n",
                  kind="file")
        with pytest.raises(InputDataError, match=r"forecast\.csv.*not income-statement accounts.*1000"):
            load_board_pack(conn, get_run(conn, run.id))
