"""The rates part of EXTRACTING.

One task in the extract chord makes sure every rate the period needs is in ``fx_rates`` — from
the rates file, or fetched once from the BCB / ECB and reused.

It is the only other task that reaches outside; CONSOLIDATING reads the stored rates.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.engine import Connection

from close.config import GroupConfig, Settings
from close.engine.dividends import dividend_rate_needs
from close.engine.periods import previous_period
from close.engine.types import EntityId
from close.rates.coverage import check_rates, file_routed
from close.rates.files import parse_rates_file
from close.rates.model import FxRate, RateNeed
from close.rates.service import RateService
from close.rates.settings import RateSourceSettings
from close.rates.store import fetch_and_store_rates, group_rate_needs
from close.run.env import StageEnv
from close.run.inputs import load_config, read_file
from close.run.stages import StageOutput, digest_of
from close.storage.rates import load_rates
from close.storage.runs import Run, effective_run

RATES_KEY = "@rates"  # the run_stages entity key of the rates task (entity ids cannot start with @)


def extract_keys(config: GroupConfig) -> list[str]:
    """Return the tasks of the extract chord: one per entity, and the rates task."""
    return [*(e.id for e in config.entities), RATES_KEY]


def file_rates(conn: Connection, run: Run, config: GroupConfig) -> tuple[FxRate, ...]:
    """Return the rows of the run's rates file (none without one)."""
    if not config.files.rates:
        return ()
    return parse_rates_file(read_file(conn, run.id, config.files.rates), name=config.files.rates,
                            presentation_currency=config.presentation_currency,
                            retrieved_at=run.created_at)


def rate_needs(config: GroupConfig, period: str) -> tuple[RateNeed, ...]:
    """Return what the period's translation needs; an acquisition whose rate the config states needs none.

    The declaration-date rates of the period's dividends (``close.engine.dividends``) are needs too.
    """
    stated = {e.id for e in config.entities if e.acquisition is not None and e.acquisition.rate is not None}
    needs = tuple(n for n in group_rate_needs(config, period)
                  if not (n.rate_type == "historical" and n.entity_id in stated))
    return needs + dividend_rate_needs(config, period)


def rate_service(settings: Settings, config: GroupConfig) -> RateService:
    """Build the rate sources, at the configured URLs, with the group's policy.

    With a Redis broker each source's circuit breaker lives there, shared by every worker.
    """
    base = RateSourceSettings()
    sources = RateSourceSettings(bcb_base_url=settings.bcb_url or base.bcb_base_url,
                                 ecb_base_url=settings.ecb_url or base.ecb_base_url)
    return RateService.from_settings(sources, config.rate_policy, redis_url=settings.broker_url)


def fetch_run_rates(env: StageEnv, run: Run, _entity: EntityId | None) -> StageOutput:
    """Store every rate the run's period needs (a second run of the period makes no request).

    Raises:
        RateSourceUnavailable: a source stayed down and the file cannot stand in (retried).
        InputDataError: a month without any quotation, or a pair nobody quotes.

    """
    with env.db.tx() as conn:
        config = load_config(conn, run.id)
        rows = file_rates(conn, run, config)
        first_period = effective_run(conn, config.id, previous_period(run.period)) is None
        known = {r.need for r in load_rates(conn, (previous_period(run.period), run.period),
                                            group_id=config.id)}
    # What only the rates file can give is checked before any request, with the check's message.
    check_rates(config, run.period, known | {r.need for r in rows}, first_period=first_period,
                only=file_routed(config))
    with rate_service(env.settings, config) as service:
        stored = fetch_and_store_rates(env.db, run.period, rate_needs(config, run.period), service,
                                       file_rates=rows, move_threshold=config.validation.rate_move_threshold,
                                       group_id=config.id)
    check_rates(config, run.period, {r.need for r in (*stored.rates, *stored.prior)},
                first_period=first_period)
    summary: Sequence[FxRate] = stored.rates
    return StageOutput(
        write=lambda _conn: None,  # fetch_and_store_rates wrote the rates, all or nothing
        digest=digest_of(*sorted(f"{r.currency}{r.rate_type}{r.rate}{r.source}" for r in summary)),
        message=f"{len(summary)} rates for {run.period}: {len(stored.fetched)} fetched, "
                f"{len(stored.fallbacks)} from the file after a source failed",
        detail={"entity": RATES_KEY, "fetched": len(stored.fetched), "fallbacks": len(stored.fallbacks),
                "sources": sorted({r.source for r in summary})},
    )
