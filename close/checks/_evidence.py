"""Helpers that word evidence: mismatches, passes, per-entity listing and floors."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import ROUND_CEILING, Decimal
from typing import Any

import numpy as np
import pandas as pd

from close.checks._keys import _local_keys, _memo
from close.checks.result import MAX_LISTED_PER_ENTITY, Category, CheckResult, Severity, ValidationContext
from close.engine.chart import Chart, SystemRole
from close.engine.money import exponent, from_minor
from close.engine.types import AccountCode, Currency, EntityId
from close.errors import ConfigError


def _fmt(minor: int, currency: Currency) -> str:
    return str(from_minor(int(minor), currency))


def _mismatch(
    code: str,
    category: Category,
    severity: Severity,
    subject: str,
    expected: int,
    actual: int,
    currency: Currency,
    *,
    entity: EntityId | None = None,
    account: AccountCode | None = None,
    note: str = "",
) -> CheckResult:
    """Compare two amounts in a finding worded like beancount's balance check."""
    diff = int(actual) - int(expected)
    word = "much" if diff > 0 else "little"
    message = (
        f"{subject}: expected {_fmt(expected, currency)} != actual {_fmt(actual, currency)} "
        f"({_fmt(abs(diff), currency)} too {word}){note}"
    )
    return CheckResult(
        code,
        category,
        severity,
        entity,
        account,
        _fmt(expected, currency),
        _fmt(actual, currency),
        _fmt(diff, currency),
        message,
    )


def _passed(code: str, category: Category, message: str) -> list[CheckResult]:
    return [CheckResult(code, category, "pass", None, None, None, None, None, message)]


def _or_pass(found: list[CheckResult], code: str, category: Category, message: str) -> list[CheckResult]:
    return found or _passed(code, category, message)


def _entity_currencies(ctx: ValidationContext) -> Mapping[EntityId, Currency]:
    """Each entity's currency: the config's, else the local TB's ``currency`` column."""

    def build() -> dict[EntityId, Currency]:
        out = {e.id: e.currency for e in ctx.entities}
        if "currency" in ctx.local.columns and len(ctx.local):
            keys = _local_keys(ctx)
            currency = ctx.local["currency"].to_numpy(dtype=object)
            for code, entity in enumerate(keys.entities):
                if str(entity) not in out:
                    out[str(entity)] = str(currency[int(np.argmax(keys.entity == code))])
        return out

    return _memo(ctx, "currencies", build)  # type: ignore[return-value]


def _role(chart: Chart, role: SystemRole) -> AccountCode | None:
    try:
        return chart.by_role(role)
    except ConfigError:
        return None


def _classes(chart: Chart) -> pd.Series:
    """Account class by standard code."""
    return chart.accounts["class"]


def _local_floor(ctx: ValidationContext, amount: Decimal) -> dict[Currency, int]:
    """Express a presentation-currency floor in each entity currency's minor units.

    At the closing rate, rounded up, so a floor means the same everywhere; 1:1 without a rate.
    """
    closing = {
        r.currency: r.rate
        for r in ctx.rates
        if r.rate_type == "closing" and r.period == ctx.period and r.rate > 0
    }
    out = {}
    for currency in set(_entity_currencies(ctx).values()):
        rate = Decimal(1) if currency == ctx.presentation_currency else closing.get(currency, Decimal(1))
        out[currency] = int((amount / rate).scaleb(exponent(currency)).to_integral_value(ROUND_CEILING))
    return out


def _entity_floors(ctx: ValidationContext, amount: Decimal) -> tuple[list[EntityId], list[int]]:
    """Each entity's floor in its own minor units (see ``_local_floor``)."""
    floors = _local_floor(ctx, amount)
    currencies = _entity_currencies(ctx)
    return list(currencies), [floors.get(c, 0) for c in currencies.values()]


def _account_warnings(
    rows: pd.DataFrame,
    code: str,
    category: str,
    what: str,
    summary: str,
    currencies: Mapping[EntityId, Currency],
) -> list[CheckResult]:
    """Warn once per account row (entity, account, name, size): "<entity> <account> (<name>) <what>"."""

    def make(r: Mapping[str, Any]) -> CheckResult:
        return _mismatch(
            code,
            category,
            "warn",
            f"{r['entity']} {r['account']} ({r['name']}) {what}",
            0,
            r["size"],
            currencies.get(r["entity"], "XXX"),
            entity=r["entity"],
            account=r["account"],
        )

    return _listed(rows, make, _summary(code, category, "warn", summary, currencies))


def _listed(
    rows: pd.DataFrame,
    make: Callable[[Mapping[str, Any]], CheckResult],
    summary: Callable[[EntityId, int, pd.DataFrame], CheckResult],
    *,
    size: str = "size",
) -> list[CheckResult]:
    """Make one finding per row, at most MAX_LISTED_PER_ENTITY per entity, largest ``size`` first.

    The rest of each entity is summarised by ``summary(entity, count, rest)``.
    """
    if rows.empty:
        return []
    ordered = rows.assign(_abs=rows[size].abs()).sort_values(
        ["entity", "_abs"], ascending=[True, False], kind="stable"
    )
    rank = ordered.groupby("entity", sort=False).cumcount().to_numpy()
    shown = ordered[rank < MAX_LISTED_PER_ENTITY]
    out = [make(row) for row in shown.to_dict("records")]
    rest = ordered[rank >= MAX_LISTED_PER_ENTITY]
    for entity, group in rest.groupby("entity", sort=True):
        out.append(summary(str(entity), len(group), group))
    return out


def _summary(
    code: str,
    category: Category,
    severity: Severity,
    what: str,
    currencies: Mapping[EntityId, Currency],
    column: str = "size",
) -> Callable[[EntityId, int, pd.DataFrame], CheckResult]:
    def make(entity: EntityId, count: int, rest: pd.DataFrame) -> CheckResult:
        currency = currencies.get(entity, "XXX")
        total = int(rest[column].sum())
        return CheckResult(
            code,
            category,
            severity,
            entity,
            None,
            None,
            str(count),
            _fmt(total, currency),
            f"{entity}: {count} more {what} not listed (together {_fmt(total, currency)} {currency})",
        )

    return make
