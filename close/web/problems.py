"""RFC 9457 problem details: every error of the REST API as ``application/problem+json``.

The ``detail`` is the close's own message (it names the run, key or field); a library message,
a traceback or SQL never reaches the client.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from close.errors import CloseError, ConfigError, InputDataError, NotFound, RunConflict
from close.users import AccessDenied, NotAuthenticated

log = logging.getLogger("close.web")
PROBLEM = "application/problem+json"


class Problem(BaseModel):
    """An RFC 9457 problem detail."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    request_id: str | None = None


def problem(request: Request, status: int, title: str, detail: str | None = None,
            headers: dict[str, str] | None = None) -> JSONResponse:
    """Return a problem response for the request (with its request id)."""
    body = Problem(title=title, status=status, detail=detail, instance=request.url.path,
                   request_id=getattr(request.state, "request_id", None))
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status, media_type=PROBLEM,
                        headers=headers)


def status_of(exc: CloseError) -> tuple[int, str]:
    """Return the HTTP status and title of a close error."""
    if isinstance(exc, NotAuthenticated):
        return 401, "Unauthorized"
    if isinstance(exc, AccessDenied):
        return 403, "Forbidden"
    if isinstance(exc, NotFound):
        return 404, "Not Found"
    if isinstance(exc, RunConflict):
        return 409, "Conflict"
    if isinstance(exc, ConfigError | InputDataError):
        return 422, "Unprocessable Content"
    return 409, "The close refused"


def install_problem_handlers(app: FastAPI) -> None:
    """Answer every error as a problem detail."""

    @app.exception_handler(CloseError)
    async def close_error(request: Request, exc: CloseError) -> JSONResponse:
        status, title = status_of(exc)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return problem(request, status, title, str(exc), headers)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return problem(request, exc.status_code, str(exc.detail), None, dict(exc.headers or {}) or None)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        where = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        return problem(request, 422, "Unprocessable Content", where)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("request %s failed", getattr(request.state, "request_id", "-"))
        return problem(request, 500, "Internal Server Error", "the server failed; the log has the request id")


#: The problem responses every API route may give, for the OpenAPI schema.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem, "description": title, "content": {PROBLEM: {}}}
    for code, title in ((401, "No or invalid bearer token"),
                        (403, "The role or segregation of duties refuses"),
                        (404, "No such run or file"),
                        (409, "Refused by the run's state or a lock"),
                        (422, "Invalid input"),
                        (429, "Too many requests"))
}
