"""Diagnostics: abnormal balances, suspense, duplicates, dormant accounts, journal-line tests."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import ROUND_CEILING, Decimal
from typing import Any

import numpy as np
import pandas as pd

from close.checks._evidence import (
    _account_warnings,
    _classes,
    _entity_currencies,
    _entity_floors,
    _fmt,
    _listed,
    _or_pass,
    _passed,
    _role,
    _summary,
)
from close.checks._keys import (
    _DENSE_LIMIT,
    _PAIR_SHIFT,
    _decode,
    _factorize,
    _group_sums,
    _int,
    _local_keys,
    _local_pairs,
    _lookup,
    _memo,
    _prior_pairs,
    _std_codes,
)
from close.checks.integrity import _minor
from close.checks.mapping import _unmapped_pairs
from close.checks.result import CheckResult, Severity, ValidationContext
from close.checks.score import _CENTS
from close.engine.chart import Chart, SystemRole
from close.engine.money import ZERO, exponent
from close.engine.types import AccountCode

_NATURAL_DEBIT = {"asset": True, "expense": True, "liability": False, "revenue": False}
# Plugs the engine posts either way; the suspense accounts have their own check.
_EITHER_SIGN_ROLES = frozenset(
    {SystemRole.ROUNDING, SystemRole.IC_FX, SystemRole.SUSPENSE, SystemRole.IC_SUSPENSE}
)


def _either_sign(ctx: ValidationContext) -> set[AccountCode]:
    """Return the accounts allowed a balance on either side.

    Contra accounts (tagged ``contra``, listed in ``contra_accounts``, or whose normal balance is
    the opposite of their class's) and the engine's plug accounts.
    """
    accounts = ctx.chart.accounts
    natural = accounts["class"].map({k: "debit" if v else "credit" for k, v in _NATURAL_DEBIT.items()})
    out = set(ctx.chart.codes_with_tag("contra")) | set(ctx.settings.contra_accounts)
    out |= set(accounts.index[natural.notna() & (natural != accounts["normal_balance"])])
    out |= set(accounts.index[accounts["system_role"].isin({r.value for r in _EITHER_SIGN_ROLES})])
    return out


def check_abnormal_balances(ctx: ValidationContext) -> list[CheckResult]:
    """Find closings on the wrong side for their class, per entity and standard account.

    Asset or expense in credit, liability or revenue in debit; equity is not judged (deficits and
    CTA are normal).
    """
    code, category = "ABNORMAL_BALANCE", "diagnostics"
    currencies = _entity_currencies(ctx)
    keys = _local_keys(ctx)
    std_codes, std_uniques = _std_codes(ctx)
    width = max(len(std_uniques), 1)
    group = keys.entity * width + std_codes
    if len(keys.entities) * width <= _DENSE_LIMIT:
        (totals,) = _group_sums(group, len(keys.entities) * width, _int(ctx.local["closing"]))
        groups = np.flatnonzero(totals)
        closing = totals[groups]
    else:
        groups, position = np.unique(group, return_inverse=True)
        (closing,) = _group_sums(position, len(groups), _int(ctx.local["closing"]))
    sums = pd.DataFrame(
        {
            "entity": keys.entities[groups // width],
            "std_account": std_uniques[groups % width],
            "closing": closing,
        }
    )
    debit_normal = sums["std_account"].map(_classes(ctx.chart)).map(_NATURAL_DEBIT)
    floor_of = dict(zip(*_entity_floors(ctx, ctx.settings.trivial_abs), strict=True))
    floors = sums["entity"].map(floor_of).fillna(0).to_numpy(dtype=np.int64)
    wrong = np.where(
        debit_normal.eq(True).to_numpy(), closing < 0, debit_normal.eq(False).to_numpy() & (closing > 0)
    )
    wrong &= (np.abs(closing) >= floors) & ~sums["std_account"].isin(_either_sign(ctx)).to_numpy()
    rows = sums[wrong].assign(size=closing[wrong], debit_normal=debit_normal[wrong])
    names = ctx.chart.accounts["name"]

    def make(r: Mapping[str, Any]) -> CheckResult:
        side, other = ("debit", "credit") if r["debit_normal"] else ("credit", "debit")
        currency = currencies.get(r["entity"], "XXX")
        amount = _fmt(r["size"], currency)
        return CheckResult(
            code,
            category,
            "warn",
            r["entity"],
            r["std_account"],
            f"a {side} balance",
            amount,
            amount,
            f"{r['entity']} {r['std_account']} {names.get(r['std_account'], '')}: "
            f"expected a {side} balance != actual {other} {amount} {currency}",
        )

    return _or_pass(
        _listed(rows, make, _summary(code, category, "warn", "abnormal balances", currencies)),
        code,
        category,
        "no asset, liability, revenue or expense balance on its abnormal side",
    )


_CLEARING_NAME = re.compile(
    r"(?i)\b(?:suspense|clearing|in transit|transit|tr[aâ]nsito|transit[oó]ri[ao]s?|a classificar|"
    r"a identificar|a conciliar)\b"
)


def _suspense_accounts(chart: Chart) -> set[AccountCode]:
    accounts = chart.accounts
    out = set(chart.codes_with_tag("suspense")) | set(accounts.index[accounts["subclass"] == "suspense"])
    out.add(_role(chart, SystemRole.SUSPENSE) or "")
    out.discard(_role(chart, SystemRole.IC_SUSPENSE) or "")
    out.discard("")
    return out


def check_suspense_cleared(ctx: ValidationContext) -> list[CheckResult]:
    """Suspense, clearing and transit accounts left with a balance at month end.

    An account is one when it maps to a suspense standard account or its name says so
    (``_CLEARING_NAME``, English and Portuguese). Unmapped accounts, carried on suspense by the
    mapping, and the IC suspense account (plugged mismatches) are reported by their own checks.
    """
    code, category = "SUSPENSE_NOT_CLEARED", "diagnostics"
    currencies = _entity_currencies(ctx)
    local = ctx.local
    name_codes, names = _name_codes(ctx)
    clearing = pd.Series(names).astype(str).str.contains(_CLEARING_NAME).to_numpy(dtype=bool)
    std_codes, std_uniques = _std_codes(ctx)
    suspense_std = (
        pd.Series(std_uniques)
        .isin(_suspense_accounts(ctx.chart) - {_role(ctx.chart, SystemRole.IC_SUSPENSE)})
        .to_numpy()
    )
    rows = (suspense_std[std_codes] if len(std_uniques) else np.zeros(len(local), bool)) | (
        clearing[name_codes] if len(names) else np.zeros(len(local), bool)
    )
    rows &= ~np.isin(_local_keys(ctx).pair, _unmapped_pairs(ctx))
    candidates = local[rows]
    sums = (
        candidates.groupby(["entity", "account"], sort=True)
        .agg(size=("closing", "sum"), name=("account_name", "first"))
        .reset_index()
    )
    rows = sums[sums["size"] != 0]

    found = _account_warnings(rows, code, category, "not cleared at month end", "uncleared suspense accounts",
                              currencies)
    return _or_pass(found, code, category, f"{len(sums)} suspense/clearing account(s), all cleared")


def _name_codes(ctx: ValidationContext) -> tuple[np.ndarray, np.ndarray]:
    return _memo(ctx, "names", lambda: _factorize(ctx.local["account_name"]))  # type: ignore[return-value]


def check_duplicate_accounts(ctx: ValidationContext) -> list[CheckResult]:
    """Find duplicated lines and accounts.

    Duplicated lines (same entity, account, counterparty and dimensions) fail; one code with two
    names, and two codes with one name mapped to one standard account and both carrying a balance
    (the same account opened twice) warn.
    """
    code, category = "DUPLICATE_ACCOUNT", "diagnostics"
    currencies = _entity_currencies(ctx)
    local = ctx.local
    cur = _local_pairs(ctx)
    found: list[CheckResult] = []
    if not cur.one_line_each:
        # Only accounts with several lines can hold a duplicated line or a second name.
        pair = _local_keys(ctx).pair
        ordered = np.sort(pair)
        several = local[np.isin(pair, ordered[1:][ordered[1:] == ordered[:-1]])]
        key = [
            c
            for c in ("entity", "account", "counterparty", "cost_center", "department")
            if c in local.columns
        ]
        dup = several[several.duplicated(key, keep=False)]
        lines = dup.groupby(key, sort=True).agg(n=("closing", "size"), size=("closing", "sum")).reset_index()
        found += _listed(
            lines,
            lambda r: CheckResult(
                code,
                category,
                "fail",
                r["entity"],
                r["account"],
                "1 line",
                f"{r['n']} lines",
                None,
                f"{r['entity']} account {r['account']}"
                + "".join(f" {c} {r[c]!r}" for c in key[2:] if r[c])
                + f": expected 1 line != actual {r['n']} "
                f"lines (together {_fmt(r['size'], currencies.get(r['entity'], 'XXX'))})",
            ),
            _summary(code, category, "fail", "duplicated lines", currencies),
        )
        for (entity, account), names in several.groupby(["entity", "account"], sort=True)["account_name"]:
            distinct = sorted(names.astype(str).unique())
            if len(distinct) > 1:
                found.append(
                    CheckResult(
                        code,
                        category,
                        "warn",
                        str(entity),
                        str(account),
                        distinct[0],
                        ", ".join(distinct[1:]),
                        None,
                        f"{entity} account {account}: expected one name != actual {' | '.join(distinct)}",
                    )
                )
    # Twins: within an entity, live accounts sharing a (case-folded) name and a standard account.
    name_codes, names = _name_codes(ctx)
    folded_codes, _ = pd.factorize(pd.Series(names).astype(str).str.strip().str.casefold())
    std_codes, std_uniques = _std_codes(ctx)
    live = cur.closing != 0
    first = cur.first_row[live]
    group = ((cur.pairs[live] >> _PAIR_SHIFT) * (len(names) + 1) + folded_codes[name_codes[first]]) * (
        len(std_uniques) + 1
    ) + std_codes[first]
    order = np.argsort(group, kind="stable")
    same = group[order][1:] == group[order][:-1]
    twins_at = np.unique(np.concatenate([order[1:][same], order[:-1][same]]))
    if len(twins_at):
        entities, accounts = _decode(_local_keys(ctx), cur.pairs[live][twins_at])
        twins = pd.DataFrame(
            {
                "entity": entities,
                "account": accounts,
                "group": group[twins_at],
                "name": local["account_name"].to_numpy(dtype=object)[first[twins_at]],
                "std": std_uniques[std_codes[first[twins_at]]],
            }
        )
        for _, g in twins.groupby("group", sort=False):
            accounts_of = sorted(g["account"].astype(str))
            entity, std, name = g["entity"].iloc[0], g["std"].iloc[0], g["name"].iloc[0]
            found.append(
                CheckResult(
                    code,
                    category,
                    "warn",
                    str(entity),
                    accounts_of[0],
                    "1 account",
                    ", ".join(accounts_of),
                    None,
                    f"{entity}: accounts {', '.join(accounts_of)} share the name {name!r} and "
                    f"standard account {std}; expected 1 account != actual {len(accounts_of)}",
                )
            )
    return _or_pass(found, code, category, "no duplicated lines or accounts")


def check_dormant_accounts(ctx: ValidationContext) -> list[CheckResult]:
    """Find accounts without balance or activity last month (or absent) that moved this month.

    A move counts from ``trivial_abs`` (debits plus credits, presentation units at the closing rate).
    """
    code, category = "DORMANT_ACCOUNT_ACTIVE", "diagnostics"
    if ctx.prior_local is None:
        return _passed(code, category, "not checked: no prior run")
    currencies = _entity_currencies(ctx)
    cur = _local_pairs(ctx)
    keys, pri = _prior_pairs(ctx)
    active = (pri.opening != 0) | (pri.debit != 0) | (pri.credit != 0) | (pri.closing != 0)
    at = _lookup(pri.pairs, cur.pairs)
    was_active = np.where(at >= 0, active[np.maximum(at, 0)], False)
    entity_codes = cur.pairs >> _PAIR_SHIFT
    floor_of_entity = (
        pd.Series(keys.entities)
        .map({e: f for e, f in zip(*_entity_floors(ctx, ctx.settings.trivial_abs), strict=True)})
        .fillna(0)
    )
    floors = np.maximum(floor_of_entity.to_numpy(dtype=np.int64)[entity_codes], 1)
    woke = ~was_active & (np.abs(cur.debit) + np.abs(cur.credit) >= floors)
    entities, accounts = _decode(keys, cur.pairs[woke])
    names = ctx.local["account_name"].to_numpy(dtype=object)[cur.first_row[woke]]
    rows = pd.DataFrame(
        {"entity": entities, "account": accounts, "name": names, "size": cur.debit[woke] - cur.credit[woke]}
    )

    found = _account_warnings(rows, code, category, "was dormant last month; movement",
                              "dormant accounts now active", currencies)
    return _or_pass(found, code, category, "no dormant account became active")


def _journal(ctx: ValidationContext) -> pd.DataFrame | None:
    """Return the journal lines with ``minor``, ``unit`` (10^exponent) and ``currency`` added.

    Amounts come as int64 minor units, or decimal text / Decimals in major units.
    """

    def build() -> pd.DataFrame | None:
        lines = ctx.journal_lines
        if lines is None or lines.empty:
            return None
        entity, entities = _factorize(lines["entity"], runs=True)
        currencies = _entity_currencies(ctx)
        currency_of = np.array(
            [currencies.get(str(e), ctx.presentation_currency) for e in entities], dtype=object
        )
        unit_of = np.array([10 ** exponent(c) for c in currency_of], dtype=np.int64)
        amounts = lines["amount"]
        if amounts.dtype.kind in "iu":
            minor = amounts.to_numpy(dtype=np.int64)
        else:
            minor = np.array(
                [_minor(v, c) for v, c in zip(amounts, currency_of[entity], strict=True)], dtype=np.int64
            )
        return lines.assign(minor=minor, unit=unit_of[entity], currency=currency_of[entity], size=minor)

    return _memo(ctx, "journal", build)  # type: ignore[return-value]


def _when_what(r: Mapping[str, Any]) -> str:
    when = f" on {r['date']}" if pd.notna(r.get("date")) else ""
    what = f" {r['description']!r}" if pd.notna(r.get("description")) and r.get("description") else ""
    return when + what


def _journal_finding(code: str, severity: Severity, why: str) -> Callable[[Mapping[str, Any]], CheckResult]:
    def make(r: Mapping[str, Any]) -> CheckResult:
        amount = _fmt(r["minor"], r["currency"])
        return CheckResult(
            code,
            "diagnostics",
            severity,
            str(r["entity"]),
            str(r["account"]),
            None,
            amount,
            None,
            f"{r['entity']} {r['account']}{_when_what(r)}: {amount} {r['currency']} {why}",
        )

    return make


def _per_unit(lines: pd.DataFrame, major: Decimal) -> np.ndarray:
    """``major`` currency units in each line's minor units (rounded up), as an int64 array."""
    unit = lines["unit"].to_numpy()
    out = np.zeros(len(lines), dtype=np.int64)
    for u in np.unique(unit):
        out[unit == u] = int((major * int(u)).to_integral_value(ROUND_CEILING))
    return out


def check_round_number_entries(ctx: ValidationContext) -> list[CheckResult]:
    """Find journal lines that are large round numbers: estimates and manual entries.

    Multiples of ``round_unit`` and at least ``round_min``, in entity currency units.
    """
    code = "ROUND_NUMBER_ENTRY"
    lines = _journal(ctx)
    if lines is None:
        return _passed(code, "diagnostics", "not checked: no journal lines")
    s = ctx.settings
    absolute = lines["minor"].abs().to_numpy()
    hit = lines[
        (absolute >= _per_unit(lines, s.round_min)) & (absolute % _per_unit(lines, s.round_unit) == 0)
    ]
    found = _listed(
        hit,
        _journal_finding(code, "warn", f"is a round number (a multiple of {s.round_unit})"),
        _summary(code, "diagnostics", "warn", "round-number journal lines", _entity_currencies(ctx)),
    )
    return _or_pass(found, code, "diagnostics", f"no round-number entry among {len(lines)} journal lines")


def check_just_under_limit(ctx: ValidationContext) -> list[CheckResult]:
    """Find journal lines just under an approval limit.

    ``limit × (1 − just_under_band) <= |amount| < limit`` (entity currency units); each line is
    reported against the lowest limit it is under.
    """
    code = "JUST_UNDER_LIMIT"
    lines = _journal(ctx)
    limits, band = ctx.settings.approval_limits, ctx.settings.just_under_band
    if lines is None or not limits:
        return _passed(code, "diagnostics", "not checked: no journal lines or no approval limits")
    absolute = lines["minor"].abs().to_numpy()
    limit_of = np.full(len(lines), "", dtype=object)
    low_of = np.full(len(lines), "", dtype=object)
    for limit in sorted(limits, reverse=True):  # the lowest limit written last wins
        under = (absolute >= _per_unit(lines, limit * (1 - band))) & (absolute < _per_unit(lines, limit))
        limit_of[under], low_of[under] = str(limit), str(limit * (1 - band))
    hit = limit_of != ""
    rows = lines[hit].assign(limit=limit_of[hit], low=low_of[hit])

    def make(r: Mapping[str, Any]) -> CheckResult:
        amount = _fmt(r["minor"], r["currency"])
        return CheckResult(
            code,
            "diagnostics",
            "warn",
            str(r["entity"]),
            str(r["account"]),
            f"below {r['low']} or from {r['limit']}",
            amount,
            None,
            f"{r['entity']} {r['account']}{_when_what(r)}: {amount} {r['currency']} is just under "
            f"the approval limit {r['limit']}",
        )

    found = _listed(
        rows,
        make,
        _summary(code, "diagnostics", "warn", "journal lines just under a limit", _entity_currencies(ctx)),
    )
    return _or_pass(found, code, "diagnostics", f"no journal line just under {', '.join(map(str, limits))}")


# Benford's law: P(first digit d) = log10(1 + 1/d).
_BENFORD = tuple((1 + Decimal(1) / d).log10().quantize(Decimal("0.000001")) for d in range(1, 10))


def _first_digits(values: np.ndarray) -> np.ndarray:
    out = values.copy()
    while (big := out >= 10).any():
        out[big] //= 10
    return out


def check_benford_first_digit(ctx: ValidationContext) -> list[CheckResult]:
    """Benford's first-digit test per entity on journal amounts of at least 10 currency units.

    Nigrini (Benford's Law, 2012) advises at least 1,000 amounts (``benford_min_count``) and judges
    conformity by the mean absolute deviation of the nine digit proportions, not by chi-square
    (which rejects any large data set): MAD above ``benford_mad`` (0.015, his nonconformity line)
    is flagged. Chi-square (8 degrees of freedom, 15.51 at 5 %) is reported as context.
    """
    code = "BENFORD_FIRST_DIGIT"
    lines = _journal(ctx)
    if lines is None:
        return _passed(code, "diagnostics", "not checked: no journal lines")
    s = ctx.settings
    absolute = lines["minor"].abs().to_numpy()
    eligible = absolute >= lines["unit"].to_numpy() * 10
    entity, entities = _factorize(lines["entity"], runs=True)
    cells = entity[eligible] * 9 + _first_digits(absolute[eligible]) - 1
    (flat,) = _group_sums(cells, len(entities) * 9, np.ones(len(cells), dtype=np.int64))
    counts = pd.DataFrame(flat.reshape(len(entities), 9), index=entities, columns=range(1, 10)).sort_index()
    found, tested = [], 0
    for entity, row in counts.iterrows():
        n = int(row.sum())
        if n < s.benford_min_count:
            continue
        tested += 1
        observed = [Decimal(int(c)) / n for c in row]
        deviations = [o - e for o, e in zip(observed, _BENFORD, strict=True)]
        mad = (sum((abs(x) for x in deviations), ZERO) / 9).quantize(Decimal("0.000001"))
        chi = sum(
            ((Decimal(int(c)) - n * e) ** 2 / (n * e) for c, e in zip(row, _BENFORD, strict=True)), ZERO
        )
        if mad > s.benford_mad:
            worst = max(range(9), key=lambda i: abs(deviations[i]))
            found.append(
                CheckResult(
                    code,
                    "diagnostics",
                    "warn",
                    str(entity),
                    None,
                    f"MAD <= {s.benford_mad}",
                    str(mad),
                    str(mad - s.benford_mad),
                    f"{entity}: first digits of {n} journal amounts depart from Benford's law: expected MAD "
                    f"<= {s.benford_mad} != actual {mad} (chi-square {chi.quantize(_CENTS)}, 8 df); digit "
                    f"{worst + 1} is {(observed[worst] * 100).quantize(Decimal('0.1'))}% against "
                    f"{(_BENFORD[worst] * 100).quantize(Decimal('0.1'))}%",
                )
            )
    return _or_pass(
        found,
        code,
        "diagnostics",
        f"{tested} entities with >= {s.benford_min_count} amounts conform to Benford's law"
        if tested
        else f"not tested: no entity has {s.benford_min_count} journal amounts",
    )
