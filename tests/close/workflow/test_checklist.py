"""The checklist: a run waits at a gate, `close tasks done` releases it; overdue and waiting alerts once."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pytest

from close.config import parse_group_config
from close.errors import ConfigError
from close.run.workflow.calendar import business_day
from close.run.workflow.settings import CalendarSettings
from tests.close.run.cli_helpers import close, close_json
from tests.close.run.small_group import CONFIG
from tests.close.workflow.test_distribution import env_for
from tests.close.workflow.workflow_group import write_workflow_group
from tests.fakes.smtp import SmtpServer

CHECKLIST = """
[[checklist]]
id = "accruals"
title = "Accruals booked"
owner = "controller"
due_day = 3
gate = "REPORTING"

[[checklist]]
id = "package-review"
title = "Package reviewed"
owner = "cfo"
due_day = 5
depends_on = ["accruals", "REPORTING"]
gate = "SIGNOFF"
"""


def test_business_days_skip_weekends_and_brazilian_and_own_holidays() -> None:
    # October 2026 ends on a Saturday; Monday 2 November is Finados (a national holiday in Brazil).
    assert business_day("2026-10", 1, CalendarSettings()) == date(2026, 11, 3)
    assert business_day("2026-10", 3, CalendarSettings()) == date(2026, 11, 5)
    own = CalendarSettings(holidays=(date(2026, 11, 3),))
    assert business_day("2026-10", 1, own) == date(2026, 11, 4)
    assert business_day("2026-10", 1, CalendarSettings(country="")) == date(2026, 11, 2)


@pytest.mark.parametrize(("extra", "key"), [
    ('[[checklist]]\nid = "a"\ntitle = "A"\nowner = "x"\ndue_day = 1\ndepends_on = ["b"]\n'
     '[[checklist]]\nid = "b"\ntitle = "B"\nowner = "x"\ndue_day = 1\ndepends_on = ["a"]\n', "checklist"),
    ('[[checklist]]\nid = "a"\ntitle = "A"\nowner = "x"\ndue_day = 1\ndepends_on = ["nope"]\n',
     "checklist[0].depends_on"),
    ('[[checklist]]\nid = "a"\ntitle = "A"\nowner = "x"\ndue_day = 1\ngate = "LUNCH"\n', "checklist[0].gate"),
], ids=["cycle", "unknown-dependency", "unknown-gate"])
def test_a_bad_checklist_is_refused_naming_the_key(extra: str, key: str) -> None:
    with pytest.raises(ConfigError) as refused:
        parse_group_config(CONFIG + extra, source="group.toml")
    assert refused.value.key == key


def test_a_run_waits_at_its_gate_until_the_task_is_done(pg_url: str, tmp_path: Path) -> None:
    with SmtpServer() as smtp:
        config = write_workflow_group(tmp_path / "g", smtp.port, checklist=CHECKLIST, slack=False)
        env = env_for(pg_url, tmp_path / "home", None)
        waiting = close(env, "run", "--config", str(config), "--period", "2026-01")
        assert waiting.returncode == 3, waiting.stdout + waiting.stderr
        assert "close tasks done tiny 2026-01" in waiting.stdout
        run = close_json(env, "status")["runs"][0]
        assert run["status"] == "AWAITING_TASKS"

        tasks = close_json(env, "tasks", "list", "tiny", "2026-01")
        assert [(t["task_id"], t["due_on"], t["overdue"]) for t in tasks] == [
            ("accruals", "2026-02-04", True), ("package-review", "2026-02-06", True)]

        # The package review depends on REPORTING: it cannot be done yet.
        early = close(env, "tasks", "done", "tiny", "2026-01", "package-review")
        assert early.returncode == 2 and "accruals, REPORTING" in early.stderr

        first = close_json(env, "tick")
        assert first["alerts_raised"] == 3  # the waiting gate and two overdue tasks
        assert first["alerts_sent"] == 3 and len(smtp.to("controller@example.com")) == 3
        assert close_json(env, "tick") == {"released": [], "alerts_raised": 0, "alerts_sent": 0}

        released = close(env, "tasks", "done", "tiny", "2026-01", "accruals", "--note", "booked JE 42")
        assert released.returncode == 0, released.stdout + released.stderr
        assert f"run {run['id']} continues" in released.stdout
        assert close_json(env, "status")["runs"][0]["status"] == "COMPLETED"

        # The sign-off waits for the package review, which may now be done.
        refused = close(env, "signoff", run["id"])
        assert refused.returncode == 2 and "package-review" in refused.stderr
        evidence = tmp_path / "review.txt"
        evidence.write_text("reviewed page by page")
        assert close(env, "tasks", "done", "tiny", "2026-01", "package-review", "--evidence",
                     str(evidence)).returncode == 0
        assert close(env, "signoff", run["id"]).returncode == 0
        done = {t["task_id"]: t for t in close_json(env, "tasks", "list", "tiny", "2026-01")}
        digest = hashlib.sha256(b"reviewed page by page").hexdigest()
        assert done["package-review"]["evidence_sha256"] == digest
        assert done["accruals"]["done_by"] == "tester"
