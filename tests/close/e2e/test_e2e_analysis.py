"""Issue 8 on the demo group: variances, drivers, KPIs and the data-only package, checked by hand.

Every expected figure here is computed in the test from what consolidation stored
(``consolidated_balances``) and from the demo's budget file, with the arithmetic written out;
the pipeline's own analysis code is not called.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import openpyxl
import sqlalchemy as sa
from pypdf import PdfReader

from close.engine.chart import load_chart
from close.storage import Database
from tests.close.e2e.stored import consolidated_balances
from tests.close.run.demo_close import DemoClose

DEMO = Path(__file__).resolve().parents[3] / "examples" / "demo"
CENT = Decimal("0.01")

# The demo's [thresholds] (examples/demo/group.toml): material at |Δ| ≥ abs or |Δ| ≥ pct × |comparison|.
THRESHOLDS = {"budget": (Decimal(25000), Decimal("0.10")), "mom": (Decimal(25000), Decimal("0.10"))}
# Accounts checked by hand, with their normal balance (-1 credit, +1 debit) as the default chart says.
HAND_CHECKED = {"4100": -1, "5000": 1, "6200": 1, "6300": 1}


def _variances(db: Database, run_id: str) -> list[dict]:
    with db.tx() as conn:
        rows = (
            conn.execute(
                sa.text(
                    "SELECT entity_id, account, kind, current_amount, comparison_amount, delta, pct, "
                    "material, detail::text AS detail FROM variances WHERE run_id = CAST(:r AS uuid) "
                    "ORDER BY seq"
                ),
                {"r": run_id},
            )
            .mappings()
            .all()
        )
    return [{**r, "detail": json.loads(r["detail"], parse_float=Decimal)} for r in rows]


def _consolidated_budget(period: str) -> dict[str, Decimal]:
    """The budget file's consolidated rows (blank entity) of a period, trial-balance sign (USD)."""
    with (DEMO / "budget.csv").open(encoding="utf-8") as f:
        return {
            row["account"]: Decimal(row["amount"])
            for row in csv.DictReader(f)
            if row["period"] == period and not row["entity"].strip()
        }


def test_variances_equal_hand_computed_budget_and_month_over_month(
    demo_close: DemoClose, demo_db: Database
) -> None:
    latest, prior = demo_close.runs[-1], demo_close.runs[-2]
    chart = load_chart().accounts
    assert {a: -1 if chart.loc[a, "normal_balance"] == "credit" else 1 for a in HAND_CHECKED} == HAND_CHECKED
    this_month = consolidated_balances(demo_db, latest["id"])
    last_month = consolidated_balances(demo_db, prior["id"])
    budget = _consolidated_budget(latest["period"])
    stored = {
        (v["account"], v["kind"]): v for v in _variances(demo_db, latest["id"]) if v["entity_id"] is None
    }

    material = set()
    for account, sign in HAND_CHECKED.items():
        current = sign * this_month[account][1]  # income statement: the month's movement
        for kind, comparison in (("budget", sign * budget[account]), ("mom", sign * last_month[account][1])):
            delta = current - comparison
            pct = (delta / abs(comparison)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_EVEN)
            limit_abs, limit_pct = THRESHOLDS[kind]
            # Both thresholds (issue 17): |Δ| ≥ abs and |Δ| ≥ pct × |comparison|.
            is_material = abs(delta) >= limit_abs and abs(delta) >= limit_pct * abs(comparison)
            v = stored[(account, kind)]
            assert (v["current_amount"], v["comparison_amount"], v["delta"], v["pct"], v["material"]) == (
                current,
                comparison,
                delta,
                pct,
                is_material,
            ), (account, kind)
            if is_material:
                material.add((account, kind))
    # The hand-checked set covers material and immaterial variances of both kinds.
    assert {("6300", "budget"), ("6300", "mom"), ("6200", "mom")} <= material
    assert ("5000", "budget") not in material

    # One driver row by hand: professional fees month over month, entity HOLD, from the translated lines.
    with demo_db.tx() as conn:
        hold = {
            r[0]: r[1]
            for r in conn.execute(
                sa.text(
                    "SELECT run_id::text, sum(translated_movement) FROM translated_balances "
                    "WHERE entity_id = 'HOLD' AND std_account = '6300' "
                    "AND run_id IN (CAST(:a AS uuid), CAST(:b AS uuid)) GROUP BY run_id"
                ),
                {"a": latest["id"], "b": prior["id"]},
            )
        }
    (driver,) = [
        d
        for d in stored[("6300", "mom")]["detail"]["drivers"]
        if d["dimension"] == "entity" and d["key"] == "HOLD"
    ]
    assert Decimal(driver["delta"]) == hold[latest["id"]] - hold[prior["id"]]
    # Against budget, HOLD's legal fees (the demo's 2026-10 shock) lead, measured against HOLD's own
    # budget row: the entity rows of the budget file explain the consolidated budget variance.
    with (DEMO / "budget.csv").open(encoding="utf-8") as f:
        hold_budget = next(
            Decimal(r["amount"])
            for r in csv.DictReader(f)
            if (r["period"], r["entity"], r["account"]) == (latest["period"], "HOLD", "6300")
        )
    leader = next(
        d
        for d in stored[("6300", "budget")]["detail"]["drivers"]
        if d["dimension"] == "entity" and d["rank"] == 1
    )
    assert (leader["key"], Decimal(leader["current"]), Decimal(leader["comparison"])) == (
        "HOLD",
        hold[latest["id"]],
        hold_budget,
    )


def test_each_driver_table_sums_exactly_to_its_variance(demo_close: DemoClose, demo_db: Database) -> None:
    variances = _variances(demo_db, demo_close.latest["id"])
    consolidated = [v for v in variances if v["entity_id"] is None]
    assert {v["kind"] for v in consolidated} == {"budget", "mom", "yoy"}
    tables = 0
    for v in variances:
        drivers = v["detail"]["drivers"]
        dimensions = (
            ("entity", "cost_center", "department")
            if v["entity_id"] is None
            else ("cost_center", "department")
        )
        for dim in dimensions:
            table = [d for d in drivers if d["dimension"] == dim]
            assert sum((Decimal(d["delta"]) for d in table), Decimal(0)) == v["delta"], (
                v["account"],
                v["kind"],
                dim,
            )
            assert [d["rank"] for d in table] == list(range(1, len(table) + 1))
            tables += bool(table)
        for d in drivers:
            assert Decimal(d["current"]) - Decimal(d["comparison"]) == Decimal(d["delta"])
            if d["fx_effect"] is not None:
                assert Decimal(d["fx_effect"]) + Decimal(d["operational"]) == Decimal(d["delta"])
    assert tables > 100  # not vacuous: the demo month has hundreds of driver tables


def _sum(figures: dict[str, tuple[Decimal, Decimal]], accounts: tuple[str, ...], column: int) -> Decimal:
    return sum((figures[a][column] for a in accounts if a in figures), Decimal(0))


def test_kpis_equal_hand_computed_values_and_missing_inputs_are_na(
    demo_close: DemoClose, demo_db: Database
) -> None:
    chart = load_chart().accounts
    tagged = {
        tag: tuple(
            sorted(c for c, tags in chart["kpi_tags"].fillna("").items() if tag in str(tags).split(";"))
        )
        for tag in ("revenue", "cogs", "interest", "tax", "d_and_a", "current_asset", "current_liability")
    }
    # The chart's KPI tags, written out: what the arithmetic below adds up.
    assert tagged == {
        "revenue": ("4000", "4100", "4150", "4200"),
        "cogs": ("5000",),
        "interest": ("7100",),
        "tax": ("8000", "8050"),  # 8050: the deferred tax unwound on PPA uplifts
        "d_and_a": ("6500", "6550", "6560"),  # 6560: goodwill impairment, added back like D&A
        # 1160: dividends receivable
        "current_asset": ("1000", "1100", "1150", "1160", "1200", "1300", "1310"),
        "current_liability": ("2000", "2050", "2100", "2200", "2300", "2400"),
    }
    run_id = demo_close.latest["id"]
    figures = consolidated_balances(demo_db, run_id)
    movement, closing = 1, 0

    revenue = -_sum(figures, tagged["revenue"], movement)  # credit-normal: presented positive
    cogs = _sum(figures, tagged["cogs"], movement)
    income_statement = tuple(
        c
        for c in chart.index
        if chart.loc[c, "class"] in ("revenue", "expense") and chart.loc[c, "system_role"] != "nci_profit"
    )
    # EBITDA (close/engine/definitions.py): the income statement down to operating expenses, i.e. without
    # D&A, finance income and costs, exchange differences, associates, rounding and tax. It is not
    # "profit + interest + tax + D&A", which would add finance income and FX gains back.
    below_ebitda = {"d_and_a", "finance_income", "finance_cost", "fx", "associates", "rounding", "tax"}
    above = tuple(c for c in income_statement if chart.loc[c, "subclass"] not in below_ebitda)
    ebitda = -_sum(figures, above, movement)
    current_assets = _sum(figures, tagged["current_asset"], closing)
    current_liabilities = -_sum(figures, tagged["current_liability"], closing)

    def q(x: Decimal) -> Decimal:
        return x.quantize(CENT, rounding=ROUND_HALF_EVEN)

    with demo_db.tx() as conn:
        kpis = {
            r.code: r
            for r in conn.execute(
                sa.text("SELECT code, value, unit, reason FROM kpis WHERE run_id = CAST(:r AS uuid)"),
                {"r": run_id},
            )
        }
    assert revenue > 0 and cogs > 0 and current_liabilities > 0
    assert kpis["gross_margin"].value == q((revenue - cogs) / revenue * 100)
    assert kpis["ebitda"].value == q(ebitda)
    assert kpis["ebitda_margin"].value == q(ebitda / revenue * 100)
    assert kpis["current_ratio"].value == q(current_assets / current_liabilities)
    assert (kpis["gross_margin"].unit, kpis["current_ratio"].unit, kpis["ebitda"].unit) == ("%", "x", "USD")
    # The demo has no customer-level data: the SaaS KPIs are n/a (NULL) with the reason, never zero.
    for code in ("nrr", "churn", "arpu", "ltv_cac"):
        assert kpis[code].value is None, code
        assert "customer" in kpis[code].reason, kpis[code].reason


def test_without_an_api_key_the_package_labels_the_commentary_data_only(
    demo_close: DemoClose, demo_db: Database
) -> None:
    assert "ANTHROPIC_API_KEY" not in demo_close.env
    with demo_db.tx() as conn:
        comments = conn.execute(
            sa.text(
                "SELECT account, kind, source, body, fallback_reason FROM commentary "
                "WHERE run_id = CAST(:r AS uuid) AND entity_id IS NULL"
            ),
            {"r": demo_close.latest["id"]},
        ).all()
    assert comments and all(
        c.source == "data-only" and c.fallback_reason == "no Anthropic API key" for c in comments
    )
    with zipfile.ZipFile(demo_close.package) as z:
        files = {n.rsplit(".", 1)[-1]: z.read(n) for n in z.namelist()
                 if "executive-summary" not in n and "rootcause" not in n}  # one file per kind

    sheet = openpyxl.load_workbook(io.BytesIO(files["xlsx"]))["Variances"]
    rows = list(sheet.iter_rows(values_only=True))
    header = next(i for i, r in enumerate(rows) if r and "Commentary" in r and "Source" in r)
    col = {name: rows[header].index(name) for name in ("Account", "Basis", "Commentary", "Source")}
    body = [r for r in rows[header + 1 :] if r[col["Account"]]]
    assert body and {r[col["Source"]] for r in body} == {"data only"}
    explained = {(str(r[col["Account"]]), r[col["Basis"]]) for r in body if r[col["Commentary"]]}
    assert len(explained) == len(comments)
    assert all(
        r[col["Commentary"]].startswith("Data only (no AI commentary)")
        for r in body
        if r[col["Commentary"]]
    )

    pdf = " ".join(
        " ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(files["pdf"])).pages
    )
    assert pdf.count("Data only (no AI commentary)") >= len(comments)
    assert "[data only," in pdf
