"""Property tests with associates (OCI included) and ownership steps: every TB sums to zero and the
CTA plug agrees with the CTA from its parts (issue 16, acceptance 5)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from close.config import Acquisition, Disposal, OwnershipStep
from close.engine.consolidation import consolidate

from .helpers import entity, inputs, rates
from .test_properties import FAST, RATE, _check_invariants, _frame, _str_rates, groups

SHARES = st.sampled_from([Decimal(x) for x in ("0.55", "0.6", "0.75", "0.8", "0.9", "1")])


@st.composite
def changing_groups(draw):
    """A group of ``groups()`` whose first subsidiary was acquired and changes hands this month, plus
    a foreign associate with OCI of its own."""
    subs, currencies, rows, closing, average = draw(groups())
    first = subs[0]
    before, after = draw(SHARES), draw(SHARES)
    if before == after:
        after = Decimal("0.51")
    capital = -next(r[3] for r in rows if r[0] == first and r[1] == "3000")
    consideration = draw(st.integers(min_value=0, max_value=10**8))
    signed = consideration if after > before else -consideration
    rows = [*rows, ("HOLD", "1800", first, signed), ("HOLD", "1000", "", -signed)]
    acq = Acquisition(
        date=date(2024, 6, 30),
        consideration=Decimal(1),
        net_assets_fair_value=None,
        equity_at_acquisition=Decimal(capital).scaleb(-2),
        rate=draw(RATE),
        steps=(OwnershipStep(date(2025, 1, 15), after, Decimal(consideration).scaleb(-2)),),
    )
    entities = [entity("HOLD", "USD")]
    for s in subs:
        e = entity(s, currencies[s], "HOLD", str(before) if s == first else "1")
        entities.append(replace(e, acquisition=acq) if s == first else e)
    # The associate: its capital, a profit, OCI of its own (3300), cash to balance.
    a_ccy = draw(st.sampled_from(("BRL", "EUR")))
    a_capital = draw(st.integers(min_value=1, max_value=10**8))
    a_profit = draw(st.integers(min_value=-(10**7), max_value=10**7))
    a_oci = draw(st.integers(min_value=-(10**7), max_value=10**7))
    rows += [
        ("A1", "3000", "", -a_capital),
        ("A1", "4000", "", -a_profit),
        ("A1", "3300", "", -a_oci),
        ("A1", "1000", "", a_capital + a_profit + a_oci),
        ("HOLD", "1810", "A1", a_capital // 3),
        ("HOLD", "1000", "", -(a_capital // 3)),
    ]
    entities.append(
        entity("A1", a_ccy, "HOLD", draw(st.sampled_from(("0.2", "0.3", "0.45"))), method="equity")
    )
    closing = {**closing, a_ccy: closing.get(a_ccy) or draw(RATE)}
    average = {**average, a_ccy: average.get(a_ccy) or draw(RATE)}
    return tuple(entities), rows, closing, average


@FAST
@given(changing_groups())
def test_with_associates_and_ownership_steps_every_tb_sums_to_zero_and_the_cta_agrees(group):
    entities, rows, closing, average = group
    r = consolidate(
        inputs("2025-01", entities, _frame(rows), rates(_str_rates(closing), _str_rates(average)))
    )
    _check_invariants(r)
    (step,) = r.steps.to_dict("records")
    assert step["equity_difference"] == step["consideration"] + step["nci_change"]
    (roll,) = r.associates.to_dict("records")
    assert roll["difference"] == 0


@st.composite
def disposing_groups(draw):
    """A group of ``groups(with_ic=False)`` whose first subsidiary (acquired) is sold this month."""
    subs, currencies, rows, closing, average = draw(groups(with_ic=False))
    first = subs[0]
    capital = -next(r[3] for r in rows if r[0] == first and r[1] == "3000")
    cost = next(r[3] for r in rows if r[0] == "HOLD" and r[1] == "1800" and r[2] == first)
    proceeds = draw(st.integers(min_value=0, max_value=10**10))
    # HOLD booked its own disposal: the investment out at cost, the proceeds in, its gain.
    rows = [r for r in rows if not (r[0] == "HOLD" and r[1] == "1800" and r[2] == first)]
    rows += [
        ("HOLD", "1800", first, 0),
        ("HOLD", "1000", "", proceeds),
        ("HOLD", "7400", first, -(proceeds - cost)),
    ]
    acq = Acquisition(
        date=date(2024, 6, 30),
        consideration=Decimal(cost).scaleb(-2),
        net_assets_fair_value=None,
        equity_at_acquisition=Decimal(capital).scaleb(-2),
        rate=draw(RATE),
    )
    share = draw(SHARES)
    entities = [entity("HOLD", "USD")]
    for s in subs:
        e = entity(s, currencies[s], "HOLD", str(share) if s == first else "1")
        sale = Disposal(date(2025, 1, 31), Decimal(proceeds).scaleb(-2))
        entities.append(replace(e, acquisition=acq, disposal=sale) if s == first else e)
    return tuple(entities), rows, closing, average, first, {("HOLD", "1800", first): cost}


@FAST
@given(disposing_groups())
def test_with_a_disposal_every_tb_sums_to_zero_and_nothing_of_the_subsidiary_is_left(group):
    entities, rows, closing, average, sold, opening_of = group
    balances = _frame(rows, opening_of)
    r = consolidate(inputs("2025-01", entities, balances, rates(_str_rates(closing), _str_rates(average))))
    _check_invariants(r)
    (d,) = r.disposals.to_dict("records")
    assert d["gain"] == d["proceeds"] - (d["net_assets"] + d["goodwill"] - d["nci"]) - d["cta_recycled"]
    lines = r.disposal_lines
    assert int(lines["amount"].sum()) == 0 and set(lines["entity"]) <= {sold}
