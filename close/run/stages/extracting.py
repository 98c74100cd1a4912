"""EXTRACTING, for one entity: its connector reads the period's trial balance, which must balance.

The chord's one other task, keyed ``@rates``, stores the period's FX rates (``close.run.stages.rates``).
"""

from __future__ import annotations

from close.engine.types import EntityId
from close.run.env import StageEnv
from close.run.inputs import load_config, read_file
from close.run.stages import StageOutput, digest_of
from close.run.stages.rates import RATES_KEY, fetch_run_rates
from close.secrets import write_secret
from close.storage.balances import write_trial_balance
from close.storage.runs import Run, get_input
from connectors.base import ConnectorContext
from connectors.registry import connector_class, create_connector, files_for
from connectors.settings import secret_env_var
from connectors.trial_balance import check_trial_balance_balances


def extract_entity(env: StageEnv, run: Run, entity_id: EntityId | None) -> StageOutput:
    """Extract one entity's trial balance through its connector.

    Raises:
        InputDataError: a malformed file or response, or a trial balance that does not balance.
        RetriableError: the source is unreachable for now.

    """
    assert entity_id is not None, "EXTRACTING runs per entity"
    if entity_id == RATES_KEY:
        return fetch_run_rates(env, run, entity_id)
    db = env.db
    with db.tx() as conn:
        config = load_config(conn, run.id)
        entity = config.entity(entity_id)
        names = files_for(entity.connector, entity.source, run.period, entity=entity.id)
        digests = {n: found[1] for n in names if (found := get_input(conn, run.id, n))}

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

    def write(conn: object) -> None:
        write_trial_balance(conn, run.id, run.period, entity.currency, frame, tenant)  # type: ignore[arg-type]

    return StageOutput(
        write=write,
        digest=digest_of(*sorted(digests.values())) if digests else digest_of(frame.to_csv(index=False)),
        message=f"extracted {len(frame)} lines for entity {entity.id} via {entity.connector}",
        detail={"entity": entity.id, "lines": len(frame), "connector": entity.connector,
                "inputs": digests, **({"unexplained": unexplained} if unexplained else {})},
    )
