"""``close connectors check`` reports, per entity, the API version and the fields not sent."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from close.cli.demo_setup import ERP_EXAMPLE, with_source_settings
from close.config import load_group_config
from connectors.fakes.erp_launcher import erp_demo_sources, start_erp_fakes, stop_erp_fakes
from connectors.settings import secret_env_var


@pytest.fixture(scope="module")
def group(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """The ERP example pointed at the launched fakes, and the environment with their secrets."""
    sources = erp_demo_sources(start_erp_fakes())
    folder = tmp_path_factory.mktemp("erp")
    shutil.copytree(ERP_EXAMPLE, folder, dirs_exist_ok=True)
    path = folder / "group.toml"
    config = load_group_config(path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLOSE_", "DATABASE_URL"))}
    overrides = {}
    for entity in config.entities:
        if entity.connector in sources:
            settings, secrets = sources[entity.connector]
            overrides[entity.id] = settings
            env.update({secret_env_var(entity.id, k, entity.source): v for k, v in secrets.items()})
    path.write_text(with_source_settings(path.read_text(encoding="utf-8"), overrides),
                    encoding="utf-8")
    yield path, env
    stop_erp_fakes()


def check(group: tuple[Path, dict[str, str]], *extra: str) -> subprocess.CompletedProcess[str]:
    path, env = group
    return subprocess.run([sys.executable, "-c", "from close.cli import main; main()",
                           "connectors", "check", "--config", str(path), *extra],
                          env=env, capture_output=True, text=True, timeout=120, check=False)


def test_json_names_each_entitys_api_version_and_unread_fields(group) -> None:
    done = check(group, "--json")
    assert done.returncode == 0, done.stderr
    rows = {r["entity"]: r for r in json.loads(done.stdout)}
    assert rows["TOTVS"]["api_version"].startswith("RM ctb/v1")
    assert rows["OMIE"]["api_version"].startswith("Omie API v1")
    assert all(r["ok"] and isinstance(r["unread"], list) for r in rows.values())
    assert rows["TOTVS"]["unread"] == [] and rows["OMIE"]["unread"] == []


def test_table_has_the_version_and_unread_columns(group) -> None:
    done = check(group)
    assert done.returncode == 0, done.stderr
    assert "api_version" in done.stdout and "unread" in done.stdout
