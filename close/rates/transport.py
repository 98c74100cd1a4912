"""GET requests to a quoting source through the shared resilient call (tenacity + pybreaker).

Transient failures — transport errors and timeouts, 5xx, 429 and whatever a source's
``read`` hook calls transient (the ECB throttles with an HTML 400) — are retried by
``close.resilience.resilient_call`` with exponential backoff and jitter, honouring ``Retry-After``
up to the policy's limit. Every attempt goes through the source's breaker (one per source host,
its state in Redis when a Redis URL is given), so a source that keeps failing is refused at once
for ``breaker_reset_timeout`` instead of being hammered by every entity and retry. After the last
attempt, or with the breaker open, ``RateSourceUnavailable`` names the source, the currencies,
the status and the URL. Other 4xx answers are our request's fault: ``PermanentError`` at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TypeVar
from urllib.parse import urlsplit

import httpx

from close.engine.types import Currency
from close.errors import PermanentError, RetriableError
from close.rates.errors import RateSourceUnavailable
from close.rates.settings import RateSourceSettings
from close.resilience import CircuitOpen, parse_retry_after, resilient_call

T = TypeVar("T")


class TransientResponse(RetriableError):
    """An answer worth retrying; raised by a source's ``read`` hook or ``raise_for_status``.

    Internal to the transport: after the last attempt it becomes ``RateSourceUnavailable``.
    """

    def __init__(self, detail: str, *, status: int | None, retry_after: float | None = None) -> None:
        """Record what went wrong and how long the source asked us to wait."""
        super().__init__(detail)
        self.status, self.retry_after = status, retry_after


def raise_for_status(response: httpx.Response) -> None:
    """Classify a status: 429 and 5xx are transient, other 4xx permanent, the rest fine.

    Raises:
        TransientResponse: for 429 and 5xx.
        PermanentError: for any other 4xx.

    """
    status = response.status_code
    if status == 429 or status >= 500:
        raise TransientResponse(f"HTTP {status}", status=status,
                                retry_after=parse_retry_after(response.headers.get("Retry-After")))
    if status >= 400:
        raise PermanentError(f"HTTP {status} from {response.request.url.copy_with(query=None)}: "
                             f"{response.text[:200]}")


class QuoteHttp:
    """One quoting source's HTTP access: base URL, and retries behind its breaker."""

    def __init__(self, source: str, base_url: str, settings: RateSourceSettings, *,
                 client: httpx.Client | None = None, redis_url: str | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        """Build the access.

        Args:
            source: ``bcb_ptax`` or ``ecb``, for messages and the breaker's name.
            base_url: the source's root URL (ends with ``/``).
            settings: the retry policy and the timeout.
            client: an httpx client to share; by default one is created.
            redis_url: share the source's breaker through this Redis (workers); memory otherwise.
            sleep: how to wait between attempts (tests pass a no-op).

        """
        self.source, self.settings = source, settings
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self._client = client or httpx.Client(timeout=settings.timeout_seconds)
        self._redis_url, self._sleep = redis_url, sleep
        self.breaker_name = f"{source}@{urlsplit(self.base_url).netloc}"

    def close(self) -> None:
        """Close the underlying HTTP client."""
        self._client.close()

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
        tries = 0

        def attempt() -> T:
            nonlocal tries
            tries += 1
            return self._attempt(url, params, read)

        try:
            return resilient_call(self.settings.retry, self.breaker_name, attempt,
                                  redis_url=self._redis_url, sleep=self._sleep)
        except TransientResponse as exc:
            raise RateSourceUnavailable(str(exc), source=self.source, currencies=currencies,
                                        status=exc.status, url=bare, attempts=tries) from exc
        except CircuitOpen as exc:
            raise RateSourceUnavailable(
                f"circuit breaker open after repeated failures; retry after "
                f"{exc.retry_after:.0f} s", source=self.source,
                currencies=currencies, status=None, url=bare, attempts=tries) from exc
