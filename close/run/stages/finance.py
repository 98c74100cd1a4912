"""Load the finance pages (``reports/finance.py``) of a run: receivables, costing, root cause.

Read at REPORTING from what the run stored (its input snapshot, translated balances,
anomalies) and from the effective runs of earlier periods (sales for DSO, prior balances,
twelve months of history); the accounting is the pure functions of ``close/receivables``,
``close/costing`` and ``close/rootcause``.
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
from sqlalchemy.engine import Connection

from close.analysis.costing.cvp import cvp
from close.analysis.costing.files import parse_standard_costs
from close.analysis.costing.variances import cost_variances
from close.analysis.receivables.aging import (
    aging_by_entity,
    bucket_movement,
    top_overdue_customers,
    translate_aging,
)
from close.analysis.receivables.dso import count_back_dso
from close.analysis.receivables.ecl import ecl_provision, required_vs_booked
from close.analysis.rootcause import decompose, recurrence
from close.analysis.variances import month_changes
from close.checks.receivables import tb_balances
from close.config import GroupConfig
from close.engine.chart import Chart
from close.engine.periods import add_months
from close.run.inputs import read_file
from close.run.stages.analyzing import load_analysis_inputs
from close.run.stages.consolidating import mapped_balances, translated_of
from close.run.stages.receivables import aged_titles
from close.storage.rates import load_rates
from close.storage.receivables import latest_snapshot_run, load_aging_snapshot
from close.storage.rootcause import anomaly_accounts, material_variance_accounts
from close.storage.runs import Run, effective_run
from reports.finance import FinancePack, RootCause

DSO_MONTHS = 6
MAX_VARIANCES = 5  # material month-over-month variances explained besides the anomalies


def load_finance_pack(conn: Connection, run: Run, config: GroupConfig, chart: Chart) -> FinancePack:
    """Build the run's finance pages from PostgreSQL (parts without inputs are left empty)."""
    pc = config.presentation_currency
    pack = {"group_id": config.id, "period": run.period, "run_id": run.id, "currency": pc}
    aged = aged_titles(conn, run, config)
    if aged is not None:
        local = mapped_balances(conn, run.id)
        by_entity = aging_by_entity(aged)
        closing = {r.currency: r.rate for r in load_rates(conn, (run.period,), presentation_currency=pc)
                   if r.rate_type == "closing"}
        s = config.receivables
        pack |= {
            "aging": translate_aging(by_entity, closing, pc),
            "provision": required_vs_booked(ecl_provision(by_entity, s.rates()),
                                            tb_balances(local, s.allowance_account, credit=True)),
            "top_overdue": top_overdue_customers(aged, s.top_customers),
            "movement": _movement(conn, run, config, aged),
            "dso": _dso(conn, run, config, chart, by_entity, local),
        }
    if config.files.standard_costs:
        cards = parse_standard_costs(read_file(conn, run.id, config.files.standard_costs),
                                     entities=frozenset(e.id for e in config.entities),
                                     source=config.files.standard_costs, period=run.period)
        variances = [(c.entity, cost_variances(c.product, c.inputs, actual_units=c.actual_units,
                                               batch_output=c.batch_output, budget_units=c.budget_units))
                     for c in cards]
        pack |= {"variances": tuple(variances), "cvp": tuple(
            (c.entity, cvp(c.product, units=c.actual_units, variable_costs=v.actual_cost,
                           selling_price=c.selling_price, fixed_costs=c.fixed_costs))
            for c, (_, v) in zip(cards, variances, strict=True))}
    pack["root_causes"] = _root_causes(conn, run, config, chart)
    return FinancePack(**pack)


def _dso(conn: Connection, run: Run, config: GroupConfig, chart: Chart, by_entity: pd.DataFrame,
         local: pd.DataFrame) -> tuple:
    """Count-back DSO per entity from its local revenue of this and earlier months."""
    revenue = set(chart.accounts.index[chart.column("class") == "revenue"])
    sales: dict[str, list[tuple[str, int]]] = {e: [] for e in by_entity["entity"]}
    for back in range(DSO_MONTHS):
        period = add_months(run.period, -back)
        earlier = local if back == 0 else _local_of(conn, config.id, period)
        if earlier is None:
            break
        rows = earlier[earlier["std_account"].isin(revenue)]
        month = (rows["credit"] - rows["debit"]).groupby(rows["entity"]).sum()
        for e in sales:
            sales[e].append((period, int(month.get(e, 0))))
    return tuple((r["entity"], count_back_dso(int(r["total"]), sales[r["entity"]]))
                 for r in by_entity.to_dict("records"))


def _movement(conn: Connection, run: Run, config: GroupConfig, aged: pd.DataFrame) -> pd.DataFrame | None:
    """Bucket movement against the aging snapshot of the previous period, when there is one."""
    prior = latest_snapshot_run(conn, config.id, add_months(run.period, -1))
    return bucket_movement(load_aging_snapshot(conn, prior), aged) if prior else None


def _local_of(conn: Connection, group: str, period: str) -> pd.DataFrame | None:
    found = effective_run(conn, group, period)
    return mapped_balances(conn, found.id) if found else None


def _root_causes(conn: Connection, run: Run, config: GroupConfig, chart: Chart) -> tuple[RootCause, ...]:
    """Decompose each anomaly and the largest material variances against the prior month's run."""
    anomalies = anomaly_accounts(conn, run.id)
    material = [a for a in material_variance_accounts(conn, run.id, MAX_VARIANCES) if a not in anomalies]
    accounts = [(a, "anomaly") for a in anomalies] + [(a, "material variance") for a in material]
    prior = effective_run(conn, config.id, add_months(run.period, -1))
    if not accounts or prior is None:
        return ()
    currencies = {e.id: e.currency for e in config.entities}
    pc = config.presentation_currency
    current = _lines(translated_of(conn, run.id, currencies, pc), chart)
    before = _lines(translated_of(conn, prior.id, currencies, pc), chart)
    history = load_analysis_inputs(conn, run, config, chart).history
    found = []
    for account, why in accounts:
        levels = {p: Decimal(int(f.loc[f["std_account"] == account, "amount"].sum()))
                  for p, f in history.items()}
        tree = decompose(current, before, account)
        name = str(chart.accounts.loc[account, "name"]) if chart.has(account) else ""
        found.append(RootCause(account, name, tree, recurrence(tree.change, month_changes(levels)), why))
    return tuple(found)


def _lines(translated: pd.DataFrame, chart: Chart) -> pd.DataFrame:
    """Return translated rows as root-cause lines: the month's movement for results, else the closing."""
    classes = translated["std_account"].map(chart.column("class")).fillna("")
    results = classes.isin(["revenue", "expense"])
    amount = translated["translated_movement"].where(results, translated["translated"])
    columns = ["std_account", "entity", "account", "cost_center", "counterparty"]
    frame = translated.rename(columns={"entity_id": "entity"})[columns].copy()
    frame["amount"] = amount.astype("int64")
    return frame
