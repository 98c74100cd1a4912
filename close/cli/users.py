"""``close users``: add, list and disable users; and who the CLI acts as.

The CLI acts as a named user when ``CLOSE_USER`` and ``CLOSE_TOKEN`` are set (the token printed by
``close users add``), with that user's role and segregation of duties. Without ``CLOSE_USER`` it
runs in operator mode as ``CLOSE_ACTOR`` (the single-user set-up), logged as such.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from close.api import CloseSession
from close.cli.common import JsonOpt, console, err, open_session
from close.users import NotAuthenticated

users_app = typer.Typer(no_args_is_help=True, help="Users, roles and API tokens.")


def cli_session() -> CloseSession:
    """Return the close acting as the CLI's caller: ``CLOSE_USER`` with ``CLOSE_TOKEN``, or the operator.

    Raises:
        NotAuthenticated: ``CLOSE_USER`` without a valid ``CLOSE_TOKEN`` of that user.

    """
    session = open_session()
    name, token = session.settings.user, session.settings.token
    if not name:
        return session
    if token is None:
        raise NotAuthenticated("CLOSE_USER is set without its token", key="CLOSE_TOKEN",
                               expected="the token printed by `close users add`")
    return session.login(name, token.get_secret_value(), door="cli")


@users_app.command("add")
def users_add(name: str, role: Annotated[str, typer.Option("--role", help=(
        "viewer, preparer, reviewer, approver, auditor or admin."))]) -> None:
    """Create a user and print their API token once (only its argon2 hash is stored)."""
    token = cli_session().add_user(name, role)
    err.print(f"user {name} ({role}) created; their token, shown only this once:")
    console.print(token)


@users_app.command("list")
def users_list(as_json: JsonOpt = False) -> None:
    """List the tenant's users and roles (never a token)."""
    rows = cli_session().list_users()
    if as_json:
        console.print_json(json.dumps([{"name": u.name, "role": u.role, "created_by": u.created_by,
                                        "created_at": u.created_at, "disabled_at": u.disabled_at}
                                       for u in rows], default=str))
        return
    table = Table("user", "role", "created by", "created", "disabled")
    for u in rows:
        table.add_row(u.name, u.role, u.created_by, f"{u.created_at:%Y-%m-%d %H:%M}",
                      f"{u.disabled_at:%Y-%m-%d %H:%M}" if u.disabled_at else "")
    console.print(table)


@users_app.command("disable")
def users_disable(name: str) -> None:
    """Disable a user: their token stops working at once."""
    cli_session().disable_user(name)
    console.print(f"user {name} disabled")
