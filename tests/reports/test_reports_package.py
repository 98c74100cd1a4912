"""The package zip (manifest, order, fixed times) and the PNG previews."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from reports.model import BoardPackData
from reports.package import build_package_zip, package_file_names, render_previews

FILES = {"b.pdf": b"%PDF-1.4 b", "a.xlsx": b"PK a", "c.pptx": b"PK c"}
WHEN = datetime(2025, 7, 4, 18, 30, tzinfo=UTC)


def test_zip_lists_files_sorted_with_a_manifest() -> None:
    data = build_package_zip(FILES, run_id="run-1", created_at=WHEN)
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.namelist() == ["a.xlsx", "b.pdf", "c.pptx", "manifest.json"]
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["run_id"] == "run-1"
    assert manifest["created_at"] == "2025-07-04T18:30:00Z"
    assert manifest["files"] == [
        {"name": n, "sha256": hashlib.sha256(FILES[n]).hexdigest(), "bytes": len(FILES[n])}
        for n in sorted(FILES)]
    for info in archive.infolist():
        assert info.date_time == (2025, 7, 4, 18, 30, 0)
        assert archive.read(info) == (FILES.get(info.filename) or archive.read("manifest.json"))


def test_same_instant_in_another_zone_gives_the_same_bytes() -> None:
    tokyo = WHEN.astimezone(timezone(timedelta(hours=9)))
    assert build_package_zip(FILES, run_id="r", created_at=WHEN) == build_package_zip(
        dict(reversed(FILES.items())), run_id="r", created_at=tokyo)


@pytest.mark.parametrize("name", ["manifest.json", "dir/x.pdf", "", ".."])
def test_bad_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="invalid file name"):
        build_package_zip({name: b"x"}, run_id="r", created_at=WHEN)


def test_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        build_package_zip(FILES, run_id="r", created_at=datetime(2025, 7, 4))  # noqa: DTZ001


def test_previews_render_every_page(tmp_path: Path, rendered: dict[str, bytes]) -> None:
    pngs = render_previews(rendered["summary"], tmp_path / "preview")
    assert [p.name for p in pngs] == ["page-1.png"]
    assert pngs[0].read_bytes().startswith(b"\x89PNG")


def test_file_names(sample: BoardPackData) -> None:
    assert package_file_names(sample)["workbook"] == "atlas-2025-06-board-package.xlsx"
