"""Text columns as integer codes (close.engine._kernels): every coding path gives back the same text.

The consolidation codes its text columns once and builds its output text from the codes as
categoricals; a wrong code would silently move an amount to another entity or account, so each
path (plain strings, runs, an aligned prior, categoricals, a base of known values) is checked
against the values it codes, and the engine's result against the same input given as strings.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from close.engine._kernels import categorical_text, drop_unused, encode_text
from close.engine.consolidation import consolidate

from .helpers import inputs, rates
from .test_properties import FAST, _frame, _group_config, _str_rates, groups

# Few distinct values so that repeats, runs and shared values between columns are common.
TEXT = st.one_of(st.none(), st.sampled_from(["", "BR1", "BR2", "HOLD", "1000", "#ppa", "ação"]))
COLUMN = st.lists(TEXT, max_size=40)


def _expected(values: list[str | None]) -> list[str]:
    return ["" if v is None else v for v in values]


def _decoded(tc) -> list[str]:
    return tc.uniques[tc.codes].tolist() if len(tc.codes) else []


def _categorical(values: list[str | None]) -> pd.Series:
    return pd.Series(values, dtype=object).astype("category")


@given(COLUMN)
def test_plain_strings_decode_to_themselves_with_missing_as_empty(values):
    tc = encode_text(pd.Series(values, dtype=object))
    assert _decoded(tc) == _expected(values)
    assert len(set(tc.uniques.tolist())) == len(tc.uniques)
    assert tc.missing == any(v is None for v in values)


@given(COLUMN, st.lists(st.sampled_from(["HOLD", "ZZZ", ""]), unique=True))
def test_a_base_comes_first_and_keeps_its_codes(values, base):
    base_arr = np.array(base, dtype=object)
    for column in (pd.Series(values, dtype=object), _categorical(values)):
        tc = encode_text(column, uniques=base_arr)
        assert tc.uniques[: len(base)].tolist() == base
        assert _decoded(tc) == _expected(values)
        assert len(set(tc.uniques.tolist())) == len(tc.uniques)


@given(COLUMN)
def test_a_categorical_column_codes_like_its_strings(values):
    tc = encode_text(_categorical(values))
    assert _decoded(tc) == _expected(values)
    assert tc.missing == any(v is None for v in values)


@given(st.lists(st.tuples(TEXT, st.integers(1, 30)), max_size=8))
def test_runs_of_equal_values_code_like_scattered_ones(runs):
    values = [v for v, k in runs for _ in range(k)]  # a TB sorted by entity: long runs
    assert _decoded(encode_text(np.array(values, dtype=object))) == _expected(values)


@given(COLUMN, COLUMN)
def test_an_aligned_prior_codes_like_an_unaligned_one(current, prior):
    cur = encode_text(np.array(current, dtype=object))
    ref = np.array(_expected(current), dtype=object)
    aligned = encode_text(np.array(prior, dtype=object), uniques=cur.uniques, aligned=(ref, cur.codes))
    assert _decoded(aligned) == _expected(prior)
    assert aligned.uniques[: len(cur.uniques)].tolist() == cur.uniques.tolist()


@given(st.lists(st.sampled_from(["0.18", "1", "", "b", "a"]), min_size=1), st.data())
def test_categorical_text_gives_the_values_with_sorted_distinct_categories(table, data):
    uniques = np.array(table, dtype=object)  # equal values may repeat (two entities' rates)
    parts = [
        np.array(data.draw(st.lists(st.integers(0, len(table) - 1), max_size=20)), dtype=np.int64)
        for _ in range(data.draw(st.integers(1, 3)))
    ]
    column = categorical_text(uniques, *parts)
    flat = np.concatenate(parts)
    assert column.tolist() == uniques[flat].tolist()
    categories = column.cat.categories.tolist()
    assert categories == sorted(set(table))
    assert column.sort_values().tolist() == sorted(uniques[flat].tolist())


@given(COLUMN, COLUMN, st.lists(st.sampled_from(["X", "Y"]), unique=True))
def test_drop_unused_keeps_the_values_and_only_used_uniques(current, prior, unused):
    cur = encode_text(np.array(current, dtype=object), uniques=np.array(unused, dtype=object))
    pri = encode_text(np.array(prior, dtype=object), uniques=cur.uniques)
    cur = type(cur)(cur.codes, pri.uniques, cur.missing)
    c2, p2 = drop_unused(cur, pri)
    assert _decoded(c2) == _expected(current)
    assert _decoded(p2) == _expected(prior)
    assert set(c2.uniques.tolist()) == set(_expected(current)) | set(_expected(prior))


def test_occurring_tells_coded_values_from_values_on_rows():
    column = pd.Series(pd.Categorical(["BR1", "BR1"], categories=["BR1", "GONE"]))
    tc = encode_text(column)
    assert tc.uniques.tolist() == ["BR1", "GONE"]  # every category is coded …
    assert tc.occurring([1, 0]) == [0]  # … but only BR1 is on a row


def _as(frame: pd.DataFrame, dtype: str) -> pd.DataFrame:
    return frame.astype({c: dtype for c in frame.columns if not pd.api.types.is_integer_dtype(frame[c])})


@FAST
@given(groups(), st.data())
def test_the_consolidation_is_the_same_for_string_and_categorical_inputs(group, data):
    subs, currencies, rows, closing, average = group
    cfg = _group_config(subs, currencies)
    rt = rates(_str_rates(closing), _str_rates(average))
    month1 = consolidate(inputs("2025-01", cfg, _frame(rows), rt))
    balances = _frame(rows).assign(opening=_frame(rows)["closing"], debit=0, credit=0)
    prior = month1.translated
    as_text = consolidate(inputs("2025-02", cfg, _as(balances, "object"), rt, prior=_as(prior, "object")))
    coded_balances, coded_prior = _as(balances, "category"), _as(prior, "category")
    if data.draw(st.booleans()):
        # A categorical filtered elsewhere keeps its categories: an entity no row has is no error.
        gone = {"entity": lambda f: f["entity"].cat.add_categories(["GONE"])}
        coded_balances, coded_prior = coded_balances.assign(**gone), coded_prior.assign(**gone)
    as_codes = consolidate(inputs("2025-02", cfg, coded_balances, rt, prior=coded_prior))
    pd.testing.assert_frame_equal(as_text.consolidated, as_codes.consolidated)
    pd.testing.assert_frame_equal(as_text.worksheet, as_codes.worksheet)
    pd.testing.assert_frame_equal(_as(as_text.translated, "object"), _as(as_codes.translated, "object"))
    pd.testing.assert_frame_equal(as_text.cta, as_codes.cta)
