"""The entities' own translated income-statement lines of a run, for the FX impact (constant currency)."""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from close.engine.types import AccountCode, EntityId, RunId


class TranslatedAmounts(NamedTuple):
    """An (entity, standard account) total of a run's translated lines, every book included."""

    entity: EntityId
    account: AccountCode
    local_movement: Decimal
    translated_movement: Decimal
    local_closing: Decimal
    translated: Decimal


def translated_amounts(conn: Connection, run_id: RunId,
                       accounts: list[AccountCode]) -> list[TranslatedAmounts]:
    """Return a run's translated lines of ``accounts`` summed by entity and standard account."""
    return [TranslatedAmounts(*r) for r in conn.execute(sa.text(
        "SELECT entity_id, std_account, sum(local_movement), sum(translated_movement), sum(local_closing), "
        "sum(translated) FROM translated_balances WHERE run_id = CAST(:r AS uuid) "
        "AND std_account = ANY(:accounts) GROUP BY entity_id, std_account ORDER BY entity_id, std_account"),
        {"r": run_id, "accounts": accounts})]
