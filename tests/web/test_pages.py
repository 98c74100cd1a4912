"""The web page without a browser: sign-in, CSRF, the login rate limit, buttons by role."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from close.errors import InputDataError
from close.web.security import RateLimiter
from connectors.files import read_trial_balance
from tests.web.conftest import ROOT


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


MALFORMED_TB = ("Conta;Descrição;Saldo Anterior;Débito;Crédito;Saldo Atual\n"
                "1.1.01.001;Caixa;5.000,00;abc;0,00;5.000,00\n")


def _stored(web_app: FastAPI) -> tuple[int, int]:
    with web_app.state.session.env.db.tx() as conn:
        return tuple(conn.exec_driver_sql("SELECT (SELECT count(*) FROM run_inputs), "
                                          "(SELECT count(*) FROM trial_balances)").one())


def test_a_malformed_trial_balance_gets_the_extracts_error_and_nothing_is_stored(
        web_app: FastAPI, tokens: dict[str, str]) -> None:
    # The message a close's EXTRACTING (and so `close run`) reports for this file.
    with pytest.raises(InputDataError) as caught:
        read_trial_balance(MALFORMED_TB.encode(), filename="BR9.csv", entity="BR9", currency="BRL")
    expected = str(caught.value)
    assert "row 2" in expected
    before = _stored(web_app)
    client = _signed_in(web_app, "viewer", tokens["viewer"])
    csrf = _csrf(client.get("/tb-check").text)
    done = client.post("/tb-check", data={"csrf": csrf, "entity": "BR9", "currency": "BRL"},
                       files={"file": ("BR9.csv", MALFORMED_TB.encode(), "text/csv")})
    assert done.status_code == 422
    assert expected in html.unescape(done.text)
    good = (ROOT / "examples" / "demo" / "tb" / "BR1" / "2025-10.csv").read_bytes()
    ok = client.post("/tb-check", data={"csrf": csrf, "entity": "BR1", "currency": "BRL"},
                     files={"file": ("2025-10.csv", good, "text/csv")})
    assert ok.status_code == 200 and 'id="tb-result"' in ok.text
    assert _stored(web_app) == before
