"""The commentary part of ANALYZING: explain the material variances, Claude or data-only."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict

from sqlalchemy.engine import Connection

from close.analysis import AnalysisResult
from close.commentary import CommentaryCache, CommentarySettings, MemoryCache, generate_commentary
from close.config import GroupConfig
from close.stages import StageEnv
from close.storage.balances import copy_rows
from close.storage.runs import Run


def commentary_settings(config: GroupConfig) -> CommentarySettings:
    """The commentary settings of a group, from its ``[ai]`` section."""
    ai = config.ai
    return CommentarySettings(model=ai.model, temperature=ai.temperature, max_tokens=ai.max_tokens,
                              concurrency=ai.concurrency, enabled=ai.enabled)


def commentary_cache(env: StageEnv) -> CommentaryCache:
    """The prompt cache: PostgreSQL when the storage module is there, else this process."""
    try:
        from close.storage.commentary import PostgresCommentaryCache
    except ImportError:
        return MemoryCache()
    return PostgresCommentaryCache(env.db)


def commentary_writer(env: StageEnv, run: Run, config: GroupConfig,
                      result: AnalysisResult) -> Callable[[Connection], None]:
    """Generate the comments now; return the writer that stores them with the stage's outputs."""
    batch = generate_commentary(
        result.variances, settings=commentary_settings(config), cache=commentary_cache(env),
        api_key=env.settings.anthropic_api_key, base_url=env.settings.anthropic_base_url)
    tenant = env.db.tenant
    rows = [(tenant, run.id, i, c.account, c.kind, c.text, c.source, c.model, c.prompt_hash, c.input_tokens,
             c.output_tokens, str(c.cost_usd), c.latency_ms, c.confidence, c.light, c.revised,
             json.dumps(asdict(c.figures), default=str, sort_keys=True))
            for i, c in enumerate(batch.comments, start=1)]

    def write(conn: Connection) -> None:
        copy_rows(conn, "commentary", ("tenant_id", "run_id", "seq", "account", "kind", "body", "source", "model",
                  "prompt_hash", "input_tokens", "output_tokens", "cost", "latency_ms", "confidence", "light",
                  "revised", "figures"), rows)

    return write
