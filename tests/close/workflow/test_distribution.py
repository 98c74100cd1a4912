"""DISTRIBUTING sends the package by e-mail (a real SMTP server) and Slack (a webhook fake), once.

A failed run's alert reaches the controller with the command that resumes it, and that command,
run as given, completes the run.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from tests.close.run.cli_helpers import cli_env, close, close_json
from tests.close.run.small_group import SUB_TB
from tests.close.workflow.workflow_group import write_workflow_group
from tests.fakes.slack import SlackWebhook
from tests.fakes.smtp import PASSWORD, SmtpServer


def env_for(pg_url: str, home: Path, slack: SlackWebhook | None) -> dict[str, str]:
    secrets = {"CLOSE_SECRET_SMTP_PASSWORD": PASSWORD}
    if slack is not None:
        secrets["CLOSE_SECRET_SLACK_WEBHOOK_URL"] = slack.webhook_url
    return cli_env(pg_url, home, tenant=f"t_{uuid.uuid4().hex[:10]}", **secrets)


def test_the_package_is_mailed_to_every_role_and_posted_to_slack_once(pg_url: str, tmp_path: Path) -> None:
    with SmtpServer() as smtp, SlackWebhook() as slack:
        slack.fail_next(1, 429, b"rate_limited", headers={"Retry-After": "1", "Content-Type": "text/plain"})
        config = write_workflow_group(tmp_path / "g", smtp.port)
        env = env_for(pg_url, tmp_path / "home", slack)
        done = close(env, "run", "--config", str(config), "--period", "2026-01")
        assert done.returncode == 0, done.stdout + done.stderr

        recipients = sorted(rcpt for rcpt, _ in smtp.messages)
        assert recipients == [("cfo@example.com",), ("controller@example.com",)]
        mail = smtp.to("cfo@example.com")[0]
        assert mail["Subject"].startswith("Tiny Group: 2026-01 close completed")
        names = [part.get_filename() for part in mail.iter_attachments()]
        assert names[0].endswith("executive-summary.pdf")
        body = mail.get_body(preferencelist=("plain",)).get_content()
        assert "https://close.example.com/packages/tiny-2026-01-" in body
        assert "Net income: USD" in body
        # Slack answered 429 with Retry-After once; the message went through once after it.
        assert len(slack.hits()) == 2 and len(slack.messages) == 1
        assert "2026-01 close completed" in slack.messages[0]["text"]
        # Secrets never reach the messages, the output or the audit trail.
        run_id = close_json(env, "status")["runs"][0]["id"]
        trail = close(env, "show", run_id, "--json").stdout
        for secret in (PASSWORD, "testtoken0000"):
            assert secret not in trail + done.stdout + done.stderr + body


def test_a_failed_runs_alert_carries_the_resume_command_that_completes_it(pg_url: str,
                                                                         tmp_path: Path) -> None:
    with SmtpServer() as smtp:
        config = write_workflow_group(tmp_path / "g", smtp.port, slack=False)
        (config.parent / "tb" / "S" / "2026-01.csv").unlink()  # S's trial balance is missing
        env = env_for(pg_url, tmp_path / "home", None)
        failed = close(env, "run", "--config", str(config), "--period", "2026-01")
        assert failed.returncode == 1, failed.stdout + failed.stderr

        alerts = smtp.to("controller@example.com")
        assert len(alerts) == 1 and not smtp.to("cfo@example.com")  # alerts go to the alert roles
        text = alerts[0].get_body(preferencelist=("plain",)).get_content()
        assert "Entity: S" in text and "Stage: EXTRACTING" in text
        command = re.search(r"Command: (close resume [0-9a-f-]+)", text)
        assert command, text

        (config.parent / "tb" / "S" / "2026-01.csv").write_text(SUB_TB, encoding="utf-8")
        resumed = close(env, *command.group(1).split()[1:])
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
        assert close_json(env, "status")["runs"][0]["status"] == "COMPLETED"
        # A tick later sends the alert to nobody again.
        assert close_json(env, "tick")["alerts_sent"] == 0
        assert len(smtp.to("controller@example.com")) == 2  # the alert, then the package


def test_a_run_killed_in_the_middle_of_distributing_sends_each_message_once(pg_url: str,
                                                                            tmp_path: Path) -> None:
    with SmtpServer() as smtp, SlackWebhook() as slack:
        config = write_workflow_group(tmp_path / "g", smtp.port)
        env = {**env_for(pg_url, tmp_path / "home", slack), "CLOSE_LEASE_SECONDS": "3"}
        # The CFO's copy goes first; the controller's is held at RCPT TO while the runner is killed.
        smtp.hold_for, smtp.hold_seconds = "controller@example.com", 60
        runner = subprocess.Popen([sys.executable, "-c", "from close.cli import main; main()", "run",
                                   "--config", str(config), "--period", "2026-01"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  start_new_session=True)
        try:
            smtp.wait_for(1, timeout=300)
            time.sleep(1)  # the CFO's delivery is marked SENT
        finally:
            os.killpg(runner.pid, signal.SIGKILL)
            runner.wait(timeout=30)
        smtp.hold_for = None
        run = _reaped(env)
        assert run["failed_stage"] == "DISTRIBUTING", run

        resumed = close(env, "resume", run["id"])
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr

        def packages(address: str) -> list:
            return [m for m in smtp.to(address) if "close completed" in m["Subject"]]

        assert len(packages("cfo@example.com")) == 1
        assert len(packages("controller@example.com")) == 1
        # The controller also got the alert of the reaped run, with the command that resumed it.
        alerts = [m for m in smtp.to("controller@example.com") if "close completed" not in m["Subject"]]
        assert len(alerts) == 1 and f"close resume {run['id']}" in alerts[0].get_body().get_content()
        assert len([m for m in slack.messages if "close completed" in m["text"]]) == 1


def _reaped(env: dict[str, str]) -> dict:
    """Poll ``close status`` (which moves a run with no live lease to FAILED) until the run failed."""
    deadline = time.monotonic() + 60
    while True:
        run = close_json(env, "status")["runs"][0]
        if run["status"] == "FAILED" or time.monotonic() > deadline:
            return run
        time.sleep(1)
