"""Roll-forward and mapping checks: crafted trial balances that trip them, with their evidence."""

from __future__ import annotations

import pandas as pd

from close.checks import (
    MAX_LISTED_PER_ENTITY,
    check_accounts_mapped_twice,
    check_mapping_class_prefix,
    check_net_income_to_retained_earnings,
    check_opening_equals_prior_closing,
    check_unmapped_accounts,
    waivable,
)
from tests.close.validation.tbs import (
    CONSOLIDATED,
    LOCAL,
    PRIOR_CONSOLIDATED,
    clean,
    edit,
    mapping_of,
    tb,
    with_line,
)


def fails(results: list, severity: str = "fail") -> list:
    return [r for r in results if r.severity == severity]


def evidence(r: object) -> tuple:
    return (r.entity, r.account, r.expected, r.actual, r.difference)  # type: ignore[attr-defined]


def test_retained_earnings_moved_within_the_year() -> None:
    # A 50.00 credit posted straight to retained earnings (against cash) mid-year.
    consolidated = edit(
        edit(CONSOLIDATED, {"std_account": "3100"}, amount="-450.00", movement="-50.00"),
        {"std_account": "1000"},
        amount="2750.00",
        movement="750.00",
    )
    [r] = fails(check_net_income_to_retained_earnings(clean(consolidated=consolidated)))
    assert evidence(r) == (None, "3100", "500.00", "550.00", "50.00")
    assert r.category == "rollforward" and waivable(r)
    # Without a prior run the prior figures come from this month's movement: same finding.
    [again] = fails(
        check_net_income_to_retained_earnings(clean(consolidated=consolidated, prior_consolidated=None))
    )
    assert evidence(again) == evidence(r)


def test_year_end_roll_in_must_carry_the_prior_year_result_once() -> None:
    # January: December's YTD result (1,000.00 credit) and dividends (200.00) should be in
    # retained earnings; the roll-in forgot the dividends.
    december = tb("""
std_account | amount   | movement
1000        | 3000.00  | 0.00
3100        | -1000.00 | 0.00
3150        | 200.00   | 0.00
4000        | -1500.00 | -100.00
5000        | 500.00   | 0.00
2000        | -1200.00 | 0.00
""")
    january = tb("""
std_account | amount   | movement
1000        | 3100.00  | 100.00
3100        | -2000.00 | -1000.00
3150        | 0.00     | -200.00
4000        | -100.00  | -100.00
2000        | -1000.00 | 200.00
""")
    ctx = clean(period="2026-01", consolidated=january, prior_consolidated=december)
    [r] = fails(check_net_income_to_retained_earnings(ctx))
    # R before = 1000 − 200 + 1000 = 1800; R now = 2000 + 100 = 2100; expected move = NI 100 − dividends 0.
    assert evidence(r) == (None, "3100", "100.00", "300.00", "200.00")
    right = edit(january, {"std_account": "3100"}, amount="-1800.00")
    right = edit(right, {"std_account": "2000"}, amount="-1200.00")
    assert (
        fails(
            check_net_income_to_retained_earnings(
                clean(period="2026-01", consolidated=right, prior_consolidated=december)
            )
        )
        == []
    )


def test_opening_differs_from_prior_closing_local_and_consolidated() -> None:
    prior = edit(clean().prior_local, {"entity": "BR1", "account": "2.1.01"}, closing="-1100.00")
    [r] = fails(check_opening_equals_prior_closing(clean(prior_local=prior)))
    assert evidence(r) == ("BR1", "2.1.01", "-1100.00", "-1000.00", "100.00")
    prior_c = edit(PRIOR_CONSOLIDATED, {"std_account": "2000"}, amount="-510.00")
    [c] = fails(check_opening_equals_prior_closing(clean(prior_consolidated=prior_c)))
    assert evidence(c) == (None, "2000", "-510.00", "-500.00", "10.00")


def test_income_statement_opens_at_zero_in_a_new_fiscal_year() -> None:
    # Fiscal year starting in August: revenue must open at zero, not at July's YTD, and retained
    # earnings must have received last year's result (BR1: -1,000.00 of RE + -1,000.00 of result).
    [roll, r, *rest] = fails(
        check_opening_equals_prior_closing(clean(fiscal_year_start=8, prior_consolidated=None))
    )
    assert evidence(roll) == ("BR1", None, "-2000.00", "-1000.00", "1000.00")
    assert evidence(r) == ("BR1", "3.1.01", "0.00", "-2000.00", "-2000.00")
    assert {x.account for x in rest} == {"4.1.01", "3.1.01", "4.2.01"}


def test_many_differences_are_listed_up_to_a_cap_and_summarised() -> None:
    rows = "\n".join(
        f"BR1 | 9.{i:03d} | Extra | 6000 | | | | {i + 1}.00 | 0.00 | 0.00 | {i + 1}.00 | BRL"
        for i in range(30)
    )
    local = with_line(
        LOCAL,
        "entity | account | account_name | std_account | counterparty | cost_center | "
        "department | opening | debit | credit | closing | currency\n" + rows,
    )
    results = fails(check_opening_equals_prior_closing(clean(local=local)))
    assert len(results) == MAX_LISTED_PER_ENTITY + 1
    assert results[0].account == "9.029" and results[0].actual == "30.00"  # largest first
    summary = results[-1]
    rest = 30 - MAX_LISTED_PER_ENTITY  # the smallest: 1.00 … rest.00
    assert (summary.entity, summary.actual, summary.difference) == (
        "BR1",
        str(rest),
        f"{rest * (rest + 1) // 2}.00",
    )


def test_no_prior_run_is_not_checked() -> None:
    [r] = check_opening_equals_prior_closing(clean(prior_local=None, prior_consolidated=None))
    assert r.severity == "pass" and "no prior run" in r.message


def test_unmapped_account_with_a_balance_fails_with_activity_warns() -> None:
    local = with_line(
        LOCAL,
        """
entity | account | account_name | std_account | opening | debit | credit | closing | currency
BR1 | 1.9.99 | Conta nova | 1900 | 0.00 | 80.00 | 0.00 | 80.00 | BRL
BR1 | 1.9.98 | Conta zerada | 1900 | 0.00 | 5.00 | 5.00 | 0.00 | BRL
BR1 | 1.9.97 | Conta parada | 1900 | 0.00 | 0.00 | 0.00 | 0.00 | BRL
""",
    )
    mapping = mapping_of(local)
    mapping.loc[mapping["account"].str.startswith("1.9.9"), "source"] = "unmapped"
    warn, fail = check_unmapped_accounts(clean(local=local, mapping=mapping))  # account order
    assert (fail.severity, warn.severity) == ("fail", "warn")
    assert evidence(fail) == ("BR1", "1.9.99", "0.00", "80.00", "80.00")
    assert "carried on 1900" in fail.message
    assert evidence(warn) == ("BR1", "1.9.98", None, "0.00", None)


def test_account_mapped_twice() -> None:
    mapping = pd.concat(
        [
            mapping_of(LOCAL),
            pd.DataFrame([{"entity": "US1", "account": "4.2.01", "std_account": "6400", "source": "entity"}]),
        ],
        ignore_index=True,
    )
    [r] = fails(check_accounts_mapped_twice(clean(mapping=mapping)))
    assert evidence(r) == ("US1", "4.2.01", "6000", "6400", None)


def test_standard_class_contradicting_the_code_prefix() -> None:
    # A Brazilian "1." (ativo) account mapped to trade payables, a liability.
    local = edit(LOCAL, {"entity": "BR1", "account": "1.1.01"}, std_account="2000")
    [r] = fails(check_mapping_class_prefix(clean(local=local)), "warn")
    assert evidence(r) == ("BR1", "1.1.01", "asset", "liability (2000)", None)


def test_codes_the_prefix_heuristic_does_not_judge() -> None:
    # 9 (memorandum in some charts) and codes with letters carry no expectation.
    local = with_line(
        LOCAL,
        """
entity | account | account_name | std_account | opening | debit | credit | closing | currency
US1 | 9.1 | Memo | 1000 | 0.00 | 0.00 | 0.00 | 0.00 | USD
US1 | CASH-2 | Petty cash | 2000 | 0.00 | 0.00 | 0.00 | 0.00 | USD
""",
    )
    assert fails(check_mapping_class_prefix(clean(local=local)), "warn") == []
