"""Roll-forward checks: net income to retained earnings, opening = prior closing."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from close.checks._evidence import (
    _classes,
    _entity_currencies,
    _fmt,
    _listed,
    _mismatch,
    _or_pass,
    _passed,
    _role,
    _summary,
)
from close.checks._keys import _decode, _local_pairs, _lookup, _prior_pairs
from close.checks.result import CheckResult, ValidationContext
from close.engine.chart import INCOME_STATEMENT_CLASSES, SystemRole
from close.engine.periods import parse_period


def _is_fiscal_year_start(ctx: ValidationContext) -> bool:
    return parse_period(ctx.period)[1] == ctx.fiscal_year_start


def _by_account(frame: pd.DataFrame, column: str) -> pd.Series:
    return frame.groupby("std_account")[column].sum()


def check_net_income_to_retained_earnings(ctx: ValidationContext) -> list[CheckResult]:
    """Check net income less dividends against the movement of retained earnings, consolidated.

    ``R = −(retained earnings + current-year result + dividends) + net income YTD`` (credit
    positive) must move by exactly the month's net income less the dividends declared this month.
    Within a fiscal year that says retained earnings and the current-year result do not move; in
    the first month it says the prior year's result and dividends were rolled in exactly once.
    Without a prior run, the prior figures are this month's less its movement (within a year only).
    """
    code, category = "NET_INCOME_TO_RETAINED_EARNINGS", "rollforward"
    pc = ctx.presentation_currency
    roles = [_role(ctx.chart, r) for r in (SystemRole.RETAINED_EARNINGS, SystemRole.CURRENT_YEAR_RESULT)]
    equity = [a for a in roles if a]
    dividends = _role(ctx.chart, SystemRole.DIVIDENDS)
    if not equity:
        return _passed(code, category, "not checked: the chart has no retained earnings account")
    income_codes = set(ctx.chart.accounts.index[_classes(ctx.chart).isin(INCOME_STATEMENT_CLASSES)])
    amount, movement = _by_account(ctx.consolidated, "amount"), _by_account(ctx.consolidated, "movement")
    fy_start = _is_fiscal_year_start(ctx)

    def pick(series: pd.Series, codes: Iterable[str]) -> int:
        return int(series.reindex(list(codes)).fillna(0).sum())

    ni_month = -pick(movement, income_codes)
    div_codes = [dividends] if dividends else []
    now = -pick(amount, [*equity, *div_codes]) - pick(amount, income_codes)
    if ctx.prior_consolidated is not None:
        prior_amount = _by_account(ctx.prior_consolidated, "amount")
        before = -pick(prior_amount, [*equity, *div_codes]) - pick(prior_amount, income_codes)
        div_month = pick(amount, div_codes) - (0 if fy_start else pick(prior_amount, div_codes))
    elif fy_start:
        return _passed(code, category, "not checked: first month of the fiscal year without a prior run")
    else:
        before = now + pick(movement, [*equity, *div_codes]) - ni_month
        div_month = pick(movement, div_codes)
    expected, actual = ni_month - div_month, now - before
    # Each entity translates its dividends and result line by line, half-even: up to one minor
    # unit per entity of rounding is translation, not a broken roll-forward.
    if abs(expected - actual) <= len(ctx.entities):
        return _passed(
            code,
            category,
            f"retained earnings moved by net income {_fmt(ni_month, pc)} less "
            f"dividends {_fmt(div_month, pc)}"
            + (f" (within translation rounding of {_fmt(len(ctx.entities), pc)})"
               if expected != actual else ""),
        )
    return [
        _mismatch(
            code,
            category,
            "fail",
            "movement of retained earnings + current-year result vs net income less dividends",
            expected,
            actual,
            pc,
            account=equity[0],
        )
    ]


def _year_end_equity(ctx: ValidationContext) -> frozenset[str]:
    """Return the equity accounts a year's result moves into at the fiscal year end.

    They are retained earnings, dividends declared, the current-year result and (consolidated) NCI
    equity.
    """
    accounts = ctx.chart.accounts
    roles = {SystemRole.RETAINED_EARNINGS.value, SystemRole.DIVIDENDS.value,
             SystemRole.CURRENT_YEAR_RESULT.value, SystemRole.NCI_EQUITY.value}
    return frozenset(str(c) for c in accounts.index[accounts["system_role"].isin(roles)])


def check_opening_equals_prior_closing(ctx: ValidationContext) -> list[CheckResult]:
    """Check opening balances equal the prior run's closing, per local account and consolidated.

    Income-statement accounts open at zero in the first month of the fiscal year (YTD restarts).
    """
    code, category = "OPENING_EQUALS_PRIOR_CLOSING", "rollforward"
    found: list[CheckResult] = []
    checked = []
    classes = _classes(ctx.chart)
    fy_start = _is_fiscal_year_start(ctx)
    if ctx.prior_local is not None:
        checked.append("local")
        currencies = _entity_currencies(ctx)
        cur = _local_pairs(ctx)
        keys, pri = _prior_pairs(ctx)
        at = _lookup(pri.pairs, cur.pairs)
        seen = np.zeros(len(pri.pairs), dtype=bool)
        seen[at[at >= 0]] = True
        # Every pair of either month: this month's opening against the prior closing (zero when absent).
        pairs = np.concatenate([cur.pairs, pri.pairs[~seen]])
        actual = np.concatenate([cur.opening, np.zeros(int((~seen).sum()), dtype=np.int64)])
        expected = np.concatenate([np.where(at >= 0, pri.closing[np.maximum(at, 0)], 0), pri.closing[~seen]])
        if fy_start:
            # Income-statement accounts open at zero; the year's result moved into retained
            # earnings between the periods, so those accounts are compared together per entity.
            std = pd.Series(np.concatenate(
                [
                    ctx.local["std_account"].to_numpy(dtype=object)[cur.first_row],
                    ctx.prior_local["std_account"].to_numpy(dtype=object)[pri.first_row[~seen]],
                ]
            ))
            income = std.isin(set(classes.index[classes.isin(INCOME_STATEMENT_CLASSES)])).to_numpy()
            equity = std.isin(_year_end_equity(ctx)).to_numpy()
            roll_entities, _ = _decode(keys, pairs[income | equity])
            sums = pd.DataFrame({"entity": roll_entities, "expected": expected[income | equity],
                                 "actual": np.where(income, 0, actual)[income | equity]})
            for entity, grp in sums.groupby("entity", sort=True):
                if int(grp["expected"].sum()) != int(grp["actual"].sum()):
                    found.append(_mismatch(
                        code, category, "fail",
                        f"{entity} retained earnings with last year's result rolled in, "
                        "opening vs prior closing",
                        int(grp["expected"].sum()), int(grp["actual"].sum()),
                        currencies.get(str(entity), "XXX"), entity=str(entity)))
            expected = np.where(income, 0, expected)
            bad = (expected != actual) & ~equity
        else:
            bad = expected != actual
        entities, accounts = _decode(keys, pairs[bad])
        rows = pd.DataFrame(
            {
                "entity": entities,
                "account": accounts,
                "expected": expected[bad],
                "actual": actual[bad],
                "size": actual[bad] - expected[bad],
            }
        )
        found += _listed(
            rows,
            lambda r: _mismatch(
                code,
                category,
                "fail",
                f"{r['entity']} account {r['account']} opening vs prior closing",
                r["expected"],
                r["actual"],
                currencies.get(r["entity"], "XXX"),
                entity=r["entity"],
                account=r["account"],
            ),
            _summary(
                code, category, "fail", "accounts whose opening differs from the prior closing", currencies
            ),
        )
    if ctx.prior_consolidated is not None and "movement" in ctx.consolidated.columns:
        checked.append("consolidated")
        pc = ctx.presentation_currency
        amount = _by_account(ctx.consolidated, "amount")
        opening = amount.sub(_by_account(ctx.consolidated, "movement"), fill_value=0)
        prior = _by_account(ctx.prior_consolidated, "amount")
        codes = opening.index.union(prior.index)
        opening, prior = opening.reindex(codes).fillna(0), prior.reindex(codes).fillna(0)
        differs = opening != prior
        if fy_start:
            income = codes.to_series(index=codes).map(classes).isin(INCOME_STATEMENT_CLASSES).to_numpy()
            equity = codes.isin(_year_end_equity(ctx))
            rolled_prior = int(prior[income | equity].sum())
            if int(opening[equity].sum()) != rolled_prior:
                found.append(_mismatch(code, category, "fail",
                                       "consolidated retained earnings and NCI with last year's result "
                                       "rolled in, opening vs prior closing",
                                       rolled_prior, int(opening[equity].sum()), pc))
            prior = prior.where(~income, 0)
            differs = (opening != prior) & ~equity
        for account in codes[differs]:
            found.append(
                _mismatch(
                    code,
                    category,
                    "fail",
                    f"consolidated {account} opening vs prior closing",
                    int(prior[account]),
                    int(opening[account]),
                    pc,
                    account=str(account),
                )
            )
    if not checked:
        return _passed(code, category, "not checked: no prior run")
    return _or_pass(
        found, code, category, f"{' and '.join(checked)} opening balances equal the prior closing"
    )
