"""Connector errors, split by what the caller must do (the Singer SDK taxonomy).

``RetriableConnectorError`` is transient (429, 5xx, an ERP saying "try again in N seconds"): the
HTTP client retries it, then Celery retries the task. ``FatalConnectorError`` will not get better by
retrying (bad credentials, a 4xx, a provider whose breaker is open for the rest of the stage).
Both carry the facts of the response that matter (status, URL without its query string, the
provider's Retry-After) and never its headers, so no token or key can leak through an error.
"""

from __future__ import annotations

from close.errors import PermanentError, RetriableError


def redact_url(url: str) -> str:
    """Drop the query string and any user-info from a URL.

    Some ERPs take credentials in the query string (TOTVS password grant) or the user-info part,
    so an error or log line only ever shows scheme, host and path.

    Args:
        url: the request URL.

    Returns:
        ``scheme://host/path`` (with ``?…`` replaced by ``?***`` when a query was present).

    """
    base, sep, _query = url.partition("?")
    scheme, slashes, rest = base.partition("://")
    if slashes and "@" in rest.split("/", 1)[0]:
        rest = "***@" + rest.split("@", 1)[1]
        base = f"{scheme}://{rest}"
    return f"{base}?***" if sep else base


class _ConnectorErrorFacts:
    """Structured fields shared by both connector errors (composed, not a third error class)."""

    status: int | None
    url: str | None
    retry_after: float | None
    entity: str | None
    connector: str | None

    def _init_facts(self, message: str, *, status: int | None, url: str | None,
                    retry_after: float | None, entity: str | None, connector: str | None) -> str:
        self.status, self.retry_after = status, retry_after
        self.url = redact_url(url) if url else None
        self.entity, self.connector = entity, connector
        who = ", ".join(p for p in (f"entity {entity}" if entity else "",
                                    f"connector {connector}" if connector else "") if p)
        where = " ".join(p for p in (f"HTTP {status}" if status is not None else "",
                                     f"from {self.url}" if self.url else "") if p)
        text = f"{who}: {message}" if who else message
        return f"{text} ({where})" if where else text


class RetriableConnectorError(_ConnectorErrorFacts, RetriableError):
    """A transient failure of the source: retry (after ``retry_after`` seconds when known).

    ``circuit_open`` marks the fast failure of an open circuit breaker: the HTTP client does not
    retry it (that would hammer a provider known to be down); Celery retries the task later.
    """

    def __init__(self, message: str, *, status: int | None = None, url: str | None = None,
                 retry_after: float | None = None, entity: str | None = None,
                 connector: str | None = None, circuit_open: bool = False) -> None:
        """Build the error; the text names entity, connector, status and redacted URL."""
        self.circuit_open = circuit_open
        super().__init__(self._init_facts(message, status=status, url=url,
                                          retry_after=retry_after, entity=entity,
                                          connector=connector))


class FatalConnectorError(_ConnectorErrorFacts, PermanentError):
    """A failure retrying will not fix (credentials, a 4xx, an unsupported operation)."""

    def __init__(self, message: str, *, status: int | None = None, url: str | None = None,
                 entity: str | None = None, connector: str | None = None) -> None:
        """Build the error; the text names entity, connector, status and redacted URL."""
        super().__init__(self._init_facts(message, status=status, url=url, retry_after=None,
                                          entity=entity, connector=connector))
