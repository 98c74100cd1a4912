"""Fixtures for the rates tests: the BCB and ECB fakes, and settings pointing at them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from close.rates.service import RateService
from close.rates.settings import RatePolicy, RateSourceSettings
from close.resilience import RetryPolicy
from tests.fakes.bcb import FakeBcb
from tests.fakes.ecb import FakeEcb


@pytest.fixture(scope="module")
def _bcb_server() -> Iterator[FakeBcb]:
    with FakeBcb() as fake:
        yield fake


@pytest.fixture(scope="module")
def _ecb_server() -> Iterator[FakeEcb]:
    with FakeEcb() as fake:
        yield fake


@pytest.fixture
def bcb(_bcb_server: FakeBcb) -> FakeBcb:
    """The fake Olinda PTAX service (default seeded quotations), no failures, no requests yet."""
    _bcb_server.reset()
    return _bcb_server


@pytest.fixture
def ecb(_ecb_server: FakeEcb) -> FakeEcb:
    """The fake ECB Data Portal (default seeded rates), no failures, no requests yet."""
    _ecb_server.reset()
    return _ecb_server


@pytest.fixture
def settings(bcb: FakeBcb, ecb: FakeEcb) -> RateSourceSettings:
    """Settings aimed at the fakes, with backoff that does not slow the suite."""
    return RateSourceSettings(bcb_base_url=bcb.base_url, ecb_base_url=ecb.base_url,
                              timeout_seconds=5.0,
                              retry=RetryPolicy(attempts=3, wait_initial=0, wait_max=0, jitter=0))


@pytest.fixture
def usd_policy() -> RatePolicy:
    """A USD-presenting group on the default policy (PTAX venda, file fallback on)."""
    return RatePolicy(presentation_currency="USD")


@pytest.fixture
def service(settings: RateSourceSettings, usd_policy: RatePolicy) -> Iterator[RateService]:
    """The real service on the fakes; waits between attempts are skipped."""
    with RateService.from_settings(settings, usd_policy, sleep=lambda _seconds: None) as svc:
        yield svc
