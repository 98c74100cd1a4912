"""REPORTING in parts: the workbook, the deck and the PDFs render as separate checkpoints, then the
whole stage finishes the package. A redelivered part changes nothing, a resume renders only what
is missing, and the package is the same whichever way it was rendered.
"""

from __future__ import annotations

import csv
import hashlib
import io

import openpyxl
import sqlalchemy as sa

from close.config import Settings
from close.run.dispatch import build_canvas
from close.run.env import StageEnv
from close.run.stages import run_stage
from close.run.stages.reporting import REPORT_PARTS, load_package, render_package
from close.run.state import STAGE_PARTS, RunStatus
from close.storage import Database
from close.storage.artifacts import list_artifacts
from close.storage.runs import Run, done_stages, events, get_run
from reports.package import PARTS
from tests.reports.test_load import full_run


def _at_analyzing(db: Database) -> Run:
    run = full_run(db)
    with db.tx() as conn:
        conn.execute(sa.text("UPDATE close_runs SET status = 'ANALYZING' WHERE id = CAST(:r AS uuid)"),
                     {"r": run.id})
    return run


def _files(db: Database, run: Run) -> dict[str, str]:
    with db.tx() as conn:
        return {a.name: a.sha256 for a in list_artifacts(conn, run.id)}


def test_the_canvas_names_the_same_parts_the_package_renders() -> None:
    assert STAGE_PARTS[RunStatus.REPORTING] == REPORT_PARTS == tuple(PARTS)


def test_parts_then_the_whole_stage_store_each_file_once(db: Database) -> None:
    run = _at_analyzing(db)
    env = StageEnv(db=db, settings=Settings())
    assert run_stage(env, run.id, RunStatus.REPORTING, "deck") is True
    assert run_stage(env, run.id, RunStatus.REPORTING, "deck") is False  # a redelivery: nothing
    deck_only = _files(db, run)
    assert [n.endswith(".pptx") for n in deck_only] == [True]
    # The whole stage renders what is missing (workbook, PDFs), keeps the deck, and is DONE.
    assert run_stage(env, run.id, RunStatus.REPORTING) is True
    files = _files(db, run)
    assert files.items() >= deck_only.items() and len(files) == 6
    with db.tx() as conn:
        assert ("REPORTING", "") in done_stages(conn, run.id)
        done = [e for e in events(conn, run.id) if e["kind"] == "stage_done" and e["stage"] == "REPORTING"]
        current = get_run(conn, run.id)
        assert current is not None
        data, finance = load_package(conn, current)
    assert [e["entity_id"] for e in done] == ["deck", None]
    assert done[1]["detail"]["files"] == dict(sorted(files.items()))
    # The same bytes as rendering the whole package at once (sign-off, tests).
    rendered = render_package(data, finance)
    assert {n: f for n, f in files.items() if not n.endswith(".csv")} == {
        n: hashlib.sha256(c).hexdigest() for n, c in rendered.items()}


def test_the_workbook_sums_each_entity_and_the_csv_holds_every_line(db: Database) -> None:
    run = _at_analyzing(db)
    env = StageEnv(db=db, settings=Settings())
    assert run_stage(env, run.id, RunStatus.REPORTING, "workbook") is True
    with db.tx() as conn:
        stored = {n: c for n, c in (conn.execute(sa.text(
            "SELECT name, content FROM artifacts WHERE run_id = CAST(:r AS uuid)"), {"r": run.id}).all())}
    assert sorted(stored) == ["atlas-2025-06-board-package.xlsx", "atlas-2025-06-trial-balance-lines.csv"]
    lines = list(csv.DictReader(io.StringIO(bytes(stored["atlas-2025-06-trial-balance-lines.csv"]).decode())))
    assert [(r["entity"], r["account"], r["std_account"], r["closing"]) for r in lines] == [
        ("BR1", "1.01", "1000", "100000.00"), ("BR1", "3.01", "", "-1000000.00")]
    book = openpyxl.load_workbook(io.BytesIO(bytes(stored["atlas-2025-06-board-package.xlsx"])))
    ws = book["Trial Balance"]
    rows = [r for r in ws.iter_rows(min_row=6, values_only=True) if r[0]]
    assert rows == [("BR1", "BRL", 2, -755000, 5000, 150000, "=D6+E6-F6")]  # one row per entity
    assert "atlas-2025-06-trial-balance-lines.csv" in ws["A4"].value


def test_the_canvas_renders_the_parts_in_parallel_on_the_reports_queue() -> None:
    from close.run.broker import TASK_ROUTES

    canvas = build_canvas("r1", from_stage=RunStatus.ANALYZING, entities=[])
    analyze, reporting = canvas.tasks
    assert analyze.task == "close.analyze"
    assert [(t.task, t.args) for t in reporting.tasks] == [
        ("close.report_part", ("r1", p)) for p in REPORT_PARTS]
    # Celery folds the task after a chord into the chord's body: report, then distribute.
    assert [t.task for t in reporting.body.tasks] == ["close.report", "close.distribute"]
    assert TASK_ROUTES["close.report_part"] == TASK_ROUTES["close.report"] == {"queue": "reports"}


def test_in_process_the_one_report_task_renders_the_parts_one_after_another() -> None:
    canvas = build_canvas("r1", from_stage=RunStatus.ANALYZING, entities=[], parallel=False)
    assert [t.task for t in canvas.tasks] == ["close.analyze", "close.report", "close.distribute"]
