"""The published disposal of a Swiss subsidiary (IAS 21.48) through ``close run`` and ``close show --json``.

The example and its quoted figures: tests/close/consolidation/test_disposal_published.py ("Disposal
of a foreign operation", https://www.transtutors.com/questions/a-german-entity-has-a-swiss-subsidiary-
which-was-set-up-on-1-january-2009-with-a-sha-612351.htm). There the engine builds the exchange
reserve over the three years; here the group folder starts in the month of the disposal, January
2012, so the opening-balances file states the translated closing of 31 December 2011 the way the
engine computed it: share capital CHF 200,000 at €1 = CHF 1.55 (129,032.26), retained profit
25,000.00 + 29,761.90 + 35,294.12 = 90,056.02, and the published "cumulative exchange losses of
€8,245" (8,244.91 to the cent). Published: proceeds €240,964, net assets €210,843, the parent's
gain €111,932, the group's gain €21,876 after the €8,245 recycled (whole euros; cents below).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from tests.close.e2e.group_folder import entity_toml, identity_mapping, tb_file, write_folder
from tests.close.run.cli_helpers import cli_env, close, close_json

PERIOD = "2012-01"
CONFIG = (
    """\
[group]
id = "swiss"
name = "German parent, Swiss subsidiary"
presentation_currency = "EUR"

[files]
mapping = "mapping.csv"
rates = "rates.csv"
opening_balances = "opening.csv"

[rates]
sources = { CHF = "file" }
"""
    + entity_toml("DE", "German parent", "EUR")
    + entity_toml("CH", "Swiss subsidiary", "CHF", "DE")
    + '[entities.disposal]\ndate = 2012-01-01\nproceeds = "240963.86"\n'  # CHF 400,000 at 1.66
)
FILES = {
    "group.toml": CONFIG,
    "mapping.csv": identity_mapping({"1000", "1800", "3000", "3100", "3300", "7400"}),
    "opening.csv": "entity,account,translated_closing,historical_rate\n"
    "CH,3000,-129032.26,0.6451612903\nCH,3100,-90056.02,\nCH,3300,8244.91,\n",
    # EUR per CHF: 1/1.66 at 31 December 2011 and through January (nothing moves to the disposal).
    "rates.csv": "period,currency,closing,average,historical,rate_date,entity,account\n"
    "2011-12,CHF,0.6024096386,0.5882352941,,,,\n2012-01,CHF,0.6024096386,0.6024096386,,,,\n",
    # The parent's own sale: cash in, the investment out at cost, its gain (counterparty the subsidiary).
    f"tb/DE/{PERIOD}.csv": tb_file(
        "1000 | | 0 | 240963.86\n1800 | CH | 129032.26 | 0\n3000 | | -129032.26 | -129032.26\n"
        "7400 | CH | 0 | -111931.60"
    ),
    f"tb/CH/{PERIOD}.csv": tb_file(
        "1000 | | 350000 | 350000\n3000 | | -200000 | -200000\n3100 | | -150000 | -150000"
    ),
}


def _euros(text: str) -> Decimal:
    return Decimal(text).quantize(Decimal(1))


def test_the_published_disposal_recycles_the_exchange_reserve_through_close_run(
    pg_url: str, tmp_path: Path
) -> None:
    env = cli_env(pg_url, tmp_path / "home")
    done = close(env, "run", "--config", str(write_folder(tmp_path / "swiss", FILES)), "--period", PERIOD)
    assert done.returncode in (0, 3), done.stdout[-3000:] + done.stderr[-3000:]
    run_id = close_json(env, "status")["runs"][0]["id"]
    shown = close_json(env, "show", run_id)
    failed = [
        f["code"] for f in shown["validation"] if f["severity"] == "fail" and f["category"] == "integrity"
    ]
    assert failed == []

    (d,) = shown["disposals"]
    figures = {
        k: Decimal(str(d[k])) for k in ("proceeds", "net_assets", "parent_gain", "cta_recycled", "gain")
    }
    assert figures == {
        "proceeds": Decimal("240963.86"),  # published €240,964
        "net_assets": Decimal("210843.37"),  # published €210,843
        "parent_gain": Decimal("111931.60"),  # published €111,932
        "cta_recycled": Decimal("8244.91"),  # published €8,245 of exchange losses
        "gain": Decimal("21875.58"),  # published €21,876
    }
    assert [_euros(str(v)) for v in figures.values()] == [240964, 210843, 111932, 8245, 21876]
    amount = {r["account"]: Decimal(r["amount"]) for r in shown["consolidated"]}
    assert amount["7400"] == Decimal("-21875.58")  # the group's gain, the reserve recycled into it
    assert amount.get("3300", 0) == 0 and amount.get("1800", 0) == 0  # the reserve and investment emptied
    assert amount["3100"] == Decimal("-90056.02")  # the group's retained profit of the three years stays
    assert amount["1000"] == Decimal("240963.86")
    assert sum(amount.values()) == 0
