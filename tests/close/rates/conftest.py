"""Fixtures for the rates tests: the BCB and ECB fakes, and settings pointing at them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from close.rates.service import RateService
from close.rates.settings import RatePolicy, RateSourceSettings
from tests.fakes.bcb import FakeBcb
from tests.fakes.ecb import FakeEcb


@pytest.fixture
def bcb() -> Iterator[FakeBcb]:
    """The fake Olinda PTAX service with the default seeded quotations."""
    with FakeBcb() as fake:
        yield fake


@pytest.fixture
def ecb() -> Iterator[FakeEcb]:
    """The fake ECB Data Portal with the default seeded reference rates."""
    with FakeEcb() as fake:
        yield fake


@pytest.fixture
def settings(bcb: FakeBcb, ecb: FakeEcb) -> RateSourceSettings:
    """Settings aimed at the fakes, with backoff that does not slow the suite."""
    return RateSourceSettings(bcb_base_url=bcb.base_url, ecb_base_url=ecb.base_url,
                              timeout_seconds=5.0, max_attempts=3, backoff_initial_seconds=0.0,
                              backoff_max_seconds=0.0)


@pytest.fixture
def usd_policy() -> RatePolicy:
    """A USD-presenting group on the default policy (PTAX venda, file fallback on)."""
    return RatePolicy(presentation_currency="USD")


@pytest.fixture
def service(settings: RateSourceSettings, usd_policy: RatePolicy) -> RateService:
    """The real service on the fakes; waits between attempts are skipped."""
    return RateService.from_settings(settings, usd_policy, sleep=lambda _seconds: None)
