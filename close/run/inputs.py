"""What a stage reads of a run's snapshot: the group config, the chart and the named files."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from close.config import GroupConfig, parse_group_config
from close.engine.chart import Chart, load_chart
from close.engine.types import RunId
from close.errors import InputDataError
from close.storage.runs import get_input, list_inputs

CONFIG_INPUT = "group.toml"  # the config text, as snapshotted by `close run`
ORIGIN_INPUT = "origin"  # the absolute path of the config file, so `close resume` can re-read files
ADJUSTMENT_PREFIX = "adjustment:"  # journals added to a run with `close adjust add`


def load_config(conn: Connection, run_id: RunId) -> GroupConfig:
    """Rebuild the group config from the run's snapshot."""
    found = get_input(conn, run_id, CONFIG_INPUT)
    if found is None:
        raise InputDataError(f"run {run_id} has no config snapshot", field=CONFIG_INPUT)
    origin = get_input(conn, run_id, ORIGIN_INPUT)
    source = origin[0].decode() if origin else CONFIG_INPUT
    return parse_group_config(found[0].decode("utf-8"), source=source)


def read_file(conn: Connection, run_id: RunId, name: str) -> bytes:
    """Return the snapshotted bytes of a file the config names.

    Raises:
        InputDataError: the file was not part of the run's snapshot.

    """
    found = get_input(conn, run_id, name)
    if found is None:
        raise InputDataError("not in the run's input snapshot (was it present when the run started?)",
                             file=name)
    return found[0]


def load_run_chart(conn: Connection, run_id: RunId, config: GroupConfig) -> Chart:
    """Return the group's chart of accounts (its own file, or the shipped default)."""
    if config.files.chart:
        return load_chart(read_file(conn, run_id, config.files.chart), source=config.files.chart)
    return load_chart()


def adjustment_files(conn: Connection, run_id: RunId, config: GroupConfig) -> list[str]:
    """Return the run's journal files: those the config names, then those added with `close adjust add`."""
    added = [str(i["name"]) for i in list_inputs(conn, run_id)
             if str(i["name"]).startswith(ADJUSTMENT_PREFIX)]
    return [*config.files.adjustments, *sorted(added)]
