"""The web page without a browser: sign-in, CSRF, the login rate limit, buttons by role."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from close.storage.schema import metadata
from close.web.security import RateLimiter
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
# Reads (sums to zero, every line rolls) but cash (Caixa and Bancos) is in credit and an
# account the mapping file lacks carries a balance: ABNORMAL_BALANCE warns, UNMAPPED_ACCOUNT fails.
FLAWED_TB = ("Conta;Descrição;Saldo Anterior;Débito;Crédito;Saldo Atual\n"
             "1.1.01.001;Caixa;0,00;0,00;100,00;-100,00\n"
             "1.1.01.002;Bancos;0,00;0,00;200,00;-200,00\n"
             "9.9.99.999;Valores a classificar;0,00;300,00;0,00;300,00\n")


def _stored(web_app: FastAPI) -> dict[str, int]:
    """Count the tenant's rows in every table (the access log, which records the read, aside)."""
    tables = [t.name for t in metadata.sorted_tables if "tenant_id" in t.c and t.name != "access_log"]
    with web_app.state.session.env.db.tx() as conn:
        return {name: conn.exec_driver_sql(f"SELECT count(*) FROM {name}").scalar_one()  # noqa: S608
                for name in tables}


def _close_tb_check(tmp_path: Path, name: str, content: str,
                    *options: str) -> subprocess.CompletedProcess[str]:
    """Run ``close tb check`` as a user would (wide columns: rich wraps no line)."""
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return subprocess.run([str(Path(sys.executable).parent / "close"), "tb", "check", str(path), "--config",
                           str(ROOT / "examples" / "demo" / "group.toml"), "--entity", "BR1", *options],
                          capture_output=True, text=True, timeout=300, check=False,
                          env={**os.environ, "COLUMNS": "1000", "NO_COLOR": "1"})


def _upload(client: TestClient, name: str, content: str) -> Any:  # noqa: ANN401
    csrf = _csrf(client.get("/tb-check").text)
    return client.post("/tb-check", data={"csrf": csrf, "entity": "acme/BR1"},
                       files={"file": (name, content.encode(), "text/csv")})


def test_a_malformed_trial_balance_gets_the_clis_error_and_nothing_is_stored(
        web_app: FastAPI, tokens: dict[str, str], tmp_path: Path) -> None:
    cli = _close_tb_check(tmp_path, "BR1.csv", MALFORMED_TB)
    assert cli.returncode == 1, cli.stderr
    expected = cli.stderr.strip()
    assert expected == "error: entity BR1, file BR1.csv, row 2, column 'Débito': not a number: 'abc'"
    before = _stored(web_app)
    client = _signed_in(web_app, "viewer", tokens["viewer"])
    done = _upload(client, "BR1.csv", MALFORMED_TB)
    assert done.status_code == 422
    shown = re.search(r'<p class="error" role="alert" id="tb-error">(.*?)</p>', done.text, re.S)
    assert shown and html.unescape(shown.group(1)) == expected
    assert 'id="tb-result"' not in done.text
    assert _stored(web_app) == before


def test_the_upload_page_runs_the_same_checks_as_the_cli_and_stores_nothing(
        web_app: FastAPI, tokens: dict[str, str], tmp_path: Path) -> None:
    cli = _close_tb_check(tmp_path, "BR1.csv", FLAWED_TB, "--json")
    assert cli.returncode == 1, cli.stderr  # a check failed
    by_cli = [(f["severity"], f["code"], f["message"]) for f in json.loads(cli.stdout)]
    assert ("fail", "UNMAPPED_ACCOUNT") in {(s, c) for s, c, _ in by_cli}
    # Judged per standard account: both lines map to 1000 (cash), together 300.00 in credit.
    assert [m for s, c, m in by_cli if (s, c) == ("warn", "ABNORMAL_BALANCE")] == [
        "BR1 1000 Cash and cash equivalents: expected a debit balance != actual credit -300.00 BRL"]
    before = _stored(web_app)
    client = _signed_in(web_app, "viewer", tokens["viewer"])
    done = _upload(client, "BR1.csv", FLAWED_TB)
    assert done.status_code == 200, done.text
    rows = re.findall(r'<tr class="sev-(\w+)"><td>\w+</td><td>(\w+)</td><td>[^<]*</td>\s*'
                      r'<td class="num">[^<]*</td><td class="num">[^<]*</td><td>(.*?)</td></tr>',
                      done.text, re.S)
    assert [(s, c, html.unescape(m)) for s, c, m in rows] == by_cli
    assert _stored(web_app) == before
