"""Property tests: exact translation arithmetic and the consolidation's invariants."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, localcontext

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from close.engine.consolidation import consolidate
from close.engine.frames import MAPPED_TB_COLUMNS
from close.engine.fx import RATE_SCALE, OpeningBalances, multiply_exact

from .helpers import entity, inputs, rates

AMOUNT = st.integers(min_value=-(10**15), max_value=10**15)
# Rates up to 4,000 with 12 decimals: 10^15 minor units × 4,000 still fits int64 (below 2^62).
SCALED_RATE = st.integers(min_value=1, max_value=4 * 10**15)


def _decimal_round(a: int, r: int) -> int:
    with localcontext() as ctx:
        ctx.prec = 80
        exact = Decimal(a) * Decimal(r) / Decimal(RATE_SCALE)
        return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


@given(st.lists(st.tuples(AMOUNT, SCALED_RATE), min_size=1, max_size=50))
def test_multiply_exact_matches_decimal(pairs):
    a = np.array([p[0] for p in pairs], dtype=np.int64)
    r = np.array([p[1] for p in pairs], dtype=np.int64)
    assert multiply_exact(a, r).tolist() == [_decimal_round(x, y) for x, y in pairs]


@given(
    st.integers(min_value=1, max_value=10**16),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.integers(min_value=0, max_value=3),
)
def test_multiply_exact_is_exact_up_to_the_int64_limit(r, fraction, nudge):
    # Products within a hair of 2^62 (the refusal bound), where a float64 estimate is furthest off.
    bound = min(2**62 - 1, (2**62 - 1) * RATE_SCALE // r - 1)
    a = max(-bound, min(bound, bound * fraction // 10**6 + nudge))
    assert int(multiply_exact(np.array([a]), np.array([r]))[0]) == _decimal_round(a, r)


def test_multiply_exact_refuses_an_overflowing_result():
    import pytest

    with pytest.raises(OverflowError):
        multiply_exact(np.array([10**15]), np.array([10**17]))


@given(st.integers(min_value=-(10**14), max_value=10**14), st.integers(min_value=0, max_value=10**3))
def test_multiply_exact_rounds_ties_to_even(k, m):
    # rate = (2m + 1) / 2: every odd amount lands exactly on a half.
    rate = (2 * m + 1) * RATE_SCALE // 2
    a = 2 * k + 1
    got = int(multiply_exact(np.array([a]), np.array([rate]))[0])
    assert got == _decimal_round(a, rate)
    assert got % 2 == 0


ENTITY_IDS = ("S1", "S2", "S3")
CCY = st.sampled_from(("BRL", "EUR", "JPY", "KWD"))
RATE = st.decimals(min_value=Decimal("0.0010"), max_value=Decimal("9.0000"), places=4)
LINE_ACCOUNTS = ("1100", "1500", "2000", "2500", "4000", "5000", "6400", "3150")


@st.composite
def groups(draw, *, with_ic: bool = True):
    n = draw(st.integers(min_value=1, max_value=3))
    subs = ENTITY_IDS[:n]
    currencies = {s: draw(CCY) for s in subs}
    rows = []
    parent_cash = 0
    for s in subs:
        capital = draw(st.integers(min_value=1, max_value=10**9))
        lines = {
            a: draw(st.integers(min_value=-(10**9), max_value=10**9))
            for a in draw(st.lists(st.sampled_from(LINE_ACCOUNTS), unique=True, max_size=5))
        }
        rows.append((s, "3000", "", -capital))
        for acc, amt in lines.items():
            rows.append((s, acc, "", amt))
        if with_ic and draw(st.booleans()):
            amt = draw(st.integers(min_value=1, max_value=10**8))
            rows.append((s, "2050", "HOLD", -amt))
            rows.append((s, "1000", "", amt))
            rows.append(("HOLD", "1150", s, amt))  # matched in local terms only
            parent_cash -= amt
        total = sum(r[3] for r in rows if r[0] == s)
        rows.append((s, "1000", "", -total))
        rows.append(("HOLD", "1800", s, capital))
        parent_cash -= capital
    rows.append(("HOLD", "1000", "", parent_cash + 10**10))
    rows.append(("HOLD", "3000", "", -(10**10)))
    closing = {c: draw(RATE) for c in set(currencies.values())}
    average = {c: draw(RATE) for c in set(currencies.values())}
    return subs, currencies, rows, closing, average


def _frame(rows, opening_of=None) -> pd.DataFrame:
    data = []
    for i, (e, acc, cp, amt) in enumerate(rows):
        o = (opening_of or {}).get((e, acc, cp), 0)
        data.append(
            {
                "entity": e,
                "account": f"{acc}-{cp}-{i}",
                "account_name": acc,
                "std_account": acc,
                "counterparty": cp,
                "cost_center": "",
                "department": "",
                "opening": o,
                "debit": max(amt - o, 0),
                "credit": max(o - amt, 0),
                "closing": amt,
            }
        )
    frame = pd.DataFrame(data, columns=list(MAPPED_TB_COLUMNS))
    for c in ("opening", "debit", "credit", "closing"):
        frame[c] = frame[c].astype(np.int64)
    return frame


def _group_config(subs, currencies):
    return (entity("HOLD", "USD"), *(entity(s, currencies[s], "HOLD") for s in subs))


def _str_rates(m):
    return {k: str(v) for k, v in m.items()}


def _check_invariants(r):
    assert int(r.consolidated["amount"].sum()) == 0
    for e, grp in r.translated.groupby("entity"):
        assert int(grp["translated"].sum()) == 0, e
    assert (r.cta["difference"].abs() <= r.cta["tolerance"]).all(), r.cta
    for j in r.journals:
        assert j.total() == 0, j.journal_id
    elim = r.worksheet[r.worksheet["column"] == "elimination"]
    assert int(elim["amount"].sum()) == 0


FAST = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(groups())
def test_translated_and_consolidated_tbs_sum_to_zero_and_cta_parts_agree(group):
    subs, currencies, rows, closing, average = group
    r = consolidate(
        inputs(
            "2025-01",
            _group_config(subs, currencies),
            _frame(rows),
            rates(_str_rates(closing), _str_rates(average)),
        )
    )
    _check_invariants(r)


@FAST
@given(groups(with_ic=False))
def test_rates_one_full_ownership_no_ic_is_the_plain_sum(group):
    subs, currencies, rows, _, _ = group
    usd = dict.fromkeys(subs, "USD")
    r = consolidate(inputs("2025-01", _group_config(subs, usd), _frame(rows), rates({}, {})))
    plain = pd.DataFrame(rows, columns=["entity", "std_account", "cp", "amount"])
    # The investment at cost equals each subsidiary's share capital, so its elimination removes
    # exactly those lines and nothing else.
    plain = plain[
        ~plain["std_account"].isin(["1800"])
        & ~((plain["entity"] != "HOLD") & (plain["std_account"] == "3000"))
    ]
    expected = plain.groupby("std_account")["amount"].sum()
    expected = expected[expected != 0]
    got = r.consolidated.set_index("std_account")["amount"]
    assert got.to_dict() == {k: int(v) for k, v in expected.items()}


@FAST
@given(groups(), st.data())
def test_month_by_month_equals_one_go_from_opening_balances(group, data):
    """Month 2 consolidated with month 1's result as ``prior`` equals month 2 consolidated from an
    opening-balances file holding month 1's translated closing (equity, YTD and CTA)."""
    subs, currencies, rows, closing, average = group
    cfg = _group_config(subs, currencies)
    r1 = consolidate(inputs("2025-01", cfg, _frame(rows), rates(_str_rates(closing), _str_rates(average))))
    # Month 2: every line moves by a random amount, balanced on cash.
    rows2 = []
    for e in ("HOLD", *subs):
        mine = [r for r in rows if r[0] == e]
        moved = [
            (
                e,
                a,
                cp,
                amt + (data.draw(st.integers(-(10**8), 10**8)) if a in ("4000", "5000", "6400") else 0),
            )
            for e, a, cp, amt in mine
        ]
        delta = sum(m[3] for m in moved) - sum(m[3] for m in mine)
        moved.append((e, "1000", "", -delta))
        rows2.extend(moved)
    closing2 = {c: data.draw(RATE) for c in closing}
    average2 = {c: data.draw(RATE) for c in average}
    rt2 = rates(_str_rates(closing2), _str_rates(average2))
    bal2 = _frame(rows2)
    # Each of month 2's lines opens at the same line's month-1 closing (the cash plugs open at 0).
    month1 = {(e, a, cp, i): amt for i, (e, a, cp, amt) in enumerate(rows)}
    order = [(e, a, cp) for e, a, cp, _ in rows]
    opening_list, seen = [], {}
    for e, a, cp, _ in rows2:
        k = seen.get((e, a, cp), 0)
        hits = [i for i, key in enumerate(order) if key == (e, a, cp)]
        opening_list.append(month1[(e, a, cp, hits[k])] if k < len(hits) else 0)
        seen[(e, a, cp)] = k + 1
    bal2["opening"] = np.array(opening_list, dtype=np.int64)
    via_prior = consolidate(inputs("2025-02", cfg, bal2, rt2, prior=r1.translated))
    t = r1.translated
    equity_like = t[t["rate_type"] != "closing"][["entity", "std_account", "counterparty", "translated"]]
    equity_like = equity_like.groupby(["entity", "std_account", "counterparty"], as_index=False)[
        "translated"
    ].sum()
    ob = OpeningBalances(translated=equity_like, historical_rates={})
    via_opening = consolidate(inputs("2025-02", cfg, bal2, rt2, opening_balances=ob))
    pd.testing.assert_frame_equal(via_prior.consolidated, via_opening.consolidated)
    _check_invariants(via_prior)


@FAST
@given(groups(with_ic=False), st.data())
def test_a_first_period_moves_from_its_openings_eliminated_like_a_chained_one(group, data):
    """Without the prior run's consolidated TB, the month's movement is measured from the
    translated openings eliminated like the closing; given month 1's translation as the prior
    (and its closing rates as the opening rates) that is month 1's consolidated TB, so the
    movement equals the chained one, account by account."""
    subs, currencies, rows, closing, average = group
    cfg = _group_config(subs, currencies)
    r1 = consolidate(inputs("2025-01", cfg, _frame(rows), rates(_str_rates(closing), _str_rates(average))))
    month2 = _frame(rows).assign(opening=_frame(rows)["closing"], debit=0, credit=0)
    closing2 = {c: data.draw(RATE) for c in closing}
    average2 = {c: data.draw(RATE) for c in average}
    rt2 = rates(_str_rates(closing2), _str_rates(average2), _str_rates(closing))
    chained = consolidate(
        inputs("2025-02", cfg, month2, rt2, prior=r1.translated, prior_consolidated=r1.consolidated)
    )
    first = consolidate(inputs("2025-02", cfg, month2, rt2, prior=r1.translated))
    pd.testing.assert_frame_equal(first.consolidated_movement, chained.consolidated_movement)
    assert int(first.consolidated_movement["amount"].sum()) == 0


@FAST
@given(groups(), st.data())
def test_with_dividends_at_their_declaration_rates_the_tbs_sum_to_zero_and_cta_parts_agree(group, data):
    """Issue 16: each subsidiary may declare a dividend to HOLD this month (still open, so a
    receivable and a payable), translated at its own declaration-date rate; HOLD books the
    income at that rate. The invariants hold and the dividend pairs eliminate with no mismatch."""
    from datetime import date

    from close.engine.dividends import DeclaredDividend
    from close.engine.fx import translate_amount

    subs, currencies, rows, closing, average = group
    rows = list(rows)
    dividends = []
    for s in subs:
        if not data.draw(st.booleans()):
            continue
        amount = data.draw(st.integers(min_value=1, max_value=10**9))
        rate = data.draw(RATE)
        usd = translate_amount(amount, rate, currencies[s], "USD")
        rows += [(s, "3150", "HOLD", amount), (s, "2400", "HOLD", -amount),
                 ("HOLD", "4950", s, -usd), ("HOLD", "1160", s, usd)]
        dividends.append(DeclaredDividend(s, "HOLD", amount, date(2025, 1, 15), None, rate, Decimal(1)))
    base = inputs("2025-01", _group_config(subs, currencies), _frame(rows),
                  rates(_str_rates(closing), _str_rates(average)))
    from dataclasses import replace

    r = consolidate(replace(base, dividends=tuple(dividends)))
    _check_invariants(r)
    div = r.ic_pairs[r.ic_pairs["kind"] == "dividend"]
    assert (div["mismatch"] == 0).all() and (div["status"] == "eliminated").all(), div
