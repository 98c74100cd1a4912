"""ANALYZING: variances with drivers, anomalies, KPIs and commentary for the run's month."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal

import pandas as pd
from sqlalchemy.engine import Connection

from close.analysis.budget import parse_budget
from close.analysis.kpis import Kpi, KpiInputs, compute_kpis
from close.analysis.variances import AnalysisInputs, AnalysisResult, DriverFigures, analyze, variance_to_json
from close.config import GroupConfig
from close.engine.chart import BALANCE_SHEET_CLASSES, Chart
from close.engine.fx import translate_amount
from close.engine.periods import add_months
from close.engine.types import Currency, EntityId, Period, RunId
from close.run.env import StageEnv
from close.run.inputs import load_config, load_run_chart, read_file
from close.run.stages import StageOutput, digest_of
from close.run.stages.commentating import commentary_writer, explain
from close.run.stages.consolidating import consolidated_of, translated_of
from close.run.stages.receivables import receivables_step
from close.storage.balances import copy_rows
from close.storage.results import average_rates
from close.storage.runs import Run, effective_run


def month_figures(consolidated: pd.DataFrame, chart: Chart) -> pd.DataFrame:
    """Figures as the analysis reads them: balance-sheet closings, income-statement month movements."""
    classes = consolidated["std_account"].map(chart.column("class"))
    amount = consolidated["amount"].where(classes.isin(BALANCE_SHEET_CLASSES), consolidated["movement"])
    return pd.DataFrame({"std_account": consolidated["std_account"], "amount": amount.astype("int64")})


def entity_figures(translated: pd.DataFrame, chart: Chart) -> pd.DataFrame:
    """Per-entity translated month figures with dimensions, for driver tables."""
    classes = translated["std_account"].map(chart.column("class"))
    amount = translated["translated"].where(classes.isin(BALANCE_SHEET_CLASSES),
                                            translated["translated_movement"])
    return pd.DataFrame({"entity": translated["entity"], "std_account": translated["std_account"],
                         "cost_center": translated["cost_center"], "department": translated["department"],
                         "amount": amount.astype("int64")})


def entity_budget(rows: pd.DataFrame) -> pd.DataFrame:
    """Return the entities' own budget rows (``parse_budget``) as driver figures, without dimensions."""
    return pd.DataFrame({"entity": rows["entity"], "std_account": rows["std_account"], "cost_center": "",
                         "department": "", "amount": rows["amount"].astype("int64")})


def at_rates(translated: pd.DataFrame, chart: Chart, rates: Mapping[Currency, Decimal],
             currencies: Mapping[EntityId, Currency], presentation: Currency) -> pd.DataFrame | None:
    """Translate this month's local amounts at another month's average rates (constant rates).

    Return None when a currency has no such rate (then no FX effect is claimed).
    """
    classes = translated["std_account"].map(chart.column("class"))
    local = translated["local_closing"].where(classes.isin(BALANCE_SHEET_CLASSES),
                                              translated["local_movement"])
    amounts = []
    for entity, minor in zip(translated["entity"], local, strict=True):
        currency = currencies.get(entity, presentation)
        if currency == presentation:
            amounts.append(int(minor))
        elif currency in rates:
            amounts.append(translate_amount(int(minor), rates[currency], currency, presentation))
        else:
            return None
    out = entity_figures(translated, chart)
    out["amount"] = pd.Series(amounts, dtype="int64", index=out.index)
    return out


def _effective(conn: Connection, group: str, period: Period) -> RunId | None:
    run = effective_run(conn, group, period)
    return run.id if run else None


def load_analysis_inputs(conn: Connection, run: Run, config: GroupConfig, chart: Chart) -> AnalysisInputs:
    """Load current, prior-month, prior-year, budget and 12-month history figures from PostgreSQL."""
    pc = config.presentation_currency
    currencies = {e.id: e.currency for e in config.entities}

    def figures(run_id: RunId | None) -> pd.DataFrame | None:
        return month_figures(consolidated_of(conn, run_id, pc), chart) if run_id else None

    def per_entity(run_id: RunId) -> pd.DataFrame:
        return entity_figures(translated_of(conn, run_id, currencies, pc), chart)

    prior_id = _effective(conn, config.id, add_months(run.period, -1))
    year_id = _effective(conn, config.id, add_months(run.period, -12))
    history = {p: f for k in range(12, 0, -1)
               if (f := figures(_effective(conn, config.id, p := add_months(run.period, -k)))) is not None}
    budget = budget_entities = None
    if config.files.budget:
        rows = parse_budget(read_file(conn, run.id, config.files.budget), period=run.period,
                            currency=config.budget_currency or pc, source=config.files.budget,
                            consolidated_only=False)
        group_rows, own_rows = rows[rows["entity"] == ""], rows[rows["entity"] != ""]
        budget = group_rows[["std_account", "amount"]] if len(group_rows) else None
        budget_entities = entity_budget(own_rows) if len(own_rows) else None
    current_translated = translated_of(conn, run.id, currencies, pc)
    current_entities = entity_figures(current_translated, chart)
    drivers: dict[str, DriverFigures] = {}
    if budget is not None and budget_entities is not None:
        # The entities' own budgets explain a budget variance by entity; set in the presentation
        # currency, they claim no FX effect.
        drivers["budget"] = DriverFigures(current=current_entities, comparison=budget_entities)
    for kind, other in (("mom", prior_id), ("yoy", year_id)):
        if other:
            drivers[kind] = DriverFigures(
                current=current_entities, comparison=per_entity(other),
                current_at_comparison_rates=at_rates(current_translated, chart, average_rates(conn, other),
                                                     currencies, pc))
    return AnalysisInputs(
        chart=chart.accounts.reset_index(drop=True), period=run.period, currency=pc,
        current=figures(run.id), prior_month=figures(prior_id), prior_year=figures(year_id),
        budget=budget, history=history, drivers=drivers, thresholds=config.thresholds,
    )


def _variance_rows(tenant: str, run_id: RunId, result: AnalysisResult) -> list[tuple[object, ...]]:
    return [(tenant, run_id, i, v.entity, v.account, v.kind, str(v.current), str(v.comparison),
             str(v.delta), None if v.pct is None else str(v.pct), v.material,
             json.dumps(variance_to_json(v), sort_keys=True))
            for i, v in enumerate(result.variances, start=1)]


def _anomaly_rows(tenant: str, run_id: RunId, result: AnalysisResult) -> list[tuple[object, ...]]:
    return [(tenant, run_id, a.account, a.period, str(a.change), str(a.median), str(a.mad),
             None if a.z_score is None else str(a.z_score), a.history_points) for a in result.anomalies]


def _kpi_rows(tenant: str, run_id: RunId, kpis: tuple[Kpi, ...]) -> list[tuple[object, ...]]:
    return [(tenant, run_id, k.code, k.name, None if k.value is None else str(k.value), k.unit, k.reason,
             k.formula) for k in kpis]


def analyze_run(env: StageEnv, run: Run, _entity: EntityId | None) -> StageOutput:
    """Run ANALYZING for the whole group."""
    with env.db.tx() as conn:
        config = load_config(conn, run.id)
        chart = load_run_chart(conn, run.id, config)
        inputs = load_analysis_inputs(conn, run, config, chart)
    result = analyze(inputs)
    kpis = compute_kpis(KpiInputs(chart=inputs.chart, period=run.period, currency=inputs.currency,
                                  month=inputs.current, prior_year_month=inputs.prior_year))
    tenant = env.db.tenant
    variance_rows = _variance_rows(tenant, run.id, result)
    kpi_rows = _kpi_rows(tenant, run.id, kpis)
    anomaly_rows = _anomaly_rows(tenant, run.id, result)
    batch = explain(env, run, config, result, chart)
    comments = commentary_writer(tenant, run.id, batch)
    receivables = receivables_step(env, run, config)

    def write(conn: Connection) -> None:
        copy_rows(conn, "variances", ("tenant_id", "run_id", "seq", "entity_id", "account", "kind",
                  "current_amount", "comparison_amount", "delta", "pct", "material", "detail"), variance_rows)
        copy_rows(conn, "anomalies", ("tenant_id", "run_id", "account", "period", "change", "median", "mad",
                  "z_score", "history_points"), anomaly_rows)
        copy_rows(conn, "kpis", ("tenant_id", "run_id", "code", "name", "value", "unit", "reason", "formula"),
                  kpi_rows)
        comments(conn)
        receivables.write(conn)

    material = len(result.material)
    return StageOutput(
        write=write,
        digest=digest_of(json.dumps([r[2:] for r in variance_rows + kpi_rows], default=str)),
        message=f"{len(result.variances)} variances ({material} material), "
                f"{len(result.anomalies)} anomalies, "
                f"{sum(k.value is not None for k in kpis)} KPIs",
        detail={"variances": len(result.variances), "material": material, "anomalies": len(result.anomalies),
                "commentary": {"requests": batch.usage.requests, "cache_hits": batch.usage.cache_hits,
                               "data_only": batch.usage.fallbacks, "input_tokens": batch.usage.input_tokens,
                               "output_tokens": batch.usage.output_tokens,
                               "cost_usd": str(batch.usage.cost_usd)},
                **({"receivables": receivables.detail} if receivables.detail else {})},
    )

