"""The web page without a browser: sign-in, CSRF, the login rate limit, buttons by role."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from close.web.security import RateLimiter


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


def _signed_in(app: FastAPI, user: str, token: str) -> TestClient:
    client = TestClient(app)
    page = client.get("/login")
    done = client.post("/login", data={"user": user, "token": token, "csrf": _csrf(page.text)},
                       follow_redirects=False)
    assert done.status_code == 303, done.text
    cookie = done.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    return client


def test_pages_need_a_session_and_forms_need_their_csrf_token(web_app: FastAPI,
                                                              tokens: dict[str, str]) -> None:
    anonymous = TestClient(web_app)
    assert anonymous.get("/", follow_redirects=False).headers["location"] == "/login"
    client = _signed_in(web_app, "preparer", tokens["preparer"])
    assert client.get("/").status_code == 200
    forged = client.post("/runs", data={"group": "acme", "period": "2025-10", "csrf": "forged"})
    assert forged.status_code == 403


def test_login_attempts_are_rate_limited_per_client(web_app: FastAPI) -> None:
    client = TestClient(web_app)
    statuses = []
    shared = web_app.state.login_limiter
    web_app.state.login_limiter = RateLimiter(5, 60.0)  # a window of its own: other tests sign in too
    try:
        for _ in range(7):
            page = client.get("/login")
            statuses.append(client.post("/login", data={"user": "viewer", "token": "mct_wrong_wrong",
                                                        "csrf": _csrf(page.text)}).status_code)
    finally:
        web_app.state.login_limiter = shared
    assert statuses[:5] == [401] * 5 and statuses[5:] == [429, 429]


def test_only_those_allowed_see_the_decision_buttons(web_app: FastAPI, tokens: dict[str, str],
                                                     demo_run: dict[str, Any]) -> None:
    run_id = demo_run["id"]
    for user, shows_audit in (("preparer", True), ("viewer", False), ("auditor", True)):
        page = _signed_in(web_app, user, tokens[user]).get(f"/runs/{run_id}").text
        assert 'id="approve"' not in page and 'id="signoff"' not in page, user
        assert ('id="audit"' in page) == shows_audit, user
        assert 'id="statements"' in page
