"""A local server speaking the Anthropic Messages API (``POST /v1/messages``) for tests.

It validates what the real API validates for our calls (``x-api-key`` or a bearer key,
``anthropic-version``, model, ``max_tokens``, ``temperature``, ``messages``), answers with a
realistic ``message`` object including ``usage``, and can be told to fail: 429 with
``retry-after``, 529 ``overloaded_error``, 500 ``api_error``, or a slow answer that makes the
client time out. It counts requests and keeps every received header set and body, so tests
assert on what our real client code sent.

    with FakeAnthropic() as fake:
        fake.fail_next(429, retry_after=0)       # the next request gets a 429, then normal
        fake.stay_down(529)                      # every request fails until fake.recover()
        fake.url, fake.api_key, fake.request_count, fake.bodies
"""

from __future__ import annotations

import json
import math
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

API_VERSIONS = frozenset({"2023-06-01", "2026-10-21"})
# API version 2026-10-21 removed the sampling parameters: sending one is a 400.
SAMPLING_PARAMETERS = ("temperature", "top_p", "top_k")
DEFAULT_MODELS = frozenset({"claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-5"})
ERROR_TYPES = {
    400: "invalid_request_error", 401: "authentication_error", 404: "not_found_error",
    429: "rate_limit_error", 500: "api_error", 529: "overloaded_error",
}
ERROR_MESSAGES = {429: "Number of request tokens has exceeded your per-minute rate limit",
                  500: "Internal server error", 529: "Overloaded"}

Reply = Callable[[dict[str, Any]], str]


def default_reply(body: dict[str, Any]) -> str:
    """A CFO-style answer with the markdown a model sometimes adds despite instructions."""
    del body
    return ("**Revenue** rose on stronger subscription sales in the period.\n\n"
            "- the increase was concentrated in the largest entity.\n"
            "- exchange rates added a smaller part of the change.")


@dataclass(frozen=True)
class Received:
    """One request as the server received it."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any] | None
    status: int


@dataclass
class _Behaviour:
    status: int = 200
    delay: float = 0.0
    retry_after: int | None = None


@dataclass
class FakeAnthropic:
    """The fake server; start it with ``with FakeAnthropic() as fake:`` (or ``start``/``stop``).

    Attributes:
        api_key: the only key accepted.
        models: the model names that exist.
        reply: builds the answer text from the request body.
    """

    api_key: str = "sk-ant-test-key"
    models: frozenset[str] = DEFAULT_MODELS
    reply: Reply = default_reply
    received: list[Received] = field(default_factory=list)
    _script: deque[_Behaviour] = field(default_factory=deque)
    _down: _Behaviour | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    _in_flight: int = 0
    _delay_all: float = 0.0
    max_in_flight: int = 0  # the most requests served at the same time

    # --- control -------------------------------------------------------------------------

    def fail_next(self, status: int, *, times: int = 1, retry_after: int | None = None) -> None:
        """Answer the next ``times`` requests with ``status`` (429, 500, 529 …)."""
        with self._lock:
            self._script.extend(_Behaviour(status, retry_after=retry_after) for _ in range(times))

    def slow_next(self, seconds: float, *, times: int = 1) -> None:
        """Delay the next ``times`` answers by ``seconds`` (then answer normally)."""
        with self._lock:
            self._script.extend(_Behaviour(200, delay=seconds) for _ in range(times))

    def slow_all(self, seconds: float) -> None:
        """Delay every answer by ``seconds`` (requests overlap: concurrency shows)."""
        with self._lock:
            self._delay_all = seconds

    def stay_down(self, status: int = 500) -> None:
        """Fail every request with ``status`` until ``recover``."""
        with self._lock:
            self._down = _Behaviour(status, retry_after=0 if status == 429 else None)

    def recover(self) -> None:
        """Undo ``stay_down``."""
        with self._lock:
            self._down = None

    def reset(self) -> None:
        """Forget received requests and scripted behaviour."""
        with self._lock:
            self.received.clear()
            self._script.clear()
            self._down = None
            self._delay_all = 0.0
            self.max_in_flight = 0

    # --- observation ---------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The base URL to give the client (``http://127.0.0.1:PORT``)."""
        if self._server is None:
            raise RuntimeError("the fake Anthropic server is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def request_count(self) -> int:
        """How many requests arrived (failed ones included)."""
        with self._lock:
            return len(self.received)

    @property
    def bodies(self) -> list[dict[str, Any]]:
        """The JSON bodies received, in arrival order."""
        with self._lock:
            return [r.body for r in self.received if r.body is not None]

    def statuses(self) -> list[int]:
        """The status answered to each request, in arrival order."""
        with self._lock:
            return [r.status for r in self.received]

    # --- lifecycle -----------------------------------------------------------------------

    def start(self) -> FakeAnthropic:
        """Listen on an ephemeral port of 127.0.0.1 in a daemon thread."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                fake._handle(self)

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                fake._handle(self)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                """Keep test output quiet."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        # A short poll interval makes stop() return at once instead of after 0.5 s.
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                         name="fake-anthropic", daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeAnthropic:
        """Start the server."""
        return self.start()

    def __exit__(self, *exc: object) -> None:
        """Stop the server."""
        self.stop()

    # --- the API -------------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("content-length") or 0)
        raw = handler.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in handler.headers.items()}
        try:
            body = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            body = None
        with self._lock:
            behaviour = self._down or (self._script.popleft() if self._script else _Behaviour())
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            self._answer(handler, headers, body, raw, behaviour)
        finally:
            with self._lock:
                self._in_flight -= 1

    def _answer(self, handler: BaseHTTPRequestHandler, headers: dict[str, str], body: Any,
                raw: bytes, behaviour: _Behaviour) -> None:
        status, payload, extra = self._respond(handler, headers, body, raw, behaviour)
        with self._lock:
            self.received.append(Received(handler.path, headers,
                                          body if isinstance(body, dict) else None, status))
        if behaviour.delay or self._delay_all:
            time.sleep(behaviour.delay or self._delay_all)
        data = json.dumps(payload).encode()
        try:
            handler.send_response(status)
            handler.send_header("content-type", "application/json")
            handler.send_header("content-length", str(len(data)))
            handler.send_header("request-id", f"req_{uuid.uuid4().hex[:24]}")
            for name, value in extra.items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client timed out and went away: that is what a slow answer tests

    def _respond(self, handler: BaseHTTPRequestHandler, headers: dict[str, str],
                 body: Any, raw: bytes, behaviour: _Behaviour
                 ) -> tuple[int, dict[str, Any], dict[str, str]]:
        if handler.command != "POST" or handler.path.split("?")[0] != "/v1/messages":
            return _error(404, f"{handler.command} {handler.path}: not found")
        key = headers.get("x-api-key") or headers.get("authorization", "").removeprefix("Bearer ")
        if key != self.api_key:
            return _error(401, "invalid x-api-key")
        version = headers.get("anthropic-version")
        if version not in API_VERSIONS:
            return _error(400, f"anthropic-version: invalid or missing ({version!r})")
        if behaviour.status != 200:
            extra = {"retry-after": str(behaviour.retry_after)} \
                if behaviour.retry_after is not None else {}
            return (*_error(behaviour.status, ERROR_MESSAGES.get(behaviour.status, "error"))[:2],
                    extra)
        if not isinstance(body, dict):
            return _error(400, f"invalid JSON body ({len(raw)} bytes)")
        problem = _validate(body, version, self.models)
        if problem:
            return _error(*problem)
        return 200, self._message(body), {}

    def _message(self, body: dict[str, Any]) -> dict[str, Any]:
        text = self.reply(body)
        prompt_chars = len(json.dumps(body.get("messages"))) \
            + len(json.dumps(body.get("system", "")))
        output_tokens = min(math.ceil(len(text) / 4), body["max_tokens"])
        return {
            "id": f"msg_{uuid.uuid4().hex[:24]}",
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {
                "input_tokens": math.ceil(prompt_chars / 4),
                "output_tokens": output_tokens,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
                "service_tier": "standard",
            },
        }


def _validate(body: dict[str, Any], version: str, models: Iterable[str]) -> tuple[int, str] | None:
    model = body.get("model")
    if not isinstance(model, str):
        return 400, "model: Field required"
    if model not in models:
        return 404, f"model: {model}"
    max_tokens = body.get("max_tokens")
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1:
        return 400, "max_tokens: Field required (an integer >= 1)"
    for name in SAMPLING_PARAMETERS:
        if name in body and version == "2026-10-21":
            return 400, f"{name}: Extra inputs are not permitted"
    temperature = body.get("temperature", 1.0)
    if not isinstance(temperature, int | float) or not 0 <= temperature <= 1:
        return 400, "temperature: Input should be a number between 0 and 1"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return 400, "messages: at least one message is required"
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ("user", "assistant"):
            return 400, f"messages.{i}.role: Input should be 'user' or 'assistant'"
        if not isinstance(message.get("content"), str | list) or not message["content"]:
            return 400, f"messages.{i}.content: must be a non-empty string or list of blocks"
    if messages[0]["role"] != "user":
        return 400, "messages: first message must use the \"user\" role"
    return None


def _error(status: int, message: str) -> tuple[int, dict[str, Any], dict[str, str]]:
    return status, {
        "type": "error",
        "error": {"type": ERROR_TYPES.get(status, "api_error"), "message": message},
        "request_id": f"req_{uuid.uuid4().hex[:24]}",
    }, {}
