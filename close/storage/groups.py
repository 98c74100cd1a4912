"""The group and its entities as its config last described them (``groups``, ``entities``)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection

from close.config import GroupConfig
from close.storage.schema import current_tenant, entities, groups


def upsert_group(conn: Connection, config: GroupConfig) -> None:
    """Record the group and its entities as the config now describes them."""
    group = pg_insert(groups).values(tenant_id=current_tenant(), id=config.id, name=config.name,
                                     presentation_currency=config.presentation_currency)
    conn.execute(group.on_conflict_do_update(
        index_elements=["tenant_id", "id"],
        set_={"name": group.excluded.name, "presentation_currency": group.excluded.presentation_currency,
              "updated_at": sa.func.now()}))
    for e in config.entities:
        entity = pg_insert(entities).values(tenant_id=current_tenant(), group_id=config.id, id=e.id,
                                            name=e.name, currency=e.currency, parent_id=e.parent,
                                            ownership=e.ownership, method=e.method, connector=e.connector)
        conn.execute(entity.on_conflict_do_update(
            index_elements=["tenant_id", "group_id", "id"],
            set_={name: entity.excluded[name]
                  for name in ("name", "currency", "parent_id", "ownership", "method", "connector")}))
