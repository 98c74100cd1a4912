"""Find connector classes by name: the ``monthclose.connectors`` entry-point group.

A third party adds a connector by declaring, in its own distribution::

    [project.entry-points."monthclose.connectors"]
    sap = "acme_connectors.sap:SapConnector"

In a source checkout (package not installed, so no entry points), the built-in table below
answers for the connectors shipped here, under the same names. A name that resolves to nothing,
or whose import fails, is a ``ConfigError`` naming the connector and the entity (beancount's
loader turns plugin import failures into load errors the same way).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from importlib.metadata import entry_points
from typing import Any

from close.errors import ConfigError
from connectors.base import ConnectorContext, ERPConnector
from connectors.settings import ENTRY_POINT_GROUP, resolve_secrets

BUILTIN_CONNECTORS: Mapping[str, str] = {
    "file": "connectors.files:FileConnector",
    "totvs_rm": "connectors.totvs:TotvsRmConnector",
    "totvs_protheus": "connectors.totvs:TotvsProtheusConnector",
    "contaazul": "connectors.contaazul:ContaAzulConnector",
    "omie": "connectors.omie:OmieConnector",
    "bling": "connectors.bling:BlingConnector",
}


def _targets() -> dict[str, str]:
    found = dict(BUILTIN_CONNECTORS)
    found.update({ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)})
    return found


def available_connectors() -> tuple[str, ...]:
    """Return the names a group config may use as an entity's connector, sorted."""
    return tuple(sorted(_targets()))


def connector_class(name: str, *, entity: str | None = None) -> type[ERPConnector]:
    """Resolve a connector name to its class.

    Args:
        name: the name in the group config (``file``, ``omie`` …).
        entity: the entity asking, named in errors.

    Returns:
        The connector class.

    Raises:
        ConfigError: unknown name, import failure, or a target that is not an ``ERPConnector``.

    """
    who = f"connector {name!r} of entity {entity}" if entity else f"connector {name!r}"
    target = _targets().get(name)
    if target is None:
        raise ConfigError(f"unknown {who}", key="source.connector",
                          expected="one of " + ", ".join(available_connectors()))
    module_name, _, attr = target.partition(":")
    try:
        obj: Any = importlib.import_module(module_name)
        for part in attr.split(".") if attr else ():
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"cannot load {who} from {target}: {exc}",
                          key="source.connector") from exc
    if not (isinstance(obj, type) and issubclass(obj, ERPConnector)):
        raise ConfigError(f"{who} ({target}) is not an ERPConnector", key="source.connector")
    return obj


def create_connector(name: str, settings: Mapping[str, Any],
                     context: ConnectorContext) -> ERPConnector:
    """Build the named connector for an entity.

    Args:
        name: the connector name in the group config.
        settings: the entity's ``[entities.source]`` table.
        context: entity, currency, snapshot file reader, secrets, Redis URL.

    Returns:
        The connector, not yet connected.

    Raises:
        ConfigError: unknown or unloadable connector, or settings it refuses.

    """
    return connector_class(name, entity=context.entity)(settings, context)


def files_for(name: str, settings: Mapping[str, Any], period: str, *,
              entity: str | None = None) -> list[str]:
    """Return the files the named connector will read for ``period`` (for the run snapshot).

    Args:
        name: the connector name.
        settings: the entity's source table.
        period: ``YYYY-MM``.
        entity: named in errors.

    Returns:
        Paths as written in the config; ``[]`` for ERP connectors.

    Raises:
        ConfigError: unknown connector or a malformed ``path``.

    """
    return connector_class(name, entity=entity).files_for(settings, period)


def secrets_for(name: str, settings: Mapping[str, Any], entity: str,
                environ: Mapping[str, str]) -> dict[str, str]:
    """Resolve the named connector's secrets for ``entity`` from ``environ``.

    The variable of each secret is ``CLOSE_SECRET_<ENTITY>_<NAME>`` unless the source table names
    it (``app_secret_env = "OMIE_BR1_SECRET"``); see ``connectors.settings``.

    Args:
        name: the connector name.
        settings: the entity's source table.
        entity: the entity id.
        environ: the environment (``os.environ``), read by the caller at the edge.

    Returns:
        Secret name → value for the variables that are set (pass as ``ConnectorContext.secrets``).

    Raises:
        ConfigError: unknown connector.

    """
    cls = connector_class(name, entity=entity)
    return resolve_secrets(cls.SETTINGS.SECRETS, settings, entity, environ)
