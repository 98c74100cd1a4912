"""The receivables inside the close: findings for VALIDATING, the aging snapshot and drafts for ANALYZING.

Both read the receivables file of the run's input snapshot (``[files] receivables``); a group
without one has no receivables findings and writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
from sqlalchemy.engine import Connection

from close.analysis.commentary import CommentarySettings
from close.analysis.receivables.aging import age_titles, aging_by_entity
from close.analysis.receivables.drafts import customers_due, latest_templates, write_drafts
from close.analysis.receivables.ecl import ecl_provision, required_vs_booked
from close.analysis.receivables.titles import parse_titles
from close.checks import CheckResult
from close.checks.receivables import check_aging_reconciles, check_ecl_booked, tb_balances
from close.config import GroupConfig
from close.engine.periods import period_end
from close.run.env import StageEnv
from close.run.inputs import read_file
from close.storage.commentary import PostgresCommentaryCache
from close.storage.receivables import ensure_templates, load_templates, save_aging_snapshot, save_drafts
from close.storage.runs import Run


def aged_titles(conn: Connection, run: Run, config: GroupConfig) -> pd.DataFrame | None:
    """Read and age the run's receivables file at the period end; None when the group has none."""
    name = config.files.receivables
    if not name:
        return None
    currencies = {e.id: e.currency for e in config.entities}
    titles = parse_titles(read_file(conn, run.id, name), currencies=currencies,
                          default_language="pt-BR" if config.locale == "pt-BR" else "en", source=name,
                          period=run.period)
    if titles.empty:
        return None
    return titles.join(age_titles(titles, period_end(run.period))[["days_past_due", "bucket"]])


def receivables_findings(aged: pd.DataFrame | None, local: pd.DataFrame,
                         config: GroupConfig) -> tuple[CheckResult, ...]:
    """Return the aging-against-TB and allowance findings for VALIDATING (none without titles)."""
    if aged is None:
        return ()
    s = config.receivables
    by_entity = aging_by_entity(aged)
    required = required_vs_booked(ecl_provision(by_entity, s.rates()),
                                  tb_balances(local, s.allowance_account, credit=True))
    receivables = tb_balances(local, s.receivables_account)
    return (*check_aging_reconciles(by_entity, receivables, s.receivables_account),
            *check_ecl_booked(required, s.allowance_account))


@dataclass(frozen=True, slots=True)
class ReceivablesOutput:
    """What ANALYZING writes for the receivables, and what it reports."""

    write: Callable[[Connection], None]
    detail: dict[str, object]


def receivables_step(env: StageEnv, run: Run, config: GroupConfig) -> ReceivablesOutput:
    """Age the titles and write the collection drafts (Claude with a key); nothing without titles."""
    with env.db.tx() as conn:
        aged = aged_titles(conn, run, config)
        if aged is None:
            return ReceivablesOutput(lambda _conn: None, {})
        ensure_templates(conn)
        templates = latest_templates(load_templates(conn))
    dues = customers_due(aged, config.receivables.draft_threshold)
    drafts = write_drafts(dues, templates, settings=CommentarySettings.from_config(config.ai),
                          cache=PostgresCommentaryCache(env.db), api_key=env.settings.anthropic_api_key,
                          base_url=env.settings.anthropic_base_url, redis_url=env.settings.broker_url)

    def write(conn: Connection) -> None:
        save_aging_snapshot(conn, run.id, aged)
        save_drafts(conn, run.id, drafts)

    return ReceivablesOutput(write, {"titles": len(aged), "drafts": len(drafts),
                                     "drafts_by_claude": sum(d.source == "claude" for d in drafts)})
