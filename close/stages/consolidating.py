"""CONSOLIDATING: load the mapped trial balances, rates and history; consolidate; store the result."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from close.adjustments import parse_adjustments
from close.config import GroupConfig
from close.consolidation import ConsolidationInputs, ConsolidationResult, consolidate
from close.errors import InputDataError
from close.frames import MAPPED_TB_COLUMNS
from close.fx import OpeningBalances, PeriodRates
from close.money import exponent, from_minor
from close.opening import parse_opening_balances
from close.periods import previous_period
from close.rates.files import parse_rates_file
from close.rates.model import FxRate
from close.stages import StageEnv, StageOutput, digest_of
from close.stages.inputs import load_config, load_run_chart, read_file
from close.storage.balances import copy_rows, read_trial_balances, write_frame
from close.storage.runs import Run, effective_run
from close.types import Currency, EntityId, RunId

TRANSLATED_COLUMNS: tuple[str, ...] = (
    "entity", "std_account", "counterparty", "cost_center", "department", "local_closing",
    "local_movement", "rate", "rate_type", "translated", "translated_movement",
)


def mapped_balances(conn: Connection, run_id: RunId) -> pd.DataFrame:
    """The run's extracted lines with their standard accounts (MAPPED_TB_COLUMNS)."""
    lines = read_trial_balances(conn, run_id)
    mapping = pd.DataFrame(conn.execute(sa.text(
        "SELECT entity_id AS entity, account, std_account FROM account_mappings "
        "WHERE run_id = CAST(:r AS uuid)"), {"r": run_id}).all(), columns=["entity", "account", "std_account"])
    return lines.merge(mapping, on=["entity", "account"], how="left")[list(MAPPED_TB_COLUMNS)]


def translated_of(conn: Connection, run_id: RunId, currencies: Mapping[EntityId, Currency],
                  presentation: Currency) -> pd.DataFrame:
    """A run's translated entity balances, as the next period's ``prior``."""
    rows = conn.execute(sa.text(
        "SELECT entity_id, std_account, counterparty, cost_center, department, local_closing, local_movement, "
        "rate::text, rate_type, translated, translated_movement FROM translated_balances "
        "WHERE run_id = CAST(:r AS uuid) ORDER BY entity_id, std_account"), {"r": run_id}).all()
    pe = exponent(presentation)
    records = []
    for r in rows:
        le = exponent(currencies.get(r[0], presentation))
        records.append((*r[:5], int(r[5].scaleb(le)), int(r[6].scaleb(le)), r[7] or "", r[8],
                        int(r[9].scaleb(pe)), int(r[10].scaleb(pe))))
    frame = pd.DataFrame(records, columns=list(TRANSLATED_COLUMNS))
    for c in ("local_closing", "local_movement", "translated", "translated_movement"):
        frame[c] = frame[c].astype("int64")
    return frame


def period_rates(rates: tuple[FxRate, ...], period: str, presentation: Currency) -> PeriodRates:
    """The closing and average rates of one period, from the rates the run uses."""
    closing = {r.currency: r.rate for r in rates if r.period == period and r.rate_type == "closing"
               and r.presentation_currency == presentation}
    average = {r.currency: r.rate for r in rates if r.period == period and r.rate_type == "average"
               and r.presentation_currency == presentation}
    return PeriodRates(closing=closing, average=average)


def load_inputs(conn: Connection, run: Run, config: GroupConfig) -> tuple[ConsolidationInputs, tuple[FxRate, ...]]:
    """Everything ``consolidate`` needs, from the run's snapshot and the prior effective run."""
    chart = load_run_chart(conn, run.id, config)
    if not config.files.rates:
        raise InputDataError("the group config names no rates file", field="files.rates")
    rates = parse_rates_file(read_file(conn, run.id, config.files.rates).decode("utf-8-sig"),
                             name=config.files.rates, presentation_currency=config.presentation_currency,
                             retrieved_at=run.created_at.astimezone(UTC))
    currencies = {e.id: e.currency for e in config.entities}
    prior_run = effective_run(conn, config.id, previous_period(run.period))
    prior = (translated_of(conn, prior_run.id, currencies, config.presentation_currency)
             if prior_run else None)
    opening = None
    if config.files.opening_balances:
        opening = parse_opening_balances(
            read_file(conn, run.id, config.files.opening_balances), source=config.files.opening_balances,
            chart=chart, entities=frozenset(currencies), presentation_currency=config.presentation_currency)
    if prior is None and opening is None:
        raise InputDataError(f"no effective run for {previous_period(run.period)} and no opening-balances "
                             "file: translated equity, CTA and historical rates are unknown",
                             field="files.opening_balances")
    if opening is not None and prior is not None:
        # After the first period translated history comes from the prior run; the file's
        # historical rates stay in force.
        opening = OpeningBalances(translated=opening.translated.iloc[0:0],
                                  historical_rates=opening.historical_rates)
    adjustments = tuple(j for name in config.files.adjustments
                        for j in parse_adjustments(read_file(conn, run.id, name), source=name, chart=chart,
                                                   currency=config.presentation_currency))
    inputs = ConsolidationInputs(
        period=run.period, fiscal_year_start=config.fiscal_year_start,
        presentation_currency=config.presentation_currency, chart=chart, entities=config.entities,
        balances=mapped_balances(conn, run.id), rates=period_rates(rates, run.period, config.presentation_currency),
        prior=prior, opening=opening,
        adjustments=adjustments, intercompany=config.intercompany,
    )
    return inputs, tuple(r for r in rates if r.period == run.period)


def _facts(frame: pd.DataFrame) -> list[str]:
    return [json.dumps(rec, default=str, sort_keys=True) for rec in frame.to_dict("records")]


def write_result(conn: Connection, run: Run, tenant: str, config: GroupConfig,
                 result: ConsolidationResult, rates: tuple[FxRate, ...]) -> None:
    """Store every output of the consolidation for the run (one transaction: the caller's)."""
    pc = config.presentation_currency
    currencies = {e.id: e.currency for e in config.entities}
    t = result.translated
    rows = [(tenant, run.id, r.entity, r.std_account, r.counterparty, r.cost_center, r.department,
             str(from_minor(r.local_closing, currencies.get(r.entity, pc))),
             str(from_minor(r.local_movement, currencies.get(r.entity, pc))), r.rate or None, r.rate_type,
             str(from_minor(r.translated, pc)), str(from_minor(r.translated_movement, pc)))
            for r in t[list(TRANSLATED_COLUMNS)].itertuples(index=False)]
    copy_rows(conn, "translated_balances", ("tenant_id", "run_id", "entity_id", "std_account", "counterparty",
              "cost_center", "department", "local_closing", "local_movement", "rate", "rate_type", "translated",
              "translated_movement"), rows)
    for j in result.journals:
        conn.execute(sa.text(
            "INSERT INTO journal_entries (tenant_id, run_id, journal_id, kind, basis, description, detail) VALUES "
            "(current_setting('app.tenant_id'), CAST(:r AS uuid), :j, :k, :b, :d, CAST(:x AS jsonb))"),
            {"r": run.id, "j": j.journal_id, "k": j.kind, "b": j.basis, "d": j.description,
             "x": json.dumps(dict(j.detail) if j.detail else {}, default=str)})
        copy_rows(conn, "journal_lines", ("tenant_id", "run_id", "journal_id", "line_no", "entity_id",
                                          "std_account", "counterparty", "amount", "memo", "source"),
                  [(tenant, run.id, j.journal_id, i, ln.entity or "", ln.account, ln.counterparty or "",
                    str(from_minor(ln.amount, pc)), ln.memo or "", json.dumps(dict(ln.source or {}), default=str))
                   for i, ln in enumerate(j.lines, start=1)])
    cons = result.consolidated.merge(result.consolidated_movement.rename(columns={"amount": "movement"}),
                                     on="std_account", how="outer").fillna({"amount": 0, "movement": 0})
    cons["amount"] = cons["amount"].astype("int64")
    cons["movement"] = cons["movement"].astype("int64")
    write_frame(conn, "consolidated_balances", cons, run_id=run.id, tenant=tenant,
                columns=("std_account", "amount", "movement"), money={"amount": pc, "movement": pc})
    write_frame(conn, "consolidation_worksheet", result.worksheet.rename(columns={"entity": "entity_id"}),
                run_id=run.id, tenant=tenant, columns=("entity_id", "std_account", "column", "amount"),
                money={"amount": pc})
    for kind, frame in (("cta", result.cta), ("ic_pair", result.ic_pairs), ("nci", result.nci),
                        ("goodwill", result.goodwill)):
        copy_rows(conn, "consolidation_facts", ("tenant_id", "run_id", "kind", "seq", "payload"),
                  [(tenant, run.id, kind, i, p) for i, p in enumerate(_facts(frame), start=1)])
    # The rates used, with their provenance, for the package's FX sheet.
    copy_rows(conn, "consolidation_facts", ("tenant_id", "run_id", "kind", "seq", "payload"),
              [(tenant, run.id, "rate", i, json.dumps(
                  {"currency": r.currency, "rate_type": r.rate_type, "rate": str(r.rate), "source": r.source,
                   "method": r.method, "quoted": str(r.quoted), "quote_direction": r.quote_direction},
                  sort_keys=True)) for i, r in enumerate(rates, start=1)])


def consolidate_run(env: StageEnv, run: Run, _entity: EntityId | None) -> StageOutput:
    """CONSOLIDATING for the whole group.

    Raises:
        InputDataError: a missing rate, opening balance or malformed adjustment, named.
    """
    with env.db.tx() as conn:
        config = load_config(conn, run.id)
        inputs, rates = load_inputs(conn, run, config)
    result = consolidate(inputs)
    tenant = env.db.tenant
    consolidated_csv = result.consolidated.sort_values("std_account").to_csv(index=False)
    return StageOutput(
        write=lambda conn: write_result(conn, run, tenant, config, result, rates),
        digest=digest_of(consolidated_csv),
        message=f"consolidated {len(config.entities)} entities into {len(result.consolidated)} accounts; "
                f"{len(result.journals)} journals",
        detail={"journals": len(result.journals), "accounts": len(result.consolidated),
                "prior_run": "carried" if inputs.prior is not None else "opening balances file",
                "at": datetime.now(UTC).isoformat(timespec="seconds")},
    )
