"""One definition of every figure the board package shows, from the chart's data.

Statements, KPIs, charts, commentary and ``close show`` all compute EBITDA, margins, net debt,
working capital and free cash flow here, so a figure is the same number on every page, slide and
sheet; ``DEFINITIONS`` carries each formula in words for the package appendix.

An income-statement account falls into one *block* by its chart subclass (system role for the
NCI share): ``revenue``, ``cogs``, ``opex``, ``d_and_a``, ``finance``, ``tax``, ``nci``. The
subtotals add blocks in statement order::

    net revenue        = revenue
    gross profit       = net revenue + cost of sales
    EBITDA             = gross profit + operating expenses
    operating profit   = EBITDA + depreciation and amortization
    profit before tax  = operating profit + finance and other (interest, FX, associates)
    profit for period  = profit before tax + income tax
    owners of parent   = profit for period − NCI share

So EBITDA excludes finance income, exchange differences and the share of associates' profit:
it is not "profit + interest + tax + D&A" (that adds finance income and FX gains back).
Amounts here are in presented sign (income positive, costs negative).

Worked example: revenue 1,000, cost of sales −400, operating expenses −300, D&A −50, finance
income 20, FX gain 30, tax −60 → gross profit 600, EBITDA 300 (30.00 %), operating profit 250,
profit before tax 300, profit for the period 240.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from close.engine.money import ZERO

INCOME_STATEMENT_CLASSES = frozenset({"revenue", "expense"})

# Income-statement block by subclass; anything else falls back by class (see ``pl_block``).
PL_BLOCK_BY_SUBCLASS: dict[str, str] = {
    "revenue": "revenue", "ic_revenue": "revenue", "revenue_deductions": "revenue",
    "cogs": "cogs",
    "opex": "opex", "ic_expense": "opex", "other_income": "opex",
    "d_and_a": "d_and_a",
    "finance_income": "finance", "finance_cost": "finance", "fx": "finance",
    "associates": "finance", "rounding": "finance",
    "tax": "tax",
}
PL_BLOCKS: tuple[str, ...] = ("revenue", "cogs", "opex", "d_and_a", "finance", "tax", "nci")
NCI_PROFIT_ROLE = "nci_profit"

# subtotal key → (the subtotal it starts from, the block it adds), in statement order.
PL_SUBTOTALS: tuple[tuple[str, str | None, str], ...] = (
    ("net_revenue", None, "revenue"),
    ("gross_profit", "net_revenue", "cogs"),
    ("ebitda", "gross_profit", "opex"),
    ("operating_profit", "ebitda", "d_and_a"),
    ("profit_before_tax", "operating_profit", "finance"),
    ("profit_for_period", "profit_before_tax", "tax"),
)

# Balance-sheet and cash-flow inputs, by chart data.
CASH_SUBCLASS = "cash"
CURRENT_ASSET_TAG = "current_asset"
CURRENT_LIABILITY_TAG = "current_liability"
DEBT_TAG = "debt"
INTEREST_SUBCLASS = "finance_cost"  # interest expense: the covenants' interest cover
CAPEX_SUBCLASSES = frozenset({"ppe", "intangible"})


@dataclass(frozen=True, slots=True)
class Definition:
    """A figure of the package and how it is computed.

    Attributes:
        key: stable id (``ebitda``, ``net_debt`` …).
        name: English name.
        formula: the computation in words a controller reads, printed in the appendix.
        name_pt: Brazilian Portuguese name.
        formula_pt: the formula in Brazilian Portuguese.

    """

    key: str
    name: str
    formula: str
    name_pt: str
    formula_pt: str

    def localized(self, locale: str) -> tuple[str, str]:
        """Return ``(name, formula)`` in ``locale`` (``pt-BR``, else English)."""
        return (self.name_pt, self.formula_pt) if locale == "pt-BR" else (self.name, self.formula)


DEFINITIONS: tuple[Definition, ...] = (
    Definition("net_revenue", "Net revenue",
               "revenue accounts (subclasses revenue, ic_revenue, revenue_deductions and other "
               "revenue-class accounts not listed below), credit positive",
               "Receita líquida",
               "contas de receita (subclasses revenue, ic_revenue, revenue_deductions e demais contas da"
               " classe receita não listadas abaixo), crédito positivo"),
    Definition("gross_profit", "Gross profit", "net revenue − cost of sales (subclass cogs)",
               "Lucro bruto",
               "receita líquida − custo das vendas (subclasse cogs)"),
    Definition("gross_margin", "Gross margin", "gross profit ÷ net revenue × 100",
               "Margem bruta",
               "lucro bruto ÷ receita líquida × 100"),
    Definition("ebitda", "EBITDA",
               "gross profit − operating expenses (subclasses opex, ic_expense, other_income); "
               "excludes D&A, finance income and costs, exchange differences, associates, tax",
               "EBITDA",
               "lucro bruto − despesas operacionais (subclasses opex, ic_expense, other_income); exclui "
               "D&A, receitas e despesas financeiras, variação cambial, coligadas e impostos"),
    Definition("ebitda_margin", "EBITDA margin", "EBITDA ÷ net revenue × 100",
               "Margem EBITDA",
               "EBITDA ÷ receita líquida × 100"),
    Definition("operating_profit", "Operating profit (EBIT)",
               "EBITDA − depreciation and amortization (subclass d_and_a, PPA amortization "
               "included)",
               "Lucro operacional (EBIT)",
               "EBITDA − depreciação e amortização (subclasse d_and_a, inclusive amortização da PPA)"),
    Definition("profit_before_tax", "Profit before tax",
               "operating profit + finance and other (subclasses finance_income, finance_cost, "
               "fx, associates, rounding)",
               "Lucro antes dos impostos",
               "lucro operacional + resultado financeiro e outros (subclasses finance_income, "
               "finance_cost, fx, associates, rounding)"),
    Definition("profit_for_period", "Net income (profit for the period)",
               "profit before tax − income tax (subclass tax); before the NCI share",
               "Lucro líquido do período",
               "lucro antes dos impostos − imposto de renda (subclasse tax); antes da parcela dos não "
               "controladores"),
    Definition("net_margin", "Net margin", "profit for the period ÷ net revenue × 100",
               "Margem líquida",
               "lucro líquido do período ÷ receita líquida × 100"),
    Definition("owners_of_parent", "Net income attributable to owners",
               "profit for the period − share of non-controlling interests (role nci_profit)",
               "Lucro atribuível aos controladores",
               "lucro líquido do período − parcela dos não controladores (papel nci_profit)"),
    Definition("working_capital", "Working capital",
               "current assets (tag current_asset or subclass cash) − current liabilities "
               "(tag current_liability)",
               "Capital de giro",
               "ativo circulante (tag current_asset ou subclasse cash) − passivo circulante (tag "
               "current_liability)"),
    Definition("net_debt", "Net debt",
               "borrowings (tag debt) − cash and cash equivalents (subclass cash); negative is "
               "net cash",
               "Dívida líquida",
               "empréstimos (tag debt) − caixa e equivalentes (subclasse cash); negativo é caixa líquido"),
    Definition("free_cash_flow", "Free cash flow",
               "net cash from operating activities − capital expenditure (cash paid for "
               "property, plant and equipment and intangibles, subclasses ppe and intangible)",
               "Fluxo de caixa livre",
               "caixa líquido das atividades operacionais − investimentos em imobilizado e intangível "
               "(subclasses ppe e intangible)"),
    Definition("constant_currency", "Constant currency",
               "this period's local figures translated at the average rates of the same month a "
               "year earlier (each month of the year to date at its own month's rate); "
               "constant-currency growth = constant currency − last year as reported; translation "
               "effect = reported − constant currency. The balance sheet's translation difference "
               "is the CTA",
               "Moeda constante",
               "valores locais do período convertidos pelas taxas médias do mesmo mês do ano anterior "
               "(cada mês do acumulado pela taxa do seu mês); crescimento em moeda constante = moeda "
               "constante − ano anterior reportado; efeito de conversão = reportado − moeda constante. "
               "A diferença de conversão do balanço é o CTA"),
    Definition("net_debt_to_ebitda", "Net debt / EBITDA (LTM)",
               "net debt ÷ EBITDA of the last twelve months (this month and the stored earlier "
               "months; fewer than twelve are said, not annualised)",
               "Dívida líquida / EBITDA (12 meses)",
               "dívida líquida ÷ EBITDA dos últimos doze meses (este mês e os meses anteriores "
               "armazenados; menos de doze é indicado, sem anualizar)"),
    Definition("interest_cover", "Interest cover (LTM)",
               "EBITDA ÷ interest expense (subclass finance_cost), both of the last twelve months",
               "Cobertura de juros (12 meses)",
               "EBITDA ÷ despesa de juros (subclasse finance_cost), ambos dos últimos doze meses"),
    Definition("liquidity", "Liquidity",
               "cash and cash equivalents (subclass cash) + undrawn committed facilities (from the "
               "group config)",
               "Liquidez",
               "caixa e equivalentes (subclasse cash) + linhas de crédito compromissadas não sacadas "
               "(da configuração do grupo)"),
)


def definition(key: str) -> Definition:
    """Return the definition of ``key``.

    Raises:
        KeyError: for a figure that has no definition.

    """
    for d in DEFINITIONS:
        if d.key == key:
            return d
    raise KeyError(key)


def pl_block(account_class: str, subclass: str, system_role: str | None) -> str | None:
    """Return the income-statement block of an account, None for a balance-sheet account.

    Args:
        account_class: the chart's class.
        subclass: the chart's subclass.
        system_role: the chart's system role (``nci_profit`` is the NCI share) or None/"".

    Returns:
        One of ``PL_BLOCKS`` or None.

    """
    if account_class not in INCOME_STATEMENT_CLASSES:
        return None
    if system_role == NCI_PROFIT_ROLE:
        return "nci"
    block = PL_BLOCK_BY_SUBCLASS.get(subclass)
    if block:
        return block
    return "revenue" if account_class == "revenue" else "opex"


def block_sums(amounts: Mapping[str, Decimal],
               accounts: Iterable[tuple[str, str, str, str | None]]) -> dict[str, Decimal]:
    """Sum trial-balance amounts into income-statement blocks, in presented sign.

    Args:
        amounts: account code → amount, debit positive.
        accounts: ``(code, class, subclass, system_role)`` of the chart.

    Returns:
        Block → amount with income positive and costs negative; the NCI share is returned as
        the expense it is booked as, positive (what ``owners_of_parent`` subtracts).

    """
    out = dict.fromkeys(PL_BLOCKS, ZERO)
    for code, cls, subclass, role in accounts:
        block = pl_block(cls, subclass, role)
        if block is None or code not in amounts:
            continue
        amount = amounts[code]
        out[block] += amount if block == "nci" else -amount
    return out


def income_statement_totals(blocks: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """Compute every income-statement subtotal from block sums (``block_sums``).

    Returns:
        ``net_revenue``, ``gross_profit``, ``ebitda``, ``operating_profit``,
        ``profit_before_tax``, ``profit_for_period`` and ``owners_of_parent``.

    """
    out: dict[str, Decimal] = {}
    for key, start, block in PL_SUBTOTALS:
        out[key] = (out[start] if start else ZERO) + blocks.get(block, ZERO)
    out["owners_of_parent"] = out["profit_for_period"] - blocks.get("nci", ZERO)
    return out


def margin(figure: Decimal, revenue: Decimal) -> Decimal | None:
    """Return ``figure ÷ revenue`` as a fraction, None when revenue is zero."""
    return None if revenue == ZERO else figure / revenue


def working_capital(current_assets: Decimal, current_liabilities: Decimal) -> Decimal:
    """Working capital: current assets − current liabilities (both presented positive)."""
    return current_assets - current_liabilities


def net_debt(borrowings: Decimal, cash: Decimal) -> Decimal:
    """Net debt: borrowings (presented positive) − cash and cash equivalents."""
    return borrowings - cash


def free_cash_flow(operating: Decimal, capex: Decimal) -> Decimal:
    """Free cash flow: net cash from operating activities + capex lines (outflows negative)."""
    return operating + capex


def is_current_asset(subclass: str, tags: Iterable[str]) -> bool:
    """Tell whether an asset is current (tagged ``current_asset`` or cash)."""
    return subclass == CASH_SUBCLASS or CURRENT_ASSET_TAG in tags
