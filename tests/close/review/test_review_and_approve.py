"""A red score stops for review; approval with a note completes it; a top-side journal corrects it later.

Issue 10, acceptance 2 (the red-score half) and 5: ``close review RUN --json`` lists every finding
with its evidence, and the score is recomputed from those findings alone. One red run per module:
its review is taken before the approval test approves it.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import openpyxl
import pypdf
import pytest

from close.checks import light_of, score_of
from close.config import DEFAULT_SCORE_WEIGHTS, ScoreWeight, Settings, load_group_config
from close.errors import ConfigError
from close.run.env import StageEnv
from close.run.review import approve, findings
from close.storage import Database
from close.storage.runs import events
from tests.close.review.review_group import RECLASS_JOURNAL, checks_of, write_red_group
from tests.close.run.cli_helpers import cli_env, close, close_json

FINDING_FIELDS = {
    "code",
    "category",
    "severity",
    "entity",
    "account",
    "expected",
    "actual",
    "difference",
    "message",
    "waived_by",
    "waived_reason",
    "waived_at",
}
NOTE = "current ratio reviewed with the CFO"
BUDGET_WAIVER = "budget predates the new product line"


@dataclass(frozen=True)
class RedRun:
    """A run stopped at AWAITING_REVIEW: its environment, config, ``close run --json`` and review."""

    env: dict[str, str]
    config: Path
    run: dict
    review: dict


@pytest.fixture(scope="module")
def red_run(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> RedRun:
    """One red run and its ``close review --json``, taken before anyone approves it."""
    folder = tmp_path_factory.mktemp("red")
    config = write_red_group(folder / "group")
    env = cli_env(pg_url, folder / "home")
    done = close(env, "run", "--config", str(config), "--period", "2026-01", "--json")
    assert done.returncode == 3, done.stdout + done.stderr
    run = json.loads(done.stdout)
    return RedRun(env, config, run, close_json(env, "review", run["id"]))




def _pdf_text(data: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages).split())


def test_red_score_stops_for_review_and_the_json_findings_recompute_the_score(red_run: RedRun) -> None:
    run, review = red_run.run, red_run.review
    assert run["status"] == "AWAITING_REVIEW" and run["validation_score"] == "70.00"
    assert review["status"] == "AWAITING_REVIEW" and review["score"] == "70.00"
    assert len(review["findings"]) >= 20  # every check reports, passes included
    assert all(FINDING_FIELDS <= set(f) for f in review["findings"])
    raised = {f["code"]: f for f in review["findings"] if f["severity"] != "pass"}
    assert set(raised) == {"FLUX_BUDGET", "RATIO_OUT_OF_BAND"}
    budget = raised["FLUX_BUDGET"]
    assert (budget["category"], budget["severity"], budget["entity"], budget["account"]) == (
        "reasonableness",
        "warn",
        None,
        "4000",
    )
    assert (budget["expected"], budget["actual"], budget["difference"]) == ("-1000.00", "-30.75", "969.25")
    assert "expected -1000.00 != actual -30.75" in budget["message"]
    ratio = raised["RATIO_OUT_OF_BAND"]
    assert (ratio["expected"], ratio["actual"], ratio["difference"]) == ("1 .. inf", "0.25", "-0.75")
    assert all(f["waived_by"] is None for f in review["findings"])

    # The group weighs reasonableness at 15 a warning: the JSON carries those weights, and the
    # score follows from the findings and them alone (the documented defaults would give 99.00).
    weights = tuple(
        ScoreWeight(w["category"], Decimal(w["fail"]), Decimal(w["warn"]), Decimal(w["cap"]))
        for w in review["weights"]
    )
    assert weights == load_group_config(red_run.config).validation.weights
    assert next(w for w in weights if w.category == "reasonableness").warn == Decimal(15)
    score = score_of(checks_of(review["findings"]), weights)
    assert score == Decimal(review["score"]) == Decimal("70.00") and light_of(score) == "red"
    assert score_of(checks_of(review["findings"]), DEFAULT_SCORE_WEIGHTS) == Decimal("99.00")


def test_approval_completes_with_the_waivers_in_events_and_package_then_a_top_side_journal_corrects_it(
    red_run: RedRun, db_session: Database, tmp_path: Path
) -> None:
    env, run = red_run.env, red_run.run
    db = db_session.for_tenant(env["CLOSE_TENANT"])
    with pytest.raises(ConfigError, match="--reason"):
        approve(StageEnv(db=db, settings=Settings(), actor="tester"), run["id"], "  ", {})

    done = close(
        env, "approve", run["id"], "--note", NOTE, "--waive", f"FLUX_BUDGET={BUDGET_WAIVER}", "--json"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    approved = json.loads(done.stdout)
    assert approved["status"] == "COMPLETED"

    with db.tx() as conn:
        trail = events(conn, run["id"])
        items = findings(conn, run["id"])
    approval = [e for e in trail if e["kind"] == "approved"]
    assert len(approval) == 1 and approval[0]["actor"] == "tester"
    assert approval[0]["detail"]["reason"] == NOTE and NOTE in approval[0]["message"]
    assert approval[0]["detail"]["waivers"] == {"FLUX_BUDGET": BUDGET_WAIVER}
    moves = [(e["detail"]["from"], e["detail"]["to"]) for e in trail if e["kind"] == "transition"]
    assert ("VALIDATING", "AWAITING_REVIEW") in moves and ("AWAITING_REVIEW", "ANALYZING") in moves
    assert moves[-1] == ("DISTRIBUTING", "COMPLETED")
    waivers = {f["code"]: (f["waived_by"], f["waived_reason"]) for f in items if f["severity"] != "pass"}
    assert waivers == {"FLUX_BUDGET": ("tester", BUDGET_WAIVER), "RATIO_OUT_OF_BAND": ("tester", NOTE)}
    assert all(f["waived_by"] is None for f in items if f["severity"] == "pass")

    with zipfile.ZipFile(approved["package"]) as package:
        names = package.namelist()
        workbook = openpyxl.load_workbook(
            io.BytesIO(package.read(next(n for n in names if n.endswith(".xlsx"))))
        )
        board_pdf = _pdf_text(package.read(next(n for n in names if n.endswith("-board-package.pdf"))))
    rows = [r for r in workbook["Validation"].iter_rows(values_only=True) if r and r[0]]
    header = rows.index(next(r for r in rows if r[0] == "Code"))
    by_code = {r[0]: dict(zip(rows[header], r, strict=True)) for r in rows[header + 1 :]}
    assert (by_code["FLUX_BUDGET"]["Waived by"], by_code["FLUX_BUDGET"]["Waiver reason"]) == (
        "tester",
        BUDGET_WAIVER,
    )
    assert (by_code["RATIO_OUT_OF_BAND"]["Waived by"], by_code["RATIO_OUT_OF_BAND"]["Waiver reason"]) == (
        "tester",
        NOTE,
    )
    assert by_code["DEBITS_EQUAL_CREDITS"]["Waived by"] is None
    audit = [r for r in workbook["Audit Log"].iter_rows(values_only=True) if r and "approved" in r]
    assert len(audit) == 1 and f"approved by tester: {NOTE}" in audit[0]
    assert f"Waived by: tester ({BUDGET_WAIVER})" in board_pdf  # the appendix's validation table
    assert f"Waived by: tester ({NOTE})" in board_pdf
    assert f"approved by tester: {NOTE}" in board_pdf  # the appendix's audit trail

    # Later the controller corrects the cause instead: the loan belongs in loans and borrowings.
    # The completed run is cancelled (adjusted) and a child continues from CONSOLIDATING.
    journal = tmp_path / "reclass-loan.csv"
    journal.write_text(RECLASS_JOURNAL, encoding="utf-8")
    done = close(env, "adjust", "add", run["id"], "--file", str(journal), "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    child = json.loads(done.stdout)
    assert child["status"] == "COMPLETED" and child["parent_run_id"] == run["id"]
    assert child["start_stage"] == "CONSOLIDATING"
    # The current ratio is back in its band; the budget miss alone leaves a yellow score, so the
    # child went on without anyone approving or waiving anything.
    assert child["validation_score"] == "85.00"
    with db.tx() as conn:
        parent_trail, child_trail = events(conn, run["id"]), events(conn, child["id"])
        child_items = findings(conn, child["id"])
    assert [f["code"] for f in child_items if f["severity"] != "pass"] == ["FLUX_BUDGET"]
    assert all(f["waived_by"] is None for f in child_items)
    assert parent_trail[-1]["kind"] == "transition" and parent_trail[-1]["message"] == "adjusted"
    assert (parent_trail[-1]["detail"]["from"], parent_trail[-1]["detail"]["to"]) == (
        "COMPLETED",
        "CANCELLED",
    )
    assert not any(e["kind"] == "approved" for e in child_trail)
    stages = [e["detail"]["to"] for e in child_trail if e["kind"] == "transition"]
    assert stages == ["CONSOLIDATING", "VALIDATING", "ANALYZING", "REPORTING", "DISTRIBUTING", "COMPLETED"]
