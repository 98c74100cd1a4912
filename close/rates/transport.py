"""GET requests to a quoting source with retries (tenacity) behind a circuit breaker (pybreaker).

Transient failures — transport errors and timeouts, 5xx, 429 and whatever a source's
``read`` hook calls transient (the ECB throttles with an HTML 400) — are retried with
exponential backoff and jitter, honouring ``Retry-After`` up to the configured cap. Every attempt
goes through the source's breaker, so a source that keeps failing is refused at once for
``breaker_reset_seconds`` instead of being hammered by every entity and retry. After the last
attempt, or with the breaker open, ``RateSourceUnavailable`` names the source, the currencies,
the status and the URL. Other 4xx answers are our request's fault: ``PermanentError`` at once.

This mirrors the ERP client's composition (design.md "Connectors") for two keyless public APIs;
the breaker is injected, so a worker can hand in one whose state lives in Redis.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TypeVar

import httpx
import pybreaker
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from close.engine.types import Currency
from close.errors import PermanentError
from close.rates.errors import RateSourceUnavailable
from close.rates.settings import RateSourceSettings

T = TypeVar("T")


class TransientResponse(Exception):  # noqa: N818 - internal signal to tenacity, never escapes
    """An answer worth retrying; raised by a source's ``read`` hook or ``raise_for_status``."""

    def __init__(self, detail: str, *, status: int | None, retry_after: float | None = None) -> None:
        """Record what went wrong and how long the source asked us to wait."""
        super().__init__(detail)
        self.status, self.retry_after = status, retry_after


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    when = email.utils.parsedate_to_datetime(value)
    return max(0.0, (when - datetime.now(UTC)).total_seconds()) if when else None


def raise_for_status(response: httpx.Response) -> None:
    """Classify a status: 429 and 5xx are transient, other 4xx permanent, the rest fine.

    Raises:
        TransientResponse: for 429 and 5xx.
        PermanentError: for any other 4xx.

    """
    status = response.status_code
    if status == 429 or status >= 500:
        raise TransientResponse(f"HTTP {status}", status=status, retry_after=_retry_after(response))
    if status >= 400:
        raise PermanentError(f"HTTP {status} from {response.request.url.copy_with(query=None)}: "
                             f"{response.text[:200]}")


def new_breaker(source: str, settings: RateSourceSettings) -> pybreaker.CircuitBreaker:
    """Build an in-memory breaker for one source (a worker may pass a Redis-backed one instead)."""
    return pybreaker.CircuitBreaker(
        fail_max=settings.breaker_fail_max, reset_timeout=settings.breaker_reset_seconds,
        exclude=[PermanentError], name=source, throw_new_error_on_trip=False,
    )


class QuoteHttp:
    """One quoting source's HTTP access: base URL, retries, breaker, and a request counter."""

    def __init__(self, source: str, base_url: str, settings: RateSourceSettings, *,
                 client: httpx.Client | None = None,
                 breaker: pybreaker.CircuitBreaker | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        """Build the access.

        Args:
            source: ``bcb_ptax`` or ``ecb``, for messages and the breaker's name.
            base_url: the source's root URL (ends with ``/``).
            settings: attempts, backoff, timeouts.
            client: an httpx client to share; by default one is created.
            breaker: the source's breaker; by default a fresh in-memory one.
            sleep: how to wait between attempts (tests pass a no-op).

        """
        self.source, self.settings = source, settings
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self._client = client or httpx.Client(timeout=settings.timeout_seconds)
        self.breaker = breaker or new_breaker(source, settings)
        self._sleep = sleep
        self._backoff = wait_exponential_jitter(multiplier=settings.backoff_initial_seconds,
                                                max=settings.backoff_max_seconds,
                                                jitter=settings.backoff_initial_seconds)

    def close(self) -> None:
        """Close the underlying HTTP client."""
        self._client.close()

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, TransientResponse) and exc.retry_after is not None:
            return min(exc.retry_after, self.settings.backoff_max_seconds)
        return self._backoff(state)

    def _attempt(self, url: str, params: Mapping[str, str] | None,
                 read: Callable[[httpx.Response], T]) -> T:
        try:
            response = self._client.get(url, params=params)
        except httpx.TransportError as exc:
            raise TransientResponse(f"{type(exc).__name__}: {exc}", status=None) from exc
        return read(response)

    def get(self, path: str, params: Mapping[str, str] | None, *, currencies: tuple[Currency, ...],
            read: Callable[[httpx.Response], T]) -> T:
        """GET ``base_url + path`` with retries behind the breaker, and read the answer.

        Args:
            path: the resource, relative to the base URL.
            params: query parameters (encoded by httpx); ``None`` when ``path`` carries its
                own, already encoded query (httpx would turn its ``%20`` into ``+``).
            currencies: the currencies asked for, named in errors.
            read: the source's hook that classifies and parses a response; it raises
                ``TransientResponse`` for an answer worth retrying (usually via
                ``raise_for_status``) and ``PermanentError`` for one that is not.

        Returns:
            What ``read`` made of the first acceptable response.

        Raises:
            RateSourceUnavailable: every attempt failed transiently, or the breaker is open.
            PermanentError: the source refused the request itself (a 4xx).

        """
        url = self.base_url + path
        bare = url.partition("?")[0]  # errors name the resource, not its query
        retrying = Retrying(stop=stop_after_attempt(self.settings.max_attempts), wait=self._wait,
                            retry=retry_if_exception_type(TransientResponse), sleep=self._sleep,
                            reraise=True)
        try:
            return retrying(self.breaker.call, self._attempt, url, params, read)
        except TransientResponse as exc:
            raise RateSourceUnavailable(str(exc), source=self.source, currencies=currencies,
                                        status=exc.status, url=bare,
                                        attempts=retrying.statistics.get("attempt_number", 0)) from exc
        except pybreaker.CircuitBreakerError as exc:
            raise RateSourceUnavailable(
                f"circuit breaker open after repeated failures; retry after "
                f"{self.settings.breaker_reset_seconds:g} s", source=self.source,
                currencies=currencies, status=None, url=bare,
                attempts=retrying.statistics.get("attempt_number", 0)) from exc
