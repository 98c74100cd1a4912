"""The FX impact and covenant tables of the board package, as text, for the PDF, the deck and the workbook.

The figures are computed in ``close.analysis`` (``constant_currency``, ``covenants``) and loaded
into ``BoardPackData``; this module only words and formats them in the package's locale, once,
so the three documents print the same cells. Each renderer (``reports/pdf.py``, ``pptx.py``,
``excel.py``) draws a ``Table`` with its own styling through a small hook.

* **FX impact** (shown when the group has a foreign operation): per scope (month, year to date)
  and figure (net revenue, EBITDA, net income), one row per functional currency, the
  eliminations and the total, then the check row "constant-currency growth + translation effect
  − reported growth", which is zero. A scope whose inputs are not stored says why.
* **Covenants** (shown only when ``[covenants]`` is configured): each limit, the actual figure,
  the headroom and its red/amber/green status, then the figures they come from.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from close.analysis.constant_currency import ELIMINATIONS, TOTAL, FxImpact, ImpactRow
from close.analysis.covenants import CovenantReport, CovenantTest
from close.engine.definitions import definition
from reports.format import format_amount, format_number, format_percent, format_period, format_rate
from reports.model import BoardPackData, Light

_EN: dict[str, str] = {
    "fx_title": "FX impact: constant-currency growth",
    "fx_intro": ("Growth against {period} split into operational growth at constant currency (this "
                 "period's local figures at the average rates of the same month last year) and the "
                 "translation effect (reported – constant currency)."),
    "fx_cta_note": ("The balance sheet's translation difference is the CTA (cumulative translation "
                    "adjustment): see the exchange differences in the statement of changes in equity."),
    "fx_scope_month": "Month: {period} against {comparative}",
    "fx_scope_ytd": "Year to date: {period} against {comparative}",
    "fx_missing_no_close": "{scope} not available: no effective close of {periods}.",
    "fx_missing_no_rate": "{scope} not available: no stored average rate of {periods}.",
    "fx_col_line": "Currency",
    "fx_col_scope": "Scope",
    "fx_col_figure": "Figure",
    "fx_col_comparative": "Last year (reported)",
    "fx_col_reported": "This year (reported)",
    "fx_col_constant": "At constant currency",
    "fx_col_growth": "Reported growth",
    "fx_col_operational": "Growth at constant currency",
    "fx_col_operational_pct": "CC growth %",
    "fx_col_translation": "Translation effect",
    "fx_line_eliminations": "Eliminations and journals",
    "fx_line_total": "Total",
    "fx_check": "Check: CC growth + translation – reported growth",
    "fx_figure_revenue": "Net revenue",
    "fx_figure_ebitda": "EBITDA",
    "fx_figure_net_income": "Net income for the period",
    "fx_rates_title": "Average rates used",
    "fx_col_currency": "Currency",
    "fx_col_rate_now": "Average {period}",
    "fx_col_rate_then": "Average {comparative}",
    "fx_col_rate_change": "Change",
    "fx_elim_note": ("Eliminations and consolidation journals are in the presentation currency and "
                     "carry no translation effect of their own."),
    "cov_title": "Liquidity and covenant headroom",
    "cov_col_covenant": "Covenant",
    "cov_col_limit": "Limit",
    "cov_col_actual": "Actual",
    "cov_col_headroom": "Headroom",
    "cov_col_headroom_pct": "Headroom % of limit",
    "cov_col_status": "Status",
    "cov_max": "max {limit}",
    "cov_min": "min {limit}",
    "cov_green": "Green",
    "cov_amber": "Amber",
    "cov_red": "Red",
    "cov_net_debt_to_ebitda": "Net debt / EBITDA (LTM)",
    "cov_interest_cover": "Interest cover (LTM)",
    "cov_minimum_liquidity": "Liquidity (cash + undrawn facilities)",
    "cov_figures": "Figures used",
    "cov_fig_borrowings": "Borrowings",
    "cov_fig_cash": "Cash and cash equivalents",
    "cov_fig_net_debt": "Net debt (negative: net cash)",
    "cov_fig_ltm_ebitda": "EBITDA, last {months} months",
    "cov_fig_ltm_interest": "Interest expense, last {months} months",
    "cov_fig_undrawn": "Undrawn committed facilities (config)",
    "cov_fig_liquidity": "Liquidity",
    "cov_short": ("The last twelve months cover only {months} stored month(s): LTM EBITDA and "
                  "interest are for those months, not annualised."),
    "cov_amber_note": "Amber: headroom under {pct} of the limit. Red: the limit is broken.",
    "cov_reason_no_ebitda": "LTM EBITDA is not positive",
    "cov_reason_no_interest": "no interest expense in the period",
}
_PT: dict[str, str] = {
    "fx_title": "Impacto cambial: crescimento em moeda constante",
    "fx_intro": ("Crescimento em relação a {period} separado em crescimento operacional em moeda "
                 "constante (valores locais do período pelas taxas médias do mesmo mês do ano "
                 "anterior) e efeito de conversão (reportado – moeda constante)."),
    "fx_cta_note": ("A diferença de conversão do balanço é o CTA (ajuste acumulado de conversão): veja "
                    "as variações cambiais na demonstração das mutações do patrimônio líquido."),
    "fx_scope_month": "Mês: {period} contra {comparative}",
    "fx_scope_ytd": "Acumulado no ano: {period} contra {comparative}",
    "fx_missing_no_close": "{scope} indisponível: não há fechamento efetivo de {periods}.",
    "fx_missing_no_rate": "{scope} indisponível: não há taxa média armazenada de {periods}.",
    "fx_col_line": "Moeda",
    "fx_col_scope": "Período",
    "fx_col_figure": "Indicador",
    "fx_col_comparative": "Ano anterior (reportado)",
    "fx_col_reported": "Este ano (reportado)",
    "fx_col_constant": "Em moeda constante",
    "fx_col_growth": "Crescimento reportado",
    "fx_col_operational": "Crescimento em moeda constante",
    "fx_col_operational_pct": "Cresc. MC %",
    "fx_col_translation": "Efeito de conversão",
    "fx_line_eliminations": "Eliminações e lançamentos",
    "fx_line_total": "Total",
    "fx_check": "Conferência: cresc. MC + conversão – cresc. reportado",
    "fx_figure_revenue": "Receita líquida",
    "fx_figure_ebitda": "EBITDA",
    "fx_figure_net_income": "Lucro líquido do período",
    "fx_rates_title": "Taxas médias utilizadas",
    "fx_col_currency": "Moeda",
    "fx_col_rate_now": "Média {period}",
    "fx_col_rate_then": "Média {comparative}",
    "fx_col_rate_change": "Variação",
    "fx_elim_note": ("Eliminações e lançamentos de consolidação estão na moeda de apresentação e não "
                     "têm efeito de conversão próprio."),
    "cov_title": "Liquidez e folga dos covenants",
    "cov_col_covenant": "Covenant",
    "cov_col_limit": "Limite",
    "cov_col_actual": "Realizado",
    "cov_col_headroom": "Folga",
    "cov_col_headroom_pct": "Folga % do limite",
    "cov_col_status": "Situação",
    "cov_max": "máx. {limit}",
    "cov_min": "mín. {limit}",
    "cov_green": "Verde",
    "cov_amber": "Âmbar",
    "cov_red": "Vermelho",
    "cov_net_debt_to_ebitda": "Dívida líquida / EBITDA (12 meses)",
    "cov_interest_cover": "Cobertura de juros (12 meses)",
    "cov_minimum_liquidity": "Liquidez (caixa + linhas não sacadas)",
    "cov_figures": "Valores utilizados",
    "cov_fig_borrowings": "Empréstimos e financiamentos",
    "cov_fig_cash": "Caixa e equivalentes de caixa",
    "cov_fig_net_debt": "Dívida líquida (negativa: caixa líquido)",
    "cov_fig_ltm_ebitda": "EBITDA, últimos {months} meses",
    "cov_fig_ltm_interest": "Despesa de juros, últimos {months} meses",
    "cov_fig_undrawn": "Linhas compromissadas não sacadas (config.)",
    "cov_fig_liquidity": "Liquidez",
    "cov_short": ("Os últimos doze meses cobrem apenas {months} mês(es) armazenado(s): EBITDA e juros "
                  "são desses meses, sem anualizar."),
    "cov_amber_note": "Âmbar: folga abaixo de {pct} do limite. Vermelho: limite descumprido.",
    "cov_reason_no_ebitda": "EBITDA dos 12 meses não é positivo",
    "cov_reason_no_interest": "sem despesa de juros no período",
}
_LABELS = {"en-US": _EN, "pt-BR": _PT}
_FIGURES = ("revenue", "ebitda", "net_income")
# The package's lights are green / yellow / red; a covenant's amber is the yellow one.
_LIGHT: dict[str, Light] = {"green": "green", "amber": "yellow", "red": "red"}


def ft(locale: str, key: str, **values: object) -> str:
    """Return this module's label ``key`` in ``locale`` (``pt-BR``, else English)."""
    text = _LABELS.get(locale, _EN)[key]
    return text.format(**values) if values else text


@dataclass(frozen=True, slots=True)
class Table:
    """A table as text: the header, the rows and how to style them.

    Attributes:
        title: the heading above it.
        header: column headings.
        rows: cells as text; column 0 is a label, the others figures.
        sections: rows that head a group (a figure's name), spanning the table.
        totals: rows printed bold (a total).
        checks: check rows (must read zero).
        lights: ``(row, column, light)`` cells coloured by status (rows counted as in ``rows``).
        notes: sentences printed under it.

    """

    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    sections: tuple[int, ...] = ()
    totals: tuple[int, ...] = ()
    checks: tuple[int, ...] = ()
    lights: tuple[tuple[int, int, Light], ...] = ()
    notes: tuple[str, ...] = ()


def _pct(part: Decimal, base: Decimal, loc: str) -> str:
    return "n/a" if base == 0 else format_percent(part / abs(base), loc)


def fx_line_name(row: ImpactRow, loc: str) -> str:
    """Return a row's line in words: the currency code, the eliminations or the total."""
    if row.line == TOTAL:
        return ft(loc, "fx_line_total")
    return ft(loc, "fx_line_eliminations") if row.line == ELIMINATIONS else row.line


def fx_scope_table(impact: FxImpact, scope: str, loc: str, *, currencies: bool = True) -> Table | None:
    """Return the FX impact of one scope (``month`` or ``ytd``); ``None`` when it was not computed.

    With ``currencies`` false only the totals and the check row of each figure are listed (the
    deck's summary).
    """
    rows_of = [r for r in impact.rows if r.scope == scope]
    if not rows_of:
        return None
    header = tuple(ft(loc, k) for k in ("fx_col_line", "fx_col_comparative", "fx_col_reported",
                                         "fx_col_constant", "fx_col_growth", "fx_col_operational",
                                         "fx_col_operational_pct", "fx_col_translation"))
    rows: list[tuple[str, ...]] = []
    sections, totals, checks = [], [], []
    for figure in _FIGURES:
        sections.append(len(rows))
        rows.append((ft(loc, f"fx_figure_{figure}"), *([""] * 7)))
        for r in (r for r in rows_of if r.figure == figure and (currencies or r.line == TOTAL)):
            if r.line == TOTAL:
                totals.append(len(rows))
            rows.append((fx_line_name(r, loc), *(format_amount(x, loc) for x in (
                r.comparative, r.reported, r.constant, r.growth, r.operational)),
                _pct(r.operational, r.comparative, loc), format_amount(r.translation, loc)))
            if r.line == TOTAL:
                checks.append(len(rows))
                rows.append((ft(loc, "fx_check"), *([""] * 6), format_amount(r.unexplained, loc)))
    period, comparative = format_period(impact.period, loc), format_period(impact.comparative_period, loc)
    title = ft(loc, f"fx_scope_{scope}", period=period, comparative=comparative)
    return Table(title, header, tuple(rows), tuple(sections), tuple(totals), tuple(checks),
                 notes=(ft(loc, "fx_elim_note"),) if currencies else ())


def fx_tables(data: BoardPackData, *, currencies: bool = True) -> tuple[list[Table], list[str]]:
    """Return the FX impact's tables (month, year to date, rates) and notes; none without FX."""
    impact, loc = data.fx_impact, data.locale
    if impact is None:
        return [], []
    notes = [ft(loc, "fx_intro", period=format_period(impact.comparative_period, loc))]
    tables = [tb for tb in (fx_scope_table(impact, s, loc, currencies=currencies) for s in ("month", "ytd"))
              if tb is not None]
    for scope, why, periods in impact.missing:
        scope_name = ft(loc, f"fx_scope_{scope}", period=format_period(impact.period, loc),
                        comparative=format_period(impact.comparative_period, loc))
        notes.append(ft(loc, f"fx_missing_{why}", scope=scope_name, periods=periods))
    if impact.rates and currencies:
        period, then = impact.rates[0][0], impact.comparative_period
        header = (ft(loc, "fx_col_currency"), ft(loc, "fx_col_rate_now", period=format_period(period, loc)),
                  ft(loc, "fx_col_rate_then", period=format_period(period, loc),
                     comparative=format_period(then, loc)), ft(loc, "fx_col_rate_change"))
        rows = tuple((c, format_rate(now, loc), format_rate(last, loc), _pct(now - last, last, loc))
                     for _, c, now, last in impact.rates)
        tables.append(Table(ft(loc, "fx_rates_title"), header, rows))
    notes.append(ft(loc, "fx_cta_note"))
    return tables, notes


def _ratio(x: Decimal | None, loc: str) -> str:
    return "n/a" if x is None else format_number(x, loc, 2) + "x"


def _covenant_cells(test: CovenantTest, loc: str) -> tuple[str, ...]:
    money = test.code == "minimum_liquidity"

    def fmt(x: Decimal | None) -> str:
        return format_amount(x, loc) if money else _ratio(x, loc)

    bound = ft(loc, "cov_max" if test.bound == "max" else "cov_min", limit=fmt(test.limit))
    actual = fmt(test.value)
    if test.value is None and test.reason:
        key = "cov_reason_no_ebitda" if test.code == "net_debt_to_ebitda" else "cov_reason_no_interest"
        actual = f"n/a ({ft(loc, key)})"
    return (ft(loc, f"cov_{test.code}"), bound, actual, fmt(test.headroom),
            "n/a" if test.headroom_pct is None else format_percent(test.headroom_pct, loc),
            ft(loc, f"cov_{test.status}"))


def covenant_table(report: CovenantReport, loc: str, amber: Decimal) -> Table:
    """Return the covenants with their headroom and status, then the figures they are computed from."""
    header = tuple(ft(loc, k) for k in ("cov_col_covenant", "cov_col_limit", "cov_col_actual",
                                         "cov_col_headroom", "cov_col_headroom_pct", "cov_col_status"))
    rows = [_covenant_cells(test, loc) for test in report.tests]
    lights = tuple((i, 5, _LIGHT[test.status]) for i, test in enumerate(report.tests))
    f = report.figures
    sections = (len(rows),)
    rows.append((ft(loc, "cov_figures"), "", "", "", "", ""))
    for key, value in (("cov_fig_borrowings", f.borrowings), ("cov_fig_cash", f.cash),
                       ("cov_fig_net_debt", f.net_debt), ("cov_fig_ltm_ebitda", f.ltm_ebitda),
                       ("cov_fig_ltm_interest", f.ltm_interest), ("cov_fig_undrawn", f.undrawn_facilities),
                       ("cov_fig_liquidity", f.liquidity)):
        rows.append((ft(loc, key, months=f.months), "", format_amount(value, loc), "", "", ""))
    notes = [ft(loc, "cov_amber_note", pct=format_percent(amber, loc, 0))]
    if f.months < 12:
        notes.append(ft(loc, "cov_short", months=f.months))
    notes += [f"{name}: {formula}" for name, formula in
              (definition(k).localized(loc) for k in ("net_debt_to_ebitda", "interest_cover", "liquidity"))]
    return Table(ft(loc, "cov_title"), header, tuple(rows), sections, lights=lights, notes=tuple(notes))


def covenant_tables(data: BoardPackData) -> list[Table]:
    """Return the covenant table, or nothing when the group configures no covenant."""
    if data.covenants is None:
        return []
    return [covenant_table(data.covenants, data.locale, data.covenants.amber_headroom)]
