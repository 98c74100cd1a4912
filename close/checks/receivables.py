"""Validation findings of the receivables: the aging reconciles to the TB, the ECL provision is booked.

Both return ``CheckResult`` evidence like the checks of ``close/checks/`` (convention 4):
every entity is judged and every difference reported, worded ``expected X != actual Y``.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from close.checks import CheckResult
from close.engine.money import from_minor
from close.engine.types import AccountCode, EntityId

AGING_CODE = "AR_AGING_RECONCILES"
ECL_CODE = "ECL_PROVISION_BOOKED"


def tb_balances(local: pd.DataFrame, std_account: AccountCode | None, *,
                credit: bool = False) -> dict[EntityId, int]:
    """Sum each entity's closing balance on one standard account of the mapped local TB.

    Args:
        local: the mapped local TB (``MAPPED_TB_COLUMNS``), int64 minor units, debit positive.
        std_account: the standard account (receivables, or the loss allowance); None: none.
        credit: return the credit magnitude (an allowance is a credit balance).

    Returns:
        Entity → balance in its local minor units (entities without the account are absent).

    """
    if std_account is None:
        return {}
    rows = local[local["std_account"].astype(str) == std_account]
    sums = rows.groupby("entity", observed=True)["closing"].sum()
    return {str(e): int(-v if credit else v) for e, v in sums.items()}


def _fmt(minor: int, currency: str) -> str:
    return str(from_minor(minor, currency))


def _finding(code: str, entity: EntityId, account: AccountCode | None, expected: int, actual: int,
             currency: str, subject: str) -> CheckResult:
    diff = actual - expected
    if diff == 0:
        return CheckResult(code, "reasonableness", "pass", entity, account, _fmt(expected, currency),
                           _fmt(actual, currency), "0",
                           f"{entity}: {subject} agrees: {_fmt(actual, currency)} {currency}")
    word = "much" if diff > 0 else "little"
    return CheckResult(
        code, "reasonableness", "warn", entity, account, _fmt(expected, currency), _fmt(actual, currency),
        _fmt(diff, currency),
        f"{entity}: {subject}: expected {_fmt(expected, currency)} != actual {_fmt(actual, currency)} "
        f"{currency} ({_fmt(abs(diff), currency)} too {word})",
    )


def check_aging_reconciles(by_entity: pd.DataFrame, tb: Mapping[EntityId, int],
                           account: AccountCode) -> list[CheckResult]:
    """Each entity's aging total must equal its TB receivables balance (expected: the TB)."""
    return [
        _finding(AGING_CODE, r["entity"], account, int(tb.get(r["entity"], 0)), int(r["total"]),
                 r["currency"], f"aging total against the TB receivables account {account}")
        for r in by_entity.to_dict("records")
    ]


def check_ecl_booked(required: pd.DataFrame, account: AccountCode | None) -> list[CheckResult]:
    """Judge the allowance booked against the provision matrix: a shortfall warns, an excess passes.

    Args:
        required: ``required_vs_booked`` output.
        account: the loss-allowance standard account, or None when the group has not named one.

    """
    found = []
    for r in required.to_dict("records"):
        req, booked, cur = int(r["required"]), int(r["booked"]), r["currency"]
        if booked >= req:
            found.append(CheckResult(ECL_CODE, "reasonableness", "pass", r["entity"], account, _fmt(req, cur),
                                     _fmt(booked, cur), _fmt(booked - req, cur),
                                     f"{r['entity']}: allowance {_fmt(booked, cur)} {cur} covers the "
                                     f"expected credit loss {_fmt(req, cur)}"))
            continue
        where = f"account {account}" if account else "no allowance account configured"
        found.append(_finding(ECL_CODE, r["entity"], account, req, booked, cur,
                              f"IFRS 9 loss allowance booked ({where}) against the provision matrix"))
    return found
