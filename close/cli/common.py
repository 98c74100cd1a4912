"""What every ``close`` command shares: consoles, option types, exit codes, the environment."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from close.api import CloseSession
from close.config import Settings
from close.engine.periods import parse_period
from close.errors import ConfigError

# Scripts and CI read the output through a pipe: give wide tables room there instead of 80 columns.
console = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, soft_wrap=True)

EXIT_OK, EXIT_FAILED, EXIT_REFUSED, EXIT_REVIEW = 0, 1, 2, 3
ConfigOpt = Annotated[Path, typer.Option("--config", "-c", help="The group config TOML file.", exists=False)]
PeriodOpt = Annotated[str, typer.Option("--period", "-p", help="The period to close, YYYY-MM.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def settings_from_env() -> Settings:
    """Read the process settings from the environment (the CLI is an edge)."""
    return Settings.from_environ(os.environ)


def open_session() -> CloseSession:
    """Open the close from the environment in operator mode, as ``CLOSE_ACTOR`` (the CLI is an edge).

    Commands that act for a named user open theirs with :func:`close.cli.users.cli_session`.
    """
    return CloseSession.connect(settings_from_env())


def check_period(period: str) -> str:
    """Return the period, or a usage error naming ``--period``."""
    try:
        parse_period(period)
    except ValueError as exc:
        raise ConfigError(str(exc), key="--period", expected="YYYY-MM") from None
    return period
