"""The web page: login, the close calendar, a run with live progress, review and downloads.

Server-rendered Jinja2 with a few lines of plain JS (``static/app.js`` polls the run's status).
The session cookie is signed, HttpOnly and SameSite=Strict (Secure behind TLS); every form carries
the session's CSRF token. Buttons appear only to whom :func:`close.users.refusal` allows, and
every action still goes through :class:`close.api.CloseSession`, which checks again.
"""

from __future__ import annotations

import hashlib
import secrets
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

from fastapi import FastAPI, Form, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.middleware.sessions import SessionMiddleware

from close.api import CloseSession
from close.errors import CloseError, ConfigError
from close.run.state import STAGE_ORDER
from close.users import Action, NotAuthenticated, Principal, active_principal, authenticate, refusal
from close.web.i18n import LANGUAGES, translator

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
CLASSES = {"asset": "Balance sheet", "liability": "Balance sheet", "equity": "Balance sheet",
           "revenue": "Income statement", "expense": "Income statement"}


class LoginRequired(Exception):  # a redirect to the login page, not an error
    """The page needs a signed-in user: redirect to the login page."""


def _principal(request: Request) -> Principal:
    user = request.session.get("user")
    if not user:
        raise LoginRequired
    base: CloseSession = request.app.state.session
    try:
        return active_principal(base.env.db, Principal(user["name"], user["role"], "web"))
    except NotAuthenticated:
        request.session.clear()
        raise LoginRequired from None


def _session(request: Request) -> tuple[CloseSession, Principal]:
    principal = _principal(request)
    return request.app.state.session.as_user(principal), principal


def _csrf(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


def _check_csrf(request: Request, given: str) -> None:
    if not secrets.compare_digest(given.encode(), _csrf(request).encode()):
        raise HTTPException(403, "Forbidden: the form's CSRF token does not match")


def _render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:  # noqa: ANN401
    lang = request.session.get("lang", "en-US")
    words = translator(lang)
    user = request.session.get("user")
    return templates.TemplateResponse(request, name, {
        "t": lambda text: words.get(text, text), "lang": lang, "languages": LANGUAGES, "user": user,
        "csrf": _csrf(request), **context}, status_code=status_code)


def _money(value: Any) -> str:  # noqa: ANN401
    return f"{Decimal(str(value)):,.2f}"


def _statements(consolidated: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {"Balance sheet": [], "Income statement": []}
    for row in consolidated:
        statement = CLASSES.get(row["class"])
        if statement:
            out[statement].append(row)
    return out


def install_pages(app: FastAPI, *, session_secret: str, secure_cookies: bool) -> None:
    """Add the pages, the static files and the session cookie to the app."""
    app.add_middleware(SessionMiddleware, secret_key=session_secret, session_cookie="close_session",
                       same_site="strict", https_only=secure_cookies, max_age=8 * 3600)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    templates.env.filters["money"] = _money

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse("/login", status_code=303)

    @app.get("/login", include_in_schema=False)
    def login_page(request: Request, lang: str | None = None) -> HTMLResponse:
        if lang in LANGUAGES:
            request.session["lang"] = lang
        return _render(request, "login.html")

    @app.post("/login", include_in_schema=False)
    def login(request: Request, user: str = Form(max_length=64), token: str = Form(max_length=200),
              csrf: str = Form(max_length=100)) -> Response:
        _check_csrf(request, csrf)
        client = request.client.host if request.client else "-"
        if not request.app.state.login_limiter.hit(client):
            return _render(request, "login.html", 429, error="Too many attempts; wait a minute.")
        try:
            principal = authenticate(request.app.state.session.env.db, token, door="web", name=user)
        except NotAuthenticated:
            return _render(request, "login.html", 401, error="Invalid user or token.")
        lang = request.session.get("lang", "en-US")
        request.session.clear()  # a new session id on login: no fixation
        request.session.update(user={"name": principal.name, "role": principal.role}, lang=lang,
                               csrf=secrets.token_urlsafe(32))
        return RedirectResponse("/", status_code=303)

    @app.post("/logout", include_in_schema=False)
    def logout(request: Request, csrf: str = Form(max_length=100)) -> Response:
        _check_csrf(request, csrf)
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    @app.get("/", include_in_schema=False)
    def calendar(request: Request) -> HTMLResponse:
        session, principal = _session(request)
        cal = session.calendar()
        groups = sorted({v.group_id for v in cal["runs"]} | set(request.app.state.groups))
        months = sorted({v.period for v in cal["runs"]}, reverse=True)[:12]
        cells = {(v.group_id, v.period): v for v in cal["runs"]}
        locked = {tuple(x) for x in cal["locked"]}
        return _render(request, "calendar.html", groups=groups, months=months, cells=cells, locked=locked,
                       can_start=principal.may(Action.START), configured=sorted(request.app.state.groups))

    @app.post("/runs", include_in_schema=False)
    def start(request: Request, group: str = Form(max_length=200), period: str = Form(max_length=7),
              csrf: str = Form(max_length=100)) -> Response:
        _check_csrf(request, csrf)
        session, _ = _session(request)
        found = request.app.state.groups.get(group)
        if found is None:
            raise HTTPException(422, f"unknown group {group!r}")
        view = session.start_close(found[0], period, wait=False, detach=True)
        return RedirectResponse(f"/runs/{view.id}", status_code=303)

    @app.get("/runs/{run_id}", include_in_schema=False)
    def run_page(request: Request, run_id: UUID) -> HTMLResponse:
        session, principal = _session(request)
        rid = str(run_id)
        view = session.get_run(rid)
        db = session.env.db
        allowed = {a.value: not refusal(db, principal, a, run_id=rid)
                   for a in (Action.APPROVE, Action.REJECT, Action.SIGN_OFF, Action.READ_AUDIT)}
        summary = session.run_summary(rid) if view.status.value in ("AWAITING_REVIEW", "COMPLETED") or \
            any(s == "CONSOLIDATING" for s, _ in view.stages_done) else None
        return _render(
            request, "run.html", run=view, stage_order=[s.value for s in STAGE_ORDER],
            findings=[f for f in session.findings(rid) if f["severity"] != "pass"],
            statements=_statements(summary["consolidated"]) if summary else {},
            currency=summary["presentation_currency"] if summary else "",
            variances=session.variances(rid) if summary else [],
            events=session.events(rid) if allowed["read_audit"] else [],
            files=session.package_files(rid), allowed=allowed,
            entities=[s for s in session.stages(rid) if s["entity_id"]])

    @app.get("/runs/{run_id}/status", include_in_schema=False)
    def run_status(request: Request, run_id: UUID) -> JSONResponse:
        session, _ = _session(request)
        view = session.get_run(str(run_id))
        return JSONResponse({"status": view.status.value, "stages_done": [list(s) for s in view.stages_done]})

    def _act(request: Request, run_id: UUID, csrf: str, act: Any) -> Response:  # noqa: ANN401
        _check_csrf(request, csrf)
        session, _ = _session(request)
        act(session, str(run_id))
        return RedirectResponse(f"/runs/{run_id}", status_code=303)

    @app.post("/runs/{run_id}/approve", include_in_schema=False)
    async def approve(request: Request, run_id: UUID) -> Response:
        form = await request.form()
        waivers = {str(k)[len("waive:"):]: str(v).strip() for k, v in form.items()
                   if str(k).startswith("waive:") and str(v).strip()}
        reason = str(form.get("reason", "")).strip()
        return await _threaded(_act, request, run_id, str(form.get("csrf", "")),
                               lambda s, r: s.approve(r, reason, waivers, wait=False, detach=True))

    @app.post("/runs/{run_id}/reject", include_in_schema=False)
    def reject(request: Request, run_id: UUID, reason: str = Form(max_length=2000),
               csrf: str = Form(max_length=100)) -> Response:
        return _act(request, run_id, csrf, lambda s, r: s.reject(r, reason))

    @app.post("/runs/{run_id}/signoff", include_in_schema=False)
    def signoff(request: Request, run_id: UUID, note: str = Form("", max_length=2000),
                csrf: str = Form(max_length=100)) -> Response:
        return _act(request, run_id, csrf, lambda s, r: s.sign_off(r, note))

    @app.get("/runs/{run_id}/package.zip", include_in_schema=False)
    def download(request: Request, run_id: UUID) -> Response:
        session, _ = _session(request)
        data = session.package_bytes(str(run_id))
        return Response(data, media_type="application/zip", headers={
            "ETag": f'"{hashlib.sha256(data).hexdigest()}"',
            "Content-Disposition": f'attachment; filename="board-package-{run_id}.zip"'})

    @app.get("/runs/{run_id}/files/{name}", include_in_schema=False)
    def download_file(request: Request, run_id: UUID, name: str) -> Response:
        session, _ = _session(request)
        data, content_type, digest = session.package_file(str(run_id), name)
        return Response(data, media_type=content_type, headers={
            "ETag": f'"{digest}"', "Content-Disposition": f'attachment; filename="{name}"'})

    @app.get("/tb-check", include_in_schema=False)
    def tb_check_page(request: Request) -> HTMLResponse:
        _session(request)
        return _render(request, "tb_check.html", entities=_entity_choices(request))

    @app.post("/tb-check", include_in_schema=False)
    async def tb_check(request: Request) -> HTMLResponse:
        form = await request.form()
        upload = form.get("file")
        data = await upload.read() if hasattr(upload, "read") else b""
        filename = getattr(upload, "filename", None) or "upload.csv"
        csrf, target = str(form.get("csrf", "")), str(form.get("entity", ""))
        return await _threaded(_check_tb, request, csrf, data, filename, target)

    @app.exception_handler(CloseError)
    async def page_error(request: Request, exc: CloseError) -> Response:
        from close.web.problems import problem, status_of

        status, title = status_of(exc)
        if request.url.path.startswith("/api/"):
            return problem(request, status, title, str(exc),
                           {"WWW-Authenticate": "Bearer"} if status == 401 else None)
        return _render(request, "error.html", status, title=title, detail=str(exc))


async def _threaded(fn: Any, *args: Any) -> Response:  # noqa: ANN401
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(fn, *args)


def _entity_choices(request: Request) -> list[tuple[str, str]]:
    """Return the entities of the server's groups as ``(group/entity, label)`` options."""
    return [(f"{g.id}/{e.id}", f"{g.name} · {e.id} {e.name} ({e.currency})")
            for _, g in request.app.state.groups.values() for e in g.entities]


def _check_tb(request: Request, csrf: str, data: bytes, filename: str, target: str) -> HTMLResponse:
    """Run ``close tb check`` on an uploaded trial balance and show its findings; store nothing."""
    from close.checks.tb_check import diagnose_trial_balance
    from close.errors import InputDataError

    _check_csrf(request, csrf)
    session, _ = _session(request)
    session.calendar()  # the read check and its access-log row: the upload itself is not kept
    choices = _entity_choices(request)
    group_id, _, entity_id = target.partition("/")
    found = request.app.state.groups.get(group_id)
    if found is None or not entity_id:
        return _render(request, "tb_check.html", 422, entities=choices,
                       error=f"entity: choose one of the server's entities, not {target!r}")
    try:
        diagnosis = diagnose_trial_balance(found[1], found[0], entity_id, data, Path(filename).name)
    except (InputDataError, ConfigError) as exc:  # the text `close tb check` prints after "error:"
        return _render(request, "tb_check.html", 422, entities=choices, chosen=target, error=str(exc))
    return _render(request, "tb_check.html", entities=choices, chosen=target, diagnosis=diagnosis)
