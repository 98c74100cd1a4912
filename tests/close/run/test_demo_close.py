"""The demo close end to end (issue 3, acceptance 1, 6 and 9)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from decimal import Decimal

import openpyxl
from pptx import Presentation
from pypdf import PdfReader

from tests.close.run.cli_helpers import close, close_json
from tests.close.run.demo_close import DemoClose

PERIODS = [f"2025-{m:02d}" for m in (10, 11, 12)] + [f"2026-{m:02d}" for m in range(1, 11)]


def _figures(text: str) -> set[str]:
    return set(text.replace("\xa0", " ").split())


def test_demo_closes_every_month_and_prints_the_package(demo_close: DemoClose) -> None:
    assert [r["period"] for r in demo_close.runs] == PERIODS
    assert all(r["status"] == "COMPLETED" and r["effective"] for r in demo_close.runs)
    assert demo_close.package.exists() and demo_close.latest["id"][:8] in demo_close.package.name

    with zipfile.ZipFile(demo_close.package) as z:
        names = z.namelist()
        files = {n.rsplit(".", 1)[-1]: z.read(n) for n in names
                 if n.endswith((".xlsx", ".pptx", "board-package.pdf"))}
    assert any(n.endswith("executive-summary.pdf") for n in names)
    assert {"xlsx", "pptx", "pdf"} <= set(files)
    totals = close_json(demo_close.env, "show", demo_close.latest["id"])["totals"]
    total_assets = f"{Decimal(totals['assets']):,.0f}"  # the statements show whole currency units or cents
    total_assets_cents = f"{Decimal(totals['assets']):,.2f}"

    book = openpyxl.load_workbook(io.BytesIO(files["xlsx"]), data_only=False)
    numbers = {round(Decimal(str(c.value)), 2)
               for ws in book.worksheets for row in ws.iter_rows() for c in row
               if isinstance(c.value, int | float | Decimal)}
    assert Decimal(totals["assets"]) in numbers or any(
        isinstance(c.value, str) and c.value.startswith("=")
        for ws in book.worksheets for row in ws.iter_rows() for c in row)
    shapes = [shape for slide in Presentation(io.BytesIO(files["pptx"])).slides for shape in slide.shapes]
    deck = " ".join([s.text_frame.text for s in shapes if s.has_text_frame]
                    + [c.text for s in shapes if s.has_table for row in s.table.rows for c in row.cells])
    pdf = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(files["pdf"])).pages)
    for name, text in (("pptx", deck), ("pdf", pdf)):
        assert total_assets in text or total_assets_cents in text, (name, totals["assets"], len(text))


def test_latest_balance_sheet_balances_with_nci_and_without_the_investment(demo_close: DemoClose) -> None:
    shown = close_json(demo_close.env, "show", demo_close.latest["id"])
    by_class: dict[str, Decimal] = {}
    for row in shown["consolidated"]:
        by_class[row["class"]] = by_class.get(row["class"], Decimal(0)) + Decimal(row["amount"])
    assert sum(by_class.values()) == 0
    # assets = liabilities + equity (+ this year's result, still in the income statement accounts)
    assert by_class["asset"] == -(by_class["liability"] + by_class["equity"] + by_class["revenue"]
                                  + by_class["expense"])
    amounts = {r["account"]: Decimal(r["amount"]) for r in shown["consolidated"]}
    assert amounts.get("1800", Decimal(0)) == 0, "the parent's investment is eliminated"
    assert Decimal(shown["totals"]["nci_equity"]) > 0
    (br2,) = [n for n in shown["nci"] if n["entity"] == "BR2"]
    assert Decimal(str(br2["nci_pct"])) == Decimal("0.2")


def test_package_manifest_matches_postgres_and_renders_identically_anywhere(demo_close: DemoClose,
                                                                             tmp_path) -> None:
    run_id = demo_close.latest["id"]
    out = tmp_path / "x.zip"
    assert close(demo_close.env, "package", run_id, "-o", str(out)).returncode == 0
    with zipfile.ZipFile(out) as z:
        manifest = json.loads(z.read("manifest.json"))
        stored = {n: z.read(n) for n in z.namelist() if n != "manifest.json"}
    render = ("import sys, json, hashlib\n"
              "from close.config import Settings\nfrom close.storage import Database\n"
              "from close.storage.runs import get_run\n"
              "from close.run.stages.reporting import line_detail, load_package, render_package\n"
              "db = Database.connect(sys.argv[1], sys.argv[2])\n"
              "with db.tx() as conn:\n    run = get_run(conn, sys.argv[3])\n"
              "    data, finance = load_package(conn, run)\n"
              "    # the documents rendered again, the line-detail CSV written again by PostgreSQL\n"
              "    files = {**render_package(data, finance), **line_detail(conn, run, data)}\n"
              "print(json.dumps({n: hashlib.sha256(b).hexdigest() for n, b in files.items()}))\n")
    digests = []
    for tz in ("UTC", "Asia/Tokyo"):
        env = {**demo_close.env, "TZ": tz}
        done = subprocess.run([sys.executable, "-c", render, env["DATABASE_URL"], env["CLOSE_TENANT"],
                               run_id], env=env, capture_output=True, text=True, check=True)
        digests.append(json.loads(done.stdout))
    assert digests[0] == digests[1]
    listed = {f["name"]: f["sha256"] for f in manifest["files"]}
    assert listed == digests[0] and set(listed) == set(stored)
    import hashlib
    assert {n: hashlib.sha256(b).hexdigest() for n, b in stored.items()} == listed
