"""The REST API over a real close of the demo: runs, review, segregation of duties, package, problems."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from close.errors import ConfigError, NotFound
from close.web.problems import status_of
from tests.web.conftest import DEMO_PERIOD, bearer, wait_settled


def test_without_a_token_every_route_answers_401_as_a_problem(client: TestClient) -> None:
    done = client.get("/api/v1/runs")
    assert done.status_code == 401
    assert done.headers["content-type"] == "application/problem+json"
    assert done.headers["www-authenticate"] == "Bearer"
    assert done.json()["status"] == 401 and done.json()["request_id"] == done.headers["x-request-id"]
    assert client.get("/api/v1/runs", headers=bearer("mct_0123456789abcdef_wrong")).status_code == 401


def test_security_headers_and_no_cors(client: TestClient, tokens: dict[str, str]) -> None:
    done = client.get("/api/v1/runs", headers={**bearer(tokens["viewer"]), "Origin": "https://evil.example"})
    assert done.status_code == 200
    assert done.headers["x-content-type-options"] == "nosniff"
    assert done.headers["x-frame-options"] == "DENY"
    assert "access-control-allow-origin" not in done.headers


def test_the_demo_close_runs_through_the_api_and_the_preparer_cannot_approve_or_sign(
        client: TestClient, tokens: dict[str, str], demo_run: dict[str, Any]) -> None:
    run_id = demo_run["id"]
    assert demo_run["status"] in ("COMPLETED", "AWAITING_REVIEW"), demo_run
    assert demo_run["created_by"] == "preparer"
    listed = client.get("/api/v1/runs", params={"group": "acme", "period": DEMO_PERIOD, "limit": 5},
                        headers=bearer(tokens["viewer"])).json()
    assert listed["total"] >= 1 and listed["items"][0]["id"] == run_id
    detail = client.get(f"/api/v1/runs/{run_id}", headers=bearer(tokens["viewer"])).json()
    assert {s["stage"] for s in detail["stages"]} >= {"EXTRACTING", "CONSOLIDATING", "VALIDATING"}
    # The preparer is refused both decisions: 403 problem details naming segregation of duties.
    for path, body in (("approve", {"reason": "mine"}), ("signoff", {"note": "mine"})):
        refused = client.post(f"/api/v1/runs/{run_id}/{path}", json=body, headers=bearer(tokens["preparer"]))
        assert refused.status_code == 403, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
    # A viewer may not read the audit trail; an auditor may.
    assert client.get(f"/api/v1/runs/{run_id}/events", headers=bearer(tokens["viewer"])).status_code == 403
    trail = client.get(f"/api/v1/runs/{run_id}/events", headers=bearer(tokens["auditor"])).json()
    assert trail[0]["kind"] == "created" and trail[0]["actor"] == "preparer"

    if demo_run["status"] == "AWAITING_REVIEW":
        findings = client.get(f"/api/v1/runs/{run_id}/findings", headers=bearer(tokens["approver"])).json()
        waivers = {f["code"]: "reviewed with the controller" for f in findings
                   if f["severity"] != "pass" and f["category"] != "integrity"}
        approved = client.post(f"/api/v1/runs/{run_id}/approve", json={"reason": "ok", "waivers": waivers},
                               headers=bearer(tokens["approver"]))
        assert approved.status_code == 202, approved.text
        demo_run.update(wait_settled(client, tokens["approver"], run_id))
    assert demo_run["status"] == "COMPLETED", demo_run

    signed = client.post(f"/api/v1/runs/{run_id}/signoff", json={"note": "board ready"},
                         headers=bearer(tokens["approver"]))
    assert signed.status_code == 200, signed.text
    assert signed.json()["signed_off_by"] == "approver"

    package = client.get(f"/api/v1/runs/{run_id}/package", headers=bearer(tokens["viewer"]))
    assert package.status_code == 200
    assert package.headers["etag"] == f'"{hashlib.sha256(package.content).hexdigest()}"'
    assert zipfile.ZipFile(io.BytesIO(package.content)).namelist()
    # Once signed off the download is the signed edition (issue 17), named and timed in its manifest.
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(package.content)).read("manifest.json"))
    assert (manifest["edition"], manifest["signed_off_by"]) == ("signed", "approver")
    again = client.get(f"/api/v1/runs/{run_id}/package",
                       headers={**bearer(tokens["viewer"]), "If-None-Match": package.headers["etag"]})
    assert again.status_code == 304
    files = client.get(f"/api/v1/runs/{run_id}/package/files", headers=bearer(tokens["viewer"])).json()
    one = client.get(f"/api/v1/runs/{run_id}/package/files/{files[0]['name']}",
                     headers=bearer(tokens["viewer"]))
    assert one.headers["etag"] == f'"{files[0]["sha256"]}"'
    assert {f["edition"] for f in files} == {"signed"}
    assert {f["name"]: f["sha256"] for f in files} == {f["name"]: f["sha256"] for f in manifest["files"]}

    balances = client.get(f"/api/v1/runs/{run_id}/balances", headers=bearer(tokens["viewer"])).json()
    assert sum(Decimal(r["amount"]) for r in balances["consolidated"]) == 0
    account = balances["consolidated"][0]["account"]
    traced = client.get(f"/api/v1/runs/{run_id}/balances", params={"account": account},
                        headers=bearer(tokens["viewer"])).json()
    assert traced["trace"]["account"] == account
    pairs = client.get(f"/api/v1/runs/{run_id}/intercompany", headers=bearer(tokens["viewer"]))
    assert pairs.status_code == 200 and isinstance(pairs.json(), list)

    # Locking needs an approver; the preparer's attempt is 403, an unknown run 404.
    assert client.post(f"/api/v1/groups/acme/periods/{DEMO_PERIOD}/lock", json={},
                       headers=bearer(tokens["preparer"])).status_code == 403
    assert client.post(f"/api/v1/groups/acme/periods/{DEMO_PERIOD}/lock", json={"reason": "closed"},
                       headers=bearer(tokens["approver"])).status_code == 200
    assert client.post(f"/api/v1/groups/acme/periods/{DEMO_PERIOD}/unlock", json={"reason": "reopen"},
                       headers=bearer(tokens["admin"])).status_code == 204
    missing = client.get("/api/v1/runs/00000000-0000-0000-0000-000000000000",
                         headers=bearer(tokens["viewer"]))
    assert missing.status_code == 404 and missing.json()["title"] == "Not Found"


def test_a_bad_period_is_a_422_problem_naming_the_field(client: TestClient, tokens: dict[str, str]) -> None:
    done = client.post("/api/v1/runs", json={"group": "acme", "period": "2025-13"},
                       headers=bearer(tokens["preparer"]))
    assert done.status_code == 422 and "period" in done.json()["detail"]
    unknown = client.post("/api/v1/runs", json={"group": "nope", "period": "2025-10"},
                          headers=bearer(tokens["preparer"]))
    assert unknown.status_code == 422 and "unknown group" in unknown.json()["detail"]


def test_only_the_typed_not_found_error_is_a_404(client: TestClient, tokens: dict[str, str]) -> None:
    # The status comes from the error's type, not its wording.
    assert status_of(NotFound("no run x")) == (404, "Not Found")
    assert status_of(ConfigError("no run x"))[0] == 422
    nobody = "00000000-0000-0000-0000-000000000000"
    for method, path, body, user in (
            ("get", f"/api/v1/runs/{nobody}", None, "viewer"),
            ("get", f"/api/v1/runs/{nobody}/package", None, "viewer"),
            ("post", f"/api/v1/runs/{nobody}/approve", {"reason": "ok"}, "approver"),
            ("post", f"/api/v1/runs/{nobody}/cancel", {"reason": "stop"}, "preparer")):
        done = client.request(method, path, json=body, headers=bearer(tokens[user]))
        assert done.status_code == 404, (path, done.text)
        assert done.headers["content-type"] == "application/problem+json"
        assert done.json()["detail"] == f"no run {nobody}"


def test_the_web_service_serves_the_close_metrics_behind_a_token(
        client: TestClient, tokens: dict[str, str], demo_run: dict[str, Any]) -> None:
    # Issue 20: a Prometheus endpoint on the web service too; business figures need a token.
    assert client.get("/api/v1/metrics").status_code == 401
    scraped = client.get("/api/v1/metrics", headers=bearer(tokens["viewer"]))
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain")
    text = scraped.text
    assert 'monthclose_runs{status="COMPLETED"}' in text
    assert "monthclose_stage_duration_seconds_bucket" in text
    assert "monthclose_claude_tokens_total" in text


def test_the_period_checklist_is_read_through_the_api(
        client: TestClient, tokens: dict[str, str], demo_run: dict[str, Any]) -> None:
    # The web demo group has no [[checklist]]: an empty list, not an error; the tasks themselves
    # are read through the same CloseSession.checklist by `close tasks list` (test_demo_checklist).
    url = f"/api/v1/groups/acme/periods/{DEMO_PERIOD}/tasks"
    assert client.get(url).status_code == 401
    listed = client.get(url, headers=bearer(tokens["viewer"]))
    assert listed.status_code == 200 and listed.json() == []
    assert client.get("/api/v1/groups/acme/periods/2025-13/tasks",
                      headers=bearer(tokens["viewer"])).status_code == 422
