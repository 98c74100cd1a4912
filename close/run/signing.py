"""The signed edition of the board package, rendered at sign-off beside the unsigned one.

``close signoff`` records who signed off and, in the same transaction, renders the package again
from the same stored figures with the sign-off on the PDF cover and in its appendix (preparer,
reviewer, approver, their times from the sealed audit trail, and the waivers). The files are
stored as the run's ``signed`` edition and the zip is written beside the unsigned one as
``…-signed.zip``; the unsigned edition and its zip are kept as they were. A run is signed off once,
so it has at most one signed edition (the artifacts' primary key holds it too).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from sqlalchemy.engine import Connection

from close.run.env import StageEnv
from close.run.stages.distributing import package_location
from close.run.stages.reporting import content_type, line_detail, load_package, render_package
from close.run.state import append_event
from close.storage.artifacts import SIGNED, package_bytes, store_artifacts
from close.storage.runs import Run, sha256
from close.storage.signoff import signoff_of


def signed_path(unsigned: Path) -> Path:
    """Where the signed zip goes: beside the unsigned one, ``…-signed.zip``."""
    return unsigned.with_name(f"{unsigned.stem}-signed{unsigned.suffix}")


def sign_package(env: StageEnv, conn: Connection, run: Run) -> Path:
    """Render, store and write the signed edition of a signed-off run's package.

    Args:
        env: who acts (recorded on the ``package_signed`` event).
        conn: the sign-off's transaction (the run row is locked, the ``signed_off`` event written).
        run: the run as signed off (``signed_off_by``/``signed_off_at`` set).

    Returns:
        The signed zip's path.

    """
    data, finance = load_package(conn, run)
    rendered = {**render_package(replace(data, signoff=signoff_of(conn, run.id)), finance),
                **line_detail(conn, run, data)}
    store_artifacts(conn, run.id, {name: (content_type(name), content) for name, content in rendered.items()},
                    SIGNED)
    package = package_bytes(conn, run, SIGNED)
    out = signed_path(package_location(conn, run))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".zip.part")
    tmp.write_bytes(package)
    tmp.replace(out)  # readers never see half a zip; a rolled-back sign-off rewrites it when signed again
    append_event(conn, run.id, "package_signed", f"signed package written to {out}", actor=env.actor,
                 detail={"path": str(out), "sha256": sha256(package), "bytes": len(package),
                         "files": {name: sha256(content) for name, content in sorted(rendered.items())}})
    return out
