"""The group and its entities as its config last described them (``groups``, ``entities``)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from close.config import GroupConfig


def upsert_group(conn: Connection, config: GroupConfig) -> None:
    """Record the group and its entities as the config now describes them."""
    conn.execute(sa.text(
        "INSERT INTO groups (tenant_id, id, name, presentation_currency) VALUES "
        "(current_setting('app.tenant_id'), :id, :n, :c) ON CONFLICT (tenant_id, id) DO UPDATE "
        "SET name = excluded.name, presentation_currency = excluded.presentation_currency, "
        "updated_at = now()"),
        {"id": config.id, "n": config.name, "c": config.presentation_currency})
    for e in config.entities:
        conn.execute(sa.text(
            "INSERT INTO entities (tenant_id, group_id, id, name, currency, parent_id, ownership, method, "
            "connector) VALUES (current_setting('app.tenant_id'), :g, :id, :n, :c, :p, :o, :m, :k) "
            "ON CONFLICT (tenant_id, group_id, id) DO UPDATE SET name = excluded.name, "
            "currency = excluded.currency, parent_id = excluded.parent_id, ownership = excluded.ownership, "
            "method = excluded.method, connector = excluded.connector"),
            {"g": config.id, "id": e.id, "n": e.name, "c": e.currency, "p": e.parent,
             "o": e.ownership, "m": e.method, "k": e.connector})
