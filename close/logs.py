"""Structured logs: one JSON object a line, each carrying the run, stage and entity it is about.

``run_stage`` binds the run, stage and entity in context variables for the duration of a stage
(threads and Celery tasks alike); every record logged meanwhile carries them. Workers and the CLI
log JSON when ``CLOSE_LOG_FORMAT=json``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

_CONTEXT: ContextVar[dict[str, str | None]] = ContextVar("close_log_context", default={})  # noqa: B039 - never mutated


@contextmanager
def log_context(**fields: str | None) -> Iterator[None]:
    """Bind ``fields`` (run_id, stage, entity …) to every record logged inside the block."""
    token = _CONTEXT.set({**_CONTEXT.get(), **fields})
    try:
        yield
    finally:
        _CONTEXT.reset(token)


class JsonFormatter(logging.Formatter):
    """A record as one JSON line: time, level, logger, message, the bound context, the exception."""

    def format(self, record: logging.LogRecord) -> str:
        """Format one record."""
        data: dict[str, object] = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname, "logger": record.name, "message": record.getMessage(),
            "run_id": None, "stage": None, "entity": None, **_CONTEXT.get(),
        }
        if record.exc_info:
            data["error"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str)


def use_json_logs(level: str = "INFO") -> None:
    """Send the root logger's records to stderr as JSON lines."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
