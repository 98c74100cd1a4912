"""Multi-level NCI per subsidiary through ``close run``: ``close show --json`` and the package's NCI appendix.

The three-level group of tests/close/consolidation/test_multilevel.py, written as a group folder:
HOLD (USD) owns 80% of A (BRL); A owns 60% of B (EUR). Direct and indirect NCI as the study
notes give them ("AU: Consolidation: other issues",
https://china-concepts-stock.blogspot.com/2019/05/au-consolidation-other-issues.html: "P Ltd 80%
A Ltd 60% B Ltd ... P Ltd 48% DNCI 20% [in A] DNCI 40% INCI 12% [in B]"), and the indirect holding
adjustment deducted where the ACCA workings deduct it (OpenTuition ACCA SBR, "NCI calculation for
a D-shaped group", https://opentuition.com/topic/nci-calculation-for-a-d-shaped-group: "NCI at
acquisition, NCI share of post-acquisition ret earnings, Less NCI share of investment in the
sub-subsidiary") — in the working of A, whose NCI owns a share of A's investment in B:

  A: 20% × A's net assets 1,200.00 = 240.00, less 20% × A's investment in B 660.00 = 132.00 → 108.00;
     NCI profit 20% × 200.00 = 40.00; no CTA (BRL closing = average).
  B: 52% (40% direct + 12% indirect) × B's net assets 1,440.00 = 748.80; NCI profit 52% × 220.00
     = 114.40; NCI CTA 52% × 120.00 = 62.40.
"""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

from pypdf import PdfReader

from close.run.stages.reporting import load_package
from close.storage import Database
from close.storage.runs import get_run
from reports.pdf import build_board_pdf
from tests.close.e2e.group_folder import entity_toml, identity_mapping, tb_file, write_folder
from tests.close.run.cli_helpers import cli_env, close, close_json

PERIOD = "2025-01"
CONFIG = (
    """\
[group]
id = "threelevel"
name = "Three levels"
presentation_currency = "USD"

[files]
mapping = "mapping.csv"
rates = "rates.csv"
opening_balances = "opening.csv"

[rates]
sources = { BRL = "file", EUR = "file" }
"""
    + entity_toml("HOLD", "Holding", "USD")
    + entity_toml("A", "Alpha", "BRL", "HOLD", "0.8")
    + entity_toml("B", "Beta", "EUR", "A", "0.6")
)
A_TB = "1000 | | 0 | 2700\n1800 | B | 0 | 3300\n3000 | | 0 | -5000\n4000 | | 0 | -1500\n6400 | | 0 | 500"
B_TB = "1000 | | 0 | 1200\n3000 | | 0 | -1000\n4000 | | 0 | -500\n6400 | | 0 | 300"
FILES = {
    "group.toml": CONFIG,
    "mapping.csv": identity_mapping({"1000", "1800", "3000", "4000", "6400"}),
    # Founded this month: nothing before it (share capital contributed at the month's average).
    "opening.csv": "entity,account,translated_closing,historical_rate\nA,3000,0.00,\nB,3000,0.00,\n",
    "rates.csv": "period,currency,closing,average,historical,rate_date,entity,account\n"
    "2024-12,BRL,0.20,0.20,,,,\n2024-12,EUR,1.10,1.10,,,,\n"
    "2025-01,BRL,0.20,0.20,,,,\n2025-01,EUR,1.20,1.10,,,,\n",
    f"tb/HOLD/{PERIOD}.csv": tb_file("1000 | | 0 | 9200\n1800 | A | 0 | 800\n3000 | | 0 | -10000"),
    f"tb/A/{PERIOD}.csv": tb_file(A_TB),
    f"tb/B/{PERIOD}.csv": tb_file(B_TB),
}


def test_nci_per_subsidiary_in_show_json_and_in_the_package_appendix(pg_url: str, tmp_path: Path) -> None:
    env = cli_env(pg_url, tmp_path / "home")
    done = close(env, "run", "--config", str(write_folder(tmp_path / "group", FILES)), "--period", PERIOD)
    assert done.returncode in (0, 3), done.stdout[-3000:] + done.stderr[-3000:]
    run_id = close_json(env, "status")["runs"][0]["id"]

    shown = close_json(env, "show", run_id)
    nci = {row["entity"]: row for row in shown["nci"]}
    parts = ("direct_pct", "indirect_pct", "equity", "profit", "cta", "indirect_adjustment")
    shown_a = [Decimal(str(nci["A"][k])) for k in parts]
    shown_b = [Decimal(str(nci["B"][k])) for k in parts]
    assert shown_a == [Decimal(v) for v in ("0.2", "0", "108.00", "40.00", "0", "132.00")]
    assert shown_b == [Decimal(v) for v in ("0.4", "0.12", "748.80", "114.40", "-62.40", "0")]
    amount = {r["account"]: Decimal(r["amount"]) for r in shown["consolidated"]}
    assert amount["3400"] == Decimal("-856.80")  # 108.00 + 748.80, the consolidated NCI
    assert sum(amount.values()) == 0

    db = Database.connect(env["DATABASE_URL"], env["CLOSE_TENANT"])
    try:
        with db.tx() as conn:
            data, _finance = load_package(conn, get_run(conn, run_id))
    finally:
        db.dispose()
    by_entity = {a.entity: a for a in data.attributions}
    fields = ("direct_pct", "indirect_pct", "indirect_adjustment", "nci_equity", "nci_profit_ytd", "cta_nci")
    in_package = {e: [getattr(by_entity[e], f) for f in fields] for e in ("A", "B")}
    assert in_package["A"] == [Decimal(v) for v in ("0.2", "0", "132.00", "108.00", "40.00", "0")]
    assert in_package["B"] == [Decimal(v) for v in ("0.4", "0.12", "0", "748.80", "114.40", "62.40")]

    pdf = build_board_pdf(data)
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]
    # The appendix page (the contents page names the section too).
    page = next(p for p in reversed(pages) if "Non-controlling interests per subsidiary" in p)
    words = " ".join(page.split())
    # Entity, direct %, indirect %, before adjustment, adjustment, NCI, NCI profit YTD, NCI CTA.
    a_row = "A Alpha 20.0% 0.0% 240.00 (132.00) 108.00 40.00 0.00"
    b_row = "B Beta 40.0% 12.0% 748.80 0.00 748.80 114.40 62.40"
    assert f"{a_row} {b_row}" in words, words
