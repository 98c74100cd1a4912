"""``close demo --erp``: the ERP example group (examples/erp) closed against local ERP fakes.

The fakes of Omie, Conta Azul, Bling and TOTVS (``connectors.fakes``, shipped with the package)
start in daemon threads of this process. The example folder is copied to
``$CLOSE_HOME/demo-erp`` with each fake's ``base_url`` (and fast http settings) written into the
copy's ``[entities.source]`` tables, and the fakes' credentials are put into the process
environment as ``CLOSE_SECRET_<ENTITY>_<NAME>`` — exactly where a real deployment keeps them.
Since the fakes and their credentials live in this process only, the close must run in-process:
a configured broker is refused.
"""

from __future__ import annotations

import json
import re
import shutil
import tomllib
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import Any

from close.config import Settings, load_group_config
from close.engine.periods import period_range
from close.engine.types import EntityId, Period
from close.errors import ConfigError
from connectors.fakes.erp_launcher import erp_demo_sources, start_erp_fakes
from connectors.settings import secret_env_var

# The example groups ship as package data: close/examples links to the repository's examples/.
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"  # close/examples, beside close/cli/
ERP_EXAMPLE = EXAMPLES / "erp"
DEMO_EXAMPLE = EXAMPLES / "demo"
DEMO_FOLDER = "demo-erp"

_ENTITIES_HEADER = re.compile(r"^\s*\[\[\s*entities\s*\]\]")
_SOURCE_HEADER = re.compile(r"^\s*\[\s*entities\s*\.\s*source\s*\]")
_ANY_HEADER = re.compile(r"^\s*\[")
_KEY_LINE = re.compile(r"^\s*([A-Za-z0-9_-]+)\s*=")
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def prepare_erp_demo(settings: Settings, environ: MutableMapping[str, str]) -> tuple[Path, list[Period]]:
    """Start the ERP fakes and write the example group, pointed at them, under the home folder.

    Args:
        settings: the process settings (home folder; a broker is refused).
        environ: the process environment; the fakes' credentials are added to it as
            ``CLOSE_SECRET_*`` variables, so call this before the settings that carry secrets
            are read again.

    Returns:
        The copied group config's path and the periods to close (those of the file-based
        holding's trial balances, oldest first).

    Raises:
        ConfigError: a broker is configured or the example is missing.

    """
    if settings.broker_url:
        raise ConfigError("close demo --erp runs in-process: the ERP fakes and their credentials "
                          "live in this process only", key="CLOSE_BROKER_URL", expected="unset")
    if not (ERP_EXAMPLE / "group.toml").exists():
        raise ConfigError(f"the ERP example group is not at {ERP_EXAMPLE}", key="examples/erp")
    demo_sources = erp_demo_sources(start_erp_fakes())
    target = settings.home / DEMO_FOLDER
    shutil.copytree(ERP_EXAMPLE, target, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("out", "__pycache__"))
    config_path = target / "group.toml"
    config = load_group_config(config_path)
    overrides: dict[EntityId, dict[str, Any]] = {}
    for entity in config.entities:
        if entity.connector not in demo_sources:
            continue  # the file-based holding
        source, secrets = demo_sources[entity.connector]
        overrides[entity.id] = source
        for name, value in secrets.items():
            environ[secret_env_var(entity.id, name, entity.source)] = value
    config_path.write_text(with_source_settings(config_path.read_text(encoding="utf-8"), overrides),
                           encoding="utf-8")
    first = config.entities[0].id
    periods = sorted(p.name.removesuffix(".csv") for p in (target / "tb" / first).glob("*.csv"))
    if not periods:
        raise ConfigError(f"no trial balance files in {target / 'tb' / first}", key="examples/erp")
    return config_path, period_range(periods[0], periods[-1])


def with_source_settings(text: str, settings: Mapping[EntityId, Mapping[str, Any]]) -> str:
    """Return a group config's TOML text with settings written into entities' source tables.

    The text is edited line by line, so comments and layout survive; a key already in an
    entity's ``[entities.source]`` is replaced, and an entity without that table gets one.

    Args:
        text: the group config (TOML).
        settings: entity id → the source settings to set (strings, numbers, booleans, lists and
            inline tables).

    Returns:
        The edited TOML text.

    Raises:
        ConfigError: the text is not TOML, or the edit did not give the expected tables (a value
            spanning lines that would have to be replaced).

    """
    try:
        entities = tomllib.loads(text).get("entities", [])
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not TOML: {exc}", key="group.toml") from None
    ids = [str(e.get("id", "")) for e in entities]
    lines = text.splitlines()
    blocks = [i for i, line in enumerate(lines) if _ENTITIES_HEADER.match(line)] + [len(lines)]
    out = lines[:blocks[0]]
    for index, (start, end) in enumerate(zip(blocks, blocks[1:], strict=False)):
        block = lines[start:end]
        wanted = settings.get(ids[index], {}) if index < len(ids) else {}
        out.extend(_edit_block(block, wanted) if wanted else block)
    edited = "\n".join(out) + "\n"
    for entity in tomllib.loads(edited).get("entities", []):
        wanted = settings.get(str(entity.get("id", "")))
        expected = {**next((e.get("source", {}) for e in entities if e.get("id") == entity.get("id")), {}),
                    **(wanted or {})}
        if wanted and entity.get("source") != expected:
            raise ConfigError(f"could not write the source settings of entity {entity.get('id')}",
                              key="entities.source", expected="one key = value per line")
    return edited


def _edit_block(block: list[str], wanted: Mapping[str, Any]) -> list[str]:
    """Set ``wanted`` in the ``[entities.source]`` table of one ``[[entities]]`` block."""
    rendered = [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in wanted.items()]
    out: list[str] = []
    in_source = found = False
    for line in block:
        if _ANY_HEADER.match(line):
            in_source = bool(_SOURCE_HEADER.match(line))
            out.append(line)
            if in_source:
                found = True
                out.extend(rendered)
            continue
        key = _KEY_LINE.match(line)
        if in_source and key and key.group(1) in wanted:
            continue
        out.append(line)
    if not found:
        while out and not out[-1].strip():
            out.pop()
        out.extend(["", "[entities.source]", *rendered, ""])
    return out


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else json.dumps(key)


def _toml_value(value: Any) -> str:  # noqa: ANN401 - any TOML value
    # JSON string escapes are valid TOML basic-string escapes.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_toml_key(str(k))} = {_toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise ConfigError(f"cannot write {type(value).__name__} into TOML", key="entities.source")
