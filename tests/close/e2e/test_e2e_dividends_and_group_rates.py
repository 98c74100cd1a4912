"""Issue 16 through ``close run`` on group folders written here, read back with ``close show --json``.

* A foreign subsidiary's dividend at the declaration-date rate with the exchange difference on
  the open receivable in profit: ACCA Paper 3.6 (INT), December 2002, "Dietronic" (see
  tests/close/consolidation/test_dividends.py for the quoted figures): €48,000 declared at
  $1 = €1.60 → $30,000; the open receivable at $1 = €1.50 → $32,000; a $2,000 exchange gain.
* Acceptance 3: two groups of one tenant with different rates files close with their own rates.
* Acceptance 4: a missing rate fails the run before CONSOLIDATING, naming the currency, the
  kind of rate, the date and the file to fix.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from tests.close.e2e.group_folder import entity_toml, identity_mapping, tb_file, write_folder
from tests.close.run.cli_helpers import cli_env, close, close_json

PERIOD = "2002-10"


def _config(group_id: str, dividends: bool = True) -> str:
    text = f"""\
[group]
id = "{group_id}"
name = "Dietronic"
presentation_currency = "USD"

[files]
mapping = "mapping.csv"
rates = "rates.csv"
opening_balances = "opening.csv"

[rates]
sources = {{ EUR = "file" }}

"""
    text += entity_toml("P", "Dietronic", "USD") + entity_toml("S", "German subsidiary", "EUR", "P")
    if dividends:
        text += """
[[dividends]]
payer = "S"
payee = "P"
amount = "48000"
declared_on = 2002-10-01
"""
    return text


P_TB = tb_file("""
1000 |   | 700000 | 700000
1800 | S | 300000 | 300000
1160 | S | 0 | 30000
3000 |   | -1000000 | -1000000
4950 | S | 0 | -30000
""")
S_TB = tb_file("""
1000 |   | 480000 | 540000
2400 | P | 0 | -48000
3000 |   | -480000 | -480000
3150 | P | 0 | 48000
4000 |   | 0 | -60000
""")
RATES = """\
period,currency,closing,average,historical,rate_date,entity,account
2002-09,EUR,0.6250000000,0.6200000000,,,,
2002-10,EUR,0.6666666667,0.6400000000,,,,
2002-10,EUR,,,0.6250000000,2002-10-01,S,dividends
"""
OPENING = "entity,account,translated_closing,historical_rate\nS,3000,-300000.00,0.6250000000\nS,3300,0.00,\n"
ACCOUNTS = {"1000", "1160", "1800", "2400", "3000", "3150", "4000", "4950"}


def _write(folder: Path, group_id: str, *, rates: str = RATES, dividends: bool = True) -> Path:
    return write_folder(folder, {
        "group.toml": _config(group_id, dividends), "mapping.csv": identity_mapping(ACCOUNTS),
        "rates.csv": rates, "opening.csv": OPENING,
        f"tb/P/{PERIOD}.csv": P_TB, f"tb/S/{PERIOD}.csv": S_TB,
    })


def test_dietronic_dividend_through_close_run(pg_url: str, tmp_path: Path) -> None:
    config = _write(tmp_path / "dietronic", "dietronic")
    env = cli_env(pg_url, tmp_path / "home")
    done = close(env, "run", "--config", str(config), "--period", PERIOD)
    assert done.returncode in (0, 3), done.stdout[-3000:] + done.stderr[-3000:]
    run_id = close_json(env, "status")["runs"][0]["id"]
    shown = close_json(env, "show", run_id)
    amount = {r["account"]: Decimal(r["amount"]) for r in shown["consolidated"]}
    assert amount["7250"] == Decimal("-2000.00")  # the $2,000 exchange gain on the open receivable
    assert not {"1160", "2400", "3150", "4950"} & set(amount)  # eliminated
    assert sum(amount.values()) == 0
    pairs = {p["kind"]: p for p in shown["ic_pairs"]}
    assert Decimal(pairs["dividend"]["entity_amount"]) == Decimal("-30000.00")  # P's income, $30,000
    assert Decimal(pairs["dividend"]["counterparty_amount"]) == Decimal("30000.00")  # €48,000 / 1.60
    assert Decimal(pairs["receivable_payable"]["counterparty_amount"]) == Decimal("-32000.00")  # / 1.50
    assert Decimal(pairs["receivable_payable"]["fx_part"]) == Decimal("-2000.00")
    assert all(p["status"] == "eliminated" and Decimal(p["mismatch"]) == 0 for p in shown["ic_pairs"])
    (cta,) = [c for c in shown["cta"] if c["entity"] == "S"]
    assert abs(Decimal(cta["difference"])) <= Decimal(cta["tolerance"])
    assert not [f for f in shown["validation"] if f["code"] == "INTERCOMPANY_MISMATCH"]


def test_two_groups_of_one_tenant_close_with_their_own_rates(pg_url: str, tmp_path: Path) -> None:
    env = cli_env(pg_url, tmp_path / "home")  # one tenant for both groups
    other = RATES.replace("0.6666666667", "0.7000000000").replace("0.6250000000,0.62", "0.6000000000,0.62")
    closings = {}
    for group_id, rates in (("first", RATES), ("second", other)):
        config = _write(tmp_path / group_id, group_id, rates=rates, dividends=False)
        done = close(env, "run", "--config", str(config), "--period", PERIOD)
        assert done.returncode in (0, 3), done.stdout[-3000:] + done.stderr[-3000:]
        run = next(r for r in close_json(env, "status")["runs"] if r["group_id"] == group_id)
        shown = close_json(env, "show", run["id"], "--account", "1000")
        closings[group_id] = {(r["currency"], r["rate_type"]): Decimal(r["rate"]) for r in shown["rates"]}
        cash = sum(Decimal(str(e["translated"])) for e in shown["trace"]["entities"] if e["entity"] == "S")
        closings[group_id]["cash"] = cash
    assert closings["first"][("EUR", "closing")] == Decimal("0.6666666667")
    assert closings["second"][("EUR", "closing")] == Decimal("0.7")
    assert closings["first"]["cash"] == Decimal("360000.00")  # €540,000 × 0.6666666667
    assert closings["second"]["cash"] == Decimal("378000.00")  # €540,000 × 0.70


def test_a_missing_declaration_date_rate_fails_before_consolidating(pg_url: str, tmp_path: Path) -> None:
    rates = "\n".join(line for line in RATES.splitlines() if "dividends" not in line) + "\n"
    config = _write(tmp_path / "dietronic", "dietronic", rates=rates)
    env = cli_env(pg_url, tmp_path / "home")
    done = close(env, "run", "--config", str(config), "--period", PERIOD)
    assert done.returncode == 1
    (run,) = close_json(env, "status")["runs"]
    assert run["status"] == "FAILED" and run["failed_stage"] == "EXTRACTING", run
    reason = run["failure_reason"]
    for words in ("declaration-date", "EUR", "2002-10-01", "rates.csv", "entity S"):
        assert words in reason, reason
    assert "Traceback" not in done.stdout + done.stderr


def test_a_missing_prior_closing_or_average_fails_before_consolidating(pg_url: str, tmp_path: Path) -> None:
    cases = {
        "prior closing": (RATES.replace("2002-09,EUR,0.6250000000,0.6200000000,,,,\n", ""), "2002-09"),
        "average": (RATES.replace("0.6666666667,0.6400000000", "0.6666666667,"), "2002-10"),
    }
    for kind, (rates, when) in cases.items():
        folder = tmp_path / kind.replace(" ", "_")
        config = _write(folder, "dietronic", rates=rates, dividends=False)
        env = cli_env(pg_url, folder / "home")
        done = close(env, "run", "--config", str(config), "--period", PERIOD)
        assert done.returncode == 1, kind
        (run,) = close_json(env, "status")["runs"]
        assert run["status"] == "FAILED" and run["failed_stage"] == "EXTRACTING", run
        reason = run["failure_reason"]
        for words in (f"no {kind} rate", "EUR->USD", when, "rates.csv", "entity S"):
            assert words in reason, (kind, reason)
