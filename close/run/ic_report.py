"""``close ic report``: the intercompany matching of a period on its own, before the close runs.

It reads each entity's books as they are now (through its connector, from disk), maps and
translates them exactly as CONSOLIDATING would, and returns the pairs with both sides and the
difference, so the controller can chase mismatches with the entities in time. Nothing is stored.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from close.config import load_group_config
from close.engine.chart import load_chart
from close.engine.consolidation import ConsolidationInputs, consolidate
from close.engine.frames import MAPPED_TB_COLUMNS
from close.engine.mapping import parse_mapping, resolve_mapping
from close.engine.opening import parse_opening_balances
from close.engine.periods import previous_period
from close.engine.types import Period
from close.rates.files import parse_rates_file
from close.run.env import StageEnv
from close.run.stages.consolidating import consolidated_of, period_rates, translated_of
from close.storage.rates import load_rates
from close.storage.runs import effective_run
from connectors.base import ConnectorContext
from connectors.registry import create_connector, secrets_for


def intercompany_report(env: StageEnv, config_path: Path, period: Period) -> pd.DataFrame:
    """Return the period's intercompany pairs (``close.engine.intercompany.IC_PAIR_COLUMNS``).

    Raises:
        InputDataError: an entity's books, the mapping or the rates are unusable (named).

    """
    config = load_group_config(config_path)
    base = config_path.resolve().parent

    def read(name: str) -> bytes:
        return (base / name).read_bytes()

    chart = (load_chart(read(config.files.chart), source=config.files.chart) if config.files.chart
             else load_chart())
    frames = []
    for e in config.entities:
        context = ConnectorContext(entity=e.id, currency=e.currency, open_file=read,
                                   secrets=secrets_for(e.connector, e.source, e.id, os.environ))
        with create_connector(e.connector, e.source, context) as connector:
            frames.append(connector.get_trial_balance(period))
    lines = pd.concat(frames, ignore_index=True)
    mapping = parse_mapping(read(config.files.mapping), source=config.files.mapping, chart=chart) \
        if config.files.mapping else pd.DataFrame(columns=["entity", "account", "std_account"])
    resolved = resolve_mapping(lines, mapping, chart)
    balances = lines.merge(resolved[["entity", "account", "std_account"]], on=["entity", "account"])
    currencies = {e.id: e.currency for e in config.entities}
    with env.db.tx() as conn:
        rates = list(load_rates(conn, (previous_period(period), period),
                                presentation_currency=config.presentation_currency, group_id=config.id))
        prior_run = effective_run(conn, config.id, previous_period(period))
        prior = (translated_of(conn, prior_run.id, currencies, config.presentation_currency)
                 if prior_run else None)
        prior_consolidated = (consolidated_of(conn, prior_run.id, config.presentation_currency)
                              if prior_run else None)
    if config.files.rates:
        stored = {r.need for r in rates}
        rates += [r for r in parse_rates_file(read(config.files.rates),
                                              name=config.files.rates,
                                              presentation_currency=config.presentation_currency,
                                              retrieved_at=pd.Timestamp.now(tz="UTC").to_pydatetime())
                  if r.is_override or r.need not in stored]
    opening = parse_opening_balances(read(config.files.opening_balances),
                                     source=config.files.opening_balances,
                                     chart=chart, entities=frozenset(currencies),
                                     presentation_currency=config.presentation_currency) \
        if config.files.opening_balances else None
    result = consolidate(ConsolidationInputs(
        period=period, fiscal_year_start=config.fiscal_year_start,
        presentation_currency=config.presentation_currency, chart=chart, entities=config.entities,
        balances=balances[list(MAPPED_TB_COLUMNS)],
        rates=period_rates(tuple(rates), period, config.presentation_currency),
        prior=prior, opening=opening, adjustments=(), intercompany=config.intercompany,
        prior_consolidated=prior_consolidated))
    return result.ic_pairs
