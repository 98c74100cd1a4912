"""The web process over the test database: users of every role, the demo group, one closed month."""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from close.api import CloseSession
from close.config import Settings
from close.run.env import StageEnv
from close.storage import Database
from close.users import Role, add_user
from close.web.app import create_app, load_groups

ROOT = Path(__file__).resolve().parents[2]
DEMO_PERIOD = "2025-10"
SETTLED = {"COMPLETED", "FAILED", "CANCELLED", "AWAITING_REVIEW"}


@pytest.fixture(scope="session")
def web_db(db_session: Database) -> Database:
    return db_session.for_tenant(f"web_{uuid.uuid4().hex[:10]}")


@pytest.fixture(scope="session")
def demo_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("demo") / "demo"
    shutil.copytree(ROOT / "examples" / "demo", target, ignore=shutil.ignore_patterns("out", "__pycache__"))
    return target / "group.toml"


def make_users(db: Database) -> dict[str, str]:
    """One user per role, named after it, and a second preparer; their tokens by name."""
    made = {role.value: add_user(db, role.value, role.value, created_by="test") for role in Role}
    made["preparer2"] = add_user(db, "preparer2", "preparer", created_by="test")
    return made


def make_app(db: Database, config: Path, home: Path) -> FastAPI:
    """The web app over ``db`` that may close the demo group."""
    session = CloseSession(StageEnv(db=db, settings=Settings(home=home), actor="server")).install()
    return create_app(session, load_groups([config]), session_secret=uuid.uuid4().hex, login_limit=50)


@pytest.fixture(scope="session")
def tokens(web_db: Database) -> dict[str, str]:
    return make_users(web_db)


@pytest.fixture(scope="session")
def web_app(web_db: Database, demo_config: Path, tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return make_app(web_db, demo_config, tmp_path_factory.mktemp("home"))


@pytest.fixture(scope="session")
def client(web_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(web_app) as c:
        yield c


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def wait_settled(client: TestClient, token: str, run_id: str, timeout: float = 300) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        run = client.get(f"/api/v1/runs/{run_id}", headers=bearer(token)).json()["run"]
        if run["status"] in SETTLED or time.monotonic() > deadline:
            return run
        time.sleep(0.5)


@pytest.fixture(scope="session")
def demo_run(client: TestClient, tokens: dict[str, str]) -> dict[str, Any]:
    """The demo's first month closed through the API by the preparer (reviewed when it stops)."""
    started = client.post("/api/v1/runs", json={"group": "acme", "period": DEMO_PERIOD},
                          headers=bearer(tokens["preparer"]))
    assert started.status_code == 202, started.text
    return wait_settled(client, tokens["preparer"], started.json()["id"])
