"""``close users``: add, list and disable users; and who the CLI acts as.

The CLI acts as a named user when ``CLOSE_USER`` and ``CLOSE_TOKEN`` are set (the token printed by
``close users add``), with that user's role and segregation of duties. Without ``CLOSE_USER`` it
runs in operator mode as ``CLOSE_ACTOR`` (the single-user set-up), logged as such.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Annotated

import typer
from rich.table import Table

from close.cli.common import JsonOpt, console, err, open_env
from close.run.stages import StageEnv
from close.storage.users import disable_user, list_users
from close.users import Action, NotAuthenticated, Principal, add_user, authenticate, authorize, operator

users_app = typer.Typer(no_args_is_help=True, help="Users, roles and API tokens.")


def cli_principal(env: StageEnv) -> Principal:
    """Return who the CLI acts as: ``CLOSE_USER`` with ``CLOSE_TOKEN``, or the operator.

    Raises:
        NotAuthenticated: ``CLOSE_USER`` without a valid ``CLOSE_TOKEN`` of that user.

    """
    name, token = env.settings.user, env.settings.token
    if not name:
        return operator(env.actor, anonymous=env.settings.anonymous_actor)
    if token is None:
        raise NotAuthenticated("CLOSE_USER is set without its token", key="CLOSE_TOKEN",
                               expected="the token printed by `close users add`")
    return authenticate(env.db, token.get_secret_value(), door="cli", name=name)


def guard_as(env: StageEnv, action: Action, run_id: str | None = None,
             target: str = "") -> tuple[StageEnv, Principal]:
    """Authorize the CLI's caller for an action; return the environment acting as them, and them.

    Raises:
        AccessDenied: the role, segregation of duties or a missing identity refuses it (exit 2).

    """
    principal = cli_principal(env)
    authorize(env.db, principal, action, run_id=run_id, target=target)
    return (env if env.actor == principal.name else replace(env, actor=principal.name)), principal


def guard(env: StageEnv, action: Action, run_id: str | None = None, target: str = "") -> StageEnv:
    """Authorize the CLI's caller for an action; return the environment acting as them."""
    return guard_as(env, action, run_id, target)[0]


@users_app.command("add")
def users_add(name: str, role: Annotated[str, typer.Option("--role", help=(
        "viewer, preparer, reviewer, approver, auditor or admin."))]) -> None:
    """Create a user and print their API token once (only its argon2 hash is stored)."""
    env = guard(open_env(), Action.MANAGE_USERS, target=f"add {name}")
    token = add_user(env.db, name, role, created_by=env.actor)
    err.print(f"user {name} ({role}) created; their token, shown only this once:")
    console.print(token)


@users_app.command("list")
def users_list(as_json: JsonOpt = False) -> None:
    """List the tenant's users and roles (never a token)."""
    env = guard(open_env(), Action.MANAGE_USERS, target="list")
    with env.db.tx() as conn:
        rows = list_users(conn)
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
    env = guard(open_env(), Action.MANAGE_USERS, target=f"disable {name}")
    with env.db.tx() as conn:
        done = disable_user(conn, name)
    if not done:
        from close.errors import ConfigError

        raise ConfigError(f"no active user {name!r}", key="NAME")
    console.print(f"user {name} disabled")
