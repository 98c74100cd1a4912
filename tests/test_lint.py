"""The repository lints clean with the ruff rules of pyproject.toml (convention 15).

CI runs this test, so the count of findings stays at zero.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_finds_nothing() -> None:
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "--output-format", "concise", "."],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"`ruff check .` found problems:\n{done.stdout}{done.stderr}"
