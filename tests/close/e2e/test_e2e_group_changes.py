"""Issue 16 at run level: deferred tax on a PPA uplift and an associate's roll-forward through ``close run``.

A group folder written here: Chai acquires 60% of Espresso (Kaplan SBR Example 6, see
tests/close/consolidation/test_deferred_tax.py) and holds 30% of an associate, ASC. ``close run``
consolidates it; ``close show --json`` reads back the goodwill, the DTL, the NCI and the associate's
carrying-amount roll-forward.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from tests.close.run.cli_helpers import cli_env, close, close_json


def _failed_checks(shown: dict) -> list[str]:
    """The integrity and roll-forward checks that failed (none may: the rules keep every TB whole)."""
    return [f"{f['code']}: {f['message']}" for f in shown["validation"]
            if f["severity"] == "fail" and f["category"] in ("integrity", "rollforward")]  # fmt: skip

CONFIG = """\
[group]
id = "chai"
name = "Chai Group"
presentation_currency = "USD"
fiscal_year_start = 1

[files]
mapping = "mapping.csv"
opening_balances = "opening.csv"

[[entities]]
id = "CHAI"
name = "Chai"
currency = "USD"
connector = "file"
[entities.source]
path = "tb/CHAI/{period}.csv"

[[entities]]
id = "ESPRESSO"
name = "Espresso"
currency = "USD"
parent = "CHAI"
ownership = "0.6"
connector = "file"
[entities.source]
path = "tb/ESPRESSO/{period}.csv"
[entities.acquisition]
date = 2016-06-30
consideration = "18000000"
equity_at_acquisition = "17000000"
net_assets_fair_value = "20000000"
rate = "1"
nci_method = "full"
nci_fair_value = "10000000"
tax_rate = "0.2"

[[entities]]
id = "ASC"
name = "Associate"
currency = "USD"
parent = "CHAI"
ownership = "0.3"
method = "equity"
connector = "file"
[entities.source]
path = "tb/ASC/{period}.csv"
"""
HEADER = "account,name,counterparty,cost_center,department,opening,debit,credit,closing\n"
FILES = {
    "group.toml": CONFIG,
    "mapping.csv": "entity,account,std_account\n*,1000,1000\n*,1200,1200\n*,1800,1800\n*,1810,1810\n"
    "*,3000,3000\n*,3100,3100\n*,4000,4000\n",
    "opening.csv": "entity,account,translated_closing,historical_rate\nESPRESSO,3000,-1000000.00,1\n"
    "ESPRESSO,3100,-16000000.00,\nASC,3000,-1000.00,1\n",
    "tb/CHAI/2016-06.csv": HEADER + "1000,Cash,,,,1700000.00,0.00,0.00,1700000.00\n"
    "1800,Investment in Espresso,ESPRESSO,,,18000000.00,0.00,0.00,18000000.00\n"
    "1810,Investment in ASC,ASC,,,300.00,0.00,0.00,300.00\n"
    "3000,Share capital,,,,-19700300.00,0.00,0.00,-19700300.00\n",
    "tb/ESPRESSO/2016-06.csv": HEADER + "1200,Inventories,,,,17000000.00,0.00,0.00,17000000.00\n"
    "3000,Share capital,,,,-1000000.00,0.00,0.00,-1000000.00\n"
    "3100,Retained earnings,,,,-16000000.00,0.00,0.00,-16000000.00\n",
    "tb/ASC/2016-06.csv": HEADER + "1000,Cash,,,,1000.00,200.00,0.00,1200.00\n"
    "3000,Share capital,,,,-1000.00,0.00,0.00,-1000.00\n4000,Revenue,,,,0.00,0.00,200.00,-200.00\n",
}


def test_close_run_books_the_dtl_on_the_uplift_and_shows_the_associates_roll_forward(
    pg_url: str, tmp_path: Path
) -> None:
    for name, text in FILES.items():
        path = tmp_path / "group" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    env = cli_env(pg_url, tmp_path / "home")
    done = close(
        env, "run", "--config", str(tmp_path / "group" / "group.toml"), "--period", "2016-06", "--json"
    )
    assert done.returncode in (0, 3), done.stdout[-2000:] + done.stderr[-2000:]
    run = json.loads(done.stdout)

    shown = close_json(env, "show", run["id"])
    assert _failed_checks(shown) == []
    amount = {r["account"]: Decimal(r["amount"]) for r in shown["consolidated"]}
    # Kaplan SBR Example 6: DTL $0.6m on the $3m inventory uplift, goodwill $8.6m, NCI at fair value $10m.
    assert amount["2600"] == Decimal("-600000.00")
    assert amount["1700"] == Decimal("8600000.00")
    assert amount["3400"] == Decimal("-10000000.00")
    assert sum(amount.values()) == 0
    (gw,) = [g for g in shown["goodwill"] if g["entity"] == "ESPRESSO"]
    assert Decimal(gw["translated"]) == Decimal("8600000.00")
    # The associate: 30% of its 200 of profit on the investment, shown as a roll-forward.
    (roll,) = shown["associates"]
    assert (roll["entity"], roll["investor"]) == ("ASC", "CHAI")
    parts = ("opening", "share_of_profit", "share_of_oci", "dividends", "closing")
    assert [Decimal(roll[k]) for k in parts] == [Decimal(v) for v in ("300.00", "60.00", "0", "0", "360.00")]
    assert Decimal(roll["difference"]) == 0 and amount["7300"] == Decimal("-60.00")

    # The table view prints the same roll-forward and the NCI per subsidiary.
    table = close(env, "show", run["id"])
    assert table.returncode == 0, table.stderr[-2000:]
    text = " ".join(table.stdout.split())
    assert "Associates: carrying amount" in text and "Non-controlling interests" in text
    assert "360.00" in text and "10,000,000.00" in text


RBE_CONFIG = """\
[group]
id = "rbe"
name = "RBE Group"
presentation_currency = "USD"

[files]
mapping = "mapping.csv"
opening_balances = "opening.csv"

[[entities]]
id = "RBE"
name = "RBE"
currency = "USD"
connector = "file"
[entities.source]
path = "tb/RBE/{period}.csv"

[[entities]]
id = "DCA"
name = "DCA"
currency = "USD"
parent = "RBE"
ownership = "0.7"
connector = "file"
[entities.source]
path = "tb/DCA/{period}.csv"
[entities.acquisition]
date = 2009-12-31
consideration = "1500"
equity_at_acquisition = "2000"
rate = "1"
nci_method = "full"
nci_fair_value = "650"
[[entities.acquisition.steps]]
date = 2010-09-30
ownership = "0.9"
consideration = "540"
"""


def _rbe_tbs(month: int) -> dict[str, str]:
    """RBE's and DCA's TBs at the end of ``month`` of 2010 (as in test_ownership_changes.py)."""
    profit, prior = 50 * month, 50 * (month - 1)
    paid = 540 if month == 9 else 0  # the step's consideration, paid in September
    return {
        f"tb/RBE/2010-{month:02d}.csv": HEADER
        + f"1000,Cash,,,,{5220 + paid}.00,0.00,{paid}.00,5220.00\n"
        + f"1800,Investment in DCA,DCA,,,{2040 - paid}.00,{paid}.00,0.00,2040.00\n"
        "3000,Share capital,,,,-7190.00,0.00,0.00,-7190.00\n"
        "4950,Dividend from DCA,DCA,,,-70.00,0.00,0.00,-70.00\n",
        f"tb/DCA/2010-{month:02d}.csv": HEADER + f"1000,Cash,,,,{2000 + prior - 100}.00,50.00,0.00,"
        f"{2000 + profit - 100}.00\n3000,Share capital,,,,-2000.00,0.00,0.00,-2000.00\n"
        f"4000,Revenue,,,,-{prior}.00,0.00,50.00,-{profit}.00\n"
        "3150,Dividends,RBE,,,70.00,0.00,0.00,70.00\n3150,Dividends,,,,30.00,0.00,0.00,30.00\n",
    }


def test_an_ownership_step_closed_in_september_is_carried_to_october_by_the_prior_run(
    pg_url: str, tmp_path: Path
) -> None:
    """ACCA P2 "RBE" (see test_ownership_changes.py): the step of 30 September 2010 is measured in
    September's run (NCI 755 before, 251.67 after, 36.67 to the parent's equity) and October's run
    takes its figures from September's: NCI 10% x 2,400 + 16.67 = 256.67, NCI profit 135 + 5 = 140."""
    folder = tmp_path / "rbe"
    files = {
        "group.toml": RBE_CONFIG,
        "mapping.csv": "entity,account,std_account\n*,1000,1000\n*,1800,1800\n*,3000,3000\n*,3150,3150\n"
        "*,4000,4000\n*,4950,4950\n",
        "opening.csv": "entity,account,translated_closing,historical_rate\nDCA,3000,-2000.00,1\n"
        "DCA,4000,-400.00,\nDCA,3150,100.00,\nRBE,4950,-70.00,\n",
        **_rbe_tbs(9),
        **_rbe_tbs(10),
    }
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    env = cli_env(pg_url, tmp_path / "home")
    shown = {}
    for period in ("2010-09", "2010-10"):
        done = close(env, "run", "--config", str(folder / "group.toml"), "--period", period, "--json")
        assert done.returncode in (0, 3), done.stdout[-2000:] + done.stderr[-2000:]
        shown[period] = close_json(env, "show", json.loads(done.stdout)["id"])
        assert _failed_checks(shown[period]) == [], period
    for period, nci, nci_profit in (("2010-09", "-251.67", "135.00"), ("2010-10", "-256.67", "140.00")):
        amount = {r["account"]: Decimal(r["amount"]) for r in shown[period]["consolidated"]}
        assert amount["3400"] == Decimal(nci) and amount["8900"] == Decimal(nci_profit), period
        assert amount["3250"] == Decimal("36.67") and sum(amount.values()) == 0, period
        (step,) = shown[period]["ownership_steps"]
        assert (Decimal(step["nci_before"]), Decimal(step["nci_change"])) == (
            Decimal("755.00"),
            Decimal("-503.33"),
        )
        assert step["period"] == "2010-09"
