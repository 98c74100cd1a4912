"""The board package's files in PostgreSQL (``artifacts``) and the package zip built from them.

REPORTING stores each rendered document with its sha256; DISTRIBUTING and ``close package``
turn them into one zip with a ``manifest.json``. The zip is deterministic: entries in a fixed
order, every entry dated the run's ``as_of`` (UTC), the manifest with sorted keys. The zip that
DISTRIBUTING writes and the one ``close package`` writes later are the same bytes.

A run has up to two editions of its files (migration 0012): the ``unsigned`` one REPORTING
renders, and the ``signed`` one ``close signoff`` renders with the sign-off on the cover and in
the appendix. The unsigned edition is never replaced; readers that want "the package" get the
signed edition once it exists (:func:`current_edition`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from close.engine.types import RunId
from close.errors import PermanentError
from close.run.inputs import ORIGIN_INPUT
from close.run.state import RunStatus
from close.storage.runs import Run, list_inputs, sha256
from close.storage.schema import artifacts as artifacts_table
from close.storage.schema import current_tenant
from reports.archive import write_zip

MANIFEST_NAME = "manifest.json"

Edition = Literal["unsigned", "signed"]
UNSIGNED: Edition = "unsigned"
SIGNED: Edition = "signed"


@dataclass(frozen=True, slots=True)
class Artifact:
    """A stored report file (without its bytes)."""

    name: str
    content_type: str
    sha256: str
    size: int


def store_artifacts(conn: Connection, run_id: RunId, files: Mapping[str, tuple[str, bytes]],
                    edition: Edition = UNSIGNED) -> tuple[Artifact, ...]:
    """Insert a run's report files, each with its sha256 and size.

    Args:
        conn: a connection inside the caller's (tenant-scoped) transaction.
        run_id: the run.
        files: file name → ``(content type, bytes)``.
        edition: ``unsigned`` (REPORTING) or ``signed`` (sign-off).

    Returns:
        The stored artifacts, by name.

    Raises:
        PermanentError: a file name is the manifest's, which the package writes itself.
        sqlalchemy.exc.IntegrityError: the run already has a file of that name in that edition.

    """
    if MANIFEST_NAME in files:
        raise PermanentError(f"run {run_id}: {MANIFEST_NAME} is reserved for the package manifest")
    stored = []
    for name in sorted(files):
        content_type, content = files[name]
        artifact = Artifact(name=name, content_type=content_type, sha256=sha256(content), size=len(content))
        conn.execute(artifacts_table.insert().values(
            tenant_id=current_tenant(), run_id=run_id, edition=edition, name=name, content_type=content_type,
            sha256=artifact.sha256, size=artifact.size, content=content))
        stored.append(artifact)
    return tuple(stored)


def current_edition(conn: Connection, run_id: RunId) -> Edition:
    """Return the edition a reader gets: ``signed`` once the run's sign-off rendered it."""
    a = artifacts_table.c
    signed = conn.execute(sa.select(sa.literal(1)).where(a.run_id == run_id, a.edition == SIGNED)
                          .limit(1)).first()
    return SIGNED if signed else UNSIGNED


def list_artifacts(conn: Connection, run_id: RunId, edition: Edition = UNSIGNED) -> tuple[Artifact, ...]:
    """Return a run's stored report files of one edition, by name (empty before REPORTING)."""
    rows = conn.execute(_files_of(run_id, edition, "name", "content_type", "sha256", "size")).all()
    return tuple(Artifact(name=r[0], content_type=r[1], sha256=r[2], size=r[3]) for r in rows)


def package_status(status: RunStatus) -> RunStatus:
    """Return the status a package records for its run.

    REPORTING renders the documents and DISTRIBUTING writes the package in the step that
    completes the run, so both already say COMPLETED: rendering the completed run again, or
    ``close package`` on it, reproduces the same bytes.
    """
    return RunStatus.COMPLETED if status in (RunStatus.REPORTING, RunStatus.DISTRIBUTING) else status


def package_manifest(run: Run, artifacts: tuple[Artifact, ...], inputs: list[dict[str, object]],
                     edition: Edition = UNSIGNED) -> bytes:
    """Return the package's ``manifest.json``: the run, its files and what it was built from.

    Args:
        run: the run (id, group, period, status and ``as_of`` are recorded).
        artifacts: the files in the package.
        inputs: the run's input snapshot (``list_inputs``): name, version, sha256, size. The
            config file's path on the machine that started the run is not an input and is
            left out.
        edition: the signed edition also records who signed it off and when (UTC); the
            unsigned manifest has no edition key, as before there were two.

    Returns:
        UTF-8 JSON with sorted keys and a trailing newline.

    """
    manifest = {
        "run_id": run.id,
        "group": run.group_id,
        "period": run.period,
        "status": str(package_status(run.status)),
        "as_of": run.as_of.astimezone(UTC).isoformat(),
        "files": [{"name": a.name, "sha256": a.sha256, "bytes": a.size} for a in artifacts],
        "inputs": [{"name": i["name"], "version": i["version"], "sha256": i["sha256"], "bytes": i["size"]}
                   for i in inputs if i["name"] != ORIGIN_INPUT],
    }
    if edition == SIGNED and run.signed_off_at is not None:
        manifest.update(edition=SIGNED, signed_off_by=run.signed_off_by,
                        signed_off_at=run.signed_off_at.astimezone(UTC).isoformat())
    return (json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()


def package_bytes(conn: Connection, run: Run, edition: Edition = UNSIGNED) -> bytes:
    """Return the run's package: a zip of the manifest and every stored report file.

    Args:
        conn: a connection inside a tenant-scoped transaction.
        run: the run to package.
        edition: which edition's files (``current_edition`` says which one a reader gets).

    Returns:
        The zip bytes: ``manifest.json`` first, then the files by name, all dated ``run.as_of``.

    Raises:
        PermanentError: the run has no report files of that edition.

    """
    rows = conn.execute(_files_of(run.id, edition, "name", "content_type", "sha256", "size", "content")).all()
    if not rows:
        raise PermanentError(f"run {run.id} has no report files: REPORTING has not stored any"
                             if edition == UNSIGNED else f"run {run.id} has no signed report files")
    artifacts = tuple(Artifact(name=r[0], content_type=r[1], sha256=r[2], size=r[3]) for r in rows)
    manifest = package_manifest(run, artifacts, list_inputs(conn, run.id), edition)
    return write_zip([(MANIFEST_NAME, manifest), *((r[0], bytes(r[4])) for r in rows)], run.as_of)


def artifact_files(conn: Connection, run_id: RunId, edition: Edition = UNSIGNED
                   ) -> dict[str, tuple[str, bytes]]:
    """Return a run's stored report files of one edition: name → (content type, bytes)."""
    rows = conn.execute(_files_of(run_id, edition, "name", "content_type", "content")).all()
    return {r[0]: (r[1], bytes(r[2])) for r in rows}


def _files_of(run_id: RunId, edition: Edition, *columns: str) -> sa.Select:
    """Select ``columns`` of a run's stored files of one edition, by name."""
    a = artifacts_table.c
    return (sa.select(*(a[c] for c in columns)).where(a.run_id == run_id, a.edition == edition)
            .order_by(a.name))
