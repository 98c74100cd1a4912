"""Benchmark of the web process with 1,000 runs in the database (issue 19, acceptance 5).

Targets: the run list (``GET /api/v1/runs``) p95 under 50 ms; a run page under 300 ms to first
byte; 200 concurrent API clients for 30 s with no error. The harness creates a scratch database on
``--database`` (default the local test server), 1,000 runs over 10 groups × 100 months, users, and
a real uvicorn server in a thread; it drives it over HTTP with httpx. Each figure is printed beside
a floor measured in the same run (the bare SQL of the same page, the bare HTTP of ``/static``) and
their ratio.

Usage::

    python benchmarks/bench_web.py                     # 200 clients for 30 s
    python benchmarks/bench_web.py --clients 50 --seconds 10
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import psycopg
import sqlalchemy as sa
import uvicorn
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from close.api import CloseSession  # noqa: E402
from close.config import Settings  # noqa: E402
from close.run.env import StageEnv  # noqa: E402
from close.storage import Database  # noqa: E402
from close.storage.roles import APP_ROLE, OWNER_ROLE, create_database, ensure_roles, url_for  # noqa: E402
from close.storage.runs import RUN_COLUMNS, create_run  # noqa: E402
from close.storage.schema import close_runs  # noqa: E402
from close.users import add_user  # noqa: E402
from close.web.app import create_app  # noqa: E402

LIST = {"limit": 50}
# The run list's rows, read bare (no tenant binding, no row-level security, no Python around them).
BARE_PAGE = str(sa.select(*RUN_COLUMNS).where(close_runs.c.tenant_id == "bench")
                .order_by(close_runs.c.created_at.desc(), close_runs.c.id.desc()).limit(50)
                .compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def _report(what: str, samples: list[float], floor: list[float], target: float, floor_is: str) -> None:
    """Print medians and p95 of the product and its floor, their ratios, and the target."""
    med, p95, fmed, fp95 = statistics.median(samples), _p95(samples), statistics.median(floor), _p95(floor)
    print(f"{what}: median {_ms(med)}, p95 {_ms(p95)} (target p95 < {_ms(target)}: "
          f"{'met' if p95 < target else 'NOT met'})")
    print(f"  {floor_is}: median {_ms(fmed)}, p95 {_ms(fp95)}; "
          f"ratio median {med / fmed:.1f}, p95 {p95 / fp95:.1f}")


def _timed(fn, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def _seed(db: Database, runs: int) -> str:
    """Insert ``runs`` runs over 10 groups × 100 months, spread over three years, mostly completed."""
    months = [f"{2000 + i // 12}-{i % 12 + 1:02d}" for i in range(100)]
    with db.tx() as conn:
        for i in range(runs):
            run = create_run(conn, group_id=f"g{i % 10}", period=months[(i // 10) % 100], actor="seed")
    assert db.owner_engine is not None
    with db.owner_engine.begin() as owner:  # as the owner: a real history has distinct times and states
        owner.exec_driver_sql(
            "UPDATE close_runs SET created_at = created_at - random() * interval '3 years', "
            "status = (ARRAY['COMPLETED','COMPLETED','COMPLETED','COMPLETED','FAILED','CANCELLED',"
            "'AWAITING_REVIEW','COMPLETED'])[1 + floor(random() * 8)::int]")
        owner.exec_driver_sql("ANALYZE close_runs")
    return run.id


async def _clients(base: str, token: str, clients: int, seconds: float) -> tuple[int, int, list[float]]:
    ok = errors = 0
    latencies: list[float] = []
    stop = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"},
                                 limits=limits, timeout=30) as http:
        async def one() -> None:
            nonlocal ok, errors
            while time.monotonic() < stop:
                t = time.perf_counter()
                try:
                    r = await http.get("/api/v1/runs", params={"limit": 20})
                    ok, errors = (ok + 1, errors) if r.status_code == 200 else (ok, errors + 1)
                except httpx.HTTPError:
                    errors += 1
                latencies.append(time.perf_counter() - t)

        await asyncio.gather(*(one() for _ in range(clients)))
    return ok, errors, latencies


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=30)
    args = parser.parse_args(argv)
    load = os.getloadavg()

    name = f"monthclose_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.database, autocommit=True) as admin:
        ensure_roles(admin)
        create_database(admin, name)
    db = Database.connect(url_for(args.database, APP_ROLE, name), "bench",
                          migrate_url=url_for(args.database, OWNER_ROLE, name))
    try:
        last = _seed(db, args.runs)
        token = add_user(db, "reader", "viewer", created_by="bench")
        session = CloseSession(StageEnv(db=db, settings=Settings(), actor="bench"))
        app = create_app(session, {}, session_secret="bench", login_limit=1000)
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=8765, log_level="warning",
                                               access_log=False))
        threading.Thread(target=server.run, daemon=True).start()
        while not server.started:
            time.sleep(0.05)
        base = "http://127.0.0.1:8765"
        auth = {"Authorization": f"Bearer {token}"}
        bare = psycopg.connect(url_for(args.database, make_url(args.database).username or "postgres", name))
        with httpx.Client(base_url=base, headers=auth) as http:
            http.get("/api/v1/runs")  # the token's argon2 check, once
            listing, sql_floor, http_floor = [], [], []
            # Interleaved, so the floors and the product see the same moment of a shared machine.
            for _ in range(args.samples):
                listing += _timed(lambda: http.get("/api/v1/runs", params=LIST).raise_for_status(), 1)
                # The same 50 rows through the same driver, bare: as the superuser, no tenant binding.
                sql_floor += _timed(lambda: bare.execute(BARE_PAGE).fetchall(), 1)
                http_floor += _timed(lambda: http.get("/static/app.js").raise_for_status(), 1)
            browser = httpx.Client(base_url=base)
            page = browser.get("/login")
            csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
            browser.post("/login", data={"user": "reader", "token": token, "csrf": csrf})
            browser.get(f"/runs/{last}")  # warm-up: the first render compiles the templates
            first_byte, page_floor = [], []
            for _ in range(args.samples // 2):
                t = time.perf_counter()
                with browser.stream("GET", f"/runs/{last}") as r:
                    assert r.status_code == 200, r.status_code
                    next(r.iter_raw())
                    first_byte.append(time.perf_counter() - t)
                page_floor += _timed(lambda: browser.get("/static/app.js").raise_for_status(), 1)
            browser.close()
        bare.close()
        floor = [a + b for a, b in zip(sql_floor, http_floor, strict=True)]
        print(f"runs in the database: {args.runs}; load average before {load[0]:.2f} (1 min), now "
              f"{os.getloadavg()[0]:.2f}, on {os.cpu_count()} CPUs")
        _report("run list (50 rows)", listing, floor, 0.050,
                "floor: bare SELECT of the rows (psycopg) + bare HTTP GET of a static file")
        print(f"  of which bare SQL median {_ms(statistics.median(sql_floor))}, "
              f"bare HTTP median {_ms(statistics.median(http_floor))}")
        _report("run page, time to first byte", first_byte, page_floor, 0.300,
                "floor: bare HTTP GET of a static file")
        ok, errors, lat = asyncio.run(_clients(base, token, args.clients, args.seconds))
        print(f"{args.clients} clients for {args.seconds:.0f} s on the run list: {ok} ok, {errors} errors, "
              f"{ok / args.seconds:.0f} req/s, median {_ms(statistics.median(lat))}, p95 {_ms(_p95(lat))}"
              f"   target 0 errors; load average now {os.getloadavg()[0]:.2f}")
        server.should_exit = True
        return 0 if errors == 0 else 1
    finally:
        db.dispose()
        with psycopg.connect(args.database, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
