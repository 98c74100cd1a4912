"""Check a fake's replies and a connector's requests against JSON Schemas written from a spec.

``tests/fakes/schemas/<erp>.json`` holds, per GET operation the connector calls, the published
query parameters (``query``) and the published 200 body (``response``), plus the error body
(``error``); each file's ``$comment`` names the spec it was written from. ``Exchanges`` records
what went over the wire so a test can validate all of it after running the real connector.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator, FormatChecker

from tests.fakes.server import FakeRequest, Reply

SCHEMAS = Path(__file__).resolve().parents[1] / "fakes" / "schemas"
FORMATS = FormatChecker(formats=())


@FORMATS.checks("date", raises=ValueError)
def _date(value: object) -> bool:
    return not isinstance(value, str) or bool(date.fromisoformat(value))


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:  # ISO 8601; Conta Azul's carry no zone (São Paulo time)
    return not isinstance(value, str) or bool(datetime.fromisoformat(value.replace("Z", "+00:00")))


@dataclass
class Exchanges:
    """Every (request, reply) a fake answered."""

    seen: list[tuple[FakeRequest, Reply]] = field(default_factory=list)


def recording(fake_class: type) -> type:
    """Return a subclass of ``fake_class`` that keeps its (request, reply) pairs in ``exchanges``."""

    class Recording(fake_class):  # type: ignore[misc,valid-type]
        def __init__(self) -> None:
            super().__init__()
            self.exchanges = Exchanges()

        def handle(self, request: FakeRequest) -> Reply:
            reply = super().handle(request)
            self.exchanges.seen.append((request, reply))
            return reply

    return Recording


class Contract:
    """The schemas of one ERP, and the checks of one exchange against them."""

    def __init__(self, name: str, prefix: str = "") -> None:
        self.doc = json.loads((SCHEMAS / f"{name}.json").read_text(encoding="utf-8"))
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
                for e in Draft7Validator(schema, format_checker=FORMATS).iter_errors(query)]

    def reply_errors(self, request: FakeRequest, reply: Reply) -> list[str]:
        """Validate a reply body: a 200 against the operation's response, else the error body."""
        template = self.operation(request.path)
        assert template, f"no published operation for {request.path}"
        body = json.loads(reply.encode())
        schema = self.doc["operations"][template]["response"] if reply.status == 200 else self.doc["error"]
        return [f"{template} {reply.status} {list(e.absolute_path)}: {e.message}"
                for e in Draft7Validator(schema, format_checker=FORMATS).iter_errors(body)]


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
