"""What a run stored, read back for the end-to-end checks (plain SQL, none of our readers)."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from close.storage import Database


def consolidated_balances(db: Database, run_id: str) -> dict[str, tuple[Decimal, Decimal]]:
    """account → (closing amount, month movement) of a run's consolidated balances."""
    with db.tx() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT std_account, amount, movement FROM consolidated_balances "
                "WHERE run_id = CAST(:r AS uuid)"
            ),
            {"r": run_id},
        ).all()
    return {a: (amount, movement) for a, amount, movement in rows}
