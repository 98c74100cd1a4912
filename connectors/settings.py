"""Connector settings and secrets: checked once, with errors naming entity, connector and key.

Secrets never live in the group config. A connector declares the secret names it needs
(``SECRETS``); each comes from an environment variable: the one the entity's source table names
in ``<name>_env`` (``app_secret_env = "CLOSE_SECRET_OMIE_BR1"``), else
``CLOSE_SECRET_<ENTITY>_<NAME>`` (``CLOSE_SECRET_BR1_APP_SECRET``). The caller passes the
variables it read as ``ConnectorContext.secrets`` (keyed by variable name, as
``close.config.Settings.secrets`` holds every ``CLOSE_SECRET_*``; keying by secret name works too,
for tests and demos). Inside the connector values are wrapped in ``Secret``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from close.errors import ConfigError
from connectors.auth import OAuth2, Secret
from connectors.base import ConnectorContext

# Keys every ERP connector accepts besides its own.
COMMON_KEYS = frozenset({"connector", "type", "kind", "http", "base_url", "page_size",
                         "fiscal_year_start"})


def secret_env_var(entity: str, name: str, settings: Mapping[str, Any] | None = None) -> str:
    """Return the environment variable holding secret ``name`` of ``entity``.

    Args:
        entity: the entity id.
        name: the secret's name (``app_secret``).
        settings: the source table; ``<name>_env`` names the variable.

    Returns:
        The variable name.

    """
    named = (settings or {}).get(f"{name}_env")
    if isinstance(named, str) and named.strip():
        return named.strip()
    return re.sub(r"[^A-Z0-9]+", "_", f"CLOSE_SECRET_{entity}_{name}".upper())


def resolve_secrets(names: Iterable[str], settings: Mapping[str, Any], entity: str,
                    environ: Mapping[str, str]) -> dict[str, str]:
    """Read a connector's secrets from the environment (absent ones are left out).

    Args:
        names: the connector's ``SECRETS``.
        settings: the entity's source table.
        entity: the entity id.
        environ: usually ``os.environ``, read only by the caller at the edge.

    Returns:
        Secret name → value for each variable that is set.

    """
    found = {}
    for name in names:
        var = secret_env_var(entity, name, settings)
        if environ.get(var):
            found[name] = environ[var]
    return found


def require_secret(context: ConnectorContext, name: str, connector: str,
                   settings: Mapping[str, Any] | None = None) -> Secret:
    """Return secret ``name`` wrapped, or a ``ConfigError`` saying which variable to set.

    ``context.secrets`` is searched by the variable name first, then by the secret's name.

    Raises:
        ConfigError: naming entity, connector and the environment variable (never a value).

    """
    var = secret_env_var(context.entity, name, settings)
    value = context.secrets.get(var) or context.secrets.get(name)
    if not value:
        raise ConfigError(f"connector {connector} of entity {context.entity} needs the secret "
                          f"{name!r}; set the environment variable {var}", key=f"secrets.{name}")
    return Secret(value)


def check_keys(settings: Mapping[str, Any], allowed: Iterable[str], *, entity: str,
               connector: str, secrets: Iterable[str] = ()) -> None:
    """Refuse unknown keys in a source table (a typo must not be silently ignored).

    ``<secret>_env`` keys of the connector's secrets are allowed.

    Raises:
        ConfigError: naming entity, connector and the key.

    """
    known = COMMON_KEYS | set(allowed) | {f"{name}_env" for name in secrets}
    for key in settings:
        if key not in known:
            raise ConfigError(f"unknown setting for connector {connector} of entity {entity}",
                              key=f"source.{key}", expected="one of " + ", ".join(sorted(known)))


def int_setting(settings: Mapping[str, Any], key: str, default: int, *, entity: str,
                low: int = 1, high: int = 10_000) -> int:
    """Return an integer setting within ``[low, high]``.

    Raises:
        ConfigError: not an integer in range.

    """
    value = settings.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"bad setting for entity {entity}", key=f"source.{key}",
                          expected=f"an integer from {low} to {high}")
    return value


def str_setting(settings: Mapping[str, Any], key: str, default: str | None, *,
                entity: str) -> str:
    """Return a non-empty text setting (``default`` when absent; required when it is ``None``).

    Raises:
        ConfigError: missing or not text.

    """
    value = settings.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"missing or bad setting for entity {entity}", key=f"source.{key}",
                          expected="a non-empty string")
    return value.strip()


def rotating_refresh_token_auth(context: ConnectorContext, settings: Mapping[str, Any], *, connector: str,
                                token_url: str) -> OAuth2:
    """OAuth2 on a refresh token that the provider replaces at every refresh (Conta Azul, Bling).

    The new token is handed to ``context.store_secret`` at once, since the old one is revoked.

    Raises:
        ConfigError: a missing client id, client secret or refresh token.

    """
    def keep(token: Secret) -> None:
        if context.store_secret is not None:
            context.store_secret("refresh_token", token.reveal())

    return OAuth2(
        token_url=token_url, grant_type="refresh_token", entity=context.entity, connector=connector,
        client_id=require_secret(context, "client_id", connector, settings).reveal(),
        client_secret=require_secret(context, "client_secret", connector, settings),
        refresh_token=require_secret(context, "refresh_token", connector, settings),
        on_refresh_token=keep)
