"""What a group config may not hold: paths leaving its folder, and anything that looks like a secret.

Both checks run on the whole document before anything is read or stored (``load_group_config``
calls :func:`guard_config`, before the source tables are validated against their connectors' models
in ``connectors.settings``). ``create_close_run`` adds :func:`check_sources`, which builds every
entity's connector once, for what only the connector knows (a file source's ``path``, TOTVS's
``base_url``, a plugin connector's own settings).

Paths: every file the config names (``[files]``, ``adjustments``, ``[distribution] output_dir``, an
entity source's ``path``) must resolve — ``..`` and symlinks followed — inside the config's folder,
or inside a root the operator lists in ``CLOSE_ALLOWED_ROOTS`` (``os.pathsep``-separated).

Secrets: a key with a word built on one of :data:`SECRET_WORDS` is refused unless it names an
environment variable (``…_env``) or a URL (``…_url``); a string value that looks like a credential
(a known token prefix, a JWT, a private key, a URL with a password, or a long high-entropy word)
is refused wherever it appears. The error names the key, never the value.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from close.errors import ConfigError

SECRET_WORDS = ("key", "secret", "password", "passwd", "pwd", "token", "credential", "private")
# Per word of the key (split at _ - . and camelCase): "apikey", "client_secret", "passwd" and
# "refresh_token" are refused; "max_tokens" (a count) is not.
_SECRET_WORD = re.compile(r"^(\w*key|\w*secrets?\w*|\w*passw(or)?d\w*|pwd|\w*token|credentials?|private\w*)$")
_HARMLESS_SUFFIXES = ("_env", "_url")
_SECRET_VALUES = (
    re.compile(r"^(sk|pk|rk)[-_](live|test|ant|proj)?[-_]?[A-Za-z0-9_-]{16,}"),  # Stripe, Anthropic, OpenAI
    re.compile(r"^(ghp|gho|ghs|ghu|github_pat|glpat|xox[abprs])[-_][A-Za-z0-9_-]{10,}"),  # GitHub, Slack
    re.compile(r"^(AKIA|ASIA)[0-9A-Z]{16}$"),  # AWS access key id
    re.compile(r"^eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\."),  # a JWT
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"^[a-z][a-z0-9+.-]*://[^/@\s:]*:[^/@\s]+@"),  # a URL carrying a password
)
_UUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_OPAQUE = re.compile(r"^[A-Za-z0-9+/=_-]{32,}$")
_PERIOD_SAMPLE = "2000-01"


def _walk(node: Any, prefix: str) -> Iterator[tuple[str, str, Any]]:  # noqa: ANN401 - TOML values
    """Yield ``(dotted key, last key, value)`` for every value of a TOML document, tables entered."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            dotted = f"{prefix}.{key}" if prefix else str(key)
            yield dotted, str(key), value
            yield from _walk(value, dotted)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield f"{prefix}[{i}]", "", value
            yield from _walk(value, f"{prefix}[{i}]")


def secret_looking_key(key: str) -> bool:
    """Whether a config key names a secret (``…_env`` and ``…_url`` keys name where one is)."""
    if key.lower().endswith(_HARMLESS_SUFFIXES):
        return False
    words = re.split(r"[_\-.\s]+|(?<=[a-z0-9])(?=[A-Z])", key)
    return any(_SECRET_WORD.match(word.lower()) for word in words if word)


def looks_like_a_secret(value: str) -> bool:
    """Whether a config string looks like a credential rather than a name, path, URL or number."""
    text = value.strip()
    if any(p.search(text) for p in _SECRET_VALUES):
        return True
    if _UUID.match(text) or not _OPAQUE.match(text):
        return False
    # A long opaque word: a token when it mixes digits and letters (not an ENV_VAR_NAME).
    return bool(re.search(r"\d", text) and re.search(r"[a-z]", text))


def refuse_secrets(doc: Mapping[str, Any], source: str) -> None:
    """Refuse a config holding a secret-looking key or value, naming the key only.

    Raises:
        ConfigError: the first offending key.

    """
    for dotted, key, value in _walk(doc, ""):
        if key and secret_looking_key(key):
            raise ConfigError("secrets never go in the config file", file=source, key=dotted,
                              expected=f"{key}_env naming an environment variable (CLOSE_SECRET_…)")
        if isinstance(value, str) and not key.lower().endswith("_env") and looks_like_a_secret(value):
            raise ConfigError("the value looks like a credential (not shown); secrets never go in the "
                              "config file", file=source, key=dotted,
                              expected="a CLOSE_SECRET_… environment variable named by a …_env key")


def allowed_roots(environ: Mapping[str, str]) -> tuple[Path, ...]:
    """Return the extra roots config paths may reach: ``CLOSE_ALLOWED_ROOTS``, ``os.pathsep``-separated."""
    raw = environ.get("CLOSE_ALLOWED_ROOTS", "")
    return tuple(Path(p).expanduser().resolve() for p in raw.split(os.pathsep) if p.strip())


def _named_paths(doc: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """``(key, path)`` for every path the document names (values as written)."""
    files = doc.get("files")
    if isinstance(files, Mapping):
        for key, value in files.items():
            if isinstance(value, str):
                yield f"files.{key}", value
            elif isinstance(value, list):
                yield from ((f"files.{key}[{i}]", v) for i, v in enumerate(value) if isinstance(v, str))
    distribution = doc.get("distribution")
    if isinstance(distribution, Mapping) and isinstance(distribution.get("output_dir"), str):
        yield "distribution.output_dir", distribution["output_dir"]
    entities = doc.get("entities")
    for i, entity in enumerate(entities if isinstance(entities, list) else []):
        source = entity.get("source") if isinstance(entity, Mapping) else None
        if isinstance(source, Mapping):
            for key, value in source.items():
                if isinstance(value, str) and (key == "path" or key.endswith(("_path", "_file", "_dir"))):
                    yield f"entities[{i}].source.{key}", value.replace("{period}", _PERIOD_SAMPLE)


def confine_paths(doc: Mapping[str, Any], config_path: Path, environ: Mapping[str, str]) -> None:
    """Refuse any path of the document that resolves outside the config's folder and the allowed roots.

    Raises:
        ConfigError: naming the key and the folder it must stay in.

    """
    base = config_path.resolve().parent
    roots = (base, *allowed_roots(environ))
    for key, value in _named_paths(doc):
        if "\x00" in value or not value.strip():
            raise ConfigError("not a usable path", file=str(config_path), key=key,
                              expected="a file path relative to the config's folder")
        target = (base / value).resolve()
        if not any(target.is_relative_to(root) for root in roots):
            raise ConfigError(f"path {value!r} leaves the config's folder", file=str(config_path), key=key,
                              expected=f"a path inside {base} (or a root listed in CLOSE_ALLOWED_ROOTS)")


def guard_config(doc: Mapping[str, Any], config_path: Path, environ: Mapping[str, str]) -> None:
    """Run both checks on a parsed group config document (before anything is read or stored)."""
    refuse_secrets(doc, str(config_path))
    confine_paths(doc, config_path, environ)


def check_sources(entities: Any) -> None:  # noqa: ANN401 - close.config.EntityConfig items
    """Build each entity's connector once, offline, so bad source settings are refused up front.

    The connector gets placeholder secrets and no file reader: only its settings are checked.

    Raises:
        ConfigError: an unknown connector or a setting it refuses, naming entity and key.

    """
    from connectors.base import ConnectorContext
    from connectors.registry import connector_class

    def no_files(name: str) -> bytes:
        raise ConfigError(f"{name} is not read while the config is checked")

    for entity in entities:
        cls = connector_class(entity.connector, entity=entity.id)
        placeholders = {name: "placeholder" for name in cls.SETTINGS.SECRETS}
        connector = cls(dict(entity.source), ConnectorContext(entity=entity.id, currency=entity.currency,
                                                              open_file=no_files, secrets=placeholders))
        connector.disconnect()
