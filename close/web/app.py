"""The web process (``close serve``): the REST API, the web page and, optionally, MCP over HTTP.

One FastAPI app holds one :class:`close.api.CloseSession` for the tenant (``CLOSE_TENANT``); each
request acts through it as its authenticated user. The groups it may close are the TOML files of
``CLOSE_CONFIGS`` (``:``-separated, as for beat).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from fastapi import FastAPI

from close.api import CloseSession
from close.config import GroupConfig, Settings, load_group_config
from close.web.api import router as api_router
from close.web.problems import install_problem_handlers
from close.web.security import RateLimiter, request_context

log = logging.getLogger("close.web")


def load_groups(paths: Sequence[Path]) -> dict[str, tuple[Path, GroupConfig]]:
    """Return the configured groups by id.

    Raises:
        ConfigError: a config that does not load, naming its file and key.

    """
    groups = {}
    for path in paths:
        config = load_group_config(path)
        groups[config.id] = (path.resolve(), config)
    return groups


def create_app(session: CloseSession, groups: dict[str, tuple[Path, GroupConfig]], *,
               session_secret: str | None = None, secure_cookies: bool = False,
               login_limit: int = 10, api_limit: int = 100_000) -> FastAPI:
    """Build the app around an open session.

    Args:
        session: the tenant's close session (operator; requests act as their own users).
        groups: the groups the server may close, by id.
        session_secret: signs the web session cookie (default: random per process).
        secure_cookies: mark the cookie ``Secure`` (behind TLS).
        login_limit: login attempts per client address per minute.
        api_limit: API requests per token per minute.

    """
    app = FastAPI(title="monthclose", version="1", description=(
        "The monthly close: runs, review, sign-off, locks, consolidated figures and the board package. "
        "Authenticate with `Authorization: Bearer <token>` (a token from `close users add`). "
        "Errors are RFC 9457 problem details."))
    app.state.session = session
    app.state.groups = groups
    app.state.login_limiter = RateLimiter(login_limit, 60.0)
    app.state.api_limiter = RateLimiter(api_limit, 60.0)
    app.middleware("http")(request_context)
    install_problem_handlers(app)
    app.include_router(api_router)
    from close.web.pages import install_pages

    install_pages(app, session_secret=session_secret or os.urandom(32).hex(), secure_cookies=secure_cookies)
    return app


@contextmanager
def open_app(settings: Settings, config_paths: Sequence[Path], **options: object) -> Iterator[FastAPI]:
    """Open the tenant's session and yield the app around it; close the session after."""
    groups = load_groups(config_paths)
    with CloseSession.open(settings) as session:
        yield create_app(session, groups, **options)  # type: ignore[arg-type]
