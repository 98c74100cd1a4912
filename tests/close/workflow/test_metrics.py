"""The metrics endpoint after a close: runs by status, stage durations, ERP calls, Claude usage."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.close.run.cli_helpers import cli_env, close
from tests.close.workflow.workflow_group import write_workflow_group
from tests.fakes.smtp import PASSWORD, SmtpServer


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_metrics_endpoint_exposes_the_close(pg_url: str, tmp_path: Path) -> None:
    with SmtpServer() as smtp:
        config = write_workflow_group(tmp_path / "g", smtp.port, slack=False)
        env = cli_env(pg_url, tmp_path / "home", tenant=f"t_{uuid.uuid4().hex[:10]}",
                      CLOSE_SECRET_SMTP_PASSWORD=PASSWORD)
        assert close(env, "run", "--config", str(config), "--period", "2026-01").returncode == 0
    port = _free_port()
    exporter = subprocess.Popen([sys.executable, "-c", "from close.cli import main; main()", "metrics",
                                 "--port", str(port)], env=env, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and exporter.poll() is None, exporter.stderr
                time.sleep(0.3)
    finally:
        exporter.terminate()
        exporter.wait(timeout=20)
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(text) for s in family.samples}
    assert samples[("monthclose_runs", (("status", "COMPLETED"),))] == 1
    assert samples[("monthclose_deliveries_total", (("channel", "email"), ("status", "SENT")))] == 2
    for stage in ("EXTRACTING", "MAPPING", "CONSOLIDATING", "VALIDATING", "ANALYZING", "REPORTING"):
        assert samples[("monthclose_stage_duration_seconds_count", (("stage", stage),))] == 1
    assert ("monthclose_claude_tokens_total", (("direction", "input"),)) in samples
    assert ("monthclose_claude_cost_usd_total", ()) in samples
