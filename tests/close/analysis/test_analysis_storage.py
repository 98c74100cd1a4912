"""The PostgreSQL prompt cache: round trip, tenant isolation, and a re-run that makes no call."""

from __future__ import annotations

import dataclasses

import pytest

from close.analysis.commentary import (
    CLAUDE_RETRY,
    CachedCompletion,
    CommentarySettings,
    generate_commentary,
)
from close.engine.money import D
from close.storage import Database
from close.storage.commentary import PostgresCommentaryCache
from tests.close.analysis.frames import grounded_reply, variances
from tests.fakes.anthropic_server import FakeAnthropic

pytestmark = pytest.mark.filterwarnings(
    "ignore:The model 'claude-sonnet-4-5' is deprecated:DeprecationWarning")
HASH = "ab" * 32


def test_cache_round_trips_exact_cost_and_keeps_the_first_answer(db: Database) -> None:
    cache = PostgresCommentaryCache(db)
    assert cache.get(HASH) is None
    first = CachedCompletion("Revenue rose.", "claude-sonnet-4-5", 812, 64, D("0.003396"))
    cache.put(HASH, first)
    cache.put(HASH, CachedCompletion("Other.", "claude-sonnet-4-5", 1, 1, D("0.000018")))
    assert cache.get(HASH) == first


def test_cache_is_per_tenant(db: Database) -> None:
    PostgresCommentaryCache(db).put(HASH, CachedCompletion("T.", "m", 1, 1, D(0)))
    assert PostgresCommentaryCache(db.for_tenant(db.tenant + "_other")).get(HASH) is None


def test_a_rerun_with_the_postgres_cache_makes_no_request(db: Database) -> None:
    settings = CommentarySettings(retry=dataclasses.replace(CLAUDE_RETRY, attempts=2, wait_initial=0.001,
                                                    wait_max=0.01, jitter=0.001))
    with FakeAnthropic(reply=grounded_reply) as fake:
        def run() -> tuple[str, ...]:
            batch = generate_commentary(variances(), settings=settings,
                                        cache=PostgresCommentaryCache(db), api_key=fake.api_key,
                                        base_url=fake.url)
            return tuple(c.text for c in batch.comments if c.source == "claude")

        first = run()
        assert len(first) == 2 and fake.request_count == 2
        assert run() == first
        assert fake.request_count == 2
