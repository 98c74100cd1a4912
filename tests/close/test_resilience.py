"""The one retry/breaker helper: the Retry-After reader, retries, and a breaker shared through Redis."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import textwrap
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from close.errors import PermanentError, RetriableError
from close.resilience import (
    RETRY_AFTER_CAP_SECONDS,
    CircuitOpen,
    RetryPolicy,
    breaker_state,
    parse_retry_after,
    reset_breakers,
    resilient_call,
)
from tests.redis_server import fresh_redis_url

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2015, 10, 21, 7, 28, tzinfo=UTC)
FAST = RetryPolicy(attempts=3, wait_initial=0.01, wait_max=0.05, jitter=0.0, max_retry_after=10,
                   breaker_fail_max=3, breaker_reset_timeout=60)


# --- parse_retry_after ---------------------------------------------------------------------

@pytest.mark.parametrize(("header", "seconds"), [
    ("120", 120.0),
    (" 7 ", 7.0),
    ("0", 0.0),
    ("Wed, 21 Oct 2015 07:28:10 GMT", 10.0),  # IMF-fixdate
    ("Wednesday, 21-Oct-15 07:28:10 GMT", 10.0),  # obsolete RFC 850 form
    ("Wed Oct 21 07:28:10 2015", 10.0),  # obsolete asctime form (no zone: UTC)
    ("Wed, 21 Oct 2015 07:00:00 GMT", 0.0),  # a date already past: go now
], ids=["seconds", "spaces", "zero", "imf-date", "rfc850-date", "asctime-date", "past-date"])
def test_both_forms_are_read(header: str, seconds: float) -> None:
    assert parse_retry_after(header, NOW) == seconds


@pytest.mark.parametrize("header", [None, "", "soon", "-5", "1.5", "12abc", "+3", "٣",
                                    "Wed, 32 Oct 2015 07:28:10 GMT"],
                         ids=["absent", "blank", "word", "negative", "fraction", "trailing",
                              "plus", "arabic-digit", "bad-date"])
def test_garbage_and_negative_values_are_none(header: str | None) -> None:
    assert parse_retry_after(header, NOW) is None


def test_long_waits_are_capped() -> None:
    assert parse_retry_after("9" * 400, NOW) == RETRY_AFTER_CAP_SECONDS
    assert parse_retry_after("Fri, 01 Jan 2100 00:00:00 GMT", NOW) == RETRY_AFTER_CAP_SECONDS
    assert parse_retry_after("120", NOW, cap=30.0) == 30.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:29:00 GMT", NOW, cap=30.0) == 30.0


def test_a_date_is_measured_from_the_clock_by_default() -> None:
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT") == 0.0  # long past


# --- resilient_call ------------------------------------------------------------------------

class Flaky(RetriableError):
    """A transient failure that may ask for a wait."""

    def __init__(self, retry_after: float | None = None) -> None:
        super().__init__("flaky")
        self.retry_after = retry_after


def name() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"


def failing(times: int, error: Exception) -> tuple[list[int], object]:
    calls: list[int] = []

    def fn() -> str:
        calls.append(1)
        if len(calls) <= times:
            raise error
        return "ok"

    return calls, fn


def test_transient_errors_are_retried_with_backoff_and_retry_after() -> None:
    sleeps: list[float] = []
    errors = iter([Flaky(), Flaky(retry_after=2.0)])

    def fn() -> str:
        error = next(errors, None)
        if error is not None:
            raise error
        return "ok"

    assert resilient_call(FAST, name(), fn, sleep=sleeps.append) == "ok"
    assert sleeps[0] == pytest.approx(0.01) and sleeps[1] == 2.0


def test_a_retry_after_beyond_the_limit_goes_up_at_once() -> None:
    sleeps: list[float] = []
    calls, fn = failing(5, Flaky(retry_after=3600))
    with pytest.raises(Flaky):
        resilient_call(FAST, name(), fn, sleep=sleeps.append)
    assert len(calls) == 1 and sleeps == []


def test_permanent_errors_are_not_retried_nor_counted() -> None:
    breaker = name()
    for _ in range(5):
        calls, fn = failing(5, PermanentError("bad request"))
        with pytest.raises(PermanentError):
            resilient_call(FAST, breaker, fn, sleep=lambda _s: None)
        assert len(calls) == 1
    assert breaker_state(breaker, FAST) == "closed"


def test_attempts_open_the_breaker_and_later_calls_fail_fast() -> None:
    breaker = name()
    calls, fn = failing(100, Flaky())
    with pytest.raises(Flaky):
        resilient_call(FAST, breaker, fn, sleep=lambda _s: None)
    assert len(calls) == 3 and breaker_state(breaker, FAST) == "open"
    with pytest.raises(CircuitOpen, match=f"circuit breaker {breaker} open") as err:
        resilient_call(FAST, breaker, fn, sleep=lambda _s: None)
    assert len(calls) == 3 and 59 < err.value.retry_after <= 60


def test_a_breaker_counting_calls_waits_for_the_retries_to_run_out() -> None:
    breaker, policy = name(), dataclasses.replace(FAST, breaker_counts="call", breaker_fail_max=2)
    calls, fn = failing(100, Flaky())
    with pytest.raises(Flaky):
        resilient_call(policy, breaker, fn, sleep=lambda _s: None)
    assert len(calls) == 3 and breaker_state(breaker, policy) == "closed"  # one failed call
    with pytest.raises(Flaky):
        resilient_call(policy, breaker, fn, sleep=lambda _s: None)
    assert len(calls) == 6 and breaker_state(breaker, policy) == "open"
    with pytest.raises(CircuitOpen):
        resilient_call(policy, breaker, fn, sleep=lambda _s: None)
    assert len(calls) == 6


# --- one breaker shared through Redis ------------------------------------------------------

def _in_other_process(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_an_open_breaker_is_shared_by_two_processes_through_redis() -> None:
    redis_url, breaker = fresh_redis_url(), name()
    calls, fn = failing(100, Flaky())
    with pytest.raises(Flaky):
        resilient_call(FAST, breaker, fn, redis_url=redis_url, sleep=lambda _s: None)
    assert len(calls) == 3
    out = _in_other_process(f"""
        from close.resilience import CircuitOpen, RetryPolicy, breaker_state, resilient_call
        policy = RetryPolicy(breaker_fail_max=3)
        called = []
        try:
            resilient_call(policy, {breaker!r}, lambda: called.append(1), redis_url={redis_url!r})
        except CircuitOpen as exc:
            print(breaker_state({breaker!r}, policy, {redis_url!r}), len(called), exc.retry_after > 0)
    """)
    assert out == "open 0 True"  # the second process never called the service
    # without Redis, another process keeps its own (closed) breaker
    out = _in_other_process(f"""
        from close.resilience import RetryPolicy, resilient_call
        print(resilient_call(RetryPolicy(), {breaker!r}, lambda: "called"))
    """)
    assert out == "called"


def test_two_rate_clients_share_one_breaker_through_redis(bcb_down: str) -> None:
    """Two QuoteHttp clients of one source (two workers' rate tasks) see one circuit in Redis."""
    from close.rates.errors import RateSourceUnavailable
    from close.rates.settings import RateSourceSettings
    from close.rates.transport import QuoteHttp, raise_for_status

    redis_url = fresh_redis_url()
    settings = RateSourceSettings(bcb_base_url=bcb_down, retry=FAST)  # 3 attempts open it
    clients = [QuoteHttp("bcb_ptax", bcb_down, settings, redis_url=redis_url, sleep=lambda _s: None)
               for _ in range(2)]
    with pytest.raises(RateSourceUnavailable, match="HTTP 503"):
        clients[0].get("x", None, currencies=("USD",), read=raise_for_status)
    reset_breakers()  # forget this process's objects: only Redis remembers the circuit
    with pytest.raises(RateSourceUnavailable, match="circuit breaker open") as err:
        clients[1].get("x", None, currencies=("USD",), read=raise_for_status)
    assert err.value.attempts == 0
    for client in clients:
        client.close()


@pytest.fixture
def bcb_down():  # noqa: ANN201
    from tests.fakes.bcb import FakeBcb

    with FakeBcb() as fake:
        fake.fail_always(503)
        yield fake.base_url
