"""Issue 16: a foreign subsidiary's dividend at the declaration-date rate, and the exchange
difference on the open receivable in profit (IAS 21.21-22, 21.28, 21.45).

Published example: ACCA Paper 3.6 (INT) Advanced Corporate Reporting, December 2002, question
"Dietronic" (reproduced at https://transtutors.com/questions/dietronic-had-a-100-owned-german-
subsidiary-which-was-set-up-in-2000-by-dietronic-th-9266473.htm). Its figures:

* Dietronic ($) owns 100 % of a German subsidiary (€), carried at a cost of $300,000;
* the subsidiary declared a dividend of €48,000, approved on 1 October 2002, "included in the
  holding company's financial statements at the exchange rate ruling when the dividend was
  declared ($1 = €1.60)": €48,000 / 1.60 = $30,000;
* the dividend was still receivable at the year end and was received when $1 = €1.50:
  €48,000 / 1.50 = $32,000, so the receivable's exchange difference is a $2,000 gain in profit.

Modelled as the month of the declaration (October 2002) closing at the rate the receivable is
measured at, $1 = €1.50 (0.6666666667 USD per EUR), with the dividend still open. The average
rate (0.64) and the other balances are constructed; the quoted figures do not depend on them.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from close.engine.consolidation import consolidate
from close.engine.dividends import DeclaredDividend

from .helpers import amounts, entity, inputs, opening, rates, tb

DECLARATION = Decimal("0.625")  # $1 = €1.60
CLOSING = "0.6666666667"  # $1 = €1.50
GROUP = (entity("P", "USD"), entity("S", "EUR", "P"))
BALANCES = tb("""
P | 1000 |   | 700000 | 700000
P | 1800 | S | 300000 | 300000
P | 1160 | S | 0      | 30000
P | 3000 |   | -1000000 | -1000000
P | 4950 | S | 0      | -30000
S | 1000 |   | 480000 | 540000
S | 2400 | P | 0      | -48000
S | 3000 |   | -480000 | -480000
S | 3150 | P | 0      | 48000
S | 4000 |   | 0      | -60000
""")
DIVIDEND = DeclaredDividend("S", "P", 4_800_000, date(2002, 10, 1), None, DECLARATION, Decimal(1))


def _consolidate(dividends: tuple[DeclaredDividend, ...]):
    base = inputs(
        "2002-10",
        GROUP,
        BALANCES,
        rates({"EUR": CLOSING}, {"EUR": "0.64"}, {"EUR": "0.625"}),
        opening_balances=opening("S | 3000 | | -300000\nS | 3300 | | 0", {("S", "3000"): "0.625"}),
    )
    return consolidate(replace(base, dividends=dividends))


def test_dividend_at_the_declaration_rate_and_the_open_receivables_difference_in_profit() -> None:
    r = _consolidate((DIVIDEND,))
    t = r.translated
    line = t[(t["entity"] == "S") & (t["std_account"] == "3150")]
    assert int(line["translated"].sum()) == 3_000_000  # €48,000 / 1.60 = $30,000 (not × 0.64 = $30,720)
    payable = t[(t["entity"] == "S") & (t["std_account"] == "2400")]
    assert int(payable["translated"].sum()) == -3_200_000  # €48,000 / 1.50 = $32,000

    pairs = {(p.kind): p for p in r.ic_pairs.itertuples(index=False)}
    assert (pairs["dividend"].difference, pairs["dividend"].status) == (0, "eliminated")
    assert (pairs["receivable_payable"].fx_part, pairs["receivable_payable"].mismatch) == (-200_000, 0)
    got = amounts(r.consolidated)
    assert got["7250"] == Decimal("-2000.00")  # the $2,000 exchange gain, in profit (IAS 21.45)
    assert "4950" not in got and "3150" not in got and "1160" not in got and "2400" not in got
    assert int(r.consolidated["amount"].sum()) == 0

    # CTA from its parts holds €48,000 × (closing − declaration rate) and agrees with the plug.
    (cta,) = r.cta[r.cta["entity"] == "S"].itertuples(index=False)
    assert abs(cta.difference) <= cta.tolerance
    without = _consolidate(())
    (cta_avg,) = without.cta[without.cta["entity"] == "S"].itertuples(index=False)
    # At the average the dividend took 48,000 × (closing − 0.64); at its date 48,000 × (closing − 0.625).
    assert cta.from_parts - cta_avg.from_parts == 72_000  # 48,000 × (0.64 − 0.625) = 720.00 more debit
    assert int(without.translated.query("entity == 'S' and std_account == '3150'")["translated"].sum()) == (
        3_072_000
    )


def test_a_foreign_payee_takes_its_income_at_its_own_declaration_date_rate() -> None:
    """Constructed: S (EUR) declares €100.00 to I (BRL) when 1 EUR = USD 1.10 and 1 BRL = USD 0.20,
    so I books BRL 550.00 (100 × 1.10 / 0.20). Both sides translate to USD 110.00 at their own
    declaration-date rates (not at the averages 1.05 and 0.21), and the dividend pair eliminates
    with no difference."""
    group = (entity("P", "USD"), entity("I", "BRL", "P"), entity("S", "EUR", "I"))
    bal = tb("""
    P | 1000 |   | 0 | 98000
    P | 1800 | I | 0 | 2000
    P | 3000 |   | 0 | -100000
    I | 1000 |   | 0 | 4500
    I | 1800 | S | 0 | 5500
    I | 1160 | S | 0 | 550
    I | 3000 |   | 0 | -10000
    I | 4950 | S | 0 | -550
    S | 1000 |   | 0 | 1000
    S | 2400 | I | 0 | -100
    S | 3000 |   | 0 | -1000
    S | 3150 | I | 0 | 100
    """)
    period_rates = rates({"EUR": "1.12", "BRL": "0.19"}, {"EUR": "1.05", "BRL": "0.21"})
    base = inputs("2026-03", group, bal, period_rates,
                  opening_balances=opening("", {("I", "3000"): "0.2", ("S", "3000"): "1.1"}))
    dividend = DeclaredDividend("S", "I", 10_000, date(2026, 3, 10), None, Decimal("1.10"), Decimal("0.20"))
    r = consolidate(replace(base, dividends=(dividend,)))
    t = r.translated
    assert int(t[(t["entity"] == "S") & (t["std_account"] == "3150")]["translated"].sum()) == 11_000
    assert int(t[(t["entity"] == "I") & (t["std_account"] == "4950")]["translated"].sum()) == -11_000
    (pair,) = r.ic_pairs[r.ic_pairs["kind"] == "dividend"].itertuples(index=False)
    assert (pair.difference, pair.status) == (0, "eliminated")
    assert (r.cta["difference"].abs() <= r.cta["tolerance"]).all(), r.cta
    assert int(r.consolidated["amount"].sum()) == 0
