"""``close connectors check``: every entity's connector asked whether it can reach its source.

Each check builds the connector exactly as a run would (settings validated, secrets resolved)
and calls its ``health_check``; a configuration error is reported as a failed row, not raised, so
one bad entity does not hide the others. Each row also names the API (and standard-message
versions) the connector reads and the fields of its field map (``connectors/<erp>.md``) that the
source did not send in a sample of each endpoint, so an older or changed API shows before a
close fails on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from close.errors import ConfigError
from connectors.base import ConnectorContext, HealthStatus
from connectors.registry import create_connector

HEALTH_COLUMNS: tuple[str, ...] = ("entity", "connector", "ok", "latency_ms", "api_version",
                                   "unread", "detail")


@dataclass(frozen=True, slots=True)
class ConnectorTarget:
    """One entity's connector as the group config declares it."""

    name: str
    settings: Mapping[str, Any] = field(repr=False)
    context: ConnectorContext


def check_connectors(targets: Iterable[ConnectorTarget]) -> tuple[HealthStatus, ...]:
    """Check every target's connector; never raises for a configuration or source failure.

    Args:
        targets: the entities' connectors.

    Returns:
        One ``HealthStatus`` per target, in order.

    """
    results = []
    for target in targets:
        try:
            connector = create_connector(target.name, target.settings, target.context)
        except ConfigError as exc:
            results.append(HealthStatus(entity=target.context.entity, connector=target.name,
                                        ok=False, detail=str(exc)))
            continue
        try:
            results.append(connector.health_check())
        finally:
            connector.disconnect()
    return tuple(results)


def health_table(statuses: Iterable[HealthStatus]) -> pd.DataFrame:
    """Return the statuses as a frame with ``HEALTH_COLUMNS`` (for rich tables and ``--json``).

    Args:
        statuses: results of ``check_connectors``.

    Returns:
        One row per status; ``latency_ms`` is ``<NA>`` when the check never reached the source;
        ``unread`` is the list of ``"endpoint: field"`` the source did not send.

    """
    frame = pd.DataFrame([{"entity": s.entity, "connector": s.connector, "ok": s.ok,
                           "latency_ms": s.latency_ms, "api_version": s.api_version,
                           "unread": list(s.unread), "detail": s.detail} for s in statuses],
                         columns=list(HEALTH_COLUMNS))
    return frame.astype({"ok": "bool", "latency_ms": "Int64"})
