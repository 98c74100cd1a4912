"""No secret reaches the database, a log, an artifact or Redis (issue 15, acceptance 3).

Markers are seeded in every secret source — the ERP credentials in the environment and in the
secrets file, an unused secret in the secrets file, the Anthropic key — and a distributed close of
the Omie group runs through a real worker on a private Redis against the Omie and Anthropic fakes,
which only accept the markers (this small group has no material variance to comment on, so the
Anthropic key is only present in the workers' environment). Then a ``pg_dump`` of the whole test
database, the CLI output, the worker's log, every artifact (zips and the documents inside them,
PDF text extracted) and every Redis key and value (Celery bodies base64-decoded) are searched for
each marker — and, as a control that the search sees inside them, for the run id.
"""

from __future__ import annotations

import base64
import io
import json
import subprocess
import sys
import time
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from pypdf import PdfReader

from connectors.fakes.omie import OmieFake
from tests.close.run.cli_helpers import cli_env, close
from tests.fakes.anthropic_server import FakeAnthropic
from tests.workers.celery_workers import celery_workers, fresh_redis_url
from tests.workers.omie_group import PERIOD, write_omie_group


def _forms(marker: str) -> list[bytes]:
    """The marker as bytes, as PostgreSQL dumps it in a bytea (hex), and inside base64 at any alignment."""
    raw = marker.encode()
    forms = [raw, raw.hex().encode()]
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw)[4:-4]  # the stable middle of the encoding
        forms.append(encoded)
    return forms


def _documents(data: bytes) -> Iterator[bytes]:
    """The bytes of a file and of everything inside it: zip members (recursively) and PDF text."""
    yield data
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for name in archive.namelist():
                yield from _documents(archive.read(name))
    elif data[:5] == b"%PDF-":
        yield "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages).encode()


def _redis_contents(url: str) -> Iterator[bytes]:
    """Every key and value of the broker's database (the private server's: the test's own)."""
    client = redis.Redis.from_url(url)
    for key in client.scan_iter(count=1000):
            yield key
            kind = client.type(key).decode()
            values: list[bytes] = {
                "string": lambda k: [client.get(k) or b""],
                "list": lambda k: client.lrange(k, 0, -1),
                "hash": lambda k: [b for kv in client.hgetall(k).items() for b in kv],
                "set": lambda k: list(client.smembers(k)),
                "zset": lambda k: client.zrange(k, 0, -1),
            }.get(kind, lambda _k: [])(key)
            for value in values:
                yield value
                try:  # a kombu message: the task body is base64 inside JSON
                    yield base64.b64decode(json.loads(value)["body"])
                except (ValueError, KeyError, TypeError):
                    pass


@pytest.fixture
def markers() -> dict[str, str]:
    tag = uuid.uuid4().hex
    return {"app_key": f"9{int(tag[:12], 16)}", "app_secret": f"omiesecret{tag}",
            "unused": f"unusedsecret{tag}", "anthropic": f"sk-ant-marker-{tag}"}


def test_no_secret_reaches_the_database_logs_artifacts_or_redis(
    pg_url: str, pg_admin_url: str, tmp_path: Path, markers: dict[str, str]
) -> None:
    omie_fake = OmieFake()
    omie_fake.app_key, omie_fake.app_secret = markers["app_key"], markers["app_secret"]
    omie_fake.start()
    secrets_file = tmp_path / "secrets.json"
    secrets_file.write_text(json.dumps({"CLOSE_SECRET_S_APP_SECRET": markers["app_secret"],
                                        "CLOSE_SECRET_X_REFRESH_TOKEN": markers["unused"]}), encoding="utf-8")
    broker = fresh_redis_url()
    try:
        with FakeAnthropic(api_key=markers["anthropic"]) as anthropic:
            config = write_omie_group(tmp_path / "group", omie_fake.url + "/api/v1")
            env = cli_env(pg_url, tmp_path / "home", CLOSE_BROKER_URL=broker,
                          CLOSE_SECRET_S_APP_KEY=markers["app_key"], CLOSE_SECRETS_FILE=str(secrets_file),
                          ANTHROPIC_API_KEY=markers["anthropic"], ANTHROPIC_BASE_URL=anthropic.url)
            omie_fake.delay = 1.0  # the extract holds its message (acknowledged late) while Redis is read
            with celery_workers(env, 1, tmp_path) as workers:
                command = [sys.executable, "-c", "from close.cli import main; main()", "run", "--config",
                           str(config), "--period", PERIOD, "--wait", "--json"]
                running = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                           text=True)
                in_redis: list[bytes] = []
                while running.poll() is None:  # the broker's keys and messages while the run works
                    in_redis += _redis_contents(broker)
                    time.sleep(0.2)
                stdout, stderr = running.communicate()
                assert running.returncode == 0, stdout[-3000:] + stderr[-3000:]
                finished = json.loads(stdout)
                run_id = finished["id"]
                shown = close(env, "show", run_id, "--json")
                logs = [w.text().encode() for w in workers]
    finally:
        omie_fake.stop()
    assert finished["status"] == "COMPLETED"

    dump = subprocess.run(["pg_dump", "--data-only", pg_admin_url], capture_output=True, check=True).stdout
    package = next((tmp_path / "group").rglob("*.zip")).read_bytes()
    places: dict[str, list[bytes]] = {
        "pg_dump": [dump],
        "CLI output": [text.encode() for text in (stdout, stderr, shown.stdout, shown.stderr)],
        "worker log": logs,
        "package": list(_documents(package)),
        "redis": [*in_redis, *_redis_contents(broker)],
    }
    for place in ("pg_dump", "package", "redis"):  # the search reaches inside each (the control)
        assert any(run_id[:8].encode() in blob for blob in places[place]), place
    leaks = [(name, place) for name, marker in markers.items() for place, blobs in places.items()
             if any(form in blob for form in _forms(marker) for blob in blobs)]
    assert not leaks, leaks
