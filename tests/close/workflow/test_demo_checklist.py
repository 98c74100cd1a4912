"""Issue 20, acceptance 1 on the demo group: a checklist with a gate before REPORTING.

A copy of examples/demo with examples/demo/checklist.example.toml appended closes one month: the
run waits at the gate (``close status`` says AWAITING_TASKS), ``close tick`` alerts the waiting
gate and each overdue task once (aiosmtpd receives each alert once; a second tick sends none),
``close tasks done`` releases the run and it completes. The package it rendered shows the close's
timeline and checklist as they stood at REPORTING (acceptance 4, second half).
"""

from __future__ import annotations

import hashlib
import io
import shutil
import zipfile
from pathlib import Path

import pdfplumber

from close.cli.demo_setup import DEMO_EXAMPLE
from close.run.stages.reporting import load_package, render_package
from close.storage import Database
from close.storage.runs import get_run
from tests.close.run.cli_helpers import close, close_json
from tests.close.workflow.test_distribution import env_for
from tests.fakes.smtp import USER, SmtpServer

PERIOD = "2025-10"  # the demo's first month: one month, no earlier run needed


def _demo_with_checklist(folder: Path, smtp_port: int) -> Path:
    shutil.copytree(DEMO_EXAMPLE, folder, ignore=shutil.ignore_patterns("out", "__pycache__"))
    config = folder / "group.toml"
    config.write_text(config.read_text(encoding="utf-8") + f"""
[distribution.email]
host = "127.0.0.1"
port = {smtp_port}
starttls = false
username = "{USER}"
sender = "{USER}"

[distribution.email.recipients]
controller = ["controller@example.com"]

[distribution.alerts]
channels = ["email"]
roles = ["controller"]
""" + (folder / "checklist.example.toml").read_text(encoding="utf-8"), encoding="utf-8")
    return config


def _alert_subjects(smtp: SmtpServer) -> list[str]:
    return sorted(str(m["Subject"]) for m in smtp.to("controller@example.com")
                  if "waits at the gate" in str(m["Subject"]) or "Task " in str(m["Subject"]))


def _stored_board_pdf(env: dict[str, str], run_id: str, tmp_path: Path) -> bytes:
    package = tmp_path / "package.zip"
    assert close(env, "package", run_id, "-o", str(package)).returncode == 0
    with zipfile.ZipFile(package) as z:
        pdf = z.read(f"acme-{PERIOD}-board-package.pdf")
    (tmp_path / "board-package.pdf").write_bytes(pdf)  # kept with the test's files, to look at
    return pdf


def _close_status_page(pdf: bytes) -> str:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        pages = [p.extract_text() or "" for p in doc.pages]
    return next(p for p in pages if p.lstrip().startswith("Close status") or "\nClose status\n" in p)


def test_the_demo_waits_at_its_gate_alerts_once_and_completes_when_the_task_is_done(
        pg_url: str, db_session: Database, tmp_path: Path) -> None:
    with SmtpServer() as smtp:
        config = _demo_with_checklist(tmp_path / "acme", smtp.port)
        env = env_for(pg_url, tmp_path / "home", None)
        waiting = close(env, "run", "--config", str(config), "--period", PERIOD)
        assert waiting.returncode == 3, waiting.stdout + waiting.stderr
        run = close_json(env, "status")["runs"][0]
        assert run["status"] == "AWAITING_TASKS"
        assert "AWAITING_TASKS" in close(env, "status").stdout

        # Every task of October 2025 is long overdue: the waiting gate and three tasks, once each.
        first = close_json(env, "tick")
        assert first["released"] == [] and first["alerts_raised"] == 4, first
        subjects = _alert_subjects(smtp)
        assert len(subjects) == 4, subjects
        assert sum("waits at the gate before REPORTING" in s for s in subjects) == 1
        for task in ("accruals", "bank-rec", "package-review"):
            assert sum(f"Task {task} " in s for s in subjects) == 1, (task, subjects)
        assert close_json(env, "tick") == {"released": [], "alerts_raised": 0, "alerts_sent": 0}
        assert _alert_subjects(smtp) == subjects

        evidence = tmp_path / "je-42.txt"
        evidence.write_text("JE 42: October accruals", encoding="utf-8")
        released = close(env, "tasks", "done", "acme", PERIOD, "accruals", "--evidence", str(evidence))
        assert released.returncode == 0, released.stdout + released.stderr
        assert f"run {run['id']} continues" in released.stdout
        assert close_json(env, "status", run["id"])["runs"][0]["status"] == "COMPLETED"

    # The package rendered in REPORTING shows the wait at the gate and the checklist as it stood.
    stored = _stored_board_pdf(env, run["id"], tmp_path)
    page = _close_status_page(stored)
    assert "As at REPORTING" in page
    for status in ("EXTRACTING", "AWAITING_TASKS", "REPORTING"):
        assert status in page
    assert "DISTRIBUTING" not in page
    digest = hashlib.sha256(b"JE 42: October accruals").hexdigest()
    assert digest[:12] in page
    lines = {line.split(":")[0]: line for line in page.splitlines() if line.startswith(
        ("accruals:", "bank-rec:", "package-review:"))}
    assert " done " in lines["accruals"] and "overdue" in lines["bank-rec"], lines
    assert "overdue" in lines["package-review"]

    # A task done after the package was rendered changes nothing in it: rendered again, same bytes.
    assert close(env, "tasks", "done", "acme", PERIOD, "package-review").returncode == 0
    with db_session.for_tenant(env["CLOSE_TENANT"]).tx() as conn:
        completed = get_run(conn, run["id"])
        assert completed is not None
        data, finance = load_package(conn, completed)
    assert render_package(data, finance)[f"acme-{PERIOD}-board-package.pdf"] == stored
