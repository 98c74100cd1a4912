"""Published worked examples, reproduced through ``consolidate``.

Each test cites its source, quotes the published figures next to the inputs, and states the
precision the source publishes (whole units where it rounds to whole units; the engine works in
cents and the assertions round the engine's cents to the published precision).
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

from close.config import Acquisition, PpaIntangible
from close.engine.consolidation import consolidate
from close.engine.ppa import push_down

from .helpers import CHART, acquisition, amounts, entity, inputs, opening, rates, tb


def units(value: Decimal) -> Decimal:
    return value.quantize(Decimal(1), rounding=ROUND_HALF_EVEN)


def test_ias21_translation_of_a_subsidiary_with_its_cta_ifrscommunity():
    """IFRScommunity.com, "IAS 21 example: basic translation of a foreign operation" (knowledge base,
    IAS 21 Effects of Changes in Foreign Exchange Rates; calculation sheet last updated 11/8/2018,
    https://ifrscommunity.com/knowledge-base/ias-21-effects-of-changes-in-foreign-exchange-rates/).

    Group A presents in EUR; its subsidiary X keeps USD. Published rates (USD per EUR): 1.1 at
    1 Jan 20X1, 1.2 average, 1.3 at 31 Dec 20X1 — as EUR per USD: 1/1.1, 1/1.2, 1/1.3 (10 d.p.).
    X (USD): assets 5,000 → 5,300; share capital 2,000; liabilities 3,000; revenue 1,000,
    expenses (700). A (EUR): investment in X 1,818; other assets 7,000 → 8,000; share capital
    3,000; liabilities 5,818; revenue 2,500; expenses (1,500).
    Published consolidated figures at 31 Dec 20X1 (whole EUR): other assets 12,077, share capital
    3,000, retained earnings 1,250 (= net income), CTA (299), liabilities 8,126, revenue 3,333,
    expenses (2,083); CTA split (280) on opening net assets and (19) on the year's result.
    The parent's investment is carried at 1,818.18 (2,000 / 1.1, published rounded as 1,818) and
    its liabilities at 5,818.18 so its own TB balances to the cent.
    """
    group = (entity("A", "EUR"), entity("X", "USD", "A"))
    bal = tb("""
    A | 1800 | X |  1818.18 |  1818.18
    A | 1000 |   |  7000    |  8000
    A | 3000 |   | -3000    | -3000
    A | 2500 |   | -5818.18 | -5818.18
    A | 4000 |   |  0       | -2500
    A | 6400 |   |  0       |  1500
    X | 1000 |   |  5000    |  5300
    X | 3000 |   | -2000    | -2000
    X | 2500 |   | -3000    | -3000
    X | 4000 |   |  0       | -1000
    X | 6400 |   |  0       |  700
    """)
    r_open, r_avg, r_close = Decimal("0.9090909091"), Decimal("0.8333333333"), Decimal("0.7692307692")
    period_rates = rates({"USD": str(r_close)}, {"USD": str(r_avg)}, {"USD": str(r_open)})
    ob = opening("X | 3000 | | -1818.18", {("X", "3000"): str(r_open)})
    r = consolidate(inputs("2001-01", group, bal, period_rates, opening_balances=ob, presentation="EUR"))
    got = amounts(r.consolidated)
    assert units(got["1000"]) == 12077  # other assets (8,000 + 5,300 × 1/1.3 = 12,076.92)
    assert units(got["3000"]) == -3000
    assert units(got["2500"]) == -8126  # liabilities (5,818.18 + 2,307.69)
    assert units(got["4000"]) == -3333  # revenue (2,500 + 1,000 / 1.2 = 833.33)
    assert units(got["6400"]) == 2083  # expenses (1,500 + 700 / 1.2 = 583.33)
    assert units(-(got["4000"] + got["6400"])) == 1250  # net income = retained earnings
    assert got["3300"] == Decimal("298.95")  # CTA, published (299) as a reduction of equity
    assert units(got["3300"]) == 299
    # From its parts, as published: opening net assets 2,000 × (1/1.3 − 1/1.1) and the result.
    opening_part = Decimal(2000) * (r_close - r_open)
    result_part = Decimal(300) * (r_close - r_avg)
    assert units(opening_part) == -280 and units(result_part) == -19
    cta = r.cta.set_index("entity").loc["X"]
    assert int(cta["plug"]) == 29895 and int(cta["from_parts"]) == 29895
    assert "1800" not in got  # investment eliminated against X's share capital at 1/1.1
    assert int(r.consolidated["amount"].sum()) == 0


def test_all_current_translation_trial_balance_portable_mba_exhibit_12_15():
    """The Portable MBA in Finance and Accounting, 3rd ed. (Livingstone & Grossman, Wiley, 2002),
    "Planning and Forecasting", p. 378, "The All-Current Translation Method Illustrated",
    Exhibit 12.15 (https://issuhub.com/view/index?id=4431&pageIndex=391).

    Foreign Sub is formed on 1 Jan 2002 with a stock issue of FC1,000. Rates (US$ per FC): 0.58
    at 1 Jan 2002, 0.62 average for 2002, 0.66 at 31 Dec 2002. Its trial balance at 31 Dec 2002
    (FC → US$ as published): cash 200 → 132, receivables 100 → 66, inventory 300 → 198,
    property and equipment 2,000 → 1,320, cost of sales 600 → 372, SG&A 100 → 62, tax 120 → 74;
    payables 400 → 264, notes payable 1,020 → 673, common stock 1,000 → 580 (at 0.58), retained
    earnings 0, translation adjustment 87, sales 1,000 → 620; totals 3,420 → 2,224.

    The exhibit prints whole dollars: every line that translates to whole dollars is matched to
    the cent; tax (120 × 0.62 = 74.40), notes payable (1,020 × 0.66 = 673.20) and so the CTA
    (87.20) and the totals (2,224.40) carry cents the exhibit rounds away, and are asserted to
    the cent with the arithmetic beside them. The year is one period here (a fiscal year starting
    in the period, openings zero), and FC is played by CHF.
    """
    group = (entity("P", "USD"), entity("FS", "CHF", "P"))
    bal = tb("""
    P  | 1800 | FS |  0 |   580
    P  | 1000 |    |  0 |   420
    P  | 3000 |    |  0 | -1000
    FS | 1000 |    |  0 |   200
    FS | 1100 |    |  0 |   100
    FS | 1200 |    |  0 |   300
    FS | 1500 |    |  0 |  2000
    FS | 5000 |    |  0 |   600
    FS | 6400 |    |  0 |   100
    FS | 8000 |    |  0 |   120
    FS | 2000 |    |  0 |  -400
    FS | 2500 |    |  0 | -1020
    FS | 3000 |    |  0 | -1000
    FS | 4000 |    |  0 | -1000
    """)
    period_rates = rates({"CHF": "0.66"}, {"CHF": "0.62"}, {"CHF": "0.58"})
    ob = opening("", {("FS", "3000"): "0.58"})  # common stock at the issue-date rate
    r = consolidate(inputs("2002-01", group, bal, period_rates, opening_balances=ob))
    fs = r.translated[r.translated["entity"] == "FS"]
    got = amounts(fs.rename(columns={"translated": "amount"}))
    assert got["1000"] == Decimal("132.00")
    assert got["1100"] == Decimal("66.00")
    assert got["1200"] == Decimal("198.00")
    assert got["1500"] == Decimal("1320.00")
    assert got["5000"] == Decimal("372.00")
    assert got["6400"] == Decimal("62.00")
    assert got["8000"] == Decimal("74.40") and units(got["8000"]) == 74
    assert got["2000"] == Decimal("-264.00")
    assert got["2500"] == Decimal("-673.20") and units(got["2500"]) == -673
    assert got["3000"] == Decimal("-580.00")
    assert got["4000"] == Decimal("-620.00")
    debits = sum(v for v in got.values() if v > 0)
    assert debits == Decimal("2224.40") and units(debits) == 2224
    # The translation adjustment, a credit: 2,224.40 − (264 + 673.20 + 580 + 620). From its parts:
    # common stock 1,000 × (0.66 − 0.58) = 80.00 plus the year's income 180 × (0.66 − 0.62) = 7.20.
    assert got["3300"] == Decimal("-87.20") and units(got["3300"]) == -87
    cta = r.cta.set_index("entity").loc["FS"]
    assert int(cta["plug"]) == int(cta["from_parts"]) == -8720  # TB sign: a credit
    consolidated = amounts(r.consolidated)
    assert consolidated["1000"] == Decimal("552.00")  # 420 + 132
    assert consolidated["3000"] == Decimal("-1000.00")  # FS's stock eliminated against P's 580
    assert "1800" not in consolidated
    assert int(r.consolidated["amount"].sum()) == 0


def test_closing_rate_translation_hmrc_cfm26250():
    """HMRC Corporate Finance Manual CFM26250, "Accounting for corporate finance: foreign exchange:
    foreign operations: closing rate/net investment method: example"
    (https://www.gov.uk/hmrc-internal-manuals/corporate-finance-manual/cfm26250).

    A UK company's US branch, profit and loss translated at the closing rate (so here average =
    closing), £1 = $1.60 at 31/12/X3 and $1.20 at 31/12/X4; branch capital $1,000 at the historical
    $2.00 = £500. Published: fixed assets $90,000 → £75,000; current assets $95,000 → £79,167;
    current liabilities $(30,000) → £(25,000); loan $(15,000) → £(12,500); net assets £116,667;
    profit before tax $130,000 → £108,333, tax $(40,000) → £(33,333), profit £75,000;
    retained profits b/f £30,750; exchange gain £10,417 (= $50,000 at 1.2 − at 1.6); retained
    profits c/f £116,167.
    """
    group = (entity("UK", "GBP"), entity("US", "USD", "UK"))
    bal = tb("""
    UK | 1800 | US |  500 |  500
    UK | 3000 |    | -500 | -500
    US | 1500 |    |  80000 |  90000
    US | 1000 |    |  30000 |  95000
    US | 2000 |    | -45000 | -30000
    US | 2500 |    | -15000 | -15000
    US | 3000 |    |  -1000 |  -1000
    US | 3100 |    | -49000 | -49000
    US | 4900 |    |      0 | -130000
    US | 8000 |    |      0 |  40000
    """)
    close_ = Decimal("0.8333333333")  # £ per $ at 1.20
    ob = opening("US | 3000 | | -500\nUS | 3100 | | -30750", {("US", "3000"): "0.5"})
    r = consolidate(
        inputs(
            "2004-01",
            group,
            bal,
            rates({"USD": str(close_)}, {"USD": str(close_)}, {"USD": "0.625"}),
            opening_balances=ob,
            presentation="GBP",
        )
    )
    us = r.translated[r.translated["entity"] == "US"].set_index("std_account")["translated"]
    pounds = {k: Decimal(int(v)).scaleb(-2) for k, v in us.items()}
    assert units(pounds["1500"]) == 75000
    assert units(pounds["1000"]) == 79167
    assert units(pounds["2000"]) == -25000
    assert units(pounds["2500"]) == -12500
    assert units(pounds["1500"] + pounds["1000"] + pounds["2000"] + pounds["2500"]) == 116667
    assert units(pounds["4900"]) == -108333
    assert units(pounds["8000"]) == 33333
    assert units(-(pounds["4900"] + pounds["8000"])) == 75000
    assert units(-pounds["3300"]) == 10417  # exchange gain: the CTA plug is a credit
    assert units(-(pounds["3100"] + pounds["4900"] + pounds["8000"] + pounds["3300"])) == 116167


def test_consolidation_with_nci_and_goodwill_at_acquisition_abc_xyz():
    """ "Consolidated Statement of Financial Position" study notes (Sri Lanka Accounting Standards
    SLFRS 3 / SLFRS 10), Example 1 and Example 2, ABC PLC acquires 75% of XYZ PLC on 1 January 2017
    (http://azkurs.org/microsoft-word-consolidate-statement-of-financial-position-e.html, pages 4-6).

    Rs.'000 — ABC: PPE 30,000, investment 50,000, current assets 45,000, share capital 80,000,
    retained earnings 25,000, current liabilities 20,000. XYZ: PPE 35,000, current assets 35,000,
    share capital 40,000, retained earnings 10,000, current liabilities 20,000; land fair value
    5,000 above carrying amount. Published (Example 1, proportionate NCI): NCI 13,750 (25% ×
    55,000; the solution's table prints 13,250 but totals 158,750, which needs 13,750), goodwill
    8,750, PPE 70,000, current assets 80,000, total assets 158,750, share capital 80,000, retained
    earnings 25,000, current liabilities 40,000. Example 2 (NCI at fair value Rs.1.50 × 10,000
    shares = 15,000): goodwill 10,000, NCI 15,000, total 160,000.
    The land uplift is carried as a non-amortized fair-value adjustment (account 1650), so
    PPE 70,000 = 65,000 (1500) + 5,000 (1650).
    """
    bal = tb("""
    ABC | 1500 |     | 30000 | 30000
    ABC | 1800 | XYZ | 50000 | 50000
    ABC | 1000 |     | 45000 | 45000
    ABC | 3000 |     | -80000 | -80000
    ABC | 3100 |     | -25000 | -25000
    ABC | 2000 |     | -20000 | -20000
    XYZ | 1500 |     | 35000 | 35000
    XYZ | 1000 |     | 35000 | 35000
    XYZ | 3000 |     | -40000 | -40000
    XYZ | 3100 |     | -10000 | -10000
    XYZ | 2000 |     | -20000 | -20000
    """)
    for method, nci_fv, goodwill, nci, total_assets in (
        ("proportionate", None, 8750, 13750, 158750),
        ("full", "15000", 10000, 15000, 160000),
    ):
        acq = acquisition(
            "2017-01-01", "50000", "50000", "1", fair_value="55000", nci_method=method, nci_fair_value=nci_fv
        )
        group = (entity("ABC", "LKR"), entity("XYZ", "LKR", "ABC", "0.75", acquisition=acq))
        r = consolidate(inputs("2017-01", group, bal, rates({}, {}), presentation="LKR"))
        got = amounts(r.consolidated)
        assert got["1700"] == goodwill
        assert got["3400"] == -nci
        assert got["1500"] + got["1650"] == 70000
        assert got["1000"] == 80000
        assert got["1500"] + got["1650"] + got["1700"] + got["1000"] == total_assets
        assert got["3000"] == -80000 and got["3100"] == -25000 and got["2000"] == -40000
        assert int(r.goodwill.set_index("entity").loc["XYZ", "translated"]) == goodwill * 100
        assert int(r.consolidated["amount"].sum()) == 0


def test_intercompany_loan_elimination_with_fx_difference_ey_international_gaap():
    """EY, International GAAP 2019, chapter 15 (Foreign exchange), Example 15.14 "Monetary item
    becoming part of the net investment in a foreign operation" (text seen at
    https://whosread.com/26922/710238), case where the amount due is NOT part of the net investment.

    A UK parent's wholly owned Canadian subsidiary owes it £250,000: C$587,500 at £1 = C$2.35
    (31 Dec 2018), C$640,000 at C$2.56 (31 Dec 2019); average 2019 C$2.50. Published: assets
    C$2,587,500 = £1,010,742 (2019) and £1,101,064 (2018); amount due to parent £250,000 both
    years; net assets £760,742 (2019) and £851,064 (2018, C$2,000,000); exchange difference
    C$(52,500) in the subsidiary's income statement, "translated at the average rate and included
    in the consolidated profit and loss account as £21,000" (IAS 21.45).
    Only the subsidiary is published: the parent here holds the £250,000 receivable and an
    investment equal to the subsidiary's C$2,000,000 equity at 2.35 (£851,063.83), so that the
    investment elimination leaves the published figures untouched. The CTA is written out:
    C$2,000,000 × (1/2.56 − 1/2.35) = −£69,813.83 on opening net assets, and the loss C$52,500 ×
    (1/2.56 − 1/2.50) = +£492.19 — a CTA debit of £69,321.64 (exactly £851,063.83 − £760,742.19 −
    £21,000).
    """
    group = (entity("UK", "GBP"), entity("CA", "CAD", "UK"))
    bal = tb("""
    UK | 1800 | CA |  851063.83 |  851063.83
    UK | 1850 | CA |  250000    |  250000
    UK | 3000 |    | -1101063.83 | -1101063.83
    CA | 1000 |    |  2587500 |  2587500
    CA | 2550 | UK | -587500  | -640000
    CA | 3000 |    | -2000000 | -2000000
    CA | 7200 |    |  0       |  52500
    """)
    hist = "0.4255319149"  # £ per C$ at 2.35
    ob = opening("CA | 3000 | | -851063.83", {("CA", "3000"): hist})
    r = consolidate(
        inputs(
            "2019-01",
            group,
            bal,
            rates({"CAD": "0.390625"}, {"CAD": "0.4"}, {"CAD": hist}),
            opening_balances=ob,
            presentation="GBP",
        )
    )
    ca = r.translated[r.translated["entity"] == "CA"].set_index("std_account")["translated"]
    assert units(Decimal(int(ca["1000"])).scaleb(-2)) == 1010742
    assert int(ca["2550"]) == -25000000
    assert units(Decimal(int(ca["1000"] + ca["2550"])).scaleb(-2)) == 760742
    assert units(Decimal(2587500) * Decimal(hist)) == 1101064  # the 2018 column
    assert int(ca["7200"]) == 2100000  # £21,000 exchange loss at the average rate
    pair = r.ic_pairs.iloc[0]
    assert (pair["kind"], pair["status"], int(pair["difference"])) == ("loan", "eliminated", 0)
    got = amounts(r.consolidated)
    assert "1850" not in got and "2550" not in got
    assert got["7200"] == Decimal("21000.00")  # stays in consolidated profit (IAS 21.45)
    assert got["3300"] == Decimal("69321.64")
    cta = r.cta.set_index("entity").loc["CA"]
    assert int(cta["from_parts"]) == int(cta["plug"]) == 6932164


def test_ppa_amortization_straight_line_by_month_opentuition_acca_fr():
    """OpenTuition, ACCA FR chapter 23 "Consolidated statement of financial position" questions,
    tutor's answer (https://opentuition.com/acca/fr/acca-fr-chapter-23-consolidated-statement-of-
    financial-position-questions/): "The fair value at acquisition is the uplift of $2.4 million on
    the PPE (building) ... depreciated over 8 years, so $2.4m/8 years = $0.3m per annum. The
    acquisition date is 31 August 2014 and the reporting date 31 December 2014, so we need 4 months
    of depreciation as $0.1m".
    Second, datastudios.org "Consolidation Post-Acquisition — Amortizing and Testing Identifiable
    Net Assets": machinery step-up ($900,000 − $600,000) over 5 years = $60,000 a year.
    """
    acq = Acquisition(
        date=date(2014, 8, 31),
        consideration=Decimal("5000000"),
        net_assets_fair_value=None,
        equity_at_acquisition=Decimal("1000000"),
        rate=Decimal(1),
        ppa=(
            PpaIntangible("building uplift", Decimal("2400000"), 96, "2014-09"),
            PpaIntangible("machinery step-up", Decimal("300000"), 60, "2014-09"),
        ),
    )
    group = (entity("P", "USD"), entity("S", "USD", "P", acquisition=acq))
    push = push_down(
        group, consolidated=frozenset({"P", "S"}), chart=CHART, period="2014-12", fiscal_year_start=1
    )
    sched = push.carrying.set_index("intangible")
    assert int(sched.loc["building uplift", "accumulated"]) == 10000000  # $0.1m for 4 months
    assert int(sched.loc["building uplift", "ytd_amortization"]) == 10000000
    assert int(sched.loc["building uplift", "carrying"]) == 230000000
    assert int(sched.loc["building uplift", "monthly"]) == 2500000  # $0.3m / 12
    year = push_down(
        group, consolidated=frozenset({"P", "S"}), chart=CHART, period="2015-08", fiscal_year_start=9
    ).carrying.set_index("intangible")
    assert int(year.loc["machinery step-up", "ytd_amortization"]) == 6000000  # $60,000 a year
    assert int(year.loc["building uplift", "ytd_amortization"]) == 30000000  # $0.3m a year
    # Through the consolidation: the amortization and the accumulated amortization.
    bal = tb("""
    P | 1800 | S | 5000000 | 5000000
    P | 3000 |   | -5000000 | -5000000
    S | 1000 |   | 1000000 | 1000000
    S | 3000 |   | -1000000 | -1000000
    """)
    ob = opening("S | 6550 | #ppa:building uplift | 75000\nS | 6550 | #ppa:machinery step-up | 15000")
    r = consolidate(inputs("2014-12", group, bal, rates({}, {}), opening_balances=ob))
    got = amounts(r.consolidated)
    assert got["6550"] == Decimal("100000.00") + Decimal("20000.00")
    assert got["1660"] == -(Decimal("100000.00") + Decimal("20000.00"))
    assert int(r.consolidated["amount"].sum()) == 0
