"""Users, roles and segregation of duties through close.api and the CLI (real PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest

from close.api import CloseSession
from close.config import Settings
from close.run.env import StageEnv
from close.run.state import append_event
from close.storage import Database
from close.storage.runs import create_run
from close.storage.users import access_entries
from close.users import AccessDenied, NotAuthenticated, Principal, add_user, authenticate
from tests.close.run.cli_helpers import cli_env, close


def _run_prepared_by(db: Database, preparer: str, *, resumer: str | None = None) -> str:
    with db.tx() as conn:
        run = create_run(conn, group_id="g", period="2026-01", actor=preparer)
        assert run is not None
        if resumer:
            append_event(conn, run.id, "resumed", "resumed", actor=resumer)
    return run.id


def _session(db: Database, who: Principal) -> CloseSession:
    return CloseSession(StageEnv(db=db, settings=Settings(), actor="unused"), who)


def test_a_token_is_shown_once_and_only_its_argon2_hash_is_stored(db: Database) -> None:
    token = add_user(db, "ana", "preparer", created_by="admin")
    assert token.startswith("mct_")
    with db.tx() as conn:
        stored = conn.exec_driver_sql("SELECT token_hash FROM users WHERE name = 'ana'").scalar_one()
    assert stored.startswith("$argon2id$") and token not in stored
    assert authenticate(db, token, door="api") == Principal("ana", "preparer", "api")
    with pytest.raises(NotAuthenticated):
        authenticate(db, token + "x", door="api")
    with pytest.raises(NotAuthenticated):
        authenticate(db, token, door="cli", name="bob")  # another user's token


def test_an_unknown_role_is_refused_naming_the_roles(db: Database) -> None:
    with pytest.raises(Exception, match="--role.*viewer, preparer"):
        add_user(db, "x", "boss", created_by="admin")


@pytest.mark.parametrize("kind", ["created", "resumed"])
def test_who_prepared_a_run_cannot_approve_or_sign_it_off(db: Database, kind: str) -> None:
    run_id = (_run_prepared_by(db, "ana") if kind == "created"
              else _run_prepared_by(db, "someone", resumer="ana"))
    ana_as_admin = _session(db, Principal("ana", "admin", "api"))
    for act in (lambda s: s.approve(run_id, "ok"), lambda s: s.sign_off(run_id)):
        with pytest.raises(AccessDenied, match="segregation of duties"):
            act(ana_as_admin)
    # Another approver passes the access check; the review then refuses the run's state, not the person.
    with pytest.raises(Exception, match="refused: run") as caught:
        _session(db, Principal("carla", "approver", "api")).sign_off(run_id)
    assert not isinstance(caught.value, AccessDenied)
    with db.tx() as conn:
        log = access_entries(conn)
    assert [(e["actor"], e["action"], e["allowed"]) for e in log[:3]] == [
        ("carla", "sign_off", True), ("ana", "sign_off", False), ("ana", "approve", False)]


@pytest.mark.parametrize(("role", "refused"), [
    ("viewer", ["start", "approve", "sign_off", "cancel"]),
    ("preparer", ["approve", "sign_off", "lock"]),
    ("reviewer", ["sign_off", "start"]),
    ("auditor", ["start", "approve", "cancel"]),
])
def test_roles_refuse_what_they_do_not_allow(db: Database, role: str, refused: list[str]) -> None:
    run_id = _run_prepared_by(db, "someone-else")
    session = _session(db, Principal("u", role, "api"))
    calls = {"start": lambda: session.start_close("nowhere.toml", "2026-01"),
             "approve": lambda: session.approve(run_id, "ok"), "sign_off": lambda: session.sign_off(run_id),
             "cancel": lambda: session.cancel(run_id, "no"), "lock": lambda: session.lock("g", "2026-01")}
    for action in refused:
        with pytest.raises(AccessDenied, match=f"the role {role} may not"):
            calls[action]()


def test_every_event_records_the_authenticated_user(db: Database) -> None:
    run_id = _run_prepared_by(db, "someone")
    _session(db, Principal("dora", "preparer", "api")).cancel(run_id, "wrong month")
    with db.tx() as conn:
        actors = conn.exec_driver_sql(
            f"SELECT actor FROM run_events WHERE run_id = '{run_id}' AND kind <> 'created'").scalars().all()
    assert actors and set(actors) == {"dora"}


def test_the_cli_refuses_the_preparers_approve_and_signoff_with_exit_2(pg_url: str, tmp_path: Path) -> None:
    env = cli_env(pg_url, tmp_path)
    added = close(env, "users", "add", "paula", "--role", "preparer")
    assert added.returncode == 0, added.stderr
    token = added.stdout.strip()
    assert token.startswith("mct_") and "shown only this once" in added.stderr
    listed = close(env, "users", "list")
    assert "paula" in listed.stdout and token not in listed.stdout
    db = Database.connect(pg_url, env["CLOSE_TENANT"])
    try:
        run_id = _run_prepared_by(db, "paula")
    finally:
        db.dispose()
    as_paula = {**env, "CLOSE_USER": "paula", "CLOSE_TOKEN": token}
    for args in (("approve", run_id, "--reason", "fine"), ("signoff", run_id)):
        done = close(as_paula, *args)
        assert done.returncode == 2, done.stderr
        assert "may not" in done.stderr and "Traceback" not in done.stderr
    wrong = close({**as_paula, "CLOSE_TOKEN": "mct_0000000000000000_nope"}, "status")
    assert wrong.returncode == 2 and "invalid or disabled credentials" in wrong.stderr
    assert close(env, "users", "disable", "paula").returncode == 0
    assert close(as_paula, "status").returncode == 2


def test_the_group_config_can_ask_another_person_to_sign_off_than_approved(db: Database) -> None:
    from close.run.inputs import CONFIG_INPUT
    from close.storage.runs import put_input
    from tests.web.conftest import ROOT

    config = (ROOT / "examples" / "demo" / "group.toml").read_text(encoding="utf-8")
    run_id = _run_prepared_by(db, "ana")
    with db.tx() as conn:
        strict = config + "\n[review]\nsignoff_by_another = true\n"
        put_input(conn, run_id, CONFIG_INPUT, strict.encode(), kind="config")
        append_event(conn, run_id, "approved", "approved", actor="carla")
    with pytest.raises(AccessDenied, match="signoff_by_another"):
        _session(db, Principal("carla", "approver", "api")).sign_off(run_id)
    with pytest.raises(Exception, match="refused: run") as caught:
        _session(db, Principal("dora", "approver", "api")).sign_off(run_id)
    assert not isinstance(caught.value, AccessDenied)


def test_a_malformed_run_id_is_no_run_not_a_traceback(db: Database) -> None:
    with pytest.raises(Exception, match="no run|not-a-run") as caught:
        _session(db, Principal("dora", "approver", "api")).sign_off("not-a-run")
    assert not isinstance(caught.value, AccessDenied)


def test_operator_mode_without_close_actor_may_not_approve_reject_or_sign_off(db: Database) -> None:
    """Issue 17: a decision the signed package names needs a stated identity, not $USER's guess."""
    assert Settings.from_environ({"USER": "root"}).anonymous_actor
    assert not Settings.from_environ({"USER": "root", "CLOSE_ACTOR": "olga"}).anonymous_actor
    run_id = _run_prepared_by(db, "ana")
    guessed = CloseSession(StageEnv(db=db, settings=Settings.from_environ({"USER": "root"}), actor="root"))
    assert guessed.principal.operator and guessed.principal.anonymous
    for act in (lambda s: s.approve(run_id, "ok"), lambda s: s.reject(run_id, "no"),
                lambda s: s.sign_off(run_id)):
        with pytest.raises(AccessDenied, match="set CLOSE_ACTOR to your name"):
            act(guessed)
    assert guessed.get_run(run_id).status == "PENDING"  # reading needs no stated identity
    named = CloseSession(StageEnv(db=db, settings=Settings(actor="olga"), actor="olga"))
    with pytest.raises(Exception, match="refused: run") as caught:  # the run's state, not the person
        named.sign_off(run_id)
    assert not isinstance(caught.value, AccessDenied)
