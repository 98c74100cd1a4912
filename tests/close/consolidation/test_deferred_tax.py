"""Deferred tax on PPA uplifts (IAS 12.19, 12.66): a DTL at acquisition that raises goodwill,
unwound with the amortization through the tax line, translated like the rest of the acquiree."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from close.config import Acquisition, PpaIntangible
from close.engine.consolidation import consolidate
from close.engine.ppa import push_down

from .helpers import CHART, acquisition, amounts, entity, inputs, opening, rates, tb


def test_dtl_on_a_fair_value_uplift_raises_goodwill_kaplan_sbr_example_6():
    """Kaplan, ACCA SBR Integrated Workbook (S18-J19), chapter 13 "Income taxes", 3.4 Consolidation
    issues: fair value adjustments, Example 6 "Fair value uplifts" (question p. 204, answer p. 445;
    https://online.flipbuilder.com/bmcx/dlby/files/basic-html/page210.html and page451.html).

    "On 30 June 20X6, Chai acquired 0.6 million of the 1 million $1 ordinary shares in Espresso.
    The cost of this investment was $18 million. At the acquisition date, the retained earnings of
    Espresso were $16 million and the fair value of the non-controlling interest (NCI) was $10
    million ... The fair value of the inventories exceeds cost by $3 million. The tax base of the
    inventories is based on cost ... The tax rate is 20%."
    Published answer: "A deferred tax liability will be recorded ... at $0.6m ($3m × 20%)";
    goodwill = consideration 18 + NCI 10 − (share capital 1.0 + retained earnings 16.0 + FV
    uplift 3.0 − deferred tax 0.6 = 19.4) = 8.6 ($m).
    """
    acq = acquisition(
        "2016-06-30",
        "18000000",  # consideration $18m
        "17000000",  # share capital 1.0 + retained earnings 16.0
        "1",
        fair_value="20000000",  # + inventory uplift 3.0, before deferred tax
        nci_method="full",
        nci_fair_value="10000000",  # NCI at fair value $10m
    )
    acq = Acquisition(**{**{f: getattr(acq, f) for f in acq.__slots__}, "tax_rate": Decimal("0.2")})
    group = (entity("CHAI", "USD"), entity("ESPRESSO", "USD", "CHAI", "0.6", acquisition=acq))
    bal = tb("""
    CHAI     | 1800 | ESPRESSO | 18000000 | 18000000
    CHAI     | 1000 |          | 2000000  | 2000000
    CHAI     | 3000 |          | -20000000 | -20000000
    ESPRESSO | 1200 |          | 17000000 | 17000000
    ESPRESSO | 3000 |          | -1000000 | -1000000
    ESPRESSO | 3100 |          | -16000000 | -16000000
    """)
    r = consolidate(inputs("2016-06", group, bal, rates({}, {})))
    got = amounts(r.consolidated)
    assert got["2600"] == Decimal("-600000.00")  # DTL $0.6m
    assert got["1700"] == Decimal("8600000.00")  # goodwill $8.6m
    assert got["3400"] == Decimal("-10000000.00")  # NCI at fair value $10m
    assert got["1200"] + got["1650"] == Decimal("20000000.00")  # inventories at fair value 17 + 3
    assert int(r.consolidated["amount"].sum()) == 0


TAXED = Acquisition(
    date=date(2025, 6, 30),
    consideration=Decimal("100000"),
    net_assets_fair_value=None,
    equity_at_acquisition=Decimal("380000"),
    rate=Decimal("0.2"),
    ppa=(PpaIntangible("customer list", Decimal("120000"), 60, "2025-07"),),
    tax_rate=Decimal("0.34"),
)


def test_the_dtl_unwinds_with_the_amortization_through_the_tax_line_translated():
    """Constructed: a customer list of BRL 120,000.00 over 60 months with a 34% tax rate (Brazil's
    IRPJ + CSLL). DTL at acquisition 34% × 120,000 = BRL 40,800.00 (goodwill rises by its USD
    8,160.00 at 0.20); each month BRL 2,000.00 of amortization releases BRL 680.00 of DTL to the
    tax line. In 2025-08 (2 months): carrying 116,000, DTL 39,440.00 = 34% × 116,000, YTD deferred
    tax income (1,360.00) BRL = USD (258.40) at the average 0.19 for both months (the July
    translation carried as the opening). The DTL is at the closing 0.18: USD 7,099.20."""
    group = (entity("P", "USD"), entity("S", "BRL", "P", acquisition=TAXED))
    push = push_down(
        group, consolidated=frozenset({"P", "S"}), chart=CHART, period="2025-08", fiscal_year_start=1
    )
    assert push.uplift == {"S": 12000000 - 4080000} and push.deferred_tax == {"S": 4080000}
    assert int(push.carrying.set_index("intangible").loc["customer list", "deferred_tax"]) == 3944000
    lines = push.lines.set_index("std_account")
    assert int(lines.loc["2600", "closing"]) == -3944000 and int(lines.loc["2600", "opening"]) == -4012000
    assert int(lines.loc["8050", "closing"]) == -136000 and int(lines.loc["8050", "opening"]) == -68000
    assert int(push.lines["closing"].sum()) == 0 and int(push.lines["opening"].sum()) == 0

    bal = tb("""
    P | 1800 | S | 100000 | 100000
    P | 1000 |   | 900000 | 900000
    P | 3000 |   | -1000000 | -1000000
    S | 1000 |   | 500000 | 500000
    S | 3000 |   | -380000 | -380000
    S | 2000 |   | -120000 | -120000
    """)
    # July's translation of the push-down, as the opening-balances file states it (0.19 average and
    # closing): its CTA is minus the rest, 22,800 − 380 + 380 − 7,622.80 − 129.20 − 15,840 = −792.
    ob = opening(
        "S | 6550 | #ppa:customer list | 380\nS | 8050 | #ppa:customer list | -129.20\n"
        "S | 3100 | #ppa | -15840\nS | 3300 | #ppa | 792\n"
        "S | 3000 |  | -76000\nS | 3300 |  | 3800",  # S's own book: 380,000 at 0.20, net assets at 0.19
        {("S", "3000"): "0.2"},
    )
    r = consolidate(
        inputs(
            "2025-08",
            group,
            bal,
            rates({"BRL": "0.18"}, {"BRL": "0.19"}, {"BRL": "0.19"}),
            opening_balances=ob,
        )
    )
    got = amounts(r.consolidated)
    assert got["2600"] == Decimal("-7099.20")  # BRL 39,440.00 at 0.18
    assert got["8050"] == Decimal("-258.40")  # BRL 1,360.00 of tax income at 0.19
    assert got["6550"] == Decimal("760.00")  # BRL 4,000.00 of amortization at 0.19
    goodwill = r.goodwill.set_index("entity").loc["S"]
    # USD 100,000 − (380,000 + 120,000 − 40,800) × 0.20 = 100,000 − 91,840 = 8,160.
    assert int(goodwill["at_acquisition"]) == 816000
    assert int(r.consolidated["amount"].sum()) == 0
    assert (r.cta["difference"].abs() <= r.cta["tolerance"]).all()
