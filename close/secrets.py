"""The secrets file: credentials the close must keep between runs, outside config and database.

Conta Azul and Bling issue a new OAuth refresh token on every refresh and revoke the old one, so
the new token must outlive the process that received it. It is written here — a JSON object of
``CLOSE_SECRET_*`` variable → value, mode 0600, replaced atomically under an exclusive lock — and
read back at start-up, where it takes precedence over the environment (the environment seeds the
first token; delete the file's entry to seed again). Point ``CLOSE_SECRETS_FILE`` at a volume the
workers share when they run on several machines. Values never reach a log, a message or the
database.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

from close.errors import ConfigError


def read_secrets_file(path: Path) -> dict[str, str]:
    """Return the stored secrets (none when the file does not exist).

    Raises:
        ConfigError: the file exists but is not a JSON object of strings (its content is not shown).

    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        raise ConfigError("unreadable secrets file", file=str(path),
                          expected="a JSON object of CLOSE_SECRET_* names to strings") from None
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                             for k, v in data.items()):
        raise ConfigError("malformed secrets file", file=str(path),
                          expected="a JSON object of CLOSE_SECRET_* names to strings")
    return data


def write_secret(path: Path, variable: str, value: str) -> None:
    """Store one secret, replacing the file atomically while holding an exclusive lock."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with (path.parent / f".{path.name}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        secrets = read_secrets_file(path)
        secrets[variable] = value
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(secrets, out, sort_keys=True)
        os.replace(tmp, path)
