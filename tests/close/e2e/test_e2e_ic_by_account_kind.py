"""Issue 16, acceptance 2: a counterparty on inventory is not an intercompany pair.

P (USD) holds inventory bought from its 80 % subsidiary S (USD) for 1,000.00 at a 25 % margin
and carries S as the counterparty of those inventory lines (the unrealized-profit rule reads it);
P also owes S 100.00 on the intercompany payables account, which is a pair. Through ``close run``
the group closes with the payable pair eliminated, no pair on the inventory, no
INTERCOMPANY_MISMATCH finding, and the unrealized profit of 250.00 taken off inventory.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from tests.close.e2e.group_folder import entity_toml, identity_mapping, tb_file, write_folder
from tests.close.run.cli_helpers import cli_env, close, close_json

CONFIG = """\
[group]
id = "urp_kinds"
name = "URP Group"
presentation_currency = "USD"

[files]
mapping = "mapping.csv"
opening_balances = "opening.csv"

[intercompany.inventory_margins]
S = "0.25"

""" + entity_toml("P", "Parent Inc.", "USD") + entity_toml("S", "Seller Inc.", "USD", "P", "0.8")

P_TB = tb_file("""
1000 |   | 0 | 8300.00
1200 | S | 0 | 1000.00
1800 | S | 0 | 800.00
2050 | S | 0 | -100.00
3000 |   | 0 | -10000.00
""")
S_TB = tb_file("""
1000 |   | 0 | 1150.00
1150 | P | 0 | 100.00
3000 |   | 0 | -1000.00
4000 |   | 0 | -1000.00
5000 |   | 0 | 750.00
""")


def test_inventory_bought_from_a_group_company_is_no_pair_and_its_profit_is_eliminated(
    pg_url: str, tmp_path: Path
) -> None:
    config = write_folder(tmp_path / "group", {
        "group.toml": CONFIG,
        "mapping.csv": identity_mapping({"1000", "1150", "1200", "1800", "2050", "3000", "4000", "5000"}),
        "opening.csv": "entity,account,translated_closing,historical_rate\n",
        "tb/P/2026-01.csv": P_TB,
        "tb/S/2026-01.csv": S_TB,
    })
    env = cli_env(pg_url, tmp_path / "home")
    done = close(env, "run", "--config", str(config), "--period", "2026-01")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    run_id = close_json(env, "status")["runs"][0]["id"]
    shown = close_json(env, "show", run_id)

    assert [(p["entity"], p["counterparty"], p["kind"], p["status"]) for p in shown["ic_pairs"]] == [
        ("P", "S", "receivable_payable", "eliminated")
    ]
    assert not [f for f in shown["validation"] if f["code"] == "INTERCOMPANY_MISMATCH"]
    amount = {r["account"]: Decimal(r["amount"]) for r in shown["consolidated"]}
    assert amount["1200"] == Decimal("750.00")  # 1,000 less 25 % unrealized profit
    assert amount["5000"] == Decimal("1000.00")  # 750 + 250
    assert "1150" not in amount and "2050" not in amount
    assert sum(amount.values()) == 0
    assert shown["run"]["status"] == "COMPLETED"
