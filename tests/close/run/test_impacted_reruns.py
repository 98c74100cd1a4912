"""A re-run redoes only what its changed inputs touch; later periods it changes are stale (issue 22).

Acceptance 3: after one entity's file changes, the re-run extracts and maps that entity again, takes
the other's lines and mapping over from the run it supersedes (its events say so, and why), and
closes with the figures of a fresh run of the same inputs. Then ``close status`` names the later
period whose prior closing changed, and ``close rerun --stale`` re-closes it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd

from close.api import CloseSession, RunStatus
from close.config import Settings
from close.storage import Database
from close.storage.balances import read_account_mappings, read_consolidated, read_trial_balances
from close.storage.runs import events, stage_records
from tests.close.review.review_group import write_green_group
from tests.close.run.cli_helpers import cli_env, close, close_json
from tests.close.run.small_group import CORRECTED_PARENT_TB, write_group


def _session(pg_url: str, db: Database, home: Path) -> CloseSession:
    """An in-process session of ``db``'s tenant (its eager tasks open the same database and tenant)."""
    return CloseSession.connect(Settings(database_url=pg_url, tenant=db.tenant, home=home, actor="tester"))


def _stage_events(db: Database, run_id: str, stage: str) -> dict[str | None, dict]:
    with db.tx() as conn:
        return {e["entity_id"]: e for e in events(conn, run_id)
                if e["kind"] == "stage_done" and e["stage"] == stage}


def _figures(db: Database, run_id: str) -> dict[str, pd.DataFrame]:
    """Everything the close computed from the lines: lines, mapping, consolidated balances."""
    with db.tx() as conn:
        mapping = read_account_mappings(conn, run_id).sort_values(["entity", "account"])
        return {"lines": read_trial_balances(conn, run_id).reset_index(drop=True),
                "mapping": mapping.reset_index(drop=True),
                "consolidated": read_consolidated(conn, run_id, "USD").reset_index(drop=True)}


def test_a_rerun_after_one_file_changed_redoes_that_entity_only_and_equals_a_fresh_run(
    pg_url: str, db_session: Database, db: Database, tmp_path: Path
) -> None:
    session = _session(pg_url, db, tmp_path / "home")
    config = write_group(tmp_path / "group")
    first = session.start_close(config, "2026-01")
    assert first.status == RunStatus.COMPLETED
    (tmp_path / "group" / "tb" / "P" / "2026-01.csv").write_text(CORRECTED_PARENT_TB, encoding="utf-8")

    again = session.start_close(config, "2026-01", rerun=True)
    assert again.status == RunStatus.COMPLETED
    assert session.get_run(first.id).superseded_by == again.id

    extracted = _stage_events(db, again.id, "EXTRACTING")
    parent, sub = extracted["P"]["detail"], extracted["S"]["detail"]
    assert "reused_from" not in parent
    assert parent["rerun_reason"] == f"changed since run {first.id[:8]}: file:tb/P/2026-01.csv"
    assert sub["reused_from"] == first.id and sub["lines"] == 3
    assert sub["reason"] == f"inputs unchanged since run {first.id[:8]} (file:tb/S/2026-01.csv, source)"
    assert extracted["S"]["message"].startswith(f"reused the extraction of entity S from run {first.id[:8]}")
    mapped = _stage_events(db, again.id, "MAPPING")[None]["detail"]
    assert (mapped["reused"], mapped["remapped"], mapped["reused_from"]) == (["S"], ["P"], first.id)
    consolidated = _stage_events(db, again.id, "CONSOLIDATING")[None]["detail"]
    # P's accounts are the same, so the mapping's output is too: only P's lines moved.
    assert consolidated["rerun_reason"] == f"changed since run {first.id[:8]}: extract:P"

    # The same inputs closed from scratch, in a tenant of their own, give the same figures and digests.
    fresh_db = db_session.for_tenant(f"{db.tenant}_fresh")
    shutil.copytree(tmp_path / "group", tmp_path / "fresh")
    fresh_session = _session(pg_url, fresh_db, tmp_path / "home2")
    fresh = fresh_session.start_close(tmp_path / "fresh" / "group.toml", "2026-01")
    assert fresh.status == RunStatus.COMPLETED
    ours, theirs = _figures(db, again.id), _figures(fresh_db, fresh.id)
    for name, frame in ours.items():
        pd.testing.assert_frame_equal(frame, theirs[name], obj=name)
    assert ours["consolidated"]["amount"].sum() == 0
    for stage in ("MAPPING", "CONSOLIDATING"):
        with db.tx() as conn:
            mine = stage_records(conn, [again.id], stage)[again.id]
        with fresh_db.tx() as conn:
            other = stage_records(conn, [fresh.id], stage)[fresh.id]
        assert mine.output_digest == other.output_digest, stage


def test_status_names_the_period_a_rerun_changed_and_rerun_stale_recloses_it(
    pg_url: str, tmp_path: Path
) -> None:
    env = cli_env(pg_url, tmp_path / "home")
    config = write_green_group(tmp_path / "group", "2026-01")

    def closed(period: str, *rerun: str) -> str:
        done = close(env, "run", "--config", str(config), "--period", period, "--json", *rerun)
        assert done.returncode == 0, done.stdout + done.stderr
        return json.loads(done.stdout)["id"]

    def stale() -> dict[str, str]:
        return {r["period"]: r["stale_reason"] for r in close_json(env, "status")["runs"] if r["stale"]}

    closed("2026-01")
    write_green_group(tmp_path / "group", "2026-02")
    feb = closed("2026-02")
    # Re-closing January from the same files reproduces its closing: February is not stale. Every
    # input of its consolidation is the same, so the consolidation itself is taken over too.
    same = closed("2026-01", "--rerun")
    assert stale() == {}
    done = {e["stage"]: e for e in close_json(env, "show", same)["events"]
            if e["kind"] == "stage_done" and e["stage"] in ("MAPPING", "CONSOLIDATING")}
    assert done["MAPPING"]["detail"]["reused"] == ["P", "S"]
    assert done["CONSOLIDATING"]["message"].startswith("reused the consolidation of run ")
    (tmp_path / "group" / "tb" / "P" / "2026-01.csv").write_text(CORRECTED_PARENT_TB, encoding="utf-8")
    jan = closed("2026-01", "--rerun")
    assert stale() == {"2026-02": f"2026-01 was re-closed with a different closing (run {jan[:8]})"}

    assert close(env, "rerun", "--config", str(config)).returncode == 2  # --stale is the one choice
    # February's file of P opens at the corrected January closing (else its roll-forward fails review).
    (tmp_path / "group" / "tb" / "P" / "2026-02.csv").write_text(
        CORRECTED_PARENT_TB.replace("800.00,100.00,0.00", "900.00,0.00,0.00").replace(
            "-1000.00,0.00,100.00", "-1100.00,0.00,0.00"), encoding="utf-8")
    done = close(env, "rerun", "--stale", "--config", str(config), "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert [(r["period"], r["status"]) for r in report["reruns"]] == [("2026-02", "COMPLETED")]
    assert report["stale"] == []
    assert stale() == {}
    runs = {r["id"]: r for r in close_json(env, "status")["runs"]}
    assert runs[feb]["superseded_by"] == report["reruns"][0]["id"]
    nothing = close(env, "rerun", "--stale", "--config", str(config), "--json")
    assert nothing.returncode == 0 and json.loads(nothing.stdout) == {"reruns": [], "stale": []}


def test_a_rerun_through_two_workers_reuses_the_unchanged_entity(pg_url: str, tmp_path: Path) -> None:
    from tests.workers.celery_workers import celery_workers, fresh_redis_url

    config = str(write_group(tmp_path / "group"))
    env = cli_env(pg_url, tmp_path / "home", CLOSE_BROKER_URL=fresh_redis_url())
    with celery_workers(env, 2, tmp_path) as workers:
        first = close(env, "run", "--config", config, "--period", "2026-01", "--wait", "--json")
        assert first.returncode == 0, first.stdout + first.stderr + workers[0].text()[-2000:]
        (tmp_path / "group" / "tb" / "P" / "2026-01.csv").write_text(CORRECTED_PARENT_TB, encoding="utf-8")
        again = close(env, "run", "--config", config, "--period", "2026-01", "--rerun", "--wait", "--json")
        assert again.returncode == 0, again.stdout + again.stderr + workers[0].text()[-2000:]
    first_id, again_id = json.loads(first.stdout)["id"], json.loads(again.stdout)["id"]
    extracted = {e["entity_id"]: e["detail"] for e in close_json(env, "show", again_id)["events"]
                 if e["kind"] == "stage_done" and e["stage"] == "EXTRACTING" and e["entity_id"] != "@rates"}
    assert extracted["S"]["reused_from"] == first_id and "reused_from" not in extracted["P"]
    assert "file:tb/P/2026-01.csv" in extracted["P"]["rerun_reason"]
