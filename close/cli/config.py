"""``close config``: the group config file, as an editor can check it.

The JSON Schema is generated from the pydantic models that validate the file
(``close.config.document``), so the editor and ``close run`` accept the same keys.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from close.config.document import group_config_schema

config_app = typer.Typer(no_args_is_help=True, help="The group config file (group.toml).")


_SCHEMA_HELP = (
    "Print the JSON Schema of the group config TOML, for an editor to validate it as you type.\n\n"
    "Save it beside the config (close config schema -o group.schema.json) and put the line "
    "'#:schema ./group.schema.json' at the top of group.toml: VS Code's Even Better TOML (taplo) then "
    "flags unknown keys, wrong types and values out of range, and shows what each key expects. "
    "TOML dates appear in the schema as strings of format date, as editors map them."
)


@config_app.command("schema", help=_SCHEMA_HELP)
def schema(output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Write the schema to this file instead of standard output.")] = None) -> None:
    """Print (or write) the group TOML's JSON Schema."""
    text = json.dumps(group_config_schema(), indent=2, ensure_ascii=False) + "\n"
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
