"""Same run, same bytes: two processes, different clock times and time zones."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

from board_pack_sample import sample_signoff

from reports.model import BoardPackData
from reports.package import build_board_package, build_package_zip, package_file_names
from reports.pdf import build_board_pdf

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
_SCRIPT = """
import hashlib, json
from dataclasses import replace
from board_pack_sample import sample_board_pack, sample_signoff
from reports.package import build_board_package, build_package_zip
from reports.pdf import build_board_pdf
data = sample_board_pack()
files = build_board_package(data)
files["package.zip"] = build_package_zip(files, run_id=data.run_id, created_at=data.as_of)
files["signed.pdf"] = build_board_pdf(replace(data, signoff=sample_signoff(data)))
print(json.dumps({name: hashlib.sha256(content).hexdigest() for name, content in files.items()}))
"""


def _digests_in_subprocess(tz: str) -> dict[str, str]:
    env = {**os.environ, "TZ": tz, "PYTHONPATH": os.pathsep.join([str(ROOT), str(HERE)])}
    result = subprocess.run([sys.executable, "-c", _SCRIPT], env=env, capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_two_processes_in_different_time_zones_write_identical_bytes(
        sample: BoardPackData) -> None:
    tokyo = _digests_in_subprocess("Asia/Tokyo")
    time.sleep(2.1)  # a later wall-clock second, so any embedded "now" would show
    sao_paulo = _digests_in_subprocess("America/Sao_Paulo")
    assert tokyo == sao_paulo
    files = build_board_package(sample)
    here = {name: hashlib.sha256(content).hexdigest() for name, content in files.items()}
    here["package.zip"] = hashlib.sha256(
        build_package_zip(files, run_id=sample.run_id, created_at=sample.as_of)).hexdigest()
    # The signed edition's board PDF (issue 17, acceptance 5): its times are printed in UTC.
    here["signed.pdf"] = hashlib.sha256(
        build_board_pdf(replace(sample, signoff=sample_signoff(sample)))).hexdigest()
    assert here == tokyo
    assert len(tokyo) == 6 and tokyo["signed.pdf"] != tokyo[package_file_names(sample)["board_pdf"]]
