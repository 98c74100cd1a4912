"""Integer keys: checks on millions of lines group by int codes, never by text columns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from close.checks.result import ValidationContext


def _int(series: pd.Series) -> np.ndarray:
    return series.to_numpy(dtype=np.int64)





def _memo(ctx: ValidationContext, name: str, build: Callable[[], object]) -> object:
    if name not in ctx._memo:  # noqa: SLF001 - the context's own memo
        ctx._memo[name] = build()  # noqa: SLF001
    return ctx._memo[name]  # noqa: SLF001


def _factorize(values: pd.Series | np.ndarray, *, runs: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Return integer codes (int64) and uniques of a text column.

    With ``runs`` (an entity column: a trial balance comes grouped by entity) only the heads of
    runs of equal values are hashed.
    """
    arr = np.asarray(values, dtype=object)
    if len(arr) == 0:
        return np.zeros(0, dtype=np.int64), np.array([], dtype=object)
    heads = np.flatnonzero(np.concatenate(([True], arr[1:] != arr[:-1]))) if runs else arr
    if runs and len(heads) * 20 < len(arr):
        codes, uniques = pd.factorize(arr[heads])
        return np.repeat(codes.astype(np.int64), np.diff(np.append(heads, len(arr)))), np.asarray(
            uniques, object
        )
    codes, uniques = pd.factorize(arr)
    return codes.astype(np.int64), np.asarray(uniques, dtype=object)


def _recode(codes: np.ndarray, uniques: np.ndarray, reference: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Re-express another frame's codes against ``reference`` uniques.

    Values the reference lacks get new codes after it. Returns the codes and the extended uniques.
    """
    where = pd.Index(reference).get_indexer(uniques)
    missing = where < 0
    where[missing] = len(reference) + np.arange(int(missing.sum()))
    return where[codes].astype(np.int64), np.concatenate([reference, uniques[missing]])


_PAIR_SHIFT = 31  # pair key = entity code << 31 | account code
_DENSE_LIMIT = 50_000_000  # entity × std-account cells summed in a dense array below this


@dataclass(frozen=True, slots=True, eq=False)
class _Keys:
    """Integer keys of a trial-balance-like frame, in the local TB's code space."""

    entity: np.ndarray  # code per row
    entities: np.ndarray  # uniques (extended beyond the local TB's for another frame)
    account: np.ndarray
    accounts: np.ndarray

    @property
    def pair(self) -> np.ndarray:
        """One int64 per (entity, account)."""
        return (self.entity << _PAIR_SHIFT) | self.account


def _local_keys(ctx: ValidationContext) -> _Keys:
    def build() -> _Keys:
        entity, entities = _factorize(ctx.local["entity"], runs=True)
        account, accounts = _factorize(ctx.local["account"])
        return _Keys(entity, entities, account, accounts)

    return _memo(ctx, "local", build)  # type: ignore[return-value]


def _keys_like_local(ctx: ValidationContext, name: str, frame: pd.DataFrame) -> _Keys:
    """Keys of ``frame`` (the prior TB, the mapping) in the local TB's code space."""

    def build() -> _Keys:
        base = _local_keys(ctx)
        entity, entities = _recode(*_factorize(frame["entity"], runs=True), base.entities)
        account, accounts = _recode(*_factorize(frame["account"]), base.accounts)
        return _Keys(entity, entities, account, accounts)

    return _memo(ctx, name, build)  # type: ignore[return-value]


def _std_codes(ctx: ValidationContext) -> tuple[np.ndarray, np.ndarray]:
    return _memo(ctx, "std", lambda: _factorize(ctx.local["std_account"]))  # type: ignore[return-value]


def _group_sums(codes: np.ndarray, size: int, *columns: np.ndarray) -> list[np.ndarray]:
    """Exact int64 sums of each column by code (``np.add.at``: no float, unlike bincount)."""
    out = []
    for values in columns:
        sums = np.zeros(size, dtype=np.int64)
        np.add.at(sums, codes, values)
        out.append(sums)
    return out


@dataclass(frozen=True, slots=True, eq=False)
class _PairSums:
    """A TB's amounts summed per (entity, account).

    Sorted distinct pair keys, one row of each pair (for its text columns), the sums of opening,
    debit, credit and closing, and whether every pair had exactly one line.
    """

    pairs: np.ndarray
    first_row: np.ndarray
    opening: np.ndarray
    debit: np.ndarray
    credit: np.ndarray
    closing: np.ndarray
    one_line_each: bool


def _pair_sums(keys: _Keys, frame: pd.DataFrame) -> _PairSums:
    """Group by pair key with one sort; a TB already in entity/account order sorts almost free."""
    pair = keys.pair
    order = np.argsort(pair, kind="stable")
    sorted_pairs = pair[order]
    heads = (
        np.concatenate(([True], sorted_pairs[1:] != sorted_pairs[:-1])) if len(pair) else np.zeros(0, bool)
    )
    amounts = [_int(frame[c]) for c in ("opening", "debit", "credit", "closing")]
    if heads.all():
        return _PairSums(sorted_pairs, order, *(a[order] for a in amounts), one_line_each=True)
    group = np.cumsum(heads) - 1
    sums = _group_sums(group, int(heads.sum()), *(a[order] for a in amounts))
    return _PairSums(sorted_pairs[heads], order[heads], *sums, one_line_each=False)


def _local_pairs(ctx: ValidationContext) -> _PairSums:
    return _memo(ctx, "local_pairs", lambda: _pair_sums(_local_keys(ctx), ctx.local))  # type: ignore[return-value]


def _prior_pairs(ctx: ValidationContext) -> tuple[_Keys, _PairSums]:
    assert ctx.prior_local is not None  # noqa: S101 - callers check
    keys = _keys_like_local(ctx, "prior", ctx.prior_local)
    return keys, _memo(ctx, "prior_pairs", lambda: _pair_sums(keys, ctx.prior_local))  # type: ignore[return-value]


def _lookup(table: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Position of each of ``keys`` in the sorted distinct ``table``, -1 when absent."""
    if not len(table):
        return np.full(len(keys), -1, dtype=np.int64)
    at = np.minimum(np.searchsorted(table, keys), len(table) - 1)
    return np.where(table[at] == keys, at, -1)


def _decode(keys: _Keys, pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Entity and account text of pair keys."""
    return keys.entities[pairs >> _PAIR_SHIFT], keys.accounts[pairs & ((1 << _PAIR_SHIFT) - 1)]
