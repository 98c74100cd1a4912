"""Trial-balance diagnostics: crafted trial balances and journals that trip them, with evidence."""

from __future__ import annotations

import numpy as np
import pandas as pd

from close.checks import (
    check_abnormal_balances,
    check_benford_first_digit,
    check_dormant_accounts,
    check_duplicate_accounts,
    check_just_under_limit,
    check_round_number_entries,
    check_suspense_cleared,
)
from close.config import ValidationSettings
from close.engine.money import D
from tests.close.validation.tbs import LOCAL, clean, mapping_of, with_line

HEADER = (
    "entity | account | account_name | std_account | counterparty | cost_center | department | opening | "
    "debit | credit | closing | currency\n"
)


def flagged(results: list) -> list:
    return [r for r in results if r.severity != "pass"]


def evidence(r: object) -> tuple:
    return (r.entity, r.account, r.expected, r.actual, r.difference)  # type: ignore[attr-defined]


def test_abnormal_balance_by_class() -> None:
    # An asset in credit (BRL, above the 1 USD = 5 BRL floor), a liability in debit, and two
    # that are allowed: a contra asset (1550) and a trivial 4.00 BRL credit.
    local = with_line(
        LOCAL,
        HEADER
        + """
BR1 | 1.1.05 | Bancos           | 1100 | | | | 0.00 | 0.00   | 300.00 | -300.00 | BRL
BR1 | 2.1.05 | Salarios a pagar | 2100 | | | | 0.00 | 320.00 | 0.00   | 320.00  | BRL
BR1 | 1.2.09 | Depreciacao      | 1550 | | | | 0.00 | 0.00   | 16.00  | -16.00  | BRL
BR1 | 1.1.06 | Adiantamentos    | 1300 | | | | 0.00 | 0.00   | 4.00   | -4.00   | BRL
""",
    )
    liability, asset = flagged(check_abnormal_balances(clean(local=local)))  # largest first
    assert evidence(liability) == ("BR1", "2100", "a credit balance", "320.00", "320.00")
    assert evidence(asset) == ("BR1", "1100", "a debit balance", "-300.00", "-300.00")
    assert (
        asset.message == "BR1 1100 Trade receivables: expected a debit balance != actual credit -300.00 BRL"
    )


def test_abnormal_balance_allowed_for_configured_contra_accounts() -> None:
    local = with_line(
        LOCAL, HEADER + "US1 | 1.1.05 | Allowance | 1100 | | | | 0.00 | 0.00 | 30.00 | -30.00 | USD"
    )
    assert len(flagged(check_abnormal_balances(clean(local=local)))) == 1
    settings = ValidationSettings(contra_accounts=("1100",))
    assert flagged(check_abnormal_balances(clean(local=local, settings=settings))) == []


def test_suspense_and_clearing_accounts_not_cleared() -> None:
    # Mapped to suspense (1900), named as clearing / in transit, the IC suspense excepted, and an
    # unmapped account on suspense (the unmapped check reports it).
    local = with_line(
        LOCAL,
        HEADER
        + """
BR1 | 1.1.90 | Pagamentos a classificar | 1900 | | | | 0.00 | 10.00 | 0.00 | 10.00  | BRL
US1 | 1.1.91 | Cash in transit          | 1000 | | | | 0.00 | 7.00  | 0.00 | 7.00   | USD
US1 | 1.1.92 | Payroll clearing         | 2100 | | | | 0.00 | 0.00  | 0.00 | 0.00   | USD
US1 | 1.1.93 | IC mismatches            | 1910 | | | | 0.00 | 3.00  | 0.00 | 3.00   | USD
US1 | 1.1.94 | Unknown                  | 1900 | | | | 0.00 | 0.00  | 20.00 | -20.00 | USD
""",
    )
    mapping = mapping_of(local)
    mapping.loc[mapping["account"] == "1.1.94", "source"] = "unmapped"
    br, us = flagged(check_suspense_cleared(clean(local=local, mapping=mapping)))
    assert evidence(br) == ("BR1", "1.1.90", "0.00", "10.00", "10.00")
    assert evidence(us) == ("US1", "1.1.91", "0.00", "7.00", "7.00")
    assert "not cleared at month end" in us.message


def test_duplicated_lines_names_and_accounts() -> None:
    local = with_line(
        LOCAL,
        HEADER
        + """
US1 | 1.1.01 | Cash           | 1000 | | | | 0.00 | 0.00  | 0.00 | 0.00  | USD
US1 | 4.2.01 | Payroll        | 6000 | | | | 0.00 | 0.00  | 0.00 | 0.00  | USD
BR1 | 4.1.02 | Custo          | 5000 | | | | 0.00 | 50.00 | 0.00 | 50.00 | BRL
BR1 | 1.1.01 | Caixa          | 1000 | | | CC9 | 0.00 | 0.00 | 50.00 | -50.00 | BRL
""",
    )
    results = flagged(check_duplicate_accounts(clean(local=local)))
    by = {(r.severity, r.entity, r.account): r for r in results}
    assert len(results) == 4  # the renamed line is a duplicated line too
    line = by[("fail", "US1", "1.1.01")]
    assert evidence(line) == ("US1", "1.1.01", "1 line", "2 lines", None)
    name = by[("warn", "US1", "4.2.01")]
    assert (name.expected, name.actual) == ("Payroll", "Salaries")
    twin = by[("warn", "BR1", "4.1.01")]
    assert evidence(twin) == ("BR1", "4.1.01", "1 account", "4.1.01, 4.1.02", None)


def test_dormant_account_suddenly_active() -> None:
    local = with_line(
        LOCAL,
        HEADER
        + """
BR1 | 4.2.09 | Multas      | 6400 | | | | 0.00 | 900.00 | 0.00 | 900.00 | BRL
BR1 | 1.1.01 | Caixa       | 1000 | | | CC1 | 0.00 | 0.00 | 900.00 | -900.00 | BRL
""",
    )
    prior = with_line(
        clean().prior_local, HEADER + "BR1 | 4.2.09 | Multas | 6400 | | | | 0.00 | 0.00 | 0.00 | 0.00 | BRL"
    )
    [r] = flagged(check_dormant_accounts(clean(local=local, prior_local=prior)))
    assert evidence(r) == ("BR1", "4.2.09", "0.00", "900.00", "900.00")


JOURNAL_COLUMNS = ["entity", "account", "amount", "date", "description"]


def journal(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    """Journal lines (entity, account, major-unit amount) in the entity's currency minor units."""
    return pd.DataFrame(
        [(e, a, int(D(v) * 100), "2025-08-15", "manual") for e, a, v in rows], columns=JOURNAL_COLUMNS
    ).astype({"amount": "int64"})


def test_round_number_entries() -> None:
    lines = journal(
        [
            ("BR1", "6400", "25000.00"),
            ("BR1", "6400", "25000.01"),
            ("US1", "6000", "9000.00"),
            ("US1", "6000", "-12000.00"),
        ]
    )
    br, us = flagged(check_round_number_entries(clean(journal_lines=lines)))
    assert evidence(br) == ("BR1", "6400", None, "25000.00", None)
    assert evidence(us) == ("US1", "6000", None, "-12000.00", None)
    assert "round number" in us.message


def test_just_under_an_approval_limit() -> None:
    lines = journal(
        [
            ("US1", "6300", "9990.00"),
            ("US1", "6300", "10000.00"),
            ("US1", "6300", "9400.00"),
            ("BR1", "6300", "49999.99"),
        ]
    )
    settings = ValidationSettings(approval_limits=(D("10000"), D("50000")))
    br, us = flagged(check_just_under_limit(clean(journal_lines=lines, settings=settings)))
    assert (br.entity, br.actual, us.entity, us.actual) == ("BR1", "49999.99", "US1", "9990.00")
    assert "approval limit 10000" in us.message and "approval limit 50000" in br.message


def test_benford_first_digit_needs_volume_and_flags_nonconformity() -> None:
    rng = np.random.default_rng(7)
    # Log-uniform amounts follow Benford; uniform 1,000-9,999 amounts do not.
    benford = (10 ** rng.uniform(3, 7, 2000)).astype(np.int64) * 100
    uniform = rng.integers(1000, 10000, 2000) * 100
    lines = pd.DataFrame(
        {
            "entity": ["US1"] * 2000 + ["BR1"] * 2000,
            "account": "6000",
            "amount": np.concatenate([benford, uniform]),
            "date": "2025-08-15",
            "description": "",
        }
    )
    [r] = flagged(check_benford_first_digit(clean(journal_lines=lines)))
    assert (r.entity, r.expected) == ("BR1", "MAD <= 0.015")
    assert D(r.actual) > D("0.015") and D(r.difference) == D(r.actual) - D("0.015")
    few = lines.iloc[:999]
    [skipped] = check_benford_first_digit(clean(journal_lines=few))
    assert skipped.severity == "pass" and "not tested" in skipped.message
