"""The layering of the close is enforced: import-linter's contracts in pyproject.toml hold.

The contracts (``[tool.importlinter]``): cli → web/mcp/workers → api → run → reports | checks →
analysis → engine; the engine imports no SQL, HTTP, Celery, storage or run control; checks and
analysis hold no SQL; the CLI and the workers import only the API; the modules of engine, checks,
analysis, cli and run import no cycle. A second test lints a tiny fixture with two wrong imports
(an engine module importing storage, a task importing run control) with a copy of the same
contracts and expects them to fail naming each, so a contract that checks nothing is caught.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "layers_bad"
# Run lint-imports through its Python API in a fresh interpreter, from the directory whose
# packages it lints (it puts the working directory first on sys.path), without a cache directory.
LINT = ("import sys; from importlinter.cli import lint_imports; "
        "sys.exit(lint_imports(config_filename=sys.argv[1], no_cache=True, no_logo=True))")


def _lint(cwd: Path, config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", LINT, str(config)], cwd=cwd, capture_output=True,
                          text=True, timeout=300, check=False)


def _toml(value: object) -> str:
    # JSON strings, lists and booleans are valid TOML values.
    return json.dumps(value, ensure_ascii=False)


def _contracts_copy(path: Path) -> Path:
    """Write pyproject's import-linter section alone, ignores that the fixture lacks not alerting."""
    linter = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    lines = ["[tool.importlinter]"]
    lines += [f"{key} = {_toml(value)}" for key, value in linter.items() if key != "contracts"]
    for contract in linter["contracts"]:
        lines += ["", "[[tool.importlinter.contracts]]"]
        lines += [f"{key} = {_toml(value)}" for key, value in contract.items()]
        # The fixture has none of the real code's ignored imports (config's section parsers).
        lines.append('unmatched_ignore_imports_alerting = "none"')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_contracts_hold() -> None:
    done = _lint(ROOT, ROOT / "pyproject.toml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    for contract in contracts["contracts"]:
        assert f"{contract['name']} KEPT" in done.stdout, done.stdout


def test_a_wrong_import_breaks_the_contracts(tmp_path: Path) -> None:
    done = _lint(FIXTURE, _contracts_copy(tmp_path / "contracts.toml"))
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert "The engine is pure: no SQL, HTTP, Celery, storage, run control or the edges BROKEN" in out
    assert "close.engine is not allowed to import close.storage" in out
    assert "close.engine.fx -> close.storage" in out  # the fixture's wrong import, named
    assert "The workers reach the close only through close.api BROKEN" in out
    assert "workers.tasks -> close.run" in out  # the task that skips the API, named
    # Nothing else is wrong in the fixture: the other contracts hold.
    assert "Checks and analysis hold no SQL, Celery or run control KEPT" in out
