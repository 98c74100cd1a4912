"""Acceptance 2 of issue 21: standard-cost variances reproduce published worked examples to the cent.

Example 1 (price, mix and yield, with a process loss), as published with its answer at
https://www.transtutors.com/questions/accountancy-50696.htm ("The standard cost of a certain
chemical mixture is 35% Material A at Rs.25 per kg, 65% Material B at Rs.36 per kg. A standard
loss of 5% is expected in production. During a period there is used 125kg of material A at
Rs.27 per kg and 275kg of materials B at Rs.34 per kg. The actual output was 365 kg."). The
published workings: M1 actual cost 12,725; M2 actual quantities at standard price 13,025; M3
standard mix of the actual input 12,860; M4 standard cost of the actual output 12,352.37.
Answers: cost variance 372.63 adverse, price 300 favourable, mix 165 adverse, yield 507.63
adverse.

Example 2 (mix and yield, three materials), Kaplan ACCA F5 exam kit, "JC Ltd", quoted with its
answers on OpenTuition (https://opentuition.com/topic/materials-mix-and-yield-variances-acca-paper-f5/):
100 kg of SGR need A 50 kg at $10, B 40 kg at $5, C 20 kg at $9 (110 kg of input); 23,180 kg
were made from A 13,200, B 7,600, C 5,600 kg. Answers: yield $7,216 adverse, mix $9,200 adverse.
The question gives no actual prices; they are taken at standard here (no price variance).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from close.analysis.costing.cvp import cvp
from close.analysis.costing.files import parse_standard_costs
from close.analysis.costing.variances import StandardInput, cost_variances
from close.errors import InputDataError

D = Decimal


def test_transtutors_chemical_mixture_price_mix_and_yield_to_the_cent() -> None:
    # A standard batch: 35 kg of A and 65 kg of B give 95 kg of output (5% loss).
    inputs = [StandardInput("A", D(35), D(25), D(125), D(27), "mixture"),   # 125 kg at Rs.27
              StandardInput("B", D(65), D(36), D(275), D(34), "mixture")]   # 275 kg at Rs.34
    v = cost_variances("chemical", inputs, actual_units=D(365), batch_output=D(95))
    assert v.actual_cost == D("12725.00")      # M1 = 125 × 27 + 275 × 34 = 3,375 + 9,350
    assert v.standard_cost == D("12352.37")    # M4 = 365 × (35 × 25 + 65 × 36) / 95 = 365 × 33.8421…
    assert v.price == D("-300.00")             # M2 − M1 = 13,025 − 12,725 = 300 favourable
    assert v.mix == D("165.00")                # M2 − M3 = 13,025 − 12,860 = 165 adverse (140 A, 260 B)
    assert v.yield_ == D("507.63")             # M3 − M4 = 12,860 − 12,352.37 = 507.63 adverse
    assert v.total == D("372.63")              # M1 − M4 = 372.63 adverse
    assert v.rounding == 0 and v.price + v.mix + v.yield_ == v.total
    assert v.usage == D("672.63")


def test_kaplan_jc_ltd_mix_and_yield() -> None:
    inputs = [StandardInput("A", D(50), D(10), D(13200), D(10), "sgr"),
              StandardInput("B", D(40), D(5), D(7600), D(5), "sgr"),
              StandardInput("C", D(20), D(9), D(5600), D(9), "sgr")]
    v = cost_variances("SGR", inputs, actual_units=D(23180), batch_output=D(100))
    # Standard mix of 26,400 kg: A 12,000, B 9,600, C 4,800 → (1,200 × 10) − (2,000 × 5) + (800 × 9).
    assert v.mix == D("9200.00")
    # Standard input for 23,180 kg: 25,498 kg; (26,400 − 25,498) × $8 per kg of input = 7,216.
    assert v.yield_ == D("7216.00")
    assert v.price == 0 and v.total == D("16416.00") == v.mix + v.yield_


def test_volume_and_an_input_outside_the_mix() -> None:
    # A product: 2 kg of material at 3.00 and 0.5 h of labour at 20.00 per unit; 1,000 budgeted,
    # 900 made using 1,850 kg at 3.10 and 470 h at 19.00.
    inputs = [StandardInput("material", D(2), D(3), D(1850), D("3.10")),
              StandardInput("labour", D("0.5"), D(20), D(470), D(19))]
    v = cost_variances("widget", inputs, actual_units=D(900), budget_units=D(1000))
    assert v.price == D("-285.00")   # 1,850 × 0.10 = 185 A; 470 × −1 = 470 F
    assert v.mix == 0                # no mix group: no mix variance
    assert v.yield_ == D("550.00")   # (1,850 − 1,800) × 3 = 150 A; (470 − 450) × 20 = 400 A
    assert v.total == D("265.00") == v.price + v.yield_  # 5,735 + 8,930 = 14,665 against 900 × 16
    assert v.volume == D("-1600.00")  # (900 − 1,000) × 16: 100 fewer units cost 1,600 less
    assert v.total_vs_budget == D("-1335.00")  # 14,665 − 16,000


def test_cvp_with_reasons_when_inputs_are_missing() -> None:
    # 1,000 units at 50.00, variable costs 30,000, fixed 12,000: contribution 20,000 (C/S 0.4),
    # break-even 12,000 / 20 = 600 units = 30,000 revenue; margin of safety 20,000 (40%);
    # profit 8,000; operating leverage 20,000 / 8,000 = 2.5.
    c = cvp("widget", units=D(1000), variable_costs=D(30000), selling_price=D(50), fixed_costs=D(12000))
    assert (c.contribution, c.cs_ratio, c.break_even_units, c.break_even_revenue) == (
        D("20000.00"), D("0.4000"), D("600.00"), D("30000.00"))
    assert (c.margin_of_safety, c.margin_of_safety_pct, c.operating_profit, c.operating_leverage) == (
        D("20000.00"), D("0.4000"), D("8000.00"), D("2.5000"))
    assert c.reasons == ()
    none = cvp("widget", units=D(1000), variable_costs=D(30000), selling_price=None, fixed_costs=None)
    assert none.break_even_revenue is None and "no selling price" in none.reasons[0]
    loss = cvp("widget", units=D(1000), variable_costs=D(30000), selling_price=D(50), fixed_costs=D(25000))
    assert loss.operating_leverage is None and "profit is zero or negative" in loss.reasons[0]


def test_the_standard_cost_file_names_the_row_of_a_bad_value() -> None:
    good = (b"entity,product,input,mix_group,std_qty,std_price,actual_qty,actual_price,actual_units,"
            b"batch_output\n"
            b"BR1,chemical,A,mixture,35,25,125,27,365,95\nBR1,chemical,B,mixture,65,36,275,34,,\n")
    (card,) = parse_standard_costs(good, entities=frozenset({"BR1"}))
    assert (card.actual_units, card.batch_output, len(card.inputs)) == (D(365), D(95), 2)
    with pytest.raises(InputDataError) as err:
        parse_standard_costs(good.replace(b"34,,", b"34,366,"), entities=frozenset({"BR1"}), source="sc.csv")
    assert (err.value.file, err.value.row, err.value.column) == ("sc.csv", 3, "actual_units")
