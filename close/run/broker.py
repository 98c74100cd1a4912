"""The Celery app: one code path for in-process (eager) and distributed (Redis) runs.

With no broker configured the canvas runs in-process (``task_always_eager``), with
``task_eager_propagates=False`` so a task's retries still happen; with ``CLOSE_BROKER_URL`` the same
canvas goes to workers through Redis. Settings are applied by :func:`configure` at start-up (a
``CloseSession``), or from the environment by :func:`configured_app` when the worker process
imports ``workers`` — never at this module's import.

The run layer owns the app, its queues and its limits, and sends the stage tasks by their registered
names (:mod:`close.run.dispatch`); their bodies live in ``workers.tasks``, above ``close.api``, which
Celery imports by name (``include``): a worker at start-up, :func:`load_tasks` before an in-process
run. So nothing below ``close.api`` imports ``workers``.
"""

from __future__ import annotations

from collections.abc import Mapping

from celery import Celery

from close.config import Settings

app = Celery("monthclose", include=["workers.tasks"])
_configured = False  # set by configure(): a session's settings, or the worker's environment

# Queues by kind of work: extraction waits on ERPs (I/O), consolidation and analysis compute,
# reporting renders documents. Workers subscribe with `close worker --queues ...`.
TASK_ROUTES = {
    "close.extract_entity": {"queue": "extract"},
    "close.map_accounts": {"queue": "compute"},
    "close.consolidate": {"queue": "compute"},
    "close.validate": {"queue": "compute"},
    "close.analyze": {"queue": "compute"},
    "close.report_part": {"queue": "reports"},
    "close.report": {"queue": "reports"},
    "close.distribute": {"queue": "reports"},
    "close.beat_tick": {"queue": "compute"},
    "close.workflow_tick": {"queue": "compute"},
}
QUEUES = ("extract", "compute", "reports")

# (soft, hard) time limits in seconds per kind of work: the soft limit raises inside the task so
# it fails cleanly; the hard one kills the process. The broker's visibility timeout must exceed
# the longest hard limit, or a slow task is redelivered while it still runs.
TIME_LIMITS: dict[str, tuple[int, int]] = {
    "extract": (600, 660), "compute": (900, 960), "reports": (600, 660)}
LONGEST_HARD_LIMIT = max(hard for _, hard in TIME_LIMITS.values())


def time_limits(settings: Settings) -> dict[str, tuple[int, int]]:
    """Return the (soft, hard) limits per kind of work; CLOSE_EXTRACT_TIME_LIMIT sets the extract soft one."""
    limits = dict(TIME_LIMITS)
    if settings.extract_time_limit:
        soft = settings.extract_time_limit
        limits["extract"] = (soft, soft + max(5, soft // 10))
    return limits


def configure(settings: Settings) -> Celery:
    """Point the app at the broker in ``settings``, or make it run in-process.

    Returns:
        The configured app.

    """
    global _configured
    limits = time_limits(settings)
    common = {
        "task_serializer": "json", "result_serializer": "json", "accept_content": ["json"],
        "task_routes": TASK_ROUTES, "task_default_queue": "compute", "enable_utc": True,
        "timezone": "UTC", "worker_hijack_root_logger": False,
        "task_annotations": {name: dict(zip(("soft_time_limit", "time_limit"), limits[route["queue"]],
                                            strict=True))
                             for name, route in TASK_ROUTES.items()},
    }
    if settings.broker_url:
        # Messages of a killed worker come back once visibility_timeout has passed; sweep for them
        # often enough that a short timeout (tests) is honoured promptly.
        # A broker that does not answer fails `close run` in seconds (the run is marked FAILED with
        # "broker unreachable"), instead of hanging on connection retries.
        transport = {"visibility_timeout": settings.visibility_timeout,
                     "unacked_restore_interval": max(1, min(10, settings.visibility_timeout // 5)),
                     "unacked_restore_throttle": 1, "socket_connect_timeout": 5,
                     "retry_policy": {"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5}}
        app.conf.update(
            broker_url=settings.broker_url,
            result_backend=settings.result_backend or settings.broker_url,
            task_always_eager=False,
            task_acks_late=True,
            task_reject_on_worker_lost=True,
            worker_prefetch_multiplier=1,
            broker_transport_options=transport,
            result_backend_transport_options=transport,
            broker_connection_retry_on_startup=True,
            task_publish_retry_policy={"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5,
                                       "interval_max": 1},
            redis_socket_connect_timeout=5,
            redis_retry_on_timeout=False,
            result_expires=7 * 24 * 3600,
            **common,
        )
    else:
        app.conf.update(
            broker_url="memory://",
            result_backend="cache+memory://",
            task_always_eager=True,
            task_eager_propagates=False,
            **common,
        )
    _configured = True
    return app


def configured_app(environ: Mapping[str, str]) -> Celery:
    """Return the app, configured from ``environ`` unless this process configured it already.

    A worker process configures it here, from its environment; in a process that opened a
    ``CloseSession`` first (the CLI, a server, an in-process run) the session's settings stand.
    """
    return app if _configured else configure(Settings.from_environ(environ))


def load_tasks() -> None:
    """Register the stage tasks in this process, as a worker does at start-up (idempotent).

    In-process the canvas runs here, so its tasks must be known here; a sender to a broker loads
    them too, so each message carries the task's own options (the chord header keeps its result).
    """
    app.loader.import_default_modules()
