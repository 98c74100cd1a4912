"""CONSOLIDATING: load the mapped trial balances, rates and history; consolidate; store the result."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy.engine import Connection

from close.config import GroupConfig
from close.engine.adjustments import parse_adjustments
from close.engine.consolidation import ConsolidationInputs, ConsolidationResult, consolidate
from close.engine.dividends import resolve_dividends
from close.engine.frames import MAPPED_TB_COLUMNS
from close.engine.fx import TRANSLATED_COLUMNS, OpeningBalances, PeriodRates
from close.engine.money import from_minor
from close.engine.opening import parse_opening_balances
from close.engine.periods import previous_period
from close.engine.types import Currency, EntityId, RunId
from close.errors import InputDataError
from close.rates.coverage import check_rates
from close.rates.model import FxRate
from close.run.env import StageEnv
from close.run.inputs import CONFIG_INPUT, adjustment_files, load_config, load_run_chart, read_file
from close.run.stages import StageOutput, digest_of
from close.run.stages.reuse import EXTRACT_PREFIX, FILE_PREFIX, parent_record, rerun_reason, reusable
from close.run.state import RunStatus
from close.storage.balances import (
    copy_rows,
    read_account_mappings,
    read_consolidated,
    read_translated_balances,
    read_trial_balances,
    write_frame,
    write_translated_balances,
)
from close.storage.rates import load_rates
from close.storage.results import fact_payloads
from close.storage.runs import (
    CONSOLIDATION_OUTPUTS,
    Run,
    StageRecord,
    copy_run_rows,
    effective_run,
    get_input,
    output_digests,
    stage_done_detail,
    stage_records,
)

# What translated_balances stores of close.engine.fx.TRANSLATED_COLUMNS (plus the push-down book).
STORED_TRANSLATED: tuple[str, ...] = (*TRANSLATED_COLUMNS, "book")


def mapped_balances(conn: Connection, run_id: RunId) -> pd.DataFrame:
    """Return the run's extracted lines with their standard accounts (MAPPED_TB_COLUMNS)."""
    lines = read_trial_balances(conn, run_id)
    mapping = read_account_mappings(conn, run_id)
    return lines.merge(mapping, on=["entity", "account"], how="left")[list(MAPPED_TB_COLUMNS)]


def translated_of(conn: Connection, run_id: RunId, currencies: Mapping[EntityId, Currency],
                  presentation: Currency) -> pd.DataFrame:
    """Read a run's translated entity balances, as the next period's ``prior``."""
    return read_translated_balances(conn, run_id, currencies, presentation, STORED_TRANSLATED)


def period_rates(rates: tuple[FxRate, ...], period: str, presentation: Currency) -> PeriodRates:
    """Return the closing and average rates of a period, and the prior period's closing as its opening."""
    def table(kind: str, of: str) -> dict[Currency, Decimal]:
        return {r.currency: r.rate for r in rates
                if r.period == of and r.rate_type == kind and r.presentation_currency == presentation}
    return PeriodRates(closing=table("closing", period), average=table("average", period),
                       opening=table("closing", previous_period(period)))


def run_rates(conn: Connection, run: Run, config: GroupConfig) -> tuple[FxRate, ...]:
    """Return the stored rates of the run's period and of the period before (its opening rates)."""
    return load_rates(conn, (previous_period(run.period), run.period),
                      presentation_currency=config.presentation_currency, group_id=config.id)


def load_inputs(conn: Connection, run: Run,
                config: GroupConfig) -> tuple[ConsolidationInputs, tuple[FxRate, ...]]:
    """Everything ``consolidate`` needs, from the run's snapshot and the prior effective run."""
    chart = load_run_chart(conn, run.id, config)
    rates = run_rates(conn, run, config)
    currencies = {e.id: e.currency for e in config.entities}
    prior_run = effective_run(conn, config.id, previous_period(run.period))
    # The rates task checked this before CONSOLIDATING; a run resumed here checks again.
    check_rates(config, run.period, {r.need for r in rates}, first_period=prior_run is None)
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
    adjustments = tuple(j for name in adjustment_files(conn, run.id, config)
                        for j in parse_adjustments(read_file(conn, run.id, name), source=name, chart=chart,
                                                   entities=currencies,
                                                   presentation_currency=config.presentation_currency))
    inputs = ConsolidationInputs(
        period=run.period, fiscal_year_start=config.fiscal_year_start,
        presentation_currency=config.presentation_currency, chart=chart, entities=config.entities,
        balances=mapped_balances(conn, run.id),
        rates=period_rates(rates, run.period, config.presentation_currency),
        prior=prior, opening=opening,
        adjustments=adjustments, intercompany=config.intercompany,
        prior_consolidated=(consolidated_of(conn, prior_run.id, config.presentation_currency)
                            if prior_run else None),
        dividends=resolve_dividends(config, run.period, rates),
        prior_steps=_prior_facts(conn, prior_run.id, "step") if prior_run else None,
        prior_disposals=_prior_facts(conn, prior_run.id, "disposal_line") if prior_run else None,
        prior_associates=_prior_facts(conn, prior_run.id, "associate") if prior_run else None,
        prior_impairments=_prior_facts(conn, prior_run.id, "impairment") if prior_run else None,
    )
    return inputs, tuple(r for r in rates if r.period == run.period)


def _prior_facts(conn: Connection, run_id: RunId, kind: str) -> pd.DataFrame | None:
    """Return what a prior run carried to the next: its ownership steps or disposed subsidiaries."""
    rows = fact_payloads(conn, run_id, kind)
    return pd.DataFrame(rows) if rows else None


def consolidated_of(conn: Connection, run_id: RunId, currency: Currency) -> pd.DataFrame:
    """Read a run's consolidated balances: std_account, amount, movement (int64 minor units)."""
    return read_consolidated(conn, run_id, currency)


def _facts(frame: pd.DataFrame) -> list[str]:
    return [json.dumps(rec, default=str, sort_keys=True) for rec in frame.to_dict("records")]


def write_result(conn: Connection, run: Run, tenant: str, config: GroupConfig,
                 result: ConsolidationResult, rates: tuple[FxRate, ...]) -> None:
    """Store every output of the consolidation for the run (one transaction: the caller's)."""
    pc = config.presentation_currency
    currencies = {e.id: e.currency for e in config.entities}
    t = result.translated
    if "book" not in t.columns:
        t = t.assign(book="")
    write_translated_balances(conn, run.id, tenant, t[list(STORED_TRANSLATED)], currencies, pc)
    copy_rows(conn, "journal_entries", ("tenant_id", "run_id", "journal_id", "kind", "basis", "memo"),
              [(tenant, run.id, j.journal_id, j.kind, j.basis, j.memo) for j in result.journals])
    copy_rows(conn, "journal_lines", ("tenant_id", "run_id", "journal_id", "line_no", "entity_id",
                                      "std_account", "counterparty", "amount", "memo", "source"),
              [(tenant, run.id, j.journal_id, i, ln.entity, ln.std_account, ln.counterparty,
                str(from_minor(ln.amount, pc)), ln.memo, ln.source)
               for j in result.journals for i, ln in enumerate(j.lines, start=1)])
    cons = result.consolidated.merge(result.consolidated_movement.rename(columns={"amount": "movement"}),
                                     on="std_account", how="outer").fillna({"amount": 0, "movement": 0})
    cons["amount"] = cons["amount"].astype("int64")
    cons["movement"] = cons["movement"].astype("int64")
    write_frame(conn, "consolidated_balances", cons, run_id=run.id, tenant=tenant,
                columns=("std_account", "amount", "movement"), money={"amount": pc, "movement": pc})
    write_frame(conn, "consolidation_worksheet", result.worksheet.rename(columns={"entity": "entity_id"}),
                run_id=run.id, tenant=tenant,
                columns=("entity_id", "std_account", "column", "basis", "amount"), money={"amount": pc})
    for kind, frame in (("cta", result.cta), ("ic_pair", result.ic_pairs), ("nci", result.nci),
                        ("goodwill", result.goodwill), ("ppa", result.ppa), ("step", result.steps),
                        ("disposal", result.disposals), ("disposal_line", result.disposal_lines),
                        ("associate", result.associates), ("impairment", result.impairments)):
        copy_rows(conn, "consolidation_facts", ("tenant_id", "run_id", "kind", "seq", "payload"),
                  [(tenant, run.id, kind, i, p) for i, p in enumerate(_facts(frame), start=1)])
    # The rates used, with their provenance, for the package's FX sheet.
    copy_rows(conn, "consolidation_facts", ("tenant_id", "run_id", "kind", "seq", "payload"),
              [(tenant, run.id, "rate", i, json.dumps(
                  {"currency": r.currency, "rate_type": r.rate_type, "rate": str(r.rate), "source": r.source,
                   "method": r.method, "quoted": str(r.quoted), "quote_direction": r.quote_direction},
                  sort_keys=True)) for i, r in enumerate(rates, start=1)])


PRIOR_CLOSING_INPUT = "prior_closing"  # the prior period's effective run's CONSOLIDATING output digest
PRIOR_RUN_INPUT = "prior_run"  # not a digest: the id of the prior effective run whose facts were read
NO_PRIOR = "none"  # the first period: opening balances come from the file


def consolidation_inputs(conn: Connection, run: Run, config: GroupConfig,
                         rates: tuple[FxRate, ...]) -> tuple[dict[str, str], Run | None]:
    """Return what the consolidation is computed from (name → sha256), and the prior effective run.

    ``prior_closing`` is what makes a later period stale when an earlier one is re-closed with
    other figures (``close.run.staleness``).
    """
    files = [n for n in (config.files.chart, config.files.opening_balances) if n]
    files += adjustment_files(conn, run.id, config)
    mapping = stage_records(conn, [run.id], RunStatus.MAPPING.value).get(run.id)
    prior_run = effective_run(conn, config.id, previous_period(run.period))
    prior = (stage_records(conn, [prior_run.id], RunStatus.CONSOLIDATING.value).get(prior_run.id)
             if prior_run else None)
    extracted = output_digests(conn, run.id, RunStatus.EXTRACTING.value)
    rate_rows = sorted((r.period, r.currency, r.rate_type, str(r.rate), r.presentation_currency)
                       for r in rates)
    inputs = {
        "config": (get_input(conn, run.id, CONFIG_INPUT) or (b"", ""))[1],
        "mapping": mapping.output_digest or "" if mapping else "",
        "rates": digest_of(json.dumps(rate_rows)),
        PRIOR_CLOSING_INPUT: (prior.output_digest or "") if prior else NO_PRIOR,
        # The prior run's carried facts (ownership steps, disposals, associates) are read by id.
        PRIOR_RUN_INPUT: prior_run.id if prior_run else NO_PRIOR,
        **{EXTRACT_PREFIX + e.id: extracted.get(e.id, "") for e in config.entities},
        **{FILE_PREFIX + n: (get_input(conn, run.id, n) or (b"", ""))[1] for n in files},
    }
    return inputs, prior_run


def result_digest(result: ConsolidationResult) -> str:
    """Return the sha256 of what the next period carries: the consolidated and translated balances."""
    consolidated_csv = result.consolidated.sort_values("std_account").to_csv(index=False)
    translated = pd.util.hash_pandas_object(result.translated[list(TRANSLATED_COLUMNS)], index=False)
    return digest_of(consolidated_csv, translated.to_numpy().tobytes())


def consolidate_run(env: StageEnv, run: Run, _entity: EntityId | None) -> StageOutput:
    """CONSOLIDATING for the whole group.

    Raises:
        InputDataError: a missing rate, opening balance or malformed adjustment, named.

    """
    stage = RunStatus.CONSOLIDATING.value
    with env.db.tx() as conn:
        config = load_config(conn, run.id)
        recorded, prior_run = consolidation_inputs(conn, run, config, run_rates(conn, run, config))
        before = parent_record(conn, run, stage)
        if reusable(before, recorded):
            return _reuse(run, recorded, before, stage_done_detail(conn, before.run_id, stage) or {})
        why = rerun_reason(run, recorded, before)
        inputs, rates = load_inputs(conn, run, config)
    result = consolidate(inputs)
    tenant = env.db.tenant
    return StageOutput(
        write=lambda conn: write_result(conn, run, tenant, config, result, rates),
        digest=result_digest(result),
        message=f"consolidated {len(config.entities)} entities into {len(result.consolidated)} accounts; "
                f"{len(result.journals)} journals" + (f" (re-run: {why})" if why else ""),
        detail={"journals": len(result.journals), "accounts": len(result.consolidated),
                "prior_run": "carried" if inputs.prior is not None else "opening balances file",
                "prior_run_id": prior_run.id if prior_run else None,
                **({"rerun_reason": why} if why else {}),
                "at": datetime.now(UTC).isoformat(timespec="seconds")},
        inputs=recorded,
    )


def _reuse(run: Run, recorded: dict[str, str], before: StageRecord,
           parent_detail: dict[str, Any]) -> StageOutput:
    """Take the parent's consolidation over: every input is the same, so every output would be."""
    parent = before.run_id
    reason = f"inputs unchanged since run {parent[:8]} ({len(recorded)} inputs, digest {before.input_digest})"
    return StageOutput(
        write=lambda conn: copy_run_rows(conn, parent, run.id, CONSOLIDATION_OUTPUTS),
        digest=before.output_digest or "",
        message=f"reused the consolidation of run {parent[:8]}: {reason}",
        detail={**{k: v for k, v in parent_detail.items() if k not in ("rerun_reason", "at")},
                "reused_from": parent, "reason": reason},
        inputs=recorded,
    )
