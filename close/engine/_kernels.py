"""Text columns as integer codes, and back as categorical columns.

A group's trial balance is millions of lines whose text columns (entity, account, standard
account, counterparty, dimensions) repeat a few thousand values. The consolidation turns every
text column into integer codes once (:func:`encode_text`); matching, grouping and lookups then
work on ints, and its output text columns are built back from the codes as pandas categoricals
(:func:`categorical_text`) rather than as millions of Python strings.

A column that is already categorical is coded from its categories alone, so a frame that comes
out of one consolidation (the next period's ``prior``) is coded without hashing its rows again.

Example::

    >>> tc = encode_text(pd.Series(["BR1", "BR1", "HOLD", None], dtype=object))
    >>> tc.codes.tolist(), tc.uniques.tolist(), tc.missing
    ([0, 0, 1, 2], ['BR1', 'HOLD', ''], True)
    >>> categorical_text(tc.uniques, tc.codes).tolist()
    ['BR1', 'BR1', 'HOLD', '']
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

_SAMPLE = 4096  # rows looked at to decide whether a column runs in blocks or repeats another
_INT64_SAFE = 2**62


@dataclass(frozen=True, slots=True)
class TextCodes:
    """A text column as integer codes: ``uniques[codes]`` gives the values, a missing one as ``""``."""

    codes: np.ndarray  # integers (int64, or narrower for a small table), one per row
    uniques: np.ndarray  # object, distinct values
    missing: bool = False  # some value was missing (NaN/None) and is coded as ""

    def take(self, rows: np.ndarray) -> TextCodes:
        """Return the codes of some rows (an index or boolean array), sharing the uniques."""
        return TextCodes(self.codes[rows], self.uniques, self.missing)

    def occurring(self, candidates: list[int]) -> list[int]:
        """Return the codes among ``candidates`` that some row has, in the order given.

        A categorical's categories all become uniques, so a value may be coded but on no row:
        check with this before reporting a value as present (it reads every row: error paths).
        """
        if not candidates:
            return []
        seen = np.zeros(len(self.uniques), dtype=bool)
        seen[np.asarray(candidates, dtype=np.int64)] = True
        hit = set(np.unique(self.codes[seen[self.codes]]).tolist())
        return [c for c in candidates if c in hit]

    def with_value(self, value: str) -> tuple[TextCodes, int]:
        """Return codes whose uniques include ``value`` (appended if absent), and its code."""
        hit = np.flatnonzero(self.uniques == value) if len(self.uniques) else np.zeros(0, dtype=np.int64)
        if len(hit):
            return self, int(hit[0])
        uniques = np.append(self.uniques, np.array([value], dtype=object))
        return TextCodes(self.codes, uniques, self.missing), len(uniques) - 1


def drop_unused(*columns: TextCodes) -> tuple[TextCodes, ...]:
    """Renumber columns that share uniques so the uniques hold only the values some row has.

    Args:
        columns: codes against the same uniques (this period's and last period's entities).

    Returns:
        The columns recoded against their common used uniques (unchanged when all are used).

    """
    uniques = columns[0].uniques
    used = np.zeros(len(uniques), dtype=bool)
    for col in columns:
        used[col.codes] = True
    if used.all():
        return columns
    renumber = np.cumsum(used) - 1
    return tuple(TextCodes(renumber[col.codes], uniques[used], col.missing) for col in columns)


def is_categorical(values: object) -> bool:
    """Tell whether a column is a pandas categorical (coded from its categories, not its rows)."""
    return isinstance(getattr(values, "dtype", None), pd.CategoricalDtype)


def _mostly(mask: np.ndarray) -> bool:
    return bool(np.count_nonzero(mask) * 4 >= len(mask) * 3)


def encode_text(
    values: np.ndarray | pd.Series,
    *,
    uniques: np.ndarray | None = None,
    aligned: tuple[np.ndarray, np.ndarray] | None = None,
) -> TextCodes:
    """Encode a text column as integer codes, missing values as ``""``.

    A categorical column is coded through its categories. Otherwise, runs of equal values (a TB
    sorted by entity) are compared with their neighbour rather than hashed, and rows equal to
    the same row of ``aligned`` reuse its code: both are much cheaper than hashing every Python
    string and give the same codes.

    Args:
        values: the column.
        uniques: values already coded (codes ``0..len-1``); the result's uniques extend them.
        aligned: ``(values, codes)`` of a column coded against ``uniques`` whose rows probably
            repeat these rows in the same order (last period's lines).

    Returns:
        The codes, with the uniques (``uniques`` first, then new values in order of appearance;
        a categorical's categories all become uniques, so some may have no row).

    """
    base = np.empty(0, dtype=object) if uniques is None else uniques
    if is_categorical(values):
        return _encode_categorical(pd.Series(values, copy=False), base)
    if isinstance(values, pd.Series):
        values = values.to_numpy(dtype=object)
    values = np.asarray(values, dtype=object)
    n = len(values)
    if aligned is not None and n:
        ref_values, ref_codes = aligned
        m = min(n, len(ref_values))
        s = min(m, _SAMPLE)
        if s and _mostly(values[:s] == ref_values[:s]):
            same = values[:m] == ref_values[:m]
            codes = np.empty(n, dtype=np.int64)
            codes[:m] = np.where(same, ref_codes[:m], -1)
            todo = np.concatenate((np.flatnonzero(~same), np.arange(m, n)))
            sub_codes, uniques_out, missing = _code_rows(values[todo], base)
            codes[todo] = sub_codes
            return TextCodes(codes, uniques_out, missing)
    codes, uniques_out, missing = _code_rows(values, base)
    return TextCodes(codes, uniques_out, missing)


def _encode_categorical(values: pd.Series, base: np.ndarray) -> TextCodes:
    """Code a categorical column: its categories against ``base``, then its rows by table."""
    cat_codes = values.cat.codes.to_numpy()
    names = values.cat.categories.to_numpy(dtype=object)
    missing = bool(len(cat_codes)) and int(cat_codes.min()) < 0
    if missing:
        # A missing value's code -1 picks the table's last slot, which codes "".
        names = np.append(names, np.array([""], dtype=object))
    if len(names) <= len(base) and (names == base[: len(names)]).all():
        # The categories of last period's output are this period's values, in the same order.
        table, uniques_out = np.arange(len(names), dtype=np.int64), base
    else:
        table, uniques_out, _ = _code_rows(names, base)
    if not missing and np.array_equal(table, np.arange(len(table))):
        return TextCodes(cat_codes.astype(np.int64), uniques_out, missing)
    return TextCodes(table[cat_codes], uniques_out, missing)


def _code_rows(values: np.ndarray, base: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """Code values against ``base`` (extended with new values); run heads only when in blocks."""
    n = len(values)
    if n == 0:
        return np.zeros(0, dtype=np.int64), base, False
    heads: np.ndarray | None = None
    s = min(n, _SAMPLE)
    if n > 1 and _mostly(values[1:s] == values[: s - 1]):
        heads = np.flatnonzero(np.concatenate(([True], values[1:] != values[:-1])))
    distinct = values if heads is None else values[heads]
    found: np.ndarray | None = None
    miss: np.ndarray | None = None
    if len(base):
        found = pd.Index(base, dtype=object).get_indexer(distinct).astype(np.int64, copy=False)
        miss = np.flatnonzero(found < 0)
    new_values = distinct if miss is None else distinct[miss]
    new_codes, new_uniques = pd.factorize(new_values)
    new_uniques = np.asarray(new_uniques, dtype=object)
    missing = bool(len(new_codes)) and bool((new_codes < 0).any())
    if missing:
        # A missing value is "" (frames.py): give it the code of "" (added if absent).
        hit = np.flatnonzero(np.concatenate((base, new_uniques)) == "")
        if len(hit):
            empty = int(hit[0]) - len(base)
        else:
            new_uniques = np.append(new_uniques, np.array([""], dtype=object))
            empty = len(new_uniques) - 1
        new_codes = np.where(new_codes < 0, empty, new_codes)
    new_codes = new_codes.astype(np.int64, copy=False)
    if len(base):
        new_codes += len(base)
    if found is None:
        found = new_codes
    else:
        found[miss] = new_codes
    uniques = np.concatenate((base, new_uniques)) if len(new_uniques) else base
    if heads is None:
        return found, uniques, missing
    return np.repeat(found, np.diff(np.append(heads, n))), uniques, missing


def categorical_text(uniques: np.ndarray, *parts: np.ndarray) -> pd.Series:
    """Return ``uniques[concatenate(parts)]`` as a categorical column.

    The categories are the distinct ``uniques``, sorted, so sorting the column orders it as
    text (some may have no row); the codes are gathered straight into the narrow integer type
    pandas keeps, and no Python string is created per row.

    Args:
        uniques: text values (object array; equal values may repeat).
        parts: int code arrays into ``uniques``, concatenated in order.

    Returns:
        A ``category`` Series (categories: object dtype, the distinct values, sorted).

    """
    n = sum(len(p) for p in parts)
    # Equal values under different codes (two entities' rates both "0.18") share one category.
    names, rank = np.unique(uniques.astype(str), return_inverse=True)
    rank = rank.reshape(-1).astype(_code_type(len(names)))
    codes = np.empty(n, dtype=rank.dtype)
    start = 0
    for p in parts:
        np.take(rank, p, out=codes[start : start + len(p)], mode="clip")  # clip: no bounds pass
        start += len(p)
    dtype = pd.CategoricalDtype(pd.Index(names.astype(object), dtype=object))
    return pd.Series(pd.Categorical.from_codes(codes, dtype=dtype, validate=False), copy=False)


def _code_type(n_categories: int) -> type[np.signedinteger]:
    """Return the integer type pandas keeps codes of ``n_categories`` in (so it does not copy them)."""
    for t in (np.int8, np.int16, np.int32):
        if n_categories < np.iinfo(t).max:
            return t
    return np.int64


def combine_codes(*parts: tuple[np.ndarray, int]) -> np.ndarray:
    """Combine code arrays (each with its number of distinct codes) into one ordered int64 key.

    The key orders like the tuple of codes; when the product of the widths would overflow int64
    the key so far is replaced by its dense rank, which keeps that order.
    """
    key = np.zeros(len(parts[0][0]), dtype=np.int64)
    span = 1
    for codes, width in parts:
        width = max(int(width), 1)
        if span * width >= _INT64_SAFE:
            uniq, key = np.unique(key, return_inverse=True)
            key = key.astype(np.int64)
            span = max(len(uniq), 1)
        key = key * width + codes
        span *= width
    return key


def sum_by_code(codes: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """Exact int64 sums of ``values`` by code (``0..size-1``)."""
    out = np.zeros(size, dtype=np.int64)
    np.add.at(out, codes, np.asarray(values, dtype=np.int64))
    return out
