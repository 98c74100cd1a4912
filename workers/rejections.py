"""Tasks a worker refused because their run is not its tenant's: counted where ``close status`` looks.

A worker serves one tenant (``CLOSE_TENANT``; its database session sees only that tenant's rows),
so a task for a run it cannot see — another tenant's, or one that does not exist — is refused,
logged, and counted here, in the broker's Redis under the run's id: the refusing worker cannot
write to the other tenant's rows, but ``close status`` of the run's own tenant reads the count.
Nothing secret is stored: the run id, the task name, the refusing worker's tenant and the time.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime

import redis

from close.config import Settings

log = logging.getLogger(__name__)
_KEY = "monthclose:rejected:{run_id}"
_KEEP_SECONDS = 7 * 24 * 3600


def _client(settings: Settings) -> redis.Redis | None:
    url = settings.broker_url or ""
    if not url.startswith(("redis://", "rediss://", "unix://")):
        return None
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2, decode_responses=True)


def record_rejection(settings: Settings, run_id: str, task: str, worker_tenant: str) -> None:
    """Count one refused task under its run id (best effort: the worker's log has it anyway)."""
    client = _client(settings)
    if client is None:
        return
    key = _KEY.format(run_id=run_id)
    try:
        with client.pipeline() as pipe:
            pipe.hincrby(key, "count", 1)
            pipe.hset(key, mapping={"task": task, "worker_tenant": worker_tenant,
                                    "at": datetime.now(UTC).isoformat(timespec="seconds")})
            pipe.expire(key, _KEEP_SECONDS)
            pipe.execute()
    except redis.RedisError as exc:
        log.warning("could not count the rejected task of run %s: %s", run_id, type(exc).__name__)


def rejections(settings: Settings, run_ids: Iterable[str]) -> dict[str, dict[str, str]]:
    """Return, per run id, how many of its tasks workers refused, the last task and who refused it."""
    client = _client(settings)
    ids = list(run_ids)
    if client is None or not ids:
        return {}
    try:
        with client.pipeline() as pipe:
            for run_id in ids:
                pipe.hgetall(_KEY.format(run_id=run_id))
            found = pipe.execute()
    except redis.RedisError:
        return {}
    return {run_id: data for run_id, data in zip(ids, found, strict=True) if data}


def describe(rejected: dict[str, str]) -> str:
    """One line for ``close status``: how many tasks were refused, and by whom."""
    return (f"{rejected.get('count', '?')} task(s) refused by a worker serving tenant "
            f"{rejected.get('worker_tenant', '?')} (last: {rejected.get('task', '?')})")
