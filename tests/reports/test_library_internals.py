"""Where the reports lean on a library's internals, these fail loudly when an upgrade moves them.

pyproject pins the versions these were checked against; an upgrade that breaks one of them
fails here instead of producing a subtly wrong document.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC

from board_pack_sample import AS_OF
from pptx.opc.package import OpcPackage


def test_python_pptx_still_names_parts_through_next_partname(rendered: dict[str, bytes]) -> None:
    # reports/pptx.py replaces the package's ``next_partname`` (python-pptx issue 644): the
    # method must still exist, and the deck it numbered must have every chart part once, 1..n.
    assert callable(OpcPackage.next_partname)
    names = zipfile.ZipFile(io.BytesIO(rendered["pptx"])).namelist()
    assert len(names) == len(set(names))
    charts = sorted(int(m.group(1)) for n in names
                    if (m := re.fullmatch(r"ppt/charts/chart(\d+)\.xml", n)))
    assert charts == list(range(1, len(charts) + 1))
    assert charts, "the sample deck has charts"


def test_reportlab_takes_the_run_time_as_the_creation_date(rendered: dict[str, bytes]) -> None:
    # reports/pdf.py sets reportlab's document ``_timeStamp`` so the PDF's dates are the run's
    # as_of, never the clock (determinism across processes): the sample's as_of, not 2000-01-01
    # (reportlab's own invariant date) nor today.
    stamp = AS_OF.astimezone(UTC).strftime("%Y%m%d%H%M%S").encode()
    assert b"/CreationDate (D:" + stamp in rendered["pdf"]
