"""The board package zip (the files plus a manifest) and PNG previews of a PDF.

``build_package_zip`` is what ``close package RUN_ID -o FILE.zip`` writes: the stored report
files in name order and a ``manifest.json`` giving each file's name, sha256 and size, every entry
dated from the run's timestamp. The same files and run give the same bytes.

``build_board_package`` renders the four documents from one ``BoardPackData`` (the REPORTING
stage stores them as artifacts; the CLI zips the stored artifacts, so it need not re-render).
``build_part`` renders one of ``PARTS`` alone: the workbook, the deck and the PDFs do not depend
on each other, so REPORTING renders them as separate tasks in parallel.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path

from close.errors import PermanentError
from reports.archive import write_zip
from reports.excel import build_workbook
from reports.model import BoardPackData
from reports.pdf import build_board_pdf, build_summary_pdf
from reports.pptx import build_deck
from reports.presentation import line_detail_file_name

MANIFEST = "manifest.json"


def package_file_names(data: BoardPackData) -> dict[str, str]:
    """Return the file name of each document kind for a run (``workbook``, ``deck``…).

    Args:
        data: the board pack.

    Returns:
        ``{"workbook": "atlas-2025-06-board-package.xlsx", …}``.

    """
    stem = f"{data.group_id}-{data.period}"
    return {"workbook": f"{stem}-board-package.xlsx", "deck": f"{stem}-board-deck.pptx",
            "board_pdf": f"{stem}-board-package.pdf",
            "summary_pdf": f"{stem}-executive-summary.pdf", "tb_lines": line_detail_file_name(data)}


# The package's parts, each a set of document kinds rendered together, in the order they are
# rendered one after another in-process. The PDFs go together: the summary is one page.
PARTS: dict[str, tuple[tuple[str, Callable[[BoardPackData], bytes]], ...]] = {
    "workbook": (("workbook", build_workbook),),
    "deck": (("deck", build_deck),),
    "pdf": (("board_pdf", build_board_pdf), ("summary_pdf", build_summary_pdf)),
}


def build_part(data: BoardPackData, part: str) -> dict[str, bytes]:
    """Render one part of the package (a key of ``PARTS``).

    Returns:
        File name → bytes (names from ``package_file_names``).

    Raises:
        KeyError: an unknown part.

    """
    names = package_file_names(data)
    return {names[kind]: render(data) for kind, render in PARTS[part]}


def build_board_package(data: BoardPackData) -> dict[str, bytes]:
    """Render the workbook, the deck, the board PDF and the one-page summary.

    Args:
        data: the board pack.

    Returns:
        File name → bytes (names from ``package_file_names``).

    """
    return {name: content for part in PARTS for name, content in build_part(data, part).items()}


def build_package_zip(files: Mapping[str, bytes], *, run_id: str, created_at: datetime) -> bytes:
    """Zip the package files with a manifest, reproducibly.

    Args:
        files: file name → content (names must be plain file names, unique, not
            ``manifest.json``).
        run_id: the run, recorded in the manifest.
        created_at: the run's timestamp (timezone-aware); stamped on every entry and in the
            manifest.

    Returns:
        The zip bytes: entries sorted by name, then ``manifest.json``.

    Raises:
        ValueError: for a naive ``created_at`` or a bad file name.

    """
    if created_at.tzinfo is None or created_at.utcoffset() is None:
        raise ValueError("build_package_zip: created_at must be timezone-aware")
    for name in files:
        if name == MANIFEST or "/" in name or "\\" in name or name in ("", ".", ".."):
            raise ValueError(f"build_package_zip: invalid file name {name!r}")
    names = sorted(files)
    manifest = {
        "run_id": run_id,
        "created_at": created_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "files": [{"name": n, "sha256": hashlib.sha256(files[n]).hexdigest(),
                   "bytes": len(files[n])} for n in names],
    }
    body = json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8") + b"\n"
    return write_zip([*((n, files[n]) for n in names), (MANIFEST, body)], created_at)


def render_previews(pdf_bytes: bytes, out_dir: Path, *, resolution: int = 80,
                    prefix: str = "page") -> list[Path]:
    """Render each page of a PDF to a PNG with poppler's ``pdftoppm``.

    Args:
        pdf_bytes: the PDF.
        out_dir: where to write ``page-01.png``…; created if missing.
        resolution: dots per inch.
        prefix: file name prefix.

    Returns:
        The PNG paths, in page order.

    Raises:
        PermanentError: when ``pdftoppm`` is not installed (``apt-get install poppler-utils``)
            or fails.

    """
    exe = shutil.which("pdftoppm")
    if exe is None:
        raise PermanentError("pdftoppm not found: install poppler-utils to render previews")
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob(f"{prefix}-*.png"):
        old.unlink()
    result = subprocess.run(  # noqa: S603 - fixed executable, arguments are ours
        [exe, "-png", "-r", str(resolution), "-", str(out_dir / prefix)],
        input=pdf_bytes, capture_output=True, check=False, timeout=300)
    if result.returncode != 0:
        raise PermanentError(f"pdftoppm failed ({result.returncode}): "
                             f"{result.stderr.decode(errors='replace').strip()}")
    return sorted(out_dir.glob(f"{prefix}-*.png"))
