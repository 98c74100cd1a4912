"""schemathesis over the OpenAPI schema: no 5xx, no response outside the schema; 401 and 403 checked.

Every operation is generated from the schema and sent with an admin token (the strongest role, so
the calls get past the access checks and reach the close); responses must be documented, of the
documented content type and valid against their schema.
"""

from __future__ import annotations

import uuid
from typing import Any

import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.web.conftest import bearer

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]


def test_no_server_error_and_no_schema_violation(web_app: FastAPI, tokens: dict[str, str]) -> None:
    # The schema is loaded from the running app, then every operation gets its own Hypothesis run
    # (schemathesis's pytest plugin is not used: it does not load under this pytest).
    schema = schemathesis.openapi.from_asgi("/openapi.json", web_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 18

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def call(case: Any) -> None:  # noqa: ANN401
            case.call_and_validate(headers=bearer(tokens["admin"]), checks=CHECKS)

        call()


def _mutating_routes(app: FastAPI) -> list[str]:
    return [path for path, ops in app.openapi()["paths"].items() if "post" in ops]


def _concrete(path: str) -> str:
    return (path.replace("{run_id}", str(uuid.uuid4())).replace("{group}", "acme")
            .replace("{period}", "2025-10"))


VALID_BODY = {"group": "acme", "period": "2025-10", "reason": "because", "note": "n", "waivers": {}}


def test_every_mutating_route_answers_401_without_a_token_and_403_to_a_viewer(
        client: TestClient, web_app: FastAPI, tokens: dict[str, str]) -> None:
    routes = _mutating_routes(web_app)
    assert len(routes) >= 9, routes
    for path in routes:
        url = _concrete(path)
        body = ({"files": {"journal": ("topside.csv", b"journal_id,entity\n", "text/csv")}}
                if path.endswith("/adjust") else {"json": VALID_BODY})
        anonymous = client.post(url, **body)
        assert anonymous.status_code == 401, (path, anonymous.text)
        for role in ("viewer", "auditor"):
            refused = client.post(url, headers=bearer(tokens[role]), **body)
            assert refused.status_code == 403, (path, role, refused.text)
            assert refused.headers["content-type"] == "application/problem+json"
