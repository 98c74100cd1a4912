"""Byte-identical zip containers: fixed entry times, fixed order, fixed compression.

xlsx and pptx files are zips; ``zipfile`` stamps each entry with the wall-clock time, so the
same workbook saved twice differs. ``normalize_zip`` rewrites a container with every entry dated
from the run's ``as_of`` (in UTC, never the machine's time zone).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

# The zip format cannot store dates before 1980.
_ZIP_EPOCH = datetime(1980, 1, 1, tzinfo=UTC)


def zip_date_time(moment: datetime) -> tuple[int, int, int, int, int, int]:
    """Return the zip ``date_time`` tuple of an aware datetime, in UTC.

    Args:
        moment: timezone-aware timestamp.

    Returns:
        ``(year, month, day, hour, minute, second)``, clamped to 1980 at the earliest.

    """
    utc = max(moment.astimezone(UTC), _ZIP_EPOCH)
    return (utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second)


def write_zip(entries: Iterable[tuple[str, bytes]], moment: datetime) -> bytes:
    """Write ``(name, bytes)`` entries, in the given order, deflated, all dated ``moment``.

    Args:
        entries: entry names and contents.
        moment: the timestamp stamped on every entry.

    Returns:
        The zip bytes.

    """
    stamp = zip_date_time(moment)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16  # same permissions whatever the umask
            info.create_system = 3  # "Unix", so the header does not depend on the platform
            archive.writestr(info, content, compresslevel=6)
    return buffer.getvalue()


def normalize_zip(data: bytes, moment: datetime,
                  transform: Callable[[str, bytes], bytes] | None = None) -> bytes:
    """Rewrite a zip container (xlsx, pptx) with fixed entry times, keeping its entry order.

    Office readers expect ``[Content_Types].xml`` first, so the order is kept, not sorted.

    Args:
        data: the container as written by openpyxl / python-pptx.
        moment: the run's ``as_of``.
        transform: optional ``(name, content) -> content`` applied to each entry (to pin a
            timestamp a library wrote inside an entry).

    Returns:
        The same entries, byte-for-byte reproducible.

    """
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        entries = [(info.filename, source.read(info)) for info in source.infolist()]
    if transform is not None:
        entries = [(name, transform(name, content)) for name, content in entries]
    return write_zip(entries, moment)
