"""The REST API (``/api/v1``): runs, review, sign-off, locks, figures and the board package.

Every route authenticates a bearer token (``close users add`` prints one) and calls
:class:`close.api.CloseSession` as that user, so role checks, segregation of duties and the access
log are the same as at every other door. Errors are RFC 9457 problem details.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, UploadFile
from fastapi import Path as PathParam
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from close.api import CloseSession, RunView
from close.errors import ConfigError
from close.users import NotAuthenticated, authenticate
from close.web.problems import PROBLEM_RESPONSES

PERIOD = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
Period = Annotated[str, Field(pattern=PERIOD, examples=["2025-10"])]
PeriodPath = Annotated[str, PathParam(pattern=PERIOD)]
GroupPath = Annotated[str, PathParam(max_length=200)]
Reason = Annotated[str, Field(min_length=1, max_length=2000)]

bearer = HTTPBearer(auto_error=False, description="An API token from `close users add`.")
router = APIRouter(prefix="/api/v1", responses=PROBLEM_RESPONSES)


def plain(value: Any) -> Any:  # noqa: ANN401
    """Return JSON-ready data: Decimals as exact strings, times as ISO 8601 (never floats)."""
    return json.loads(json.dumps(value, default=str))


def as_user(request: Request,
            credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> CloseSession:
    """Return the close session acting as the bearer token's user.

    Raises:
        NotAuthenticated: no token, a wrong one, or a disabled user (401).

    """
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise NotAuthenticated("a bearer token is required", key="Authorization")
    base: CloseSession = request.app.state.session
    principal = authenticate(base.env.db, credentials.credentials, door="api")
    if not request.app.state.api_limiter.hit(principal.name):
        raise HTTPException(429, "Too Many Requests", headers={"Retry-After": "60"})
    request.state.user = principal.name
    return base.as_user(principal)


Session = Annotated[CloseSession, Depends(as_user)]


class RunOut(BaseModel):
    """A run as the API shows it."""

    id: str
    group_id: str
    period: str
    status: str
    created_by: str
    failed_stage: str | None
    failed_entity: str | None
    failure_reason: str | None
    validation_score: str | None
    superseded_by: str | None
    signed_off_by: str | None
    stages_done: list[list[str]]
    package_path: str | None
    resume_command: str | None = None
    schema_version: int


def run_out(view: RunView) -> RunOut:
    """Return the API shape of a run."""
    return RunOut(**view.to_json(), resume_command=view.resume_command)


class RunPage(BaseModel):
    """One page of runs, newest first."""

    items: list[RunOut]
    total: int = Field(description="How many runs match the filters in all.")
    limit: int
    next_after: str | None = Field(description="Pass as `after` for the next page; null on the last page.")


class RunDetail(BaseModel):
    """A run with its stage checkpoints (times and durations)."""

    run: RunOut
    stages: list[dict[str, Any]]


class StartClose(BaseModel):
    """Start the close of a group (one of the server's ``CLOSE_CONFIGS``) for a period."""

    group: str = Field(min_length=1, max_length=200)
    period: Period
    rerun: bool = Field(default=False, description=(
        "The period already has a completed run: start one that supersedes it when it completes "
        "(else 409)."))


class WithReason(BaseModel):
    """A decision with its reason (kept in the audit trail)."""

    reason: Reason


class Approval(BaseModel):
    """Approve a run in review, waiving findings by code, each with its reason."""

    reason: Reason
    waivers: dict[str, Reason] = Field(default_factory=dict)


class SignOff(BaseModel):
    """Sign off a completed run."""

    note: str = Field(default="", max_length=2000)


class LockRequest(BaseModel):
    """Lock or unlock a period."""

    reason: str = Field(default="", max_length=2000)


@router.get("/groups", summary="The groups this server may close")
def list_groups(request: Request, session: Session) -> list[dict[str, Any]]:
    """Return the groups of ``CLOSE_CONFIGS``."""
    session.calendar()  # the read check and its access-log row
    return [{"id": g.id, "name": g.name, "presentation_currency": g.presentation_currency,
             "entities": [e.id for e in g.entities]} for _, g in request.app.state.groups.values()]


@router.get("/runs", response_model=RunPage, summary="List runs, newest first")
def list_runs(session: Session, group: Annotated[str | None, Query(max_length=200)] = None,
              period: Annotated[str | None, Query(pattern=PERIOD)] = None,
              status: Annotated[str | None, Query(max_length=40)] = None,
              limit: Annotated[int, Query(ge=1, le=200)] = 50,
              after: Annotated[UUID | None, Query(description="The previous page's `next_after`.")] = None,
              ) -> Response:
    """Return one page of runs filtered by group, period and status (keyset pagination)."""
    views, total = session.page_runs(group_id=group, period=period, status=status, limit=limit,
                                     after=str(after) if after else None)
    items = [run_out(v) for v in views]
    page = RunPage(items=items, total=total, limit=limit,
                   next_after=items[-1].id if len(items) == limit else None)
    # Built and checked once above; the Response spares FastAPI a second validation of every row.
    return Response(page.model_dump_json(), media_type="application/json")


@router.post("/runs", response_model=RunOut, status_code=202, summary="Start a close")
def start_close(request: Request, body: StartClose, session: Session) -> RunOut:
    """Start the close of a configured group; the run goes on in the background (poll it)."""
    found = request.app.state.groups.get(body.group)
    if found is None:
        raise ConfigError(f"unknown group {body.group!r}", key="group",
                          expected=", ".join(sorted(request.app.state.groups)) or "a group of CLOSE_CONFIGS")
    return run_out(session.start_close(found[0], body.period, wait=False, detach=True, rerun=body.rerun))


@router.get("/runs/{run_id}", response_model=RunDetail, summary="One run with its stages")
def get_run(run_id: UUID, session: Session) -> RunDetail:
    """Return a run and its stage checkpoints."""
    view = session.get_run(str(run_id))
    return RunDetail(run=run_out(view), stages=plain(session.stages(str(run_id))))


@router.get("/runs/{run_id}/events", summary="The run's audit trail")
def get_events(run_id: UUID, session: Session) -> list[dict[str, Any]]:
    """Return every event of the run, oldest first (auditors, reviewers, approvers, preparers)."""
    session.get_run(str(run_id))
    return plain(session.events(str(run_id)))


@router.post("/runs/{run_id}/resume", response_model=RunOut, status_code=202, summary="Resume a failed run")
def resume(run_id: UUID, session: Session) -> RunOut:
    """Resume a FAILED run at the stage that failed."""
    return run_out(session.resume(str(run_id), wait=False, detach=True))


@router.post("/runs/{run_id}/cancel", response_model=RunOut, summary="Cancel an active run")
def cancel(run_id: UUID, body: WithReason, session: Session) -> RunOut:
    """Cancel an active run with a reason."""
    return run_out(session.cancel(str(run_id), body.reason))


@router.get("/runs/{run_id}/findings", summary="Validation findings with evidence")
def findings(run_id: UUID, session: Session) -> list[dict[str, Any]]:
    """Return the run's findings (expected, actual, difference, message, waiver)."""
    session.get_run(str(run_id))
    return plain(session.findings(str(run_id)))


@router.post("/runs/{run_id}/approve", response_model=RunOut, status_code=202, summary="Approve with waivers")
def approve(run_id: UUID, body: Approval, session: Session) -> RunOut:
    """Approve a run in review, waiving findings (never an integrity failure); it continues."""
    return run_out(session.approve(str(run_id), body.reason, body.waivers, wait=False, detach=True))


@router.post("/runs/{run_id}/reject", response_model=RunOut, summary="Reject a run in review")
def reject(run_id: UUID, body: WithReason, session: Session) -> RunOut:
    """Reject a run in review (it is CANCELLED)."""
    return run_out(session.reject(str(run_id), body.reason))


@router.post("/runs/{run_id}/signoff", response_model=RunOut, summary="Sign off a completed run")
def sign_off(run_id: UUID, body: SignOff, session: Session) -> RunOut:
    """Sign off a COMPLETED run (not by whoever prepared it)."""
    return run_out(session.sign_off(str(run_id), body.note))


@router.get("/runs/{run_id}/balances", summary="Consolidated balances, or one account's trace")
def balances(run_id: UUID, session: Session,
             account: Annotated[str | None, Query(max_length=40)] = None) -> dict[str, Any]:
    """Return the consolidated trial balance and headline totals; with ``account``, its drill-down."""
    summary = session.run_summary(str(run_id), account=account)
    keep = ("presentation_currency", "consolidated", "totals", "trace")
    return plain({k: summary[k] for k in keep if k in summary})


@router.get("/runs/{run_id}/intercompany", summary="The run's intercompany pairs: both sides and differences")
def intercompany(run_id: UUID, session: Session) -> list[dict[str, Any]]:
    """Return the intercompany matching the run consolidated with (eliminated, plugged or mismatched)."""
    return plain(session.run_summary(str(run_id))["ic_pairs"])


@router.get("/runs/{run_id}/variances", summary="Material variances with drivers and commentary")
def variances(run_id: UUID, session: Session,
              account: Annotated[str | None, Query(max_length=40)] = None) -> list[dict[str, Any]]:
    """Return the material variances of the run."""
    session.get_run(str(run_id))
    return plain(session.variances(str(run_id), account))


@router.get("/runs/{run_id}/kpis", summary="KPIs")
def kpis(run_id: UUID, session: Session) -> list[dict[str, Any]]:
    """Return the run's KPIs."""
    session.get_run(str(run_id))
    return plain(session.kpis(str(run_id)))


_ZIP = {200: {"content": {"application/zip": {}}, "description": "The zip; ETag is its sha256"},
        304: {"description": "Not modified"}}


@router.get("/runs/{run_id}/package", response_class=Response, responses=_ZIP, summary="The board package")
def package(run_id: UUID, request: Request, session: Session) -> Response:
    """Return the board package zip; its ETag is the zip's sha256."""
    data = session.package_bytes(str(run_id))
    etag = f'"{hashlib.sha256(data).hexdigest()}"'
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers={"ETag": etag})
    return Response(data, media_type="application/zip", headers={
        "ETag": etag, "Content-Disposition": f'attachment; filename="board-package-{run_id}.zip"'})


@router.get("/runs/{run_id}/package/files", summary="The package's files")
def package_files(run_id: UUID, session: Session) -> list[dict[str, Any]]:
    """Return the name, type, sha256 and size of each package file."""
    session.get_run(str(run_id))
    return plain(session.package_files(str(run_id)))


_FILE = {200: {"content": {"application/octet-stream": {}}, "description": "The file; ETag is its sha256"}}


@router.get("/runs/{run_id}/package/files/{name}", response_class=Response, responses=_FILE,
            summary="One package file")
def package_file(run_id: UUID, name: Annotated[str, PathParam(max_length=200)], session: Session) -> Response:
    """Return one package file; its ETag is its sha256."""
    data, content_type, digest = session.package_file(str(run_id), name)
    return Response(data, media_type=content_type, headers={
        "ETag": f'"{digest}"', "Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/groups/{group}/periods/{period}/lock", response_model=RunOut, summary="Lock a period")
def lock(group: GroupPath, period: PeriodPath, body: LockRequest,
         session: Session) -> RunOut:
    """Lock a period whose effective run is signed off."""
    return run_out(session.lock(group, period, body.reason))


@router.post("/groups/{group}/periods/{period}/unlock", status_code=204, response_class=Response,
             summary="Unlock a period")
def unlock(group: GroupPath, period: PeriodPath, body: WithReason,
           session: Session) -> Response:
    """Unlock a period with a reason."""
    session.unlock(group, period, body.reason)
    return Response(status_code=204)


class TaskOut(BaseModel):
    """A checklist task of a period (the group config's ``[[checklist]]``)."""

    task_id: str
    title: str
    owner: str
    due_on: str
    depends_on: list[str]
    gate: str | None
    status: str
    done_by: str | None
    done_at: str | None
    note: str | None
    evidence_name: str | None
    evidence_sha256: str | None
    overdue: bool


@router.get("/groups/{group}/periods/{period}/tasks", response_model=list[TaskOut],
            summary="The period's checklist: owners, due days, gates, who did them, overdue flagged")
def tasks(group: GroupPath, period: PeriodPath, session: Session) -> list[TaskOut]:
    """Return the period's checklist tasks (empty when the group has no checklist or no run yet)."""
    return [TaskOut.model_validate(plain(t)) for t in session.checklist(group, period)]


@router.get("/metrics", include_in_schema=False)
def metrics(session: Session) -> Response:
    """Prometheus metrics (runs by status, stage durations, retries, ERP calls, Claude usage).

    Behind a bearer token like the rest of the API: Prometheus sends it with
    ``authorization: {credentials: <token>}`` in its scrape config.
    """
    body, content_type = session.metrics_text()
    return Response(body, media_type=content_type)


@router.get("/calendar", summary="The close calendar: each group's months by status")
def calendar(session: Session) -> dict[str, Any]:
    """Return the newest run of every (group, month), and the locked months."""
    cal = session.calendar()
    return {"runs": [run_out(v).model_dump() for v in cal["runs"]],
            "locked": [{"group": g, "period": p} for g, p in cal["locked"]]}


@router.post("/runs/{run_id}/adjust", response_model=RunOut, status_code=202,
             summary="Add a top-side journal (CSV); a child run re-consolidates with it")
def adjust(run_id: UUID, journal: UploadFile, session: Session) -> RunOut:
    """Cancel the run (adjusted) and start its child from CONSOLIDATING with the uploaded journal."""
    name = Path(journal.filename or "journal.csv").name
    if not name.endswith(".csv") or name.startswith("."):
        raise ConfigError(f"got {name!r}", key="journal", expected="a .csv journal file")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(journal.file.read())
        return run_out(session.adjust(str(run_id), path, wait=False, detach=True))


@router.get("/rates/{period}", summary="Rates with provenance")
def rates(period: PeriodPath, session: Session) -> list[dict[str, Any]]:
    """Return the period's stored rates with their source and method."""
    return plain(session.rates(period))
