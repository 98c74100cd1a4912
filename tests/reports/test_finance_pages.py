"""The finance pages (issue 21) render every part, n/a included, and the same pack gives the same bytes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from close.analysis.costing.cvp import cvp
from close.analysis.costing.variances import StandardInput, cost_variances
from close.analysis.receivables.aging import (
    age_titles,
    aging_by_entity,
    bucket_movement,
    top_overdue_customers,
    translate_aging,
)
from close.analysis.receivables.dso import count_back_dso
from close.analysis.receivables.ecl import DEFAULT_ECL_RATES, ecl_provision, required_vs_booked
from close.analysis.receivables.titles import parse_titles
from close.analysis.rootcause import decompose, recurrence
from reports.finance import FinancePack, RootCause, build_finance_pdf
from tests.close.analysis.test_rootcause import _frame, _l

TITLES = b"""entity,customer,document,issue_date,due_date,open_amount,currency
BR1,Beta,NF-1,2026-09-01,2026-10-01,1500.00,BRL
BR1,Gama,NF-2,2026-11-01,2026-12-01,700.00,BRL
"""


def _pack() -> FinancePack:
    titles = parse_titles(TITLES, currencies={"BR1": "BRL"}, default_language="en")
    aged = titles.join(age_titles(titles, date(2026, 11, 30))[["days_past_due", "bucket"]])
    by_entity = aging_by_entity(aged)
    resin = StandardInput("resin", Decimal(6), Decimal("42.5"), Decimal(640), Decimal(44))
    v = cost_variances("Kit", [resin],
                       actual_units=Decimal(100), batch_output=Decimal(1), budget_units=Decimal(110))
    now = _frame([_l("BR1", "3.1", "CC1", "ACME", 1500)])
    before = _frame([_l("BR1", "3.1", "CC1", "ACME", 500)])
    tree = decompose(now, before, "5000")
    return FinancePack(
        group_id="acme", period="2026-11", run_id="r1", currency="USD",
        aging=translate_aging(by_entity, {"BRL": Decimal("0.2")}, "USD"),
        dso=(("BR1", count_back_dso(220000, [("2026-11", 100000)])),),
        provision=required_vs_booked(ecl_provision(by_entity, DEFAULT_ECL_RATES), {}),
        top_overdue=top_overdue_customers(aged),
        movement=bucket_movement(aged.assign(open_amount=aged["open_amount"] + 100, bucket="current"), aged),
        variances=(("BR1", v),),
        cvp=(("BR1", cvp("Kit", units=Decimal(100), variable_costs=v.actual_cost, selling_price=Decimal(500),
                         fixed_costs=Decimal(10000))),
             ("BR1", cvp("Other", units=Decimal(1), variable_costs=Decimal(1), selling_price=None,
                         fixed_costs=None))),
        root_causes=(RootCause("5000", "Cost of sales", tree, recurrence(1000, {})),),
    )


def test_the_finance_pdf_renders_and_is_deterministic() -> None:
    first, second = build_finance_pdf(_pack()), build_finance_pdf(_pack())
    assert first.startswith(b"%PDF") and first == second
    empty = FinancePack(group_id="acme", period="2026-11", run_id="r1", currency="USD")
    assert empty.empty and build_finance_pdf(empty).startswith(b"%PDF")
