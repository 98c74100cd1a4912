"""The Claude prompt cache in PostgreSQL: ``CommentaryCache`` over table ``commentary_cache``.

Each ``get``/``put`` is its own short transaction, not part of the ANALYZING stage's: an answer
that was paid for stays cached even when the stage fails later and is resumed.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from close.analysis.commentary import PROMPT_TEMPLATE_VERSION, CachedCompletion
from close.storage.engine import Database
from close.storage.schema import commentary_cache, current_tenant


class PostgresCommentaryCache:
    """Answers by prompt hash, per tenant (row-level security scopes every statement)."""

    def __init__(self, db: Database) -> None:
        """Use ``db``'s tenant-scoped transactions."""
        self._db = db

    def get(self, prompt_hash: str) -> CachedCompletion | None:
        """Return the answer cached under ``prompt_hash`` for this tenant, or None."""
        with self._db.tx() as conn:
            c = commentary_cache.c
            row = conn.execute(sa.select(c.body, c.model, c.input_tokens, c.output_tokens, c.cost_usd)
                               .where(c.prompt_hash == prompt_hash)).one_or_none()
        if row is None:
            return None
        return CachedCompletion(text=row.body, model=row.model, input_tokens=row.input_tokens,
                                output_tokens=row.output_tokens, cost_usd=row.cost_usd)

    def put(self, prompt_hash: str, completion: CachedCompletion) -> None:
        """Keep ``completion``; a hash already cached (a concurrent run got there) is kept."""
        with self._db.tx() as conn:
            conn.execute(pg_insert(commentary_cache).values(
                tenant_id=current_tenant(), prompt_hash=prompt_hash, template_version=PROMPT_TEMPLATE_VERSION,
                model=completion.model, body=completion.text, input_tokens=completion.input_tokens,
                output_tokens=completion.output_tokens, cost_usd=completion.cost_usd)
                .on_conflict_do_nothing(index_elements=["tenant_id", "prompt_hash"]))
