"""A tiny local HTTP server for fakes: stdlib ThreadingHTTPServer on 127.0.0.1, ephemeral port.

A fake subclasses ``FakeServer`` and implements ``handle(request) -> Reply``. Every request is
recorded (method, path, query, headers, body, arrival time) so tests can count what reached the
server, and faults can be scripted ahead of the normal answer (``fail_next``) or every response
slowed down (``delay``), the way an ERP misbehaves at 6 AM on the 1st.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class FakeRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    at: float
    raw_query: str = ""  # the query string exactly as sent (``+`` and ``%20`` kept apart)

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(self.body.decode()).items()}

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default


@dataclass
class Reply:
    status: int = 200
    body: Any = None            # JSON-encodable, or bytes sent as they are
    headers: dict[str, str] = field(default_factory=dict)

    def encode(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body, default=str).encode()


def json_number(value: Any) -> Any:
    """Let Decimals go out as JSON numbers (json.dumps would quote them via default=str)."""
    return float(value) if not isinstance(value, int) else value


@dataclass
class _Fault:
    reply: Reply
    path_prefix: str
    remaining: int


class FakeServer:
    """Base class of the ERP fakes."""

    def __init__(self) -> None:
        self.requests: list[FakeRequest] = []
        self._faults: deque[_Fault] = deque()
        self.delay = 0.0
        # "missing" or "not_a_number": the fake spoils one amount of the trial-balance data
        self.corrupt: str | None = None
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> FakeServer:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # else every reply waits ~40 ms for a delayed ACK

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                request = FakeRequest(self.command, parts.path, parse_qs(parts.query),
                                      {k.lower(): v for k, v in self.headers.items()}, body,
                                      time.monotonic(), parts.query)
                reply = fake._dispatch(request)
                data = reply.encode()
                self.send_response(reply.status)
                headers = {"Content-Type": "application/json; charset=utf-8", **reply.headers}
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test): nothing to tell it

            do_GET = do_POST = do_PUT = do_DELETE = _serve  # noqa: N815

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    # -- scripting --------------------------------------------------------------------------
    def fail_next(self, times: int, status: int, body: Any = None, *, headers: dict[str, str] | None = None,
                  path_prefix: str = "") -> None:
        """Answer the next ``times`` requests under ``path_prefix`` with this reply."""
        with self._lock:
            self._faults.append(_Fault(Reply(status, body, dict(headers or {})), path_prefix, times))

    def spoil(self, obj: dict[str, Any], key: str) -> None:
        """Apply ``self.corrupt`` to ``obj[key]`` (drop it, or make it text that is no number)."""
        if self.corrupt == "missing":
            obj.pop(key, None)
        elif self.corrupt == "not_a_number":
            obj[key] = "abc"

    def hits(self, path_prefix: str = "") -> list[FakeRequest]:
        with self._lock:
            return [r for r in self.requests if r.path.startswith(path_prefix)]

    def _dispatch(self, request: FakeRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
            fault = next((f for f in self._faults if request.path.startswith(f.path_prefix)), None)
            if fault is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
        if self.delay:
            time.sleep(self.delay)
        if fault is not None:
            return fault.reply
        try:
            return self.handle(request)
        except Exception as exc:  # a bug in a fake must show up as a 599, not hang the client
            return Reply(599, {"fake_error": repr(exc)})

    def handle(self, request: FakeRequest) -> Reply:
        raise NotImplementedError


class EchoServer(FakeServer):
    """Answers every request with 200 and a small JSON body (for the HTTP machinery tests)."""

    def handle(self, request: FakeRequest) -> Reply:
        return Reply(200, {"ok": True, "path": request.path})
