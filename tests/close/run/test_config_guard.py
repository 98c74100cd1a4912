"""Confined paths and secret-looking config: refused with exit 2, naming the key, before anything is
stored (issue 15, acceptance 3)."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest
import sqlalchemy as sa

from close.config import load_group_config
from close.config.guard import check_sources, refuse_secrets
from close.errors import ConfigError
from close.storage import Database
from tests.close.run.cli_helpers import cli_env, close
from tests.close.run.small_group import write_group

MARKER = "Zq7" + "x9Lw2" * 8  # a credential-shaped value; never shown in an error


def _edited(config: Path, old: str, new: str) -> Path:
    text = config.read_text(encoding="utf-8")
    assert old in text, old
    config.write_text(text.replace(old, new, 1), encoding="utf-8")
    return config


ESCAPES = {
    "files.mapping": ('mapping = "mapping.csv"', 'mapping = "../../../../etc/passwd"'),
    "files.rates": ('rates = "rates.csv"', 'rates = "/etc/hostname"'),
    "entities[1].source.path": ('path = "tb/S/{period}.csv"', 'path = "tb/../../outside/{period}.csv"'),
    "distribution.output_dir": ("[rates]", '[distribution]\noutput_dir = "../../x"\n\n[rates]'),
}
SUB_PATH = 'path = "tb/S/{period}.csv"'
SECRETS = {
    "entities[1].source.apikey": (SUB_PATH, f'{SUB_PATH}\napikey = "{MARKER}"'),
    "entities[1].source.passwd": (SUB_PATH, f'{SUB_PATH}\npasswd = "hunter2"'),
    "entities[0].source.credentials": ('path = "tb/P/{period}.csv"',
                                       'path = "tb/P/{period}.csv"\ncredentials = "x"'),
    "group.name": ('name = "Tiny Group"', f'name = "{MARKER}"'),
    "entities[1].source.base_url": (SUB_PATH, f'{SUB_PATH}\nbase_url = "https://user:pa55word@erp.example/api"'),
}


@pytest.mark.parametrize("key", list(ESCAPES))
def test_a_path_leaving_the_config_folder_is_a_config_error_naming_the_key(tmp_path: Path, key: str) -> None:
    config = _edited(write_group(tmp_path / "g"), *ESCAPES[key])
    with pytest.raises(ConfigError, match="leaves the config's folder") as info:
        load_group_config(config, {})
    assert info.value.key == key


def test_an_adjustment_outside_is_refused_and_an_allowed_root_is_let_in(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    config = _edited(write_group(tmp_path / "g"), 'opening_balances = "opening.csv"',
                     'opening_balances = "opening.csv"\nadjustments = ["../shared/journal.csv"]')
    with pytest.raises(ConfigError) as info:
        load_group_config(config, {})
    assert info.value.key == "files.adjustments[0]"
    load_group_config(config, {"CLOSE_ALLOWED_ROOTS": os.pathsep.join(["/nonexistent", str(shared)])})


def test_a_symlink_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    config = write_group(tmp_path / "g")
    (tmp_path / "elsewhere.csv").write_text("entity,account,std_account\n", encoding="utf-8")
    (tmp_path / "g" / "mapping.csv").unlink()
    (tmp_path / "g" / "mapping.csv").symlink_to(tmp_path / "elsewhere.csv")
    with pytest.raises(ConfigError) as info:
        load_group_config(config, {})
    assert info.value.key == "files.mapping"


@pytest.mark.parametrize("key", list(SECRETS))
def test_a_secret_looking_key_or_value_is_refused_without_showing_it(tmp_path: Path, key: str) -> None:
    config = _edited(write_group(tmp_path / "g"), *SECRETS[key])
    with pytest.raises(ConfigError) as info:
        load_group_config(config, {})
    assert info.value.key == key
    for shown in (MARKER, "hunter2", "pa55word"):
        assert shown not in str(info.value)


def test_env_names_token_urls_and_ids_are_not_secrets(tmp_path: Path) -> None:
    config = _edited(write_group(tmp_path / "g"), SUB_PATH,
                     f'{SUB_PATH}\napp_key_env = "CLOSE_SECRET_SUB_LTDA_APP_KEY_FOR_OMIE_2024"\n'
                     'token_url = "https://auth.example/oauth2/token"')
    refuse_secrets(tomllib.loads(config.read_text(encoding="utf-8")), str(config))  # no secret in it
    with pytest.raises(ConfigError) as info:  # but the file connector's source model knows neither key
        load_group_config(config, {})
    assert info.value.key == "entities[1].source.app_key_env" and "secret" not in str(info.value)


def test_check_sources_builds_each_connector_offline(tmp_path: Path) -> None:
    """What the models cannot know is checked by building the connector: here, a file's path."""
    entities = load_group_config(_edited(write_group(tmp_path / "g"), SUB_PATH, "sheet = 1"), {}).entities
    with pytest.raises(ConfigError) as info:
        check_sources(entities)
    assert info.value.key == "source.path" and "entity S " in str(info.value)


def _stored(db: Database) -> tuple[int, int]:
    with db.tx() as conn:
        return (conn.execute(sa.text("SELECT count(*) FROM close_runs")).scalar_one(),
                conn.execute(sa.text("SELECT count(*) FROM run_inputs")).scalar_one())


@pytest.mark.parametrize("case", ["escape", "secret", "unknown source key"])
def test_close_run_refuses_with_exit_2_and_stores_nothing(pg_url: str, db_session: Database,
                                                          tmp_path: Path, case: str) -> None:
    config = write_group(tmp_path / "g")
    if case == "escape":
        _edited(config, *ESCAPES["files.mapping"])
        key = "files.mapping"
    elif case == "secret":
        _edited(config, *SECRETS["entities[1].source.apikey"])
        key = "entities[1].source.apikey"
    else:
        _edited(config, SUB_PATH, f'{SUB_PATH}\nsheeet = "x"')
        key = "entities[1].source.sheeet"
    env = cli_env(pg_url, tmp_path / "home")
    done = close(env, "run", "--config", str(config), "--period", "2026-01")
    assert done.returncode == 2, done.stdout + done.stderr
    message = " ".join(done.stderr.split())
    assert key in message and "Traceback" not in message and MARKER not in done.stdout + done.stderr, message
    assert _stored(db_session.for_tenant(env["CLOSE_TENANT"])) == (0, 0)
