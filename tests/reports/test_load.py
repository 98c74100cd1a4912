"""``load_board_pack``, the artifacts store and the REPORTING adapter against real PostgreSQL."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Sequence
from datetime import UTC, date

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from close.config import Settings
from close.engine.money import D
from close.errors import InputDataError, PermanentError
from close.run.env import StageEnv
from close.run.inputs import CONFIG_INPUT, ORIGIN_INPUT
from close.run.stages.board_pack import load_board_pack
from close.run.stages.reporting import CONTENT_TYPES, report_run
from close.run.state import append_event
from close.storage import Database
from close.storage.artifacts import list_artifacts, package_bytes, store_artifacts
from close.storage.results import trial_balance_csv
from close.storage.runs import Run, create_run, get_run, put_input
from close.storage.workflow import instantiate_tasks, reopen_task, set_task_done
from reports.archive import zip_date_time

CONFIG = """
[group]
id = "atlas"
name = "Atlas Group"
presentation_currency = "USD"

[files]
budget = "budget.csv"

[[entities]]
id = "HOLD"
name = "Atlas Holding"
currency = "USD"

[[entities]]
id = "BR1"
name = "Atlas Brasil"
currency = "BRL"
parent = "HOLD"
ownership = "0.8"

[[entities]]
id = "BR2"
name = "Atlas Nordeste"
currency = "BRL"
parent = "BR1"
ownership = "0.5"

[[entities]]
id = "OLD"
name = "Dormant Ltda"
currency = "BRL"
parent = "HOLD"
method = "none"
"""

BUDGET = b"""period,entity,account,amount
2024-12,,4000,-999.00
2025-05,,4000,-190000.00
2025-05,,6000,80000.00
2025-06,,4000,-205000.00
2025-06,BR1,4000,-1.00
"""


def rows(conn: Connection, table: str, columns: Sequence[str], data: Sequence[Sequence[object]]) -> None:
    """Insert rows into a result table of the current tenant (tenant_id is filled in)."""
    tenant = conn.execute(sa.text("SELECT current_setting('app.tenant_id')")).scalar_one()
    target = sa.table(table, *(sa.column(c) for c in ("tenant_id", *columns)))
    names = ("tenant_id", *columns)
    conn.execute(sa.insert(target), [dict(zip(names, (tenant, *r), strict=True)) for r in data])


def new_run(conn: Connection, period: str, *, completed: bool = False, budget: bytes | None = BUDGET,
            config: str = CONFIG) -> Run:
    run = create_run(conn, group_id="atlas", period=period, actor="test")
    assert run is not None
    put_input(conn, run.id, CONFIG_INPUT, config.encode(), kind="config")
    put_input(conn, run.id, ORIGIN_INPUT, b"/home/controller/acme/group.toml", kind="config")
    if budget is not None:
        put_input(conn, run.id, "budget.csv", budget, kind="file")
    if completed:
        conn.execute(sa.text("UPDATE close_runs SET status = 'COMPLETED', finished_at = now() "
                             "WHERE id = CAST(:r AS uuid)"), {"r": run.id})
    found = get_run(conn, run.id)
    assert found is not None
    return found


def balances(conn: Connection, run: Run, data: Sequence[tuple[str, str, str]]) -> None:
    rows(conn, "consolidated_balances", ("run_id", "std_account", "amount", "movement"),
         [(run.id, *r) for r in data])


def full_run(db: Database) -> Run:
    """A June 2025 run with every output table filled, and a completed May run before it."""
    with db.tx() as conn:
        may = new_run(conn, "2025-05", completed=True)
        balances(conn, may, [("1000", "400000.00", "10000.00"), ("3000", "-210000.00", "0.00"),
                             ("4000", "-990000.00", "-200000.00"), ("6000", "800000.00", "190000.00")])
        rows(conn, "kpis", ("run_id", "code", "name", "value", "unit", "reason"),
             [(may.id, "gross_margin", "Gross margin", "55.00", "%", None)])
        run = new_run(conn, "2025-06")
        balances(conn, run, [("1000", "410000.00", "10000.00"), ("3000", "-210000.00", "0.00"),
                             ("4000", "-1200000.00", "-210000.00"), ("6000", "1000000.00", "200000.00")])
        ifrs = "IFRS"
        rows(conn, "consolidation_worksheet",
             ("run_id", "entity_id", "std_account", "column", "basis", "amount"), [
            (run.id, "BR1", "4000", "translated", ifrs, "-200000.00"),
            (run.id, "BR1", "4000", "elimination", ifrs, "10000.00"),
            (run.id, "BR1", "1000", "translated", ifrs, "20000.00"),
            (run.id, "BR1", "3300", "translated", ifrs, "-5000.00"),
            (run.id, "BR1", "3400", "elimination", ifrs, "-3000.00"),
            (run.id, "BR1", "8900", "elimination", ifrs, "700.00"),
            (run.id, "BR1", "1650", "ppa", ifrs, "1000.00"),
            (run.id, "BR2", "3300", "translated", ifrs, "-100.00"),
            (run.id, "HOLD", "1000", "translated", ifrs, "390000.00"),
            (run.id, "HOLD", "6000", "adjustment", "US_GAAP", "200.00"),  # not in the IFRS worksheet
            (run.id, "HOLD", "1000", "consolidated", ifrs, "390000.00"),  # derived here, not read
        ])
        rows(conn, "translated_balances", (
            "run_id", "entity_id", "std_account", "counterparty", "book", "local_closing", "local_movement",
            "rate", "rate_type", "translated", "translated_movement"), [
            (run.id, "BR1", "4000", "", "", "-600000.00", "-100000.00", "0.2", "average", "-120000.00",
             "-20000.00"),
            (run.id, "BR1", "4000", "HOLD", "", "-400000.00", "-50000.00", "0.2", "average", "-80000.00",
             "-10000.00"),
            (run.id, "BR1", "1000", "", "", "100000.00", "5000.00", "0.2000000000", "closing", "20000.00",
             "1000.00"),
            (run.id, "BR1", "1650", "", "#ppa", "5000.00", "0.00", "0.2", "closing", "1000.00", "0.00"),
        ])
        rows(conn, "trial_balances", (
            "run_id", "entity_id", "period", "line_no", "account", "account_name", "counterparty", "currency",
            "opening", "debit", "credit", "closing"), [
            (run.id, "BR1", "2025-06", 1, "1.01", "Caixa", None, "BRL", "95000.00", "5000.00", "0.00",
             "100000.00"),
            (run.id, "BR1", "2025-06", 2, "3.01", "Receita", "HOLD", "BRL", "-850000.00", "0.00",
             "150000.00", "-1000000.00"),
            (run.id, "BR1", "2025-05", 1, "1.01", "Caixa", None, "BRL", "0.00", "0.00", "0.00", "0.00"),
        ])
        rows(conn, "account_mappings", ("run_id", "entity_id", "account", "std_account", "source"),
             [(run.id, "BR1", "1.01", "1000", "file")])
        rows(conn, "journal_entries", ("run_id", "journal_id", "kind", "basis", "memo"), [
            (run.id, "IC-001", "elimination", "IFRS", "Eliminate BR1/HOLD fees"),
            (run.id, "TS-001", "adjustment", "US_GAAP", "Lease reclass"),
        ])
        rows(conn, "journal_lines", ("run_id", "journal_id", "line_no", "entity_id", "std_account",
                                     "counterparty", "amount", "memo"), [
            (run.id, "IC-001", 1, "BR1", "4000", "HOLD", "10000.00", "fee"),
            (run.id, "IC-001", 2, "HOLD", "6000", "BR1", "-10000.00", "fee"),
            (run.id, "TS-001", 1, "HOLD", "6000", "", "200.00", ""),
            (run.id, "TS-001", 2, "HOLD", "2000", "", "-200.00", ""),
        ])
        rows(conn, "consolidation_facts", ("run_id", "kind", "seq", "payload"), [
            (run.id, "rate", 1, json.dumps({"currency": "BRL", "rate_type": "closing", "rate": "0.2000000000",
                                            "source": "BCB PTAX", "method": "inverted"})),
            (run.id, "cta", 1, json.dumps({"entity": "BR1", "plug": -500000, "from_parts": -500100,
                                           "difference": -100, "tolerance": 150})),
            (run.id, "cta", 2, json.dumps({"entity": "HOLD", "plug": 0, "from_parts": 0,  # omitted: zeros
                                           "difference": 0, "tolerance": 0})),
            (run.id, "nci", 1, json.dumps({"entity": "BR1", "nci_pct": "0.2", "equity": 300000,
                                           "profit": 70000, "cta": -100000})),
        ])
        rows(conn, "variances", ("run_id", "seq", "account", "kind", "current_amount", "comparison_amount",
                                 "delta", "pct", "material", "detail"), [
            (run.id, 1, "4000", "mom", "210000.00", "200000.00", "10000.00", "0.0500", True, json.dumps(
                {"drivers": [{"dimension": "entity", "key": "BR1", "delta": "8000.00"},
                             {"dimension": "cost_center", "key": "CC1", "delta": "2000.00"}]})),
            (run.id, 2, "4000", "mom", "100.00", "0.00", "100.00", None, False,
             json.dumps({"entity": "BR1"})),
            (run.id, 3, "6000", "budget", "200000.00", "190000.00", "10000.00", "0.0526", False, "{}"),
        ])
        rows(conn, "commentary",
             ("run_id", "seq", "account", "kind", "body", "source", "confidence", "light", "figures"),
             [(run.id, 1, "4000", "mom", "Revenue grew on BR1 volumes.", "claude", 80, "green",
               json.dumps({"entity": None})),
              (run.id, 2, "4000", "mom", "BR1 alone.", "data-only", 40, "red",
               json.dumps({"entity": "BR1"}))])
        rows(conn, "kpis", ("run_id", "code", "name", "value", "unit", "reason"), [
            (run.id, "gross_margin", "Gross margin", "60.00", "%", None),
            (run.id, "current_ratio", "Current ratio", "1.50", "x", None),
            (run.id, "arr", "ARR", None, "USD", "no recurring revenue"),
        ])
        rows(conn, "validation_results", ("run_id", "seq", "code", "category", "severity", "entity_id",
                                          "account", "expected", "actual", "difference", "message",
                                          "waived_by", "waived_reason"), [
            (run.id, 1, "BS_BALANCES", "integrity", "pass", None, None, "0.00", "0.00", "0.00", "balanced",
             None, None),
            (run.id, 2, "IC_MISMATCH", "intercompany", "warn", "BR1", "2050", "100.00", "n/a", None,
             "expected 100.00", "ana", "timing"),
        ])
        append_event(conn, run.id, "stage_done", "validation score 96.50 (green)", actor="worker",
                     stage="VALIDATING", detail={"score": "96.50", "light": "green"})
    return run


def test_loads_every_section_of_a_run(db: Database) -> None:
    run = full_run(db)
    with db.tx() as conn:
        data = load_board_pack(conn, run)

    assert (data.group_id, data.group_name, data.period, data.run_id) == (
        "atlas", "Atlas Group", "2025-06", run.id)
    assert data.run_status == "PENDING" and data.presentation_currency == "USD" and data.locale == "en-US"
    assert data.as_of == run.as_of and data.as_of.tzinfo is UTC
    revenue = next(b for b in data.balances if b.account == "4000")
    assert (revenue.closing, revenue.month) == (D("-1200000.00"), D("-210000.00"))

    assert data.prior_month is not None and data.prior_month.period == "2025-05"
    assert data.prior_month.run_id is not None
    assert {b.account: b.closing for b in data.prior_month.balances}["4000"] == D("-990000.00")
    assert data.prior_year is None
    assert data.budget is not None and data.budget.run_id is None
    budget = {b.account: (b.closing, b.month) for b in data.budget.balances}
    # YTD from January: May and June consolidated rows; December 2024 and entity rows excluded.
    assert budget == {"4000": (D("-395000.00"), D("-205000.00")), "6000": (D("80000.00"), D("0.00"))}
    assert [(h.period, sorted(b.account for b in h.balances)) for h in data.history] == [
        ("2025-05", ["4000", "6000"])]

    assert [(e.id, e.method, e.ownership, e.parent) for e in data.entities] == [
        ("HOLD", "parent", D(1), None), ("BR1", "full", D("0.8"), "HOLD"), ("BR2", "full", D("0.40"), "BR1")]

    ws = {(w.entity, w.account): w for w in data.worksheet}
    assert list(dict.fromkeys(w.entity for w in data.worksheet)) == ["HOLD", "BR1", "BR2"]  # group order
    rev = ws[("BR1", "4000")]
    assert (rev.local_amount, rev.local_currency, rev.rate) == (D("-1000000.00"), "BRL", None)
    assert (rev.translated, rev.eliminations, rev.consolidated) == (
        D("-200000.00"), D("10000.00"), D("-190000.00"))
    assert ws[("BR1", "1000")].rate == D("0.2")
    assert ws[("HOLD", "1000")].consolidated == D("390000.00")

    # The lines summed per entity; the lines themselves are the package's CSV (below).
    assert [(t.entity, t.currency, t.lines, t.opening, t.debits, t.credits, t.closing)
            for t in data.trial_balance] == [
        ("BR1", "BRL", 2, D("-755000.00"), D("5000.00"), D("150000.00"), D("-900000.00"))]
    with db.tx() as conn:
        detail = trial_balance_csv(conn, run.id, "2025-06").decode()
    assert detail.splitlines() == [
        "entity,account,account_name,std_account,currency,counterparty,opening,debit,credit,closing",
        "BR1,1.01,Caixa,1000,BRL,,95000.00,5000.00,0.00,100000.00",
        "BR1,3.01,Receita,,BRL,HOLD,-850000.00,0.00,150000.00,-1000000.00"]
    assert [(r.currency, r.rate_type, r.rate, r.source) for r in data.fx_rates] == [
        ("BRL", "closing", D("0.2000000000"), "BCB PTAX")]
    assert [(j.id, j.kind, j.basis, len(j.lines)) for j in data.journals] == [
        ("IC-001", "intercompany", "IFRS", 2), ("TS-001", "gaap", "US GAAP", 2)]
    assert data.journals[0].lines[0].counterparty == "HOLD" and data.journals[1].lines[0].counterparty is None
    # US GAAP rows stay out of the IFRS worksheet; PPA push-down lines out of the local amount.
    assert ("HOLD", "6000") not in ws
    assert (ws[("BR1", "1650")].local_amount, ws[("BR1", "1650")].ppa) == (D(0), D("1000.00"))

    br1, br2 = data.attributions  # from the facts; BR2 from the worksheet alone
    assert (br1.entity, br1.cta, br1.cta_from_parts, br1.cta_nci) == (
        "BR1", D("5000.00"), D("5001.00"), D("1000.00"))
    assert (br1.nci_equity, br1.nci_profit_ytd) == (D("3000.00"), D("700.00"))
    assert (br2.entity, br2.cta, br2.cta_from_parts, br2.nci_equity) == (
        "BR2", D("100.00"), D("100.00"), D(0))

    mom, budget_var = data.variances  # the per-entity variance is not in the package table
    assert (mom.basis, mom.scope, mom.actual, mom.comparison, mom.difference, mom.pct) == (
        "prior_month", "month", D("-210000.00"), D("-200000.00"), D("-10000.00"), D("-0.0500"))
    assert (mom.source, mom.confidence, mom.light, mom.material) == ("claude", D("0.8"), "green", True)
    assert [(d.entity, d.amount, d.dimension) for d in mom.drivers] == [
        ("BR1", D("-8000.00"), None), ("CC1", D("-2000.00"), "cost_center")]
    assert (budget_var.basis, budget_var.actual, budget_var.source, budget_var.commentary) == (
        "budget", D("200000.00"), "data-only", "")

    assert [k.code for k in data.kpis] == ["arr", "gross_margin", "current_ratio"]  # the report's order
    kpis = {k.code: k for k in data.kpis}
    assert (kpis["gross_margin"].value, kpis["gross_margin"].unit) == (D("0.6"), "percent")
    assert [(p.period, p.value) for p in kpis["gross_margin"].trend] == [("2025-05", D("0.55"))]
    assert (kpis["current_ratio"].unit, kpis["arr"].unit) == ("ratio", "currency")
    assert (kpis["arr"].value, kpis["arr"].reason) == (None, "no recurring revenue")

    ok, ic = data.validation
    assert (ok.expected, ok.entity) == (D("0.00"), None)
    assert (ic.expected, ic.actual, ic.difference, ic.waived_by, ic.waiver_reason) == (
        D("100.00"), None, None, "ana", "timing")
    assert (data.validation_score, data.validation_light) == (D("96.50"), "green")
    assert [e.event for e in data.audit_log] == ["created", "stage_done"]
    assert all(e.time.tzinfo is UTC for e in data.audit_log)


def test_a_run_without_outputs_is_not_available_not_zero(db: Database) -> None:
    with db.tx() as conn:
        run = new_run(conn, "2025-06", budget=BUDGET.replace(b"2025-06", b"2025-07"))
        data = load_board_pack(conn, run)
    assert data.balances == () and data.worksheet == () and data.trial_balance == ()
    assert (data.prior_month, data.prior_year, data.budget) == (None, None, None)
    assert data.history == () and data.kpis == () and data.variances == () and data.attributions == ()
    assert data.fx_rates == () and data.journals == () and data.validation == ()
    assert (data.validation_score, data.validation_light) == (None, None)


def test_a_completed_period_without_balances_is_no_comparative(db: Database) -> None:
    with db.tx() as conn:
        new_run(conn, "2024-06", completed=True)
        run = new_run(conn, "2025-06", budget=None, config=CONFIG.replace('budget = "budget.csv"', ""))
        data = load_board_pack(conn, run)
    assert data.prior_year is None and data.budget is None


def test_an_account_outside_the_chart_is_refused(db: Database) -> None:
    with db.tx() as conn:
        run = new_run(conn, "2025-06")
        balances(conn, run, [("9999", "1.00", "1.00")])
        with pytest.raises(InputDataError, match="9999"):
            load_board_pack(conn, run)


def test_package_is_a_deterministic_zip_with_a_manifest(db: Database) -> None:
    with db.tx() as conn:
        run = new_run(conn, "2025-06")
        with pytest.raises(PermanentError, match="no report files"):
            package_bytes(conn, run)
        stored = store_artifacts(conn, run.id, {"b.pdf": ("application/pdf", b"%PDF-1"),
                                                "a.xlsx": ("application/x", b"xlsx")})
        listed = list_artifacts(conn, run.id)
        assert [a.name for a in stored] == [a.name for a in listed] == ["a.xlsx", "b.pdf"]
        first, second = package_bytes(conn, run), package_bytes(conn, run)
    assert first == second
    archive = zipfile.ZipFile(io.BytesIO(first))
    assert archive.namelist() == ["manifest.json", "a.xlsx", "b.pdf"]
    stamp = zip_date_time(run.as_of)
    assert {i.date_time for i in archive.infolist()} == {(*stamp[:5], stamp[5] // 2 * 2)}  # DOS time: 2 s
    manifest = json.loads(archive.read("manifest.json"))
    assert (manifest["run_id"], manifest["group"], manifest["period"], manifest["status"]) == (
        run.id, "atlas", "2025-06", "PENDING")
    assert manifest["as_of"] == run.as_of.astimezone(UTC).isoformat()
    assert manifest["files"][1] == {"name": "b.pdf", "bytes": 6,
                                    "sha256": hashlib.sha256(b"%PDF-1").hexdigest()}
    assert {i["name"] for i in manifest["inputs"]} == {"group.toml", "budget.csv"}  # not the origin path


def test_the_distributed_package_is_the_one_close_package_writes_later(db: Database) -> None:
    with db.tx() as conn:
        run = new_run(conn, "2025-06")
        store_artifacts(conn, run.id, {"a.pdf": ("application/pdf", b"%PDF-1")})
        packages = []
        for status in ("DISTRIBUTING", "COMPLETED"):
            conn.execute(sa.text("UPDATE close_runs SET status = :s WHERE id = CAST(:r AS uuid)"),
                         {"s": status, "r": run.id})
            current = get_run(conn, run.id)
            assert current is not None
            packages.append(package_bytes(conn, current))
    assert packages[0] == packages[1]
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(packages[0])).read("manifest.json"))
    assert manifest["status"] == "COMPLETED"


def test_report_run_renders_and_stores_the_package(db: Database) -> None:
    run = full_run(db)
    output = report_run(StageEnv(db=db, settings=Settings()), run, None)
    again = report_run(StageEnv(db=db, settings=Settings()), run, None)
    assert output.digest == again.digest  # same run, same bytes
    with db.tx() as conn:
        output.write(conn)
        names = [(a.name, a.content_type) for a in list_artifacts(conn, run.id)]
        assert package_bytes(conn, run)[:2] == b"PK"
    # board workbook and its trial-balance lines, deck, PDF, summary, and the root-cause pages (issue 21)
    assert len(names) == 6
    assert sorted(t for _, t in names) == sorted([CONTENT_TYPES[".xlsx"], CONTENT_TYPES[".csv"],
                                                  CONTENT_TYPES[".pptx"], CONTENT_TYPES[".pdf"],
                                                  CONTENT_TYPES[".pdf"], CONTENT_TYPES[".pdf"]])


def test_the_close_status_is_loaded_as_it_stood_at_reporting(db: Database) -> None:
    """Stages up to REPORTING and the checklist then: what happens later does not change the package."""
    with db.tx() as conn:
        run = new_run(conn, "2025-06")
        instantiate_tasks(conn, "atlas", "2025-06", [
            ("accruals", "Accruals booked", "controller", date(2025, 7, 2), (), "REPORTING"),
            ("bank-rec", "Bank reconciliations signed", "controller", date(2025, 7, 3), (), None)])
        for before, after in (("PENDING", "EXTRACTING"), ("EXTRACTING", "AWAITING_TASKS")):
            append_event(conn, run.id, "transition", after, actor="worker",
                         detail={"from": before, "to": after})
        assert set_task_done(conn, "atlas", "2025-06", "accruals", actor="ana", note="",
                             evidence=("je.pdf", "ab" * 32, b"JE"))
        append_event(conn, run.id, "task_done", "task accruals done", actor="ana",
                     detail={"task": "accruals", "evidence": "je.pdf", "evidence_sha256": "ab" * 32})
        for before, after in (("AWAITING_TASKS", "ANALYZING"), ("ANALYZING", "REPORTING")):
            append_event(conn, run.id, "transition", after, actor="worker",
                         detail={"from": before, "to": after})
    with db.tx() as conn:
        at_reporting = load_board_pack(conn, run)
        # Later: the run moves on, the bank reconciliation is done and the accruals reopened.
        append_event(conn, run.id, "transition", "DISTRIBUTING", actor="worker",
                     detail={"from": "REPORTING", "to": "DISTRIBUTING"})
        assert set_task_done(conn, "atlas", "2025-06", "bank-rec", actor="ana", note="", evidence=None)
        append_event(conn, run.id, "task_done", "task bank-rec done", actor="ana",
                     detail={"task": "bank-rec"})
        assert reopen_task(conn, "atlas", "2025-06", "accruals")
        append_event(conn, run.id, "task_reopened", "task accruals reopened", actor="ana",
                     detail={"task": "accruals", "reason": "reversed"})
        later = load_board_pack(conn, run)

    assert [(s.status, s.end is None) for s in at_reporting.close_steps] == [
        ("EXTRACTING", False), ("AWAITING_TASKS", False), ("ANALYZING", False), ("REPORTING", True)]
    assert all(s.start.tzinfo is UTC for s in at_reporting.close_steps)
    accruals, bank_rec = at_reporting.checklist
    assert (accruals.task_id, accruals.gate, accruals.done_by, accruals.evidence_sha256,
            accruals.overdue) == ("accruals", "REPORTING", "ana", "ab" * 32, False)
    assert accruals.done_at is not None and accruals.done_at.tzinfo is UTC
    assert (bank_rec.task_id, bank_rec.done_at, bank_rec.overdue) == ("bank-rec", None, True)
    assert (later.close_steps, later.checklist) == (at_reporting.close_steps, at_reporting.checklist)
