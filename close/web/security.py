"""Request ids, security headers and rate limits for the web process.

CORS stays closed: no ``Access-Control-Allow-Origin`` is ever sent, so a browser page on another
origin cannot read the API. Tokens and cookies are never logged: the access line names the
method, the path (never the query string) and the status.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Awaitable, Callable

from fastapi import Request, Response

log = logging.getLogger("close.web")

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class RateLimiter:
    """A fixed window per key: at most ``limit`` hits every ``window`` seconds."""

    def __init__(self, limit: int, window: float) -> None:
        """Allow ``limit`` hits per key in each ``window`` seconds."""
        self.limit, self.window = limit, window
        self._hits: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> bool:
        """Count one hit; return False when the key is over its limit."""
        now = time.monotonic()
        with self._lock:
            start, count = self._hits.get(key, (now, 0))
            if now - start >= self.window:
                start, count = now, 0
            self._hits[key] = (start, count + 1)
            if len(self._hits) > 50_000:  # forget old windows rather than grow without bound
                self._hits = {k: v for k, v in self._hits.items() if now - v[0] < self.window}
            return count < self.limit


async def request_context(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """Give every request an id (kept from ``X-Request-ID`` when sane), log it, add the headers."""
    given = request.headers.get("x-request-id", "")
    request.state.request_id = given if given.isalnum() and len(given) <= 64 else uuid.uuid4().hex
    started = time.perf_counter()
    response = await call_next(request)
    response.headers["X-Request-ID"] = request.state.request_id
    for name, value in SECURITY_HEADERS.items():
        # The interactive API docs load Swagger UI's script and style from its CDN: no CSP there.
        if not (name == "Content-Security-Policy" and request.url.path in ("/docs", "/redoc")):
            response.headers.setdefault(name, value)
    if request.url.scheme == "https":
        response.headers["Strict-Transport-Security"] = "max-age=63072000"
    log.info("%s %s %s %s %.1fms", request.state.request_id, request.method, request.url.path,
             response.status_code, (time.perf_counter() - started) * 1000)
    return response
