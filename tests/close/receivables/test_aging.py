"""Acceptance 1 of issue 21: aging buckets, DSO and the ECL provision against hand-computed values.

The period is November 2026, so the titles are aged at 30 Nov 2026. Days past due are counted
from the due date to that day (Sep has 30 days, Oct 31):

    BR1 (BRL)  customer  due         days past due                    bucket     open
    D1         Alfa      2026-12-10  -10 (not yet due)                 current    1,000.00
    D2         Alfa      2026-11-30    0 (due today: not late)         current      500.00
    D3         Beta      2026-11-20   10                               1-30       2,000.00
    D4         Beta      2026-10-31   30                               1-30         300.00
    D5         Gama      2026-10-30   31                               31-60      1,500.00
    D6         Gama      2026-09-01   29 (Nov) + 31 (Oct) + 30 (Sep) = 90 61-90   800.00
    D7         Delta     2026-08-01   90 + 31 (Aug) = 121              over_120     400.00
    D8         Delta     2026-08-02   120                              91-120       600.00
    US1 (USD)
    D9         Echo      2026-11-15   15                               1-30          10.50
    D10        Echo      2026-12-31  -31                               current      123.45
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd
import pytest

from close.analysis.receivables.aging import (
    BUCKETS,
    age_titles,
    aging_by_entity,
    bucket_movement,
    consolidated_aging,
    top_overdue_customers,
    translate_aging,
)
from close.analysis.receivables.dso import count_back_dso
from close.analysis.receivables.ecl import DEFAULT_ECL_RATES, ecl_provision, required_vs_booked
from close.analysis.receivables.titles import parse_titles
from close.checks.receivables import check_aging_reconciles, check_ecl_booked, tb_balances
from close.errors import InputDataError
from close.storage.receivables import latest_snapshot_run, load_aging_snapshot, save_aging_snapshot
from close.storage.runs import create_run

PERIOD_END = date(2026, 11, 30)
FILE = b"""entity,customer,document,issue_date,due_date,open_amount,currency,language
BR1,Alfa,D1,2026-11-10,2026-12-10,1000.00,BRL,pt-BR
BR1,Alfa,D2,2026-10-31,2026-11-30,500.00,BRL,pt-BR
BR1,Beta,D3,2026-10-21,2026-11-20,2000.00,BRL,
BR1,Beta,D4,2026-10-01,2026-10-31,300.00,BRL,
BR1,Gama,D5,2026-09-30,2026-10-30,1500.00,BRL,
BR1,Gama,D6,2026-08-02,2026-09-01,800.00,BRL,
BR1,Delta,D7,2026-07-02,2026-08-01,400.00,BRL,
BR1,Delta,D8,2026-07-03,2026-08-02,600.00,BRL,
US1,Echo,D9,2026-10-16,2026-11-15,10.50,USD,en
US1,Echo,D10,2026-12-01,2026-12-31,123.45,USD,en
"""
CURRENCIES = {"BR1": "BRL", "US1": "USD"}


def _aged() -> pd.DataFrame:
    titles = parse_titles(FILE, currencies=CURRENCIES, default_language="pt-BR", source="ar.csv")
    return titles.join(age_titles(titles, PERIOD_END)[["days_past_due", "bucket"]])


def _row(frame: pd.DataFrame, entity: str) -> dict:
    return frame[frame["entity"] == entity].iloc[0].to_dict()


def test_buckets_per_entity_equal_the_hand_computed_aging() -> None:
    aged = _aged()
    assert dict(zip(aged["document"], aged["days_past_due"], strict=True)) == {
        "D1": -10, "D2": 0, "D3": 10, "D4": 30, "D5": 31, "D6": 90, "D7": 121, "D8": 120, "D9": 15,
        "D10": -31}
    by_entity = aging_by_entity(aged)
    br1 = _row(by_entity, "BR1")
    # current 1,000 + 500; 1-30 2,000 + 300; 31-60 1,500; 61-90 800; 91-120 600; over 120 400.
    assert [br1[b] for b in BUCKETS] == [150000, 230000, 150000, 80000, 60000, 40000]
    assert br1["total"] == 710000  # 7,100.00 = 1,500 + 2,300 + 1,500 + 800 + 600 + 400
    us1 = _row(by_entity, "US1")
    assert [us1[b] for b in BUCKETS] == [12345, 1050, 0, 0, 0, 0]
    assert us1["total"] == 13395


def test_consolidated_aging_at_the_closing_rate_keeps_the_local_totals() -> None:
    translated = translate_aging(aging_by_entity(_aged()), {"BRL": Decimal("0.2")}, "USD")
    br1 = _row(translated, "BR1")
    # BRL at 0.2 USD: 1,500 → 300; 2,300 → 460; 1,500 → 300; 800 → 160; 600 → 120; 400 → 80.
    assert [br1[b] for b in BUCKETS] == [30000, 46000, 30000, 16000, 12000, 8000]
    assert (br1["total"], br1["local_total"]) == (142000, 710000)
    group = consolidated_aging(translated)
    # current 300 + 123.45 = 423.45; 1-30 460 + 10.50 = 470.50; total 1,420 + 133.95 = 1,553.95.
    assert [group[b] for b in BUCKETS] == [42345, 47050, 30000, 16000, 12000, 8000]
    assert group["total"] == 155395 == sum(group[b] for b in BUCKETS)


def test_ecl_provision_by_bucket_and_the_shortfall_against_the_tb() -> None:
    provision = ecl_provision(aging_by_entity(_aged()), DEFAULT_ECL_RATES)
    br1 = _row(provision, "BR1")
    # 1% × 1,500 = 15; 3% × 2,300 = 69; 10% × 1,500 = 150; 20% × 800 = 160; 50% × 600 = 300;
    # 100% × 400 = 400; total 1,094.00.
    assert [br1[b] for b in BUCKETS] == [1500, 6900, 15000, 16000, 30000, 40000]
    assert br1["total"] == 109400
    us1 = _row(provision, "US1")
    # 1% × 123.45 = 1.2345 → 1.23; 3% × 10.50 = 0.315 → 0.32 (half-even: 1 is odd); total 1.55.
    assert [us1[b] for b in BUCKETS] == [123, 32, 0, 0, 0, 0] and us1["total"] == 155
    local = pd.DataFrame({"entity": ["BR1", "US1"], "std_account": ["1190", "1190"],
                          "closing": [-100000, -200]})  # allowances are credits: 1,000.00 and 2.00
    required = required_vs_booked(provision, tb_balances(local, "1190", credit=True))
    found = {f.entity: f for f in check_ecl_booked(required, "1190")}
    assert found["BR1"].severity == "warn" and found["BR1"].difference == "-94.00"  # 1,000 − 1,094
    assert "expected 1094.00 != actual 1000.00 BRL (94.00 too little)" in found["BR1"].message
    assert found["US1"].severity == "pass"  # 2.00 covers 1.55


def test_the_aging_reconciles_to_the_tb_and_a_difference_names_the_entity() -> None:
    local = pd.DataFrame({"entity": ["BR1", "BR1", "US1"], "std_account": ["1100", "1100", "1100"],
                          "closing": [600000, 110000, 15000]})  # BR1 6,000 + 1,100 = 7,100; US1 150.00
    checks = check_aging_reconciles(aging_by_entity(_aged()), tb_balances(local, "1100"), "1100")
    found = {f.entity: f for f in checks}
    assert found["BR1"].severity == "pass"
    assert found["US1"].severity == "warn" and found["US1"].difference == "-16.05"  # 133.95 − 150.00
    assert found["US1"].message.startswith("US1: aging total against the TB receivables account 1100: "
                                           "expected 150.00 != actual 133.95 USD (16.05 too little)")


def test_dso_by_count_back() -> None:
    # 7,100 − Nov sales 3,000 = 4,100 (30 days); − Oct sales 2,500 = 1,600 (31 days);
    # 1,600 / Sep sales 4,000 × 30 = 12 days. DSO = 30 + 31 + 12 = 73.0.
    sales = [("2026-11", 300000), ("2026-10", 250000), ("2026-09", 400000)]
    assert count_back_dso(710000, sales).days == Decimal("73.0")
    # Within the month: 1,000 / 3,000 × 30 = 10.0 days.
    assert count_back_dso(100000, sales).days == Decimal("10.0")
    short = count_back_dso(2_000_000, sales)
    assert short.days is None and "exceeds the 3 months" in (short.reason or "")


def test_top_overdue_customers_and_the_movement_between_buckets() -> None:
    aged = _aged()
    top = top_overdue_customers(aged, n=3)
    # Beta 2,000 + 300 and Gama 1,500 + 800 tie at 2,300 (by name); Delta 400 + 600 = 1,000.
    assert list(top["customer"]) == ["Beta", "Gama", "Delta"]
    assert list(top["overdue"]) == [230000, 230000, 100000] and list(top["oldest_days"]) == [30, 90, 121]
    prior = pd.DataFrame({
        "entity": ["BR1", "BR1", "BR1", "BR1"], "document": ["D3", "D5", "D6", "D0"],
        "currency": ["BRL"] * 4, "open_amount": [200000, 150000, 100000, 25000],
        "bucket": ["current", "1-30", "31-60", "61-90"]})
    move = bucket_movement(prior, aged[aged["entity"] == "BR1"])
    flows = {(r.from_bucket, r.to_bucket): r.amount for r in move.itertuples()}
    # D3 2,000 current → 1-30; D5 1,500 1-30 → 31-60; D6 1,000 31-60 → 800 in 61-90 and 200 paid;
    # D0 250 settled; D1, D2, D4, D7, D8 are new.
    assert flows[("current", "1-30")] == 200000 and flows[("1-30", "31-60")] == 150000
    assert flows[("31-60", "61-90")] == 80000 and flows[("31-60", "settled")] == 20000
    assert flows[("61-90", "settled")] == 25000
    new = sum(a for (f, _), a in flows.items() if f == "new")
    settled = sum(a for (_, t), a in flows.items() if t == "settled")
    assert int(prior["open_amount"].sum()) + new - settled == 710000


def test_bad_titles_name_the_file_row_and_column() -> None:
    bad = FILE.replace(b"D5,2026-09-30,2026-10-30,1500.00,BRL", b"D5,2026-09-30,2026-10-30,1500.00,USD")
    with pytest.raises(InputDataError) as err:
        parse_titles(bad, currencies=CURRENCIES, default_language="en", source="ar.csv")
    assert (err.value.file, err.value.row, err.value.column) == ("ar.csv", 6, "currency")
    with pytest.raises(InputDataError) as err:
        parse_titles(FILE.replace(b"2026-08-01", b"01/08/2026"), currencies=CURRENCIES,
                     default_language="en", source="ar.csv")
    assert (err.value.row, err.value.column) == (8, "due_date")


def test_snapshots_are_immutable_and_read_back(db) -> None:  # noqa: ANN001
    aged = _aged()
    with db.tx() as conn:
        run = create_run(conn, group_id="g", period="2026-11", actor="test")
        assert save_aging_snapshot(conn, run.id, aged) == 10
        assert save_aging_snapshot(conn, run.id, aged) == 0  # a redelivery inserts nothing
    with db.tx() as conn:
        back = load_aging_snapshot(conn, run.id)
        assert latest_snapshot_run(conn, "g", "2026-11") == run.id
    assert back["open_amount"].sum() == aged["open_amount"].sum() == 723395
    assert list(back.sort_values("document")["bucket"]) == list(aged.sort_values("document")["bucket"])
    with pytest.raises(Exception, match="permission denied"), db.tx() as conn:
        conn.exec_driver_sql("UPDATE ar_aging_snapshots SET open_amount = 1")
