"""The README's Python example runs as written and closes a demo month through ``close.api``."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_the_readme_python_example_reaches_completed(pg_url: str, tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Python API", 1)[1]
    example = re.search(r"```python\n(.*?)```", section, re.S)
    assert example, "the README's Python API section has no example"
    env = {k: v for k, v in os.environ.items()
           if not (k == "DATABASE_URL" or k.startswith(("CLOSE_", "ANTHROPIC_")))}
    env.update(DATABASE_URL=pg_url, CLOSE_HOME=str(tmp_path), CLOSE_TENANT=f"t_{uuid.uuid4().hex[:10]}",
               CLOSE_ACTOR="tester")
    done = subprocess.run([sys.executable, "-c", example.group(1)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    first = done.stdout.splitlines()[0]
    assert first.startswith("COMPLETED ") and first.endswith(".zip"), done.stdout
    assert len(done.stdout.splitlines()) == 4
