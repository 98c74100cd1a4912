"""The one Python door into the close: what a user does, as typed functions.

The CLI, the workers, and any web service or assistant built on top call this module rather than
assembling settings, database, stage environment, run creation and polling by hand::

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
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Connection

from close.config import Settings
from close.engine.types import Period, RunId
from close.errors import CloseError, NotFound
from close.run.stages import StageEnv
from close.run.state import AWAITING_PEOPLE, TERMINAL_STATUSES, RunStatus
from close.storage import open_database
from close.storage.runs import Run, done_stages, events, find_runs, get_run
from close.users import Action, Principal, authorize, operator, reading

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
    @contextmanager
    def open(cls, settings: Settings | None = None,
             principal: Principal | None = None) -> Iterator[CloseSession]:
        """Open a session from ``settings`` (default: from the environment) and close it after.

        Raises:
            ConfigError: a malformed setting, naming the variable.

        """
        from workers.app import configure
        from workers.runtime import set_env

        settings = settings or Settings.from_environ(os.environ)
        configure(settings)
        env = StageEnv(db=open_database(settings), settings=settings, actor=settings.actor)
        set_env(env)
        try:
            yield cls(env, principal)
        finally:
            env.db.dispose()

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
        from workers.canvas import start_run

        if detach and not self.env.settings.broker_url:
            # In-process, a server must answer now: the canvas runs in a thread of this process.
            threading.Thread(target=self._run_quietly, args=(run_id,), name=f"run-{run_id[:8]}",
                             daemon=True).start()
            return self._fetch(run_id)
        try:
            start_run(self.env, run_id)  # in-process this runs the whole canvas before returning
        except CloseError:
            if self.env.settings.broker_url:
                raise  # not enqueued: nothing will move the run
            # In-process the failing stage has recorded FAILED with its reason on the run.
        return self.wait(run_id) if wait else self._fetch(run_id)

    def _run_quietly(self, run_id: RunId) -> None:
        from workers.canvas import start_run

        try:
            start_run(self.env, run_id)
        except CloseError:
            pass  # the failing stage recorded FAILED with its reason on the run

    def start_close(self, config_path: str | Path, period: Period, *, wait: bool = True,
                    detach: bool = False, rerun: bool = False) -> RunView:
        """Start the close of a group for a period (``detach``: return at once, even in-process).

        ``rerun``: the period has a completed run and the new one is to supersede it when it completes
        (its ``parent_run_id`` names the run it supersedes).

        Raises:
            ConfigError: a bad config or period. RunConflict: an active run exists, or a completed
            run exists and ``rerun`` is False.

        """
        from close.run.lifecycle import create_close_run

        self._allow(Action.START, target=f"{config_path} {period}")
        run = create_close_run(self.env, Path(config_path), period, rerun=rerun)
        return self._carry_on(run.id, wait=wait, detach=detach)

    def resume(self, run_id: RunId, *, wait: bool = True, detach: bool = False) -> RunView:
        """Resume a FAILED run at the stage that failed, re-reading the failed inputs."""
        from close.run.lifecycle import resume_run

        self._allow(Action.RESUME, run_id)
        return self._carry_on(resume_run(self.env, run_id).id, wait=wait, detach=detach)

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

    def approve(self, run_id: RunId, reason: str, waivers: Mapping[str, str] | None = None, *,
                wait: bool = True, detach: bool = False) -> RunView:
        """Approve a run in review (waiving findings with reasons) and continue it."""
        from close.run.review import approve

        self._allow(Action.APPROVE, run_id)
        approved = approve(self.env, run_id, reason, waivers or {}, role=self.principal.role)
        return self._carry_on(approved.id, wait=wait, detach=detach)

    def reject(self, run_id: RunId, reason: str) -> RunView:
        """Reject a run in review; it is CANCELLED."""
        from close.run.review import reject

        self._allow(Action.REJECT, run_id)
        return self._fetch(reject(self.env, run_id, reason).id)

    def sign_off(self, run_id: RunId, note: str = "") -> RunView:
        """Sign off a COMPLETED run; its package is rendered again as the signed edition."""
        from close.run.review import signoff

        self._allow(Action.SIGN_OFF, run_id)
        return self._fetch(signoff(self.env, run_id, note, role=self.principal.role).id)

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

    def adjust(self, run_id: RunId, journal: str | Path, *, wait: bool = True,
               detach: bool = False) -> RunView:
        """Add a top-side journal file to a run: a child run re-consolidates with it."""
        from close.run.review import adjust

        self._allow(Action.ADJUST, run_id)
        return self._carry_on(adjust(self.env, run_id, Path(journal)).id, wait=wait, detach=detach)

    # -- what a run produced ----------------------------------------------------------------------

    def package_bytes(self, run_id: RunId) -> bytes:
        """Return the run's board package (a zip with its manifest), from PostgreSQL.

        Once the run is signed off this is the signed edition (the unsigned one is kept).

        Raises:
            NotFound: no such run.

        """
        from close.storage.artifacts import current_edition, package_bytes

        with self._reading(run_id) as conn:
            run = get_run(conn, run_id)
            if run is None:
                raise NotFound(f"no run {run_id}")
            return package_bytes(conn, run, current_edition(conn, run_id))

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
