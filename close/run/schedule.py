"""The schedule's tick: which periods a group's cron makes due, and their runs, created once.

A tick closes the previous month and catches up on the last ``catch_up_months`` months that have
no effective run and are not locked (Luigi's ``RangeMonthly``). Each run is created with
``INSERT … ON CONFLICT DO NOTHING`` and a ``trigger_key`` of group, period and the tick's scheduled
time (UTC), unique across all states: the same tick delivered twice, by two beat processes, or
again after its run completed creates exactly one run, while a later tick can still close a month
whose run was cancelled. The scheduled time is computed from the cron expression, not read from
the clock of the delivery, so every delivery of one tick computes the same key.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from celery.schedules import crontab

from close.engine.periods import add_months
from close.engine.types import Period
from close.errors import ConfigError
from close.run.env import StageEnv
from close.run.lifecycle import checked_config, create_scheduled_run
from close.storage.runs import Run


def parse_cron(expression: str, *, source: str = "config") -> crontab:
    """Parse a five-field cron expression (UTC).

    Raises:
        ConfigError: naming the key when the expression is not valid cron.

    """
    fields = expression.split()
    if len(fields) != 5:
        raise ConfigError(f"got {expression!r}", file=source, key="group.schedule",
                          expected='five cron fields such as "0 6 1 * *"')
    minute, hour, dom, month, dow = fields
    try:
        return crontab(minute=minute, hour=hour, day_of_month=dom, month_of_year=month, day_of_week=dow)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"got {expression!r}: {exc}", file=source, key="group.schedule",
                          expected="valid cron fields") from None


def last_fire_time(cron: crontab, now: datetime) -> datetime:
    """Return the most recent time at or before ``now`` (UTC, to the minute) at which ``cron`` fires."""
    now = now.astimezone(UTC).replace(second=0, microsecond=0)
    day = now.replace(hour=0, minute=0)
    for _ in range(400 * 2):  # a cron expression fires at least once in any two years
        dow = (day.weekday() + 1) % 7  # cron counts Sunday as 0
        if day.month in cron.month_of_year and day.day in cron.day_of_month and dow in cron.day_of_week:
            for hour in sorted(cron.hour, reverse=True):
                for minute in sorted(cron.minute, reverse=True):
                    moment = day.replace(hour=hour, minute=minute)
                    if moment <= now:
                        return moment
        day -= timedelta(days=1)
    raise ConfigError("the schedule never fires", key="group.schedule")


def due_periods(scheduled_at: datetime, catch_up_months: int) -> list[Period]:
    """Return the previous month of the tick, then the catch-up months before it, oldest first."""
    previous = add_months(f"{scheduled_at.year:04d}-{scheduled_at.month:02d}", -1)
    return [add_months(previous, -k) for k in range(catch_up_months, -1, -1)]


def trigger_key(group_id: str, period: Period, scheduled_at: datetime) -> str:
    """``beat:{group}:{period}:{the tick's scheduled time, UTC}``."""
    return f"beat:{group_id}:{period}:{scheduled_at.astimezone(UTC):%Y-%m-%dT%H:%MZ}"


def due_runs(env: StageEnv, config_path: Path, now: datetime) -> list[Run]:
    """Create the runs a tick of this group's schedule is due to start (idempotent), not started.

    Args:
        env: database, settings and actor (``beat``).
        config_path: the group config.
        now: when the tick is handled; the tick's own scheduled time is derived from it.

    Returns:
        The runs this call created (none when another delivery of the same tick did).

    """
    config = checked_config(config_path)
    scheduled_at = last_fire_time(parse_cron(config.schedule, source=str(config_path)), now)
    created = (create_scheduled_run(env, config_path, config, period,
                                    trigger_key(config.id, period, scheduled_at))
               for period in due_periods(scheduled_at, config.catch_up_months))
    return [run for run in created if run is not None]
