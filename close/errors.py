"""The exceptions of the close, grouped by what the caller must do about them.

``ConfigError`` and ``RunConflict`` are the user's to fix (CLI exit 2); ``InputDataError`` and
``PermanentError`` fail the stage at once; ``RetriableError`` is retried by tenacity and Celery.
Exit codes are mapped from this hierarchy in ``close/cli/`` only.
"""

from __future__ import annotations


class CloseError(Exception):
    """Root of every error the close raises on purpose."""


class ConfigError(CloseError):
    """A configuration problem: names the file, the key and what was expected."""

    def __init__(self, message: str, *, file: str | None = None, key: str | None = None,
                 expected: str | None = None) -> None:
        """Build the error; the message is prefixed with ``file: key:`` when they are known."""
        self.file, self.key, self.expected = file, key, expected
        where = ": ".join(part for part in (file, key) if part)
        text = f"{where}: {message}" if where else message
        if expected:
            text += f" (expected {expected})"
        super().__init__(text)


class NotFound(ConfigError):
    """The run, file or record named does not exist for this tenant (REST: 404; CLI: exit 2)."""


class PermanentError(CloseError):
    """A failure that retrying will not fix: the stage fails now."""


class InputDataError(PermanentError):
    """Bad input data: names the file, row and column, or the entity, endpoint and field."""

    def __init__(self, message: str, *, file: str | None = None, row: int | None = None,
                 column: str | None = None, entity: str | None = None,
                 endpoint: str | None = None, field: str | None = None,
                 account: str | None = None) -> None:
        """Build the error with every location that is known, in a fixed readable order."""
        self.file, self.row, self.column = file, row, column
        self.entity, self.endpoint, self.field, self.account = entity, endpoint, field, account
        parts = [
            f"entity {entity}" if entity else None,
            f"file {file}" if file else None,
            f"row {row}" if row is not None else None,
            f"column {column!r}" if column else None,
            f"endpoint {endpoint}" if endpoint else None,
            f"field {field!r}" if field else None,
            f"account {account}" if account else None,
        ]
        where = ", ".join(p for p in parts if p)
        super().__init__(f"{where}: {message}" if where else message)


class RetriableError(CloseError):
    """A transient failure (connection, timeout, 5xx, 429): tenacity and Celery retry it."""


class RunConflict(CloseError):
    """Refused: another active run exists, the period is locked, or a transition lost a race."""
