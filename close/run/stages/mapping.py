"""MAPPING: every extracted account gets its standard-chart account for this run.

Mapping is per entity (an entity's accounts and the mapping file decide its rows), so a re-run maps
again only the entities whose extracted lines, the mapping file or the chart changed, and copies the
others' rows from the run it supersedes (``close.run.stages.reuse``).
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy.engine import Connection

from close.config import GroupConfig
from close.engine.mapping import parse_mapping, resolve_mapping
from close.engine.types import EntityId
from close.errors import InputDataError
from close.run.env import StageEnv
from close.run.inputs import load_config, load_run_chart, read_file
from close.run.stages import RunStopped, StageOutput, digest_of
from close.run.stages.rates import extract_keys
from close.run.stages.reuse import EXTRACT_PREFIX, parent_record, rerun_reason
from close.run.state import RunStatus
from close.storage.balances import read_trial_balances, write_frame
from close.storage.runs import (
    Run,
    StageRecord,
    copy_mappings,
    count_mappings,
    done_stages,
    get_input,
    output_digests,
    stage_done_detail,
)

MAPPING_FILE_INPUT = "mapping_file"
CHART_INPUT = "chart"
SHARED_INPUTS = (MAPPING_FILE_INPUT, CHART_INPUT)  # a change here re-maps every entity


def mapping_inputs(conn: Connection, run: Run, config: GroupConfig) -> dict[str, str]:
    """Return what the mapping is computed from: the mapping file, the chart and each entity's lines."""
    def file_digest(name: str | None) -> str:
        found = get_input(conn, run.id, name) if name else None
        return found[1] if found else "default"

    extracted = output_digests(conn, run.id, RunStatus.EXTRACTING.value)
    return {MAPPING_FILE_INPUT: file_digest(config.files.mapping),
            CHART_INPUT: file_digest(config.files.chart),
            **{EXTRACT_PREFIX + e.id: extracted.get(e.id, "") for e in config.entities}}


def reusable_entities(inputs: dict[str, str], before: StageRecord | None,
                      entities: list[EntityId]) -> list[EntityId]:
    """Return the entities whose mapping the parent computed from these same inputs."""
    if before is None or any(before.inputs.get(k) != inputs[k] for k in SHARED_INPUTS):
        return []
    return [e for e in entities if e in before.parts
            and before.inputs.get(EXTRACT_PREFIX + e) == inputs[EXTRACT_PREFIX + e]]


def map_accounts(env: StageEnv, run: Run, _entity: EntityId | None) -> StageOutput:
    """Resolve the mapping of every entity account of the run (copying unchanged entities' on a re-run).

    Raises:
        RunStopped: an entity has not been extracted (its extract failed).
        InputDataError: the mapping file is missing or malformed.

    """
    stage = RunStatus.MAPPING.value
    with env.db.tx() as conn:
        config = load_config(conn, run.id)
        done = done_stages(conn, run.id)
        missing = [k for k in extract_keys(config) if (RunStatus.EXTRACTING.value, k) not in done]
        if missing:
            raise RunStopped(f"not extracted yet: {', '.join(missing)}")
        chart = load_run_chart(conn, run.id, config)
        if not config.files.mapping:
            raise InputDataError("the group config names no mapping file", field="files.mapping")
        mapping = parse_mapping(read_file(conn, run.id, config.files.mapping), source=config.files.mapping,
                                chart=chart)
        inputs = mapping_inputs(conn, run, config)
        before = parent_record(conn, run, stage)
        entities = [e.id for e in config.entities]
        reused = reusable_entities(inputs, before, entities)
        redo = [e for e in entities if e not in reused]
        lines = read_trial_balances(conn, run.id, redo) if redo else None
        taken = before if before is not None and reused else None  # the parent's checkpoint, when reused
        reused_accounts = count_mappings(conn, taken.run_id, reused) if taken else 0
        parent_unmapped = ((stage_done_detail(conn, taken.run_id, stage) or {}).get("unmapped", [])
                           if taken else [])
    resolved = (resolve_mapping(lines, mapping, chart) if lines is not None and len(lines)
                else pd.DataFrame(columns=["entity", "account", "std_account", "source"]))
    parts = {str(e): digest_of(rows.to_csv(index=False)) for e, rows in resolved.groupby("entity", sort=True)}
    if taken:
        parts |= {e: taken.parts[e] for e in reused}
    unmapped = resolved[resolved["source"] == "unmapped"][["entity", "account"]].values.tolist()
    unmapped += [u for u in parent_unmapped if u[0] in reused]
    tenant = env.db.tenant

    def write(conn: Connection) -> None:
        if len(resolved):
            write_frame(conn, "account_mappings", resolved.rename(columns={"entity": "entity_id"}),
                        run_id=run.id, tenant=tenant,
                        columns=("entity_id", "account", "std_account", "source"), money={})
        if taken:
            copy_mappings(conn, taken.run_id, run.id, reused)

    accounts = len(resolved) + reused_accounts
    why = rerun_reason(run, inputs, before)
    note = f"; re-run: mapped every entity again ({why})" if why else ""
    if taken:
        note = (f"; re-run: reused the mapping of {', '.join(reused)} from run {taken.run_id[:8]} "
                "(their lines, the mapping file and the chart are unchanged); "
                f"mapped again: {', '.join(redo) or 'none'}")
    return StageOutput(
        write=write,
        digest=digest_of(*(f"{e}={parts[e]}\n" for e in sorted(parts))),
        message=f"mapped {accounts} accounts; {len(unmapped)} unmapped carried on suspense{note}",
        detail={"accounts": accounts, "unmapped": sorted(unmapped),
                **({"reused": reused, "reused_from": taken.run_id, "remapped": redo,
                    "reason": "extracted lines, mapping file and chart unchanged"} if taken else {})},
        inputs=inputs,
        parts=parts,
    )
