"""The web page in a real browser: Playwright driving Debian's chromium (no browser download).

A preparer signs in, starts the demo's close, watches the stages complete, sees the findings and
has no approve or sign-off button; an approver approves with waivers, signs off and downloads the
package, whose sha256 equals the API's ETag. Screenshots go to ``tmp_path`` (and to ``docs/`` with
``UPDATE_SCREENSHOTS=1``).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from playwright.sync_api import Page, expect, sync_playwright

from close.storage import Database
from tests.web.conftest import DEMO_PERIOD, ROOT, bearer, make_app, make_users

CHROMIUM = "/usr/bin/chromium"
SETTLED = ("COMPLETED", "AWAITING_REVIEW", "FAILED", "CANCELLED")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The demo's month is green (97.5) under the default weights; a stricter review policy (five budget
# warnings of 5 points each) stops it at review, so the approver waives them in the browser.
STRICT_REVIEW = '\n[validation.weights.reasonableness]\nwarn = "5"\ncap = "30"\n'


@pytest.fixture(scope="module")
def site(db_session: Database, demo_config: Path,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """A real uvicorn server in a thread, over a tenant of its own."""
    db = db_session.for_tenant(f"browser_{uuid.uuid4().hex[:8]}")
    tokens = make_users(db)
    strict = tmp_path_factory.mktemp("strict") / "demo"
    shutil.copytree(demo_config.parent, strict)
    with (strict / "group.toml").open("a", encoding="utf-8") as f:
        f.write(STRICT_REVIEW)
    app = make_app(db, strict / "group.toml", tmp_path_factory.mktemp("home"))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", tokens
    server.should_exit = True
    thread.join(timeout=10)


def _sign_in(page: Page, base: str, user: str, token: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#user", user)
    page.fill("#token", token)
    page.click("#signin")
    expect(page.locator("#who")).to_have_text(user)


def _wait_settled(page: Page) -> str:
    # The page polls the run and reloads once it settles (no script evaluation: the CSP forbids it).
    expect(page.locator("#status")).to_have_text(re.compile("|".join(SETTLED)), timeout=300_000)
    page.wait_for_load_state("load")
    return page.locator("#status").inner_text().strip()


def test_preparer_closes_and_approver_signs_off_in_the_browser(site: tuple[str, dict[str, str]],
                                                              tmp_path: Path) -> None:
    base, tokens = site
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    shots = tmp_path / "shots"
    shots.mkdir()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
        page = context.new_page()

        # The preparer starts the close and watches the stages complete.
        _sign_in(page, base, "preparer", tokens["preparer"])
        cookie = next(c for c in context.cookies() if c["name"] == "close_session")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
        page.fill("#start-period", DEMO_PERIOD)
        page.click("#start")
        page.wait_for_url("**/runs/*")
        run_id = page.url.rsplit("/", 1)[1]
        status = _wait_settled(page)
        assert status == "AWAITING_REVIEW", status
        expect(page.locator("#stages li.done").first).to_be_visible()
        assert page.locator("#findings").count() == 1  # the findings table is shown
        assert page.locator("#approve").count() == 0 and page.locator("#signoff").count() == 0
        page.click("#logout")
        page.wait_for_url("**/login")

        # The approver approves with waivers (when the run stopped for review) and signs off.
        _sign_in(page, base, "approver", tokens["approver"])
        page.goto(f"{base}/runs/{run_id}")
        waivers = page.locator("input.waiver").all()
        assert waivers
        for field in waivers:
            field.fill("reviewed with the controller")
        page.fill("#approve-reason", "figures agreed")
        page.click("#approve")
        status = _wait_settled(page)
        assert status == "COMPLETED", status
        expect(page.locator("#findings")).to_contain_text("approver: reviewed with the controller")
        page.click("#signoff")
        expect(page.locator("#signed-off-by")).to_have_text("approver")
        page.screenshot(path=str(shots / "web-run.png"), full_page=False)
        page.locator("#statements").screenshot(path=str(shots / "web-statements.png"))

        with page.expect_download() as download:
            page.click("#download-package")
        data = Path(download.value.path()).read_bytes()
        api = httpx.get(f"{base}/api/v1/runs/{run_id}/package", headers=bearer(tokens["approver"]))
        etag = api.headers["etag"]
        assert etag == f'"{hashlib.sha256(data).hexdigest()}"'

        page.goto(f"{base}/")
        expect(page.locator("table.calendar")).to_contain_text("COMPLETED")
        page.screenshot(path=str(shots / "web-calendar.png"))
        page.goto(f"{base}/login?lang=pt-BR")
        page.goto(f"{base}/")
        expect(page.locator("h1")).to_have_text("Calendário de fechamento")
        browser.close()
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        for shot in shots.iterdir():
            shutil.copy(shot, ROOT / "docs" / shot.name)
