"""The one error the rates package adds: a quoting source that stayed down after retries.

Its disposition is ``RetriableError`` (Celery may try the rates task again later); its fields
let the service fall back to the rates file for exactly what that source could not give.
"""

from __future__ import annotations

from close.engine.types import Currency
from close.errors import RetriableError


class RateSourceUnavailable(RetriableError):
    """A source failed every attempt (5xx, 429, throttling, timeout) or its breaker is open.

    Attributes:
        detail: what went wrong, without the source and URL.
        source: ``bcb_ptax`` or ``ecb``.
        currencies: the currencies whose quotations were asked for.
        status: the last HTTP status, ``None`` for a transport failure or an open breaker.
        url: the request URL without its query string.
        attempts: how many attempts were made.

    """

    def __init__(self, detail: str, *, source: str, currencies: tuple[Currency, ...],
                 status: int | None, url: str, attempts: int) -> None:
        """Build the error; the text names source, currencies, status, URL and attempts."""
        self.detail, self.source, self.currencies, self.status = detail, source, currencies, status
        self.url, self.attempts = url, attempts
        super().__init__(
            f"rate source {source} unavailable for {', '.join(currencies)}: {detail} "
            f"({url}, {attempts} attempt{'s' if attempts != 1 else ''})"
        )
