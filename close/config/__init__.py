"""Group configuration (one TOML file) and process settings (the environment).

Both are loaded once, at the edge (CLI, worker start-up), into frozen objects that are passed
down; nothing in ``close/`` reads ``os.environ`` or a global. The group TOML's keys are declared
once, as pydantic models in ``close.config.document`` (also its JSON Schema: ``close config
schema``); the records the close passes around are in ``close.config.records``, re-exported here.
Loading errors name the file, the key and what was expected (``close.config.errors``).

The group config is snapshotted into ``run_inputs`` at ``close run`` (its TOML text plus every
file it names), and stages rebuild it from that snapshot with :func:`parse_group_config`.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SecretStr, ValidationError

from close.config.errors import config_error, did_you_mean
from close.config.guard import guard_config
from close.config.records import (
    AI_DEFAULTS,
    DEFAULT_SCORE_WEIGHTS,
    VALIDATION_CATEGORIES,
    Acquisition,
    AiSettings,
    ClassMateriality,
    Disposal,
    Dividend,
    EntityConfig,
    Files,
    GroupConfig,
    IntercompanySettings,
    OwnershipStep,
    PpaIntangible,
    RatioBand,
    ScoreWeight,
    Thresholds,
    ValidationSettings,
    weight_for,
)
from close.config.types import ID_PATTERN
from close.errors import ConfigError
from close.secrets import read_secrets_file

__all__ = [
    "AI_DEFAULTS", "DEFAULT_SCORE_WEIGHTS", "VALIDATION_CATEGORIES", "Acquisition", "AiSettings",
    "ClassMateriality", "Disposal", "Dividend", "EntityConfig", "Files", "GroupConfig",
    "IntercompanySettings", "OwnershipStep", "PpaIntangible", "RatioBand", "ScoreWeight", "Settings",
    "Thresholds", "ValidationSettings", "did_you_mean", "load_group_config", "parse_group_config",
    "weight_for",
]


def parse_group_config(text: str, *, source: str = "config") -> GroupConfig:
    """Parse the TOML text of a group config.

    Args:
        text: the TOML document.
        source: the file name, used in every error message.

    Returns:
        The validated, frozen config.

    Raises:
        ConfigError: naming the file, the key and what was expected.

    """
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", file=source) from None
    # Imported here: the document's model imports connectors.settings (each connector's [source]
    # model), which builds on close.config's types and errors, so a connector imported before
    # close.config would otherwise find this package half-loaded.
    from close.config.document import GroupDocument  # noqa: PLC0415 - lazy: see above

    try:
        document = GroupDocument.model_validate(doc)
    except ValidationError as exc:
        raise config_error(GroupDocument, exc, source) from None
    return document.to_config(source)


def load_group_config(path: Path, environ: Mapping[str, str] | None = None) -> GroupConfig:
    """Read and parse a group config file, its paths confined and no secret in it.

    Args:
        path: the TOML file.
        environ: where ``CLOSE_ALLOWED_ROOTS`` is read (default ``os.environ``; the CLI is an edge).

    Raises:
        ConfigError: when the file cannot be read, is invalid, names a path outside its folder (and
            the allowed roots) or holds something that looks like a secret (close.config.guard).

    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", file=str(path)) from None
    except UnicodeDecodeError:
        raise ConfigError("not UTF-8 text", file=str(path), expected="a UTF-8 TOML file") from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        doc = None  # parse_group_config names the syntax error
    if doc is not None:  # before parsing: no error message may echo a secret value
        guard_config(doc, path, os.environ if environ is None else environ)
    return parse_group_config(text, source=str(path))


def _blank_is_none(value: Any) -> Any:  # noqa: ANN401 - a raw environment value
    """Treat an empty variable as unset (``FOO=`` in a compose file)."""
    return None if value == "" else value


_Url = Annotated[str | None, BeforeValidator(_blank_is_none)]
_SECONDS = {"expected": "a positive number of seconds"}


def _default_home() -> Path:
    return Path.home() / ".local" / "share" / "monthclose"


class Settings(BaseModel):
    """Process settings from the environment, read once by the CLI or the worker.

    A field's alias is its environment variable. The edge passes the environment in
    (:meth:`from_environ`): the model never reads ``os.environ`` behind its caller, so ``Settings()``
    is the defaults and tests stay hermetic. That is also why this is a plain pydantic model and not
    a pydantic-settings ``BaseSettings``, which reads ``os.environ`` itself and has no public source
    over a given mapping.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    database_url: _Url = Field(None, alias="DATABASE_URL")  # None → embedded PostgreSQL (pgserver)
    migrate_url: _Url = Field(None, alias="CLOSE_MIGRATE_URL")  # the owner's login, for migrations only
    broker_url: _Url = Field(None, alias="CLOSE_BROKER_URL")  # None → the canvas runs in-process
    result_backend: _Url = Field(None, alias="CLOSE_RESULT_BACKEND")  # default: the broker URL
    home: Path = Field(default_factory=_default_home, alias="CLOSE_HOME")
    tenant: str = Field("default", alias="CLOSE_TENANT", pattern=ID_PATTERN,
                        json_schema_extra={"expected": "letters, digits, _ . -"})
    actor: str = Field("cli", alias="CLOSE_ACTOR")  # or the OS user: who is recorded in the audit trail
    # No CLOSE_ACTOR: the actor is only a guess ($USER or "cli"), not enough to approve or sign off.
    anonymous_actor: bool = False
    anthropic_api_key: SecretStr | None = Field(None, alias="ANTHROPIC_API_KEY")
    anthropic_base_url: _Url = Field(None, alias="ANTHROPIC_BASE_URL")
    # seconds, above the longest task hard limit
    visibility_timeout: int = Field(3600, alias="CLOSE_VISIBILITY_TIMEOUT", ge=0,
                                    json_schema_extra={"expected": "seconds"})
    bcb_url: _Url = Field(None, alias="CLOSE_BCB_URL")  # the Olinda PTAX root (default: the BCB's)
    ecb_url: _Url = Field(None, alias="CLOSE_ECB_URL")  # the ECB Data Portal root (default: the ECB's)
    # every CLOSE_SECRET_* variable, then the secrets file's rotated tokens over them
    secrets: Mapping[str, SecretStr] = Field(default_factory=dict)
    secrets_file: Path | None = Field(None, alias="CLOSE_SECRETS_FILE")  # default CLOSE_HOME/secrets.json
    # a run with no lease renewed for this long is reaped
    lease_seconds: int = Field(120, alias="CLOSE_LEASE_SECONDS", ge=1, json_schema_extra=_SECONDS)
    # how long a stage retries a lost database
    db_retry_seconds: int = Field(60, alias="CLOSE_DB_RETRY_SECONDS", ge=1, json_schema_extra=_SECONDS)
    user: _Url = Field(None, alias="CLOSE_USER")  # the CLI acts as this user (with CLOSE_TOKEN)
    token: SecretStr | None = Field(None, alias="CLOSE_TOKEN")  # that user's API token
    configs: str = Field("", alias="CLOSE_CONFIGS")  # configs to serve or schedule, ":"-separated
    # soft limit of an extract, seconds
    extract_time_limit: int | None = Field(None, alias="CLOSE_EXTRACT_TIME_LIMIT", ge=1,
                                           json_schema_extra=_SECONDS)

    @classmethod
    def from_environ(cls, env: Mapping[str, str]) -> Settings:
        """Build settings from an environment mapping (``os.environ`` at the edge).

        Raises:
            ConfigError: for a malformed value, naming the variable and what was expected.

        """
        values: dict[str, Any] = {
            info.alias: env[info.alias] for info in cls.model_fields.values()
            if info.alias and env.get(info.alias)}
        values["anonymous_actor"] = "CLOSE_ACTOR" not in values
        values.setdefault("CLOSE_ACTOR", env.get("USER") or "cli")
        if env.get("CLOSE_BROKER_URL"):
            values.setdefault("CLOSE_RESULT_BACKEND", env["CLOSE_BROKER_URL"])
        home = Path(values["CLOSE_HOME"]) if "CLOSE_HOME" in values else _default_home()
        secrets_file = Path(values.setdefault("CLOSE_SECRETS_FILE", str(home / "secrets.json")))
        values["secrets"] = {**{k: v for k, v in env.items() if k.startswith("CLOSE_SECRET_")},
                                    **read_secrets_file(secrets_file)}
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            raise _environment_error(exc) from None


def _environment_error(exc: ValidationError) -> ConfigError:
    """Turn pydantic's first error into one naming the variable (never echoing a secret)."""
    first = exc.errors()[0]
    name = str(first["loc"][0]) if first["loc"] else ""
    field = next((f for f in Settings.model_fields.values() if f.alias == name), None)
    extra = field.json_schema_extra if field is not None else None
    expected = str(extra.get("expected", first["msg"]) if isinstance(extra, dict) else first["msg"])
    shown = "" if "SECRET" in name or "KEY" in name else f"got {first.get('input')!r}"
    return ConfigError(shown or "invalid", key=name, expected=expected)
