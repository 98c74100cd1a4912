"""The Claude prompt cache in PostgreSQL: ``CommentaryCache`` over table ``commentary_cache``.

Each ``get``/``put`` is its own short transaction, not part of the ANALYZING stage's: an answer
that was paid for stays cached even when the stage fails later and is resumed.
"""

from __future__ import annotations

import sqlalchemy as sa

from close.analysis.commentary import PROMPT_TEMPLATE_VERSION, CachedCompletion
from close.storage.engine import Database


class PostgresCommentaryCache:
    """Answers by prompt hash, per tenant (row-level security scopes every statement)."""

    def __init__(self, db: Database) -> None:
        """Use ``db``'s tenant-scoped transactions."""
        self._db = db

    def get(self, prompt_hash: str) -> CachedCompletion | None:
        """Return the answer cached under ``prompt_hash`` for this tenant, or None."""
        with self._db.tx() as conn:
            row = conn.execute(sa.text(
                "SELECT body, model, input_tokens, output_tokens, cost_usd FROM commentary_cache "
                "WHERE prompt_hash = :h"), {"h": prompt_hash}).one_or_none()
        if row is None:
            return None
        return CachedCompletion(text=row.body, model=row.model, input_tokens=row.input_tokens,
                                output_tokens=row.output_tokens, cost_usd=row.cost_usd)

    def put(self, prompt_hash: str, completion: CachedCompletion) -> None:
        """Keep ``completion``; a hash already cached (a concurrent run got there) is kept."""
        with self._db.tx() as conn:
            conn.execute(sa.text(
                "INSERT INTO commentary_cache (tenant_id, prompt_hash, template_version, model, "
                "body, input_tokens, output_tokens, cost_usd) VALUES "
                "(current_setting('app.tenant_id'), :h, :v, :m, :b, :i, :o, :c) "
                "ON CONFLICT (tenant_id, prompt_hash) DO NOTHING"),
                {"h": prompt_hash, "v": PROMPT_TEMPLATE_VERSION, "m": completion.model,
                 "b": completion.text, "i": completion.input_tokens,
                 "o": completion.output_tokens, "c": completion.cost_usd})
