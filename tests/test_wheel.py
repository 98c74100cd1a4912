"""The installed product starts: a wheel built from this tree runs outside the checkout.

Editable installs see the whole source tree, so a package left out of the distribution only shows
in a real install. This builds the wheel, installs it (without dependencies) into a fresh
virtualenv outside the repository whose dependencies come from the test environment's
site-packages, and runs the commands that ``compose.yaml``'s services run, with ``--help``, then
``close demo`` (its first month) and ``close demo --erp`` to COMPLETED from the installed package
data (the example groups) and ERP fakes (``connectors.fakes``), never the checkout.
"""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
import venv
from pathlib import Path

import pytest
import yaml

from tests.close.run.cli_helpers import cli_env

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``bin`` folder of a fresh virtualenv with the wheel installed."""
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(work / "dist"),
                    str(ROOT)], check=True, capture_output=True)
    wheel = next((work / "dist").glob("monthclose-*.whl"))
    env_dir = work / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    # The dependencies (not monthclose itself: the test environment has it as an editable install,
    # whose finder lives in a .pth that a path added this way does not run).
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    Path(purelib, "test_deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "-q", str(wheel)], check=True,
                   capture_output=True)
    return env_dir / "bin"


def _run(bin_dir: Path, *args: str, cwd: Path, env: dict[str, str] | None = None,
         timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in (env or os.environ).items() if k not in ("PYTHONPATH", "DATABASE_URL")} | (
        {"DATABASE_URL": env["DATABASE_URL"]} if env and "DATABASE_URL" in env else {})
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run(list(args), cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
                          check=False)


def test_the_wheel_imports_its_own_code_not_the_checkout(installed: Path, tmp_path: Path) -> None:
    code = ("import close, close.run.stages, workers, connectors.fakes.erp_launcher as fakes;"
            "from close.cli.demo_setup import DEMO_EXAMPLE, ERP_EXAMPLE;"
            "print(close.__file__, fakes.__file__, DEMO_EXAMPLE.resolve(), ERP_EXAMPLE.resolve(), sep='\\n')")
    done = _run(installed, "python", "-c", code, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    for path in done.stdout.split():
        assert str(ROOT) not in path and "site-packages" in path, path
    assert Path(done.stdout.split()[2], "group.toml").is_file()


def test_every_compose_service_command_starts(installed: Path, tmp_path: Path) -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    commands = [svc["command"] for svc in compose["services"].values()
                if isinstance(svc.get("command"), list) and svc["command"][0] == "close"]
    assert commands, "compose.yaml runs no close command"
    for command in [["close"], *commands]:
        done = _run(installed, *command, "--help", cwd=tmp_path)
        assert done.returncode == 0, f"{command}: {done.stderr[-2000:]}"
        assert "Usage" in done.stdout


@pytest.mark.parametrize("args", [("demo", "--months", "1"), ("demo", "--erp")], ids=["demo", "demo-erp"])
def test_the_demos_close_from_the_installed_package(installed: Path, tmp_path: Path, pg_url: str,
                                                    args: tuple[str, ...]) -> None:
    env = cli_env(pg_url, tmp_path / "home")
    done = _run(installed, "close", *args, cwd=tmp_path, env=env, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    status = _run(installed, "close", "status", "--json", cwd=tmp_path, env=env)
    [run] = json.loads(status.stdout)["runs"]
    assert run["status"] == "COMPLETED", run
