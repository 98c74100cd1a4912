"""EXTRACTING, for one entity: its connector reads the period's trial balance, which must balance.

The chord's one other task, keyed ``@rates``, stores the period's FX rates (``close.run.stages.rates``).
"""

from __future__ import annotations

from typing import Any

from close.engine.types import EntityId
from close.run.env import StageEnv
from close.run.inputs import load_config, read_file
from close.run.stages import StageOutput, digest_of
from close.run.stages.rates import RATES_KEY, fetch_run_rates
from close.run.stages.reuse import (
    FILE_PREFIX,
    PAYLOAD_INPUT,
    SOURCE_INPUT,
    parent_record,
    rerun_reason,
    reusable,
    source_digest,
)
from close.run.state import RunStatus
from close.secrets import write_secret
from close.storage.balances import write_trial_balance
from close.storage.runs import Run, StageRecord, copy_lines, get_input, stage_done_detail
from connectors.base import ConnectorContext
from connectors.registry import connector_class, create_connector, files_for
from connectors.settings import secret_env_var
from connectors.trial_balance import check_trial_balance_balances


def extract_entity(env: StageEnv, run: Run, entity_id: EntityId | None) -> StageOutput:
    """Extract one entity's trial balance through its connector (or take it over from the parent run).

    A re-run whose entity has the same source settings and file digests as in the run it supersedes
    copies that run's lines of the entity instead (``close.run.stages.reuse``).

    Raises:
        InputDataError: a malformed file or response, or a trial balance that does not balance.
        RetriableError: the source is unreachable for now.

    """
    assert entity_id is not None, "EXTRACTING runs per entity"
    if entity_id == RATES_KEY:
        return fetch_run_rates(env, run, entity_id)
    db = env.db
    stage = RunStatus.EXTRACTING.value
    with db.tx() as conn:
        config = load_config(conn, run.id)
        entity = config.entity(entity_id)
        names = files_for(entity.connector, entity.source, run.period, entity=entity.id)
        digests = {n: found[1] for n in names if (found := get_input(conn, run.id, n))}
        before = parent_record(conn, run, stage, entity.id)
        # A file source is known by its bytes before reading it; an ERP's only by fetching it.
        inputs = ({SOURCE_INPUT: source_digest(entity), **{FILE_PREFIX + n: d for n, d in digests.items()}}
                  if digests else {})
        if reusable(before, inputs):
            return _reuse(run, entity.id, inputs, before,
                          stage_done_detail(conn, before.run_id, stage, entity.id) or {})

    def open_file(name: str) -> bytes:
        with db.tx() as c:
            return read_file(c, run.id, name)

    secrets = {k: v.get_secret_value() for k, v in env.settings.secrets.items()}
    secrets_file = env.settings.secrets_file

    def store_secret(name: str, value: str) -> None:
        # A rotated credential (an OAuth refresh token) must survive this process.
        if secrets_file is not None:
            write_secret(secrets_file, secret_env_var(entity.id, name, entity.source), value)

    context = ConnectorContext(entity=entity.id, currency=entity.currency, open_file=open_file,
                               secrets=secrets, redis_url=env.settings.broker_url, store_secret=store_secret)
    # Connectors that compute year-to-date income-statement lines (the management TBs) declare
    # fiscal_year_start in their settings model: the group's, unless the entity's source sets one.
    model = connector_class(entity.connector, entity=entity.id).SETTINGS
    declared = "fiscal_year_start" in model.model_fields
    settings = {"fiscal_year_start": config.fiscal_year_start, **entity.source} if declared else entity.source
    connector = create_connector(entity.connector, settings, context)
    with connector:
        frame = connector.get_trial_balance(run.period)
        # a management TB's UNRECONCILED line, item by item (read back by VALIDATING)
        unexplained = [dict(item) for item in connector.unexplained_movements()]
    source = ", ".join(names) or entity.connector
    check_trial_balance_balances(frame, entity=entity.id, source=source)
    tenant = db.tenant
    digest = digest_of(*sorted(digests.values())) if digests else digest_of(frame.to_csv(index=False))
    if not inputs:
        inputs = {SOURCE_INPUT: source_digest(entity), PAYLOAD_INPUT: digest}
    why = rerun_reason(run, inputs, before) or (
        f"its source was fetched again (run {run.parent_run_id[:8]})" if run.parent_run_id else "")

    def write(conn: object) -> None:
        write_trial_balance(conn, run.id, run.period, entity.currency, frame, tenant)  # type: ignore[arg-type]

    return StageOutput(
        write=write,
        digest=digest,
        message=f"extracted {len(frame)} lines for entity {entity.id} via {entity.connector}"
                + (f" (re-run: {why})" if why else ""),
        detail={"entity": entity.id, "lines": len(frame), "connector": entity.connector,
                "inputs": digests, **({"rerun_reason": why} if why else {}),
                **({"unexplained": unexplained} if unexplained else {})},
        inputs=inputs,
    )


def _reuse(run: Run, entity_id: EntityId, inputs: dict[str, str], before: StageRecord,
           parent_detail: dict[str, Any]) -> StageOutput:
    """Take the parent's extracted lines of an entity whose inputs are unchanged (copied in PostgreSQL)."""
    parent = before.run_id
    reason = f"inputs unchanged since run {parent[:8]} ({', '.join(sorted(inputs))})"
    carried = {k: parent_detail[k] for k in ("lines", "connector", "inputs", "unexplained")
               if k in parent_detail}
    return StageOutput(
        write=lambda conn: copy_lines(conn, parent, run.id, [entity_id]),
        digest=before.output_digest or "",
        message=f"reused the extraction of entity {entity_id} from run {parent[:8]}: {reason}",
        detail={"entity": entity_id, **carried, "reused_from": parent, "reason": reason},
        inputs=inputs,
    )
