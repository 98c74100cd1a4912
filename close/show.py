"""``close show``: a run's results in one documented shape (``--json``) or as tables.

The JSON shape::

    {"run": {...close_runs row...},
     "presentation_currency": "USD",
     "consolidated": [{"account", "name", "class", "amount", "movement"}],   # TB sign, exact decimals
     "totals": {"assets", "liabilities", "equity", "net_income", "cta", "nci_equity", "nci_profit", "goodwill"},
     "cta": [...per entity: plug, from_parts, difference...], "nci": [...], "goodwill": [...],
     "eliminations": [{"journal_id", "kind", "basis", "memo", "lines": [{"entity", "account", "amount", ...}]}],
     "ic_pairs": [...], "validation": [...findings...], "inputs": [...name, sha256...],
     "events": [...audit trail...],
     "trace": {...} only with --account}
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import Connection

from close.chart import SystemRole
from close.errors import ConfigError
from close.stages.inputs import load_config, load_run_chart
from close.storage.runs import events, get_run, list_inputs
from close.types import RunId


def _rows(conn: Connection, sql: str, run_id: RunId, **params: object) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(sa.text(sql), {"r": run_id, **params})]


def run_summary(conn: Connection, run_id: RunId, *, account: str | None = None) -> dict[str, Any]:
    """Everything ``close show`` prints, as plain data (Decimals as exact strings)."""
    run = get_run(conn, run_id)
    if run is None:
        raise ConfigError(f"no run {run_id}")
    config = load_config(conn, run_id)
    chart = load_run_chart(conn, run_id, config)
    consolidated = _rows(conn, "SELECT std_account AS account, amount, movement FROM consolidated_balances "
                               "WHERE run_id = CAST(:r AS uuid) ORDER BY std_account", run_id)
    for row in consolidated:
        row["name"] = chart.column("name").get(row["account"], "")
        row["class"] = chart.column("class").get(row["account"], "")
    by_class: dict[str, Decimal] = {}
    for row in consolidated:
        by_class[row["class"]] = by_class.get(row["class"], Decimal(0)) + row["amount"]
    amounts = {row["account"]: row["amount"] for row in consolidated}

    def role(r: SystemRole) -> Decimal:
        return amounts.get(chart.by_role(r), Decimal(0))

    facts = _rows(conn, "SELECT kind, payload FROM consolidation_facts WHERE run_id = CAST(:r AS uuid) "
                        "ORDER BY kind, seq", run_id)
    journals = _rows(conn, "SELECT journal_id, kind, basis, memo FROM journal_entries "
                           "WHERE run_id = CAST(:r AS uuid) ORDER BY journal_id", run_id)
    lines = _rows(conn, "SELECT journal_id, line_no, entity_id AS entity, std_account AS account, counterparty, "
                        "amount, memo FROM journal_lines WHERE run_id = CAST(:r AS uuid) "
                        "ORDER BY journal_id, line_no", run_id)
    for j in journals:
        j["lines"] = [ln for ln in lines if ln["journal_id"] == j["journal_id"]]
    summary: dict[str, Any] = {
        "run": {k: getattr(run, k) for k in run.__slots__},
        "presentation_currency": config.presentation_currency,
        "consolidated": consolidated,
        "totals": {
            "assets": by_class.get("asset", Decimal(0)),
            "liabilities": -by_class.get("liability", Decimal(0)),
            "equity": -by_class.get("equity", Decimal(0)),
            "net_income": -(by_class.get("revenue", Decimal(0)) + by_class.get("expense", Decimal(0))),
            "cta": -role(SystemRole.CTA),
            "nci_equity": -role(SystemRole.NCI_EQUITY),
            "nci_profit": role(SystemRole.NCI_PROFIT),
            "goodwill": role(SystemRole.GOODWILL),
        },
        **{kind: [f["payload"] for f in facts if f["kind"] == k] for kind, k in
           (("cta", "cta"), ("nci", "nci"), ("goodwill", "goodwill"), ("ic_pairs", "ic_pair"), ("rates", "rate"))},
        "eliminations": journals,
        "validation": _rows(conn, "SELECT code, category, severity, entity_id AS entity, account, expected, actual, "
                                  "difference, message, waived_by, waived_reason FROM validation_results "
                                  "WHERE run_id = CAST(:r AS uuid) AND severity <> 'pass' ORDER BY seq", run_id),
        "inputs": list_inputs(conn, run_id),
        "events": events(conn, run_id),
    }
    for item in summary["inputs"]:
        item.pop("content", None)
    if account:
        summary["trace"] = {
            "account": account,
            "entities": _rows(conn, "SELECT entity_id AS entity, counterparty, local_closing, rate, rate_type, "
                                    "translated FROM translated_balances WHERE run_id = CAST(:r AS uuid) "
                                    "AND std_account = :a ORDER BY entity_id", run_id, a=account),
            "journal_lines": [ln for ln in lines if ln["account"] == account],
        }
    return summary


def print_summary(console: Console, summary: dict[str, Any]) -> None:
    """Print a run summary as rich tables."""
    run = summary["run"]
    console.print(f"[bold]run {run['id']}[/] {run['group_id']} {run['period']} — {run['status']}")
    totals = Table("figure", f"amount ({summary['presentation_currency']})", title="Headline")
    for k, v in summary["totals"].items():
        totals.add_row(k.replace("_", " "), f"{v:,.2f}")
    console.print(totals)
    cons = Table("account", "name", "class", "closing", "month", title="Consolidated trial balance")
    for row in summary["consolidated"]:
        cons.add_row(row["account"], row["name"], row["class"], f"{row['amount']:,.2f}", f"{row['movement']:,.2f}")
    console.print(cons)
    if summary["validation"]:
        val = Table("severity", "code", "entity", "account", "message", title="Findings")
        for f in summary["validation"]:
            val.add_row(f["severity"], f["code"], f["entity"] or "", f["account"] or "", f["message"])
        console.print(val)
