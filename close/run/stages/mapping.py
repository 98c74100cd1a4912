"""MAPPING: every extracted account gets its standard-chart account for this run."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from close.engine.mapping import parse_mapping, resolve_mapping
from close.engine.types import EntityId
from close.errors import InputDataError
from close.run.env import StageEnv
from close.run.inputs import load_config, load_run_chart, read_file
from close.run.stages import RunStopped, StageOutput, digest_of
from close.run.stages.rates import extract_keys
from close.run.state import RunStatus
from close.storage.balances import read_trial_balances, write_frame
from close.storage.runs import Run, done_stages


def map_accounts(env: StageEnv, run: Run, _entity: EntityId | None) -> StageOutput:
    """Resolve the mapping of every entity account of the run.

    Raises:
        RunStopped: an entity has not been extracted (its extract failed).
        InputDataError: the mapping file is missing or malformed.

    """
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
        lines = read_trial_balances(conn, run.id)
    resolved = resolve_mapping(lines, mapping, chart)
    unmapped = resolved[resolved["source"] == "unmapped"]
    tenant = env.db.tenant

    def write(conn: Connection) -> None:
        write_frame(conn, "account_mappings", resolved.rename(columns={"entity": "entity_id"}),
                    run_id=run.id, tenant=tenant, columns=("entity_id", "account", "std_account", "source"),
                    money={})

    return StageOutput(
        write=write,
        digest=digest_of(resolved.to_csv(index=False)),
        message=f"mapped {len(resolved)} accounts; {len(unmapped)} unmapped carried on suspense",
        detail={"accounts": len(resolved), "unmapped": unmapped[["entity", "account"]].values.tolist()},
    )
