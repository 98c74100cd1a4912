"""Prometheus metrics: what the close did, read from PostgreSQL at scrape time, plus ERP calls.

Run figures come from the system of record, so every worker and the exporter agree whatever
process did the work: runs by status, stage durations (from the audit trail of the last runs),
retries, messages delivered, Claude tokens and cost. ERP calls and errors by provider are counted
where they happen (``connectors.http``); across Celery's prefork children they add up through
prometheus-client's multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from close.run.state import RunStatus
from close.run.workflow.durations import stage_durations
from close.storage import Database
from close.storage.workflow import metric_totals, recent_run_ids, transitions_of
from connectors.http import ERP_CALLS

BUCKETS = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0)


class CloseCollector(Collector):
    """The tenant's close figures, read at each scrape."""

    def __init__(self, db: Database) -> None:
        """Collect from ``db`` (one tenant)."""
        self.db = db

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily | HistogramMetricFamily]:
        """Yield the metric families."""
        with self.db.tx() as conn:
            totals = metric_totals(conn)
            durations = stage_durations(transitions_of(conn, recent_run_ids(conn, limit=200)))
        runs = GaugeMetricFamily("monthclose_runs", "Runs by status.", labels=["status"])
        for status in RunStatus:
            runs.add_metric([status.value], totals["runs"].get(status.value, 0))
        yield runs
        retries = CounterMetricFamily("monthclose_stage_retries", "Stage retries.", labels=["stage"])
        for stage, count in sorted(totals["retries"].items()):
            retries.add_metric([stage], count)
        yield retries
        deliveries = CounterMetricFamily("monthclose_deliveries", "Messages by channel and status.",
                                         labels=["channel", "status"])
        for (channel, status), count in sorted(totals["deliveries"].items()):
            deliveries.add_metric([channel, status], count)
        yield deliveries
        tokens = CounterMetricFamily("monthclose_claude_tokens", "Claude tokens.", labels=["direction"])
        tokens.add_metric(["input"], totals["input_tokens"])
        tokens.add_metric(["output"], totals["output_tokens"])
        yield tokens
        cost = CounterMetricFamily("monthclose_claude_cost_usd", "Claude cost in USD.")
        cost.add_metric([], float(totals["cost_usd"]))
        yield cost
        yield _histogram(durations)


def _histogram(durations: dict[tuple[str, str], list[float]]) -> HistogramMetricFamily:
    family = HistogramMetricFamily("monthclose_stage_duration_seconds", "Stage durations of the last runs.",
                                   labels=["stage"])
    for (stage, entity), values in sorted(durations.items()):
        if entity:
            continue
        buckets = [(str(b), sum(1 for v in values if v <= b)) for b in BUCKETS]
        family.add_metric([stage], [*buckets, ("+Inf", len(values))], sum_value=sum(values))
    return family


def registry_for(db: Database) -> CollectorRegistry:
    """Return a registry with the close's figures and, in multiprocess mode, every process's counters."""
    registry = CollectorRegistry()
    registry.register(CloseCollector(db))
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        registry.register(ERP_CALLS)
    return registry


def serve_metrics(db: Database, port: int, addr: str = "127.0.0.1") -> None:
    """Serve ``/metrics`` on ``addr:port`` in a background thread."""
    start_http_server(port, addr=addr, registry=registry_for(db))
