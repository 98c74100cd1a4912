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
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import psycopg
import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from close.api import CloseSession  # noqa: E402
from close.config import Settings  # noqa: E402
from close.stages import StageEnv  # noqa: E402
from close.storage import Database  # noqa: E402
from close.storage.run_views import page_runs  # noqa: E402
from close.storage.runs import create_run  # noqa: E402
from close.users import add_user  # noqa: E402
from close.web.app import create_app  # noqa: E402


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18]


def _timed(fn, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def _seed(db: Database, runs: int) -> str:
    months = [f"{2000 + i // 12}-{i % 12 + 1:02d}" for i in range(100)]
    with db.tx() as conn:
        for i in range(runs):
            run = create_run(conn, group_id=f"g{i % 10}", period=months[(i // 10) % 100], actor="seed")
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

    name = f"monthclose_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.database, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = args.database.rsplit("/", 1)[0] + f"/{name}"
    db = Database.connect(url, "bench")
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
        with httpx.Client(base_url=base, headers=auth) as http:
            http.get("/api/v1/runs")  # the token's argon2 check, once

            def sql_page() -> None:
                with db.tx() as conn:
                    page_runs(conn, limit=50)

            floor = _timed(sql_page, args.samples)
            listing = _timed(lambda: http.get("/api/v1/runs", params={"limit": 50}).raise_for_status(),
                             args.samples)
            static = _timed(lambda: http.get("/static/app.js").raise_for_status(), args.samples)
            browser = httpx.Client(base_url=base)
            page = browser.get("/login")
            csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
            browser.post("/login", data={"user": "reader", "token": token, "csrf": csrf})
            browser.get(f"/runs/{last}")  # warm-up: the first render compiles the templates
            first_byte = []
            for _ in range(args.samples // 2):
                t = time.perf_counter()
                with browser.stream("GET", f"/runs/{last}") as r:
                    assert r.status_code == 200, r.status_code
                    next(r.iter_raw())
                    first_byte.append(time.perf_counter() - t)
            browser.close()
        print(f"runs in the database: {args.runs}")
        print(f"run list p95   {_p95(listing) * 1000:7.1f} ms   floor (SQL page) {_p95(floor) * 1000:6.1f} ms"
              f"   ratio {_p95(listing) / _p95(floor):5.1f}   target < 50 ms")
        print(f"run page TTFB p95 {_p95(first_byte) * 1000:5.1f} ms   "
              f"floor (static) {_p95(static) * 1000:6.1f} ms"
              f"   ratio {_p95(first_byte) / _p95(static):5.1f}   target < 300 ms")
        ok, errors, lat = asyncio.run(_clients(base, token, args.clients, args.seconds))
        print(f"{args.clients} clients for {args.seconds:.0f} s: {ok} ok, {errors} errors, "
              f"{ok / args.seconds:.0f} req/s, p95 {_p95(lat) * 1000:.0f} ms   target 0 errors")
        server.should_exit = True
        return 0 if errors == 0 else 1
    finally:
        db.dispose()
        with psycopg.connect(args.database, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
