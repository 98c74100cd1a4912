"""The IAS 7 cash flow of a group with a foreign subsidiary, against the standard's method.

Sources: IAS 7.25-28 (IFRS Foundation, "IAS 7 Statement of Cash Flows", docslib.org/doc/11340881):
the cash flows of a foreign subsidiary are translated at the rates of the dates of the cash
flows (a weighted average for the period may be used, never the closing rate), and the effect
of exchange-rate changes on cash is a separate reconciling line. The method — translate the
subsidiary's own cash flow statement at the average rate, opening cash at the opening rate,
closing cash at the closing rate, the exchange effect is what reconciles them — is the one
described by OpenTuition's ACCA SBR tutor ("Consolidated cashflow statement with foreign
subsidiaries", opentuition.com, April 2025) and Proformative ("Deriving foreign currency impact
on cash flow statement (indirect)"). No published worked example with figures was found in the
corpora; the figures below are computed by hand with that method, each quoted beside its input.

Subsidiary S (functional currency FC; USD per FC: opening 2.0, average 2.1, closing 2.2; share
capital at its historical rate 1.5), first month of the fiscal year:

====================  ===========  ===========  ============  =============
FC                    opening      closing      opening USD   closing USD
====================  ===========  ===========  ============  =============
cash                  100          110          200           242
trade receivables     50           70           100           154
PPE at cost           200          230          400           506
accumulated depr.     0            (10)         0             (22)
loans                 (150)        (130)        (300)         (286)
share capital         (200)        (200)        (300)         (300)
revenue               —            (80)         —             (168)
depreciation          —            10           —             21
CTA (balancing)       —            —            (100)         (147)
====================  ===========  ===========  ============  =============

S's own cash flow in FC: profit 70 + depreciation 10 − increase in receivables 20 = operating
60; capex (30); loan repaid (20); net 10. At the average rate 2.1: operating 126, investing
(63), financing (42), net 21. Effect of exchange rates on cash: 100 × (2.2 − 2.0) + 10 × (2.2 −
2.1) = 21. Change in cash 242 − 200 = 42 = 21 + 21.
"""

from __future__ import annotations

from decimal import Decimal as D

from close.engine.chart import load_chart
from close.run.stages.board_pack import chart_accounts
from reports.cash_flow import cash_fx_effect, month_flows, month_rates
from reports.model import MonthPosition

CHART = chart_accounts(load_chart())
RATES = {"closing": (("FC", D("2.2")),), "opening": (("FC", D("2.0")),),
         "average": (("FC", D("2.1")),)}
OPENING = MonthPosition("2025-12", (
    ("P", "1000", D("1000")), ("P", "3000", D("-1000")),
    ("S", "1000", D("200")), ("S", "1100", D("100")), ("S", "1500", D("400")),
    ("S", "2500", D("-300")), ("S", "3000", D("-300")), ("S", "3300", D("-100"))),
    closing_rates=RATES["opening"], average_rates=(("FC", D("1.9")),),
    # S's own books in FC (the table above): cash 100, receivables 50, PPE 200, loans (150).
    local_rows=(("S", "1000", D("100")), ("S", "1100", D("50")), ("S", "1500", D("200")),
                ("S", "2500", D("-150"))))
CLOSING = MonthPosition("2026-01", (
    ("P", "1000", D("1000")), ("P", "3000", D("-1000")),
    ("S", "1000", D("242")), ("S", "1100", D("154")), ("S", "1500", D("506")),
    ("S", "1550", D("-22")), ("S", "2500", D("-286")), ("S", "3000", D("-300")),
    ("S", "4000", D("-168")), ("S", "6500", D("21")), ("S", "3300", D("-147"))),
    closing_rates=RATES["closing"], average_rates=RATES["average"],
    # cash 110, receivables 70, PPE 230, accumulated depreciation (10), loans (130).
    local_rows=(("S", "1000", D("110")), ("S", "1100", D("70")), ("S", "1500", D("230")),
                ("S", "1550", D("-10")), ("S", "2500", D("-130"))))
CURRENCIES = {"P": "USD", "S": "FC"}


def _flows() -> dict[str, D]:
    flows = month_flows(OPENING, CLOSING, CHART, CURRENCIES, "USD", first_fiscal_month=True)
    lines = {k: round(v, 2) for k, v in flows.lines.items()}
    lines.update({f"acct:{c}": round(v, 2) for c, (_, v) in flows.accounts.items()})
    return lines


def test_both_positions_balance() -> None:
    for position in (OPENING, CLOSING):
        assert sum(v for _, _, v in position.rows) == 0


def test_subsidiary_cash_flows_at_the_average_rate() -> None:
    f = _flows()
    assert f["profit"] == D("147.00")  # revenue 80 − depreciation 10 = 70 FC × 2.1
    assert f["add_d_and_a"] == D("21.00")  # 10 FC × 2.1
    assert f["acct:1100"] == D("-42.00")  # receivables up 20 FC × 2.1, not 154 − 100 = 54
    assert f["net_cash_operating"] == D("126.00")  # 60 FC × 2.1
    assert f["acct:1500"] == D("-63.00")  # capex 30 FC × 2.1, not 506 − 400 = 106
    assert f["disposals"] == D("0.00")  # accumulated depreciation moved by the charge only
    assert f["net_cash_investing"] == D("-63.00")
    assert f["acct:2500"] == D("-42.00")  # loan repaid 20 FC × 2.1, not 300 − 286 = 14
    assert f["net_cash_financing"] == D("-42.00")


def test_fx_effect_is_the_ias_7_28_formula_and_the_statement_reconciles() -> None:
    f = _flows()
    rates = month_rates(OPENING, CLOSING)["FC"]
    assert cash_fx_effect(D(100), D(10), rates) == D("21.00")  # 100 × 0.2 + 10 × 0.1
    assert f["fx_effect"] == D("21.00")
    assert f["cash_end"] - f["cash_beginning"] == D("42.00")  # 1,242 − 1,200
    assert f["net_change"] == D("42.00")  # 126 − 63 − 42 + 21
    assert f["reconciliation"] == D("0.00")


def test_presentation_currency_rows_have_no_translation_difference() -> None:
    # The parent's cash did not move: no flow and no exchange effect from it.
    opening = MonthPosition("2025-12", (("P", "1000", D("1000")), ("P", "3000", D("-1000"))))
    flows = month_flows(opening, opening, CHART, CURRENCIES, "USD", first_fiscal_month=False)
    assert flows.get("net_change") == 0 and flows.get("fx_effect") == 0


# PwC, "Financial statement presentation guide", 6.11 Foreign currency cash flows (viewpoint.pwc.com,
# us/en/pwc/accounting_guides/financial_statement_/…/611foreigncurrency.html): a GBP subsidiary
# of a USD reporter, rates "B Current rate, beginning of year GBP 1 = USD 1.45", "E … end of year
# GBP 1 = USD 1.55", "A Average rate for the year GBP 1 = USD 1.50", and its GBP balance sheets
# at 12/31/20X1 and 12/31/20X2. The guide states the effect of exchange rates on cash is "not a
# plug" and proves it as "the net cash flow activity for the period measured in the functional
# currency multiplied by the difference between the exchange rates used in translating
# functional currency cash flows and the exchange rate at year end + the fluctuation in the
# exchange rates from the beginning of the year to the end of the year multiplied by the
# beginning cash balance". The stored excerpt of the page ends at the income statement's cost of
# sales, so the expected figures below are that formula and the average rate applied to the
# quoted balances, not figures read from the guide's own statement. Simplifications, none of
# which touches cash: the three debts (USD-denominated, GBP, intercompany) are one borrowings
# line; costs other than cost of sales are one line (net income 243,000 = the change in
# retained earnings); the historical rates of equity (not in the excerpt) are assumed — they
# only move the CTA.
B, E, A = D("1.45"), D("1.55"), D("1.50")
PWC_GBP_OPENING = {  # 12/31/20X1, TB sign
    # cash, receivables, inventory, PP&E net
    "1000": D(256000), "1100": D(225000), "1200": D(478000), "1500": D(1000000),
    "2000": D(-300000), "2100": D(-120000),  # accounts payable, accrued expenses
    "2500": D(-(413000 + 50000 + 138000)),  # debt in USD, in GBP, intercompany
    "2600": D(-100000), "3000": D(-500000), "3100": D(-338000)}  # deferred taxes, common stock, RE
PWC_GBP_CLOSING = {  # 12/31/20X2
    "1000": D(457000), "1100": D(250000), "1200": D(500000), "1500": D(1050000),
    "2000": D(-340000), "2100": D(-190000), "2500": D(-(387000 + 50000 + 129000)),
    "2600": D(-80000), "3000": D(-500000), "3100": D(-338000),
    "4000": D(-2000000), "5000": D(1000000), "6400": D(757000)}  # revenue, cost of sales, other
HISTORICAL = {"3000": D("1.40"), "3100": D("1.42")}  # assumed


def _pwc_position(period: str, gbp: dict[str, D], closing: D, average: D) -> MonthPosition:
    usd = {code: v * (HISTORICAL.get(code) or (average if code >= "4000" else closing))
           for code, v in gbp.items()}
    rows = [("S", code, v) for code, v in usd.items()] + [("S", "3300", -sum(usd.values()))]
    return MonthPosition(period, (("P", "1000", D(1000)), ("P", "3000", D(-1000)), *rows),
                         closing_rates=(("GBP", closing),), average_rates=(("GBP", average),),
                         local_rows=tuple(("S", code, v) for code, v in gbp.items()
                                          if code not in HISTORICAL))


def test_pwc_foreign_subsidiary_example() -> None:
    opening = _pwc_position("2025-12", PWC_GBP_OPENING, B, B)
    closing = _pwc_position("2026-01", PWC_GBP_CLOSING, E, A)
    f = month_flows(opening, closing, CHART, {"P": "USD", "S": "GBP"}, "USD",
                    first_fiscal_month=True)
    lines = f.lines
    # 256,000 × (1.55 − 1.45) + (457,000 − 256,000) × (1.55 − 1.50) = 25,600 + 10,050
    assert lines["fx_effect"] == D("35650.00")
    assert lines["profit"] == D("364500.00")  # net income 243,000 GBP × 1.50
    assert f.accounts["1100"] == ("operating", D("-37500.00"))  # receivables up 25,000 × 1.50
    assert f.accounts["1200"] == ("operating", D("-33000.00"))  # inventory up 22,000 × 1.50
    assert f.accounts["2000"] == ("operating", D("60000.00"))  # payables up 40,000 × 1.50
    assert f.accounts["2100"] == ("operating", D("105000.00"))  # accrued up 70,000 × 1.50
    assert f.accounts["2600"] == ("operating", D("-30000.00"))  # deferred taxes down 20,000
    assert f.accounts["1500"] == ("capex", D("-75000.00"))  # PP&E net up 50,000 × 1.50
    assert f.accounts["2500"] == ("financing", D("-52500.00"))  # debts down 35,000 × 1.50
    # the GBP net cash flow 201,000 at the average rate
    assert (lines["net_cash_operating"] + lines["net_cash_investing"]
            + lines["net_cash_financing"]) == D("301500.00")
    assert lines["cash_end"] - lines["cash_beginning"] == D("337150.00")  # 708,350 − 371,200
    assert lines["reconciliation"] == 0
