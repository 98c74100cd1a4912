"""Mapping checks: unmapped accounts, accounts mapped twice, class against code prefix."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from close.checks._evidence import _classes, _entity_currencies, _fmt, _mismatch, _or_pass, _passed, _role
from close.checks._keys import (
    _DENSE_LIMIT,
    _PAIR_SHIFT,
    _decode,
    _keys_like_local,
    _local_keys,
    _local_pairs,
    _lookup,
    _memo,
    _std_codes,
)
from close.checks.result import CheckResult, ValidationContext
from close.engine.account_codes import NUMERIC_CODE, PREFIX_CLASSES
from close.engine.chart import SystemRole


def _unmapped_pairs(ctx: ValidationContext) -> np.ndarray:
    """Pair keys (local code space) of the accounts the mapping left unmapped."""

    def build() -> np.ndarray:
        rows = ctx.mapping[ctx.mapping["source"].to_numpy(dtype=object) == "unmapped"]
        keys = _local_keys(ctx)
        entity = pd.Index(keys.entities).get_indexer(rows["entity"].to_numpy(dtype=object))
        account = pd.Index(keys.accounts).get_indexer(rows["account"].to_numpy(dtype=object))
        known = (entity >= 0) & (account >= 0)
        return np.unique((entity[known].astype(np.int64) << _PAIR_SHIFT) | account[known])

    return _memo(ctx, "unmapped", build)  # type: ignore[return-value]


def check_unmapped_accounts(ctx: ValidationContext) -> list[CheckResult]:
    """Accounts no mapping row covers: carried on suspense; a balance fails, activity warns."""
    code, category = "UNMAPPED_ACCOUNT", "mapping"
    unmapped = _unmapped_pairs(ctx)
    if not len(unmapped):
        return _passed(code, category, "every account is mapped to the standard chart")
    currencies = _entity_currencies(ctx)
    cur = _local_pairs(ctx)
    at = _lookup(cur.pairs, unmapped)
    at = at[at >= 0]
    entities, accounts = _decode(_local_keys(ctx), cur.pairs[at])
    names = ctx.local["account_name"].to_numpy(dtype=object)[cur.first_row[at]]
    suspense = _role(ctx.chart, SystemRole.SUSPENSE) or "suspense"
    found = []
    for i, entity, account, name in zip(at, entities, accounts, names, strict=True):
        currency = currencies.get(str(entity), "XXX")
        debit, credit = int(cur.debit[i]), int(cur.credit[i])
        if cur.closing[i] != 0:
            found.append(
                _mismatch(
                    code,
                    category,
                    "fail",
                    f"{entity} account {account} ({name}) is not "
                    f"mapped and its balance is carried on {suspense}",
                    0,
                    int(cur.closing[i]),
                    currency,
                    entity=str(entity),
                    account=str(account),
                )
            )
        elif cur.opening[i] != 0 or debit != 0 or credit != 0:
            found.append(
                CheckResult(
                    code,
                    category,
                    "warn",
                    str(entity),
                    str(account),
                    None,
                    _fmt(debit - credit, currency),
                    None,
                    f"{entity} account {account} ({name}) is not mapped; it closes at zero "
                    f"but had activity (debits {_fmt(debit, currency)}, credits "
                    f"{_fmt(credit, currency)})",
                )
            )
    found.sort(key=lambda r: (r.entity or "", r.account or ""))
    return _or_pass(
        found, code, category, f"{len(unmapped)} unmapped account(s), none with a balance or activity"
    )


def check_accounts_mapped_twice(ctx: ValidationContext) -> list[CheckResult]:
    """Find an entity account mapped to two standard accounts (in the mapping or on its lines)."""
    code, category = "ACCOUNT_MAPPED_TWICE", "mapping"
    keys = _keys_like_local(ctx, "mapping", ctx.mapping)
    pair = keys.pair
    order = np.argsort(pair, kind="stable")
    sorted_pairs = pair[order]
    repeated = set(sorted_pairs[1:][sorted_pairs[1:] == sorted_pairs[:-1]].tolist())
    if not _local_pairs(ctx).one_line_each:
        local_pair = _local_keys(ctx).pair
        local_std = ctx.local["std_account"].to_numpy(dtype=object)
        counts = pd.Series(local_std).groupby(local_pair).nunique()
        repeated |= set(counts.index[counts.to_numpy() > 1].tolist())
    found = []
    for p in sorted(repeated):
        rows = np.flatnonzero(pair == p)
        targets = set(ctx.mapping["std_account"].to_numpy(dtype=object)[rows].tolist())
        local_rows = np.flatnonzero(_local_keys(ctx).pair == p)
        targets |= set(ctx.local["std_account"].to_numpy(dtype=object)[local_rows].tolist())
        if len(targets) < 2:
            continue
        entity, account = (str(x[0]) for x in _decode(keys, np.array([p])))
        ordered = sorted(str(t) for t in targets)
        found.append(
            CheckResult(
                code,
                category,
                "fail",
                entity,
                account,
                ordered[0],
                ", ".join(ordered[1:]),
                None,
                f"{entity} account {account}: expected one standard account != actual {', '.join(ordered)}",
            )
        )
    return _or_pass(found, code, category, "every account maps to one standard account")


# What a code's first digit allows: ``close.engine.account_codes`` (one rule with the suggester).
_PREFIX_CLASSES: Mapping[str, frozenset[str]] = {d: frozenset(c) for d, c in PREFIX_CLASSES.items()}


def check_mapping_class_prefix(ctx: ValidationContext) -> list[CheckResult]:
    """Find standard accounts whose class contradicts the local code's first digit (heuristic).

    See ``close.engine.account_codes``: 1 asset; 2 liability or equity; 3 equity, revenue or expense;
    4–8 revenue or expense; other codes are not judged. Unmapped accounts (on suspense) are left to
    the unmapped check.
    """
    code, category = "MAPPING_CLASS_CONTRADICTS_CODE", "mapping"
    if not ctx.settings.class_prefix_check:
        return _passed(code, category, "not checked: class_prefix_check is off")
    # Judged on the trial balance's lines (an account without lines carries nothing to misstate),
    # once per distinct (local code, standard account).
    keys = _local_keys(ctx)
    std, std_uniques = _std_codes(ctx)
    width = max(len(std_uniques), 1)
    mapped = ~np.isin(keys.pair, _unmapped_pairs(ctx))
    combo = keys.account * width + std
    if len(keys.accounts) * width <= _DENSE_LIMIT:
        seen = np.zeros(len(keys.accounts) * width, dtype=bool)
        seen[combo[mapped]] = True
        distinct = np.flatnonzero(seen)
    else:
        distinct = np.unique(combo[mapped])
    accounts = pd.Series(keys.accounts[distinct // width]).astype(str)
    allowed = accounts.where(accounts.str.match(NUMERIC_CODE)).str[0].map(_PREFIX_CLASSES)
    classes = pd.Series(std_uniques[distinct % width]).map(_classes(ctx.chart))
    contradicts = [isinstance(a, frozenset) and c not in a for a, c in zip(allowed, classes, strict=True)]
    bad_rows = np.flatnonzero(mapped & np.isin(combo, distinct[np.array(contradicts, dtype=bool)]))
    found = []
    for p in np.unique(keys.pair[bad_rows]):
        i = bad_rows[np.argmax(keys.pair[bad_rows] == p)]
        entity, account = str(keys.entities[keys.entity[i]]), str(keys.accounts[keys.account[i]])
        if entity in ctx.settings.class_prefix_skip:
            continue
        target = str(std_uniques[std[i]])
        expected = " or ".join(sorted(_PREFIX_CLASSES[account[0]]))
        actual = f"{_classes(ctx.chart).get(target)} ({target})"
        found.append(
            CheckResult(
                code,
                category,
                "warn",
                entity,
                account,
                expected,
                actual,
                None,
                f"{entity} account {account}: code prefix {account[0]} expected {expected} "
                f"!= actual {actual}",
            )
        )
    judged = int(np.isin(combo[mapped], distinct[allowed.notna().to_numpy()]).sum())
    return _or_pass(found, code, category, f"{judged} numeric local codes map to a class their prefix allows")
