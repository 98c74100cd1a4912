"""REPORTING: render the board package from PostgreSQL and store its files as artifacts.

The documents are rendered outside the write transaction (they take seconds); the write only
inserts the files, with their sha256, in the stage's checkpoint transaction. Rendering reads
nothing but the ``BoardPackData`` loaded here (the audit trail as it stood when REPORTING
started), so a redelivered task renders the same bytes.

The package renders in parts (``REPORT_PARTS``: the workbook, the deck, the PDFs), each its own
checkpoint keyed by the part's name where per-entity stages put the entity: the workers render
them in parallel, a redelivered part changes nothing, and a resume renders only the parts not
DONE. The whole stage's checkpoint then renders whatever part is still missing (none, after the
parallel parts; all of them in a caller that runs the stage alone), and marks REPORTING DONE
with the digest of every file of the package, in one transaction.
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
from close.run.state import STAGE_PARTS, RunStatus
from close.storage.artifacts import list_artifacts, store_artifacts
from close.storage.results import trial_balance_csv
from close.storage.runs import Run, done_stages, sha256
from reports.finance import FinancePack, build_finance_pdf, finance_file_name
from reports.model import BoardPackData
from reports.package import build_part
from reports.presentation import line_detail_file_name

# The parts of the package, rendered as separate tasks (the finance pages go with the PDFs).
REPORT_PARTS: tuple[str, ...] = STAGE_PARTS[RunStatus.REPORTING]

CONTENT_TYPES: dict[str, str] = {
    ".csv": "text/csv",
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
    return load_board_pack(conn, run), load_finance(conn, run)


def load_finance(conn: Connection, run: Run) -> FinancePack:
    """Load the finance team's pages (only the PDFs part shows them; the root causes take time)."""
    config = load_config(conn, run.id)
    return load_finance_pack(conn, run, config, load_run_chart(conn, run.id, config))


def line_detail(conn: Connection, run: Run, data: BoardPackData) -> dict[str, bytes]:
    """Return the package's trial-balance lines CSV, written by PostgreSQL (it goes with the workbook)."""
    return {line_detail_file_name(data): trial_balance_csv(conn, run.id, run.period)}


def render_part(data: BoardPackData, finance: FinancePack | None, part: str) -> dict[str, bytes]:
    """Render one part of the package; the PDFs carry the finance pages when they show anything.

    Raises:
        ValueError: the PDFs part without the finance pages loaded.

    """
    if part == "pdf" and finance is None:
        raise ValueError("render_part: the PDFs part needs the finance pages (load_finance)")
    rendered = build_part(data, part)
    if part == "pdf" and finance is not None and not finance.empty:
        rendered[finance_file_name(finance)] = build_finance_pdf(finance)
    return rendered


def render_package(data: BoardPackData, finance: FinancePack) -> dict[str, bytes]:
    """Render the whole board package's documents, part after part (sign-off, tests)."""
    return {name: content for part in REPORT_PARTS
            for name, content in render_part(data, finance, part).items()}


def _digest(digests: dict[str, str]) -> str:
    return digest_of(*(f"{name}\0{digest}\n" for name, digest in sorted(digests.items())))


def report_run(env: StageEnv, run: Run, part: EntityId | None) -> StageOutput:
    """Render one part of the board package, or finish the package (REPORTING).

    Args:
        env: database, settings and actor.
        run: the run at REPORTING.
        part: a name of ``REPORT_PARTS``, or None for the whole stage: render the parts not yet
            DONE and mark the package DONE.

    Returns:
        The stage output; its digest covers the name and sha256 of every file it stands for.

    Raises:
        PermanentError: an unknown part.
        InputDataError: the stored outputs cannot be read into a board pack (named).

    """
    if part is not None and part not in REPORT_PARTS:
        raise PermanentError(f"REPORTING has no part {part!r}; the parts are {', '.join(REPORT_PARTS)}")
    with env.db.tx() as conn:
        done = done_stages(conn, run.id)
        missing = [p for p in ((part,) if part else REPORT_PARTS)
                   if (RunStatus.REPORTING.value, p) not in done]
        stored = {} if part else {a.name: a.sha256 for a in list_artifacts(conn, run.id)}
        data = load_board_pack(conn, run) if missing else None
        finance = load_finance(conn, run) if "pdf" in missing else None
        rendered = line_detail(conn, run, data) if data is not None and "workbook" in missing else {}
    if data is not None:
        for p in missing:
            rendered.update(render_part(data, finance, p))
    files = {name: (content_type(name), content) for name, content in rendered.items()}
    digests = {**stored, **{name: sha256(content) for name, content in rendered.items()}}
    what = f"board package part {part}" if part else "board package"
    return StageOutput(
        write=lambda conn: store_artifacts(conn, run.id, files),
        digest=_digest(digests),
        message=f"rendered {len(rendered)} files of the {what}" if rendered
        else f"{what}: {len(digests)} files stored by its parts",
        detail={"files": dict(sorted(digests.items()))},
    )
