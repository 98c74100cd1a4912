"""Credentials and the ways ERPs take them, as ``httpx.Auth`` flows.

* ``Secret`` wraps every credential: ``repr``/``str`` print ``***``; only ``reveal()`` gives the
  value, at the moment it goes on the wire (Singer ``secret=True``, Dagster's ``env:``).
* ``OAuth2`` does the client-credentials, refresh-token and password grants (Conta Azul and
  Bling rotate refresh tokens; TOTVS Protheus issues password-grant tokens). The access token is
  cached and refreshed shortly before it expires; a 401 on a call (the server expired it early)
  refreshes once and replays the call. A refused grant is a ``FatalConnectorError`` that names
  the entity and the connector, never a credential.
* ``BearerAuth`` (a static token), ``ApiKeyAuth`` (a key in a header) and ``BasicAuth``.
  Omie's ``app_key``/``app_secret`` travel inside the JSON body: ``AppKeyCredentials`` gives the
  connector the two fields to merge into it.
* ``require_secret`` reads one secret from the run's context (its variable named by the source's
  ``<name>_env`` key, ``connectors.settings``) and ``rotating_refresh_token_auth`` builds the
  refresh-token flow of Conta Azul and Bling on three of them.
"""

from __future__ import annotations

import base64
import hmac
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

import httpx

from close.errors import ConfigError, InputDataError
from close.resilience import parse_retry_after
from connectors.errors import FatalConnectorError, RetriableConnectorError
from connectors.settings import secret_env_var

if TYPE_CHECKING:
    from connectors.base import ConnectorContext


class Secret:
    """A credential that does not print itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        """Wrap ``value``."""
        self._value = value

    def reveal(self) -> str:
        """Return the value (only to put it on the wire)."""
        return self._value

    def __repr__(self) -> str:
        """Return ``Secret('***')``."""
        return "Secret('***')"

    def __str__(self) -> str:
        """Return ``***``."""
        return "***"

    def __bool__(self) -> bool:
        """Return whether the secret is non-empty."""
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        """Compare in constant time."""
        return isinstance(other, Secret) and hmac.compare_digest(self._value, other._value)

    def __hash__(self) -> int:
        """Hash like the value, so secrets can key a cache."""
        return hash(self._value)


class BearerAuth(httpx.Auth):
    """A static bearer token."""

    def __init__(self, token: Secret) -> None:
        """Keep the token."""
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Add ``Authorization: Bearer …``."""
        request.headers["Authorization"] = f"Bearer {self._token.reveal()}"
        yield request


class ApiKeyAuth(httpx.Auth):
    """An API key in a header (``X-API-Key`` by default)."""

    def __init__(self, key: Secret, header: str = "X-API-Key") -> None:
        """Keep the key and the header name."""
        self._key, self._header = key, header

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Add the key header."""
        request.headers[self._header] = self._key.reveal()
        yield request


class BasicAuth(httpx.Auth):
    """HTTP Basic with a secret password (TOTVS accepts it where OAuth2 is not enabled)."""

    def __init__(self, username: str, password: Secret) -> None:
        """Keep the credentials."""
        self._username, self._password = username, password

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Add ``Authorization: Basic …``."""
        request.headers["Authorization"] = _basic(self._username, self._password)
        yield request


def _basic(user: str, password: Secret) -> str:
    raw = f"{user}:{password.reveal()}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


@dataclass(frozen=True, slots=True)
class AppKeyCredentials:
    """Omie's per-account ``app_key`` + ``app_secret``, sent in every JSON body."""

    app_key: Secret
    app_secret: Secret

    def body_fields(self) -> dict[str, str]:
        """Return the two body fields with their values (only for building the request)."""
        return {"app_key": self.app_key.reveal(), "app_secret": self.app_secret.reveal()}


GrantType = Literal["client_credentials", "refresh_token", "password"]
# How the grant's parameters travel: an RFC 6749 form body (default), a JSON body (TOTVS RM's
# POST /api/connect/token, TDN pageId=539528505) or the query string (TOTVS Protheus'
# /api/oauth2/v1/token, TDN pageId=465383509).
TokenEncoding = Literal["form", "json", "query"]


class OAuth2(httpx.Auth):
    """OAuth2 token flow with caching, early refresh and one replay after a 401.

    Not thread-safe by design: a connector's client is used by one task at a time, and Conta
    Azul drops the connection when two refreshes race with the same refresh token.
    """

    requires_response_body = True

    def __init__(self, *, token_url: str, grant_type: GrantType, entity: str, connector: str,
                 client_id: str = "", client_secret: Secret | None = None,
                 refresh_token: Secret | None = None, username: str = "",
                 password: Secret | None = None, scope: str = "",
                 client_auth: Literal["basic", "body"] = "basic", leeway: float = 60.0,
                 on_refresh_token: Callable[[Secret], None] | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 encoding: TokenEncoding = "form", use_refresh_token: bool = True) -> None:
        """Configure the grant.

        Args:
            token_url: absolute URL of the token endpoint.
            grant_type: ``client_credentials``, ``refresh_token`` or ``password``.
            entity: named in errors.
            connector: named in errors.
            client_id: the OAuth client id.
            client_secret: the OAuth client secret.
            refresh_token: the long-lived refresh token (refresh-token grant).
            username: the user (password grant).
            password: the password (password grant).
            scope: requested scope, if the provider wants one.
            client_auth: client credentials in a Basic header (RFC 6749 §2.3.1) or the body.
            leeway: refresh this many seconds before expiry (at most half the lifetime).
            on_refresh_token: called with the new refresh token when the provider rotates it,
                so the caller can store it (Conta Azul and Bling invalidate the old one).
            clock: monotonic seconds (tests).
            encoding: where the grant's parameters go (form body, JSON body, query string).
            use_refresh_token: after a password grant, get later tokens with the refresh token
                the provider returned; ``False`` repeats the password grant (a provider whose
                refresh call is not published).

        """
        self.token_url, self.grant_type = token_url, grant_type
        self.entity, self.connector = entity, connector
        self._client_id, self._client_secret = client_id, client_secret
        self._refresh_token, self._username, self._password = refresh_token, username, password
        self._scope, self._client_auth, self._leeway = scope, client_auth, leeway
        self._on_refresh_token, self._clock = on_refresh_token, clock
        self._encoding, self._use_refresh_token = encoding, use_refresh_token
        self._access: Secret | None = None
        self._refresh_at = 0.0
        self.token_requests = 0

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Authorize ``request``; on a 401 get a new token once and replay it."""
        if self._access is None or self._clock() >= self._refresh_at:
            yield from self._fetch_token()
        request.headers["Authorization"] = f"Bearer {self._access_value()}"
        response = yield request
        if response.status_code == 401:
            self._access = None
            yield from self._fetch_token()
            request.headers["Authorization"] = f"Bearer {self._access_value()}"
            yield request

    def _access_value(self) -> str:
        assert self._access is not None  # set by _fetch_token or it raised
        return self._access.reveal()

    def _token_request(self) -> httpx.Request:
        body: dict[str, str] = {"grant_type": self.grant_type}
        if self.grant_type == "refresh_token" and self._refresh_token is not None:
            body["refresh_token"] = self._refresh_token.reveal()
        if self.grant_type == "password":
            body["username"] = self._username
            body["password"] = self._password.reveal() if self._password else ""
        if self._scope:
            body["scope"] = self._scope
        headers = {"Accept": "application/json"}
        secret = self._client_secret or Secret("")
        if self._client_id and self._client_auth == "basic":
            headers["Authorization"] = _basic(self._client_id, secret)
        elif self._client_id:
            body["client_id"], body["client_secret"] = self._client_id, secret.reveal()
        if self._encoding == "json":
            return httpx.Request("POST", self.token_url, json=body, headers=headers)
        if self._encoding == "query":
            return httpx.Request("POST", self.token_url, params=body, headers=headers)
        return httpx.Request("POST", self.token_url, data=body, headers=headers)

    def _fetch_token(self) -> Generator[httpx.Request, httpx.Response, None]:
        self.token_requests += 1
        response = yield self._token_request()
        status, url = response.status_code, self.token_url
        who = {"entity": self.entity, "connector": self.connector}
        if status == 429 or status >= 500:
            raise RetriableConnectorError(
                "token endpoint unavailable", status=status, url=url,
                retry_after=parse_retry_after(response.headers.get("Retry-After")), **who)
        try:
            payload = response.json(parse_float=Decimal)
        except ValueError:
            raise InputDataError("token response is not JSON", entity=self.entity,
                                 endpoint=url) from None
        if status >= 400 or not isinstance(payload, dict):
            # Name the OAuth error code only: descriptions may echo what was sent.
            code = "/".join(str(payload.get(k)) for k in ("error", "error_subtype")
                            if isinstance(payload, dict) and payload.get(k))
            raise FatalConnectorError(
                f"credentials rejected by the token endpoint ({code or 'no error code'}); "
                "renew the connector's credentials", status=status, url=url, **who)
        token = payload.get("access_token")
        if not isinstance(token, str) or not token:
            raise InputDataError("token response has no access_token", entity=self.entity,
                                 endpoint=url, field="access_token")
        lifetime = float(payload.get("expires_in") or 3600)
        self._access = Secret(token)
        self._refresh_at = self._clock() + lifetime - min(self._leeway, lifetime / 2)
        rotated = payload.get("refresh_token")
        if isinstance(rotated, str) and rotated and (
                self._refresh_token is None or rotated != self._refresh_token.reveal()):
            self._refresh_token = Secret(rotated)
            if self._on_refresh_token is not None:
                self._on_refresh_token(self._refresh_token)
            if self.grant_type == "password" and self._use_refresh_token:
                # Later tokens come from the refresh token, not the password again (TOTVS).
                self.grant_type = "refresh_token"


def require_secret(context: ConnectorContext, name: str, connector: str,
                   settings: Mapping[str, Any] | None = None) -> Secret:
    """Return secret ``name`` wrapped, or a ``ConfigError`` saying which variable to set.

    ``context.secrets`` is searched by the variable name first (``connectors.settings``'s
    ``secret_env_var``), then by the secret's name.

    Raises:
        ConfigError: naming entity, connector and the environment variable (never a value).

    """
    var = secret_env_var(context.entity, name, settings)
    value = context.secrets.get(var) or context.secrets.get(name)
    if not value:
        raise ConfigError(f"connector {connector} of entity {context.entity} needs the secret "
                          f"{name!r}; set the environment variable {var}", key=f"secrets.{name}")
    return Secret(value)


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
