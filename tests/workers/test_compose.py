"""compose.yaml parses, and every command its services run exists (issue 4, acceptance 6)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_every_service_command_exists() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "worker", "beat", "flower"} <= set(services)
    assert all("healthcheck" in services[s] for s in ("postgres", "redis"))
    assert "pgdata" in compose["volumes"]
    commands = [services[s]["command"] for s in services
                if services[s].get("build") or "image" not in services[s]
                or services[s]["image"].startswith("monthclose")]
    assert commands
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    for command in commands:
        if command[0] == "close":
            subcommand = [word for word in command[1:] if not word.startswith("-")][:2]
            help_args = subcommand if subcommand[:1] == ["db"] else subcommand[:1]
            done = subprocess.run([sys.executable, "-c", "from close.cli import main; main()",
                                   *help_args, "--help"], capture_output=True, text=True, check=False)
            assert done.returncode == 0, (command, done.stdout + done.stderr)
        else:
            assert command[:3] == ["celery", "-A", "workers"], command
            assert command[3] == "flower" and any(d.startswith("flower") for d in extras["ops"])
    # The image installs the lock (the ops and web extras' pins included: tests/test_lock.py), then
    # the package without resolving again.
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "-r requirements.lock" in dockerfile and "--no-deps ." in dockerfile


def test_beat_gets_its_configs_and_only_migrate_runs_as_the_owner() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert "groups" in compose["volumes"]
    for name in ("beat", "worker"):
        service = services[name]
        assert any(v.split(":")[:2] == ["groups", "/groups"] for v in service["volumes"]), name
        assert service["environment"]["CLOSE_CONFIGS"].startswith("${CLOSE_CONFIGS:-/groups/"), name
    app_services = [n for n, s in services.items() if s.get("build")]
    assert {"migrate", "worker", "beat", "flower"} <= set(app_services)
    for name in app_services:
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgresql+psycopg://monthclose_app:"), name
        if name == "migrate":
            assert env["CLOSE_MIGRATE_URL"].startswith("postgresql+psycopg://monthclose_owner:")
        else:
            assert "CLOSE_MIGRATE_URL" not in env, name
    postgres = services["postgres"]
    assert postgres["environment"]["POSTGRES_USER"] == "postgres"
    assert "./deploy/postgres:/docker-entrypoint-initdb.d:ro" in postgres["volumes"]
    init = (ROOT / "deploy" / "postgres" / "10-roles.sh").read_text()
    for role in ("monthclose_owner", "monthclose_app"):
        assert f"CREATE ROLE {role} LOGIN NOSUPERUSER" in init
    assert "CREATE DATABASE monthclose OWNER monthclose_owner" in init
