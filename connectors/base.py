"""The connector interface: what every source of trial balances must offer the close.

A connector is built as ``Cls(settings, context)``: ``settings`` is the entity's
``[entities.source]`` TOML table, ``context`` what the run gives it (entity, currency, a reader of
the run's snapshotted files, resolved secrets, the Redis URL for shared breaker/limiter state).
Connectors hold an HTTP client (``connectors.http``) rather than inheriting HTTP behaviour; the
only HTTP hook here is ``classify_response``, which an ERP that hides faults in a 200 body
overrides (Singer SDK ``validate_response``).
"""

from __future__ import annotations

import abc
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from types import TracebackType
from typing import Any, ClassVar

import httpx
import pandas as pd

from close.engine.types import Currency, EntityId, Period
from close.errors import CloseError, InputDataError
from close.resilience import parse_retry_after
from connectors.errors import FatalConnectorError, RetriableConnectorError
from connectors.payload import Payload
from connectors.settings import SourceSettings

# Frames returned besides the trial balance (text columns hold "" when absent, amounts are int64
# minor units of the entity currency, dates are ``datetime.date``).
CHART_COLUMNS: tuple[str, ...] = ("entity", "account", "account_name", "account_type")
SUBLEDGER_COLUMNS: tuple[str, ...] = (
    "entity", "account", "date", "document", "description", "counterparty", "debit", "credit",
)
RECEIVABLE_COLUMNS: tuple[str, ...] = (
    "entity", "document", "counterparty", "counterparty_name", "issue_date", "due_date",
    "amount", "open_amount", "status",
)


@dataclass(frozen=True, slots=True)
class ConnectorContext:
    """What the run hands a connector; the connector never reads the disk or the environment.

    Attributes:
        entity: the entity whose books the connector reads.
        currency: the entity's functional currency (the unit of every amount returned).
        open_file: reads a file named in the config from the run's snapshot in PostgreSQL.
        secrets: secret values resolved by the caller, by the names the connector declares.
        redis_url: shared breaker and rate-limiter state when distributed; ``None`` in memory.

    """

    entity: EntityId
    currency: Currency
    open_file: Callable[[str], bytes] = field(repr=False)
    secrets: Mapping[str, str] = field(default_factory=dict, repr=False)
    redis_url: str | None = field(default=None, repr=False)
    store_secret: Callable[[str, str], None] | None = field(default=None, repr=False)

    def payload(self, endpoint: str) -> Payload:
        """Return a reader of one endpoint's JSON whose errors name this entity and the endpoint."""
        return Payload(self.entity, self.currency, endpoint)


@dataclass(frozen=True, slots=True)
class Company:
    """A company (legal entity) as the source knows it."""

    code: str
    name: str
    tax_id: str = ""


@dataclass(frozen=True, slots=True)
class HealthStatus:
    """The answer of ``health_check``: one row of ``close connectors check``."""

    entity: EntityId
    connector: str
    ok: bool
    detail: str
    latency_ms: int | None = None
    # the API (and schema versions) the connector reads, as its field map names them
    api_version: str = ""
    # fields of the connector's field map absent from what the source answered (``endpoint: field``)
    unread: tuple[str, ...] = ()


def default_classify_response(response: httpx.Response, *, entity: EntityId | None = None,
                              connector: str | None = None) -> None:
    """Map an HTTP status to the error taxonomy: 2xx passes, 408/429/5xx retry, other fail.

    Args:
        response: the response to judge.
        entity: named in the error message.
        connector: named in the error message.

    Raises:
        RetriableConnectorError: on 408, 429 and 5xx (with the provider's Retry-After).
        FatalConnectorError: on any other status outside 2xx.

    """
    status = response.status_code
    if 200 <= status < 300:
        return
    try:
        url: str | None = str(response.request.url)
    except RuntimeError:  # a response built without a request (tests, replays)
        url = None
    if status in (408, 429) or status >= 500:
        raise RetriableConnectorError(
            "too many requests" if status == 429 else "the server failed or timed out",
            status=status, url=url, entity=entity, connector=connector,
            retry_after=parse_retry_after(response.headers.get("Retry-After")))
    reason = {401: "credentials rejected (expired or revoked)",
              403: "access denied for these credentials",
              404: "endpoint or record not found"}.get(status, "request refused")
    raise FatalConnectorError(reason, status=status, url=url, entity=entity, connector=connector)


class ERPConnector(abc.ABC):
    """A source of an entity's books: a trial balance per period, and what else it exposes.

    Subclasses set ``name`` (the registry name) and implement ``health_check`` and
    ``get_trial_balance``; the other readers default to a ``FatalConnectorError`` saying the
    source does not expose that data. Use as a context manager to ``connect``/``disconnect``.
    """

    name: ClassVar[str] = "abstract"
    # The model of the entity's ``[entities.source]`` table; its ``<name>_env`` keys name the
    # connector's secrets (``SETTINGS.SECRETS``). The group config is checked against it on load.
    SETTINGS: ClassVar[type[SourceSettings]] = SourceSettings
    # the API the connector reads (reported by ``close connectors check``)
    API_VERSION: ClassVar[str] = ""

    def __init__(self, settings: Mapping[str, Any], context: ConnectorContext) -> None:
        """Keep the entity's source settings and the run context.

        Args:
            settings: the entity's ``[entities.source]`` TOML table.
            context: entity, currency, file reader, secrets, Redis URL.

        """
        self.settings: Mapping[str, Any] = settings
        self.context = context

    @classmethod
    def files_for(cls, settings: Mapping[str, Any], period: Period) -> list[str]:
        """Name the files this connector will read for ``period``, so the run can snapshot them.

        Args:
            settings: the entity's source settings.
            period: ``YYYY-MM``.

        Returns:
            Paths as written in the config (ERP connectors read no files: ``[]``).

        """
        return []

    def connect(self) -> None:  # noqa: B027 - optional hook; most sources need no session
        """Open whatever session the source needs (authenticate lazily by default)."""

    def disconnect(self) -> None:  # noqa: B027 - optional hook
        """Release the session."""

    def __enter__(self) -> ERPConnector:
        """Connect and return self."""
        self.connect()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        """Disconnect, whatever happened."""
        self.disconnect()

    def unexplained_movements(self) -> tuple[Mapping[str, object], ...]:
        """Return what the last trial balance's ``UNRECONCILED`` line holds, item by item.

        Management trial balances (``connectors.management``) name each bank movement or title
        settlement they could not explain (``UnexplainedItem.as_dict``); ledgers have no such
        line and return nothing.
        """
        return ()

    @abc.abstractmethod
    def health_check(self) -> HealthStatus:
        """Check that the source answers and accepts the credentials; never raises."""

    @abc.abstractmethod
    def get_trial_balance(self, period: Period) -> pd.DataFrame:
        """Return the entity's trial balance for ``period``.

        Args:
            period: ``YYYY-MM``.

        Returns:
            A frame with ``close.engine.frames.LOCAL_TB_COLUMNS``, amounts ``int64`` minor units of the
            entity currency, summing to zero.

        Raises:
            InputDataError: the source's data is malformed or does not balance.
            RetriableConnectorError: a transient failure after the client's retries.
            FatalConnectorError: credentials rejected or another permanent refusal.

        """

    def get_companies(self) -> tuple[Company, ...]:
        """Return the companies the credentials give access to."""
        raise self._unsupported("companies")

    def get_chart_of_accounts(self) -> pd.DataFrame:
        """Return the source's accounts (``CHART_COLUMNS``)."""
        raise self._unsupported("a chart of accounts")

    def get_subledger_details(self, period: Period, account: str | None = None) -> pd.DataFrame:
        """Return the postings behind the trial balance (``SUBLEDGER_COLUMNS``)."""
        raise self._unsupported("subledger details")

    def get_receivables(self, as_of: date) -> pd.DataFrame:
        """Return the receivables open at ``as_of`` (``RECEIVABLE_COLUMNS``), for AR aging."""
        raise self._unsupported("receivables")

    def classify_response(self, response: httpx.Response) -> None:
        """Raise the right connector error for a failed response (override for 200-with-fault).

        Args:
            response: the response to judge.

        Raises:
            RetriableConnectorError: transient failure.
            FatalConnectorError: permanent failure.

        """
        default_classify_response(response, entity=self.context.entity, connector=self.name)

    def probe_health(self, probe: Callable[[], str],
                     unread: Callable[[], tuple[str, ...]] | None = None) -> HealthStatus:
        """Run ``probe`` (a cheap authenticated call returning a description) and time it.

        Args:
            probe: returns what it found, e.g. the company name; may raise any close error.
            unread: samples each endpoint the connector reads and returns the fields of its
                field map the source did not send; run after a good probe, or after one that
                failed on the data's shape (``InputDataError``), never after a refusal.

        Returns:
            ``ok`` with the probe's text, or not ``ok`` with the error's message (which never
            holds a secret); never raises for a close error.

        """
        started = time.monotonic()
        missing: tuple[str, ...] = ()
        failure: CloseError | None = None
        try:
            detail, ok = probe(), True
        except CloseError as exc:
            detail, ok, failure = str(exc), False, exc
        latency = round((time.monotonic() - started) * 1000)
        # Sample the fields when the source answered: after a good probe, or after one that
        # failed on the shape of the data (an older API), which the fields then explain.
        if unread is not None and (ok or isinstance(failure, InputDataError)):
            try:
                missing = unread()
            except CloseError as exc:
                detail, ok = (detail if not ok else str(exc)), False
        return HealthStatus(entity=self.context.entity, connector=self.name, ok=ok, detail=detail,
                            latency_ms=latency, api_version=self.API_VERSION, unread=missing)

    def _unsupported(self, what: str) -> FatalConnectorError:
        return FatalConnectorError(f"this source does not expose {what}",
                                   entity=self.context.entity, connector=self.name)
