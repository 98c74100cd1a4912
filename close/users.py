"""Who acts: users with one role each, their API tokens, and segregation of duties.

Every door into the close (CLI, REST API, web page, MCP server) turns its credentials into a
:class:`Principal` with :func:`authenticate` and asks :func:`authorize` before each action;
``close.api.CloseSession`` does the asking, so no door can forget it. Each call is written to the
access log, allowed or refused.

Roles and what they may do (:data:`PERMISSIONS`): a *viewer* reads runs and figures; an *auditor*
also reads the audit trail; a *preparer* starts, resumes, cancels and adjusts runs; a *reviewer*
approves or rejects runs in review; an *approver* also signs off and locks; an *admin* may do
everything, users included.

Segregation of duties (the control an auditor tests first): whoever started, resumed or adjusted
a run — or any run it descends from — cannot approve it or sign it off, whatever their role.

A token is ``mct_<token_id>_<secret>``: the 16-hex ``token_id`` finds the user's row, the whole
token is verified against an argon2id hash (argon2-cffi); the token itself is shown once and
never stored or logged.

The CLI's *operator mode* (no ``CLOSE_USER``) is the single-user, embedded set-up of today: it
acts as ``CLOSE_ACTOR`` with every permission and no segregation check, and every call is logged
with the role ``operator`` so an auditor sees it was not a named user. The decisions a signed
package names (approve, reject, sign off) need a stated identity: in operator mode without
``CLOSE_ACTOR`` (the actor would only be ``$USER`` or ``cli``) they are refused; the events they
write record the role, so the signed package says "operator mode" beside the name.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Connection

from close.errors import CloseError, ConfigError
from close.storage import Database
from close.storage.users import (
    insert_user,
    lineage_actors,
    record_access,
    user_by_name,
    user_by_token_id,
)


class Role(StrEnum):
    """A user's role; its value is stored in ``users.role``."""

    VIEWER = "viewer"  # reads runs, figures and the package
    PREPARER = "preparer"  # starts, resumes, cancels and adjusts runs
    REVIEWER = "reviewer"  # approves or rejects a run in review
    APPROVER = "approver"  # a reviewer who also signs off and locks periods
    AUDITOR = "auditor"  # reads everything, the audit trail included; changes nothing
    ADMIN = "admin"  # everything, users included


class Action(StrEnum):
    """What a caller asks to do (the access log's ``action``)."""

    READ = "read"
    READ_AUDIT = "read_audit"
    START = "start"
    RESUME = "resume"
    CANCEL = "cancel"
    ADJUST = "adjust"
    APPROVE = "approve"
    REJECT = "reject"
    SIGN_OFF = "sign_off"
    LOCK = "lock"
    UNLOCK = "unlock"
    MANAGE_USERS = "manage_users"


_REVIEW = frozenset({Action.READ, Action.READ_AUDIT, Action.APPROVE, Action.REJECT})
PERMISSIONS: Mapping[Role, frozenset[Action]] = {
    Role.VIEWER: frozenset({Action.READ}),
    Role.AUDITOR: frozenset({Action.READ, Action.READ_AUDIT}),
    Role.PREPARER: frozenset({Action.READ, Action.READ_AUDIT, Action.START, Action.RESUME, Action.CANCEL,
                              Action.ADJUST}),
    Role.REVIEWER: _REVIEW,
    Role.APPROVER: _REVIEW | {Action.SIGN_OFF, Action.LOCK},
    Role.ADMIN: frozenset(Action),
}

#: Actions that change something (the rest only read).
MUTATING = frozenset(Action) - {Action.READ, Action.READ_AUDIT}

#: Actions the preparers of a run may not take on it (segregation of duties).
SEGREGATED = frozenset({Action.APPROVE, Action.SIGN_OFF})

#: Decisions the package names their maker for: refused without a stated identity.
DECISIONS = frozenset({Action.APPROVE, Action.REJECT, Action.SIGN_OFF})

#: Event kinds that make their actor a preparer of the run.
PREPARING_EVENTS = ("created", "resumed", "adjusted")

OPERATOR = "operator"
TOKEN_PREFIX = "mct_"  # noqa: S105 (a prefix, not a secret)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")  # as the users table's CHECK
_HASHER = PasswordHasher()  # argon2id with the library's RFC 9106 low-memory defaults


class AccessDenied(ConfigError):
    """Refused: the caller's role does not allow the action, or segregation of duties forbids it.

    A ``ConfigError`` so the CLI exits 2 (refused); the REST API answers 403.
    """


class NotAuthenticated(ConfigError):
    """Refused: no credentials, a wrong token, or a disabled user (REST: 401)."""


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: a named user with a role, or the CLI operator."""

    name: str
    role: str  # a Role value, or "operator"
    door: str = "cli"
    anonymous: bool = False  # operator mode without CLOSE_ACTOR: the name is only a guess

    @property
    def operator(self) -> bool:
        """True for the CLI's operator mode (every permission, no segregation check)."""
        return self.role == OPERATOR

    def may(self, action: Action) -> bool:
        """Return whether the role allows the action (segregation of duties aside)."""
        return self.operator or action in PERMISSIONS[Role(self.role)]


def operator(actor: str, *, anonymous: bool = False) -> Principal:
    """Return the CLI's operator mode acting as ``actor`` (``CLOSE_ACTOR``; ``anonymous`` without it)."""
    return Principal(name=actor, role=OPERATOR, door="cli", anonymous=anonymous)


def new_token() -> tuple[str, str]:
    """Return a fresh ``(token_id, token)``."""
    token_id = secrets.token_hex(8)
    return token_id, f"{TOKEN_PREFIX}{token_id}_{secrets.token_urlsafe(32)}"


def add_user(db: Database, name: str, role: str, *, created_by: str) -> str:
    """Create a user and return their one-time API token (only its argon2 hash is stored).

    Raises:
        ConfigError: an unknown role, a bad name, or a user of that name exists.

    """
    try:
        Role(role)
    except ValueError:
        raise ConfigError(f"unknown role {role!r}", key="--role",
                          expected=", ".join(r.value for r in Role)) from None
    if not _NAME.match(name):
        raise ConfigError(f"got {name!r}", key="NAME", expected="letters, digits, _ . @ - (at most 64)")
    token_id, token = new_token()
    with db.tx() as conn:
        insert_user(conn, name=name, role=role, token_id=token_id, token_hash=_HASHER.hash(token),
                    created_by=created_by)
    return token


class _VerifiedTokens:
    """Tokens verified in the last minute, by their sha256, so argon2 runs once per client burst.

    Only the sha256 of a token is kept in memory; a disabled user is re-read from the database
    on every call, so disabling still takes effect at once.
    """

    def __init__(self, ttl: float = 60.0) -> None:
        self.ttl = ttl
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def fresh(self, token: str) -> bool:
        key = hashlib.sha256(token.encode()).hexdigest()
        with self._lock:
            at = self._seen.get(key)
            return at is not None and time.monotonic() - at < self.ttl

    def remember(self, token: str) -> None:
        key = hashlib.sha256(token.encode()).hexdigest()
        with self._lock:
            if len(self._seen) > 10_000:
                self._seen.clear()
            self._seen[key] = time.monotonic()


_VERIFIED = _VerifiedTokens()


def authenticate(db: Database, token: str, *, door: str, name: str | None = None) -> Principal:
    """Return the principal a token belongs to.

    Args:
        db: the tenant's database.
        token: the API token (``mct_…``).
        door: ``cli``, ``api``, ``web`` or ``mcp`` (kept in the access log).
        name: when given (``CLOSE_USER``), the token must be this user's.

    Raises:
        NotAuthenticated: a malformed or wrong token, another user's token, or a disabled user.

    """
    parts = token.split("_") if token.startswith(TOKEN_PREFIX) else []
    refused = NotAuthenticated("invalid or disabled credentials", key="token")
    if len(parts) < 3 or len(parts[1]) != 16:
        raise refused
    with db.tx(durable=False) as conn:
        row = user_by_token_id(conn, parts[1])
    if row is None or row.disabled_at is not None or (name is not None and row.name != name):
        raise refused
    if not _VERIFIED.fresh(token):
        try:
            _HASHER.verify(row.token_hash, token)
        except (VerificationError, InvalidHashError):
            raise refused from None
        _VERIFIED.remember(token)
    return Principal(name=row.name, role=row.role, door=door)


def active_principal(db: Database, principal: Principal) -> Principal:
    """Re-read a named principal (a web session's user): refuse once disabled or removed.

    Raises:
        NotAuthenticated: the user is disabled or gone.

    """
    if principal.operator:
        return principal
    with db.tx(durable=False) as conn:
        row = user_by_name(conn, principal.name)
    if row is None or row.disabled_at is not None:
        raise NotAuthenticated("the user is disabled", key="session")
    return Principal(name=row.name, role=row.role, door=principal.door)


def authorize(db: Database, principal: Principal, action: Action, *, run_id: str | None = None,
              target: str = "") -> None:
    """Allow the action or raise; log the decision either way.

    Raises:
        AccessDenied: the role lacks the action, or the principal prepared the run (segregation).

    """
    reason = refusal(db, principal, action, run_id=run_id)
    # An allowed read's row is written without waiting for the WAL flush: a crash may lose the last
    # reads' rows, never a decision's. Every page view logs several reads; a flush each would
    # dominate its time.
    with db.tx(durable=bool(reason) or action not in READS) as conn:
        _record(conn, principal, action, target or (run_id or ""), reason)
    if reason:
        raise AccessDenied(f"refused: {reason}")


#: The actions that only read: their access-log rows need not survive a crash.
READS = frozenset({Action.READ, Action.READ_AUDIT})


@contextmanager
def reading(db: Database, principal: Principal, action: Action, *, target: str) -> Iterator[Connection]:
    """Allow a read and yield the one transaction that logs it and reads (no wait for the WAL flush).

    One transaction instead of two (the access log's, then the read's) is what keeps a list or a
    page of the web process fast. A refusal is logged and raised as by :func:`authorize`; a read
    that raises (no such run) rolls its transaction back, so its access row is written again alone.

    Raises:
        AccessDenied: the role may not ``action``.

    """
    if refusal(db, principal, action):
        authorize(db, principal, action, target=target)  # logs the refusal, then raises
    try:
        with db.tx(durable=False) as conn:
            _record(conn, principal, action, target, "")
            yield conn
    except CloseError:
        with db.tx(durable=False) as conn:
            _record(conn, principal, action, target, "")
        raise


def _record(conn: Connection, principal: Principal, action: Action, target: str, reason: str) -> None:
    record_access(conn, actor=principal.name, role=principal.role, door=principal.door, action=action.value,
                  target=target, allowed=not reason, reason=reason)


def refusal(db: Database, principal: Principal, action: Action, *, run_id: str | None = None) -> str:
    """Return why the action is refused (empty when allowed), without logging: pages hide buttons with it."""
    if not principal.may(action):
        return f"the role {principal.role} may not {action.value.replace('_', ' ')}"
    if principal.anonymous and action in DECISIONS:
        return (f"{action.value.replace('_', ' ')} needs to know who you are: set CLOSE_ACTOR to your name "
                "(operator mode), or CLOSE_USER and CLOSE_TOKEN (a named user)")
    if run_id is not None and action in SEGREGATED and not principal.operator and _is_uuid(run_id):
        with db.tx() as conn:
            preparers = lineage_actors(conn, run_id, PREPARING_EVENTS)
            approvers = (lineage_actors(conn, run_id, ("approved",))
                         if action == Action.SIGN_OFF and _signoff_by_another(conn, run_id) else set())
        if principal.name in preparers:
            return (f"segregation of duties: {principal.name} started, resumed or adjusted run {run_id} "
                    f"and may not {action.value.replace('_', ' ')} it")
        if principal.name in approvers:
            return (f"segregation of duties: {principal.name} approved run {run_id}, and the group's "
                    "[review] signoff_by_another asks another person to sign it off")
    return ""


def _is_uuid(run_id: str) -> bool:
    """Return whether the id can name a run (else the door reports "no run" itself)."""
    try:
        uuid.UUID(run_id)
    except ValueError:
        return False
    return True


def _signoff_by_another(conn: Connection, run_id: str) -> bool:
    """Return whether the run's group config asks that approver and signer differ."""
    from close.errors import CloseError
    from close.run.inputs import load_config

    try:
        return load_config(conn, run_id).signoff_by_another
    except CloseError:
        return False  # no snapshot (yet): the review itself will refuse the run
