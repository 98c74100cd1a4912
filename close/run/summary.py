"""``close show``: a run's results in one documented shape (``--json``) or as tables.

The JSON shape::

    {"run": {...close_runs row...},
     "presentation_currency": "USD",
     "consolidated": [{"account", "name", "class", "amount", "movement"}],   # TB sign, exact decimals
     "totals": {"assets", "liabilities", "equity", "net_income", "cta", "nci_equity", "nci_profit",
                "goodwill"},
     "figures": {"month": {...}, "ytd": {...}},  # close.engine.definitions subtotals: net_revenue, ebitda …
     "cta": [...per entity: plug, from_parts, difference...], "nci": [...], "goodwill": [...],
     "ownership_steps": [...close.ownership_changes.STEP_COLUMNS: NCI before/after, equity difference...],
     "disposals": [...close.disposal.DISPOSAL_COLUMNS: net assets, goodwill, NCI, CTA recycled, gain...],
     "associates": [...close.associates.ASSOCIATE_COLUMNS: the carrying amount's month roll-forward...],
     "impairments": [...close.impairment.IMPAIRMENT_COLUMNS: goodwill impairments booked so far...],
     "eliminations": [{"journal_id", "kind", "basis", "memo",
                       "lines": [{"entity", "account", "amount", ...}]}],
     "ic_pairs": [{"entity", "counterparty", "kind", "entity_amount", "counterparty_amount", "entity_local",
                   "counterparty_local", "difference", "fx_part", "mismatch", "status"}],
     "rates": [{"currency", "rate_type", "rate", "source", "method", ...}],
     "validation": [...findings...], "inputs": [...name, sha256...],
     "events": [...audit trail...],
     "commentary": {"requests", "cache_hits", "data_only", "input_tokens", "output_tokens", "cost_usd",
                    "comments": [{"entity", "account", "kind", "source", "model", "cached", "revised",
                                  "input_tokens", "output_tokens", "cost", "confidence", "light",
                                  "fallback_reason"}]},
     "trace": {"account", "entities": [...translated lines...], "journal_lines": [...]}  # --account only
    }

Amounts are exact decimals in units: the presentation currency's, except ``goodwill.local`` (the
subsidiary's currency) and ``ic_pairs`` ``entity_local`` / ``counterparty_local`` (each side's
currency). The usage in ``commentary`` counts the calls ANALYZING made (a comment served from the
prompt cache costs nothing this run); each comment keeps the tokens and cost of the call that wrote
it. In a trace, the entity lines plus the journal lines add up to the consolidated amount.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import Connection

from close.engine.chart import SystemRole
from close.engine.definitions import block_sums, income_statement_totals
from close.engine.fx import PPA_BOOK
from close.engine.money import from_minor
from close.engine.types import Currency, EntityId, RunId
from close.errors import NotFound
from close.run.inputs import load_config, load_run_chart
from close.run.state import RunStatus
from close.storage.findings import findings
from close.storage.results import (
    account_trace,
    all_facts,
    comment_rows,
    consolidated_rows,
    journal_heads,
    journal_lines,
)
from close.storage.runs import events, get_run, list_inputs, stage_done_detail

# The columns of a finding that ``close show`` prints (not its check order or waiver time).
_FINDING_KEYS = ("code", "category", "severity", "entity", "account", "expected", "actual", "difference",
                 "message", "waived_by", "waived_reason")

# Fact amounts kept in a local currency: the key, and the key naming the entity whose currency it is.
_LOCAL_AMOUNTS: dict[str, dict[str, str]] = {
    "goodwill": {"local": "entity"},
    "ic_pair": {"entity_local": "entity", "counterparty_local": "counterparty"},
}


def fact_in_units(kind: str, payload: dict[str, Any], presentation: Currency,
                  currencies: dict[EntityId, Currency]) -> dict[str, Any]:
    """Return a consolidation fact with its integer amounts (minor units, as the frames hold them) in units.

    Args:
        kind: the fact's kind (``cta``, ``nci``, ``goodwill``, ``ic_pair`` …).
        payload: the fact, e.g. one row of ``close.engine.intercompany.IC_PAIR_COLUMNS``.
        presentation: the presentation currency.
        currencies: each entity's functional currency (for the local amounts).

    Returns:
        A copy whose integer values are exact Decimals; other values unchanged.

    """
    local = _LOCAL_AMOUNTS.get(kind, {})
    out: dict[str, Any] = {}
    for key, value in payload.items():
        if isinstance(value, int) and not isinstance(value, bool):
            owner = local.get(key)
            currency = currencies.get(payload.get(owner), presentation) if owner else presentation
            value = from_minor(value, currency)
        out[key] = value
    return out


def commentary_usage(conn: Connection, run_id: RunId) -> dict[str, Any]:
    """Return what the run's commentary cost: ANALYZING's usage (its stage_done event), each comment."""
    detail = (stage_done_detail(conn, run_id, RunStatus.ANALYZING.value) or {}).get("commentary")
    comments = comment_rows(conn, run_id)
    usage = {k: (detail or {}).get(k, 0) for k in ("requests", "cache_hits", "data_only", "input_tokens",
                                                     "output_tokens")}
    return {**usage, "cost_usd": Decimal(str((detail or {}).get("cost_usd", "0"))), "comments": comments}


def run_summary(conn: Connection, run_id: RunId, *, account: str | None = None) -> dict[str, Any]:
    """Everything ``close show`` prints, as plain data (Decimals as exact strings)."""
    run = get_run(conn, run_id)
    if run is None:
        raise NotFound(f"no run {run_id}")
    config = load_config(conn, run_id)
    chart = load_run_chart(conn, run_id, config)
    consolidated = [b._asdict() for b in consolidated_rows(conn, run_id)]
    for row in consolidated:
        row["name"] = chart.column("name").get(row["account"], "")
        row["class"] = chart.column("class").get(row["account"], "")
    by_class: dict[str, Decimal] = {}
    for row in consolidated:
        by_class[row["class"]] = by_class.get(row["class"], Decimal(0)) + row["amount"]
    amounts = {row["account"]: row["amount"] for row in consolidated}

    def role(r: SystemRole) -> Decimal:
        return amounts.get(chart.by_role(r), Decimal(0))

    chart_rows = list(zip(chart.column("code"), chart.column("class"), chart.column("subclass"),
                          chart.column("system_role"), strict=True))
    facts = all_facts(conn, run_id)
    journals = journal_heads(conn, run_id)
    lines = journal_lines(conn, run_id)
    for j in journals:
        j["lines"] = [ln for ln in lines if ln["journal_id"] == j["journal_id"]]
    currencies = {e.id: e.currency for e in config.entities}
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
        "figures": {scope: income_statement_totals(block_sums(
            {row["account"]: row[column] for row in consolidated}, chart_rows))
            for scope, column in (("month", "movement"), ("ytd", "amount"))},
        **{kind: [fact_in_units(k, f["payload"], config.presentation_currency, currencies)
                  for f in facts if f["kind"] == k] for kind, k in
           (("cta", "cta"), ("nci", "nci"), ("goodwill", "goodwill"), ("ic_pairs", "ic_pair"),
            ("rates", "rate"), ("ownership_steps", "step"), ("disposals", "disposal"),
            ("associates", "associate"), ("impairments", "impairment"))},
        "eliminations": journals,
        "validation": [{k: f[k] for k in _FINDING_KEYS} for f in findings(conn, run_id)
                       if f["severity"] != "pass"],
        "inputs": list_inputs(conn, run_id),
        "events": events(conn, run_id),
        "commentary": commentary_usage(conn, run_id),
    }
    for item in summary["inputs"]:
        item.pop("content", None)
    if account:
        summary["trace"] = {
            "account": account,
            # pushed-down PPA lines are traced through the PPA journal's lines
            "entities": account_trace(conn, run_id, account, except_book=PPA_BOOK),
            "journal_lines": [ln for ln in lines if ln["account"] == account],
        }
    return summary


# The group's NCI, associates and later changes, as tables when the run has any: key, title, columns.
_GROUP_TABLES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("nci", "Non-controlling interests",
     ("entity", "nci_pct", "direct_pct", "indirect_pct", "equity", "profit", "cta", "indirect_adjustment")),
    ("associates", "Associates: carrying amount",
     ("entity", "investor", "opening", "share_of_profit", "share_of_oci", "dividends", "translation",
      "closing", "difference")),
    ("ownership_steps", "Changes in ownership",
     ("entity", "date", "ownership_before", "ownership_after", "consideration", "nci_change",
      "equity_difference", "cta_reattributed")),
    ("disposals", "Disposals",
     ("entity", "date", "proceeds", "net_assets", "goodwill", "nci", "cta_recycled", "gain")),
    ("impairments", "Goodwill impairments", ("journal_id", "entity", "period", "amount")),
)  # fmt: skip


def _print_group_tables(console: Console, summary: dict[str, Any]) -> None:
    """Print the NCI per subsidiary, the associates' roll-forward and the later changes, if any."""

    def cell(value: object) -> str:
        return f"{value:,.2f}" if isinstance(value, Decimal) else str(value)

    for key, title, columns in _GROUP_TABLES:
        rows = [r for r in summary.get(key, []) if key != "nci" or r.get("equity") or r.get("profit")]
        if rows:
            table = Table(*(c.replace("_", " ") for c in columns), title=title)
            for r in rows:
                table.add_row(*(cell(r.get(c, "")) for c in columns))
            console.print(table)


def print_summary(console: Console, summary: dict[str, Any]) -> None:
    """Print a run summary as rich tables."""
    run = summary["run"]
    console.print(f"[bold]run {run['id']}[/] {run['group_id']} {run['period']} — {run['status']}")
    totals = Table("figure", f"amount ({summary['presentation_currency']})", title="Headline")
    for k, v in summary["totals"].items():
        totals.add_row(k.replace("_", " "), f"{v:,.2f}")
    console.print(totals)
    figures = Table("figure", "month", "year to date", title="Income statement (close.engine.definitions)")
    for k, v in summary["figures"]["month"].items():
        figures.add_row(k.replace("_", " "), f"{v:,.2f}", f"{summary['figures']['ytd'][k]:,.2f}")
    console.print(figures)
    cons = Table("account", "name", "class", "closing", "month", title="Consolidated trial balance")
    for row in summary["consolidated"]:
        cons.add_row(row["account"], row["name"], row["class"], f"{row['amount']:,.2f}",
                     f"{row['movement']:,.2f}")
    console.print(cons)
    _print_group_tables(console, summary)
    usage = summary["commentary"]
    if usage["comments"]:
        console.print(f"commentary: {usage['requests']} Claude requests, {usage['cache_hits']} from cache, "
                      f"{usage['data_only']} data-only; {usage['input_tokens']:,} input + "
                      f"{usage['output_tokens']:,} output tokens, USD {usage['cost_usd']}")
        com = Table("account", "kind", "source", "cached", "tokens in", "tokens out", "cost (USD)", "light",
                    title="Commentary")
        for c in usage["comments"]:
            com.add_row(c["account"], c["kind"], c["source"], "yes" if c["cached"] else "",
                        str(c["input_tokens"]), str(c["output_tokens"]), str(c["cost"]), c["light"] or "")
        console.print(com)
    if summary["validation"]:
        val = Table("severity", "code", "entity", "account", "message", title="Findings")
        for f in summary["validation"]:
            val.add_row(f["severity"], f["code"], f["entity"] or "", f["account"] or "", f["message"])
        console.print(val)
    if "trace" in summary:
        _print_trace(console, summary["trace"])


def _print_trace(console: Console, trace: dict[str, Any]) -> None:
    """Print where one consolidated account comes from: each entity's translated line, then journals."""
    account = trace["account"]
    lines = Table("entity", "counterparty", "local closing", "rate", "rate type", "translated",
                  title=f"Account {account}: translated lines")
    for row in trace["entities"]:
        lines.add_row(row["entity"], row["counterparty"] or "", f"{row['local_closing']:,.2f}",
                      str(row["rate"]), row["rate_type"], f"{row['translated']:,.2f}")
    console.print(lines)
    journals = Table("journal", "line", "entity", "amount", title=f"Account {account}: journal lines")
    for row in trace["journal_lines"]:
        journals.add_row(str(row["journal_id"]), str(row["line_no"]), row["entity"] or "",
                         f"{row['amount']:,.2f}")
    console.print(journals)
