"""VALIDATING: run every check on the run's consolidation, store the findings and the score.

A red score or a failed integrity check stops the run at AWAITING_REVIEW, in the same
transaction as the findings.
"""

from __future__ import annotations

import json

import pandas as pd
from sqlalchemy.engine import Connection

from close.analysis.budget import parse_budget
from close.analysis.covenants import LTM_MONTHS
from close.checks import ValidationContext, run_checks
from close.engine.periods import add_months, previous_period
from close.engine.types import EntityId, RunId
from close.run.env import StageEnv
from close.run.inputs import load_config, load_run_chart, read_file
from close.run.stages import StageOutput, digest_of
from close.run.stages.consolidating import consolidated_of, mapped_balances, translated_of
from close.run.stages.receivables import aged_titles, receivables_findings
from close.run.state import RunStatus
from close.storage.balances import copy_rows
from close.storage.rates import load_rates
from close.storage.results import fact_payloads, mapping_rows
from close.storage.runs import Run, effective_run, events, set_validation_score


def facts_of(conn: Connection, run_id: RunId, kind: str) -> pd.DataFrame:
    """One kind of consolidation fact of a run, as a frame of its payloads."""
    return pd.DataFrame(fact_payloads(conn, run_id, kind))


def unexplained_of(conn: Connection, run_id: RunId) -> pd.DataFrame | None:
    """Return what each management trial balance's UNRECONCILED line holds (EXTRACTING recorded it)."""
    rows = [{"entity": event["entity_id"], **item} for event in events(conn, run_id)
            if event["kind"] == "stage_done" and event["stage"] == RunStatus.EXTRACTING.value
            and isinstance(event["detail"], dict)
            for item in event["detail"].get("unexplained", ())]
    return pd.DataFrame(rows) if rows else None


def budget_of(data: bytes | None, period: str, currency: str, source: str = "budget") -> pd.DataFrame | None:
    """Return the consolidated budget of a period (rows with a blank entity), or None without a budget."""
    if data is None:
        return None
    return parse_budget(data, period=period, currency=currency, source=source)[["std_account", "amount"]]


def earlier_consolidated(conn: Connection, group_id: str, period: str, pc: str) -> tuple[pd.DataFrame, ...]:
    """Return the consolidated balances of the 11 months before ``period`` (effective runs), latest first.

    A month without an effective run is left out (the covenants then say how many months the
    last twelve cover).
    """
    out = []
    for back in range(1, LTM_MONTHS):
        earlier = effective_run(conn, group_id, add_months(period, -back))
        if earlier is not None:
            out.append(consolidated_of(conn, earlier.id, pc))
    return tuple(out)


def validate_run(env: StageEnv, run: Run, _entity: EntityId | None) -> StageOutput:
    """Run VALIDATING for the whole group."""
    with env.db.tx() as conn:
        config = load_config(conn, run.id)
        pc = config.presentation_currency
        chart = load_run_chart(conn, run.id, config)
        currencies = {e.id: e.currency for e in config.entities}
        prior_run = effective_run(conn, config.id, previous_period(run.period))
        all_rates = load_rates(conn, (previous_period(run.period), run.period), presentation_currency=pc,
                               group_id=config.id)
        mapping = pd.DataFrame(mapping_rows(conn, run.id),
                               columns=["entity", "account", "std_account", "source"])
        local = mapped_balances(conn, run.id)
        ctx = ValidationContext(
            period=run.period, presentation_currency=pc, chart=chart, entities=config.entities,
            local=local.assign(currency=local["entity"].map(currencies)),
            mapping=mapping,
            translated=translated_of(conn, run.id, currencies, pc),
            consolidated=consolidated_of(conn, run.id, pc),
            cta=facts_of(conn, run.id, "cta"),
            ic_pairs=facts_of(conn, run.id, "ic_pair"),
            rates=tuple(r for r in all_rates if r.period == run.period),
            prior_rates=tuple(r for r in all_rates if r.period == previous_period(run.period)),
            prior_consolidated=consolidated_of(conn, prior_run.id, pc) if prior_run else None,
            prior_local=mapped_balances(conn, prior_run.id) if prior_run else None,
            budget=budget_of(read_file(conn, run.id, config.files.budget) if config.files.budget else None,
                             run.period, pc, source=config.files.budget or "budget"),
            journal_lines=None,
            settings=config.validation,
            thresholds=config.thresholds,
            fiscal_year_start=config.fiscal_year_start,
            unexplained=unexplained_of(conn, run.id),
            receivables_findings=receivables_findings(aged_titles(conn, run, config), local, config),
            covenants=config.covenants,
            earlier_consolidated=earlier_consolidated(conn, config.id, run.period, pc)
            if config.covenants is not None else (),
        )
    report = run_checks(ctx)
    tenant = env.db.tenant
    rows = [(tenant, run.id, i, r.code, r.category, r.severity, r.entity, r.account, r.expected, r.actual,
             r.difference, r.message) for i, r in enumerate(report.results, start=1)]
    failed = [r for r in report.results if r.severity == "fail"]

    def write(conn: Connection) -> None:
        set_validation_score(conn, run.id, report.score)
        copy_rows(conn, "validation_results", ("tenant_id", "run_id", "seq", "code", "category", "severity",
                  "entity_id", "account", "expected", "actual", "difference", "message"), rows)

    stop = report.blocking
    return StageOutput(
        write=write,
        digest=digest_of(json.dumps([r[3:] for r in rows], default=str)),
        message=f"validation score {report.score} ({report.light}); {len(failed)} failed checks",
        detail={"score": str(report.score), "light": report.light, "failed": len(failed)},
        then=RunStatus.AWAITING_REVIEW if stop else None,
        then_reason=f"stopped for review: score {report.score} ({report.light})" if stop else "",
    )
