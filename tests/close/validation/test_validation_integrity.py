"""Integrity checks: each trips on a crafted trial balance, with its evidence; never waivable."""

from __future__ import annotations

from dataclasses import replace

from close.checks import (
    CHECKS,
    check_balance_sheet_balances,
    check_consolidated_tb_sums_to_zero,
    check_cta_reconciles,
    check_debits_equal_credits,
    check_lines_roll_forward,
    check_local_tb_sums_to_zero,
    check_translated_tb_sums_to_zero,
    run_checks,
    waivable,
)
from close.config import DEFAULT_SCORE_WEIGHTS, ValidationSettings
from close.engine.money import D
from tests.close.validation.tbs import CONSOLIDATED, CTA, LOCAL, TRANSLATED, clean, edit, tb, with_line


def only(results: list, severity: str = "fail") -> list:
    return [r for r in results if r.severity == severity]


def evidence(r: object) -> tuple:
    return (r.entity, r.account, r.expected, r.actual, r.difference)  # type: ignore[attr-defined]


def test_clean_close_trips_no_check() -> None:
    report = run_checks(clean())
    assert {r.severity for r in report.results} == {"pass"}
    assert len({r.code for r in report.results}) == len(CHECKS)
    assert (report.score, report.light, report.blocking) == (100, "green", False)


def test_debits_not_equal_credits_per_entity() -> None:
    # A one-sided posting of 10.00 BRL: the line still rolls, but debits exceed credits.
    local = edit(LOCAL, {"entity": "BR1", "account": "1.1.01"}, debit="1010.00", closing="6010.00")
    [r] = only(check_debits_equal_credits(clean(local=local)))
    assert evidence(r) == ("BR1", None, "1510.00", "1500.00", "-10.00")
    assert r.category == "integrity"
    assert r.message == "BR1 credits vs debits: expected 1510.00 != actual 1500.00 (10.00 too little)"
    assert not waivable(r)


def test_line_that_does_not_roll_forward() -> None:
    local = edit(LOCAL, {"entity": "US1", "account": "2.1.01"}, closing="-450.00")
    [r] = only(check_lines_roll_forward(clean(local=local)))
    assert evidence(r) == ("US1", "2.1.01", "-400.00", "-450.00", "-50.00")
    assert "(50.00 too little)" in r.message


def test_local_tb_not_summing_to_zero() -> None:
    local = edit(LOCAL, {"entity": "US1", "account": "1.1.01"}, opening="1000.25", closing="1500.25")
    [r] = only(check_local_tb_sums_to_zero(clean(local=local)))
    assert evidence(r) == ("US1", None, "0.00", "0.25", "0.25")
    assert r.message == "US1 local trial balance: expected 0.00 != actual 0.25 (0.25 too much)"


def test_translated_tb_not_summing_to_zero() -> None:
    translated = edit(TRANSLATED, {"entity": "BR1", "std_account": "3300"}, translated="-0.01")
    [r] = only(check_translated_tb_sums_to_zero(clean(translated=translated)))
    assert evidence(r) == ("BR1", None, "0.00", "-0.01", "-0.01")


def test_consolidated_tb_not_summing_to_zero() -> None:
    consolidated = edit(CONSOLIDATED, {"std_account": "6000"}, amount="399.00")
    results = check_consolidated_tb_sums_to_zero(clean(consolidated=consolidated))
    [r] = only(results)
    assert evidence(r) == (None, None, "0.00", "-1.00", "-1.00")


def test_balance_sheet_does_not_balance_and_unknown_account() -> None:
    # An account the chart does not know takes 100.00 of assets off both the TB and the sides.
    consolidated = with_line(
        edit(CONSOLIDATED, {"std_account": "1000"}, amount="2600.00"),
        "std_account | amount | movement\n9999 | 100.00 | 0.00",
    )
    unknown, sides = only(check_balance_sheet_balances(clean(consolidated=consolidated)))
    assert evidence(unknown) == (None, "9999", None, "100.00", None)
    assert evidence(sides) == (None, None, "2600.00", "2700.00", "100.00")
    assert sides.message == (
        "liabilities + equity + net income vs total assets: expected 2600.00 != actual "
        "2700.00 (100.00 too much)"
    )


def test_cta_plug_beyond_tolerance_but_not_within() -> None:
    cta = tb("""
entity | plug  | from_parts | difference | tolerance
US1    | 0.00  | 0.00       | 0.00       | 0.00
BR1    | 23.05 | 23.00      | 0.05       | 0.04
""")
    [r] = only(check_cta_reconciles(clean(cta=cta)))
    assert evidence(r) == ("BR1", "3300", "23.00", "23.05", "0.05")
    assert r.message.endswith("(0.05 too much), tolerance 0.04")
    within = edit(CTA, {"entity": "BR1"}, plug="23.04", from_parts="23.00")
    assert only(check_cta_reconciles(clean(cta=within))) == []


def test_cta_from_json_payload_text() -> None:
    # The stage adapter reads the CTA facts back from JSON: integer minor units may arrive as text.
    payload = CTA.astype(object).assign(plug=["0", "2305"], from_parts=["0", "2300"], tolerance=["0", "4"])
    [r] = only(check_cta_reconciles(clean(cta=payload)))
    assert evidence(r)[2:] == ("23.00", "23.05", "0.05")


def test_any_failed_integrity_check_blocks_even_when_green() -> None:
    # With a light integrity weight the score stays green; the failure blocks all the same.
    light = tuple(replace(w, fail=D("1")) if w.category == "integrity" else w for w in DEFAULT_SCORE_WEIGHTS)
    translated = edit(TRANSLATED, {"entity": "BR1", "std_account": "3300"}, translated="-0.01")
    report = run_checks(clean(translated=translated, settings=ValidationSettings(weights=light)))
    assert (report.score, report.light, report.blocking) == (D("99.00"), "green", True)
