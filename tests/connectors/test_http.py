"""The shared HTTP machinery against a local server: retries, Retry-After, breaker, rate, auth."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import httpx
import pytest

from close.errors import InputDataError
from connectors.auth import ApiKeyAuth, AppKeyCredentials, BasicAuth, BearerAuth, OAuth2, Secret
from connectors.errors import FatalConnectorError, RetriableConnectorError
from connectors.fakes.server import EchoServer, FakeRequest, FakeServer, Reply
from connectors.http import ErpHttpClient, HttpPolicy, MemoryTokenBucket
from tests.redis_server import fresh_redis_url

ROOT = Path(__file__).resolve().parents[2]
def http_policy(**settings: float) -> HttpPolicy:
    """A policy from the flat keys of an entity's ``[entities.source.http]`` table."""
    return HttpPolicy().with_settings(settings, entity="BR1")


FAST = http_policy(attempts=3, wait_initial=0.001, wait_max=0.01, jitter=0.001, timeout=2.0)


@pytest.fixture
def server():
    with EchoServer() as fake:
        yield fake


@pytest.fixture
def redis_url() -> str:
    """A database of its own on the session's private Redis."""
    return fresh_redis_url()


def unique(provider: str) -> str:
    return f"{provider}-{uuid.uuid4().hex[:8]}"


def client_for(fake: FakeServer, policy: HttpPolicy = FAST, **kwargs) -> tuple[ErpHttpClient, list[float]]:
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        time.sleep(min(seconds, 0.05))

    kwargs.setdefault("provider", unique("test"))
    client = ErpHttpClient(base_url=fake.url, entity="BR1", policy=policy, sleep=sleep, **kwargs)
    return client, sleeps


def test_429_with_retry_after_waits_as_told(server: EchoServer) -> None:
    server.fail_next(1, 429, {"error": "slow down"}, headers={"Retry-After": "2"})
    client, sleeps = client_for(server)
    assert client.get_json("/v1/x") == {"ok": True, "path": "/v1/x"}
    assert sleeps == [2.0] and len(server.hits()) == 2


def test_three_5xx_then_success_completes(server: EchoServer) -> None:
    server.fail_next(3, 503, {"message": "down"})
    client, sleeps = client_for(server, http_policy(attempts=4, wait_initial=0.01, wait_max=1,
                                                   jitter=0.01))
    assert client.get_json("/v1/x")["ok"] is True
    assert len(server.hits()) == 4
    # exponential backoff with jitter: each wait at least the doubling base
    assert [round(s, 2) >= b for s, b in zip(sleeps, (0.01, 0.02, 0.04), strict=True)] == [True] * 3


def test_default_three_attempts_then_the_error_goes_up(server: EchoServer) -> None:
    server.fail_next(3, 502, b"<html>bad gateway</html>")
    client, _ = client_for(server)
    with pytest.raises(RetriableConnectorError) as err:
        client.get_json("/v1/x")
    assert err.value.status == 502 and len(server.hits()) == 3
    assert "entity BR1" in str(err.value)


def test_retry_after_longer_than_allowed_is_left_to_celery(server: EchoServer) -> None:
    server.fail_next(1, 429, {}, headers={"Retry-After": "3600"})
    client, sleeps = client_for(server)
    with pytest.raises(RetriableConnectorError) as err:
        client.get_json("/v1/x")
    assert err.value.retry_after == 3600 and sleeps == [] and len(server.hits()) == 1


def test_timeouts_are_retried_then_raised(server: EchoServer) -> None:
    server.delay = 0.3
    client, _ = client_for(server, http_policy(attempts=2, wait_initial=0.001, jitter=0.001,
                                              timeout=0.05))
    with pytest.raises(RetriableConnectorError, match="timed out"):
        client.get_json("/v1/slow")


def test_connection_refused_is_retriable() -> None:
    client = ErpHttpClient(provider=unique("down"), base_url="http://127.0.0.1:9", entity="BR1",
                           policy=FAST, sleep=lambda s: None)
    with pytest.raises(RetriableConnectorError, match="connection failed"):
        client.get_json("/v1/x")


@pytest.mark.parametrize(("status", "expected", "attempts"), [
    (400, FatalConnectorError, 1),
    (401, FatalConnectorError, 1),
    (403, FatalConnectorError, 1),
    (404, FatalConnectorError, 1),
    (408, RetriableConnectorError, 3),
    (429, RetriableConnectorError, 3),
    (500, RetriableConnectorError, 3),
    (503, RetriableConnectorError, 3),
], ids=["400-fatal", "401-fatal", "403-fatal", "404-fatal", "408-retried", "429-retried",
        "500-retried", "503-retried"])
def test_status_to_exception(server: EchoServer, status: int, expected: type[Exception],
                             attempts: int) -> None:
    server.fail_next(5, status, {"message": "no"})
    client, _ = client_for(server)
    with pytest.raises(expected):
        client.get_json("/v1/x")
    assert len(server.hits()) == attempts


def test_malformed_body_names_entity_and_endpoint(server: EchoServer) -> None:
    server.fail_next(1, 200, b'{"itens": [1, 2')
    client, _ = client_for(server)
    with pytest.raises(InputDataError) as err:
        client.get_json("/v1/categorias")
    assert err.value.entity == "BR1" and err.value.endpoint == "/v1/categorias"


def test_json_numbers_are_decimals(server: EchoServer) -> None:
    server.fail_next(1, 200, b'{"valor": 1500.75}')
    client, _ = client_for(server)
    from decimal import Decimal
    assert client.get_json("/v1/x") == {"valor": Decimal("1500.75")}


def test_breaker_opens_and_fails_fast_in_memory(server: EchoServer) -> None:
    server.fail_next(100, 500, {"message": "down"})
    policy = http_policy(attempts=3, wait_initial=0.001, jitter=0.001, breaker_fail_max=3)
    client, _ = client_for(server, policy)
    with pytest.raises(RetriableConnectorError) as first:
        client.get_json("/v1/x")
    assert not first.value.circuit_open and len(server.hits()) == 3
    assert client.breaker_state == "open"
    with pytest.raises(RetriableConnectorError) as second:
        client.get_json("/v1/x")
    assert second.value.circuit_open and len(server.hits()) == 3  # failed fast, not retried
    assert "circuit breaker open" in str(second.value)


def test_client_errors_do_not_open_the_breaker(server: EchoServer) -> None:
    server.fail_next(10, 404, {})
    client, _ = client_for(server, http_policy(attempts=1, breaker_fail_max=2))
    for _ in range(4):
        with pytest.raises(FatalConnectorError):
            client.get_json("/v1/missing")
    assert client.breaker_state == "closed"


def _run_in_other_process(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_open_breaker_is_shared_through_redis(server: EchoServer, redis_url: str) -> None:
    provider = unique("shared")
    server.fail_next(100, 500, {"message": "down"})
    policy = http_policy(attempts=3, wait_initial=0.001, jitter=0.001, breaker_fail_max=3,
                        breaker_reset_timeout=60)
    client, _ = client_for(server, policy, provider=provider, redis_url=redis_url)
    with pytest.raises(RetriableConnectorError):
        client.get_json("/v1/x")
    assert client.breaker_state == "open" and len(server.hits()) == 3
    out = _run_in_other_process(f"""
        from connectors.http import ErpHttpClient, HttpPolicy
        from connectors.errors import RetriableConnectorError
        policy = HttpPolicy().with_settings({{"breaker_fail_max": 3}}, entity="BR2")
        client = ErpHttpClient(provider={provider!r}, base_url={server.url!r}, entity="BR2",
                               policy=policy, redis_url={redis_url!r})
        try:
            client.get_json("/v1/x")
        except RetriableConnectorError as exc:
            print(client.breaker_state, exc.circuit_open)
    """)
    assert out == "open True"
    assert len(server.hits()) == 3  # the second process never reached the provider


def test_rate_limit_holds_across_two_processes(server: EchoServer, redis_url: str) -> None:
    provider, rate, per_process = unique("rated"), 8.0, 12
    code = f"""
        import sys
        from connectors.http import ErpHttpClient, HttpPolicy
        policy = HttpPolicy().with_settings({{"rate": {rate}, "burst": 1}}, entity="BR1")
        client = ErpHttpClient(provider={provider!r}, base_url={server.url!r}, entity="BR1",
                               policy=policy, redis_url={redis_url!r})
        print("ready", flush=True)
        sys.stdin.readline()  # both processes start together, whatever their import time
        for _ in range({per_process}):
            client.get_json("/v1/x")
        print("done", flush=True)
    """
    procs = [subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for _ in range(2)]
    for proc in procs:
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
    for proc in procs:
        proc.stdin.write("go\n")
        proc.stdin.flush()
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0 and out.strip() == "done", err
    stamps = sorted(r.at for r in server.hits())
    assert len(stamps) == 2 * per_process
    observed = (len(stamps) - 1) / (stamps[-1] - stamps[0])
    assert rate * 0.7 <= observed <= rate * 1.3, observed


def test_memory_bucket_spaces_requests() -> None:
    waits: list[float] = []
    bucket = MemoryTokenBucket(rate=10, burst=2, sleep=waits.append)
    for _ in range(4):
        bucket.acquire()
    # two from the burst, then reservations 0.1 s apart (no real sleep: waits only recorded)
    assert waits[0] == pytest.approx(0.1, abs=0.02) and waits[1] == pytest.approx(0.2, abs=0.02)


# --- auth ---------------------------------------------------------------------------------

class TokenServer(FakeServer):
    """An OAuth2 provider: rotating refresh tokens, revocation, early server-side expiry."""

    def __init__(self) -> None:
        super().__init__()
        self.valid_tokens: set[str] = set()
        self.refresh_token = "rt-1"
        self.revoked = False
        self.expires_in = 3600
        self.issued = 0

    def handle(self, request: FakeRequest) -> Reply:
        if request.path == "/oauth2/token":
            form = request.form()
            if request.headers.get("authorization") != "Basic Y2xpZW50OnMzY3JldA==":  # client:s3cret
                return Reply(401, {"error": "invalid_client"})
            if form["grant_type"] == "refresh_token":
                if self.revoked or form.get("refresh_token") != self.refresh_token:
                    return Reply(400, {"error": "invalid_grant", "error_subtype": "access_revoked",
                                       "error_description": f"token {form.get('refresh_token')} revoked"})
                self.issued += 1
                self.refresh_token = f"rt-{self.issued + 1}"
            self.issued += 1
            token = f"at-{self.issued}"
            self.valid_tokens.add(token)
            return Reply(200, {"access_token": token, "expires_in": self.expires_in,
                               "refresh_token": self.refresh_token, "token_type": "Bearer"})
        auth = request.headers.get("authorization", "")
        if auth.removeprefix("Bearer ") not in self.valid_tokens:
            return Reply(401, {"code": 401, "message": "The Token has expired."})
        return Reply(200, {"ok": True})


@pytest.fixture
def tokens():
    with TokenServer() as fake:
        yield fake


def oauth(fake: TokenServer, **kwargs) -> OAuth2:
    kwargs.setdefault("grant_type", "refresh_token")
    kwargs.setdefault("refresh_token", Secret("rt-1"))
    return OAuth2(token_url=f"{fake.url}/oauth2/token", entity="BR1", connector="contaazul",
                  client_id="client", client_secret=Secret("s3cret"), **kwargs)


def test_token_is_cached_across_calls(tokens: TokenServer) -> None:
    rotated: list[Secret] = []
    auth = oauth(tokens, on_refresh_token=rotated.append)
    client, _ = client_for(tokens, auth=auth)
    for _ in range(3):
        assert client.get_json("/v1/data") == {"ok": True}
    assert auth.token_requests == 1 and len(tokens.hits("/oauth2/token")) == 1
    assert [s.reveal() for s in rotated] == [tokens.refresh_token]


def test_expired_token_is_refreshed_once_and_the_call_succeeds(tokens: TokenServer) -> None:
    auth = oauth(tokens)
    client, _ = client_for(tokens, auth=auth)
    client.get_json("/v1/data")
    tokens.valid_tokens.clear()  # the server expires it before we expected
    assert client.get_json("/v1/data") == {"ok": True}
    assert auth.token_requests == 2 and len(tokens.hits("/v1/data")) == 3


def test_token_refreshed_before_expiry(tokens: TokenServer) -> None:
    now = [1000.0]
    tokens.expires_in = 300
    auth = oauth(tokens, clock=lambda: now[0], leeway=60)
    client, _ = client_for(tokens, auth=auth)
    client.get_json("/v1/data")
    now[0] += 230  # 70 s left: not yet
    client.get_json("/v1/data")
    now[0] += 20  # 50 s left: refresh ahead of expiry, no 401 seen
    client.get_json("/v1/data")
    assert auth.token_requests == 2 and len(tokens.hits("/v1/data")) == 3


def test_client_credentials_grant(tokens: TokenServer) -> None:
    auth = oauth(tokens, grant_type="client_credentials", refresh_token=None)
    client, _ = client_for(tokens, auth=auth)
    assert client.get_json("/v1/data") == {"ok": True}
    assert tokens.hits("/oauth2/token")[0].form() == {"grant_type": "client_credentials"}


def test_revoked_credential_names_entity_and_connector_never_the_secret(
        tokens: TokenServer, caplog: pytest.LogCaptureFixture) -> None:
    tokens.revoked = True
    caplog.set_level(logging.DEBUG)
    client, _ = client_for(tokens, auth=oauth(tokens))
    with pytest.raises(FatalConnectorError) as err:
        client.get_json("/v1/data")
    text = str(err.value)
    assert "entity BR1" in text and "connector contaazul" in text
    assert "invalid_grant/access_revoked" in text
    for secret in ("rt-1", "s3cret", "Y2xpZW50OnMzY3JldA"):
        assert secret not in text and secret not in caplog.text
    assert len(tokens.hits("/oauth2/token")) == 1  # not retried


def test_secret_never_prints() -> None:
    s = Secret("hunter2")
    assert repr(s) == "Secret('***')" and str(s) == "***" and f"{s}" == "***"
    assert s.reveal() == "hunter2" and s == Secret("hunter2")
    creds = AppKeyCredentials(Secret("123"), Secret("abc"))
    assert "123" not in repr(creds) and creds.body_fields() == {"app_key": "123", "app_secret": "abc"}


def test_static_auth_headers() -> None:
    request = httpx.Request("GET", "http://x/")
    for auth, header, value in [
        (BearerAuth(Secret("t")), "Authorization", "Bearer t"),
        (ApiKeyAuth(Secret("k"), "X-Key"), "X-Key", "k"),
        (BasicAuth("u", Secret("p")), "Authorization", "Basic dTpw"),
    ]:
        flow = auth.sync_auth_flow(request)
        assert next(flow).headers[header] == value


def test_http_settings_override_policy() -> None:
    from close.errors import ConfigError
    policy = HttpPolicy().with_settings({"attempts": 5, "wait_initial": 0.01, "timeout": 2},
                                        entity="BR1")
    assert policy.retry.attempts == 5 and policy.retry.wait_initial == 0.01 and policy.timeout == 2.0
    with pytest.raises(ConfigError, match="source.http.retries"):
        HttpPolicy().with_settings({"retries": 5}, entity="BR1")


def test_non_redis_broker_keeps_state_in_memory(server: EchoServer) -> None:
    client, _ = client_for(server, redis_url="amqp://guest@localhost//")
    assert client.get_json("/v1/x")["ok"] is True
