"""The one Python door into the close: what a user does, as typed functions.

The CLI, the workers (``workers.tasks``), and any web service or assistant built on top call this
module rather than assembling settings, database, stage environment, run creation and polling by
hand::

    from close.api import CloseSession

    with CloseSession.open() as session:            # settings from the environment
        run = session.start_close("examples/demo/group.toml", "2026-10")
        print(run.status, run.package_path)          # COMPLETED /…/board-package.zip
        balances = session.run_summary(run.id)["consolidated"]

In-process (no ``CLOSE_BROKER_URL``) ``start_close`` runs the whole canvas before it returns; in
distributed mode it enqueues it and, with ``wait=True`` (the default), polls PostgreSQL until the
run settles. Every returned record is frozen; :class:`RunView` carries a ``schema_version`` so a
script that stores it can tell shapes apart.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError as DatabaseError

from close.config import Settings
from close.engine.types import Period, RunId
from close.errors import CloseError, ConfigError, NotFound
from close.run.env import StageEnv
from close.run.stages import RunStopped, UnknownRun
from close.run.state import AWAITING_PEOPLE, STAGE_ORDER, TERMINAL_STATUSES, RunStatus
from close.run.transient import short_reason
from close.run.workflow.durations import Progress
from close.storage import open_database
from close.storage.runs import Run, done_stages, events, find_runs, get_run
from close.users import Action, Principal, authorize, operator, reading

if TYPE_CHECKING:
    import pandas as pd
    from celery import Celery
    from celery.schedules import crontab

    from close.rates.store import StoredRates
    from close.run.staleness import StaleRun
    from close.run.workflow.alerts import TickReport
    from close.storage.audit import ChainCheck
    from close.storage.receivables import StoredDraft
    from close.storage.users import UserRow

# Value types and constants a caller of this module names (the CLI and the workers among them):
# re-exported here so the doors need not import run control or storage.
__all__ = [
    "AWAITING_PEOPLE", "SETTLED", "STAGE_ORDER", "TERMINAL_STATUSES", "CloseSession", "DatabaseError",
    "Progress", "Run", "RunStatus", "RunStopped", "RunView", "StatusReport", "UnknownRun",
    "celery_app", "database_error_reason", "group_schedule", "package_path_of", "print_summary",
    "short_reason", "upgrade_database",
]

#: The version of :class:`RunView`'s shape (and of ``close status --json``'s run objects).
SCHEMA_VERSION = 1

#: States in which a run waits for a person or is over: polling stops there.
SETTLED = frozenset({*TERMINAL_STATUSES, RunStatus.FAILED, *AWAITING_PEOPLE})


@dataclass(frozen=True, slots=True)
class RunView:
    """A run as a user sees it: its state, what failed, its stages done and its package."""

    id: RunId
    group_id: str
    period: Period
    status: RunStatus
    created_by: str
    failed_stage: str | None
    failed_entity: str | None
    failure_reason: str | None
    validation_score: str | None
    superseded_by: RunId | None
    signed_off_by: str | None
    stages_done: tuple[tuple[str, str], ...] = ()
    package_path: str | None = None
    schema_version: int = field(default=SCHEMA_VERSION)

    @property
    def resume_command(self) -> str | None:
        """The command that resumes this run, when it failed."""
        return f"close resume {self.id}" if self.status == RunStatus.FAILED else None

    def to_json(self) -> dict[str, Any]:
        """Plain JSON-ready values (the status as its string)."""
        data = asdict(self)
        data["status"] = self.status.value
        data["stages_done"] = [list(s) for s in self.stages_done]
        return data


def _view(run: Run, stages: set[tuple[str, str]], package: str | None) -> RunView:
    return RunView(id=run.id, group_id=run.group_id, period=run.period, status=run.status,
                   created_by=run.created_by, failed_stage=run.failed_stage, failed_entity=run.failed_entity,
                   failure_reason=run.failure_reason, validation_score=run.validation_score,
                   superseded_by=run.superseded_by, signed_off_by=run.signed_off_by,
                   stages_done=tuple(sorted(stages)), package_path=package)


def _view_of(conn: Connection, run_id: RunId) -> RunView:
    run = get_run(conn, run_id)
    if run is None:
        raise NotFound(f"no run {run_id}")
    return _view(run, done_stages(conn, run_id), package_path_of(events(conn, run_id)))


def package_path_of(run_events: list[dict[str, Any]]) -> str | None:
    """Return the newest package zip on disk: the signed one once signed off."""
    for event in reversed(run_events):
        if event["kind"] == "package_signed" or (
                event["stage"] == RunStatus.DISTRIBUTING.value and event["kind"] == "stage_done"):
            return str(event["detail"].get("path"))
    return None


class CloseSession:
    """One tenant's close: a database handle, the process settings and who acts.

    Every method asks :func:`close.users.authorize` first: the principal's role must allow the
    action, and whoever prepared a run may not approve or sign it off (segregation of duties).
    Without a principal the session is the CLI's operator mode acting as ``env.actor``.
    """

    # The session this process's stage tasks run under (:meth:`install`, :meth:`for_tasks`).
    _for_tasks: ClassVar[CloseSession | None] = None

    def __init__(self, env: StageEnv, principal: Principal | None = None) -> None:
        """Wrap an open stage environment (use :meth:`open` to build one from settings)."""
        self.principal = principal or operator(env.actor, anonymous=env.settings.anonymous_actor)
        # Every event the session writes records the authenticated user.
        self.env = env if env.actor == self.principal.name else replace(env, actor=self.principal.name)

    def as_user(self, principal: Principal) -> CloseSession:
        """Return a session on the same database acting as another principal (one per request)."""
        return CloseSession(self.env, principal)

    def _allow(self, action: Action, run_id: RunId | None = None, target: str = "") -> None:
        authorize(self.env.db, self.principal, action, run_id=run_id, target=target)

    def _reading(self, target: str, action: Action = Action.READ) -> AbstractContextManager[Connection]:
        """Allow a read and open the one transaction that logs it and reads."""
        return reading(self.env.db, self.principal, action, target=target)

    @classmethod
    def connect(cls, settings: Settings | None = None, principal: Principal | None = None) -> CloseSession:
        """Open the database and configure Celery; the caller disposes (a CLI process just exits).

        Raises:
            ConfigError: a malformed setting, naming the variable.

        """
        settings = settings or Settings.from_environ(os.environ)
        env = StageEnv(db=open_database(settings), settings=settings, actor=settings.actor)
        # The tasks run as the operator (CLOSE_ACTOR), whoever asked for the run.
        session = cls(env).install()
        return session if principal is None else session.as_user(principal)

    def install(self) -> CloseSession:
        """Point Celery at this session's broker (none: in-process) and run this process's tasks under it.

        In-process the stage tasks run in this process, on this session's database, as its actor;
        :meth:`connect` installs the session it opens. Returns the session itself.
        """
        from close.run.broker import configure

        configure(self.env.settings)
        CloseSession._for_tasks = self
        return self

    @classmethod
    def for_tasks(cls) -> CloseSession:
        """Return the session the stage tasks of this process run under.

        The installed one (an in-process run, a server); in a worker process, one opened once from
        the environment, acting as ``worker@{host}``.
        """
        if cls._for_tasks is None:
            settings = Settings.from_environ(os.environ)
            cls._for_tasks = cls(StageEnv(db=open_database(settings), settings=settings,
                                          actor=f"worker@{socket.gethostname()}"))
        return cls._for_tasks

    def as_actor(self, actor: str) -> CloseSession:
        """Return an operator session on the same database whose events name ``actor`` (the beat)."""
        return CloseSession(replace(self.env, actor=actor))

    @classmethod
    @contextmanager
    def open(cls, settings: Settings | None = None,
             principal: Principal | None = None) -> Iterator[CloseSession]:
        """Open a session from ``settings`` (default: from the environment) and close it after.

        Raises:
            ConfigError: a malformed setting, naming the variable.

        """
        session = cls.connect(settings, principal)
        try:
            yield session
        finally:
            session.env.db.dispose()

    @property
    def settings(self) -> Settings:
        """The process settings the session was opened with."""
        return self.env.settings

    @property
    def tenant(self) -> str:
        """The tenant whose rows the session's database sees."""
        return self.env.db.tenant

    @property
    def actor(self) -> str:
        """The name every event the session writes records."""
        return self.env.actor

    def login(self, name: str, token: str, *, door: str) -> CloseSession:
        """Return a session acting as the user ``name``, whose API token ``token`` must be.

        Raises:
            NotAuthenticated: the token is not a valid token of that user.

        """
        from close.users import authenticate

        return self.as_user(authenticate(self.env.db, token, door=door, name=name))

    def allow(self, action: Action, run_id: RunId | None = None, target: str = "") -> None:
        """Authorize the session's principal for an action a door composes of several calls.

        Raises:
            AccessDenied: the role, segregation of duties or a missing identity refuses it.

        """
        self._allow(action, run_id, target)

    # -- runs -------------------------------------------------------------------------------------

    def get_run(self, run_id: RunId) -> RunView:
        """Return one run with its stages done and its package path.

        Raises:
            NotFound: no such run for this tenant.

        """
        with self._reading(run_id) as conn:
            return _view_of(conn, run_id)

    def _fetch(self, run_id: RunId) -> RunView:
        with self.env.db.tx() as conn:
            return _view_of(conn, run_id)

    def list_runs(self, *, group_id: str | None = None, period: Period | None = None,
                  limit: int = 200) -> list[RunView]:
        """Return the latest runs, newest first, optionally of one group or period."""
        with self._reading("runs") as conn:
            runs = find_runs(conn, group_id=group_id, period=period, limit=limit)
        return [_view(r, set(), None) for r in runs]

    def run_summary(self, run_id: RunId, *, account: str | None = None) -> dict[str, Any]:
        """Return what ``close show --json`` prints: balances, CTA, NCI, journals, findings, events."""
        from close.run.summary import run_summary

        with self._reading(run_id) as conn:
            return {"schema_version": SCHEMA_VERSION, **run_summary(conn, run_id, account=account)}

    def wait(self, run_id: RunId, *, poll_seconds: float = 0.5, timeout: float | None = None) -> RunView:
        """Poll until the run settles (done, failed, cancelled or awaiting review); return it.

        Raises:
            TimeoutError: ``timeout`` seconds passed first.

        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            view = self._fetch(run_id)
            if view.status in SETTLED:
                return view
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"run {run_id} still {view.status} after {timeout} s")
            time.sleep(poll_seconds)

    def _carry_on(self, run_id: RunId, *, wait: bool, detach: bool = False) -> RunView:
        if detach and not self.env.settings.broker_url:
            # In-process, a server must answer now: the canvas runs in a thread of this process.
            self.start_in_background(run_id)
            return self._fetch(run_id)
        try:
            self._start(run_id)  # in-process this runs the whole canvas before returning
        except CloseError:
            if self.env.settings.broker_url:
                raise  # not enqueued: nothing will move the run
            # In-process the failing stage has recorded FAILED with its reason on the run.
        return self.wait(run_id) if wait else self._fetch(run_id)

    def _start(self, run_id: RunId) -> None:
        """Send the run's canvas (close.run.dispatch); in-process it runs before this returns."""
        from close.run.dispatch import start_run  # Celery loads only when a run is started

        start_run(self.env, run_id)

    def _run_quietly(self, run_id: RunId) -> None:
        try:
            self._start(run_id)
        except CloseError:
            pass  # the failing stage recorded FAILED with its reason on the run

    def create_run(self, config_path: str | Path, period: Period, *, rerun: bool = False) -> Run:
        """Create the run of a group for a period without starting it (:meth:`start_in_background`).

        ``rerun``: the period has a completed run and the new one is to supersede it when it completes
        (its ``parent_run_id`` names the run it supersedes).

        Raises:
            ConfigError: a bad config or period. RunConflict: an active run exists, or a completed
            run exists and ``rerun`` is False.

        """
        from close.run.lifecycle import create_close_run

        self._allow(Action.START, target=f"{config_path} {period}")
        return create_close_run(self.env, Path(config_path), period, rerun=rerun)

    def start_close(self, config_path: str | Path, period: Period, *, wait: bool = True,
                    detach: bool = False, rerun: bool = False) -> RunView:
        """Start the close of a group for a period (``detach``: return at once, even in-process).

        Raises:
            ConfigError: a bad config or period. RunConflict: see :meth:`create_run`.

        """
        run = self.create_run(config_path, period, rerun=rerun)
        return self._carry_on(run.id, wait=wait, detach=detach)

    def resume_run(self, run_id: RunId) -> Run:
        """Set a FAILED run back to the stage that failed, without starting it."""
        from close.run.lifecycle import resume_run

        self._allow(Action.RESUME, run_id)
        return resume_run(self.env, run_id)

    def resume(self, run_id: RunId, *, wait: bool = True, detach: bool = False) -> RunView:
        """Resume a FAILED run at the stage that failed, re-reading the failed inputs."""
        return self._carry_on(self.resume_run(run_id).id, wait=wait, detach=detach)

    def cancel(self, run_id: RunId, reason: str) -> RunView:
        """Cancel an active run, with the reason kept in the audit trail."""
        from close.run.lifecycle import cancel_run

        self._allow(Action.CANCEL, run_id)
        return self._fetch(cancel_run(self.env, run_id, reason).id)

    # -- review, sign-off and locks -----------------------------------------------------------------

    def findings(self, run_id: RunId) -> list[dict[str, object]]:
        """Return the run's validation findings, each with its evidence."""
        from close.run.review import findings

        with self._reading(run_id) as conn:
            return findings(conn, run_id)

    def review(self, run_id: RunId) -> tuple[Run, list[dict[str, object]], list[Any]]:
        """Return the run, its findings and the score weights of its config (``close review``).

        Raises:
            NotFound: no such run.

        """
        from close.run.inputs import load_config
        from close.run.review import findings

        with self._reading(run_id) as conn:
            run = get_run(conn, run_id)
            if run is None:
                raise NotFound(f"no run {run_id}")
            return run, findings(conn, run_id), list(load_config(conn, run_id).validation.weights)

    def approve_run(self, run_id: RunId, reason: str, waivers: Mapping[str, str] | None = None) -> Run:
        """Approve a run in review (waiving findings with reasons) without continuing it."""
        from close.run.review import approve

        self._allow(Action.APPROVE, run_id)
        return approve(self.env, run_id, reason, dict(waivers or {}), role=self.principal.role)

    def approve(self, run_id: RunId, reason: str, waivers: Mapping[str, str] | None = None, *,
                wait: bool = True, detach: bool = False) -> RunView:
        """Approve a run in review (waiving findings with reasons) and continue it."""
        return self._carry_on(self.approve_run(run_id, reason, waivers).id, wait=wait, detach=detach)

    def reject(self, run_id: RunId, reason: str) -> RunView:
        """Reject a run in review; it is CANCELLED."""
        from close.run.review import reject

        self._allow(Action.REJECT, run_id)
        return self._fetch(reject(self.env, run_id, reason).id)

    def sign_off_run(self, run_id: RunId, note: str = "") -> Run:
        """Sign off a COMPLETED run and return its record (who signed and when)."""
        from close.run.review import signoff

        self._allow(Action.SIGN_OFF, run_id)
        return signoff(self.env, run_id, note, role=self.principal.role)

    def sign_off(self, run_id: RunId, note: str = "") -> RunView:
        """Sign off a COMPLETED run; its package is rendered again as the signed edition."""
        return self._fetch(self.sign_off_run(run_id, note).id)

    def lock(self, group_id: str, period: Period, reason: str = "") -> RunView:
        """Lock a period whose effective run is signed off."""
        from close.run.review import lock

        self._allow(Action.LOCK, target=f"{group_id} {period}")
        return self._fetch(lock(self.env, group_id, period, reason).id)

    def unlock(self, group_id: str, period: Period, reason: str) -> None:
        """Unlock a period, with the reason kept in the audit trail."""
        from close.run.review import unlock

        self._allow(Action.UNLOCK, target=f"{group_id} {period}")
        unlock(self.env, group_id, period, reason)

    def adjust_run(self, run_id: RunId, journal: str | Path) -> Run:
        """Add a top-side journal file to a run; return the child run that re-consolidates, not started."""
        from close.run.review import adjust

        self._allow(Action.ADJUST, run_id)
        return adjust(self.env, run_id, Path(journal))

    def adjust(self, run_id: RunId, journal: str | Path, *, wait: bool = True,
               detach: bool = False) -> RunView:
        """Add a top-side journal file to a run: a child run re-consolidates with it."""
        return self._carry_on(self.adjust_run(run_id, journal).id, wait=wait, detach=detach)

    # -- what a run produced ----------------------------------------------------------------------

    def package_bytes(self, run_id: RunId) -> bytes:
        """Return the run's board package (a zip with its manifest), from PostgreSQL.

        Once the run is signed off this is the signed edition (the unsigned one is kept).

        Raises:
            NotFound: no such run.

        """
        return self.package_edition(run_id)[0]

    def package_edition(self, run_id: RunId, *, unsigned: bool = False) -> tuple[bytes, str]:
        """Return the run's board package and the name of its edition.

        The current edition (the signed one once signed off), or with ``unsigned`` the package as
        rendered before sign-off.

        Raises:
            NotFound: no such run.

        """
        from close.storage.artifacts import UNSIGNED, current_edition, package_bytes

        with self._reading(run_id) as conn:
            run = get_run(conn, run_id)
            if run is None:
                raise NotFound(f"no run {run_id}")
            edition = UNSIGNED if unsigned else current_edition(conn, run_id)
            return package_bytes(conn, run, edition), edition

    def rates(self, period: Period) -> list[dict[str, Any]]:
        """Return the period's stored rates with their source and method (provenance)."""
        from close.rates.store import rates_table_rows

        self._allow(Action.READ, target=f"rates {period}")
        return list(rates_table_rows(self.env.db, period))

    def intercompany_report(self, config_path: str | Path, period: Period) -> list[dict[str, Any]]:
        """Return the intercompany matching of a period, pair by pair."""
        from close.run.ic_report import intercompany_report

        self._allow(Action.READ, target=f"ic {period}")
        frame = intercompany_report(self.env, Path(config_path), period)
        return frame.to_dict(orient="records")

    # -- views for the REST API, the web page and the MCP server ---------------------------------

    def page_runs(self, *, group_id: str | None = None, period: Period | None = None,
                  status: str | None = None, limit: int = 50,
                  after: RunId | None = None) -> tuple[list[RunView], int]:
        """Return one page of runs, newest first, and the number of runs that match the filters.

        ``after`` is the id of the previous page's last run (keyset pagination).
        """
        from close.storage.run_views import page_runs

        with self._reading("runs") as conn:
            runs, total = page_runs(conn, group_id=group_id, period=period, status=status, limit=limit,
                                    after=after)
        return [_view(r, set(), None) for r in runs], total

    def stages(self, run_id: RunId) -> list[dict[str, Any]]:
        """Return the run's stage checkpoints with their start and finish times."""
        from close.storage.run_views import stage_rows

        with self._reading(run_id) as conn:
            return stage_rows(conn, run_id)

    def events(self, run_id: RunId) -> list[dict[str, Any]]:
        """Return the run's audit trail, oldest first (roles that may read the audit trail)."""
        with self._reading(run_id, Action.READ_AUDIT) as conn:
            return events(conn, run_id)

    def variances(self, run_id: RunId, account: str | None = None) -> list[dict[str, Any]]:
        """Return the run's material variances with their drivers, commentary and light."""
        from close.storage.run_views import variance_rows

        with self._reading(run_id) as conn:
            return variance_rows(conn, run_id, account=account)

    def kpis(self, run_id: RunId) -> list[dict[str, Any]]:
        """Return the run's KPIs."""
        from close.storage.run_views import kpi_rows

        with self._reading(run_id) as conn:
            return kpi_rows(conn, run_id)

    def package_files(self, run_id: RunId) -> list[dict[str, Any]]:
        """Return the run's package files (name, content type, sha256, size)."""
        from close.storage.run_views import artifact_rows

        with self._reading(run_id) as conn:
            return artifact_rows(conn, run_id)

    def package_file(self, run_id: RunId, name: str) -> tuple[bytes, str, str]:
        """Return one package file as ``(bytes, content type, sha256)``.

        Raises:
            NotFound: no such file in the run's package.

        """
        from close.storage.run_views import artifact_content

        with self._reading(f"{run_id} {name}") as conn:
            found = artifact_content(conn, run_id, name)
        if found is None:
            raise NotFound(f"run {run_id} has no package file {name!r}")
        return found

    def checklist(self, group_id: str, period: Period) -> list[dict[str, Any]]:
        """Return a period's checklist tasks (owner, due day, gate, who did them), overdue flagged."""
        from close.run.workflow.checklist import overdue
        from close.storage.workflow import list_tasks

        with self._reading(f"{group_id}/{period}/tasks") as conn:
            tasks = list_tasks(conn, group_id, period)
        late = {t.task_id for t in overdue(tasks, datetime.now(UTC).date())}
        return [{**{k: getattr(t, k) for k in t.__slots__}, "overdue": t.task_id in late}
                for t in tasks]

    def metrics_text(self) -> tuple[bytes, str]:
        """Return the Prometheus exposition of the tenant's close and its content type.

        The same figures ``close metrics`` and ``close worker --metrics-port`` serve
        (``close.run.workflow.metrics``), for the web service's ``/metrics``.
        """
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        from close.run.workflow.metrics import registry_for

        self._allow(Action.READ, target="metrics")
        return generate_latest(registry_for(self.env.db)), CONTENT_TYPE_LATEST

    def calendar(self) -> dict[str, Any]:
        """Return the newest run of every (group, month) and the locked months: the close calendar."""
        from close.storage.run_views import latest_by_month, locked_periods

        with self._reading("calendar") as conn:
            runs, locks = latest_by_month(conn), locked_periods(conn)
        return {"runs": [_view(r, set(), None) for r in runs], "locked": sorted(locks)}

    # -- following a run from a terminal (the caller authorized the command that started it) --------

    def start_in_background(self, run_id: RunId) -> threading.Thread | None:
        """Hand the run to the canvas: to the broker in distributed mode, else to a thread returned."""
        if self.env.settings.broker_url:
            self._start(run_id)
            return None
        thread = threading.Thread(target=self._run_quietly, args=(run_id,), name=f"run-{run_id[:8]}",
                                  daemon=True)
        thread.start()
        return thread

    def poll(self, run_id: RunId) -> tuple[Run, set[tuple[str, str]]]:
        """Return the run and its (stage, entity) checkpoints done, riding out a lost database.

        Not written to the access log: a follower polls several times a second.

        Raises:
            NotFound: no such run.

        """
        from close.run.transient import patience, retry_database

        def read() -> tuple[Run | None, set[tuple[str, str]]]:
            with self.env.db.tx() as conn:
                return get_run(conn, run_id), done_stages(conn, run_id)

        run, done = retry_database(read, seconds=patience(self.env.settings.db_retry_seconds),
                                   what="following the run")
        if run is None:
            raise NotFound(f"no run {run_id}")
        return run, done

    def reap_stranded(self, *, group_id: str | None = None, run_id: RunId | None = None,
                      patient: bool = False) -> list[Run]:
        """Fail the runs (of a group, or one run) nobody works on any more (lease expired); return them.

        ``patient``: ride out a lost database as a follower does.
        """
        from close.run.lifecycle import reap_stranded
        from close.run.transient import patience, retry_database

        if not patient:
            return reap_stranded(self.env, group_id=group_id, run_id=run_id)
        return retry_database(lambda: reap_stranded(self.env, group_id=group_id, run_id=run_id),
                              seconds=patience(self.env.settings.db_retry_seconds), what="following the run")

    def entity_ids(self, run_id: RunId) -> list[str]:
        """Return the ids of the entities in the config the run closes."""
        from close.run.inputs import load_config

        with self.env.db.tx() as conn:
            return [e.id for e in load_config(conn, run_id).entities]

    def package_path(self, run_id: RunId) -> str | None:
        """Return the path of the board package the run's events name, if any."""
        with self.env.db.tx() as conn:
            return package_path_of(events(conn, run_id))

    def period_runs(self, group_id: str, period: Period) -> tuple[Run | None, Run | None]:
        """Return the period's effective (completed, not superseded) run and its active run."""
        from close.storage.runs import active_run, effective_run

        with self.env.db.tx() as conn:
            return effective_run(conn, group_id, period), active_run(conn, group_id, period)

    def status(self, *, run_id: RunId | None = None, group_id: str | None = None) -> StatusReport:
        """Return recent runs (or one run with its stages), after failing runs nobody works on.

        Raises:
            NotFound: no such run.

        """
        from close.run.staleness import stale_runs
        from close.run.workflow.durations import progress

        self._allow(Action.READ, target=run_id or "runs")
        self.reap_stranded(group_id=group_id, run_id=run_id)
        with self.env.db.tx() as conn:
            if run_id:
                one = get_run(conn, run_id)
                if one is None:
                    raise NotFound(f"no run {run_id}")
                runs = [one]
                stages = sorted(done_stages(conn, run_id))
                # Staleness compares the run with the group's other periods, so it needs them too.
                group_runs = find_runs(conn, group_id=one.group_id, limit=200)
            else:
                runs = group_runs = find_runs(conn, group_id=group_id, limit=200)
                stages = []
        with self.env.db.tx() as conn:
            stale = {s.run_id: s.reason for s in stale_runs(conn, [r.group_id for r in group_runs])}
            timing = {r.id: progress(conn, r) for r in runs if r.status in STAGE_ORDER}
        return StatusReport(runs=runs, stages_done=stages, stale=stale, progress=timing)

    def stale_periods(self, group_id: str) -> list[StaleRun]:
        """Return the group's stale effective runs, oldest period first, each with why."""
        from close.run.staleness import stale_runs

        self._allow(Action.READ, target=group_id)
        with self.env.db.tx() as conn:
            return stale_runs(conn, [group_id])

    def rerun_stale(self, config_path: str | Path) -> list[RunView]:
        """Re-close the group's stale periods in order, each as a re-run of its effective run.

        Each re-run is followed until it settles; the next stale period is then looked up again (a
        re-close that reproduces the old closing leaves the later periods as they are). The loop
        stops at the first re-run that does not complete.

        Returns:
            The re-runs, in order (none when nothing is stale).

        Raises:
            ConfigError: a bad config. RunConflict: a stale period is locked or has an active run.

        """
        from close.config import load_group_config

        group_id = load_group_config(Path(config_path)).id
        done: list[RunView] = []
        while stale := self.stale_periods(group_id):
            if any(v.period == stale[0].period for v in done):
                raise CloseError(f"{group_id} {stale[0].period} is still stale after its re-run "
                                 f"{done[-1].id}: {stale[0].reason}")
            done.append(self.start_close(config_path, stale[0].period, rerun=True))
            if done[-1].status != RunStatus.COMPLETED:
                break
        return done

    # -- the month's checklist, alerts, users, receivables, the audit trail ------------------------

    def complete_task(self, group_id: str, period: Period, task_id: str, *, note: str = "",
                      evidence: tuple[str, bytes] | None = None) -> list[RunId]:
        """Mark a checklist task done (with an evidence file kept with its sha256).

        Returns:
            The period's latest run, if any (its gate may now open: :meth:`release_gate`).

        Raises:
            ConfigError: no such task, a task it depends on is not done, or it is done already.

        """
        from close.run.state import append_event
        from close.run.workflow.checklist import missing_dependencies
        from close.storage.runs import sha256
        from close.storage.workflow import list_tasks, set_task_done

        proof = (evidence[0], sha256(evidence[1]), evidence[1]) if evidence else None
        actor = self.env.actor
        with self.env.db.tx() as conn:
            tasks = list_tasks(conn, group_id, period)
            found = next((t for t in tasks if t.task_id == task_id), None)
            if found is None:
                raise ConfigError(f"no task {task_id!r} for {group_id} {period}", key="TASK",
                                  expected=", ".join(t.task_id for t in tasks) or "a task of the checklist")
            runs = find_runs(conn, group_id=group_id, period=period, limit=1)
            stages = {s for s, e in done_stages(conn, runs[0].id) if e == ""} if runs else set()
            waiting_for = missing_dependencies(found, tasks, stages)
            if waiting_for:
                raise ConfigError(f"task {task_id} depends on what is not done yet: {', '.join(waiting_for)}",
                                  key="TASK")
            if not set_task_done(conn, group_id, period, task_id, actor=actor, note=note, evidence=proof):
                raise ConfigError(f"task {task_id} is already done", key="TASK")
            if runs:
                append_event(conn, runs[0].id, "task_done", f"task {task_id} done by {actor}" + (
                    f": {note}" if note else ""), actor=actor,
                    detail={"task": task_id, "evidence": proof[0] if proof else None,
                            "evidence_sha256": proof[1] if proof else None})
        return [r.id for r in runs]

    def release_gate(self, run_id: RunId) -> bool:
        """Open the run's checklist gate if its tasks are done; True when the run may continue."""
        from close.run.workflow.alerts import release_gate

        return release_gate(self.env, run_id)

    def reopen_task(self, group_id: str, period: Period, task_id: str, reason: str) -> None:
        """Reopen a done task (its evidence is cleared), with the reason on the period's latest run.

        Raises:
            ConfigError: the task is not done.

        """
        from close.run.state import append_event
        from close.storage.workflow import reopen_task

        with self.env.db.tx() as conn:
            if not reopen_task(conn, group_id, period, task_id):
                raise ConfigError(f"task {task_id} of {group_id} {period} is not done", key="TASK")
            runs = find_runs(conn, group_id=group_id, period=period, limit=1)
            if runs:
                append_event(conn, runs[0].id, "task_reopened", f"task {task_id} reopened: {reason}",
                             actor=self.env.actor, detail={"task": task_id, "reason": reason})

    def tick(self) -> TickReport:
        """Open gates whose tasks are done (starting those runs), raise alerts and send pending ones."""
        from close.run.workflow.alerts import tick

        report = tick(self.env)
        for run_id in report.released:
            self._start(run_id)
        return report

    # -- what the workers do: the broker's messages carry only ids, so no permission is asked --------

    def tick_schedule(self, config_path: str | Path, now: datetime | None = None) -> list[RunId]:
        """Handle a tick of a group's schedule: fail stranded runs, create the due runs once, start them.

        Returns:
            The runs this tick created (none when another delivery of the same tick did).

        Raises:
            ConfigError: a bad config. BrokerUnreachable: a run could not be handed to the broker.

        """
        from close.run.lifecycle import reap_stranded
        from close.run.schedule import due_runs

        reap_stranded(self.env)
        created = due_runs(self.env, Path(config_path), now or datetime.now(UTC))
        for run in created:
            self._start(run.id)
        return [run.id for run in created]

    def run_stage(self, run_id: RunId, stage: RunStatus, entity_id: str | None = None, *, attempt: int = 1,
                  task_id: str | None = None, time_limit: float | None = None) -> None:
        """Run one stage (one entity's extract) of a run: what a stage task does (close.run.stages).

        Raises:
            UnknownRun: no such run for this tenant. RunStopped: the run is not at this stage.
            RetriableError: worth retrying. PermanentError: the run is FAILED already.

        """
        from close.run.stages import run_stage

        run_stage(self.env, run_id, stage, entity_id, attempt=attempt, task_id=task_id, time_limit=time_limit)

    def record_retry(self, run_id: RunId, stage: RunStatus, entity_id: str | None, *, attempt: int,
                     of: int, error: BaseException) -> None:
        """Record in the run's audit trail that a stage is tried again (attempt ``attempt`` of ``of``)."""
        from close.run.state import append_event

        with self.env.db.tx() as conn:
            append_event(conn, run_id, "retry", f"{stage} retry {attempt} of {of}: {error}",
                         actor=self.env.actor, stage=stage.value, entity_id=entity_id,
                         detail={"attempt": attempt, "error": type(error).__name__})

    def fail_stage(self, run_id: RunId, stage: RunStatus, entity_id: str | None, reason: str) -> None:
        """Mark the run FAILED at a stage with the reason and the resume command, and alert.

        A lost database is waited for (longer than a stage's own budget), then left to the reaper.
        """
        from close.run.failures import mark_failed
        from close.run.transient import patience

        settings = self.env.settings
        mark_failed(self.env.db, run_id, stage, entity_id, reason, actor=self.env.actor, settings=settings,
                    retry_seconds=patience(settings.db_retry_seconds))

    def add_user(self, name: str, role: str) -> str:
        """Create a user and return their API token, shown once (only its argon2 hash is stored)."""
        from close.users import add_user

        self._allow(Action.MANAGE_USERS, target=f"add {name}")
        return add_user(self.env.db, name, role, created_by=self.env.actor)

    def list_users(self) -> list[UserRow]:
        """Return the tenant's users and roles (never a token)."""
        from close.storage.users import list_users

        self._allow(Action.MANAGE_USERS, target="list")
        with self.env.db.tx() as conn:
            return list_users(conn)

    def disable_user(self, name: str) -> None:
        """Disable a user: their token stops working at once.

        Raises:
            ConfigError: no active user of that name.

        """
        from close.storage.users import disable_user

        self._allow(Action.MANAGE_USERS, target=f"disable {name}")
        with self.env.db.tx() as conn:
            done = disable_user(conn, name)
        if not done:
            raise ConfigError(f"no active user {name!r}", key="NAME")

    def collection_drafts(self, run_id: RunId) -> tuple[StoredDraft, ...]:
        """Return a run's collection drafts with their status and who approved them."""
        from close.storage.receivables import list_drafts

        with self.env.db.tx() as conn:
            return list_drafts(conn, run_id)

    def approve_collection_draft(self, draft_id: str) -> StoredDraft:
        """Approve one collection draft (an id or its first characters); return it. Nothing is sent.

        Raises:
            ConfigError: no such draft, or it is approved already.

        """
        from close.storage.receivables import approve_draft, get_draft

        with self.env.db.tx() as conn:
            found = get_draft(conn, draft_id)
            if found is None:
                raise ConfigError(f"no draft {draft_id!r}", key="DRAFT",
                                  expected="an id from close ar drafts RUN")
            if not approve_draft(conn, found.id, self.env.actor):
                raise ConfigError(f"draft {found.id[:8]} is already approved", key="DRAFT")
        return found

    def verify_audit_trail(self) -> ChainCheck:
        """Recompute the tenant's event hash chain; the result names the first broken event."""
        from close.storage.audit import verify_chain

        with self.env.db.tx() as conn:
            return verify_chain(conn)

    # -- rates, the intercompany report and metrics around a close -----------------------------------

    def fetch_rates(self, config_path: str | Path, period: Period, *,
                    refresh: bool = False) -> tuple[StoredRates, list[dict[str, Any]]]:
        """Fetch (once) and store the period's closing, average and historical rates.

        Returns:
            What was stored (rates, fetched now, file fallbacks) and the period's rates table.

        """
        import pandas as pd

        from close.config import load_group_config
        from close.rates.files import parse_rates_file
        from close.rates.store import fetch_and_store_rates, rates_table_rows
        from close.run.stages.rates import rate_needs, rate_service

        config = Path(config_path)
        group = load_group_config(config)
        rows = ()
        if group.files.rates:
            rows = parse_rates_file((config.resolve().parent / group.files.rates).read_bytes(),
                                    name=group.files.rates,
                                    presentation_currency=group.presentation_currency,
                                    retrieved_at=pd.Timestamp.now(tz="UTC").to_pydatetime())
        with rate_service(self.env.settings, group) as service:
            stored = fetch_and_store_rates(self.env.db, period, rate_needs(group, period), service,
                                           file_rates=rows, refresh=refresh, group_id=group.id,
                                           move_threshold=group.validation.rate_move_threshold)
        table = rates_table_rows(self.env.db, period, presentation_currency=group.presentation_currency,
                                 group_id=group.id)
        return stored, list(table)

    def intercompany_in_units(self, config_path: str | Path, period: Period) -> pd.DataFrame:
        """Return the intercompany matching of a period as a frame, each amount in units of its currency."""
        import pandas as pd

        from close.config import load_group_config
        from close.run.ic_report import intercompany_report
        from close.run.summary import fact_in_units

        self._allow(Action.READ, target=f"ic {period}")
        pairs = intercompany_report(self.env, Path(config_path), period)
        group = load_group_config(Path(config_path))
        currencies = {e.id: e.currency for e in group.entities}
        # The frame holds minor units; a controller reads units (each local amount in its side's currency).
        return pd.DataFrame([fact_in_units("ic_pair", row, group.presentation_currency, currencies)
                             for row in pairs.to_dict("records")], columns=pairs.columns)

    def serve_metrics(self, port: int, addr: str = "127.0.0.1") -> None:
        """Serve the tenant's Prometheus metrics on ``addr:port`` from a background thread."""
        from close.run.workflow.metrics import serve_metrics

        serve_metrics(self.env.db, port, addr=addr)


@dataclass(frozen=True, slots=True)
class StatusReport:
    """What ``close status`` shows: runs, the one run's stages done, stale runs and stage timings."""

    runs: list[Run]
    stages_done: list[tuple[str, str]]
    stale: dict[RunId, str]  # the stale effective runs, each with why (close.run.staleness)
    progress: dict[RunId, Progress | None]


def celery_app(environ: Mapping[str, str] = os.environ) -> Celery:
    """Return the Celery app ``workers`` registers the stage tasks on, configured.

    Configured from ``environ`` (a worker process) unless a session of this process configured it
    (:meth:`CloseSession.install`). The app, its queues and limits are the run layer's
    (``close.run.broker``).
    """
    from close.run.broker import configured_app

    return configured_app(environ)


def group_schedule(config_path: str | Path) -> tuple[str, crontab]:
    """Return a group's id and the cron (UTC) its schedule fires on: a beat entry.

    Raises:
        ConfigError: a bad config, or a ``schedule`` that is not five cron fields.

    """
    from close.config import load_group_config
    from close.run.schedule import parse_cron

    config = load_group_config(Path(config_path))
    return config.id, parse_cron(config.schedule, source=str(config_path))


def print_summary(console: Any, summary: dict[str, Any]) -> None:  # noqa: ANN401 - a rich Console
    """Print a run summary (:meth:`CloseSession.run_summary`) as tables on a terminal."""
    from close.run.summary import print_summary as render

    render(console, summary)


def upgrade_database(settings: Settings) -> list[str]:
    """Apply pending migrations as the owner (CLOSE_MIGRATE_URL; the embedded server's owner by default).

    Raises:
        ConfigError: DATABASE_URL is set without CLOSE_MIGRATE_URL.

    """
    import sqlalchemy as sa

    from close.storage.engine import embedded_urls, normalize_url
    from close.storage.migrate import upgrade

    if settings.database_url and not settings.migrate_url:
        raise ConfigError("not set", key="CLOSE_MIGRATE_URL",
                          expected="the owner's URL (DATABASE_URL is the application's login)")
    owner_url = settings.migrate_url or embedded_urls(settings.home)[1]
    return upgrade(sa.create_engine(normalize_url(owner_url, key="CLOSE_MIGRATE_URL")))


def database_error_reason(exc: DatabaseError) -> str:
    """One sentence for a database error (:class:`DatabaseError`): the driver's message, never the SQL."""
    from close.run.transient import short_reason

    return short_reason(exc)
