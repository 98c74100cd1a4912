"""The worker process's environment: settings read once, the database opened once."""

from __future__ import annotations

import os
import socket

from close.config import Settings
from close.run.stages import StageEnv
from close.storage import open_database

_env: StageEnv | None = None


def set_env(env: StageEnv) -> None:
    """Install the environment the tasks use (the CLI does this for in-process runs)."""
    global _env
    _env = env


def get_env() -> StageEnv:
    """Return the environment, opening it from ``os.environ`` on first use in a worker."""
    global _env
    if _env is None:
        settings = Settings.from_environ(os.environ)
        _env = StageEnv(db=open_database(settings), settings=settings,
                        actor=f"worker@{socket.gethostname()}")
    return _env
