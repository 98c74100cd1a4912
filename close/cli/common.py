"""What every ``close`` command shares: consoles, option types, exit codes, the environment."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from close.config import Settings
from close.engine.periods import parse_period
from close.errors import ConfigError
from close.run.stages import StageEnv
from close.storage import open_database

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


def open_env() -> StageEnv:
    """Open the database and configure Celery from the environment (the CLI is an edge)."""
    from workers.app import configure
    from workers.runtime import set_env

    settings = settings_from_env()
    configure(settings)
    env = StageEnv(db=open_database(settings), settings=settings, actor=settings.actor)
    set_env(env)
    return env


def check_period(period: str) -> str:
    """Return the period, or a usage error naming ``--period``."""
    try:
        parse_period(period)
    except ValueError as exc:
        raise ConfigError(str(exc), key="--period", expected="YYYY-MM") from None
    return period
