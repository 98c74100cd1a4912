"""Integrity checks (fail, never waivable): sums to zero, balance sheet, CTA."""

from __future__ import annotations

import re

import numpy as np

from close.checks._evidence import _classes, _entity_currencies, _fmt, _mismatch, _or_pass, _role
from close.checks._keys import _group_sums, _int, _local_keys
from close.checks.result import CheckResult, ValidationContext
from close.engine.chart import INCOME_STATEMENT_CLASSES, SystemRole
from close.engine.money import D, to_minor
from close.engine.types import Currency


def _entity_sums(ctx: ValidationContext, *columns: str) -> tuple[np.ndarray, list[np.ndarray]]:
    keys = _local_keys(ctx)
    return keys.entities, _group_sums(keys.entity, len(keys.entities), *(_int(ctx.local[c]) for c in columns))


def check_debits_equal_credits(ctx: ValidationContext) -> list[CheckResult]:
    """Per entity, the month's debits equal its credits (local currency)."""
    code = "DEBITS_EQUAL_CREDITS"
    currencies = _entity_currencies(ctx)
    entities, (debits, credits) = _entity_sums(ctx, "debit", "credit")
    found = [
        _mismatch(
            code,
            "integrity",
            "fail",
            f"{entities[i]} credits vs debits",
            int(debits[i]),
            int(credits[i]),
            currencies.get(str(entities[i]), "XXX"),
            entity=str(entities[i]),
        )
        for i in sorted(np.flatnonzero(debits != credits), key=lambda i: str(entities[i]))
    ]
    return _or_pass(found, code, "integrity", f"debits equal credits in all {len(entities)} entities")


def check_lines_roll_forward(ctx: ValidationContext) -> list[CheckResult]:
    """Every local line rolls: closing = opening + debits − credits (one finding per entity)."""
    code = "LINE_ROLLS_FORWARD"
    currencies = _entity_currencies(ctx)
    local = ctx.local
    rolled = _int(local["opening"]) + _int(local["debit"]) - _int(local["credit"])
    bad = rolled != _int(local["closing"])
    found = []
    if bad.any():
        rows = local.loc[bad, ["entity", "account", "closing"]].assign(rolled=rolled[bad])
        for entity, group in rows.groupby("entity", sort=True):
            first = group.iloc[0]
            note = f" on {len(group)} line(s)" if len(group) > 1 else ""
            found.append(
                _mismatch(
                    code,
                    "integrity",
                    "fail",
                    f"{entity} account {first['account']} closing vs opening + debits − credits",
                    int(group["rolled"].sum()),
                    int(group["closing"].sum()),
                    currencies.get(str(entity), "XXX"),
                    entity=str(entity),
                    account=str(first["account"]),
                    note=note,
                )
            )
    return _or_pass(found, code, "integrity", f"all {len(local)} local lines roll forward")


def check_local_tb_sums_to_zero(ctx: ValidationContext) -> list[CheckResult]:
    """Per entity, the local closing trial balance sums to zero."""
    code = "LOCAL_TB_SUMS_TO_ZERO"
    currencies = _entity_currencies(ctx)
    entities, (sums,) = _entity_sums(ctx, "closing")
    found = [
        _mismatch(
            code,
            "integrity",
            "fail",
            f"{entities[i]} local trial balance",
            0,
            int(sums[i]),
            currencies.get(str(entities[i]), "XXX"),
            entity=str(entities[i]),
        )
        for i in sorted(np.flatnonzero(sums != 0), key=lambda i: str(entities[i]))
    ]
    return _or_pass(found, code, "integrity", f"all {len(entities)} local trial balances sum to zero")


def check_translated_tb_sums_to_zero(ctx: ValidationContext) -> list[CheckResult]:
    """Per entity, the translated trial balance (CTA plug included) sums to zero."""
    code = "TRANSLATED_TB_SUMS_TO_ZERO"
    pc = ctx.presentation_currency
    sums = ctx.translated.groupby("entity", sort=True)["translated"].sum()
    found = [
        _mismatch(code, "integrity", "fail", f"{e} translated trial balance", 0, int(v), pc, entity=str(e))
        for e, v in sums[sums != 0].items()
    ]
    return _or_pass(found, code, "integrity", f"all {len(sums)} translated trial balances sum to zero")


def check_consolidated_tb_sums_to_zero(ctx: ValidationContext) -> list[CheckResult]:
    """Check the consolidated trial balance sums to zero, at the closing and in the movement."""
    code = "CONSOLIDATED_TB_SUMS_TO_ZERO"
    pc = ctx.presentation_currency
    found = []
    for column, what in (("amount", "consolidated trial balance"), ("movement", "consolidated movement")):
        if column in ctx.consolidated.columns:
            total = int(ctx.consolidated[column].sum())
            if total != 0:
                found.append(_mismatch(code, "integrity", "fail", what, 0, total, pc))
    return _or_pass(found, code, "integrity", "the consolidated trial balance sums to zero")


def check_balance_sheet_balances(ctx: ValidationContext) -> list[CheckResult]:
    """Assets = liabilities + equity + the year's net income, and every account is in the chart.

    In TB sign: assets (debit) against −(liabilities + equity + income statement YTD); an account
    the chart does not know cannot be placed on either side and fails on its own.
    """
    code = "BALANCE_SHEET_BALANCES"
    pc = ctx.presentation_currency
    amounts = ctx.consolidated.groupby("std_account")["amount"].sum()
    classes = amounts.index.to_series().map(_classes(ctx.chart))
    found = [
        CheckResult(
            code,
            "integrity",
            "fail",
            None,
            str(a),
            None,
            _fmt(int(amounts[a]), pc),
            None,
            f"consolidated account {a} ({_fmt(int(amounts[a]), pc)}) is not in the chart of accounts",
        )
        for a in classes[classes.isna()].index
        if amounts[a] != 0
    ]
    assets = int(amounts[classes == "asset"].sum())
    financing = -int(amounts[classes.isin(["liability", "equity", *INCOME_STATEMENT_CLASSES])].sum())
    if assets != financing:
        found.append(
            _mismatch(
                code,
                "integrity",
                "fail",
                "liabilities + equity + net income vs total assets",
                assets,
                financing,
                pc,
            )
        )
    return _or_pass(
        found, code, "integrity", f"total assets {_fmt(assets, pc)} = liabilities + equity + net income"
    )


def check_cta_reconciles(ctx: ValidationContext) -> list[CheckResult]:
    """Per entity, the CTA plug equals the CTA from its parts within the tolerance."""
    code = "CTA_RECONCILES"
    pc = ctx.presentation_currency
    found = []
    for row in ctx.cta.itertuples(index=False):
        plug, parts, tolerance = (_minor(getattr(row, c), pc) for c in ("plug", "from_parts", "tolerance"))
        if abs(plug - parts) > tolerance:
            found.append(
                _mismatch(
                    code,
                    "integrity",
                    "fail",
                    f"{row.entity} CTA plug vs CTA from its parts",
                    parts,
                    plug,
                    pc,
                    entity=str(row.entity),
                    account=_role(ctx.chart, SystemRole.CTA),
                    note=f", tolerance {_fmt(tolerance, pc)}",
                )
            )
    return _or_pass(
        found,
        code,
        "integrity",
        f"CTA plug = CTA from its parts within tolerance in all {len(ctx.cta)} entities",
    )


def _minor(value: object, currency: Currency) -> int:
    """Read an amount from a frame or JSON payload: int minor units, or decimal text in major units."""
    if isinstance(value, (int, np.integer)):
        return int(value)
    text = str(value)
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    return to_minor(D(text), currency)
