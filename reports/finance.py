"""The finance team's pages of the board package: receivables, costing and the root-cause appendix.

A separate PDF (``…-receivables-costs-rootcause.pdf``) beside the board package, built from a
``FinancePack`` (pure: figures in, bytes out), so it renders whatever the board PDF's layout:

- **Receivables**: the aging by bucket per entity and consolidated (presentation currency at the
  closing rate, local totals kept), DSO by entity (count-back), the IFRS 9 provision against the
  allowance booked, and the top overdue customers.
- **Costs**: price, mix, yield and volume variances by product, and contribution margin with
  break-even, margin of safety and operating leverage (n/a with the reason), with a break-even
  chart.
- **Root cause**: for each anomaly, the decomposition entity → account → cost centre →
  counterparty (each level summing to its parent), its one-off/recurring label and its bridge.

Determinism: reportlab's invariant mode, as in ``reports/pdf.py``.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd
from reportlab.graphics.shapes import Drawing, Line, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from close.analysis.costing.cvp import Cvp
from close.analysis.costing.variances import CostVariances
from close.analysis.receivables.aging import BUCKETS
from close.analysis.receivables.dso import Dso
from close.analysis.rootcause import DrillNode, Recurrence, node_waterfall, walk, waterfall
from close.engine.money import from_minor

_STYLES = getSampleStyleSheet()
_GRID = TableStyle([
    ("FONTSIZE", (0, 0), (-1, -1), 7.5), ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
    ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black), ("ALIGN", (0, 0), (-1, -1), "RIGHT"),
    ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f2f4f7")]),
    ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
])


@dataclass(frozen=True, slots=True)
class RootCause:
    """One anomaly or material variance explained: its tree and its recurrence."""

    account: str
    name: str
    tree: DrillNode
    recurrence: Recurrence
    why: str = "anomaly"  # anomaly | material variance


@dataclass(frozen=True, slots=True)
class FinancePack:
    """What the finance pages show; any part may be missing (its page says so)."""

    group_id: str
    period: str
    run_id: str
    currency: str
    aging: pd.DataFrame | None = None  # translate_aging output
    dso: tuple[tuple[str, Dso], ...] = ()
    provision: pd.DataFrame | None = None  # required_vs_booked output (local minor units)
    top_overdue: pd.DataFrame | None = None  # top_overdue_customers output
    movement: pd.DataFrame | None = None  # bucket_movement output since last month's snapshot
    variances: tuple[tuple[str, CostVariances], ...] = ()  # (entity, variances)
    cvp: tuple[tuple[str, Cvp], ...] = ()
    root_causes: tuple[RootCause, ...] = ()

    @property
    def empty(self) -> bool:
        """True when there is nothing to show at all."""
        return self.aging is None and not self.variances and not self.root_causes


def _money(x: Decimal | None) -> str:
    if x is None:
        return "n/a"
    text = f"{abs(x):,.2f}"
    return f"({text})" if x < 0 else text


def _minor(value: int, currency: str) -> str:
    return _money(from_minor(int(value), currency))


def _cents(x: Decimal) -> int:
    return int(x.scaleb(2))


def _table(rows: Sequence[Sequence[str]], widths: Sequence[float], *, text_columns: int = 1) -> Table:
    """Return a grid whose first ``text_columns`` columns are left-aligned text, the rest figures."""
    table = Table([list(r) for r in rows], colWidths=[w * mm for w in widths], repeatRows=1)
    table.setStyle(_GRID)
    table.setStyle(TableStyle([("ALIGN", (0, 0), (text_columns - 1, -1), "LEFT")]))
    return table


def _h(text: str, level: int = 1) -> Paragraph:
    return Paragraph(text, _STYLES["Heading1" if level == 1 else "Heading3"])


def _p(text: str) -> Paragraph:
    return Paragraph(text, _STYLES["BodyText"])


def _receivables(pack: FinancePack) -> list:
    out: list = [_h(f"Receivables aging at {pack.period} month end")]
    if pack.aging is None:
        return [*out, _p("No receivables file for this period: no aging.")]
    ccy = pack.currency
    head = ["Entity", "Local total", *[b.replace("_", " ") for b in BUCKETS], f"Total {ccy}"]
    rows = [head]
    for r in pack.aging.to_dict("records"):
        rows.append([r["entity"], f"{r['currency']} {_minor(r['local_total'], r['currency'])}",
                     *(_minor(r[b], ccy) for b in BUCKETS), _minor(r["total"], ccy)])
    totals = pack.aging[[*BUCKETS, "total"]].sum()
    rows.append(["Group", "", *(_minor(totals[b], ccy) for b in BUCKETS), _minor(totals["total"], ccy)])
    out += [_p(f"Open titles by days past due; entities translated at the closing rate ({ccy})."),
            _table(rows, [16, 30, 18, 18, 18, 18, 18, 18, 22]), Spacer(1, 4 * mm)]
    if pack.dso:
        out += [_h("DSO (count-back)", 3), _table(
            [["Entity", "Days", "Note"], *([e, "n/a" if d.days is None else str(d.days), d.reason or ""]
                                          for e, d in pack.dso)], [20, 20, 120], text_columns=1)]
    if pack.provision is not None and len(pack.provision):
        rows = [["Entity", "Required (IFRS 9 matrix)", "Booked allowance", "Shortfall"]]
        rows += [[r["entity"], f"{r['currency']} {_minor(r['required'], r['currency'])}",
                  _minor(r["booked"], r["currency"]), _minor(r["shortfall"], r["currency"])]
                 for r in pack.provision.to_dict("records")]
        out += [_h("Expected credit loss (simplified approach)", 3), _table(rows, [20, 45, 35, 30])]
    if pack.movement is not None and len(pack.movement):
        out += [_h("Movement since last month (local currency)", 3), _movement_table(pack.movement)]
    if pack.top_overdue is not None and len(pack.top_overdue):
        rows = [["Entity", "Customer", "Overdue", "Titles", "Oldest (days)"]]
        rows += [[r["entity"], r["customer"], f"{r['currency']} {_minor(r['overdue'], r['currency'])}",
                  str(r["titles"]), str(r["oldest_days"])] for r in pack.top_overdue.to_dict("records")]
        out += [_h("Top overdue customers", 3), _table(rows, [20, 50, 35, 15, 25], text_columns=2)]
    return out


def _movement_table(movement: pd.DataFrame) -> Table:
    """Per entity: new titles, settled, aged into an older bucket, and what stayed in its bucket."""
    rank = {b: i for i, b in enumerate(BUCKETS)}
    rows = [["Entity", "New", "Settled", "Aged into an older bucket", "Stayed"]]
    for (entity, currency), flows in movement.groupby(["entity", "currency"], sort=True):
        new = flows.loc[flows["from_bucket"] == "new", "amount"].sum()
        settled = flows.loc[flows["to_bucket"] == "settled", "amount"].sum()
        kept = flows[(flows["from_bucket"] != "new") & (flows["to_bucket"] != "settled")]
        older = kept.loc[kept["to_bucket"].map(rank) > kept["from_bucket"].map(rank), "amount"].sum()
        stayed = kept["amount"].sum() - older
        amounts = (new, settled, older, stayed)
        rows.append([entity, *(f"{currency} {_minor(int(x), currency)}" for x in amounts)])
    return _table(rows, [20, 40, 40, 45, 40])


def _break_even_chart(c: Cvp, width: float = 160 * mm, height: float = 55 * mm) -> Drawing | None:
    """Revenue and total cost against volume, crossing at break-even (geometry only in float)."""
    if c.break_even_revenue is None or c.revenue is None or c.fixed_costs is None or not c.revenue:
        return None
    d = Drawing(width, height)
    top = float(max(c.revenue, c.fixed_costs + c.variable_costs)) * 1.1
    x0, y0, w, h = 30.0, 12.0, width - 40, height - 20

    def y(v: Decimal) -> float:
        return y0 + h * float(v) / top

    d.add(Line(x0, y0, x0 + w, y0))
    d.add(Line(x0, y0, x0, y0 + h))
    blue, red = colors.HexColor("#1f77b4"), colors.HexColor("#d62728")
    d.add(Line(x0, y(Decimal(0)), x0 + w, y(c.revenue), strokeColor=blue, strokeWidth=1.5))
    d.add(Line(x0, y(c.fixed_costs), x0 + w, y(c.fixed_costs + c.variable_costs), strokeColor=red,
               strokeWidth=1.5))
    bx = x0 + w * float(c.break_even_revenue / c.revenue)
    d.add(Line(bx, y0, bx, y0 + h, strokeDashArray=[2, 2]))
    d.add(String(bx + 2, y0 + h - 8, f"break-even {_money(c.break_even_revenue)}", fontSize=7))
    d.add(String(x0 + w - 60, y(c.revenue) - 10, "revenue", fontSize=7, fillColor=blue))
    d.add(String(x0 + 2, y(c.fixed_costs) + 3, "total cost", fontSize=7, fillColor=red))
    d.add(String(x0, 2, "0 units", fontSize=6))
    d.add(String(x0 + w - 40, 2, "actual volume", fontSize=6))
    return d


def _costs(pack: FinancePack) -> list:
    out: list = [_h("Standard-cost variances")]
    if not pack.variances:
        return [*out, _p("No standard-cost file for this period: no cost variances.")]
    out.append(_p("Positive is adverse (cost above standard). Price + mix + yield (+ rounding) = total; "
                  "total + volume = actual against the static budget."))
    rows = [["Entity", "Product", "Price", "Mix", "Yield", "Rounding", "Total", "Volume", "vs budget"]]
    rows += [[e, v.product, *(_money(x) for x in (v.price, v.mix, v.yield_, v.rounding, v.total, v.volume,
                                                   v.total_vs_budget))] for e, v in pack.variances]
    out.append(_table(rows, [14, 26, 19, 19, 19, 15, 19, 19, 20], text_columns=2))
    for e, v in pack.variances:
        drivers = (("price", v.price), ("mix", v.mix), ("yield", v.yield_), ("rounding", v.rounding))
        steps = waterfall(("standard", _cents(v.standard_cost)), [(n, _cents(x)) for n, x in drivers if x],
                          ("actual", _cents(v.actual_cost)))
        out.append(_p(f"{e} {v.product} by driver: " + " → ".join(
            f"{s.label} {_money(Decimal(s.amount).scaleb(-2))}" for s in steps)))
    out += [Spacer(1, 4 * mm),
            _h("Contribution and break-even", 3)]
    rows = [["Product", "Revenue", "Contribution", "C/S", "Break-even rev.", "Break-even units",
             "Margin of safety", "Op. leverage"]]
    notes = []
    for e, c in pack.cvp:
        rows.append([f"{e} {c.product}", _money(c.revenue), _money(c.contribution),
                     "n/a" if c.cs_ratio is None else f"{c.cs_ratio:.1%}", _money(c.break_even_revenue),
                     "n/a" if c.break_even_units is None else f"{c.break_even_units:,}",
                     "n/a" if c.margin_of_safety_pct is None else f"{c.margin_of_safety_pct:.1%}",
                     "n/a" if c.operating_leverage is None else f"{c.operating_leverage:.2f}x"])
        notes += [f"{e} {c.product}: {r}" for r in c.reasons]
    out.append(_table(rows, [30, 22, 22, 12, 24, 22, 22, 18]))
    out += [_p("n/a: " + "; ".join(notes))] if notes else []
    chart = next((d for d in (_break_even_chart(c) for _, c in pack.cvp) if d is not None), None)
    if chart is not None:
        first = next(c for _, c in pack.cvp if _break_even_chart(c) is not None)
        out += [Spacer(1, 3 * mm), _p(f"Break-even chart: {first.product}"), chart]
    return out


def _root_causes(pack: FinancePack) -> list:
    out: list = [_h("Appendix: root cause of the anomalies and material variances")]
    if not pack.root_causes:
        return [*out, _p("No anomalies or material month-over-month variances this month.")]
    ccy = pack.currency
    for rc in pack.root_causes:
        r = rc.recurrence
        similar = f" (similar in {', '.join(r.similar_months)})" if r.similar_months else ""
        out += [_h(f"{rc.account} {rc.name} ({rc.why}): change {_minor(rc.tree.change, ccy)} {ccy}", 3),
                _p(f"{r.label.capitalize()} over the last {r.months} months{similar}. Entity figures "
                   "before eliminations; every level sums to the level above.")]
        rows = [["Level", "Key", "Prior", "Current", "Change"]]
        for node in walk(rc.tree)[1:]:
            depth = ("entity", "account", "cost_center", "counterparty").index(node.level)
            if node.change == 0 and depth > 0:
                continue
            rows.append(["  " * depth + node.level.replace("_", " "), node.key or "(none)",
                         _minor(node.comparison, ccy), _minor(node.current, ccy), _minor(node.change, ccy)])
        out.append(_table(rows[:40], [30, 50, 30, 30, 30], text_columns=2))
        bridge = node_waterfall(rc.tree, start_label="prior month", end_label="this month")
        steps = " → ".join(f"{s.label} {_minor(s.amount, ccy)}" for s in bridge)
        out.append(_p(f"Bridge by entity: {steps}"))
        out.append(Spacer(1, 3 * mm))
    return out


def build_finance_pdf(pack: FinancePack) -> bytes:
    """Render the receivables, costs and root-cause pages as one PDF."""
    buffer = io.BytesIO()
    title = f"{pack.group_id} {pack.period} receivables, costs, root cause"
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                            bottomMargin=15 * mm, invariant=1, title=title, author="monthclose")

    def footer(canvas, _doc) -> None:  # noqa: ANN001 - reportlab's callback
        canvas.setFont("Helvetica", 7)
        canvas.drawString(15 * mm, 8 * mm, f"{pack.group_id} · {pack.period} · run {pack.run_id}")
        canvas.drawRightString(195 * mm, 8 * mm, f"Page {canvas.getPageNumber()}")

    story = [*_receivables(pack), PageBreak(), *_costs(pack), PageBreak(), *_root_causes(pack)]
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def finance_file_name(pack: FinancePack) -> str:
    """Return the file name of the finance pages in the package."""
    return f"{pack.group_id}-{pack.period}-receivables-costs-rootcause.pdf"
