"""The entities' own translated income-statement lines of a run, for the FX impact (constant currency)."""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from close.engine.types import AccountCode, EntityId, RunId
from close.storage.schema import translated_balances


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
    t = translated_balances.c
    return [TranslatedAmounts(*r) for r in conn.execute(
        sa.select(t.entity_id, t.std_account, sa.func.sum(t.local_movement),
                  sa.func.sum(t.translated_movement), sa.func.sum(t.local_closing), sa.func.sum(t.translated))
        .where(t.run_id == run_id, t.std_account.in_(accounts))
        .group_by(t.entity_id, t.std_account).order_by(t.entity_id, t.std_account))]
