"""Issue 5 at run level on the demo: ``close show`` in its documented shape, traces, the IC report."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from close.engine.chart import INCOME_STATEMENT_CLASSES, SystemRole, load_chart
from close.engine.intercompany import IC_PAIR_COLUMNS
from close.run.summary import run_summary
from close.storage import Database
from tests.close.e2e.stored import consolidated_balances
from tests.close.run.cli_helpers import close_json
from tests.close.run.demo_close import DemoClose

DEMO_CONFIG = Path(__file__).resolve().parents[3] / "examples" / "demo" / "group.toml"
ZERO = Decimal(0)


def _units(value: object, places: int = 2) -> Decimal:
    """An amount as ``close show --json`` prints it: an exact decimal string in units."""
    assert isinstance(value, str), value
    amount = Decimal(value)
    assert -amount.as_tuple().exponent == places, value
    return amount


def test_show_json_has_the_documented_shape(demo_close: DemoClose) -> None:
    shown = close_json(demo_close.env, "show", demo_close.latest["id"])
    assert {
        "run",
        "presentation_currency",
        "consolidated",
        "totals",
        "cta",
        "nci",
        "goodwill",
        "eliminations",
        "ic_pairs",
        "rates",
        "validation",
        "inputs",
        "events",
        "commentary",
    } <= set(shown)
    assert shown["run"]["id"] == demo_close.latest["id"] and shown["presentation_currency"] == "USD"

    # The consolidated trial balance by standard account, in TB sign, summing to zero.
    rows = shown["consolidated"]
    assert all(set(r) == {"account", "name", "class", "amount", "movement"} for r in rows)
    assert [r["account"] for r in rows] == sorted({r["account"] for r in rows})
    amount = {r["account"]: _units(r["amount"]) for r in rows}
    assert sum(amount.values()) == 0 and sum(_units(r["movement"]) for r in rows) == 0

    # Totals agree with the accounts found by system role (CTA 3300, NCI 3400 / 8900, goodwill 1700).
    totals = {k: _units(v) for k, v in shown["totals"].items()}
    assert set(totals) == {
        "assets",
        "liabilities",
        "equity",
        "net_income",
        "cta",
        "nci_equity",
        "nci_profit",
        "goodwill",
    }
    assert totals["cta"] == -amount["3300"] and totals["nci_equity"] == -amount["3400"]
    assert totals["nci_profit"] == amount["8900"] and totals["goodwill"] == amount["1700"]
    assert totals["assets"] == totals["liabilities"] + totals["equity"] + totals["net_income"]

    # CTA per entity: the balancing figure and the figure from its parts, within the tolerance.
    assert {c["entity"] for c in shown["cta"]} == {"HOLD", "BR1", "BR2", "BR3", "EU1"}
    for c in shown["cta"]:
        assert abs(_units(c["plug"]) - _units(c["from_parts"])) == abs(_units(c["difference"]))
        assert abs(_units(c["difference"])) <= _units(c["tolerance"])
    # NCI (equity and profit) and goodwill: only BR2 (80 %) has them, and they are the totals.
    (br2,) = [n for n in shown["nci"] if _units(n["equity"]) != 0]
    assert (br2["entity"], Decimal(br2["nci_pct"])) == ("BR2", Decimal("0.2"))
    assert (_units(br2["equity"]), _units(br2["profit"])) == (totals["nci_equity"], totals["nci_profit"])
    (goodwill,) = [g for g in shown["goodwill"] if _units(g["translated"]) != 0]
    assert goodwill["entity"] == "BR2" and _units(goodwill["translated"]) == totals["goodwill"]
    assert _units(goodwill["local"]) > _units(goodwill["translated"])  # BRL, at about 0.19 USD

    # Eliminations: balanced journals with their lines; every IC pair eliminated by its own journal.
    journals = {j["journal_id"]: j for j in shown["eliminations"]}
    assert {"elimination", "investment", "nci", "ppa"} <= {j["kind"] for j in journals.values()}
    for j in journals.values():
        assert {"journal_id", "kind", "basis", "memo", "lines"} <= set(j) and j["lines"]
        assert sum(_units(ln["amount"]) for ln in j["lines"]) == 0, j["journal_id"]
    assert len(shown["ic_pairs"]) == 8
    for pair in shown["ic_pairs"]:
        assert set(pair) == set(IC_PAIR_COLUMNS) and pair["status"] == "eliminated"
        assert _units(pair["entity_amount"]) + _units(pair["counterparty_amount"]) == _units(
            pair["difference"]
        )
        assert _units(pair["mismatch"]) == 0
        assert f"IC:{pair['kind']}:{pair['entity']}:{pair['counterparty']}" in journals

    assert all({"code", "severity", "message"} <= set(f) for f in shown["validation"])
    assert {"group.toml", "budget.csv"} <= {i["name"] for i in shown["inputs"]}
    assert all(len(i["sha256"]) == 64 for i in shown["inputs"])
    done = {e["stage"] for e in shown["events"] if e["kind"] == "stage_done"}
    assert {"CONSOLIDATING", "VALIDATING", "ANALYZING", "REPORTING", "DISTRIBUTING"} <= done


def _traced(trace: dict) -> Decimal:
    return sum((Decimal(str(e["translated"])) for e in trace["entities"]), ZERO) + sum(
        (Decimal(str(ln["amount"])) for ln in trace["journal_lines"]), ZERO
    )


def test_show_account_traces_the_consolidated_figure(demo_close: DemoClose, demo_db: Database) -> None:
    run_id = demo_close.latest["id"]
    shown = close_json(demo_close.env, "show", run_id, "--account", "1000")
    trace = shown["trace"]
    cash = next(Decimal(r["amount"]) for r in shown["consolidated"] if r["account"] == "1000")
    assert trace["account"] == "1000" and {e["entity"] for e in trace["entities"]} == {
        "HOLD",
        "BR1",
        "BR2",
        "BR3",
        "EU1",
    }
    assert all(
        {"entity", "local_closing", "rate", "rate_type", "translated"} <= set(e) for e in trace["entities"]
    )
    assert _traced(trace) == cash

    # Eliminated to zero (1150, 1800, 4150), group-only (1700, 3400, 8900), CTA, and the PPA pushed down
    # into BR2 (1650, 3100, 3300, 6550: traced through the PPA journal, not twice) trace too.
    with demo_db.tx() as conn:
        consolidated = {r["account"]: r["amount"] for r in run_summary(conn, run_id)["consolidated"]}
        for account in ("1150", "1650", "1700", "1800", "3100", "3300", "3400", "4150", "6550", "8900"):
            trace = run_summary(conn, run_id, account=account)["trace"]
            assert trace["entities"] or trace["journal_lines"], account
            assert _traced(trace) == consolidated.get(account, ZERO), account


def test_ic_report_lists_eight_pairs_all_eliminated(demo_close: DemoClose) -> None:
    pairs = close_json(demo_close.env, "ic", "report", "--config", str(DEMO_CONFIG), "--period", "2026-10")
    assert len(pairs) == 8
    assert {p["status"] for p in pairs} == {"eliminated"}
    assert {(p["entity"], p["counterparty"], p["kind"]) for p in pairs} == {
        ("BR1", "BR3", "receivable_payable"),
        ("BR1", "BR3", "revenue_expense"),
        ("BR1", "HOLD", "dividend"),
        ("BR1", "HOLD", "receivable_payable"),
        ("BR1", "HOLD", "revenue_expense"),
        ("EU1", "HOLD", "loan"),
        ("EU1", "HOLD", "receivable_payable"),
        ("EU1", "HOLD", "revenue_expense"),
    }
    # The report matches what the run eliminated, in units (USD; local amounts in each side's currency).
    run = {
        (p["entity"], p["counterparty"], p["kind"]): p
        for p in close_json(demo_close.env, "show", demo_close.latest["id"])["ic_pairs"]
    }
    for p in pairs:
        assert p == run[(p["entity"], p["counterparty"], p["kind"])]


def test_every_month_moves_by_closing_less_the_prior_closing_the_first_included(
    demo_close: DemoClose, demo_db: Database
) -> None:
    """The stored monthly movement is the consolidated closing less the prior month's, accounts
    that roll at the fiscal-year start (January) taken after the roll. The first month, 2025-10,
    has no prior run: its opening is its translated openings eliminated like the closing, so its
    intercompany accounts, fully eliminated at both ends, do not move (they did before, which made
    2026-10's year-over-year variances of 4150 and 5150 spurious)."""
    chart = load_chart()
    flows = {
        a
        for a in chart.accounts.index
        if chart.accounts.loc[a, "class"] in INCOME_STATEMENT_CLASSES
        or a == chart.by_role(SystemRole.DIVIDENDS)
    }
    retained = chart.by_role(SystemRole.RETAINED_EARNINGS)
    stored = [consolidated_balances(demo_db, run["id"]) for run in demo_close.runs]
    first = stored[0]
    for account in ("1150", "2050", "4150", "5150"):
        assert first.get(account, (ZERO, ZERO)) == (ZERO, ZERO), account
    for run, prior, now in zip(demo_close.runs[1:], stored[:-1], stored[1:], strict=True):
        opening = {a: v[0] for a, v in prior.items()}
        if run["period"].endswith("-01"):
            roll = sum((opening.pop(a) for a in list(opening) if a in flows), ZERO)
            opening[retained] = opening.get(retained, ZERO) + roll
        for account in set(now) | set(opening):
            closing, movement = now.get(account, (ZERO, ZERO))
            assert movement == closing - opening.get(account, ZERO), (run["period"], account)
