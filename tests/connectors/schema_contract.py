"""Validation helpers of the contract tests: JSON schemas written from the vendors' published
specs (``tests/fakes/schemas/<vendor>.json``), every fake response and every request checked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from tests.fakes.server import FakeRequest, FakeServer, Reply

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
