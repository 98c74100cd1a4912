"""REPORTING: render the board package from PostgreSQL and store its files as artifacts.

The documents are rendered outside the write transaction (they take seconds); the write only
inserts the files, with their sha256, in the stage's checkpoint transaction. Rendering reads
nothing but the ``BoardPackData`` loaded here, so a redelivered task renders the same bytes.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from sqlalchemy.engine import Connection

from close.engine.types import EntityId
from close.errors import PermanentError
from close.run.env import StageEnv
from close.run.inputs import load_config, load_run_chart
from close.run.stages import StageOutput, digest_of
from close.run.stages.board_pack import load_board_pack
from close.run.stages.finance import load_finance_pack
from close.storage.artifacts import store_artifacts
from close.storage.runs import Run, sha256
from reports.finance import FinancePack, build_finance_pdf, finance_file_name
from reports.model import BoardPackData
from reports.package import build_board_package

CONTENT_TYPES: dict[str, str] = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".pdf": "application/pdf",
}


def content_type(name: str) -> str:
    """Return the media type of a package file by its suffix.

    Raises:
        PermanentError: a suffix the package does not produce.

    """
    suffix = PurePosixPath(name).suffix.lower()
    if suffix not in CONTENT_TYPES:
        raise PermanentError(f"no content type for report file {name!r}")
    return CONTENT_TYPES[suffix]


def load_package(conn: Connection, run: Run) -> tuple[BoardPackData, FinancePack]:
    """Load what the package shows: the board pack and the finance team's pages (issue 21)."""
    config = load_config(conn, run.id)
    finance = load_finance_pack(conn, run, config, load_run_chart(conn, run.id, config))
    return load_board_pack(conn, run), finance


def render_package(data: BoardPackData, finance: FinancePack) -> dict[str, bytes]:
    """Render the board package, plus the finance pages beside it when they have anything to show."""
    rendered = build_board_package(data)
    if not finance.empty:
        rendered[finance_file_name(finance)] = build_finance_pdf(finance)
    return rendered


def report_run(env: StageEnv, run: Run, _entity: EntityId | None) -> StageOutput:
    """Render the group's board package (REPORTING) and hand back the artifact writer.

    Args:
        env: database, settings and actor.
        run: the run at REPORTING.
        _entity: unused (a whole-run stage).

    Returns:
        The stage output; its digest covers every file's name and sha256.

    Raises:
        InputDataError: the stored outputs cannot be read into a board pack (named).

    """
    with env.db.tx() as conn:
        data, finance = load_package(conn, run)
    rendered = render_package(data, finance)
    files = {name: (content_type(name), content) for name, content in rendered.items()}
    digests = {name: sha256(content) for name, content in sorted(rendered.items())}
    return StageOutput(
        write=lambda conn: store_artifacts(conn, run.id, files),
        digest=digest_of(*(f"{name}\0{digest}\n" for name, digest in digests.items())),
        message=f"rendered {len(files)} board package files",
        detail={"files": digests},
    )
