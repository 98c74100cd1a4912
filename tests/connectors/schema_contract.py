"""Validation helpers of the contract tests: JSON schemas written from the vendors' published
specs (``tests/fakes/schemas/<vendor>.json``), every fake response and every request checked."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from connectors.fakes.server import FakeRequest, FakeServer, Reply

SCHEMAS = Path(__file__).resolve().parents[1] / "fakes" / "schemas"


def load_schema(vendor: str) -> dict[str, Any]:
    """Return ``tests/fakes/schemas/<vendor>.json``, checked to be a valid 2020-12 schema."""
    schema = json.loads((SCHEMAS / f"{vendor}.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return schema


def errors(schema: dict[str, Any], definition: str, instance: Any) -> list[str]:  # noqa: ANN401
    """Return the validation errors of ``instance`` against ``#/$defs/<definition>``."""
    validator = Draft202012Validator({**schema, "$ref": f"#/$defs/{definition}"})
    return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
            for e in validator.iter_errors(instance)]


class Recording:
    """Wraps a fake's ``handle`` so a test sees every (request, reply) pair it served."""

    def __init__(self, fake: FakeServer) -> None:
        """Start recording ``fake``'s exchanges."""
        self.exchanges: list[tuple[FakeRequest, Reply]] = []
        handle = fake.handle

        def recorded(request: FakeRequest) -> Reply:
            reply = handle(request)
            self.exchanges.append((request, reply))
            return reply

        fake.handle = recorded  # type: ignore[method-assign]

    def body(self, reply: Reply) -> Any:  # noqa: ANN401
        """Return the reply's JSON body (decoded when the fake sent bytes)."""
        return json.loads(reply.body) if isinstance(reply.body, bytes) else reply.body


# --- OpenAPI operations (Bling, Conta Azul) --------------------------------------------------
# ``tests/fakes/schemas/bling.json`` and ``contaazul.json`` hold, per GET operation the connector
# calls, the published query parameters (``operations[path].query``) and the published 200 body
# (``operations[path].response``), plus the error body (``error``); the file's ``$comment``
# names the OpenAPI it was written from.

FORMATS = FormatChecker(formats=())


@FORMATS.checks("date", raises=ValueError)
def _date(value: object) -> bool:
    return not isinstance(value, str) or bool(date.fromisoformat(value))


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:  # ISO 8601; Conta Azul's carry no zone (São Paulo time)
    return not isinstance(value, str) or bool(datetime.fromisoformat(value.replace("Z", "+00:00")))


class Contract:
    """The published operations of one ERP, and the checks of one exchange against them."""

    def __init__(self, vendor: str, prefix: str = "") -> None:
        """Load ``tests/fakes/schemas/<vendor>.json``; ``prefix`` is the base path of the fake."""
        self.doc = load_schema(vendor)
        self.prefix = prefix
        self.routes = [(re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$"), path)
                       for path in self.doc["operations"]]

    def operation(self, path: str) -> str | None:
        """Return the spec's path template of a request path, None when the spec has none."""
        path = path.removeprefix(self.prefix)
        return next((template for pattern, template in self.routes if pattern.match(path)), None)

    def request_errors(self, request: FakeRequest) -> list[str]:
        """Validate a request's query string against the operation's published parameters."""
        template = self.operation(request.path)
        assert template, f"no published operation for {request.path}"
        schema = self.doc["operations"][template]["query"]
        query = {name: _coerce(schema["properties"].get(name, {}), values)
                 for name, values in request.query.items()}
        return [f"{template} query {list(e.absolute_path)}: {e.message}"
                for e in Draft202012Validator(schema, format_checker=FORMATS).iter_errors(query)]

    def violations(self, exchanges: list[tuple[FakeRequest, Reply]]) -> list[str]:
        """Check every request and reply of ``exchanges``; an operation never called is one too."""
        called = {self.operation(q.path) for q, _ in exchanges}
        return [f"{op}: never called" for op in self.doc["operations"] if op not in called] + [
            e for q, r in exchanges for e in self.request_errors(q) + self.reply_errors(q, r)]

    def reply_errors(self, request: FakeRequest, reply: Reply) -> list[str]:
        """Validate a reply body: a 200 against the operation's response, else the error body."""
        template = self.operation(request.path)
        assert template, f"no published operation for {request.path}"
        body = json.loads(reply.encode())
        schema = self.doc["operations"][template]["response"] if reply.status == 200 else self.doc["error"]
        return [f"{template} {reply.status} {list(e.absolute_path)}: {e.message}"
                for e in Draft202012Validator(schema, format_checker=FORMATS).iter_errors(body)]


def exercise(connector: Any, periods: tuple[str, ...], as_of: date) -> None:  # noqa: ANN401
    """Run a connector through what a close asks of it: TBs, receivables, chart, health check."""
    for period in periods:
        connector.get_trial_balance(period)
    connector.get_receivables(as_of)
    connector.get_chart_of_accounts()
    assert connector.health_check().unread == ()  # samples every endpoint of its field map


def _coerce(schema: dict[str, Any], values: list[str]) -> Any:  # noqa: ANN401
    """Turn query-string text into the JSON type the parameter is published with."""
    kind = schema.get("type")
    if kind == "array":
        return [_coerce(schema.get("items", {}), [v]) for v in values]
    text = values[-1]
    try:
        if kind == "integer":
            return int(text)
        if kind == "number":
            return float(text)
    except ValueError:
        return text
    if kind == "boolean":
        return {"true": True, "false": False}.get(text, text)
    return text
