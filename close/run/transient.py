"""Transient database failures, retried with backoff, and failure reasons fit for a person.

A terminated PostgreSQL session, a connection reset or a database that refuses connections for a
few seconds is transient: the stage retries it (tenacity, exponential backoff with jitter) for
``CLOSE_DB_RETRY_SECONDS``. Stages are idempotent, so retrying the whole stage is safe. A failure
reason recorded on a run is one short sentence: never SQL, never a library's traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

import psycopg
import sqlalchemy.exc as sa_exc
from tenacity import Retrying, retry_if_exception, stop_after_delay, wait_random_exponential

from close.errors import PermanentError

log = logging.getLogger(__name__)
T = TypeVar("T")


class DatabaseUnavailable(PermanentError):
    """The database stayed unreachable for longer than the retry budget."""


def is_transient(exc: BaseException) -> bool:
    """Tell whether ``exc`` is a lost or refused database connection (worth retrying)."""
    if isinstance(exc, sa_exc.DBAPIError):
        return exc.connection_invalidated or isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError)
    return isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError | ConnectionResetError
                      | BrokenPipeError)


def retry_database(fn: Callable[[], T], *, seconds: float, what: str) -> T:
    """Call ``fn``, retrying transient database failures with backoff for up to ``seconds``.

    Raises:
        DatabaseUnavailable: the database was still unreachable when the budget ran out.

    """
    retrying = Retrying(retry=retry_if_exception(is_transient), stop=stop_after_delay(seconds),
                        wait=wait_random_exponential(multiplier=0.2, max=5), reraise=True,
                        before_sleep=lambda state: log.warning(
                            "%s: database unreachable (%s), retry %d", what,
                            short_reason(state.outcome.exception()), state.attempt_number))
    try:
        return retrying(fn)
    except Exception as exc:
        if is_transient(exc):
            raise DatabaseUnavailable(f"the database stayed unreachable for {seconds:g} s during {what}") \
                from None
        raise


def patience(db_retry_seconds: float) -> float:
    """How long recording a failure, or following a run, waits for a lost database.

    Longer than a stage's own budget: a stage that gave up still records why, once the database is
    back, and ``close run --wait`` reports it rather than giving up first.
    """
    return max(30.0, 3 * db_retry_seconds)


def short_reason(exc: BaseException | None) -> str:
    """One short sentence for a failure: the database's own message without SQL, else the error's."""
    if exc is None:
        return "unknown error"
    if is_transient(exc):
        return "the database connection was lost"
    if isinstance(exc, sa_exc.DBAPIError):
        # str(exc) carries the SQL and its parameters; the driver's message alone does not.
        text = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else type(exc).__name__
        return f"the database refused the work: {text}"[:300]
    lines = str(exc).strip().splitlines()
    return (lines[0] if lines else type(exc).__name__)[:300]
