"""A stage delivered twice, or twice at once, writes its outputs once (issue 3, acceptance 4)."""

from __future__ import annotations

import threading
from pathlib import Path

import sqlalchemy as sa

from close.config import Settings
from close.run.env import StageEnv
from close.run.lifecycle import create_close_run
from close.run.stages import run_stage
from close.run.stages.rates import RATES_KEY
from close.run.state import RunStatus
from close.storage import Database
from tests.close.run.small_group import write_group

COUNTED = ("trial_balances", "account_mappings", "run_stages", "run_events")


def _counts(db: Database, run_id: str) -> dict[str, int]:
    with db.tx() as conn:
        counts = {t: conn.execute(sa.text(f"SELECT count(*) FROM {t} WHERE run_id = CAST(:r AS uuid)"),  # noqa: S608
                                  {"r": run_id}).scalar_one() for t in COUNTED}
        # Rates are shared by the tenant's runs (run_id NULL): the tenant is this test's own.
        counts["fx_rates"] = conn.execute(sa.text("SELECT count(*) FROM fx_rates")).scalar_one()
        return counts


def test_each_stage_run_twice_writes_nothing_twice(db: Database, tmp_path: Path) -> None:
    env = StageEnv(db=db, settings=Settings(home=tmp_path), actor="test")
    run = create_close_run(env, write_group(tmp_path), "2026-01")
    for entity in ("P", "S", RATES_KEY):
        assert run_stage(env, run.id, RunStatus.EXTRACTING, entity) is True
    assert run_stage(env, run.id, RunStatus.MAPPING) is True
    before = _counts(db, run.id)
    assert before["trial_balances"] == 6 and before["account_mappings"] == 6 and before["fx_rates"] > 0
    for entity in ("P", "S", RATES_KEY):
        assert run_stage(env, run.id, RunStatus.EXTRACTING, entity) is False
    assert run_stage(env, run.id, RunStatus.MAPPING) is False
    assert _counts(db, run.id) == before


def test_two_deliveries_at_once_do_the_work_once(db: Database, tmp_path: Path) -> None:
    env = StageEnv(db=db, settings=Settings(home=tmp_path), actor="test")
    run = create_close_run(env, write_group(tmp_path), "2026-01")
    barrier = threading.Barrier(2)
    did: list[bool] = []

    def deliver() -> None:
        barrier.wait()
        did.append(run_stage(env, run.id, RunStatus.EXTRACTING, "S"))

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(did) == [False, True]
    counts = _counts(db, run.id)
    assert counts["trial_balances"] == 3 and counts["run_stages"] == 1
