"""The Docker image installs from requirements.lock: it pins every dependency pyproject declares.

The Dockerfile installs the lock, then monthclose with ``--no-deps``; a dependency added to
pyproject (base, ``ops`` or ``web``) but not locked would be missing from the image.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
# The package each extra of a declared dependency brings (celery[redis], psycopg[binary]).
EXTRA_PACKAGES = {("celery", "redis"): "redis", ("psycopg", "binary"): "psycopg-binary",
                  ("reportlab", "accel"): "rl-accel"}


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"not pinned: {line!r}"
            pins[canonicalize_name(name)] = version.strip()
    return pins


def _declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]
    return [Requirement(r) for r in [*project["dependencies"], *extras["ops"], *extras["web"]]]


def test_the_lock_pins_every_declared_dependency_within_its_range() -> None:
    pins = _pins()
    for req in _declared():
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is declared in pyproject.toml but not in requirements.lock"
        assert req.specifier.contains(pins[name], prereleases=True), f"{name}=={pins[name]} breaks {req}"
        for extra in req.extras:
            brought = EXTRA_PACKAGES[(name, extra)]
            assert brought in pins, f"{req} needs {brought}, which is not in requirements.lock"


def test_the_dockerfile_installs_the_lock_and_the_package_without_resolving_again() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "pip install --no-cache-dir -r requirements.lock" in dockerfile
    assert "pip install --no-cache-dir --no-deps ." in dockerfile
    assert dockerfile.index("requirements.lock") < dockerfile.index("--no-deps")
