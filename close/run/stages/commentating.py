"""The commentary part of ANALYZING: explain the material consolidated variances.

Claude when a key is configured and the API answers, the prompt cache when the figures were
explained before, else a data-only explanation labelled as such. A comment whose figures differ
from those the re-done run explained is marked revised.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from sqlalchemy.engine import Connection

from close.analysis.commentary import CommentaryBatch, CommentarySettings, generate_commentary
from close.analysis.variances import AnalysisResult
from close.config import GroupConfig
from close.engine.chart import Chart
from close.engine.types import AccountCode, EntityId, RunId
from close.run.env import StageEnv
from close.storage.balances import copy_rows
from close.storage.commentary import PostgresCommentaryCache
from close.storage.results import comment_digests
from close.storage.runs import Run, effective_run

FigureKey = tuple[EntityId | None, AccountCode, str]


def previous_digests(conn: Connection, run: Run) -> dict[FigureKey, str]:
    """Return the figure digests of the comments of the run this one re-does.

    That run is its parent, or the period's effective run it will supersede, so a changed figure
    gets a revised comment.
    """
    earlier: RunId | None = run.parent_run_id
    if earlier is None:
        effective = effective_run(conn, run.group_id, run.period)
        earlier = effective.id if effective and effective.id != run.id else None
    if earlier is None:
        return {}
    return comment_digests(conn, earlier)


def explain(env: StageEnv, run: Run, config: GroupConfig, result: AnalysisResult,
            chart: Chart) -> CommentaryBatch:
    """Comment every material consolidated variance (per-entity variances feed the drivers).

    The comments are in the group's locale, account names from the chart's column for it.
    """
    with env.db.tx() as conn:
        previous = previous_digests(conn, run)
    return generate_commentary(
        [v for v in result.variances if v.entity is None],
        settings=CommentarySettings.from_config(config.ai, locale=config.locale),
        cache=PostgresCommentaryCache(env.db), api_key=env.settings.anthropic_api_key,
        base_url=env.settings.anthropic_base_url, previous=previous,
        redis_url=env.settings.broker_url, names=chart.names(config.locale))


def commentary_writer(tenant: str, run_id: RunId, batch: CommentaryBatch) -> Callable[[Connection], None]:
    """Build the writer of the comment rows, for the stage's transaction."""
    rows = [(tenant, run_id, i, c.entity, c.account, c.kind, c.text, c.source, c.model, c.prompt_hash,
             c.input_tokens, c.output_tokens, str(c.cost_usd), c.latency_ms, c.confidence, c.light, c.revised,
             c.cached, c.fallback_reason, json.dumps(c.figures.as_json(), sort_keys=True))
            for i, c in enumerate(batch.comments, start=1)]

    def write(conn: Connection) -> None:
        copy_rows(conn, "commentary", ("tenant_id", "run_id", "seq", "entity_id", "account", "kind", "body",
                  "source", "model", "prompt_hash", "input_tokens", "output_tokens", "cost", "latency_ms",
                  "confidence", "light", "revised", "cached", "fallback_reason", "figures"), rows)

    return write
