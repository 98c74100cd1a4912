"""The metrics endpoint after a close: runs by status, stage durations, ERP calls, Claude usage.

Issue 20, acceptance 5: the tiny group's close, and the ERP demo's (``close demo --erp``, Omie,
Conta Azul, Bling and TOTVS fakes; Omie answers one 503 first), whose ERP calls and errors by
provider the CLI process counts in prometheus-client's multiprocess files and the exporter reads.
"""

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

ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _scrape(env: dict[str, str]) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Start ``close metrics``, read /metrics once, stop it; return every sample by name and labels."""
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
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_the_metrics_endpoint_exposes_the_close(pg_url: str, tmp_path: Path) -> None:
    with SmtpServer() as smtp:
        config = write_workflow_group(tmp_path / "g", smtp.port, slack=False)
        env = cli_env(pg_url, tmp_path / "home", tenant=f"t_{uuid.uuid4().hex[:10]}",
                      CLOSE_SECRET_SMTP_PASSWORD=PASSWORD)
        assert close(env, "run", "--config", str(config), "--period", "2026-01").returncode == 0
    samples = _scrape(env)
    assert samples[("monthclose_runs", (("status", "COMPLETED"),))] == 1
    assert samples[("monthclose_deliveries_total", (("channel", "email"), ("status", "SENT")))] == 2
    for stage in ("EXTRACTING", "MAPPING", "CONSOLIDATING", "VALIDATING", "ANALYZING", "REPORTING"):
        assert samples[("monthclose_stage_duration_seconds_count", (("stage", stage),))] == 1
    assert ("monthclose_claude_tokens_total", (("direction", "input"),)) in samples
    assert ("monthclose_claude_cost_usd_total", ()) in samples


def test_after_the_erp_demo_close_it_counts_erp_calls_and_errors_by_provider(pg_url: str,
                                                                            tmp_path: Path) -> None:
    multiproc = tmp_path / "prometheus"
    multiproc.mkdir()
    env = cli_env(pg_url, tmp_path / "home", PROMETHEUS_MULTIPROC_DIR=str(multiproc))
    script = (f"import sys; sys.path.insert(0, {str(ROOT)!r}); "
              "from connectors.fakes import erp_launcher; erp_launcher.start_erp_fakes(); "
              "erp_launcher.running_fake('omie').fail_next(1, 503, b'busy'); "
              "from close.cli import main; main()")
    done = subprocess.run([sys.executable, "-c", script, "demo", "--erp"], env=env, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    samples = _scrape(env)
    assert samples[("monthclose_runs", (("status", "COMPLETED"),))] == 1
    assert samples[("monthclose_stage_duration_seconds_count", (("stage", "EXTRACTING"),))] == 1
    calls = {labels: value for (name, labels), value in samples.items()
             if name == "monthclose_erp_calls_total"}
    providers = {dict(labels)["provider"] for labels, value in calls.items() if value > 0}
    assert {"omie", "contaazul", "bling"} <= providers, calls
    assert calls[(("outcome", "error"), ("provider", "omie"))] == 1  # the 503, then retried
    assert calls[(("outcome", "ok"), ("provider", "omie"))] > 0
    assert ("monthclose_claude_tokens_total", (("direction", "output"),)) in samples
