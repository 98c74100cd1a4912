"""Claude commentary through the real anthropic SDK against the local fake Messages API."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from pydantic import SecretStr

from close.analysis.commentary import (
    ANTHROPIC_API_VERSION,
    CLAUDE_RETRY,
    DATA_ONLY_LABEL,
    MODEL_PRICES,
    CachedCompletion,
    CommentarySettings,
    MemoryCache,
    clean_text,
    comment_figures,
    generate_commentary,
    prompt_hash,
    render_prompt,
    score_confidence,
    traffic_light,
)
from close.config import AiSettings
from close.engine.money import D
from close.errors import ConfigError
from close.resilience import reset_breakers
from tests.close.analysis.frames import figures, grounded_reply, variances
from tests.fakes.anthropic_server import FakeAnthropic
from tests.redis_server import fresh_redis_url

# The SDK warns on every call that the design's model has an end-of-life date; it is the
# configured default on purpose, so the warning is noise here.
pytestmark = pytest.mark.filterwarnings(
    "ignore:The model 'claude-sonnet-4-5' is deprecated:DeprecationWarning")
FAST_RETRY = dataclasses.replace(CLAUDE_RETRY, attempts=3, wait_initial=0.001, wait_max=0.01,
                                 jitter=0.001, breaker_fail_max=2)


def settings(**overrides: Any) -> CommentarySettings:  # noqa: ANN401
    base: dict[str, Any] = {"retry": FAST_RETRY, "timeout_seconds": 5.0, "concurrency": 3}
    base.update(overrides)
    return CommentarySettings(**base)


@pytest.fixture
def fake() -> Iterator[FakeAnthropic]:
    with FakeAnthropic(reply=grounded_reply) as server:
        yield server


def run(fake: FakeAnthropic, cache: MemoryCache | None = None, **kw: Any):  # noqa: ANN201, ANN401
    return generate_commentary(
        kw.pop("variances", variances()), settings=kw.pop("settings", settings()),
        cache=cache if cache is not None else MemoryCache(),
        api_key=kw.pop("api_key", fake.api_key), base_url=fake.url, **kw)


def test_every_material_variance_gets_a_claude_comment(fake: FakeAnthropic) -> None:
    batch = run(fake)
    assert [(c.account, c.source) for c in batch.comments] == [("4000", "claude"),
                                                               ("6100", "claude")]
    assert fake.request_count == 2
    for body in fake.bodies:
        assert (body["model"], body["temperature"], body["max_tokens"]) == (
            "claude-sonnet-4-5", 0.3, 300)
        assert body["messages"][0]["role"] == "user"
    prompts = sorted(b["messages"][0]["content"] for b in fake.bodies)
    assert "Variance: +50,000 USD, 5.0% (favourable to profit)" in prompts[0]
    assert "Drivers by entity: BR01 +50,000 (FX +30,000)" in prompts[0]
    assert "Actual: 110,000 USD" in prompts[1]
    assert "Variance: +10,000 USD, 10.0% (adverse to profit)" in prompts[1]
    assert "2024-03 100,000" in prompts[1]
    assert "Language: write in English (en-US)" in prompts[0]
    for received in fake.received:
        assert received.headers["x-api-key"] == fake.api_key
        assert received.headers["anthropic-version"] == ANTHROPIC_API_VERSION
    revenue = batch.comments[0]
    assert revenue.text == ("Product revenue rose by 50,000 USD against the prior month. The "
                            "increase came mainly from BR01, partly from exchange rates.")
    assert (revenue.model, revenue.cached, revenue.revised) == ("claude-sonnet-4-5", False, False)
    assert revenue.latency_ms is not None
    assert (revenue.confidence, revenue.light) == (100, "green")
    # Rent: complete and grounded (40 + 30) but its jump is unusual against its history.
    assert (batch.comments[1].confidence, batch.comments[1].light) == (70, "red")


def test_tokens_and_cost_are_recorded(fake: FakeAnthropic) -> None:
    batch = run(fake)
    price = MODEL_PRICES["claude-sonnet-4-5"]
    for c in batch.comments:
        assert c.input_tokens > 0 and c.output_tokens > 0
        assert c.cost_usd == (c.input_tokens * 3 + c.output_tokens * 15) / Decimal(1_000_000)
        assert c.cost_usd == price.cost(c.input_tokens, c.output_tokens)
    usage = batch.usage
    assert usage.requests == 2 and usage.cache_hits == 0 and usage.fallbacks == 0
    assert usage.input_tokens == sum(c.input_tokens for c in batch.comments)
    assert usage.cost_usd == sum(c.cost_usd for c in batch.comments)


def test_a_second_run_is_served_from_cache_without_requests(fake: FakeAnthropic) -> None:
    cache = MemoryCache()
    first = run(fake, cache)
    fake.reset()
    second = run(fake, cache)
    assert fake.request_count == 0
    assert [c.text for c in second.comments] == [c.text for c in first.comments]
    assert all(c.cached and c.source == "claude" for c in second.comments)
    assert (second.usage.requests, second.usage.cache_hits, second.usage.cost_usd) == (
        0, 2, Decimal(0))


def test_a_changed_figure_regenerates_its_comment_marked_revised(fake: FakeAnthropic) -> None:
    cache = MemoryCache()
    first = run(fake, cache)
    previous = {c.figures.key: c.figures.digest for c in first.comments}
    fake.reset()
    adjusted = figures("4000 | -1,060,000.00\n6100 | 110,000.00\n6200 | 20,500.00")
    second = run(fake, cache, variances=variances(adjusted), previous=previous)
    assert fake.request_count == 1
    revenue, rent = second.comments
    assert (revenue.revised, revenue.cached, revenue.figures.delta) == (
        True, False, D("60000.00"))
    assert (rent.revised, rent.cached) == (False, True)


def test_calls_run_concurrently_within_the_limit(fake: FakeAnthropic) -> None:
    fake.slow_all(0.1)
    batch = run(fake, variances=variances() * 4, settings=settings(concurrency=3))
    assert fake.request_count == 8 and len(batch.comments) == 8
    assert fake.max_in_flight == 3


@pytest.mark.parametrize("status", [429, 529, 500], ids=["rate-limited", "overloaded", "5xx"])
def test_transient_failures_are_retried_and_succeed(fake: FakeAnthropic, status: int) -> None:
    fake.fail_next(status, retry_after=0 if status == 429 else None)
    batch = run(fake, settings=settings(concurrency=1))
    assert fake.statuses() == [status, 200, 200]
    assert [c.source for c in batch.comments] == ["claude", "claude"]
    assert batch.usage.requests == 3


def test_a_timeout_is_retried(fake: FakeAnthropic) -> None:
    fake.slow_next(1.0)
    batch = run(fake, settings=settings(concurrency=1, timeout_seconds=0.2))
    assert fake.request_count == 3
    assert [c.source for c in batch.comments] == ["claude", "claude"]


def test_a_server_that_stays_down_opens_the_breaker_and_falls_back(fake: FakeAnthropic) -> None:
    fake.stay_down(500)
    many = variances() * 3  # six material variances
    batch = run(fake, variances=many, settings=settings(concurrency=1))
    # Two comments fail after 3 attempts each; then the breaker is open and nothing is sent.
    assert fake.request_count == 6
    assert all(c.source == "data-only" and c.light == "red" for c in batch.comments)
    assert all(c.text.startswith(DATA_ONLY_LABEL) for c in batch.comments)
    assert sum("circuit breaker open" in (c.fallback_reason or "") for c in batch.comments) >= 4
    assert batch.usage.fallbacks == 6 and batch.usage.cost_usd == Decimal(0)


def test_the_breaker_also_opens_under_concurrent_calls(fake: FakeAnthropic) -> None:
    fake.stay_down(529)
    many = variances() * 6  # twelve material variances, three in flight at a time
    batch = run(fake, variances=many, settings=settings(concurrency=3))
    assert all(c.source == "data-only" for c in batch.comments)
    # At most the calls in flight when the breaker opened ran their 3 attempts; the rest none.
    assert fake.request_count <= (2 + 3) * 3 < 12 * 3
    assert any("circuit breaker open" in (c.fallback_reason or "") for c in batch.comments)


def test_an_open_breaker_is_shared_with_another_worker_through_redis(fake: FakeAnthropic) -> None:
    redis_url = fresh_redis_url()
    fake.stay_down(500)
    run(fake, variances=variances() * 2, settings=settings(concurrency=1), redis_url=redis_url)
    assert fake.request_count == 6  # two comments failed their 3 attempts: the circuit opened
    fake.recover()
    reset_breakers()  # as a second worker: nothing in this process remembers the circuit
    batch = run(fake, settings=settings(concurrency=1), redis_url=redis_url)
    assert fake.request_count == 6  # Redis did: no request was sent
    assert all("circuit breaker open" in (c.fallback_reason or "") for c in batch.comments)


def test_a_rejected_key_is_not_retried_and_falls_back(fake: FakeAnthropic) -> None:
    batch = run(fake, api_key="sk-ant-wrong", settings=settings(concurrency=1))
    assert fake.statuses() == [401, 401]
    assert [c.source for c in batch.comments] == ["data-only", "data-only"]
    assert batch.comments[0].fallback_reason == \
        "Claude failed after retries: HTTP 401 authentication_error"


def test_without_an_api_key_comments_are_data_only(fake: FakeAnthropic) -> None:
    batch = run(fake, api_key=None)
    assert fake.request_count == 0
    revenue = batch.comments[0]
    assert (revenue.source, revenue.light, revenue.model, revenue.fallback_reason) == (
        "data-only", "red", None, "no Anthropic API key")
    assert revenue.text == (
        DATA_ONLY_LABEL + "Product revenue came in at 1,050,000 USD, 50,000 (5.0%) above the "
        "prior month's 1,000,000: a favourable variance. The movement came mainly from BR01 "
        "(50,000, of which 30,000 from exchange rates).")
    assert batch.comments[1].text == (
        DATA_ONLY_LABEL + "Rent and occupancy came in at 110,000 USD, 10,000 (10.0%) above the "
        "prior month's 100,000: an adverse variance. The movement came mainly from BR01 "
        "(10,000, of which 6,000 from exchange rates).")
    assert revenue.confidence < 80


def test_a_secret_key_is_revealed_only_into_the_header(fake: FakeAnthropic) -> None:
    run(fake, api_key=SecretStr(fake.api_key))
    assert fake.received[0].headers["x-api-key"] == fake.api_key


def test_without_a_key_cached_answers_are_still_used(fake: FakeAnthropic) -> None:
    cache = MemoryCache()
    run(fake, cache)
    batch = run(fake, cache, api_key=None)
    assert [(c.source, c.cached) for c in batch.comments] == [("claude", True)] * 2
    assert fake.request_count == 2


def test_disabled_ai_and_unpriced_models(fake: FakeAnthropic) -> None:
    cache = MemoryCache()
    run(fake, cache)
    off = CommentarySettings.from_config(AiSettings(enabled=False))
    batch = generate_commentary(variances(), settings=off, cache=cache,
                                api_key="k", base_url="http://127.0.0.1:9")
    assert {c.fallback_reason for c in batch.comments} == {"AI commentary is disabled"}
    assert fake.request_count == 2
    with pytest.raises(ConfigError, match="no price for model 'claude-x'"):
        generate_commentary(variances(), settings=settings(model="claude-x"),
                            cache=MemoryCache(), api_key="k", base_url="http://127.0.0.1:9")


def test_prompt_hash_covers_model_sampling_and_prompt() -> None:
    prompt = render_prompt(comment_figures(variances()[0]))
    base = prompt_hash(settings(), prompt)
    assert len(base) == 64
    assert prompt_hash(settings(), prompt) == base
    for changed in (settings(model="claude-haiku-4-5"), settings(temperature=D("0.5")),
                    settings(max_tokens=200)):
        assert prompt_hash(changed, prompt) != base
    assert prompt_hash(settings(), prompt + " ") != base


def test_clean_text_strips_markdown_and_fixes_capitals() -> None:
    raw = ("# Revenue\n* **revenue** grew by `12.5%` on [strong demand](http://x).\n"
           "1. costs fell.\n> fx helped. a fourth sentence is dropped.")
    assert clean_text(raw) == "Revenue grew by 12.5% on strong demand. Costs fell. Fx helped."
    wrapped = "Sales rose\nsharply.\n\n__margins__ held"
    assert clean_text(wrapped) == "Sales rose sharply. Margins held."
    assert clean_text("no final stop") == "No final stop."


def test_confidence_and_traffic_light() -> None:
    revenue = comment_figures(variances()[0])
    grounded = "Revenue rose 50,000.00 USD, mostly BR01."
    assert score_confidence(revenue, grounded, "claude") == 100
    assert score_confidence(revenue, "Revenue rose.", "claude") == 70
    assert score_confidence(revenue, grounded, "data-only") == 79
    assert [traffic_light(s) for s in (100, 95, 94, 80, 79, 0)] == [
        "green", "green", "yellow", "yellow", "red", "red"]


def test_cached_completion_round_trips_through_a_cache() -> None:
    cache = MemoryCache()
    done = CachedCompletion("Text.", "claude-sonnet-4-5", 10, 5, D("0.000105"))
    cache.put("h", done)
    cache.put("h", CachedCompletion("Other.", "m", 1, 1, D(0)))
    assert cache.get("h") == done and cache.get("missing") is None
