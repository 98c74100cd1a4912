"""One HTTP client for every ERP: httpx composed with the shared resilient call and a token bucket.

A request goes through these layers, outermost first:

1. **``close.resilience.resilient_call``** (tenacity + pybreaker, the same as the rate sources and
   Claude use) retries an attempt that raised ``RetriableConnectorError`` (429, 5xx, timeouts,
   connection errors), waiting what the provider's ``Retry-After`` says, else exponential backoff
   with jitter; ``attempts`` in all (default 3). A Retry-After longer than ``max_retry_after`` is
   not waited out here: the error goes up and Celery retries the task later. Its breaker, one per
   provider host, counts failed attempts; once ``breaker_fail_max`` fail in a row the circuit
   opens and calls fail fast (``RetriableConnectorError`` with ``circuit_open``) until
   ``breaker_reset_timeout`` passes. Its state lives in Redis when configured, so a second worker
   sees it open too. Client errors (``FatalConnectorError``, a 4xx) do not count.
2. **the rate limiter** (token bucket per provider account) spaces attempts at the documented
   rate; in Redis when ``redis_url`` is set, so every worker draws from the same bucket.
3. **httpx** sends, and the connector's ``classify_response`` turns the response into an error
   (the default: 429/5xx retriable, other 4xx fatal).

Logs (logger ``connectors.http``) carry provider, entity, method, the URL without its query,
status, attempt and wait — never headers, bodies or query strings, where credentials travel.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import math
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol
from urllib.parse import urlsplit

import certifi
import httpx
import redis
from prometheus_client import Counter

from close.config.types import TomlTable
from close.engine.types import EntityId
from close.errors import InputDataError
from close.resilience import (
    POLICY_NUMBERS,
    CircuitOpen,
    RetryPolicy,
    breaker_state,
    redis_client,
    resilient_call,
    shared_state_url,
)
from connectors.base import default_classify_response
from connectors.errors import RetriableConnectorError, redact_url
from connectors.settings import HttpTable, http_overrides, validate_table

log = logging.getLogger("connectors.http")

# Counted where the call happens; the metrics endpoint (close.run.workflow.metrics) exposes it.
# registry=None: the endpoint registers it in its own registry (or reads every process's values
# in multiprocess mode); the default registry would expose it twice.
ERP_CALLS = Counter("monthclose_erp_calls", "ERP API calls by provider and outcome (ok, error).",
                    ["provider", "outcome"], registry=None)


@dataclass(frozen=True, slots=True)
class HttpPolicy:
    """Retry, timeout, rate and breaker settings of one provider (overridable per entity).

    Attributes:
        retry: attempts, backoff, Retry-After limit and breaker (``close.resilience``).
        timeout: seconds for connect and read.
        rate: requests per second allowed (``None``: no limit).
        burst: bucket size: requests allowed back to back before the rate applies.

    """

    retry: RetryPolicy = RetryPolicy()
    timeout: float = 30.0
    rate: float | None = None
    burst: int = 1

    def with_settings(self, overrides: Mapping[str, Any] | TomlTable | None, *,
                      entity: EntityId) -> HttpPolicy:
        """Return a copy with the entity's ``[entities.source.http]`` overrides applied.

        The table is flat: the retry keys (``attempts``, ``wait_initial``, ``breaker_fail_max``…)
        sit beside ``timeout``, ``rate`` and ``burst`` (``connectors.settings.HttpTable``).

        Args:
            overrides: the ``http`` table of the source settings, validated or as written (may be ``None``).
            entity: named in errors.

        Returns:
            The new policy.

        Raises:
            ConfigError: an unknown key or a non-numeric / non-positive value.

        """
        if not overrides:
            return self
        if not isinstance(overrides, TomlTable):
            overrides = validate_table(HttpTable, overrides, who=f"entity {entity}", at="source.http")
        values = http_overrides(overrides)
        retry = {k: v for k, v in values.items() if k in POLICY_NUMBERS}
        mine = {k: v for k, v in values.items() if k not in POLICY_NUMBERS}
        return dataclasses.replace(self, retry=dataclasses.replace(self.retry, **retry), **mine)


# --- rate limiting -------------------------------------------------------------------------

class RateLimiter(Protocol):
    """Blocks until the caller may send one request."""

    def acquire(self) -> float:
        """Take one token, sleeping as needed; return the seconds slept."""
        ...


class MemoryTokenBucket:
    """A token bucket in this process: ``rate`` tokens per second, at most ``burst`` saved.

    Tokens are reserved, not polled: a caller that finds the bucket empty takes a token "on
    credit" and sleeps exactly until it would have been refilled, so waiters are served in order
    without busy loops.
    """

    def __init__(self, rate: float, burst: int = 1, *,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        """Create a full bucket."""
        self.rate, self.burst, self._sleep = rate, burst, sleep
        self._tokens, self._stamp = float(burst), time.monotonic()
        self._lock = threading.RLock()

    def acquire(self) -> float:
        """Reserve one token and sleep until it is due; return the seconds slept."""
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate) - 1
            self._stamp = now
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
        if wait > 0:
            self._sleep(wait)
        return wait


# Same reservation algorithm as MemoryTokenBucket, atomically in Redis with Redis' own clock,
# so workers on different machines (with different clocks) share one bucket.
_BUCKET_LUA = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'stamp')
local tokens = tonumber(state[1]) or burst
local stamp = tonumber(state[2]) or now
tokens = math.min(burst, tokens + (now - stamp) * rate) - 1
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'stamp', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 60000)
if tokens < 0 then return tostring(-tokens / rate) end
return '0'
"""


class RedisTokenBucket:
    """A token bucket shared by every process through one Redis hash (a Lua script)."""

    def __init__(self, client: redis.Redis, key: str, rate: float, burst: int = 1, *,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        """Bind the bucket to ``key`` in Redis."""
        self.key, self.rate, self.burst, self._sleep = key, rate, burst, sleep
        self._script = client.register_script(_BUCKET_LUA)

    def acquire(self) -> float:
        """Reserve one token in Redis and sleep until it is due; return the seconds slept."""
        try:
            wait = float(self._script(keys=[self.key], args=[self.rate, self.burst]))
        except redis.RedisError as exc:
            # No shared bucket means no safe rate: fail this attempt, retry later.
            raise RetriableConnectorError(f"rate-limiter store unavailable ({type(exc).__name__})",
                                          connector=self.key) from exc
        if wait > 0:
            self._sleep(wait)
        return wait


class _NoLimit:
    def acquire(self) -> float:
        return 0.0


# --- shared per-process state: one bucket per provider key ---------------------------------

_lock = threading.RLock()
_buckets: dict[tuple[str, str | None], RateLimiter] = {}


def rate_limiter(name: str, policy: HttpPolicy, redis_url: str | None) -> RateLimiter:
    """Return the process-wide token bucket for ``name`` (in Redis when ``redis_url`` is set).

    Args:
        name: the bucket key (provider and account: limits are per ERP account).
        policy: ``rate`` and ``burst``.
        redis_url: shared bucket when distributed.

    Returns:
        The limiter (a no-op when ``policy.rate`` is ``None``).

    """
    if policy.rate is None:
        return _NoLimit()
    key = (name, redis_url)
    with _lock:
        if key not in _buckets:
            _buckets[key] = (
                RedisTokenBucket(redis_client(redis_url), f"monthclose:bucket:{name}",
                                 policy.rate, policy.burst)
                if redis_url else MemoryTokenBucket(policy.rate, policy.burst))
        return _buckets[key]


# --- the client ----------------------------------------------------------------------------

@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One verifying TLS context per process: loading the CA bundle costs ~0.1 s per client."""
    return ssl.create_default_context(cafile=certifi.where())  # the bundle httpx uses


class ErpHttpClient:
    """The HTTP client a connector holds: retries, breaker, rate limit and error taxonomy.

    Example:
        >>> client = ErpHttpClient(provider="omie", base_url="https://app.omie.com.br/api/v1",
        ...                        entity="BR1")  # doctest: +SKIP
        >>> client.post_json("/geral/empresas/", json={...})  # doctest: +SKIP

    """

    def __init__(self, *, provider: str, base_url: str, entity: EntityId,
                 policy: HttpPolicy | None = None, auth: httpx.Auth | None = None,
                 classify: Callable[[httpx.Response], None] | None = None,
                 redis_url: str | None = None, limiter_key: str | None = None,
                 headers: Mapping[str, str] | None = None,
                 transport: httpx.BaseTransport | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        """Compose the client.

        Args:
            provider: the connector name (``omie``); keys the breaker and the bucket.
            base_url: the API root; request paths are relative to it.
            entity: named in errors and logs.
            policy: retries, timeout, rate and breaker; ``HttpPolicy()`` by default.
            auth: an ``httpx.Auth`` (``connectors.auth``) or ``None``.
            classify: raises the connector error for a failed response (default: by status).
            redis_url: share breaker and bucket through Redis.
            limiter_key: the rate-limit account (defaults to the provider), e.g. ``bling:BR1``
                since Bling limits per account.
            headers: sent with every request (no secrets: those go through ``auth``).
            transport: an httpx transport (tests, proxies).
            sleep: how to wait (tests record the waits).

        """
        self.provider, self.entity = provider, entity
        self.policy = policy or HttpPolicy()
        self._classify = classify or (lambda r: default_classify_response(
            r, entity=entity, connector=provider))
        self._sleep = sleep
        host = urlsplit(base_url).netloc or base_url
        self._shared = shared_state_url(redis_url)
        self._breaker_name = f"{provider}@{host}"
        self._limiter = rate_limiter(limiter_key or provider, self.policy, self._shared)
        self._client = httpx.Client(base_url=base_url, auth=auth, headers=dict(headers or {}),
                                    timeout=self.policy.timeout, transport=transport,
                                    verify=_tls_context())

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    @property
    def breaker_state(self) -> str:
        """``closed``, ``open`` or ``half-open`` as the (possibly shared) breaker sees it."""
        return breaker_state(self._breaker_name, self.policy.retry, self._shared)

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send a request with retries, rate limiting and the breaker.

        Args:
            method: HTTP method.
            path: path relative to the base URL.
            **kwargs: passed to ``httpx.Client.request`` (``params``, ``json``, ``data``…).

        Returns:
            A response the classifier accepted.

        Raises:
            RetriableConnectorError: still failing after the retries, or the circuit is open.
            FatalConnectorError: refused (credentials, 4xx).

        """
        try:
            return resilient_call(
                self.policy.retry, self._breaker_name,
                lambda: self._attempt(method, path, kwargs), redis_url=self._shared,
                on_retry=lambda exc, attempt, wait: self._log_retry(method, path, exc, attempt, wait),
                sleep=self._sleep)
        except CircuitOpen as exc:
            raise RetriableConnectorError(
                f"circuit breaker open for {self.provider} after repeated failures; "
                f"next trial in {math.ceil(exc.retry_after)} s", entity=self.entity,
                connector=self.provider, retry_after=exc.retry_after, circuit_open=True) from None

    def get_json(self, path: str, *, params: Mapping[str, Any] | None = None,
                 headers: Mapping[str, str] | None = None) -> Any:
        """GET and decode a JSON body (numbers with decimals as ``Decimal``).

        Args:
            path: path relative to the base URL.
            params: query parameters.
            headers: extra headers.

        Returns:
            The decoded JSON.

        Raises:
            InputDataError: the body is not JSON (names entity and endpoint).

        """
        return self.decode_json(self.request("GET", path, params=params, headers=headers), path)

    def post_json(self, path: str, *, json: Any = None, data: Any = None,
                  params: Mapping[str, Any] | None = None) -> Any:
        """POST (a JSON or form body) and decode a JSON answer; see ``get_json``."""
        return self.decode_json(self.request("POST", path, json=json, data=data, params=params),
                                path)

    def decode_json(self, response: httpx.Response, endpoint: str) -> Any:
        """Decode a response body as JSON with exact decimals.

        Args:
            response: the response.
            endpoint: named in the error.

        Returns:
            The decoded JSON, floats as ``Decimal`` (money must never pass through a float).

        Raises:
            InputDataError: the body is not JSON.

        """
        return decode_json_body(response.content, entity=self.entity, endpoint=endpoint)

    # -- one attempt, under the breaker --------------------------------------------------------

    def _attempt(self, method: str, path: str, kwargs: Mapping[str, Any]) -> httpx.Response:
        self._limiter.acquire()
        return self._send(method, path, kwargs)

    def _send(self, method: str, path: str, kwargs: Mapping[str, Any]) -> httpx.Response:
        url = f"{self._client.base_url}{path.lstrip('/')}"
        try:
            response = self._client.request(method, path, **kwargs)
        except httpx.TimeoutException as exc:
            ERP_CALLS.labels(self.provider, "error").inc()
            raise RetriableConnectorError(f"timed out ({type(exc).__name__})", url=url,
                                          entity=self.entity, connector=self.provider) from exc
        except httpx.TransportError as exc:
            ERP_CALLS.labels(self.provider, "error").inc()
            raise RetriableConnectorError(f"connection failed ({type(exc).__name__})", url=url,
                                          entity=self.entity, connector=self.provider) from exc
        ERP_CALLS.labels(self.provider, "ok" if response.status_code < 400 else "error").inc()
        log.debug("%s %s %s -> %s", self.provider, method, redact_url(str(response.url)),
                  response.status_code, extra={"provider": self.provider, "entity": self.entity,
                                               "status": response.status_code})
        self._classify(response)
        return response

    def _log_retry(self, method: str, path: str, exc: BaseException, attempt: int,
                   wait: float) -> None:
        log.warning("%s %s %s failed (%s); retry %d/%d in %.2f s", self.provider, method,
                    path.split("?")[0], exc, attempt, self.policy.retry.attempts - 1, wait,
                    extra={"provider": self.provider, "entity": self.entity,
                           "status": getattr(exc, "status", None), "wait": wait})


def decode_json_body(content: bytes, *, entity: EntityId, endpoint: str) -> Any:
    """Decode JSON bytes with ``Decimal`` for every non-integer number.

    Args:
        content: the body.
        entity: named in the error.
        endpoint: named in the error.

    Returns:
        The decoded value.

    Raises:
        InputDataError: the body is not JSON.

    """
    try:
        return json.loads(content, parse_float=Decimal)
    except ValueError as exc:
        raise InputDataError(f"response body is not JSON ({exc.msg} at char {exc.pos})"
                             if isinstance(exc, json.JSONDecodeError) else
                             "response body is not JSON", entity=entity,
                             endpoint=endpoint) from None
