"""Reasonableness checks: flux against prior month and budget, key ratios, unreconciled items, receivables."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Literal

import numpy as np
import pandas as pd

from close.analysis.kpis import KpiInputs, compute_kpis
from close.analysis.materiality import is_material
from close.checks._evidence import (
    _classes,
    _entity_currencies,
    _entity_floors,
    _fmt,
    _mismatch,
    _or_pass,
    _passed,
)
from close.checks.result import CheckResult, Severity, ValidationContext
from close.checks.rollforward import _by_account
from close.config import (
    Thresholds,
)
from close.engine.chart import INCOME_STATEMENT_CLASSES, Chart
from close.engine.money import from_minor


def _class_thresholds(ctx: ValidationContext) -> dict[str, Thresholds]:
    out = {}
    for m in ctx.settings.materiality:
        overrides = {
            k: getattr(m, k)
            for k in ("mom_abs", "mom_pct", "budget_abs", "budget_pct")
            if getattr(m, k) is not None
        }
        out[m.account_class] = replace(ctx.thresholds, **overrides)
    return out


def _month_figures(frame: pd.DataFrame, chart: Chart) -> pd.Series:
    """Per standard account: the month's movement for the income statement, the closing otherwise."""
    amount, movement = _by_account(frame, "amount"), _by_account(frame, "movement")
    is_income = amount.index.to_series().map(_classes(chart)).isin(INCOME_STATEMENT_CLASSES)
    return amount.where(~is_income, movement.reindex(amount.index).fillna(0)).astype(np.int64)


def _flux(
    ctx: ValidationContext,
    code: str,
    kind: Literal["mom", "budget"],
    current: pd.Series,
    comparison: pd.Series,
    label: str,
) -> list[CheckResult]:
    pc = ctx.presentation_currency
    classes = _classes(ctx.chart)
    per_class = _class_thresholds(ctx)
    codes = current.index.union(comparison.index)
    current, comparison = current.reindex(codes).fillna(0), comparison.reindex(codes).fillna(0)
    found = []
    for account in codes:
        now, then = int(current[account]), int(comparison[account])
        if now == then:
            continue
        cls = classes.get(account)
        th = per_class.get(cls, ctx.thresholds) if isinstance(cls, str) else ctx.thresholds
        # A flux check is a reviewer's net: either threshold flags the move (the board's
        # commentary needs both, close.analysis.variances).
        if is_material(th, kind, from_minor(now - then, pc), from_minor(then, pc), rule="either"):
            pct = (
                f", {((Decimal(now - then) / abs(Decimal(then))) * 100).quantize(Decimal('0.1'))}%"
                if then
                else ""
            )
            found.append(
                _mismatch(
                    code,
                    "reasonableness",
                    "warn",
                    f"{account} against {label}",
                    then,
                    now,
                    pc,
                    account=str(account),
                    note=pct,
                )
            )
    return found


def check_flux_prior_month(ctx: ValidationContext) -> list[CheckResult]:
    """Compare each account's month with the prior run's.

    Movement for the income statement, closing for the balance sheet; material by
    ``[thresholds]`` mom_abs / mom_pct, or the class's override.
    """
    code = "FLUX_PRIOR_MONTH"
    if ctx.prior_consolidated is None:
        return _passed(code, "reasonableness", "not checked: no prior run")
    found = _flux(
        ctx,
        code,
        "mom",
        _month_figures(ctx.consolidated, ctx.chart),
        _month_figures(ctx.prior_consolidated, ctx.chart),
        "the prior month",
    )
    return _or_pass(found, code, "reasonableness", "no material change against the prior month")


def check_flux_budget(ctx: ValidationContext) -> list[CheckResult]:
    """Compare the month's movement of each budgeted or income-statement account with its budget.

    Material by ``[thresholds]`` budget_abs / budget_pct, or the class's override.
    """
    code = "FLUX_BUDGET"
    if ctx.budget is None:
        return _passed(code, "reasonableness", "not checked: no budget")
    budget = _by_account(ctx.budget, "amount").astype(np.int64)
    movement = _by_account(ctx.consolidated, "movement")
    classes = movement.index.to_series().map(_classes(ctx.chart))
    actual = movement[classes.isin(INCOME_STATEMENT_CLASSES) | movement.index.isin(budget.index)]
    found = _flux(ctx, code, "budget", actual.astype(np.int64), budget, "budget")
    return _or_pass(found, code, "reasonableness", "no material variance against the budget")


def check_key_ratios(ctx: ValidationContext) -> list[CheckResult]:
    """KPIs of ``close.analysis.kpis`` (current ratio, gross margin …) inside their configured bands."""
    code = "RATIO_OUT_OF_BAND"
    bands = ctx.settings.ratio_bands
    if not bands:
        return _passed(code, "reasonableness", "no ratio bands configured")
    month = (
        _month_figures(ctx.consolidated, ctx.chart).rename("amount").rename_axis("std_account").reset_index()
    )
    kpis = {
        k.code: k
        for k in compute_kpis(
            KpiInputs(
                chart=ctx.chart.accounts.reset_index(drop=True),
                period=ctx.period,
                currency=ctx.presentation_currency,
                month=month,
            )
        )
    }
    found, within = [], []
    for band in bands:
        kpi = kpis.get(band.kpi)
        if kpi is None:
            found.append(
                CheckResult(
                    code,
                    "reasonableness",
                    "warn",
                    None,
                    None,
                    band.kpi,
                    "unknown KPI",
                    None,
                    f"ratio band for {band.kpi!r}: no such KPI in close.analysis.kpis",
                )
            )
            continue
        if kpi.value is None:
            within.append(f"{kpi.code} n/a ({kpi.reason})")
            continue
        bound = (
            band.low
            if band.low is not None and kpi.value < band.low
            else band.high
            if band.high is not None and kpi.value > band.high
            else None
        )
        if bound is None:
            within.append(f"{kpi.code} {kpi.display}")
            continue
        low = "-inf" if band.low is None else band.low
        expected = f"{low} .. {'inf' if band.high is None else band.high}"
        found.append(
            CheckResult(
                code,
                "reasonableness",
                "warn",
                None,
                None,
                expected,
                str(kpi.value),
                str(kpi.value - bound),
                f"{kpi.name}: expected {expected} != actual {kpi.display} "
                f"({abs(kpi.value - bound)} {'too much' if kpi.value > bound else 'too little'})",
            )
        )
    return _or_pass(found, code, "reasonableness", "key ratios within their bands: " + "; ".join(within))




UNRECONCILED_ACCOUNT = "UNRECONCILED"  # connectors.management (kept free of the import)
_LISTED_ITEMS = 10


def check_unreconciled_explained(ctx: ValidationContext) -> list[CheckResult]:
    """Check that a management trial balance's UNRECONCILED line is zero (fail above materiality).

    Each finding names what the line holds, per bank/AR/AP side, by the ERP's ids (the items the
    connector could not explain); at or below ``[validation] unreconciled_materiality`` a
    non-zero line warns.
    """
    code, category = "UNRECONCILED_EXPLAINED", "diagnostics"
    lines = ctx.local[ctx.local["account"] == UNRECONCILED_ACCOUNT]
    if lines.empty:
        return _passed(code, category, "no management trial balance (no UNRECONCILED line)")
    floors = dict(zip(*_entity_floors(ctx, ctx.settings.unreconciled_materiality), strict=True))
    currencies = _entity_currencies(ctx)
    items = ctx.unexplained
    found = []
    for entity, amount in lines.groupby("entity", sort=True)["closing"].sum().items():
        if not amount:
            continue
        currency = currencies.get(str(entity), "XXX")
        mine = [] if items is None else items[items["entity"] == entity].to_dict("records")
        named = "; ".join(f"{i['side'] or 'untraced'} {i['ref']} {i['date']} "
                          f"{_fmt(i['amount'], currency)} ({i['reason']})".replace("  ", " ")
                          for i in mine[:_LISTED_ITEMS])
        if len(mine) > _LISTED_ITEMS:
            named += f"; and {len(mine) - _LISTED_ITEMS} more"
        severity: Severity = "fail" if abs(int(amount)) > floors.get(str(entity), 0) else "warn"
        found.append(_mismatch(code, category, severity, f"{entity} {UNRECONCILED_ACCOUNT}", 0,
                               int(amount), currency, entity=str(entity),
                               account=UNRECONCILED_ACCOUNT,
                               note=f"; unexplained: {named}" if named else ""))
    return _or_pass(found, code, category,
                    f"{lines['entity'].nunique()} management trial balance(s), UNRECONCILED zero")


def check_ar_aging_reconciles(ctx: ValidationContext) -> list[CheckResult]:
    """Return the stage's findings of the receivables aging against each entity's TB account."""
    found = [r for r in ctx.receivables_findings if r.code == "AR_AGING_RECONCILES"]
    return _or_pass(found, "AR_AGING_RECONCILES", "reasonableness",
                    "no receivables file: no aging to reconcile")


def check_ecl_allowance_booked(ctx: ValidationContext) -> list[CheckResult]:
    """Return the stage's findings of the IFRS 9 allowance booked against the provision matrix."""
    found = [r for r in ctx.receivables_findings if r.code == "ECL_PROVISION_BOOKED"]
    return _or_pass(found, "ECL_PROVISION_BOOKED", "reasonableness",
                    "no receivables file: no provision matrix")
