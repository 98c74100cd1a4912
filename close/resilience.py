"""One way to call something that can fail for a while: retries, Retry-After and a circuit breaker.

Every outside service the close calls — the ERP connectors, the rate sources, Claude — goes through
``resilient_call(policy, breaker_name, fn)``:

1. **tenacity** retries ``fn`` when it raises an error the policy calls transient, waiting what the
   error's ``Retry-After`` says, else exponential backoff with jitter; ``policy.attempts`` in all.
   A Retry-After longer than ``policy.max_retry_after`` is not waited out in-process: the error goes
   up at once, so the caller (Celery, the file fallback, the data-only comment) decides.
2. **pybreaker** counts transient failures per ``breaker_name``; after ``breaker_fail_max`` in a row
   the circuit opens and calls fail fast with ``CircuitOpen`` until ``breaker_reset_timeout`` has
   passed. Its state lives in Redis when a Redis URL is given (pybreaker's ``CircuitRedisStorage``),
   so every worker sees the same circuit; in this process's memory otherwise.

``parse_retry_after`` is the one reader of the header (RFC 9110 §10.2.3: delay-seconds or an
HTTP-date), used by every client that gets one.

Example: a source that answers 503 twice and then 200 is called three times, the waits being
0.5 s and 1 s (plus jitter); a 429 with ``Retry-After: 7`` is waited out for exactly 7 s.
"""

from __future__ import annotations

import email.utils
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, TypeVar

import pybreaker
import redis
import tenacity

from close.errors import RetriableError

log = logging.getLogger(__name__)
T = TypeVar("T")

# No service asks for more than a day; a larger figure (or a date years away) is a broken header,
# and waiting it out would wedge the task that got it.
RETRY_AFTER_CAP_SECONDS = 86_400.0
_DELAY_SECONDS = re.compile(r"[0-9]+")  # RFC 9110: delay-seconds = 1*DIGIT (ASCII digits only)


def parse_retry_after(value: str | None, now: datetime | None = None, *,
                      cap: float = RETRY_AFTER_CAP_SECONDS) -> float | None:
    """Read a ``Retry-After`` header (RFC 9110 §10.2.3): delay-seconds or an HTTP-date.

    Args:
        value: the header's value, or ``None`` when absent.
        now: the current time (timezone-aware) a date is measured from; ``datetime.now(UTC)``.
        cap: the longest wait returned; a larger figure is cut to it.

    Returns:
        Seconds to wait, between 0 and ``cap`` (a date already past gives 0), or ``None`` when the
        header is absent or is neither form (``"soon"``, ``"-5"``, ``"1.5"``): the caller then uses
        its own backoff.

    Example:
        >>> parse_retry_after("120")
        120.0
        >>> parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT",
        ...                   datetime(2015, 10, 21, 7, 28, tzinfo=UTC))
        10.0

    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    if _DELAY_SECONDS.fullmatch(text):
        seconds = int(text)  # compared as an integer first: 400 digits overflow a float
        return cap if seconds > cap else float(seconds)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # asctime() form carries no zone; an HTTP-date is always UTC
        when = when.replace(tzinfo=UTC)
    seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return min(max(0.0, seconds), cap)


def is_retriable(exc: BaseException) -> bool:
    """Tell whether ``exc`` is one of the close's transient errors (``RetriableError``)."""
    return isinstance(exc, RetriableError)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard to try one outside service (seconds are durations, not money: float).

    Attributes:
        attempts: tries per call, the first included.
        wait_initial: first backoff wait (doubles each retry).
        wait_max: longest backoff wait.
        jitter: up to this many random seconds added to each backoff wait.
        max_retry_after: longest Retry-After waited out in-process; a longer one ends the call.
        breaker_fail_max: transient failures in a row that open the circuit.
        breaker_reset_timeout: seconds an open circuit refuses calls before one trial call.
        breaker_counts: what the breaker counts: each failed ``attempt`` (a source that is down
            fails fast after a few tries), or each ``call`` that failed after all its retries (a
            rate-limited API answered by waiting is not down).
        transient: which errors are worth retrying (and count towards the breaker); others go up
            at once and leave the breaker's count as a success would.

    """

    attempts: int = 3
    wait_initial: float = 0.5
    wait_max: float = 30.0
    jitter: float = 0.5
    max_retry_after: float = 120.0
    breaker_fail_max: int = 5
    breaker_reset_timeout: float = 60.0
    breaker_counts: Literal["attempt", "call"] = "attempt"
    transient: Callable[[BaseException], bool] = is_retriable


# What a caller may set from a config table, with the type its value takes.
POLICY_NUMBERS: dict[str, type] = {
    "attempts": int, "wait_initial": float, "wait_max": float, "jitter": float,
    "max_retry_after": float, "breaker_fail_max": int, "breaker_reset_timeout": float,
}


class CircuitOpen(RetriableError):
    """A call refused without trying: the service failed too often and its circuit is open.

    Attributes:
        breaker: the breaker's name (``omie@app.omie.com.br``).
        retry_after: seconds until the circuit lets one trial call through.

    """

    def __init__(self, breaker: str, retry_after: float) -> None:
        """Name the breaker and when it lets a call through again."""
        self.breaker, self.retry_after = breaker, retry_after
        super().__init__(f"circuit breaker {breaker} open after repeated failures; "
                         f"next trial in {int(retry_after + 0.999)} s")


# --- breakers: one per name (and Redis URL) in this process --------------------------------

_lock = threading.RLock()
# Each breaker beside its storage: pybreaker has no public getter for the storage, whose
# ``opened_at`` says when the next trial call is due.
_breakers: dict[tuple[str, str | None],
                tuple[pybreaker.CircuitBreaker, pybreaker.CircuitBreakerStorage]] = {}
_redis_clients: dict[str, redis.Redis] = {}


def shared_state_url(url: str | None) -> str | None:
    """Return ``url`` when it is a Redis URL (shared state goes there), else ``None`` (memory).

    The broker URL is passed as the Redis URL; a non-Redis broker (``amqp://``) cannot hold the
    breaker's state, so each process keeps its own.
    """
    if url and url.startswith(("redis://", "rediss://", "unix://")):
        return url
    if url:
        log.warning("shared breaker/limiter state needs Redis; %s is not, keeping it in memory",
                    url.split("://", 1)[0] + "://")
    return None


def redis_client(url: str) -> redis.Redis:
    """Return this process's client of the Redis at ``url`` (bytes replies, as pybreaker needs)."""
    with _lock:
        if url not in _redis_clients:
            _redis_clients[url] = redis.Redis.from_url(url, socket_timeout=5)
        return _redis_clients[url]


def _breaker(name: str, policy: RetryPolicy, redis_url: str | None,
             ) -> tuple[pybreaker.CircuitBreaker, pybreaker.CircuitBreakerStorage]:
    """Return the process-wide breaker of ``name``, created with ``policy`` on first use."""
    shared = shared_state_url(redis_url)
    key = (name, shared)
    with _lock:
        known = _breakers.get(key)
        if known is not None:
            return known
        storage: pybreaker.CircuitBreakerStorage
        if shared:
            storage = pybreaker.CircuitRedisStorage(pybreaker.STATE_CLOSED, redis_client(shared),
                                                    namespace=f"monthclose:{name}")
        else:
            storage = pybreaker.CircuitMemoryStorage(pybreaker.STATE_CLOSED)
        transient = policy.transient
        breaker = pybreaker.CircuitBreaker(
            fail_max=policy.breaker_fail_max, reset_timeout=policy.breaker_reset_timeout,
            exclude=[lambda exc: not transient(exc)], state_storage=storage, name=name,
            throw_new_error_on_trip=False)  # the service's own error goes up, not pybreaker's
        _breakers[key] = (breaker, storage)
        return _breakers[key]


def breaker_state(name: str, policy: RetryPolicy, redis_url: str | None = None) -> str:
    """Return ``closed``, ``open`` or ``half-open`` as the (possibly shared) breaker sees it."""
    return str(_breaker(name, policy, redis_url)[0].current_state)


def reset_breakers() -> None:
    """Forget this process's breakers (state in Redis stays): tests start from closed circuits."""
    with _lock:
        _breakers.clear()


def _guarded(name: str, policy: RetryPolicy, redis_url: str | None, fn: Callable[[], T]) -> T:
    """Run ``fn`` under the breaker's rules, outside its lock.

    ``CircuitBreaker.call`` holds the breaker's lock for the whole call, so concurrent calls
    (Claude's comments) would run one at a time; ``calling()`` runs the block outside it and
    still counts the outcome.
    """
    breaker, storage = _breaker(name, policy, redis_url)
    try:
        with breaker.calling():
            return fn()
    except pybreaker.CircuitBreakerError:
        opened = storage.opened_at
        remaining = policy.breaker_reset_timeout
        if opened is not None:
            remaining = max(0.0, remaining - (datetime.now(UTC) - opened).total_seconds())
        raise CircuitOpen(name, remaining) from None


def _retry_after_of(exc: BaseException) -> float | None:
    value = getattr(exc, "retry_after", None)
    return float(value) if isinstance(value, int | float) else None


def _log_retry(name: str, exc: BaseException, attempt: int, attempts: int, wait: float) -> None:
    log.warning("%s failed (%s); retry %d/%d in %.2f s", name, exc, attempt, attempts - 1, wait)


def resilient_call(policy: RetryPolicy, breaker_name: str, fn: Callable[[], T], *,
                   redis_url: str | None = None,
                   retry_after: Callable[[BaseException], float | None] = _retry_after_of,
                   on_retry: Callable[[BaseException, int, float], None] | None = None,
                   sleep: Callable[[float], None] = time.sleep) -> T:
    """Call ``fn`` with retries behind the named circuit breaker.

    Args:
        policy: attempts, backoff, which errors are transient, the breaker's limits.
        breaker_name: the breaker (``provider@host``); one per name per process, or per Redis.
        fn: the call; it raises to fail (a transient error is retried).
        redis_url: share the breaker's state through this Redis (a broker URL that is not Redis
            keeps it in memory).
        retry_after: seconds an error asks us to wait (default: its ``retry_after`` attribute).
        on_retry: told (error, attempt number, wait) before each wait; by default a warning
            naming the breaker is logged.
        sleep: how to wait (tests record the waits).

    Returns:
        What ``fn`` returned.

    Raises:
        CircuitOpen: the circuit is open (before or between attempts).
        Exception: ``fn``'s last error, when it is not transient, the attempts ran out, or it
            asked for a wait longer than ``policy.max_retry_after``.

    """
    backoff = tenacity.wait_exponential_jitter(multiplier=policy.wait_initial,
                                               max=policy.wait_max, jitter=policy.jitter)

    def error(state: tenacity.RetryCallState) -> BaseException | None:
        return state.outcome.exception() if state.outcome else None

    def asked(state: tenacity.RetryCallState) -> float | None:
        exc = error(state)
        return retry_after(exc) if exc is not None else None

    def too_long(state: tenacity.RetryCallState) -> bool:
        after = asked(state)
        return after is not None and after > policy.max_retry_after

    def wait(state: tenacity.RetryCallState) -> float:
        after = asked(state)
        return after if after is not None else backoff(state)

    def should_retry(exc: BaseException) -> bool:
        return not isinstance(exc, CircuitOpen) and policy.transient(exc)

    def before_sleep(state: tenacity.RetryCallState) -> None:
        exc = error(state)
        seconds = state.next_action.sleep if state.next_action else 0.0
        if exc is not None:
            (on_retry or (lambda e, n, s: _log_retry(breaker_name, e, n, policy.attempts, s)))(
                exc, state.attempt_number, seconds)

    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_attempt(policy.attempts) | too_long, wait=wait,
        retry=tenacity.retry_if_exception(should_retry), sleep=sleep, reraise=True,
        before_sleep=before_sleep)
    if policy.breaker_counts == "call":
        return _guarded(breaker_name, policy, redis_url, lambda: retrying(fn))
    return retrying(lambda: _guarded(breaker_name, policy, redis_url, fn))
