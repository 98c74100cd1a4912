"""The package is rendered again at sign-off as a signed edition kept beside the first (issue 17).

One red run of the small group: prepared by ``tester``, approved with a waiver by ``rita``, signed
off by ``sam`` (all three in operator mode, each with ``CLOSE_ACTOR``). The signed zip lands beside
the unsigned one, whose bytes do not change; the signed PDF's cover and appendix carry the three
names with the times the database set on their events, and the waivers; both editions render the
same bytes again in two processes in two time zones (acceptance 5). Without ``CLOSE_ACTOR`` the
decisions are refused (exit 2); a second sign-off and a superseded run are refused too.
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path

import pypdf
import pytest
import sqlalchemy as sa

from close.storage import Database
from close.storage.runs import events
from tests.close.review.review_group import write_green_group, write_red_group
from tests.close.run.cli_helpers import cli_env, close

ROOT = Path(__file__).resolve().parents[3]
WAIVER = "budget predates the new product line"
PDF = "tiny-2026-01-board-package.pdf"


@dataclass(frozen=True)
class Signed:
    """The signed run: environments, its id, the two zips on disk and the CLI outputs on the way."""

    env: dict[str, str]
    run_id: str
    unsigned_before: bytes  # `close package` before the sign-off
    unsigned_path: Path
    signed_path: Path
    refused: dict[str, subprocess.CompletedProcess[str]]
    signoff: subprocess.CompletedProcess[str]
    again: subprocess.CompletedProcess[str]


def _as(env: dict[str, str], actor: str) -> dict[str, str]:
    return {**env, "CLOSE_ACTOR": actor}


def _event_path(db: Database, run_id: str, kind: str) -> Path:
    with db.tx() as conn:
        (event,) = [e for e in events(conn, run_id) if e["kind"] == kind and "path" in (e["detail"] or {})]
    return Path(str(event["detail"]["path"]))


def _package(env: dict[str, str], run_id: str, out: Path, *flags: str) -> bytes:
    done = close(env, "package", run_id, "-o", str(out), *flags)
    assert done.returncode == 0, done.stdout + done.stderr
    return out.read_bytes()


@pytest.fixture(scope="module")
def signed(pg_url: str, pg_owner_url: str, tmp_path_factory: pytest.TempPathFactory) -> Signed:
    folder = tmp_path_factory.mktemp("signed")
    config = write_red_group(folder / "group")
    env = cli_env(pg_url, folder / "home")
    started = close(env, "run", "--config", str(config), "--period", "2026-01", "--json")
    assert started.returncode == 3, started.stdout + started.stderr
    run_id = json.loads(started.stdout)["id"]
    # No CLOSE_ACTOR (the actor would only be $USER): every decision is refused, nothing changes.
    anonymous = {**env, "CLOSE_ACTOR": ""}
    refused = {"approve": close(anonymous, "approve", run_id, "--reason", "ok"),
               "reject": close(anonymous, "reject", run_id, "--reason", "no")}
    approved = close(_as(env, "rita"), "approve", run_id, "--reason", "reviewed with the CFO",
                     "--waive", f"FLUX_BUDGET={WAIVER}")
    assert approved.returncode == 0, approved.stdout + approved.stderr
    unsigned_before = _package(env, run_id, folder / "before.zip")
    refused["signoff"] = close(anonymous, "signoff", run_id)
    signoff = close(_as(env, "sam"), "signoff", run_id, "--note", "board ready")
    again = close(_as(env, "sam"), "signoff", run_id)
    db = Database.connect(pg_url, env["CLOSE_TENANT"], migrate_url=pg_owner_url)
    try:
        paths = _event_path(db, run_id, "stage_done"), _event_path(db, run_id, "package_signed")
    finally:
        db.dispose()
    return Signed(env, run_id, unsigned_before, *paths, refused, signoff, again)


def _tenant_db(db_session: Database, signed: Signed) -> Database:
    return db_session.for_tenant(signed.env["CLOSE_TENANT"])


def _pdf_text(zip_bytes: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as z:
        pdf = z.read(PDF)
    return " ".join(" ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages).split())


def _times(db: Database, run_id: str) -> dict[str, str]:
    with db.tx() as conn:
        rows = conn.execute(sa.text(
            "SELECT kind, actor, at FROM run_events WHERE run_id = CAST(:r AS uuid) "
            "AND kind IN ('created', 'approved', 'signed_off') ORDER BY id"), {"r": run_id}).all()
    return {kind: f"{actor}{'' if kind == 'created' else ' (operator mode)'} · "
                  f"{at.astimezone(UTC):%Y-%m-%d %H:%M UTC}" for kind, actor, at in rows}


def test_without_close_actor_approve_reject_and_signoff_are_refused_with_exit_2(signed: Signed) -> None:
    for command, done in signed.refused.items():
        message = " ".join(done.stderr.split())
        assert done.returncode == 2, (command, done.stdout, done.stderr)
        assert "needs to know who you are: set CLOSE_ACTOR to your name (operator mode)" in message, message
        assert "CLOSE_USER and CLOSE_TOKEN" in message, message
        assert "Traceback" not in done.stderr


def test_the_signed_zip_lands_beside_the_unsigned_one_which_is_kept_as_it_was(
        signed: Signed, db_session: Database, tmp_path: Path) -> None:
    assert signed.signoff.returncode == 0, signed.signoff.stdout + signed.signoff.stderr
    assert "signed package:" in signed.signoff.stdout
    assert str(signed.signed_path) in "".join(signed.signoff.stdout.split())  # the console may wrap it
    assert signed.signed_path.parent == signed.unsigned_path.parent
    assert signed.signed_path.name == signed.unsigned_path.name.removesuffix(".zip") + "-signed.zip"
    # The unsigned edition: the file DISTRIBUTING wrote and `close package --unsigned` are unchanged.
    assert signed.unsigned_path.read_bytes() == signed.unsigned_before
    assert _package(signed.env, signed.run_id, tmp_path / "u.zip", "--unsigned") == signed.unsigned_before
    # Readers now get the signed edition: `close package` gives the file beside the unsigned one.
    signed_zip = signed.signed_path.read_bytes()
    assert _package(signed.env, signed.run_id, tmp_path / "s.zip") == signed_zip
    with zipfile.ZipFile(io.BytesIO(signed_zip)) as z, \
            zipfile.ZipFile(io.BytesIO(signed.unsigned_before)) as u:
        manifest = json.loads(z.read("manifest.json"))
        assert sorted(z.namelist()) == sorted(u.namelist())
        assert "edition" not in json.loads(u.read("manifest.json"))
        # Only the PDFs show the sign-off; the workbook and the deck are the same documents.
        same = {n for n in z.namelist() if n.endswith((".xlsx", ".pptx"))}
        assert same and all(z.read(n) == u.read(n) for n in same)
        assert z.read(PDF) != u.read(PDF)
    assert (manifest["edition"], manifest["signed_off_by"]) == ("signed", "sam")
    for entry in manifest["files"]:
        assert len(entry["sha256"]) == 64
    db = _tenant_db(db_session, signed)
    with db.tx() as conn:
        (event,) = [e for e in events(conn, signed.run_id) if e["kind"] == "package_signed"]
        editions = dict(conn.execute(sa.text(
            "SELECT edition, count(*) FROM artifacts WHERE run_id = CAST(:r AS uuid) GROUP BY edition"),
            {"r": signed.run_id}).all())
    assert event["detail"]["sha256"] == hashlib.sha256(signed_zip).hexdigest()
    assert editions == {"unsigned": len(manifest["files"]), "signed": len(manifest["files"])}


def test_the_signed_pdf_names_preparer_reviewer_and_approver_with_their_times_and_waivers(
        signed: Signed, db_session: Database) -> None:
    text = _pdf_text(signed.signed_path.read_bytes())
    times = _times(_tenant_db(db_session, signed), signed.run_id)
    assert times["created"].startswith("tester · ") and times["approved"].startswith("rita (operator mode)")
    for label, kind in (("Prepared by", "created"), ("Reviewed and approved by", "approved"),
                        ("Signed off by", "signed_off")):
        # On the cover and again in the appendix's sign-off section.
        assert text.count(f"{label} {times[kind]}") == 2, (label, times[kind])
    # The finding named with --waive keeps its reason; the other is waived with the approval's.
    assert "Waivers 2: FLUX_BUDGET, RATIO_OUT_OF_BAND" in text and "Note board ready" in text
    assert WAIVER in text and "reviewed with the CFO" in text and "not signed off" not in text
    unsigned = _pdf_text(signed.unsigned_before)
    assert "not signed off: this edition was rendered before sign-off" in unsigned
    assert "Signed off by" not in unsigned


def test_signing_again_is_refused_and_makes_no_second_signed_edition(
        signed: Signed, db_session: Database) -> None:
    assert signed.again.returncode == 2, signed.again.stdout + signed.again.stderr
    assert f"run {signed.run_id} was signed off by sam" in " ".join(signed.again.stderr.split())
    with _tenant_db(db_session, signed).tx() as conn:
        kinds = [e["kind"] for e in events(conn, signed.run_id)]
    assert kinds.count("signed_off") == kinds.count("package_signed") == 1


_RENDER = """
import hashlib, json, os, sys
from dataclasses import replace
from close.config import Settings
from close.run.stages.reporting import line_detail, load_package, render_package
from close.storage import open_database
from close.storage.artifacts import SIGNED, UNSIGNED, package_bytes
from close.storage.runs import get_run
from close.storage.signoff import signoff_of

db = open_database(Settings.from_environ(os.environ))
with db.tx() as conn:
    run = get_run(conn, sys.argv[1])
    data, finance = load_package(conn, run)
    signed = replace(data, signoff=signoff_of(conn, run.id))
    zips = {e: hashlib.sha256(package_bytes(conn, run, e)).hexdigest() for e in (UNSIGNED, SIGNED)}
    lines = line_detail(conn, run, data)  # the trial-balance lines CSV, the same in both editions
digests = {e: {n: hashlib.sha256(c).hexdigest() for n, c in {**render_package(d, finance), **lines}.items()}
           for e, d in ((UNSIGNED, data), (SIGNED, signed))}
print(json.dumps({"files": digests, "zips": zips}))
"""


def _render_in(env: dict[str, str], tz: str, run_id: str) -> dict[str, dict[str, str]]:
    done = subprocess.run([sys.executable, "-c", _RENDER, run_id], capture_output=True, text=True,
                          env={**env, "TZ": tz, "PYTHONPATH": str(ROOT)}, timeout=300, check=False, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_both_editions_render_the_same_bytes_in_two_processes_and_time_zones(
        signed: Signed, db_session: Database) -> None:
    tokyo = _render_in(signed.env, "Asia/Tokyo", signed.run_id)
    sao_paulo = _render_in(signed.env, "America/Sao_Paulo", signed.run_id)
    assert tokyo == sao_paulo
    with _tenant_db(db_session, signed).tx() as conn:
        stored = conn.execute(sa.text(
            "SELECT edition, name, sha256 FROM artifacts WHERE run_id = CAST(:r AS uuid)"),
            {"r": signed.run_id}).all()
    assert tokyo["files"] == {e: {n: s for ed, n, s in stored if ed == e} for e in ("unsigned", "signed")}
    assert tokyo["zips"] == {"unsigned": hashlib.sha256(signed.unsigned_path.read_bytes()).hexdigest(),
                             "signed": hashlib.sha256(signed.signed_path.read_bytes()).hexdigest()}


def test_a_completed_period_needs_rerun_and_a_superseded_run_is_not_signed_off(
        pg_url: str, tmp_path: Path) -> None:
    env = cli_env(pg_url, tmp_path / "home")
    config = write_green_group(tmp_path / "group", "2026-01")
    args = ("run", "--config", str(config), "--period", "2026-01")
    first = close(env, *args)
    assert first.returncode == 0, first.stdout + first.stderr
    old = next(line.split()[1] for line in first.stderr.splitlines() if line.startswith("run "))
    refused = close(env, *args)
    assert refused.returncode == 2
    assert f"tiny 2026-01 already has a completed run {old}; pass --rerun" in " ".join(refused.stderr.split())
    rerun = close(env, *args, "--rerun")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert f"it supersedes run {old} when it completes (--rerun)" in " ".join(rerun.stderr.split())
    new = next(line.split()[1] for line in rerun.stderr.splitlines() if line.startswith("run "))
    done = close(env, "signoff", old)
    message = " ".join(done.stderr.split())
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"run {old} was superseded by run {new}; sign off that one (close signoff {new})" in message
    assert close(env, "signoff", new).returncode == 0
