"""Fetch once, store, reuse: the rates of a period in ``fx_rates``, and the rows ``close rates show`` prints.

``fetch_and_store_rates`` reads what is already stored for the period and the prior month, asks
the sources only for what is missing (or for a changed override, or everything with
``refresh``), and writes the new rates in one transaction after every fetch has succeeded — a
source that fails without a fallback leaves ``fx_rates`` untouched. The prior month's closing and
average rates are fetched alongside (same request) when missing, so the plausibility check has
something to compare with; their failure does not fail the period.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from close.config import GroupConfig
from close.engine.periods import previous_period
from close.engine.types import Currency, Period, RunId
from close.rates.model import FxRate, RateNeed
from close.rates.plausibility import RateMoveFinding, find_implausible_moves
from close.rates.service import FetchOutcome, RateService, closing_and_average_needs
from close.storage.engine import Database
from close.storage.rates import load_rates, save_rates


@dataclass(frozen=True, slots=True)
class StoredRates:
    """The period's rates after a fetch, with what the fetch did.

    Attributes:
        rates: one rate per need of the period, in the order of the needs.
        prior: the prior month's closing and average rates, when known.
        fetched: the needs asked of the sources (or the file) this time; empty on reuse.
        fallbacks: needs served by the rates file because their source failed.
        skipped: prior-month needs nobody could serve (no comparison for them).
        findings: rates that moved more than the threshold since the prior month.

    """

    rates: tuple[FxRate, ...]
    prior: tuple[FxRate, ...]
    fetched: tuple[RateNeed, ...]
    fallbacks: tuple[str, ...]
    skipped: tuple[str, ...]
    findings: tuple[RateMoveFinding, ...]


def group_rate_needs(config: GroupConfig, period: Period) -> tuple[RateNeed, ...]:
    """Return what the group's translation needs from the rates.

    Closing and average rates of every foreign functional currency, and the acquisition-date
    rate of every foreign subsidiary (``entity_id`` set, ``account`` empty).

    Args:
        config: the group.
        period: the close period.

    Returns:
        The needs, closing/average first, then historical ones by entity.

    """
    presentation = config.presentation_currency
    needs = list(closing_and_average_needs(period, (e.currency for e in config.entities), presentation))
    for e in config.entities:
        if e.acquisition is not None and e.currency != presentation:
            needs.append(RateNeed(period, e.currency, presentation, "historical", e.id, None,
                                  e.acquisition.date))
    return tuple(needs)


def _is_current(need: RateNeed, stored: dict[RateNeed, FxRate], override: FxRate | None) -> bool:
    if override is not None:
        row = stored.get(need)
        return row is not None and row.is_override and row.rate == override.rate
    return need in stored


def fetch_and_store_rates(db: Database, period: Period, needs: Sequence[RateNeed],
                          service: RateService, *, file_rates: Sequence[FxRate] = (),
                          move_threshold: Decimal = Decimal("0.10"), refresh: bool = False,
                          run_id: RunId | None = None, group_id: str | None = None) -> StoredRates:
    """Make sure every rate the period needs is in ``fx_rates``, fetching only what is missing.

    Args:
        db: the tenant's database.
        period: the close period, ``YYYY-MM``.
        needs: the period's needs (``group_rate_needs``).
        service: the rate service (sources, policy).
        file_rates: the rates file's rows (``parse_rates_file``); overrides always win.
        move_threshold: the relative move since the prior month that is a finding
            (``config.validation.rate_move_threshold``).
        refresh: fetch the period's rates again even when stored (the prior month is kept).
        run_id: store the rates for this run only; ``None`` (default) shares them.
        group_id: the group whose rates file ``file_rates`` is: its figures are stored for it
            alone, and only its own and the shared rates count as stored.

    Returns:
        The period's rates and what the fetch did, with plausibility findings.

    Raises:
        RateSourceUnavailable: a source stayed down and the file could not stand in; nothing
            was written.
        InputDataError: a month without quotation (naming currency and dates), or a pair no
            source quotes that the file lacks; nothing was written.

    """
    prior = previous_period(period)
    prior_needs = tuple(dict.fromkeys(replace(n, period=prior) for n in needs
                                      if n.rate_type != "historical"))
    overrides = {r.need: r for r in file_rates if r.is_override}
    with db.tx() as conn:
        stored = {r.need: r for r in load_rates(conn, (prior, period), run_id=run_id,
                                                               group_id=group_id)}
    wanted = [n for n in needs if refresh or not _is_current(n, stored, overrides.get(n))]
    wanted += [n for n in prior_needs if not _is_current(n, stored, overrides.get(n))]
    outcome = (service.fetch_rates(wanted, file_rates=file_rates, optional=frozenset(prior_needs))
               if wanted else FetchOutcome((), ()))
    with db.tx() as conn:
        save_rates(conn, outcome.rates, run_id=run_id, group_id=group_id)
    for rate in outcome.rates:
        stored[rate.need] = rate
    current = tuple(stored[n] for n in needs)
    before = tuple(stored[n] for n in prior_needs if n in stored)
    return StoredRates(
        rates=current, prior=before, fetched=tuple(wanted), fallbacks=outcome.fallbacks,
        skipped=outcome.skipped,
        findings=find_implausible_moves(current, before, move_threshold),
    )


RATE_TABLE_COLUMNS: tuple[str, ...] = (
    "currency", "presentation_currency", "rate_type", "entity", "account", "rate_date", "rate",
    "quoted", "quote_direction", "source", "override", "as_of", "method", "path", "retrieved_at",
)


def rates_table_rows(db: Database, period: Period, *, presentation_currency: Currency | None = None,
                     run_id: RunId | None = None, group_id: str | None = None) -> list[dict[str, str]]:
    """Return the stored rates of a period as text rows for ``close rates show`` (and ``--json``).

    Args:
        db: the tenant's database.
        period: ``YYYY-MM``.
        presentation_currency: only rates into this currency.
        run_id: a run's own rates instead of the shared ones.
        group_id: the shared rates and this group's own file figures (``None``: every group's).

    Returns:
        One dict per rate with the keys of ``RATE_TABLE_COLUMNS``, every value a string
        (``""`` when absent), ordered by currency and rate type.

    """
    with db.tx() as conn:
        rates = load_rates(conn, (period,), presentation_currency=presentation_currency, run_id=run_id,
                           group_id=group_id)
    return [{
        "currency": r.currency, "presentation_currency": r.presentation_currency,
        "rate_type": r.rate_type, "entity": r.entity_id or "", "account": r.account or "",
        "rate_date": r.rate_date.isoformat() if r.rate_date else "", "rate": str(r.rate),
        "quoted": str(r.quoted), "quote_direction": r.quote_direction, "source": r.source,
        "override": "yes" if r.is_override else "", "as_of": r.as_of.isoformat() if r.as_of else "",
        "method": r.method, "path": r.path, "retrieved_at": r.retrieved_at.isoformat(),
    } for r in rates]
