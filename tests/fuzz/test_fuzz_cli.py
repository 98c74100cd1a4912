"""Fuzz through the ``close`` command: generated TB files and group configs, real subprocesses.

``close mapping suggest`` reads the group config and every entity's trial balance from disk (no
database), so a damaged input reaches the same readers a close uses, behind the CLI's own error
handling. Each case must end with exit 0, or exit 1 (bad data) / 2 (bad config) and a message
naming the file — never a traceback or a library's words. A subprocess costs seconds, so only a
few inputs go this way; ``test_fuzz_inputs.py`` tries the bulk at the reader level, and
``tests/close/run/test_raw_input_errors.py`` checks that a real ``close run`` writes nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings

from tests.close.run.small_group import write_group
from tests.fuzz.strategies import group_configs, trial_balance_files

CLI = settings(deadline=None, suppress_health_check=[
    HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large])
LIBRARY_WORDS = ("Traceback", "Error:", "ParserError", "csv.Error", "UnicodeDecodeError", "InvalidOperation")


def _suggest(folder: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLOSE_", "DATABASE_URL", "ANTHROPIC_"))}
    env["COLUMNS"] = "500"  # one message, one line: no wrapping inside a file name
    return subprocess.run(
        [sys.executable, "-c", "from close.cli import main; main()", "mapping", "suggest", "--config",
         str(folder / "group.toml"), "--period", "2026-01", "--output", str(folder / "suggested.csv")],
        capture_output=True, text=True, timeout=240, check=False, env=env)


@settings(CLI, max_examples=6)
@given(data=trial_balance_files)
def test_close_reads_a_damaged_trial_balance_or_names_it(tmp_path_factory, data: bytes) -> None:  # noqa: ANN001
    folder = tmp_path_factory.mktemp("group")
    write_group(folder)
    (folder / "tb" / "S" / "2026-01.csv").write_bytes(data)
    done = _suggest(folder)
    shown = done.stdout + done.stderr
    assert done.returncode in (0, 1), shown
    assert not any(word in shown for word in LIBRARY_WORDS), shown
    if done.returncode:
        assert "tb/S/2026-01.csv" in shown, shown


@settings(CLI, max_examples=4)
@given(text=group_configs())
def test_close_reads_a_damaged_group_config_or_names_it(tmp_path_factory, text: str) -> None:  # noqa: ANN001
    folder = tmp_path_factory.mktemp("group")
    write_group(folder)
    (folder / "group.toml").write_text(text, encoding="utf-8")
    done = _suggest(folder)
    shown = done.stdout + done.stderr
    assert done.returncode in (0, 1, 2), shown
    assert not any(word in shown for word in LIBRARY_WORDS), shown
    if done.returncode == 2:
        assert "group.toml" in shown or "--" in shown, shown
