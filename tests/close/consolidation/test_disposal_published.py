"""A published disposal of a foreign subsidiary with its exchange reserve recycled (IAS 21.48).

Source: "Disposal of a foreign operation", reproduced at
https://www.transtutors.com/questions/a-german-entity-has-a-swiss-subsidiary-which-was-set-up-on-1-january-2009-with-a-sha-612351.htm
(the worked example's wording, with its reference to "IAS 27 ... (as amended in 2009)"). Quoted:

    "A German entity has a Swiss subsidiary which was set up on 1 January 2009 with a share capital
    of CHF200,000 when the exchange rate was €1=CHF1.55. The subsidiary is included in the
    parent's separate financial statements at its original cost of €129,032. The profits of the
    subsidiary, all of which have been retained by the subsidiary, for each of the three years
    ended 31 December 2011 were CHF40,000, CHF50,000 and CHF60,000 respectively, so that the net
    assets at 31 December 2011 are CHF350,000. In the consolidated financial statements the
    results of the subsidiary have been translated at the respective average rates of
    €1=CHF1.60, €1=CHF1.68 and €1=CHF1.70 and the net assets at the respective closing rates of
    €1=CHF1.71, €1=CHF1.65 and €1=CHF1.66. All exchange differences have been recognised in other
    comprehensive income and accumulated in a separate exchange reserve. [...] The net assets at
    31 December 2011 of CHF350,000 are included in the consolidated financial statements at
    €210,843. On 1 January 2012 the subsidiary is sold for CHF400,000 (€240,964), thus resulting
    in a gain on disposal in the parent entity's books of €111,932, i.e. €240,964 less €129,032.
    In the consolidated financial statements for 2012, IAS 21 requires the cumulative exchange
    losses of €8,245 to be recognised in profit or loss for that year. [...] this gain would be
    reduced to €21,876, being €30,121 (the difference between the proceeds of €240,964 and net
    asset value of €210,843 at the date of disposal) together with the cumulative exchange
    lo[sses of €8,245]."

How the example goes through the engine. The engine's period is a month, the example's a year, so
each of the three years is one engine period: 2011-10, 2011-11 and 2011-12 of one fiscal year (the
subsidiary's profit accumulates year to date on its revenue line, each period's movement at that
period's average, the net assets at its closing rate — the rule the example applies year by year),
chained prior → next. The subsidiary's TB has no retained-earnings line before 2012: its books close
the three years into one, first listed in January. The disposal is recognised in 2012-01, the month
of its published date and the first of the next fiscal year (the three years' profit is then
retained earnings), every rate CHF 1.66: nothing moves between 31 December 2011 and 1 January 2012.
The exchange reserve is not an input: the engine builds it from the published rates, period by
period.

Rates are EUR per CHF, 1/x to 10 decimals (1/1.55 = 0.6451612903 …). The example publishes
whole euros; the engine works in cents, and each figure is asserted to the cent as the engine
computes it and, rounded half-even to whole euros, equal to the published figure:
proceeds CHF 400,000 × 0.6024096386 = 240,963.86 (published 240,964); cost CHF 200,000 at 1/1.55
= 129,032.26 (129,032); the parent's gain 111,931.60 (111,932); net assets 210,843.37 (210,843);
exchange reserve 129,032.26 + 25,000.00 + 29,761.90 + 35,294.12 − 210,843.37 = 8,244.91 of loss
(8,245); proceeds less net assets 30,120.49 (published 30,121, the difference of its rounded
figures 240,964 − 210,843); the group's gain 21,875.58 (21,876).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

from close.config import Disposal
from close.engine.consolidation import consolidate

from .helpers import amounts, entity, inputs, opening, rates, tb

CHF = {"1.55": "0.6451612903", "1.60": "0.6250000000", "1.71": "0.5847953216", "1.68": "0.5952380952",
       "1.65": "0.6060606061", "1.70": "0.5882352941", "1.66": "0.6024096386"}  # fmt: skip
PROCEEDS = Decimal("240963.86")  # CHF 400,000 at €1 = CHF 1.66
SWISS = replace(entity("CH", "CHF", "DE"), disposal=Disposal(date(2012, 1, 1), PROCEEDS))
GROUP = (entity("DE", "EUR"), SWISS)
# The German parent: the investment at cost; in the disposal period its own sale (cash in, the
# investment out, its gain of 111,931.60 with the subsidiary as counterparty).
PARENT = """
DE | 1800 | CH | 129032.26 | 129032.26
DE | 3000 |    | -129032.26 | -129032.26
"""
PARENT_SELLS = """
DE | 1000 |    | 0 | 240963.86
DE | 1800 | CH | 129032.26 | 0
DE | 3000 |    | -129032.26 | -129032.26
DE | 7400 | CH | 0 | -111931.60
"""
# The Swiss subsidiary, CHF: net assets 200,000 → 240,000 → 290,000 → 350,000; its profit year to date.
YEARS = (("200000", "240000", "0", "-40000"), ("240000", "290000", "-40000", "-90000"),
         ("290000", "350000", "-90000", "-150000"))  # fmt: skip
SWISS_2012 = """
CH | 1000 | | 350000 | 350000
CH | 3000 | | -200000 | -200000
CH | 3100 | | -150000 | -150000
"""  # the three years' profit retained; nothing moves to the disposal on 1 January
YEAR_RATES = (("1.55", "1.60", "1.71"), ("1.71", "1.68", "1.65"), ("1.65", "1.70", "1.66"))


def _swiss(assets_open: str, assets_close: str, profit_open: str, profit_close: str) -> str:
    return (f"CH | 1000 | | {assets_open} | {assets_close}\nCH | 3000 | | -200000 | -200000\n"
            f"CH | 4000 | | {profit_open} | {profit_close}\n")  # fmt: skip


def _period_rates(opening_rate: str, average: str, closing: str):
    return rates({"CHF": CHF[closing]}, {"CHF": CHF[average]}, {"CHF": CHF[opening_rate]})


def _euros(minor: int) -> Decimal:
    return (Decimal(minor) / 100).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)


def test_disposal_of_a_swiss_subsidiary_recycles_its_exchange_reserve_published_example():
    first = opening("CH | 3000 | | -129032.26", {("CH", "3000"): CHF["1.55"]})
    prior = None
    for i, ((a0, a1, p0, p1), (r_open, r_avg, r_close)) in enumerate(zip(YEARS, YEAR_RATES, strict=True)):
        step = inputs(f"2011-{i + 10}", GROUP, tb(PARENT + _swiss(a0, a1, p0, p1)),
                      _period_rates(r_open, r_avg, r_close),
                      opening_balances=first if prior is None else None,
                      prior=None if prior is None else prior.translated,
                      prior_consolidated=None if prior is None else prior.consolidated,
                      presentation="EUR")  # fmt: skip
        prior = consolidate(step)
    assert prior is not None
    before = prior.cta.set_index("entity").loc["CH"]
    # The exchange reserve at 31 December 2011: published "cumulative exchange losses of €8,245".
    assert int(before["plug"]) == 824491  # the balancing figure of the translated TB
    # From its parts (opening net assets × rate change + profit × (closing − average), each period
    # rounded to the cent): 8,244.90, within the check's rounding tolerance.
    assert int(before["from_parts"]) == 824490 and abs(int(before["difference"])) <= int(before["tolerance"])
    assert _euros(824491) == 8245
    got = amounts(prior.consolidated)
    assert got["1000"] == Decimal("210843.37") and _euros(21084337) == 210843  # net assets, published
    assert got["4000"] == Decimal("-90056.02")  # 25,000.00 + 29,761.90 + 35,294.12 of retained profit

    sold = inputs("2012-01", GROUP, tb(PARENT_SELLS + SWISS_2012),
                  _period_rates("1.66", "1.66", "1.66"), prior=prior.translated,
                  prior_consolidated=prior.consolidated, presentation="EUR")  # fmt: skip
    r = consolidate(sold)
    (d,) = r.disposals.to_dict("records")
    assert d["proceeds"] == 24096386 and _euros(d["proceeds"]) == 240964
    assert d["cost"] == 12903226 and _euros(d["cost"]) == 129032
    assert d["parent_gain"] == 11193160 and _euros(d["parent_gain"]) == 111932  # the parent's own books
    assert d["net_assets"] == 21084337 and _euros(d["net_assets"]) == 210843
    assert (d["goodwill"], d["nci"]) == (0, 0)  # set up, wholly owned
    assert d["cta_recycled"] == 824491 and _euros(d["cta_recycled"]) == 8245  # a loss, to profit
    # Published "€30,121": the difference of its rounded figures (240,964 − 210,843); in cents 30,120.49.
    assert d["proceeds"] - d["net_assets"] == 3012049
    assert _euros(d["proceeds"]) - _euros(d["net_assets"]) == 30121
    assert d["gain"] == 2187558 and _euros(d["gain"]) == 21876  # the published group gain
    got = amounts(r.consolidated)
    assert got["7400"] == Decimal("-21875.58")  # the group's gain replaces the parent's 111,931.60
    assert "3300" not in got  # nothing left in the exchange reserve
    assert got["1000"] == Decimal("240963.86")  # the parent's cash only: the subsidiary is gone
    assert int(r.consolidated["amount"].sum()) == 0
