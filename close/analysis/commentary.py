"""Variance commentary for the CFO: Claude when it is available, the drivers' own words when not.

For each material variance the prompt gives Claude the account, the current and comparison
figures, the variance and its percentage, the FX/operational split, the 12-month trend and the
ranked drivers, and asks for 2–3 plain sentences (``PROMPT_TEMPLATE_VERSION``; change it with
any change to ``SYSTEM_PROMPT`` or ``render_prompt``, so cached answers of an older template
are not reused).

The calls:

* run concurrently, at most ``CommentarySettings.concurrency`` at a time;
* go through ``close.resilience.resilient_call`` (the one retry and breaker helper the ERP
  connectors and rate sources use too): retried on 429, 529/5xx, 408/409 and connection errors or
  timeouts, waiting the server's ``retry-after`` when it gives one, else exponential backoff with
  jitter; behind a circuit breaker (in Redis when distributed) that, once Claude has failed
  ``retry.breaker_fail_max`` times after its retries, refuses the remaining comments;
* are cached by ``prompt_hash`` = sha256 of model, temperature, max_tokens, template version
  and prompt, in a ``CommentaryCache`` (PostgreSQL in production): an unchanged prompt is never
  sent twice, and a changed figure changes the prompt, so its comment is regenerated (and
  marked revised when a previous comment of the same variance explained other figures).

Without an API key, with AI disabled, or when Claude fails (after retries, or the breaker is
open), a comment is a data-only explanation built from the same figures, labelled as such,
with a red confidence.

Confidence (0–100) adds data completeness (40: a comparison, a 12-month trend, drivers),
consistency with history (30: the robust z-score of this month's change against the account's
own month-over-month changes) and grounding (30: the text names the leading driver and a figure
of the prompt). Traffic light: green ≥ 95, yellow 80–94, red < 80.

Cost is tokens × the list price of ``MODEL_PRICES`` (USD per million tokens).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, Protocol
from urllib.parse import urlsplit

from pydantic import SecretStr

from close.analysis import commentary_text as words
from close.analysis.variances import (
    DRIVER_DIMENSIONS,
    AccountNature,
    ComparisonKind,
    Variance,
    month_changes,
    robust_z_score,
)
from close.config import AI_DEFAULTS, AiSettings
from close.engine.money import ZERO
from close.engine.periods import previous_period
from close.engine.types import AccountCode, Currency, EntityId, Period
from close.errors import ConfigError
from close.resilience import CircuitOpen, RetryPolicy, parse_retry_after, resilient_call

if TYPE_CHECKING:
    # Imported where Claude is called (``_Claude``): the SDK costs ~1 s to import, which a run
    # with cached or data-only commentary, or no material variance, should not pay.
    import anthropic

log = logging.getLogger(__name__)

PROMPT_TEMPLATE_VERSION = "variance-commentary/2"
DEFAULT_BASE_URL = "https://api.anthropic.com"
# The anthropic SDK 2.x sends API version 2026-10-21 by default, which removed the sampling
# parameters (temperature is then a 400). The design fixes temperature 0.3, so the client pins
# the version that accepts it, and sends the key as x-api-key, which that version reads.
ANTHROPIC_API_VERSION = "2023-06-01"

SYSTEM_PROMPT = (
    "You are a financial planning and analysis lead writing variance commentary for the CFO "
    "of a multi-entity group. Write 2 to 3 plain sentences: what moved, by how much, and why, "
    "naming the main drivers (entities, cost centers, departments) and any exchange-rate "
    "effect. Quote figures as given: gains and losses as gains and losses, with no minus "
    "signs from the trial balance, and say whether the variance is favourable or adverse. "
    "Use only the figures given; do not invent causes or numbers. Write in the language the "
    "prompt asks for. No markdown, no bullet points, no headings, no preamble."
)

COMPARISON_LABELS: Mapping[ComparisonKind, str] = MappingProxyType({
    "budget": "the budget", "mom": "the prior month", "yoy": "the same month last year"})

Source = Literal["claude", "data-only"]
Light = Literal["green", "yellow", "red"]
GREEN_MIN, YELLOW_MIN = 95, 80
# Data-only text is not an explanation anyone checked against the business; the design
# labels it red whatever its completeness.
DATA_ONLY_MAX_CONFIDENCE = YELLOW_MIN - 1
DATA_ONLY_LABEL = words.DATA_ONLY_LABELS["en-US"]


@dataclass(frozen=True, slots=True)
class ModelPrice:
    """List price of a model in USD per million tokens."""

    input_per_mtok: Decimal
    output_per_mtok: Decimal

    def cost(self, input_tokens: int, output_tokens: int) -> Decimal:
        """Return the USD cost of a call, to the millionth of a dollar."""
        total = input_tokens * self.input_per_mtok + output_tokens * self.output_per_mtok
        return (total / 1_000_000).quantize(Decimal("0.000001"))


# Anthropic list prices (USD per million input / output tokens, standard tier, no batch or
# cache discounts), from https://www.anthropic.com/pricing. Review when a model is added.
MODEL_PRICES: Mapping[str, ModelPrice] = MappingProxyType({
    "claude-sonnet-4-5": ModelPrice(Decimal(3), Decimal(15)),
    "claude-sonnet-4": ModelPrice(Decimal(3), Decimal(15)),
    "claude-haiku-4-5": ModelPrice(Decimal(1), Decimal(5)),
    "claude-opus-4-5": ModelPrice(Decimal(5), Decimal(25)),
    "claude-opus-4-1": ModelPrice(Decimal(15), Decimal(75)),
})


def _is_transient(exc: BaseException) -> bool:
    """Tell whether a Claude call's error is worth retrying (and counts towards the breaker)."""
    import anthropic  # noqa: PLC0415 - lazy: see the TYPE_CHECKING import

    if isinstance(exc, anthropic.APIConnectionError):  # includes APITimeoutError
        return True
    return isinstance(exc, anthropic.APIStatusError) and (
        exc.status_code in (408, 409, 429) or exc.status_code >= 500)


# Four attempts, waits from 1 s doubling to 30 s, a retry-after over a minute ends the call (the
# comment is data-only); the breaker counts comments that failed after their retries, not attempts:
# a 429 answered by waiting is Claude rate-limiting us under concurrency, not Claude being down.
CLAUDE_RETRY = RetryPolicy(attempts=4, wait_initial=1.0, wait_max=30.0, jitter=1.0,
                           max_retry_after=60.0, breaker_fail_max=3, breaker_reset_timeout=60.0,
                           breaker_counts="call", transient=_is_transient)


@dataclass(frozen=True, slots=True)
class CommentarySettings:
    """How comments are generated (``[ai]`` of the group config plus operational knobs).

    Attributes:
        model: the Claude model.
        temperature: sampling temperature.
        max_tokens: the answer's token limit.
        concurrency: calls in flight at once.
        enabled: False → every comment is data-only.
        timeout_seconds: per HTTP attempt.
        retry: attempts, backoff and the breaker (``CLAUDE_RETRY``; tests use tiny waits).
        max_drivers: drivers per dimension named in the prompt (the rest are summed).
        prices: USD per million tokens by model.
        locale: the group's locale: the language of the comments (``en-US``, ``pt-BR``).

    """

    model: str = AI_DEFAULTS.model
    temperature: Decimal = AI_DEFAULTS.temperature
    max_tokens: int = AI_DEFAULTS.max_tokens
    concurrency: int = AI_DEFAULTS.concurrency
    enabled: bool = AI_DEFAULTS.enabled
    timeout_seconds: float = 60.0
    retry: RetryPolicy = CLAUDE_RETRY
    max_drivers: int = 5
    prices: Mapping[str, ModelPrice] = field(default_factory=lambda: MODEL_PRICES)
    locale: str = "en-US"

    @classmethod
    def from_config(cls, ai: AiSettings, **overrides: Any) -> CommentarySettings:  # noqa: ANN401
        """Build settings from the group config's ``[ai]`` table, plus keyword overrides."""
        return cls(model=ai.model, temperature=ai.temperature, max_tokens=ai.max_tokens,
                   concurrency=ai.concurrency, enabled=ai.enabled, **overrides)


@dataclass(frozen=True, slots=True)
class CachedCompletion:
    """What the cache keeps of one Claude answer (the text already cleaned)."""

    text: str
    model: str
    input_tokens: int
    output_tokens: int
    cost_usd: Decimal


class CommentaryCache(Protocol):
    """Where answers are kept by prompt hash (``close.storage.commentary`` in PostgreSQL)."""

    def get(self, prompt_hash: str) -> CachedCompletion | None:
        """Return the answer cached under ``prompt_hash``, or None."""
        ...

    def put(self, prompt_hash: str, completion: CachedCompletion) -> None:
        """Keep ``completion`` under ``prompt_hash`` (replacing nothing that exists)."""
        ...


class MemoryCache:
    """A process-local ``CommentaryCache`` (a dict), for runs without a database."""

    def __init__(self) -> None:
        """Start empty."""
        self._items: dict[str, CachedCompletion] = {}

    def get(self, prompt_hash: str) -> CachedCompletion | None:
        """Return the answer cached under ``prompt_hash``, or None."""
        return self._items.get(prompt_hash)

    def put(self, prompt_hash: str, completion: CachedCompletion) -> None:
        """Keep the first answer stored under ``prompt_hash``."""
        self._items.setdefault(prompt_hash, completion)


@dataclass(frozen=True, slots=True)
class CommentFigures:
    """The figures a comment explains: exactly what its prompt shows.

    Amounts are presentation-currency Decimals in the account's normal-balance sign (the prompt
    and the text turn them into natural signs by ``nature``, ``close.analysis.commentary_text``). Drivers
    are ``(dimension, key, delta, fx_effect)`` in rank order, the ones beyond ``max_drivers``
    summed into one ``(others)`` line per dimension. ``name`` is in the comment's language.
    """

    account: AccountCode
    name: str
    entity: EntityId | None
    kind: ComparisonKind
    period: Period
    currency: Currency
    current: Decimal
    comparison: Decimal
    delta: Decimal
    pct: Decimal | None
    favourable: bool | None
    fx_effect: Decimal | None
    drivers: tuple[tuple[str, str, Decimal, Decimal | None], ...]
    trend: tuple[tuple[Period, Decimal], ...]
    nature: AccountNature = "balance"
    locale: str = "en-US"

    @property
    def key(self) -> tuple[EntityId | None, AccountCode, ComparisonKind]:
        """Which variance this is: (entity, account, kind)."""
        return (self.entity, self.account, self.kind)

    def as_json(self) -> dict[str, Any]:
        """Return a JSON-ready dict (amounts as strings) with its ``digest``, for storage."""
        data = {
            "account": self.account, "name": self.name, "entity": self.entity,
            "kind": self.kind, "period": self.period, "currency": self.currency,
            "current": str(self.current), "comparison": str(self.comparison),
            "delta": str(self.delta), "pct": _opt_str(self.pct),
            "favourable": self.favourable, "fx_effect": _opt_str(self.fx_effect),
            "drivers": [[d, k, str(v), _opt_str(fx)] for d, k, v, fx in self.drivers],
            "trend": [[p, str(v)] for p, v in self.trend],
            "nature": self.nature, "locale": self.locale,
        }
        return {**data, "digest": _sha256(json.dumps(data, sort_keys=True))}

    @property
    def digest(self) -> str:
        """sha256 of the figures: equal digests explain equal figures."""
        return str(self.as_json()["digest"])


@dataclass(frozen=True, slots=True)
class Commentary:
    """One comment on one material variance.

    ``cached`` comments made no call in this run; their tokens and cost are those of the call
    that produced the text (``CommentaryUsage`` counts only this run's calls).
    """

    account: AccountCode
    entity: EntityId | None
    kind: ComparisonKind
    text: str
    source: Source
    model: str | None
    prompt_hash: str
    input_tokens: int
    output_tokens: int
    cost_usd: Decimal
    latency_ms: int | None
    confidence: int
    light: Light
    figures: CommentFigures
    revised: bool = False
    cached: bool = False
    fallback_reason: str | None = None


@dataclass(frozen=True, slots=True)
class CommentaryUsage:
    """What this run spent: HTTP attempts, answers served from cache, tokens, USD."""

    requests: int = 0
    cache_hits: int = 0
    fallbacks: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class CommentaryBatch:
    """The comments of a run, in the order of the material variances given, and their usage."""

    comments: tuple[Commentary, ...]
    usage: CommentaryUsage


# --- the prompt ------------------------------------------------------------------------------


def comment_figures(variance: Variance, *, max_drivers: int = 5, locale: str = "en-US",
                    name: str | None = None) -> CommentFigures:
    """Select the figures of a variance that its comment explains.

    Args:
        variance: a variance with its drivers and trend.
        max_drivers: drivers named per dimension; the rest are summed into ``(others)``.
        locale: the comment's language.
        name: the account's name in that language (the chart's pt-BR column); None → the
            variance's own.

    Returns:
        The figures, in the variance's presentation.

    """
    drivers: list[tuple[str, str, Decimal, Decimal | None]] = []
    for dim in DRIVER_DIMENSIONS:
        table = variance.driver_table(dim)
        drivers.extend((dim, d.key, d.delta, d.fx_effect) for d in table[:max_drivers])
        rest = table[max_drivers:]
        if rest:
            drivers.append((dim, f"(others: {len(rest)})", sum((d.delta for d in rest), ZERO),
                            None))
    return CommentFigures(
        account=variance.account, name=name or variance.name, entity=variance.entity,
        kind=variance.kind, period=variance.period, currency=variance.currency,
        current=variance.current, comparison=variance.comparison, delta=variance.delta,
        pct=variance.pct, favourable=variance.favourable, fx_effect=variance.fx_effect,
        drivers=tuple(drivers), trend=tuple((p.period, p.amount) for p in variance.trend),
        nature=variance.nature, locale=locale,
    )


_PROFIT_EFFECT: Mapping[bool | None, str] = MappingProxyType({
    True: " (favourable to profit)", False: " (adverse to profit)", None: ""})


def render_prompt(figures: CommentFigures) -> str:
    """Render the user message of the prompt (template ``PROMPT_TEMPLATE_VERSION``).

    Every figure is in its natural sign (``close.analysis.commentary_text``) and the locale's number
    format, so Claude reads "a gain of 5,139" where the trial balance says −5,139.11, and
    quotes numbers the way the comment's language writes them. Drivers leave out the
    consolidation line and the entities it cancels.

    Args:
        figures: what the comment explains.

    Returns:
        The prompt text; every figure in it comes from ``figures``.

    """
    ccy, loc, nature = figures.currency, figures.locale, figures.nature
    scope = f"entity {figures.entity}" if figures.entity else "consolidated group"
    comparison = COMPARISON_LABELS[figures.kind]
    if figures.kind == "mom":
        comparison += f" ({previous_period(figures.period)})"

    def signed(value: Decimal) -> str:
        return words.number(words.natural(nature, value), loc, signed=True)

    lines = [
        f"Account: {figures.account} {figures.name} ({scope})",
        f"Period: {figures.period}",
        f"Compared with: {comparison}",
        f"Actual: {words.state(nature, figures.current, loc)} {ccy}",
        f"Comparison: {words.state(nature, figures.comparison, loc)} {ccy}",
        f"Variance: {signed(figures.delta)} {ccy}"
        + (f", {words.percent(figures.pct, loc)}" if figures.pct is not None else "")
        + _PROFIT_EFFECT[figures.favourable],
    ]
    if figures.fx_effect is not None:
        lines.append(f"Exchange-rate effect: {signed(figures.fx_effect)} {ccy}; operational "
                     f"change: {signed(figures.delta - figures.fx_effect)} {ccy}")
    if figures.trend:
        lines.append("12-month trend (oldest first" + (", gains positive" if words.is_swing(nature)
                                                      else "") + "): "
                     + "; ".join(f"{p} {words.number(words.natural(nature, v), loc)}"
                                 for p, v in figures.trend))
    real = words.real_drivers(figures.drivers)
    if real:
        lines.append("Drivers by entity: " + "; ".join(
            f"{k} {signed(v)}" + (f" (FX {signed(fx)})" if fx else "") for k, v, fx in real))
    for dim in DRIVER_DIMENSIONS[1:]:
        rows = [(k, v) for d, k, v, _ in figures.drivers if d == dim and not k.startswith("(")]
        if rows:
            lines.append(f"Drivers by {dim.replace('_', ' ')}: "
                         + "; ".join(f"{k} {signed(v)}" for k, v in rows))
    lines.append(f"Language: write in {words.LANGUAGE_NAMES.get(loc, words.LANGUAGE_NAMES['en-US'])}.")
    lines.append("Explain this variance for the CFO in 2-3 sentences.")
    return "\n".join(lines)


def prompt_hash(settings: CommentarySettings, prompt: str) -> str:
    """Return the cache key: sha256 of model, temperature, max_tokens, template version, prompt."""
    return _sha256(json.dumps({
        "model": settings.model, "temperature": str(settings.temperature),
        "max_tokens": settings.max_tokens, "template": PROMPT_TEMPLATE_VERSION,
        "system": SYSTEM_PROMPT, "prompt": prompt,
    }, sort_keys=True))


# --- the answer ------------------------------------------------------------------------------

_FENCE = re.compile(r"```[a-zA-Z]*")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__|\*)(?=\S)(.+?)(?<=\S)\1")
_HEADING = re.compile(r"^\s*#{1,6}\s")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+")
_QUOTE = re.compile(r"^\s*>\s?")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def clean_text(text: str, *, max_sentences: int = 3) -> str:
    """Strip markdown, join lines, capitalize sentences and keep at most ``max_sentences``.

    Headings are dropped (labels, not sentences); each list item and paragraph becomes a
    sentence, given a full stop when it lacks one.

    Args:
        text: the model's answer.
        max_sentences: sentences kept (the prompt asks for 2–3).

    Returns:
        One plain paragraph.

    """
    text = _LINK.sub(r"\1", _FENCE.sub("", text).replace("`", ""))
    blocks: list[list[str]] = [[]]
    for line in text.splitlines():
        item = _LIST_ITEM.match(line)
        if _HEADING.match(line) or not line.strip() or item:
            blocks.append([])
        if item:
            line = line[item.end():]
        if not _HEADING.match(line):
            blocks[-1].append(_QUOTE.sub("", line))
    sentences: list[str] = []
    for block in blocks:
        joined = " ".join(_EMPHASIS.sub(r"\2", " ".join(block)).split())
        if joined:
            sentences.extend(_SENTENCE_END.split(joined if joined[-1] in ".!?" else joined + "."))
    return " ".join(s[0].upper() + s[1:] for s in sentences[:max_sentences])


def data_only_text(figures: CommentFigures) -> str:
    """Explain a variance from its figures alone, in the comment's language, labelled as such.

    Args:
        figures: what the comment explains.

    Returns:
        One or two sentences a controller would write, beginning with the locale's
        ``DATA_ONLY_LABELS`` entry, e.g. ``… Salaries and benefits came in at 812,000 USD,
        62,000 (8.3%) above the budget of 750,000: an adverse variance. The movement came
        mainly from BR1 (50,000).``

    """
    loc = figures.locale
    sentences = [words.headline_sentence(
        figures.name, figures.nature, figures.kind, figures.currency, figures.current,
        figures.comparison, figures.delta, figures.pct, figures.favourable, loc)]
    drivers = words.driver_sentence(figures.nature, figures.delta, figures.fx_effect,
                                    figures.drivers, loc)
    if drivers:
        sentences.append(drivers)
    return words.DATA_ONLY_LABELS.get(loc, DATA_ONLY_LABEL) + " ".join(sentences)


def score_confidence(figures: CommentFigures, text: str, source: Source) -> int:
    """Score a comment 0–100 from completeness, consistency with history and grounding.

    Args:
        figures: what the comment explains.
        text: the comment.
        source: ``claude`` or ``data-only`` (data-only is capped below yellow).

    Returns:
        The score.

    """
    completeness = (10 if figures.comparison != ZERO else 0) \
        + 15 * min(len(figures.trend), 13) // 13 + (15 if figures.drivers else 0)
    changes = month_changes(dict(figures.trend))
    this_month = changes.pop(figures.period, None)
    if this_month is None or len(changes) < 3:
        consistency = 10
    else:
        z = robust_z_score(this_month, list(changes.values())).z
        consistency = 0 if z is None or abs(z) > Decimal("3.5") else 15 if abs(z) > 2 else 30
    lowered = text.lower()
    top = next((k for _, k, _, _ in figures.drivers if not k.startswith("(")), None)
    named_driver = 15 if top is not None and top.lower() in lowered else 0
    grounding = named_driver + (15 if any(f in text for f in _figure_spellings(figures)) else 0)
    score = completeness + consistency + grounding
    return min(score, DATA_ONLY_MAX_CONFIDENCE) if source == "data-only" else score


def traffic_light(confidence: int) -> Light:
    """Green ≥ 95, yellow 80–94, red < 80."""
    return "green" if confidence >= GREEN_MIN else "yellow" if confidence >= YELLOW_MIN else "red"


# --- the run ---------------------------------------------------------------------------------


def generate_commentary(
    variances: Iterable[Variance], *, settings: CommentarySettings, cache: CommentaryCache,
    api_key: str | SecretStr | None, base_url: str | None,
    previous: Mapping[tuple[EntityId | None, AccountCode, ComparisonKind], str] | None = None,
    redis_url: str | None = None,
    names: Mapping[AccountCode, str] | None = None,
) -> CommentaryBatch:
    """Comment every material variance: from cache, from Claude, or data-only.

    Args:
        variances: the run's variances; immaterial ones are skipped.
        settings: model, sampling, concurrency, retry and breaker settings.
        cache: answers by prompt hash; looked up first (even without an API key, since a
            cached answer costs no call), unless AI is disabled.
        api_key: the Anthropic key (a ``SecretStr`` is revealed only into the request header);
            None → data-only.
        base_url: the API's base URL; None → ``DEFAULT_BASE_URL`` (never the environment).
        previous: figures digest of the last comment of each (entity, account, kind), from
            the run this one re-does; a different digest marks the new comment revised.
        redis_url: share Claude's circuit breaker through this Redis (workers); None keeps it
            in this process.
        names: account names in ``settings.locale`` (the chart's pt-BR column); an account
            not in it keeps the variance's name.

    Returns:
        The comments in the order of the material variances, and this run's usage.

    Raises:
        ConfigError: the model has no price in ``settings.prices``.

    """
    items = [_Item.of(v, settings, names or {}) for v in variances if v.material]
    key = api_key.get_secret_value() if isinstance(api_key, SecretStr) else api_key
    results: dict[int, Commentary] = {}
    pending: list[int] = []
    for i, item in enumerate(items):
        hit = cache.get(item.prompt_hash) if settings.enabled else None
        if not settings.enabled:
            results[i] = item.data_only("AI commentary is disabled")
        elif hit is not None:
            results[i] = item.claude_comment(hit, latency_ms=None, cached=True)
        elif not key:
            results[i] = item.data_only("no Anthropic API key")
        else:
            pending.append(i)
    counter = _Counter()
    if pending:
        price = settings.prices.get(settings.model)
        if price is None:
            raise ConfigError(f"no price for model {settings.model!r}", key="ai.model",
                              expected=f"one of {', '.join(sorted(settings.prices))}")
        claude = _Claude(settings, key or "", base_url or DEFAULT_BASE_URL,
                         redis_url, price, counter)
        with claude, ThreadPoolExecutor(max_workers=settings.concurrency) as pool:
            futures = {pool.submit(claude.complete, items[i].prompt): i for i in pending}
            # Cache writes stay on this thread, so a cache needs no thread safety.
            for future in as_completed(futures):
                i = futures[future]
                completion, latency_ms, error = future.result()
                if completion is None:
                    results[i] = items[i].data_only(error or "Claude failed")
                    continue
                cache.put(items[i].prompt_hash, completion)
                results[i] = items[i].claude_comment(completion, latency_ms=latency_ms,
                                                     cached=False)
    comments = tuple(_mark_revised(results[i], previous or {}) for i in range(len(items)))
    return CommentaryBatch(comments, _usage(comments, counter.value))


# --- internals -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Item:
    figures: CommentFigures
    prompt: str
    prompt_hash: str

    @classmethod
    def of(cls, variance: Variance, settings: CommentarySettings,
           names: Mapping[AccountCode, str]) -> _Item:
        figures = comment_figures(variance, max_drivers=settings.max_drivers,
                                  locale=settings.locale, name=names.get(variance.account))
        prompt = render_prompt(figures)
        return cls(figures, prompt, prompt_hash(settings, prompt))

    def claude_comment(self, completion: CachedCompletion, *, latency_ms: int | None,
                       cached: bool) -> Commentary:
        confidence = score_confidence(self.figures, completion.text, "claude")
        return self._comment(completion.text, "claude", confidence, model=completion.model,
                             input_tokens=completion.input_tokens,
                             output_tokens=completion.output_tokens,
                             cost_usd=completion.cost_usd, latency_ms=latency_ms, cached=cached)

    def data_only(self, reason: str) -> Commentary:
        text = data_only_text(self.figures)
        confidence = score_confidence(self.figures, text, "data-only")
        return self._comment(text, "data-only", confidence, model=None, input_tokens=0,
                             output_tokens=0, cost_usd=ZERO, latency_ms=None, cached=False,
                             fallback_reason=reason)

    def _comment(self, text: str, source: Source, confidence: int, **kw: Any) -> Commentary:  # noqa: ANN401
        f = self.figures
        return Commentary(account=f.account, entity=f.entity, kind=f.kind, text=text,
                          source=source, prompt_hash=self.prompt_hash, confidence=confidence,
                          light=traffic_light(confidence), figures=f, **kw)


class _Counter:
    """HTTP attempts made, counted across the worker threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.value = 0

    def add(self) -> None:
        with self._lock:
            self.value += 1


class _Claude:
    """One anthropic client for a batch, each call made through ``resilient_call``."""

    system = SYSTEM_PROMPT  # the collection drafts (close/analysis/receivables/drafts.py) use their own

    def answer_text(self, text: str) -> str:
        """Return the text kept of an answer: the commentary keeps 2-3 plain sentences."""
        return clean_text(text)

    def __init__(self, settings: CommentarySettings, api_key: str, base_url: str,
                 redis_url: str | None, price: ModelPrice, counter: _Counter) -> None:
        import anthropic  # noqa: PLC0415 - lazy: see the TYPE_CHECKING import

        self.settings, self.price, self.counter = settings, price, counter
        self.redis_url = redis_url
        self.breaker_name = f"anthropic@{urlsplit(base_url).netloc or base_url}"
        self.client = anthropic.Anthropic(
            api_key=api_key, base_url=base_url, timeout=settings.timeout_seconds,
            # resilient_call is the one retry layer: with the SDK's own retries too, each
            # attempt would hide up to N more HTTP calls, multiplying the load on an API that is
            # already rate-limiting us and blurring what the breaker and the usage count see.
            max_retries=0,
            default_headers={"anthropic-version": ANTHROPIC_API_VERSION, "x-api-key": api_key},
        )

    def __enter__(self) -> _Claude:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()

    def complete(self, prompt: str) -> tuple[CachedCompletion | None, int | None, str | None]:
        """Return (completion, latency ms, None), or (None, None, why it failed)."""
        import anthropic  # noqa: PLC0415 - loaded by __init__ already

        started = time.monotonic()
        try:
            completion = resilient_call(self.settings.retry, self.breaker_name,
                                        lambda: self._once(prompt), redis_url=self.redis_url,
                                        retry_after=_retry_after)
        except CircuitOpen as exc:
            log.warning("Claude commentary: %s; using data-only", exc)
            return None, None, (f"Claude unavailable: circuit breaker open after repeated "
                                f"failures (next trial in {math.ceil(exc.retry_after)} s)")
        except anthropic.AnthropicError as exc:
            log.warning("Claude commentary failed after retries: %s", type(exc).__name__)
            return None, None, f"Claude failed after retries: {_describe(exc)}"
        return completion, int((time.monotonic() - started) * 1000), None

    def _once(self, prompt: str) -> CachedCompletion:
        self.counter.add()
        message = self.client.messages.create(
            model=self.settings.model, max_tokens=self.settings.max_tokens, system=self.system,
            messages=[{"role": "user", "content": prompt}],
            # The SDK 2.x has no temperature argument (see ANTHROPIC_API_VERSION); JSON wants a
            # number, and a temperature is not money, so a float is right here.
            extra_body={"temperature": float(self.settings.temperature)},
        )
        text = self.answer_text("".join(b.text for b in message.content if b.type == "text"))
        usage = message.usage
        return CachedCompletion(text=text, model=message.model,
                                input_tokens=usage.input_tokens, output_tokens=usage.output_tokens,
                                cost_usd=self.price.cost(usage.input_tokens, usage.output_tokens))


def _retry_after(exc: BaseException) -> float | None:
    import anthropic  # noqa: PLC0415 - loaded by _Claude already

    if not isinstance(exc, anthropic.APIStatusError):
        return None
    return parse_retry_after(exc.response.headers.get("retry-after"))


def _describe(exc: anthropic.AnthropicError) -> str:
    import anthropic  # noqa: PLC0415 - loaded by _Claude already

    if isinstance(exc, anthropic.APIStatusError):
        return f"HTTP {exc.status_code} {exc.type or ''}".strip()
    return type(exc).__name__


def _mark_revised(comment: Commentary,
                  previous: Mapping[tuple[EntityId | None, AccountCode, ComparisonKind], str]
                  ) -> Commentary:
    before = previous.get(comment.figures.key)
    return replace(comment, revised=True) if before not in (None, comment.figures.digest) \
        else comment


def _usage(comments: Sequence[Commentary], requests: int) -> CommentaryUsage:
    fresh = [c for c in comments if c.source == "claude" and not c.cached]
    return CommentaryUsage(
        requests=requests,
        cache_hits=sum(1 for c in comments if c.cached),
        fallbacks=sum(1 for c in comments if c.source == "data-only"),
        input_tokens=sum(c.input_tokens for c in fresh),
        output_tokens=sum(c.output_tokens for c in fresh),
        cost_usd=sum((c.cost_usd for c in fresh), ZERO),
    )


def _figure_spellings(figures: CommentFigures) -> set[str]:
    """Ways a text may quote the variance: 200,000 / 200000 / 20% / 20.0% (or 200.000 / 20,0%)."""
    delta = abs(figures.delta)
    out = {f"{delta:,.0f}", f"{delta:.0f}", f"{delta:,.2f}", words.number(delta, figures.locale)}
    if figures.pct is not None:
        pct = abs(figures.pct) * 100
        out |= {f"{pct:.0f}%", f"{pct:.1f}%", f"{pct:.2f}%", words.percent(figures.pct, figures.locale)}
    return out


def _opt_str(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
