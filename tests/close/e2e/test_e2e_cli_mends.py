"""CLI corners a user meets on the finished demo close: previews, account traces, clean stderr."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.close.run.cli_helpers import close
from tests.close.run.demo_close import DemoClose


def test_package_preview_renders_every_pdf_page(demo_close: DemoClose, tmp_path: Path) -> None:
    run_id = demo_close.latest["id"]
    done = close(demo_close.env, "package", run_id, "--output", str(tmp_path / "p.zip"),
                 "--preview", str(tmp_path / "pages"))
    assert done.returncode == 0, done.stderr
    pages = sorted((tmp_path / "pages").glob("*.png"))
    assert pages and all(p.stat().st_size > 1000 for p in pages)
    assert f"{len(pages)} preview pages" in done.stdout


def test_show_traces_an_account_in_text_mode(demo_close: DemoClose) -> None:
    done = close(demo_close.env, "show", demo_close.latest["id"], "--account", "1100")
    assert done.returncode == 0, done.stderr
    assert "Account 1100: translated lines" in done.stdout
    assert "Account 1100: journal lines" in done.stdout


def test_the_embedded_database_prints_no_runtime_dir_warning(tmp_path: Path) -> None:
    """Servers have no XDG_RUNTIME_DIR; platformdirs warned about it on every command."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "XDG_RUNTIME_DIR") and not k.startswith("CLOSE_")}
    env["CLOSE_HOME"] = str(tmp_path)
    try:
        done = subprocess.run([sys.executable, "-c", "from close.cli import main; main()", "status"], env=env,
                              capture_output=True, text=True, timeout=180, check=False)
        assert done.returncode == 0, done.stderr
        assert "Warning" not in done.stderr, done.stderr
    finally:
        import pgserver.postgres_server as embedded

        subprocess.run([str(embedded.POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(tmp_path / "pg"), "stop",
                        "-m", "immediate"], capture_output=True, check=False, timeout=60)
