"""The full-year budget and the entities against budget, on every demo month (issue 17).

The entities' own results, translated at the close's rates, plus the eliminations and
consolidation adjustments summed from the worksheet, must give the consolidated income
statement's revenue, EBITDA and net income to the cent, month and year to date: the
reconciliation's difference row is zero, never a plug.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from close.engine.money import ZERO
from close.engine.periods import fiscal_year_first
from close.run.stages.board_pack import load_board_pack
from close.storage import Database
from close.storage.runs import get_run
from reports.budget_pages import ENTITY_FIGURES, entity_statement, full_year_statement
from reports.excel import build_workbook
from reports.model import BoardPackData
from reports.pdf import build_board_pdf
from reports.pptx import build_deck
from reports.statements import income_statement
from tests.close.run.demo_close import DemoClose


def _packs(demo: DemoClose) -> list[BoardPackData]:
    db = Database.connect(demo.env["DATABASE_URL"], demo.env["CLOSE_TENANT"])
    with db.tx() as conn:
        return [load_board_pack(conn, get_run(conn, r["id"])) for r in demo.runs]


def test_entities_reconcile_to_the_income_statement_in_every_demo_month(
        demo_close: DemoClose, tmp_path: Path) -> None:
    packs = _packs(demo_close)
    for data in packs:
        st = entity_statement(data)
        assert not st.alerts, (data.period, st.notes)
        keys = [c.key for c in st.columns]
        assert "budget" in keys, data.period  # the demo budgets every entity
        pl = income_statement(data)
        pl_keys = [c.key for c in pl.columns]
        for f in ENTITY_FIGURES:
            for column in ("month", "ytd"):
                if column == "month" and not data.entity_results.month_adjustments_known:
                    # the first demo month has no prior worksheet: its month's eliminations are n/a
                    assert st.value(f"eliminations:{f}", keys.index(column)) is None
                    continue
                entities = st.value(f"entities_total:{f}", keys.index(column))
                eliminations = st.value(f"eliminations:{f}", keys.index(column))
                assert entities + eliminations == pl.value(f, pl_keys.index(column)), (data.period, f)
                assert st.value(f"difference:{f}", keys.index(column)) == ZERO
            # the sum of the shown entities' lines is the total line
            shown = data.entity_results.shown
            assert sum((st.value(f"{e}:{f}", keys.index("ytd")) for e in shown), ZERO) == \
                st.value(f"entities_total:{f}", keys.index("ytd"))
        # Eliminations are real: intercompany revenue is removed from the entities' sum.
        assert st.value("eliminations:net_revenue", keys.index("ytd")) < 0, data.period
    latest = packs[-1]
    for locale in ("en-US", "pt-BR"):
        data = replace(latest, locale=locale)
        (tmp_path / f"demo_{locale}.pdf").write_bytes(build_board_pdf(data))
        (tmp_path / f"demo_{locale}.pptx").write_bytes(build_deck(data))
        (tmp_path / f"demo_{locale}.xlsx").write_bytes(build_workbook(data))


def test_full_year_outlook_is_ytd_actual_plus_the_rest_of_the_budget(demo_close: DemoClose) -> None:
    for data in _packs(demo_close):
        year = data.full_year_budget
        assert year is not None and year.first == fiscal_year_first(data.period, data.fiscal_year_start)
        st = full_year_statement(data)
        if year.missing:  # the demo's budget file stops at 2026-10: said, not summed
            assert not st.lines and st.notes
            continue
        keys = [c.key for c in st.columns]
        pl = income_statement(data)
        ytd = pl.value("ebitda", [c.key for c in pl.columns].index("ytd"))
        assert st.value("ebitda", keys.index("ytd")) == ytd
        rest = st.value("ebitda", keys.index("fy_outlook")) - ytd
        fy_budget, budget_ytd = (st.value("ebitda", keys.index(k)) for k in ("fy_budget", "budget_ytd"))
        assert rest == fy_budget - budget_ytd
