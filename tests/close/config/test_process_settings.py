"""Process settings: one frozen pydantic model; each field's alias is its environment variable."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from close.config import Settings
from close.errors import ConfigError


def test_the_environment_fills_the_model(tmp_path: Path) -> None:
    s = Settings.from_environ({"DATABASE_URL": "postgresql://app@db/close", "CLOSE_BROKER_URL": "redis://r/0",
                               "CLOSE_HOME": str(tmp_path), "CLOSE_TENANT": "acme", "USER": "ana",
                               "ANTHROPIC_API_KEY": "sk-ant-xyz", "CLOSE_SECRET_BR1_TOKEN": "t0k",
                               "CLOSE_LEASE_SECONDS": "30", "CLOSE_ECB_URL": "", "UNRELATED": "x"})
    assert (s.database_url, s.broker_url, s.result_backend) == ("postgresql://app@db/close", "redis://r/0",
                                                                "redis://r/0")
    assert (s.home, s.tenant, s.actor, s.lease_seconds, s.ecb_url) == (tmp_path, "acme", "ana", 30, None)
    assert s.secrets_file == tmp_path / "secrets.json"
    assert isinstance(s.anthropic_api_key, SecretStr)
    assert s.anthropic_api_key.get_secret_value() == "sk-ant-xyz"
    assert s.secrets["CLOSE_SECRET_BR1_TOKEN"].get_secret_value() == "t0k"
    assert "sk-ant-xyz" not in repr(s) and "t0k" not in repr(s)


def test_defaults_never_read_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOSE_TENANT", "from_env")
    assert Settings().tenant == "default" and Settings(tenant="t").tenant == "t"


def test_frozen_and_closed() -> None:
    s = Settings()
    with pytest.raises(ValidationError):
        s.tenant = "other"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="Extra inputs"):
        Settings(tennant="x")  # type: ignore[call-arg]


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("CLOSE_TENANT", "a b", "letters, digits, _ . -"),
    ("CLOSE_VISIBILITY_TIMEOUT", "soon", "seconds"),
    ("CLOSE_LEASE_SECONDS", "0", "a positive number of seconds"),
    ("CLOSE_EXTRACT_TIME_LIMIT", "-3", "a positive number of seconds"),
])
def test_a_bad_value_names_the_variable_and_what_was_expected(name: str, value: str, expected: str) -> None:
    with pytest.raises(ConfigError) as err:
        Settings.from_environ({name: value})
    assert err.value.key == name
    assert f"expected {expected}" in str(err.value) and repr(value) in str(err.value)


def test_the_cli_user_token_and_served_configs_are_settings_too() -> None:
    s = Settings.from_environ({"CLOSE_USER": "ana", "CLOSE_TOKEN": "tok-1", "CLOSE_CONFIGS": "a.toml:b.toml"})
    assert (s.user, s.configs, s.token.get_secret_value() if s.token else None) == ("ana", "a.toml:b.toml",
                                                                                    "tok-1")
    assert "tok-1" not in repr(s)
