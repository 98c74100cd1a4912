"""A failed integrity check is never approved; a top-side journal continues in a child run.

Issue 10, acceptance 2 (the integrity half). The failure here is real: an opening-balances file whose
translated lines do not sum to zero (S's CTA -30.00 against cash 210.00 and capital -200.00) makes
the consolidated movement sum to 20.00, so CONSOLIDATED_TB_SUMS_TO_ZERO fails.

No integrity failure the pipeline can produce is corrected by a top-side journal. The local checks
read the entities' own lines, which a consolidated journal does not change; each translated TB
is balanced by its CTA plug and consolidation refuses a consolidated TB that does not sum to zero, so
the balance sheet balances unless an account is outside the chart, which the mapping refuses;
CTA_RECONCILES reads the translation, which journals do not touch. What is left, a movement that does
not sum to zero, is a sum a balanced journal cannot change (and in a first period without a prior run
the consolidated movement leaves journals out altogether). So the child run here proves the mechanics
(from CONSOLIDATING on the parent's extraction and mapping, the journal applied, validation run again)
and stops for review again.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from close.checks import score_of
from close.config import DEFAULT_SCORE_WEIGHTS, ScoreWeight
from close.run.review import findings
from close.storage import Database
from close.storage.runs import events
from tests.close.review.review_group import checks_of, write_integrity_group
from tests.close.run.cli_helpers import cli_env, close, close_json

# What a controller would try: move the unexplained 20.00 of CTA to retained earnings.
JOURNAL = """\
journal_id,basis,entity,account,amount,memo
TS-9,IFRS,S,3300,-20.00,opening CTA difference
TS-9,IFRS,S,3100,20.00,opening CTA difference
"""


def _stage_rows(conn: sa.Connection, run_id: str) -> set[tuple[str, str, str]]:
    rows = conn.execute(
        sa.text(
            "SELECT stage, entity_id, output_digest FROM run_stages "
            "WHERE run_id = CAST(:r AS uuid) AND stage IN ('EXTRACTING', 'MAPPING')"
        ),
        {"r": run_id},
    )
    return {(r[0], r[1], r[2]) for r in rows}


def test_integrity_failure_cannot_be_approved_and_an_adjusted_child_reuses_the_extraction(
    pg_url: str, tmp_path: Path, db_session: Database
) -> None:
    config = write_integrity_group(tmp_path / "group")
    env = cli_env(pg_url, tmp_path / "home")
    done = close(env, "run", "--config", str(config), "--period", "2026-01", "--json")
    assert done.returncode == 3, done.stdout + done.stderr
    run = json.loads(done.stdout)
    review = close_json(env, "review", run["id"])
    raised = [f for f in review["findings"] if f["severity"] != "pass"]
    assert [(f["code"], f["category"], f["severity"]) for f in raised] == [
        ("CONSOLIDATED_TB_SUMS_TO_ZERO", "integrity", "fail")
    ]
    assert (raised[0]["expected"], raised[0]["actual"], raised[0]["difference"]) == ("0.00", "20.00", "20.00")
    weights = tuple(
        ScoreWeight(w["category"], Decimal(w["fail"]), Decimal(w["warn"]), Decimal(w["cap"]))
        for w in review["weights"]
    )
    assert weights == DEFAULT_SCORE_WEIGHTS
    # Not red on the score: the integrity failure blocks by itself.
    assert score_of(checks_of(review["findings"])) == Decimal(review["score"]) == Decimal("75.00")

    refused = close(
        env, "approve", run["id"], "--reason", "looks fine", "--waive", "CONSOLIDATED_TB_SUMS_TO_ZERO=small"
    )
    assert refused.returncode == 2, refused.stdout + refused.stderr
    message = " ".join(refused.stderr.split())
    assert "integrity checks failed (CONSOLIDATED_TB_SUMS_TO_ZERO)" in message and "never waived" in message
    assert f"top-side journal: close adjust add {run['id']} --file" in message

    journal = tmp_path / "cta.csv"
    journal.write_text(JOURNAL, encoding="utf-8")
    adjusted = close(env, "adjust", "add", run["id"], "--file", str(journal), "--json")
    assert adjusted.returncode == 3, adjusted.stdout + adjusted.stderr
    child = json.loads(adjusted.stdout)
    assert child["parent_run_id"] == run["id"] and child["start_stage"] == "CONSOLIDATING"
    assert child["status"] == "AWAITING_REVIEW"

    db = db_session.for_tenant(env["CLOSE_TENANT"])
    with db.tx() as conn:
        parent_trail, child_trail = events(conn, run["id"]), events(conn, child["id"])
        parent_items, child_items = findings(conn, run["id"]), findings(conn, child["id"])
        parent_stages, child_stages = _stage_rows(conn, run["id"]), _stage_rows(conn, child["id"])
        journals = conn.execute(
            sa.text(
                "SELECT journal_id, kind FROM journal_entries "
                "WHERE run_id = CAST(:r AS uuid) ORDER BY journal_id"
            ),
            {"r": child["id"]},
        ).all()
        lines = conn.execute(
            sa.text(
                "SELECT run_id::text, count(*) FROM trial_balances WHERE run_id = ANY("
                "CAST(:ids AS uuid[])) GROUP BY run_id"
            ),
            {"ids": [run["id"], child["id"]]},
        ).all()
    # The refused approval left no trace but the refusal: nothing approved, nothing waived.
    assert not any(e["kind"] == "approved" for e in parent_trail)
    assert all(f["waived_by"] is None for f in parent_items)
    assert (parent_trail[-1]["detail"]["from"], parent_trail[-1]["detail"]["to"]) == (
        "AWAITING_REVIEW",
        "CANCELLED",
    )
    assert parent_trail[-1]["message"] == "adjusted"

    # The child extracted and mapped nothing itself: it holds the parent's DONE marks with the
    # parent's digests, the parent's lines, and its trail starts at CONSOLIDATING.
    assert {s for s, _, _ in parent_stages} == {"EXTRACTING", "MAPPING"}
    assert child_stages == parent_stages
    assert {e for s, e, _ in child_stages if s == "EXTRACTING"} == {"P", "S", "@rates"}
    assert dict(lines)[child["id"]] == dict(lines)[run["id"]] == 6
    assert not any(e["stage"] in ("EXTRACTING", "MAPPING") for e in child_trail)
    moves = [e["detail"]["to"] for e in child_trail if e["kind"] == "transition"]
    assert "EXTRACTING" not in moves and "MAPPING" not in moves
    assert moves == ["CONSOLIDATING", "VALIDATING", "AWAITING_REVIEW"]
    adjusted_event = next(e for e in child_trail if e["kind"] == "adjusted")
    assert (
        adjusted_event["detail"]["parent_run_id"] == run["id"]
        and adjusted_event["detail"]["file"] == "cta.csv"
    )

    # The journal is in the child's consolidation, and the balanced journal left the sum as it was.
    assert ("TS-9", "adjustment") in [tuple(j) for j in journals]
    assert [(f["code"], f["actual"]) for f in child_items if f["severity"] != "pass"] == [
        ("CONSOLIDATED_TB_SUMS_TO_ZERO", "20.00")
    ]
