"""Rotated credentials survive the process: the secrets file (0600) wins over the environment."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from close.config import Settings
from close.errors import ConfigError
from close.secrets import read_secrets_file, write_secret


def test_a_rotated_token_is_kept_privately_and_wins_over_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    env = {"CLOSE_HOME": str(tmp_path), "CLOSE_SECRET_BR1_REFRESH_TOKEN": "first",
           "CLOSE_SECRET_BR1_CLIENT_ID": "id"}
    assert Settings.from_environ(env).secrets["CLOSE_SECRET_BR1_REFRESH_TOKEN"].get_secret_value() == "first"
    write_secret(path, "CLOSE_SECRET_BR1_REFRESH_TOKEN", "rotated-2nd-9f3")
    write_secret(path, "CLOSE_SECRET_BR2_REFRESH_TOKEN", "other")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    settings = Settings.from_environ(env)
    assert settings.secrets["CLOSE_SECRET_BR1_REFRESH_TOKEN"].get_secret_value() == "rotated-2nd-9f3"
    assert settings.secrets["CLOSE_SECRET_BR1_CLIENT_ID"].get_secret_value() == "id"
    assert "rotated-2nd-9f3" not in repr(settings) and "rotated-2nd-9f3" not in str(settings.secrets)
    assert read_secrets_file(path) == {"CLOSE_SECRET_BR1_REFRESH_TOKEN": "rotated-2nd-9f3",
                                       "CLOSE_SECRET_BR2_REFRESH_TOKEN": "other"}


def test_a_malformed_secrets_file_is_named_but_not_shown(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    path.write_text('["top-secret-value"]')
    with pytest.raises(ConfigError, match="malformed secrets file") as info:
        Settings.from_environ({"CLOSE_SECRETS_FILE": str(path)})
    assert "top-secret-value" not in str(info.value)
