"""Generate the Acme demo group: trial balances, rates, budget, mapping, opening balances, config.

Run ``python examples/demo/generate.py`` and every file of the demo is (re)written next to this
script. The script needs only the standard library and the shipped chart of accounts
(``close/data/default_chart.csv``). It is deterministic: one seeded ``random.Random`` draws only
integers, and every amount is a ``Decimal`` rounded half-even to cents, so the same script writes
the same bytes.

The model
    Each entity keeps double-entry books from its inception (BR2 from 2021-01, HOLD, BR1 and EU1
    from 2022-01, BR3 from 2022-04). A book is a ledger of lines keyed by (account, counterparty,
    cost center, department). Every month: last month's receivables, payables, payroll and taxes
    are settled; each recurring P&L line posts ``base x growth**t x season x ramp x shock x
    (1 + noise)`` (t = months since 2025-01; the budget is the same formula without shock and
    noise); derived lines follow (sales taxes, cost of goods, depreciation, interest, income tax,
    HOLD's remeasurement of its foreign-currency receivables); surplus cash is swept to an
    investment account. Intercompany flows post both sides from one figure. Balance-sheet lines
    are cumulative; income-statement lines are year-to-date: at each January the year's result
    and the dividends declared are closed into retained earnings.

Opening translation (IAS 21), written to ``opening_balances.csv`` for 2025-09
    - assets and liabilities at the 2025-09 closing rate, line by line, rounded half-even;
    - income and expenses at each month's average rate, per month and standard account, rounded;
    - share capital at the contribution rate (the closing rate of the month before the founding
      month: capital is paid in on its first business day) or, for BR2, the acquisition rate;
    - retained earnings: BR2 starts from its pre-acquisition equity (retained earnings and the
      2023 result up to 30 June) at the acquisition rate; every entity rolls each December's
      translated result, less that year's translated dividends, in once;
    - dividends declared in the year at the average rate of the month they were declared;
    - the CTA is the balancing figure, so each translated trial balance sums to exactly zero;
    - BR2's pushed-down PPA (the consolidation's ``#ppa`` book) likewise, on its own rows.
"""

from __future__ import annotations

import copy
import csv
import random
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import NamedTuple

HERE = Path(__file__).resolve().parent
DEFAULT_CHART = HERE.parent.parent / "close" / "data" / "default_chart.csv"
SEED = 20251031
PRESENTATION = "USD"
FIRST_PERIOD, LAST_PERIOD = "2025-10", "2026-10"
BUDGET_TO = "2026-12"  # the budget runs to the last period's fiscal year-end (full-year columns)
OPENING_PERIOD = "2025-09"  # the month before the first period: opening_balances.csv
RATES_FROM = "2025-01"  # rates.csv covers the opening year-to-date and the 13 periods
HISTORY_FROM = "2021-01"  # the oldest books (BR2)
GROWTH_BASE = "2025-01"  # the month whose level each line's ``base`` states
FISCAL_YEAR_START = 1

ZERO = Decimal(0)
CENT = Decimal("0.01")


def cents(x: Decimal) -> Decimal:
    """Round to cents, half-even."""
    return x.quantize(CENT, rounding=ROUND_HALF_EVEN)


def whole(x: Decimal) -> Decimal:
    """Round to whole units, half-even (budgets are set in whole dollars)."""
    return x.quantize(Decimal(1), rounding=ROUND_HALF_EVEN)


def months(first: str, last: str) -> list[str]:
    """Return the periods ``first`` .. ``last`` inclusive, as ``YYYY-MM``."""
    out, y, m = [], int(first[:4]), int(first[5:])
    while (period := f"{y:04d}-{m:02d}") <= last:
        out.append(period)
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def index(period: str) -> int:
    """Months since year 0, so that differences of periods are month counts."""
    return int(period[:4]) * 12 + int(period[5:]) - 1


def previous(period: str) -> str:
    """Return the month before ``period``."""
    i = index(period) - 1
    return f"{i // 12:04d}-{i % 12 + 1:02d}"


# --------------------------------------------------------------------------- standard chart


def load_standard_chart() -> dict[str, dict[str, str]]:
    """Read the shipped default chart: code -> its row."""
    with DEFAULT_CHART.open(encoding="utf-8", newline="") as f:
        return {row["code"]: row for row in csv.DictReader(f)}


STD = load_standard_chart()
IS_CLASSES = {"revenue", "expense"}


def std_by_role(role: str) -> str:
    """Return the standard account carrying a system role (never hard-code CTA & co)."""
    return next(code for code, row in STD.items() if row["system_role"] == role)


STD_SHARE_CAPITAL = next(c for c, r in STD.items() if r["subclass"] == "share_capital")
STD_RETAINED = std_by_role("retained_earnings")
STD_DIVIDENDS = std_by_role("dividends")
STD_CTA = std_by_role("cta")
STD_PPA_AMORTIZATION = std_by_role("ppa_amortization")
STD_NCI_PROFIT = std_by_role("nci_profit")

# --------------------------------------------------------------------------- local charts
# (local code, local name, standard account). BR1, BR2 and BR3 share one Brazilian plano de
# contas; HOLD keeps a US GAAP-style chart and EU1 a German SKR04-style chart (direct
# depreciation, no accumulated-depreciation account, as German practice has it).

BR_CHART = (
    ("1.1.01.001", "Caixa e Equivalentes de Caixa", "1000"),
    ("1.1.01.002", "Bancos Conta Movimento", "1000"),
    ("1.1.01.003", "Aplicações Financeiras de Liquidez Imediata", "1000"),
    ("1.1.02.001", "Clientes", "1100"),
    ("1.1.02.002", "Clientes - Partes Relacionadas", "1150"),
    ("1.1.03.001", "Estoque de Mercadorias para Revenda", "1200"),
    ("1.2.03.001", "Máquinas e Equipamentos", "1500"),
    ("1.2.03.002", "(-) Depreciação Acumulada", "1550"),
    ("2.1.01.001", "Fornecedores", "2000"),
    ("2.1.01.002", "Fornecedores - Partes Relacionadas", "2050"),
    ("2.1.01.003", "Taxa de Administração a Pagar - Partes Relacionadas", "2050"),
    ("2.1.02.001", "Salários e Encargos a Pagar", "2100"),
    ("2.1.03.001", "Impostos e Contribuições a Recolher", "2200"),
    ("2.1.03.002", "IRPJ e CSLL a Pagar", "2200"),
    ("2.1.05.002", "Dividendos a Pagar - Partes Relacionadas", "2050"),
    ("2.2.01.001", "Empréstimos e Financiamentos", "2500"),
    ("2.3.01.001", "Capital Social", "3000"),
    ("2.3.04.001", "Lucros Acumulados", "3100"),
    ("2.3.04.002", "(-) Dividendos Declarados", "3150"),
    ("3.1.01.001", "Receita de Serviços", "4100"),
    ("3.1.01.002", "Receita de Assinaturas SaaS", "4100"),
    ("3.1.01.003", "Receita de Venda de Mercadorias", "4000"),
    ("3.1.01.004", "Receita de Vendas - Partes Relacionadas", "4150"),
    ("3.1.02.001", "(-) Impostos sobre Vendas (PIS/COFINS/ISS/ICMS)", "4200"),
    ("3.2.01.001", "Receitas Financeiras", "7000"),
    ("4.1.01.001", "Custo dos Serviços Prestados", "5000"),
    ("4.1.01.002", "Custo das Mercadorias Vendidas", "5000"),
    ("4.1.01.003", "Custo - Compras de Partes Relacionadas", "5150"),
    ("4.2.01.001", "Salários e Encargos", "6000"),
    ("4.2.02.001", "Aluguel", "6100"),
    ("4.2.03.001", "Marketing e Publicidade", "6200"),
    ("4.2.03.002", "Comissões sobre Vendas", "6200"),
    ("4.2.04.001", "Serviços Profissionais", "6300"),
    ("4.2.05.001", "Despesas Gerais e Administrativas", "6400"),
    ("4.2.06.001", "Depreciação e Amortização", "6500"),
    ("4.2.07.001", "Taxa de Administração - Partes Relacionadas", "5150"),
    ("4.3.01.001", "Despesas Financeiras", "7100"),
    ("4.4.01.001", "IRPJ/CSLL", "8000"),
)
# A distributor books sales commissions as cost of sales: the one entity-specific mapping row.
MAPPING_OVERRIDES = (("BR3", "4.2.03.002", "5000"),)

HOLD_CHART = (
    ("10100", "Cash - Operating Account", "1000"),
    ("10200", "Cash - Money Market Fund", "1000"),
    ("13000", "Due from Affiliates - Management Fees", "1150"),
    ("13100", "Dividends Receivable - Subsidiaries", "1150"),
    ("15000", "Investment in Subsidiaries", "1800"),
    ("16000", "Intercompany Loan Receivable", "1850"),
    ("16100", "Accrued Interest Receivable - Affiliates", "1150"),
    ("17000", "Furniture and Equipment", "1500"),
    ("17100", "Accumulated Depreciation - Furniture and Equipment", "1550"),
    ("20000", "Accounts Payable", "2000"),
    ("21000", "Accrued Payroll and Benefits", "2100"),
    ("22000", "Income Taxes Payable", "2200"),
    ("23000", "Dividends Payable", "2400"),
    ("30000", "Common Stock", "3000"),
    ("30500", "Additional Paid-in Capital", "3000"),
    ("31000", "Retained Earnings", "3100"),
    ("31500", "Dividends Declared", "3150"),
    ("40000", "Management Fee Revenue - Affiliates", "4150"),
    ("42000", "Interest Income - Affiliates", "7000"),
    ("43000", "Dividend Income - Subsidiaries", "4950"),
    ("44000", "Interest Income - Money Market", "7000"),
    ("45000", "Foreign Exchange (Gain) Loss", "7200"),
    ("60000", "Salaries and Wages", "6000"),
    ("60500", "Payroll Taxes and Benefits", "6000"),
    ("61000", "Rent Expense", "6100"),
    ("63000", "Legal and Professional Fees", "6300"),
    ("64000", "Office and General Expenses", "6400"),
    ("64500", "Travel and Entertainment", "6400"),
    ("65000", "Depreciation Expense", "6500"),
    ("80000", "Income Tax Expense", "8000"),
)

EU1_CHART = (
    ("0650", "Büroeinrichtung", "1500"),
    ("1200", "Forderungen aus Lieferungen und Leistungen", "1100"),
    ("1800", "Bank", "1000"),
    ("2900", "Gezeichnetes Kapital", "3000"),
    ("2970", "Gewinnvortrag vor Verwendung", "3100"),
    ("3040", "Steuerrückstellungen", "2200"),
    ("3300", "Verbindlichkeiten aus Lieferungen und Leistungen", "2000"),
    ("3450", "Darlehen von verbundenen Unternehmen", "2550"),
    ("3460", "Zinsverbindlichkeiten gegenüber verbundenen Unternehmen", "2050"),
    ("3720", "Verbindlichkeiten aus Lohn und Gehalt", "2100"),
    ("3900", "Passive Rechnungsabgrenzung", "2300"),
    ("4400", "Umsatzerlöse Software-Abonnements", "4100"),
    ("4405", "Umsatzerlöse Dienstleistungen", "4100"),
    ("5900", "Fremdleistungen (Hosting)", "5000"),
    ("6000", "Löhne und Gehälter", "6000"),
    ("6110", "Gesetzliche soziale Aufwendungen", "6000"),
    ("6220", "Abschreibungen auf Sachanlagen", "6500"),
    ("6310", "Miete", "6100"),
    ("6600", "Werbekosten", "6200"),
    ("6815", "Bürobedarf", "6400"),
    ("6825", "Rechts- und Beratungskosten", "6300"),
    ("7320", "Zinsaufwendungen an verbundene Unternehmen", "7100"),
    ("7600", "Körperschaftsteuer", "8000"),
    ("7610", "Gewerbesteuer", "8000"),
)

# --------------------------------------------------------------------------- exchange rates
# Month-end closings (USD per unit) at anchor months, close to where the markets were; the
# months between are interpolated with noise. The average of a month is the mean of its two
# month-end closings with a little noise. 2023-06 is the BR2 acquisition rate, kept exact.
RATE_ANCHORS: dict[str, dict[str, str]] = {
    "BRL": {"2021-12": "0.1795", "2022-06": "0.1910", "2022-12": "0.1893", "2023-06": "0.2075",
            "2023-12": "0.2058", "2024-06": "0.1800", "2024-12": "0.1650", "2025-03": "0.1752",
            "2025-06": "0.1832", "2025-09": "0.1880", "2025-12": "0.1820", "2026-03": "0.1850",
            "2026-06": "0.1905", "2026-10": "0.1862"},
    "EUR": {"2021-12": "1.1326", "2022-06": "1.0387", "2022-12": "1.0666", "2023-06": "1.0866",
            "2023-12": "1.1050", "2024-06": "1.0713", "2024-12": "1.0500", "2025-03": "1.0815",
            "2025-06": "1.1720", "2025-09": "1.1740", "2025-12": "1.1600", "2026-03": "1.1500",
            "2026-06": "1.1650", "2026-10": "1.1550"},
}
ACQUISITION_PERIOD = "2023-06"  # BR2: acquired on 2023-06-30 at that month's closing rate
# The budget is set in USD at one planning rate per currency and year.
BUDGET_RATES = {"2025": {"BRL": Decimal("0.1750"), "EUR": Decimal("1.0500")},
                "2026": {"BRL": Decimal("0.1850"), "EUR": Decimal("1.1600")}}


class Rate(NamedTuple):
    """USD per one unit of a currency for one month."""

    closing: Decimal
    average: Decimal


def build_rates(rng: random.Random) -> dict[str, dict[str, Rate]]:
    """Simulate monthly closing and average rates from the anchors (10 decimals)."""
    places = Decimal("1E-10")
    out: dict[str, dict[str, Rate]] = {}
    for currency, anchors in RATE_ANCHORS.items():
        points = sorted((index(p), Decimal(v)) for p, v in anchors.items())
        closing: dict[int, Decimal] = {}
        for (i0, v0), (i1, v1) in zip(points, points[1:], strict=False):
            for i in range(i0, i1):
                linear = v0 + (v1 - v0) * (i - i0) / (i1 - i0)
                noise = Decimal(rng.randint(-60, 60)) / 10000 if i != i0 else ZERO
                closing[i] = (linear * (1 + noise)).quantize(places, ROUND_HALF_EVEN)
        closing[points[-1][0]] = points[-1][1].quantize(places)
        series: dict[str, Rate] = {}
        first = points[0][0]
        for i in sorted(closing):
            period = f"{i // 12:04d}-{i % 12 + 1:02d}"
            before = closing.get(i - 1, closing[i]) if i > first else closing[i]
            noise = Decimal(rng.randint(-20, 20)) / 10000
            average = ((before + closing[i]) / 2 * (1 + noise)).quantize(places, ROUND_HALF_EVEN)
            series[period] = Rate(closing[i], average)
        out[currency] = series
    return out


# --------------------------------------------------------------------------- the books


class Leg(NamedTuple):
    """One side of a journal entry (debit positive, credit negative)."""

    account: str
    amount: Decimal
    counterparty: str = ""
    cost_center: str = ""
    department: str = ""

    @property
    def key(self) -> tuple[str, str, str, str]:
        """The trial-balance line this leg posts to."""
        return (self.account, self.counterparty, self.cost_center, self.department)


def dr(account: str, amount: Decimal, cp: str = "", cc: str = "", dept: str = "") -> Leg:
    """A debit leg."""
    return Leg(account, amount, cp, cc, dept)


def cr(account: str, amount: Decimal, cp: str = "", cc: str = "", dept: str = "") -> Leg:
    """A credit leg."""
    return Leg(account, -amount, cp, cc, dept)


Key = tuple[str, str, str, str]
TbRow = tuple[Key, Decimal, Decimal, Decimal, Decimal]  # line, opening, debit, credit, closing


@dataclass
class Ledger:
    """An entity's books: balances per line, this month's turnovers and this month's plan."""

    entity: str
    currency: str
    chart: Mapping[str, tuple[str, str]]  # local code -> (name, standard account)
    balance: defaultdict[Key, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    opening: dict[Key, Decimal] = field(default_factory=dict)
    debit: defaultdict[Key, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    credit: defaultdict[Key, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    # budget of the month: (local account, counterparty) -> movement in TB sign
    plan: defaultdict[tuple[str, str], Decimal] = field(default_factory=lambda: defaultdict(Decimal))

    def std(self, account: str) -> str:
        """The standard account a local account maps to."""
        return self.chart[account][1]

    def is_income_statement(self, account: str) -> bool:
        """Tell whether a local account is revenue or expense."""
        return STD[self.std(account)]["class"] in IS_CLASSES

    def post(self, *legs: Leg) -> None:
        """Post a balanced journal entry."""
        if sum(leg.amount for leg in legs) != 0:
            raise ValueError(f"{self.entity}: unbalanced entry {legs}")
        for leg in legs:
            if leg.amount != cents(leg.amount) or leg.account not in self.chart:
                raise ValueError(f"{self.entity}: bad leg {leg}")
            self.balance[leg.key] += leg.amount
            if leg.amount > 0:
                self.debit[leg.key] += leg.amount
            else:
                self.credit[leg.key] -= leg.amount

    def open_month(self, period: str) -> None:
        """Start a month; at the fiscal year start close the result and dividends into RE."""
        if int(period[5:]) == FISCAL_YEAR_START:
            retained = next(a for a in self.chart if self.std(a) == STD_RETAINED)
            for key, amount in list(self.balance.items()):
                if self.is_income_statement(key[0]) or self.std(key[0]) == STD_DIVIDENDS:
                    self.balance[(retained, "", "", "")] += amount
                    self.balance[key] = ZERO
        self.opening = dict(self.balance)
        self.debit.clear()
        self.credit.clear()
        self.plan.clear()

    def at_open(self, account: str, cp: str = "") -> Decimal:
        """Balance of an account (one counterparty) at the start of the month."""
        return sum((v for k, v in self.opening.items() if k[0] == account and k[1] == cp), ZERO)

    def now(self, account: str, cp: str = "") -> Decimal:
        """Balance of an account (one counterparty) now."""
        return sum((v for k, v in self.balance.items() if k[0] == account and k[1] == cp), ZERO)

    def month_result(self, exclude: Iterable[str] = ()) -> Decimal:
        """This month's profit (positive) from the income-statement lines, some accounts excluded."""
        skip = set(exclude)
        keys = set(self.debit) | set(self.credit)
        return -sum((self.debit[k] - self.credit[k] for k in keys
                     if self.is_income_statement(k[0]) and k[0] not in skip), ZERO)

    def plan_result(self, exclude: Iterable[str] = ()) -> Decimal:
        """This month's planned profit (positive)."""
        skip = set(exclude)
        return -sum((v for (a, _), v in self.plan.items()
                     if self.is_income_statement(a) and a not in skip), ZERO)

    def tb_rows(self) -> list[TbRow]:
        """The month's trial balance: (line, opening, debit, credit, closing), sorted."""
        keys = {k for k in set(self.opening) | set(self.debit) | set(self.credit)
                if self.opening.get(k, ZERO) or self.debit[k] or self.credit[k]}
        return [(k, self.opening.get(k, ZERO), self.debit[k], self.credit[k], self.balance[k])
                for k in sorted(keys)]


# --------------------------------------------------------------------------- entity profiles

SEASONS: dict[str, tuple[str, ...]] = {
    "flat": ("1",) * 12,
    # Brazilian summer holidays and Carnival in Jan-Feb, a strong fourth quarter
    "services_br": ("0.80", "0.85", "1.00", "1.00", "1.05", "1.00", "0.95", "1.00", "1.05",
                    "1.08", "1.10", "0.92"),
    # Mother's Day in May, Black Friday and Christmas
    "retail_br": ("0.85", "0.85", "0.95", "0.95", "1.05", "0.95", "0.95", "1.00", "1.00",
                  "1.05", "1.30", "1.25"),
    # German summer holidays and Christmas
    "services_de": ("0.90", "1.00", "1.05", "1.05", "1.05", "1.00", "0.90", "0.75", "1.05",
                    "1.10", "1.10", "0.80"),
    "marketing": ("0.80", "0.90", "1.10", "1.00", "1.00", "0.90", "0.80", "0.90", "1.20",
                  "1.20", "1.20", "1.00"),
}


@dataclass(frozen=True)
class Line:
    """A recurring P&L line: its monthly amount at 2025-01 and how it moves."""

    account: str
    cc: str
    dept: str
    base: str
    growth: str = "1"  # monthly growth factor
    season: str = "flat"
    settle: str = "ap"  # revenue: "ar"; expense: "ap", "payroll" or "cash"
    noise_bp: int = 500  # +/- basis points of random noise on the actual


@dataclass(frozen=True)
class Shock:
    """A departure of the actuals from the budget, so the analysis has something to explain."""

    entity: str
    account: str
    dept: str  # "" = every line of the account
    first: str
    last: str
    factor: str
    why: str


SHOCKS = (
    Shock("BR3", "3.1.01.003", "", "2025-11", "2025-11", "1.18", "Black Friday well above plan"),
    Shock("BR1", "4.1.01.001", "Infraestrutura", "2026-03", "2026-10", "1.15",
          "cloud hosting overrun after the data-center migration"),
    Shock("BR1", "3.1.01.002", "Enterprise", "2026-06", "2026-10", "1.07",
          "new enterprise contract signed in May, not in the budget"),
    Shock("BR2", "3.1.01.001", "", "2026-08", "2026-08", "0.55",
          "implementation project of a large bank client postponed to the fourth quarter"),
    Shock("EU1", "6600", "", "2026-09", "2026-09", "5.0",
          "dmexco trade fair and product-launch campaign, not in the budget"),
    Shock("HOLD", "63000", "Legal", "2026-10", "2026-10", "6.0",
          "legal and financial due diligence on an acquisition target"),
)


@dataclass(frozen=True)
class Profile:
    """One entity: who it is, its books and how its business runs."""

    entity: str
    name: str
    currency: str
    founded: str  # first month of its books
    chart: tuple[tuple[str, str, str], ...]
    lines: tuple[Line, ...]
    roles: Mapping[str, str]  # what the mechanics post to: bank, ar, ap, payroll, tax_payable...
    share_capital: Mapping[str, str]  # local account -> amount paid in at foundation
    tax: tuple[tuple[str, str], ...]  # (income tax expense account, rate on monthly profit)
    sales_tax_rate: str = "0"  # PIS/COFINS/ISS/ICMS on gross revenue (Brazil)
    capex: str = "0"  # bought at foundation and every ``capex_every`` months
    capex_every: int = 3
    cash_target: str = "0"  # operating bank balance kept; the rest is swept to ``invest``
    invest_yield: str = "0"  # monthly yield of the investment account
    collect: tuple[int, int] = (90, 99)  # share (%) of last month's receivables collected
    payroll_burden: tuple[str, str] | None = None  # (account, rate) charged on salaries
    cogs_ratio: str = "0"  # cost of goods as a share of gross goods revenue (BR3)
    annual_billing: str = "0"  # share of subscriptions billed yearly in advance (EU1)


def _br_roles(**extra: str) -> dict[str, str]:
    return {"petty_cash": "1.1.01.001", "bank": "1.1.01.002", "invest": "1.1.01.003",
            "ar": "1.1.02.001", "ap": "2.1.01.001", "payroll": "2.1.02.001",
            "sales_tax": "3.1.02.001", "sales_tax_payable": "2.1.03.001",
            "tax_payable": "2.1.03.002", "ppe": "1.2.03.001", "acc_dep": "1.2.03.002",
            "dep": "4.2.06.001", "fin_income": "3.2.01.001", **extra}


PROFILES: tuple[Profile, ...] = (
    Profile(
        entity="HOLD", name="Acme Holdings Inc.", currency="USD", founded="2022-01",
        chart=HOLD_CHART,
        lines=(
            Line("60000", "ADM", "Executive", "45000", "1.003", settle="payroll", noise_bp=200),
            Line("60000", "ADM", "Finance", "22000", "1.003", settle="payroll", noise_bp=200),
            Line("60000", "ADM", "Legal", "12000", "1.003", settle="payroll", noise_bp=200),
            Line("61000", "ADM", "Executive", "9000", "1.002", settle="cash", noise_bp=0),
            Line("63000", "ADM", "Legal", "18000", "1.003"),
            Line("63000", "ADM", "Finance", "14000", "1.003"),
            Line("64000", "ADM", "Finance", "5000", "1.002"),
            Line("64500", "ADM", "Executive", "8000", "1.002", noise_bp=1500),
        ),
        roles={"bank": "10100", "invest": "10200", "ap": "20000", "payroll": "21000",
               "tax_payable": "22000", "ppe": "17000", "acc_dep": "17100", "dep": "65000",
               "fin_income": "44000", "fx": "45000", "investments": "15000"},
        share_capital={"30000": "1000", "30500": "24999000"},
        tax=(("80000", "0.21"),), capex="60000", capex_every=24, cash_target="300000",
        invest_yield="0.0035", payroll_burden=("60500", "0.12"),
    ),
    Profile(
        entity="BR1", name="Acme Brasil Tecnologia Ltda.", currency="BRL", founded="2022-01",
        chart=BR_CHART,
        lines=(
            Line("3.1.01.002", "COM", "Enterprise", "1150000", "1.015", settle="ar", noise_bp=300),
            Line("3.1.01.002", "COM", "PME", "480000", "1.018", settle="ar", noise_bp=300),
            Line("3.1.01.001", "OPS", "Serviços Profissionais", "420000", "1.008", "services_br",
                 settle="ar", noise_bp=600),
            Line("4.1.01.001", "TEC", "Infraestrutura", "180000", "1.012"),
            Line("4.1.01.001", "OPS", "Serviços Profissionais", "200000", "1.008", "services_br"),
            Line("4.2.01.001", "ADM", "Diretoria", "80000", "1.006", settle="payroll", noise_bp=200),
            Line("4.2.01.001", "ADM", "Financeiro", "60000", "1.006", settle="payroll", noise_bp=200),
            Line("4.2.01.001", "COM", "Vendas", "150000", "1.008", settle="payroll", noise_bp=400),
            Line("4.2.01.001", "COM", "Marketing", "45000", "1.006", settle="payroll", noise_bp=200),
            Line("4.2.01.001", "TEC", "Engenharia", "260000", "1.008", settle="payroll", noise_bp=200),
            Line("4.2.01.001", "OPS", "Suporte", "85000", "1.006", settle="payroll", noise_bp=200),
            Line("4.2.02.001", "ADM", "Administrativo", "25000", "1.003", settle="cash", noise_bp=0),
            Line("4.2.02.001", "TEC", "Engenharia", "35000", "1.003", settle="cash", noise_bp=0),
            Line("4.2.03.001", "COM", "Marketing", "70000", "1.010", "marketing", noise_bp=800),
            Line("4.2.04.001", "ADM", "Financeiro", "30000", "1.004", noise_bp=1500),
            Line("4.2.05.001", "ADM", "Administrativo", "25000", "1.004"),
            Line("4.2.05.001", "TEC", "Engenharia", "15000", "1.010"),
        ),
        roles=_br_roles(loan="2.2.01.001", fin_cost="4.3.01.001", dividends="2.3.04.002",
                        dividends_payable="2.1.05.002"),
        share_capital={"2.3.01.001": "12000000"},
        tax=(("4.4.01.001", "0.34"),), sales_tax_rate="0.1125", capex="150000",
        cash_target="600000", invest_yield="0.0085",
    ),
    Profile(
        entity="BR2", name="Nuvem Serviços Digitais Ltda.", currency="BRL", founded="2021-01",
        chart=BR_CHART,
        lines=(
            Line("3.1.01.002", "COM", "Enterprise", "620000", "1.006", settle="ar", noise_bp=300),
            Line("3.1.01.002", "COM", "PME", "260000", "1.008", settle="ar", noise_bp=300),
            Line("3.1.01.001", "OPS", "Serviços Profissionais", "520000", "1.004", "services_br",
                 settle="ar", noise_bp=600),
            Line("4.1.01.001", "TEC", "Infraestrutura", "190000", "1.006"),
            Line("4.1.01.001", "OPS", "Serviços Profissionais", "270000", "1.004", "services_br"),
            Line("4.2.01.001", "ADM", "Diretoria", "55000", "1.004", settle="payroll", noise_bp=200),
            Line("4.2.01.001", "ADM", "Financeiro", "40000", "1.004", settle="payroll", noise_bp=200),
            Line("4.2.01.001", "COM", "Vendas", "95000", "1.004", settle="payroll", noise_bp=400),
            Line("4.2.01.001", "TEC", "Engenharia", "170000", "1.004", settle="payroll", noise_bp=200),
            Line("4.2.01.001", "OPS", "Suporte", "60000", "1.004", settle="payroll", noise_bp=200),
            Line("4.2.02.001", "ADM", "Administrativo", "42000", "1.003", settle="cash", noise_bp=0),
            Line("4.2.03.001", "COM", "Marketing", "45000", "1.004", "marketing", noise_bp=800),
            Line("4.2.04.001", "ADM", "Financeiro", "22000", "1.004", noise_bp=1500),
            Line("4.2.05.001", "ADM", "Administrativo", "30000", "1.004"),
        ),
        roles=_br_roles(),
        share_capital={"2.3.01.001": "2500000"},
        tax=(("4.4.01.001", "0.34"),), sales_tax_rate="0.1125", capex="100000",
        cash_target="400000", invest_yield="0.0085",
    ),
    Profile(
        entity="BR3", name="Acme Distribuidora Ltda.", currency="BRL", founded="2022-04",
        chart=BR_CHART,
        lines=(
            Line("3.1.01.003", "COM", "Varejo", "620000", "1.008", "retail_br", settle="ar",
                 noise_bp=500),
            Line("3.1.01.003", "COM", "Corporativo", "380000", "1.008", "retail_br", settle="ar",
                 noise_bp=500),
            Line("4.2.01.001", "ADM", "Administrativo", "35000", "1.005", settle="payroll", noise_bp=200),
            Line("4.2.01.001", "COM", "Vendas", "50000", "1.005", settle="payroll", noise_bp=400),
            Line("4.2.01.001", "OPS", "Logística", "65000", "1.005", settle="payroll", noise_bp=200),
            Line("4.2.02.001", "OPS", "Logística", "55000", "1.003", settle="cash", noise_bp=0),
            Line("4.2.03.002", "COM", "Vendas", "30000", "1.008", "retail_br"),
            Line("4.2.03.001", "COM", "Marketing", "15000", "1.005", "marketing", noise_bp=800),
            Line("4.2.05.001", "ADM", "Administrativo", "20000", "1.004"),
        ),
        roles=_br_roles(inventory="1.1.03.001", cogs="4.1.01.002"),
        share_capital={"2.3.01.001": "6000000"},
        tax=(("4.4.01.001", "0.34"),), sales_tax_rate="0.12", capex="200000", capex_every=6,
        cash_target="400000", invest_yield="0.0085", cogs_ratio="0.55",
    ),
    Profile(
        entity="EU1", name="Acme Europe GmbH", currency="EUR", founded="2022-01",
        chart=EU1_CHART,
        lines=(
            Line("4400", "COM", "Enterprise", "300000", "1.016", settle="ar", noise_bp=300),
            Line("4400", "COM", "Mittelstand", "160000", "1.018", settle="ar", noise_bp=300),
            Line("4405", "OPS", "Professional Services", "70000", "1.005", "services_de",
                 settle="ar", noise_bp=800),
            Line("5900", "TEC", "Hosting", "70000", "1.012"),
            Line("6000", "ADM", "Verwaltung", "28000", "1.005", settle="payroll", noise_bp=200),
            Line("6000", "COM", "Vertrieb", "65000", "1.006", settle="payroll", noise_bp=400),
            Line("6000", "COM", "Marketing", "18000", "1.005", settle="payroll", noise_bp=200),
            Line("6000", "TEC", "Entwicklung", "85000", "1.006", settle="payroll", noise_bp=200),
            Line("6000", "OPS", "Kundenservice", "30000", "1.005", settle="payroll", noise_bp=200),
            Line("6310", "ADM", "Verwaltung", "32000", "1.002", settle="cash", noise_bp=0),
            Line("6600", "COM", "Marketing", "35000", "1.008", "marketing", noise_bp=1000),
            Line("6825", "ADM", "Verwaltung", "12000", "1.003", noise_bp=1500),
            Line("6815", "ADM", "Verwaltung", "6000", "1.003"),
        ),
        roles={"bank": "1800", "ar": "1200", "ap": "3300", "payroll": "3720",
               "tax_payable": "3040", "ppe": "0650", "dep": "6220", "deferred": "3900"},
        share_capital={"2900": "3000000"},
        tax=(("7600", "0.15825"), ("7610", "0.14")), capex="40000", collect=(80, 95),
        payroll_burden=("6110", "0.21"), annual_billing="0.30",
    ),
)
PROFILE = {p.entity: p for p in PROFILES}

# --------------------------------------------------------------------------- group structure

FOUNDED_BY_HOLD = ("BR1", "BR3", "EU1")  # capital paid in by HOLD on the founding month
BR2_OWNERSHIP = Decimal("0.8")
BR2_CONSIDERATION = Decimal("4000000")  # USD, HOLD's investment at cost
PPA_NAME = "Customer relationships"
PPA_FAIR_VALUE = Decimal("6000000")  # BRL
PPA_LIFE_MONTHS = 60
PPA_START = "2023-07"
PPA_BOOK = "#ppa"  # the engine's counterparty for the pushed-down PPA (close.engine.fx.PPA_BOOK)
MANAGEMENT_FEE = Decimal("150000")  # BRL a month, BR1 -> HOLD, from 2023-01, +5% each January
MANAGEMENT_FEE_FROM = "2023-01"
IC_SALES = Line("3.1.01.004", "COM", "Vendas Corporativas", "90000", "1.010", noise_bp=800)
IC_SALES_FROM = "2022-07"  # BR3 sells hardware to BR1 for client deployments
LOAN_EUR = Decimal("3000000")  # HOLD -> EU1, from 2023-01, 5% a year, interest paid quarterly
LOAN_FROM = "2023-01"
LOAN_RATE = Decimal("0.05")
LOAN_REPAYMENT = ("2026-06", Decimal("500000"))
BR1_LOAN = ("2024-03", Decimal("3000000"), Decimal("0.0115"))  # bank loan, monthly interest
BR1_DIVIDEND = ("2026-04", Decimal("4000000"))  # declared to HOLD, paid the month after
HOLD_DIVIDEND = ("2026-03", Decimal("500000"))  # declared to HOLD's shareholders, paid next month
SETTLEMENT_MONTHS = (1, 4, 7, 10)  # quarterly: the quarter's fees and interest are paid


@dataclass
class FxReceivable:
    """A foreign-currency receivable in HOLD's USD books, remeasured at each month end."""

    account: str
    counterparty: str
    currency: str
    foreign: Decimal = ZERO
    carrying: Decimal = ZERO


@dataclass
class World:
    """The simulated group: books, rates and what the output files need."""

    rates: dict[str, dict[str, Rate]]
    rng: random.Random
    ledgers: dict[str, Ledger]
    receivables: dict[str, FxReceivable]
    gross_ppe: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    # entity -> period -> (standard IS account, counterparty) -> local movement
    is_moves: dict[str, dict[str, dict[tuple[str, str], Decimal]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(lambda: defaultdict(Decimal))))
    div_moves: dict[str, dict[str, Decimal]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(Decimal)))
    tbs: dict[tuple[str, str], list[TbRow]] = field(default_factory=dict)  # (entity, period)
    closing_at: dict[tuple[str, str], dict[Key, Decimal]] = field(default_factory=dict)
    plans: dict[tuple[str, str], dict[tuple[str, str], Decimal]] = field(default_factory=dict)
    contribution_rate: dict[str, Decimal] = field(default_factory=dict)
    br2_equity_at_acquisition: Decimal = ZERO


def trend(profile: Profile, line: Line, period: str) -> Decimal:
    """A line's level before seasonality: grown from 2025-01, ramped over the first year."""
    t = index(period) - index(GROWTH_BASE)
    ramp = min(Decimal(1), Decimal(index(period) - index(profile.founded) + 1) / 12)
    return Decimal(line.base) * Decimal(line.growth) ** t * ramp


def line_amounts(world: World, profile: Profile, line: Line, period: str) -> tuple[Decimal, Decimal]:
    """Return (actual, plan) of a recurring line for a month, both positive."""
    season = Decimal(SEASONS[line.season][int(period[5:]) - 1])
    plan = trend(profile, line, period) * season
    noise = Decimal(world.rng.randint(-line.noise_bp, line.noise_bp)) / 10000
    shock = Decimal(1)
    for s in SHOCKS:
        if (s.entity, s.account) == (profile.entity, line.account) and s.dept in ("", line.dept) \
                and s.first <= period <= s.last:
            shock *= Decimal(s.factor)
    return cents(plan * shock * (1 + noise)), cents(plan)


def planned(led: Ledger, leg: Leg, amount: Decimal | None = None) -> None:
    """Record the budget of a P&L leg (the leg's own amount unless told otherwise)."""
    led.plan[(leg.account, leg.counterparty)] += leg.amount if amount is None else amount


def post_line(world: World, profile: Profile, line: Line, period: str) -> None:
    """Post one recurring P&L line and record its plan."""
    led, roles = world.ledgers[profile.entity], profile.roles
    actual, plan = line_amounts(world, profile, line, period)
    if line.settle == "ar":
        pl = cr(line.account, actual, cc=line.cc, dept=line.dept)
        led.post(dr(roles["ar"], actual), pl)
        planned(led, pl, -plan)
        return
    contra = {"ap": roles["ap"], "payroll": roles["payroll"], "cash": roles["bank"]}[line.settle]
    pl = dr(line.account, actual, cc=line.cc, dept=line.dept)
    led.post(pl, cr(contra, actual))
    planned(led, pl, plan)
    if line.settle == "payroll" and profile.payroll_burden:
        account, rate = profile.payroll_burden
        burden = dr(account, cents(actual * Decimal(rate)), cc=line.cc, dept=line.dept)
        led.post(burden, cr(roles["payroll"], burden.amount))
        planned(led, burden, cents(plan * Decimal(rate)))


def settle_last_month(world: World, profile: Profile) -> None:
    """Collect receivables, pay suppliers, payroll and taxes out of last month's balances."""
    led, roles, rng = world.ledgers[profile.entity], profile.roles, world.rng
    bank = roles["bank"]
    if "ar" in roles and (ar := led.at_open(roles["ar"])) > 0:
        got = cents(ar * Decimal(rng.randint(*profile.collect)) / 100)
        led.post(dr(bank, got), cr(roles["ar"], got))
    if (ap := -led.at_open(roles["ap"])) > 0:
        paid = cents(ap * Decimal(rng.randint(95, 100)) / 100)
        led.post(dr(roles["ap"], paid), cr(bank, paid))
    for role in ("payroll", "tax_payable", "sales_tax_payable"):
        if role in roles and (owed := -led.at_open(roles[role])) > 0:
            led.post(dr(roles[role], owed), cr(bank, owed))


def found(world: World, profile: Profile, period: str) -> None:
    """Pay in the share capital (HOLD pays its subsidiaries' at the contribution-date rate)."""
    led, roles = world.ledgers[profile.entity], profile.roles
    for account, amount in profile.share_capital.items():
        led.post(dr(roles["bank"], Decimal(amount)), cr(account, Decimal(amount)))
    if "petty_cash" in roles:
        led.post(dr(roles["petty_cash"], Decimal(5000)), cr(roles["bank"], Decimal(5000)))
    if profile.entity in FOUNDED_BY_HOLD:
        rate = world.rates[profile.currency][previous(period)].closing
        world.contribution_rate[profile.entity] = rate
        capital = sum(Decimal(v) for v in profile.share_capital.values())
        hold = world.ledgers["HOLD"]
        usd = cents(capital * rate)
        hold.post(dr("15000", usd, profile.entity), cr("10100", usd))


def fx_accrue(world: World, rec: FxReceivable, foreign: Decimal, income: Leg, period: str,
              plan_rate: Decimal) -> None:
    """HOLD books income receivable in a foreign currency at the month's average rate."""
    hold = world.ledgers["HOLD"]
    usd = cents(foreign * world.rates[rec.currency][period].average)
    leg = income._replace(amount=-usd)
    hold.post(dr(rec.account, usd, rec.counterparty), leg)
    planned(hold, leg, -cents(foreign * plan_rate))
    rec.foreign += foreign
    rec.carrying += usd


def fx_collect(world: World, rec: FxReceivable, foreign: Decimal, period: str) -> None:
    """HOLD receives foreign cash at the month's average rate; the difference is FX."""
    hold = world.ledgers["HOLD"]
    usd = cents(foreign * world.rates[rec.currency][period].average)
    relieved = rec.carrying if foreign == rec.foreign else cents(rec.carrying * foreign / rec.foreign)
    hold.post(dr("10100", usd), cr(rec.account, relieved, rec.counterparty),
              dr("45000", relieved - usd, cc="ADM", dept="Treasury"))
    rec.foreign -= foreign
    rec.carrying -= relieved


def fx_remeasure(world: World, rec: FxReceivable, period: str) -> None:
    """Month end: carry the receivable at the closing rate (IAS 21.23), difference to P&L."""
    target = cents(rec.foreign * world.rates[rec.currency][period].closing)
    diff = target - rec.carrying
    if diff:
        world.ledgers["HOLD"].post(dr(rec.account, diff, rec.counterparty),
                                   cr("45000", diff, cc="ADM", dept="Treasury"))
        rec.carrying = target


def budget_rate(currency: str, period: str) -> Decimal:
    """The planning rate of a currency for a period's year (1 for USD)."""
    if currency == PRESENTATION:
        return Decimal(1)
    return BUDGET_RATES.get(period[:4], BUDGET_RATES["2025"])[currency]


def intercompany(world: World, period: str) -> None:
    """The group's internal flows: fees, sales, loan, interest, dividends, the acquisition."""
    hold, br1, br3, eu1 = (world.ledgers[e] for e in ("HOLD", "BR1", "BR3", "EU1"))
    rec = world.receivables
    quarter_settlement = int(period[5:]) in SETTLEMENT_MONTHS

    if period == ACQUISITION_PERIOD:
        hold.post(dr("15000", BR2_CONSIDERATION, "BR2"), cr("10100", BR2_CONSIDERATION))

    # Management fee BR1 -> HOLD, in BRL; the quarter's fees are paid in the next quarter's
    # first month, before that month's fee is charged.
    if period >= MANAGEMENT_FEE_FROM:
        if quarter_settlement and (owed := -br1.at_open("2.1.01.003", "HOLD")) > 0:
            br1.post(dr("2.1.01.003", owed, "HOLD"), cr("1.1.01.002", owed))
            fx_collect(world, rec["fee"], owed, period)
        years = int(period[:4]) - int(MANAGEMENT_FEE_FROM[:4])
        fee = cents(MANAGEMENT_FEE * Decimal("1.05") ** years)
        cost = dr("4.2.07.001", fee, "HOLD", "ADM", "Diretoria")
        br1.post(cost, cr("2.1.01.003", fee, "HOLD"))
        planned(br1, cost)
        fx_accrue(world, rec["fee"], fee, cr("40000", ZERO, "BR1", "ADM", "Shared Services"),
                  period, budget_rate("BRL", period))

    # BR3 sells hardware to BR1 (both BRL: the two sides agree to the cent); paid next month.
    if period >= IC_SALES_FROM:
        if (owed := -br1.at_open("2.1.01.002", "BR3")) > 0:
            br1.post(dr("2.1.01.002", owed, "BR3"), cr("1.1.01.002", owed))
            br3.post(dr("1.1.01.002", owed), cr("1.1.02.002", owed, "BR1"))
        actual, plan = line_amounts(world, PROFILE["BR3"], IC_SALES, period)
        sale = cr(IC_SALES.account, actual, "BR1", IC_SALES.cc, IC_SALES.dept)
        br3.post(dr("1.1.02.002", actual, "BR1"), sale)
        planned(br3, sale, -plan)
        cost = dr("4.1.01.003", actual, "BR3", "OPS", "Serviços Profissionais")
        br1.post(cost, cr("2.1.01.002", actual, "BR3"))
        planned(br1, cost, plan)

    # EUR loan HOLD -> EU1: HOLD carries it in USD at the closing rate; interest accrues monthly
    # at 5% a year and is paid quarterly.
    if period == LOAN_FROM:
        usd = cents(LOAN_EUR * world.rates["EUR"][period].average)
        eu1.post(dr("1800", LOAN_EUR), cr("3450", LOAN_EUR, "HOLD"))
        hold.post(dr("16000", usd, "EU1"), cr("10100", usd))
        rec["loan"].foreign, rec["loan"].carrying = LOAN_EUR, usd
    if period > LOAN_FROM:
        if quarter_settlement and (owed := -eu1.at_open("3460", "HOLD")) > 0:
            eu1.post(dr("3460", owed, "HOLD"), cr("1800", owed))
            fx_collect(world, rec["interest"], owed, period)
        principal = -eu1.at_open("3450", "HOLD")
        interest = cents(principal * LOAN_RATE / 12)
        cost = dr("7320", interest, "HOLD", "ADM", "Verwaltung")
        eu1.post(cost, cr("3460", interest, "HOLD"))
        planned(eu1, cost)
        fx_accrue(world, rec["interest"], interest, cr("42000", ZERO, "EU1", "ADM", "Treasury"),
                  period, budget_rate("EUR", period))
    if period == LOAN_REPAYMENT[0]:
        eu1.post(dr("3450", LOAN_REPAYMENT[1], "HOLD"), cr("1800", LOAN_REPAYMENT[1]))
        fx_collect(world, rec["loan"], LOAN_REPAYMENT[1], period)

    # Dividends: BR1 to HOLD (HOLD books the income at the declaration month's average rate),
    # HOLD to its own shareholders; each paid the month after it is declared.
    if period == BR1_DIVIDEND[0]:
        amount = BR1_DIVIDEND[1]
        br1.post(dr("2.3.04.002", amount, "HOLD"), cr("2.1.05.002", amount, "HOLD"))
        fx_accrue(world, rec["dividend"], amount, cr("43000", ZERO, "BR1", "ADM", "Treasury"),
                  period, budget_rate("BRL", period))
    if period == shift(BR1_DIVIDEND[0], +1):
        owed = -br1.at_open("2.1.05.002", "HOLD")
        br1.post(dr("2.1.05.002", owed, "HOLD"), cr("1.1.01.002", owed))
        fx_collect(world, rec["dividend"], owed, period)
    if period == HOLD_DIVIDEND[0]:
        hold.post(dr("31500", HOLD_DIVIDEND[1]), cr("23000", HOLD_DIVIDEND[1]))
    if period == shift(HOLD_DIVIDEND[0], +1):
        hold.post(dr("23000", HOLD_DIVIDEND[1]), cr("10100", HOLD_DIVIDEND[1]))


def shift(period: str, step: int) -> str:
    """Return the period ``step`` months after ``period`` (before it when negative)."""
    i = index(period) + step
    return f"{i // 12:04d}-{i % 12 + 1:02d}"


def month_end(world: World, profile: Profile, period: str) -> None:
    """Derived lines: sales taxes, cost of goods, capex and depreciation, interest, tax, sweep."""
    led, roles, entity = world.ledgers[profile.entity], profile.roles, profile.entity
    bank = roles["bank"]
    revenue_accounts = [a for a, _, std in profile.chart if std in ("4000", "4100", "4150")]

    def month_credits(accounts: Iterable[str]) -> Decimal:
        wanted = set(accounts)
        return sum((v for k, v in led.credit.items() if k[0] in wanted), ZERO)

    def plan_of(accounts: Iterable[str]) -> Decimal:
        wanted = set(accounts)
        return -sum((v for (a, _), v in led.plan.items() if a in wanted), ZERO)

    if profile.sales_tax_rate != "0":
        rate = Decimal(profile.sales_tax_rate)
        tax = dr(roles["sales_tax"], cents(month_credits(revenue_accounts) * rate), cc="COM",
                 dept="Vendas")
        led.post(tax, cr(roles["sales_tax_payable"], tax.amount))
        planned(led, tax, cents(plan_of(revenue_accounts) * rate))

    if profile.cogs_ratio != "0":
        goods = [a for a, _, std in profile.chart if std in ("4000", "4150")]
        ratio = Decimal(profile.cogs_ratio)
        cogs = dr(roles["cogs"], cents(month_credits(goods) * ratio * Decimal(
            1000 + world.rng.randint(-20, 20)) / 1000), cc="OPS", dept="Logística")
        led.post(cogs, cr(roles["inventory"], cogs.amount))
        planned(led, cogs, cents(plan_of(goods) * ratio))
        # restock towards one and a half months of cost of goods
        gap = cogs.amount * Decimal("1.5") - led.now(roles["inventory"])
        buy = cents(cogs.amount + gap * Decimal("0.3"))
        if buy > 0:
            led.post(dr(roles["inventory"], buy), cr(roles["ap"], buy))

    if profile.annual_billing != "0":
        _recognize_annual_subscriptions(world, profile, period)

    age = index(period) - index(profile.founded)
    if age % profile.capex_every == 0:
        capex = Decimal(profile.capex)
        led.post(dr(roles["ppe"], capex), cr(bank, capex))
        world.gross_ppe[entity] += capex
    book_value = led.now(roles["ppe"]) + (led.now(roles["acc_dep"]) if "acc_dep" in roles else ZERO)
    if age > 0 and book_value > 0:
        dep = min(cents(world.gross_ppe[entity] / 60), book_value)
        d = dr(roles["dep"], dep, cc="ADM", dept=_admin_dept(profile))
        led.post(d, cr(roles.get("acc_dep", roles["ppe"]), dep))
        planned(led, d)

    if "invest" in roles and (invested := led.at_open(roles["invest"])) > 0:
        income = cents(invested * Decimal(profile.invest_yield))
        leg = cr(roles["fin_income"], income, cc="ADM", dept=_treasury_dept(profile))
        led.post(dr(roles["invest"], income), leg)
        planned(led, leg, -whole(income))
    if "fin_cost" in roles and (loan := -led.at_open(roles["loan"])) > 0:
        interest = dr(roles["fin_cost"], cents(loan * BR1_LOAN[2]), cc="ADM", dept="Financeiro")
        led.post(interest, cr(bank, interest.amount))
        planned(led, interest)
    if entity == "BR1" and period == BR1_LOAN[0]:
        led.post(dr(bank, BR1_LOAN[1]), cr(roles["loan"], BR1_LOAN[1]))

    if entity == "HOLD":
        for rec in world.receivables.values():
            fx_remeasure(world, rec, period)

    tax_accounts = [a for a, _ in profile.tax]
    exempt = [*tax_accounts, "43000"]  # dividends from subsidiaries are not taxed again
    profit, plan_profit = led.month_result(exempt), led.plan_result(exempt)
    for account, rate in profile.tax:
        if profit > 0:
            t = dr(account, cents(profit * Decimal(rate)), cc="ADM", dept=_admin_dept(profile))
            led.post(t, cr(roles["tax_payable"], t.amount))
        if plan_profit > 0:
            led.plan[(account, "")] += cents(plan_profit * Decimal(rate))

    if "invest" in roles:
        surplus = led.now(bank) - Decimal(profile.cash_target)
        move = surplus if surplus > 0 else -min(-surplus, led.now(roles["invest"]))
        if move:
            led.post(dr(roles["invest"], move), cr(bank, move))


def _admin_dept(profile: Profile) -> str:
    return {"HOLD": "Finance", "EU1": "Verwaltung"}.get(profile.entity, "Financeiro")


def _treasury_dept(profile: Profile) -> str:
    return "Treasury" if profile.entity == "HOLD" else "Financeiro"


def _recognize_annual_subscriptions(world: World, profile: Profile, period: str) -> None:
    """EU1 bills a share of its subscriptions for the whole year in January (deferred revenue)
    and recognizes it month by month: the month's revenue lines were billed in full, so move
    the recognized part from receivables to the release of deferred revenue."""
    led, roles = world.ledgers[profile.entity], profile.roles
    share = Decimal(profile.annual_billing)
    subscription = [ln for ln in profile.lines if ln.account == "4400"]

    def plan_of(p: str) -> Decimal:
        return sum((trend(profile, ln, p) for ln in subscription), ZERO)

    year = period[:4]
    if period[5:] == "01":
        billed = cents(share * sum((plan_of(f"{year}-{m:02d}") for m in range(1, 13)), ZERO))
        led.post(dr(roles["ar"], billed), cr(roles["deferred"], billed))
    release = -led.now(roles["deferred"]) if period[5:] == "12" else cents(share * plan_of(period))
    led.post(dr(roles["deferred"], release), cr(roles["ar"], release))


def local_chart(profile: Profile) -> dict[str, tuple[str, str]]:
    """An entity's accounts: local code -> (name, standard account), overrides applied."""
    chart = {account: (name, std) for account, name, std in profile.chart}
    for entity, account, std in MAPPING_OVERRIDES:
        if entity == profile.entity:
            chart[account] = (chart[account][0], std)
    return chart


def simulate() -> World:
    """Run every entity's books from its inception to the last period."""
    rng = random.Random(SEED)
    rates = build_rates(rng)
    world = World(
        rates=rates, rng=rng,
        ledgers={p.entity: Ledger(p.entity, p.currency, local_chart(p)) for p in PROFILES},
        receivables={"fee": FxReceivable("13000", "BR1", "BRL"),
                     "dividend": FxReceivable("13100", "BR1", "BRL"),
                     "loan": FxReceivable("16000", "EU1", "EUR"),
                     "interest": FxReceivable("16100", "EU1", "EUR")},
    )
    for period in months(HISTORY_FROM, LAST_PERIOD):
        for p in _simulate_month(world, period):
            _record(world, p, period)
    _check_cash(world)
    return world


def _simulate_month(world: World, period: str) -> list[Profile]:
    """Post one month of every active entity's books; return the entities active in it."""
    active = [p for p in PROFILES if p.founded <= period]
    for p in active:
        world.ledgers[p.entity].open_month(period)
    for p in active:
        if p.founded == period:
            found(world, p, period)
        else:
            settle_last_month(world, p)
    for p in active:
        for line in p.lines:
            post_line(world, p, line, period)
    intercompany(world, period)
    for p in active:
        month_end(world, p, period)
    return active


def plan_rest_of_year(world: World) -> dict[tuple[str, str], dict[tuple[str, str], Decimal]]:
    """Plan the months after the last period up to its fiscal year-end (the full-year budget).

    A copy of the books runs on, with a random stream of its own and the last period's rates
    held flat, so the actuals and every other file are what they were; only its plans are kept.
    """
    tail = copy.deepcopy(world)
    tail.rng = random.Random(SEED + 1)
    rest = [p for p in months(LAST_PERIOD, BUDGET_TO) if p > LAST_PERIOD]
    for series in tail.rates.values():
        for period in rest:
            series[period] = series[LAST_PERIOD]
    plans = dict(world.plans)
    for period in rest:
        for p in _simulate_month(tail, period):
            plans[(p.entity, period)] = dict(tail.ledgers[p.entity].plan)
    return plans


def _record(world: World, profile: Profile, period: str) -> None:
    """Keep what the output files need: history for translation, TBs, plans."""
    led = world.ledgers[profile.entity]
    for k in set(led.debit) | set(led.credit):
        move = led.debit[k] - led.credit[k]
        if led.is_income_statement(k[0]):
            world.is_moves[profile.entity][period][(led.std(k[0]), k[1])] += move
        elif led.std(k[0]) == STD_DIVIDENDS:
            world.div_moves[profile.entity][period] += move
    if profile.entity == "BR2" and period == ACQUISITION_PERIOD:
        world.br2_equity_at_acquisition = -sum(
            (v for k, v in led.balance.items()
             if STD[led.std(k[0])]["class"] in IS_CLASSES | {"equity"}), ZERO)
    if period == OPENING_PERIOD:
        world.closing_at[(profile.entity, period)] = dict(led.balance)
    if FIRST_PERIOD <= period <= LAST_PERIOD:
        world.tbs[(profile.entity, period)] = led.tb_rows()
        world.plans[(profile.entity, period)] = dict(led.plan)


def _check_cash(world: World) -> None:
    """A plausible business never runs an overdraft here: refuse to write one."""
    for (entity, period), rows in world.tbs.items():
        for key, *_, closing in rows:
            if world.ledgers[entity].std(key[0]) == "1000" and closing < 0:
                raise ValueError(f"{entity} {period}: cash {key[0]} is {closing}")


# --------------------------------------------------------------------------- translation


class OpeningRow(NamedTuple):
    """A row of opening_balances.csv."""

    entity: str
    account: str
    counterparty: str
    translated_closing: Decimal
    historical_rate: Decimal | None


def translate_opening(world: World, profile: Profile) -> list[OpeningRow]:
    """Translate an entity's books to USD at 2025-09 (rules in the module docstring)."""
    entity, currency = profile.entity, profile.currency
    rates = world.rates[currency]
    led = world.ledgers[entity]
    acquired = entity == "BR2"
    start = shift(ACQUISITION_PERIOD, 1) if acquired else profile.founded
    historical = rates[ACQUISITION_PERIOD].closing if acquired else world.contribution_rate[entity]
    retained = ZERO
    if acquired:  # pre-acquisition equity other than share capital, at the acquisition rate
        share_capital = sum(Decimal(v) for v in profile.share_capital.values())
        retained = -cents((world.br2_equity_at_acquisition - share_capital) * historical)
    ytd: dict[tuple[str, str], Decimal] = defaultdict(Decimal)  # (std, counterparty)
    dividends = ZERO
    for period in months(start, OPENING_PERIOD):
        average = rates[period].average
        for line, move in world.is_moves[entity][period].items():
            ytd[line] += cents(move * average)
        dividends += cents(world.div_moves[entity][period] * average)
        if int(period[5:]) == (FISCAL_YEAR_START - 2) % 12 + 1:  # the fiscal year's last month
            retained += sum(ytd.values(), ZERO) + dividends
            ytd.clear()
            dividends = ZERO
    balances = world.closing_at[(entity, OPENING_PERIOD)]
    closing = rates[OPENING_PERIOD].closing
    net_assets = sum((cents(v * closing) for k, v in balances.items()
                      if STD[led.std(k[0])]["class"] in ("asset", "liability")), ZERO)
    capital = sum((v for k, v in balances.items() if led.std(k[0]) == STD_SHARE_CAPITAL), ZERO)
    capital_t = cents(capital * historical)
    cta = -(net_assets + capital_t + retained + dividends + sum(ytd.values(), ZERO))
    rows = [OpeningRow(entity, STD_SHARE_CAPITAL, "", capital_t, historical),
            OpeningRow(entity, STD_RETAINED, "", retained, None),
            OpeningRow(entity, STD_DIVIDENDS, "", dividends, None),
            OpeningRow(entity, STD_CTA, "", cta, None)]
    rows += [OpeningRow(entity, std, cp, ytd[(std, cp)], None) for std, cp in sorted(ytd)]
    return rows


def translate_ppa_opening(world: World) -> list[OpeningRow]:
    """Translate BR2's pushed-down PPA at 2025-09, under the engine's ``#ppa`` counterparties.

    The consolidation pushes the customer relationships down into BR2's books: the intangible
    and its accumulated amortization at the closing rate, the fair-value uplift in retained
    earnings at the acquisition rate plus each prior year's amortization at its months' average
    rates, this year's amortization at each month's average, and the PPA's own CTA as the plug.
    Month k amortizes round(FV x k / life) - round(FV x (k - 1) / life), like ``close.engine.ppa``.
    """
    rates = world.rates["BRL"]
    item = f"{PPA_BOOK}:{PPA_NAME}"

    def accumulated(k: int) -> Decimal:
        return cents(PPA_FAIR_VALUE * min(max(k, 0), PPA_LIFE_MONTHS) / PPA_LIFE_MONTHS)

    retained = -cents(PPA_FAIR_VALUE * rates[ACQUISITION_PERIOD].closing)
    ytd = ZERO
    elapsed = months(PPA_START, OPENING_PERIOD)
    for k, period in enumerate(elapsed, start=1):
        amortization = cents((accumulated(k) - accumulated(k - 1)) * rates[period].average)
        if period[:4] == OPENING_PERIOD[:4]:
            ytd += amortization
        else:
            retained += amortization
    closing = rates[OPENING_PERIOD].closing
    carrying = cents(PPA_FAIR_VALUE * closing) + cents(-accumulated(len(elapsed)) * closing)
    return [OpeningRow("BR2", STD_RETAINED, PPA_BOOK, retained, None),
            OpeningRow("BR2", STD_CTA, PPA_BOOK, -(carrying + retained + ytd), None),
            OpeningRow("BR2", STD_PPA_AMORTIZATION, item, ytd, None)]


# --------------------------------------------------------------------------- writers

TB_HEADER_EN = ("account", "name", "counterparty", "cost_center", "department", "opening",
                "debit", "credit", "closing")
TB_HEADER_BR = ("Conta", "Descrição", "Contraparte", "Centro de Custo", "Departamento",
                "Saldo Anterior", "Débito", "Crédito", "Saldo Atual")


def br_number(x: Decimal) -> str:
    """Brazilian format: ``-1.234,56``."""
    text = f"{abs(x):,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")
    return f"-{text}" if x < 0 else text


def plain(x: Decimal) -> str:
    """Plain format: ``-1234.56``."""
    return f"{cents(x):.2f}" if x else "0.00"


def write_csv(path: Path, header: Iterable[str], rows: Iterable[Iterable[str]],
              delimiter: str = ",") -> None:
    """Write a UTF-8 CSV with ``\\n`` line ends."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter=delimiter, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def write_trial_balances(world: World, out: Path) -> list[Path]:
    """Write tb/{ENTITY}/{YYYY-MM}.csv for every entity and period."""
    written = []
    for p in PROFILES:
        led = world.ledgers[p.entity]
        brazilian = p.currency == "BRL"
        fmt = br_number if brazilian else plain
        for period in months(FIRST_PERIOD, LAST_PERIOD):
            rows = [(k[0], led.chart[k[0]][0], k[1], k[2], k[3], fmt(o), fmt(d), fmt(c), fmt(cl))
                    for k, o, d, c, cl in world.tbs[(p.entity, period)]]
            path = out / "tb" / p.entity / f"{period}.csv"
            write_csv(path, TB_HEADER_BR if brazilian else TB_HEADER_EN, rows,
                      ";" if brazilian else ",")
            written.append(path)
    return written


def write_rates(world: World, out: Path) -> Path:
    """Write rates.csv: period,currency,closing,average (USD per unit, 10 decimals)."""
    rows = [(period, currency, str(world.rates[currency][period].closing),
             str(world.rates[currency][period].average))
            for period in months(RATES_FROM, LAST_PERIOD) for currency in sorted(world.rates)]
    write_csv(out / "rates.csv", ("period", "currency", "closing", "average"), rows)
    return out / "rates.csv"


def write_mapping(out: Path) -> Path:
    """Write mapping.csv: ``*`` rows for the shared Brazilian chart, entity rows otherwise."""
    rows = [("*", a, s) for a, _, s in BR_CHART]
    rows += [("HOLD", a, s) for a, _, s in HOLD_CHART]
    rows += [("EU1", a, s) for a, _, s in EU1_CHART]
    rows += list(MAPPING_OVERRIDES)
    write_csv(out / "mapping.csv", ("entity", "account", "std_account"), rows)
    return out / "mapping.csv"


def write_opening(world: World, out: Path) -> Path:
    """Write opening_balances.csv for the non-USD entities at 2025-09.

    Intercompany income and expense get a row per counterparty, as the trial-balance lines
    they open do (the engine carries translated balances by account and counterparty).
    """
    rows = []
    for p in PROFILES:
        if p.currency == PRESENTATION:
            continue
        pushed_down = translate_ppa_opening(world) if p.entity == "BR2" else []
        for r in translate_opening(world, p) + pushed_down:
            rate = "" if r.historical_rate is None else str(r.historical_rate)
            rows.append((r.entity, r.account, r.counterparty, plain(r.translated_closing), rate))
    write_csv(out / "opening_balances.csv",
              ("entity", "account", "counterparty", "translated_closing", "historical_rate"), rows)
    return out / "opening_balances.csv"


def budget_rows(world: World) -> list[tuple[str, str, str, Decimal]]:
    """Budget movements (USD, TB sign, whole dollars): each entity's own books, intercompany
    included, and the consolidated budget (blank entity): the entities' external lines plus
    the PPA amortization and the NCI's share of BR2's profit."""
    rows: list[tuple[str, str, str, Decimal]] = []
    ppa_brl = PPA_FAIR_VALUE / PPA_LIFE_MONTHS
    plans = plan_rest_of_year(world)
    for period in months(FIRST_PERIOD, BUDGET_TO):
        consolidated: dict[str, Decimal] = defaultdict(Decimal)
        per_entity: list[tuple[str, str, str, Decimal]] = []
        br2_profit = ZERO
        for p in PROFILES:
            led, rate = world.ledgers[p.entity], budget_rate(p.currency, period)
            external: dict[str, Decimal] = defaultdict(Decimal)
            internal: dict[str, Decimal] = defaultdict(Decimal)
            for (account, cp), amount in plans[(p.entity, period)].items():
                (internal if cp else external)[led.std(account)] += amount
            totals: dict[str, Decimal] = defaultdict(Decimal)
            for std in sorted(set(external) | set(internal)):
                ext, ic = whole(external[std] * rate), whole(internal[std] * rate)
                consolidated[std] += ext
                totals[std] = ext + ic
            per_entity += [(period, p.entity, std, v) for std, v in sorted(totals.items()) if v]
            if p.entity == "BR2":
                br2_profit = -sum(totals.values(), ZERO)
        ppa = whole(ppa_brl * budget_rate("BRL", period))
        consolidated[STD_PPA_AMORTIZATION] += ppa
        consolidated[STD_NCI_PROFIT] += whole((br2_profit - ppa) * (1 - BR2_OWNERSHIP))
        rows += [(period, "", std, v) for std, v in sorted(consolidated.items()) if v]
        rows += per_entity
    return rows


def write_budget(world: World, out: Path) -> Path:
    """Write budget.csv: period,entity,account,amount."""
    rows = [(period, entity, std, plain(v)) for period, entity, std, v in budget_rows(world)]
    write_csv(out / "budget.csv", ("period", "entity", "account", "amount"), rows)
    return out / "budget.csv"


# --- receivables and standard costs (issue 21) -----------------------------------------------
# Drawn from a random.Random of their own, after the books are simulated, so adding them changed
# no other file. The open titles of each Brazilian entity at the last two month ends add up, to
# the cent, to its trade receivables (standard account 1100) in the trial balance.
RECEIVABLE_PERIODS = ("2026-09", "2026-10")
STD_TRADE_RECEIVABLES = "1100"
CUSTOMERS = ("Banco Horizonte S.A.", "Rede Varejo Sul Ltda.", "Construtora Atlântica S.A.",
             "Agro Cerrado Cooperativa", "Hospital São Lucas", "Logística Expressa Ltda.",
             "Northwind Trading LLC", "Editora Paulista Ltda.")
# Days past due at the month end and how often a title has them (most are current).
AGES = ((-25, 6), (-12, 6), (-4, 5), (6, 4), (18, 3), (27, 2), (41, 2), (75, 1), (104, 1), (140, 1))


def last_day(period: str) -> date:
    """Return the last day of a ``YYYY-MM`` period."""
    y, m = int(period[:4]), int(period[5:])
    return (date(y + (m == 12), m % 12 + 1, 1) - timedelta(days=1))


def split_cents(total: Decimal, weights: list[int]) -> list[Decimal]:
    """Split an amount in proportion to integer weights, to the cent, summing exactly (largest remainder)."""
    cents_total, whole_weight = int(total * 100), sum(weights)
    shares = [cents_total * w // whole_weight for w in weights]
    order = sorted(range(len(weights)), key=lambda i: -(cents_total * weights[i] % whole_weight))
    for i in order[:cents_total - sum(shares)]:
        shares[i] += 1
    return [Decimal(c) / 100 for c in shares]


def receivable_rows(world: World) -> list[tuple[str, ...]]:
    """Open titles of BR1, BR2 and BR3 at each month end of ``RECEIVABLE_PERIODS``."""
    rng = random.Random(SEED + 21)
    rows = []
    for period in RECEIVABLE_PERIODS:
        end = last_day(period)
        for p in PROFILES:
            if p.currency != "BRL":
                continue
            led = world.ledgers[p.entity]
            balance = sum((cl for k, _, _, _, cl in world.tbs[(p.entity, period)]
                           if led.std(k[0]) == STD_TRADE_RECEIVABLES), ZERO)
            if balance <= 0:
                continue
            count = rng.randint(8, 12)
            amounts = split_cents(balance, [rng.randint(5, 60) for _ in range(count)])
            for n, amount in enumerate(amounts, start=1):
                days = rng.choices([a for a, _ in AGES], weights=[w for _, w in AGES])[0]
                due = end - timedelta(days=days)
                customer = CUSTOMERS[rng.randrange(len(CUSTOMERS))]
                language = "en" if customer.endswith("LLC") else "pt-BR"
                rows.append((period, p.entity, customer, f"{p.entity}-{period.replace('-', '')}-{n:03d}",
                             (due - timedelta(days=30)).isoformat(), due.isoformat(), plain(amount), "BRL",
                             language))
    return rows


def write_receivables(world: World, out: Path) -> Path:
    """Write receivables.csv: the open titles at the last two month ends."""
    write_csv(out / "receivables.csv", ("period", "entity", "customer", "document", "issue_date", "due_date",
                                        "open_amount", "currency", "language"), receivable_rows(world))
    return out / "receivables.csv"


def write_standard_costs(out: Path) -> Path:
    """Write standard_costs.csv: BR3 assembles two kits from components mixed to a standard recipe.

    Figures are illustrative (they do not come from the simulated books): a standard batch of 10
    kits needs 6 kg of resin and 4 kg of fibre (a mix group) and 2 hours of assembly.
    """
    header = ("period", "entity", "product", "input", "mix_group", "std_qty", "std_price", "actual_qty",
              "actual_price", "actual_units", "batch_output", "budget_units", "selling_price", "fixed_costs")
    kits = (  # product, input, mix group, standard qty, standard price, actual qty, actual price
        ("Kit Office", "resin", "compound", "6", "42.50", "6480", "44.10"),
        ("Kit Office", "fibre", "compound", "4", "61.00", "4020", "59.80"),
        ("Kit Office", "assembly hours", "", "2", "38.00", "2110", "38.00"),
        ("Kit Field", "resin", "compound", "5", "42.50", "2660", "44.10"),
        ("Kit Field", "fibre", "compound", "5", "61.00", "2400", "59.80"),
    )
    # product: actual units, batch output, budget units, selling price, fixed costs (once per product)
    products = {"Kit Office": ("10150", "10", "10000", "189.90", "420000"),
                "Kit Field": ("4900", "10", "5200", "154.00", "")}
    rows, seen = [], set()
    for kit in kits:
        level = products[kit[0]] if kit[0] not in seen else ("",) * 5
        seen.add(kit[0])
        rows.append(("2026-10", "BR3", *kit, *level))
    write_csv(out / "standard_costs.csv", header, rows)
    return out / "standard_costs.csv"


def write_config(world: World, out: Path) -> Path:
    """Write group.toml (the acquisition figures come out of BR2's simulated books)."""
    equity = world.br2_equity_at_acquisition
    rate = world.rates["BRL"][ACQUISITION_PERIOD].closing.normalize()
    entities = []
    for p in PROFILES:
        block = [
            "[[entities]]", f'id = "{p.entity}"', f'name = "{p.name}"',
            f'currency = "{p.currency}"', 'connector = "file"',
        ]
        if p.entity != "HOLD":
            block += ['parent = "HOLD"',
                      f'ownership = "{BR2_OWNERSHIP if p.entity == "BR2" else 1}"']
        block += ["", "[entities.source]", f'path = "tb/{p.entity}/{{period}}.csv"']
        if p.entity == "BR2":
            block += [
                "", "# 80% bought on 2023-06-30; HOLD carries the investment at cost (USD).",
                "[entities.acquisition]", "date = 2023-06-30",
                f'consideration = "{BR2_CONSIDERATION}"',
                f'equity_at_acquisition = "{equity}"  # BRL: share capital + retained earnings',
                f'net_assets_fair_value = "{equity + PPA_FAIR_VALUE}"  # BRL: book equity + '
                "customer relationships",
                f'rate = "{rate}"  # USD per BRL on 2023-06-30',
                'nci_method = "proportionate"', "",
                "[[entities.acquisition.ppa]]", f'name = "{PPA_NAME}"',
                f'fair_value = "{PPA_FAIR_VALUE}"', f"useful_life_months = {PPA_LIFE_MONTHS}",
                f'start = "{PPA_START}"',
            ]
        entities.append("\n".join(block))
    text = CONFIG_TEMPLATE + "\n\n".join(entities) + "\n"
    (out / "group.toml").write_text(text, encoding="utf-8")
    return out / "group.toml"


CONFIG_TEMPLATE = '''\
# Acme Group: the demo consolidation group. Written by generate.py (edit the script, not this).
# A US holding company with three Brazilian subsidiaries and a German one.

[group]
id = "acme"
name = "Acme Group"
presentation_currency = "USD"
fiscal_year_start = 1
budget_currency = "USD"
locale = "en-US"
schedule = "0 6 1 * *"  # 06:00 UTC on the 1st closes the previous month
catch_up_months = 3

[files]
mapping = "mapping.csv"
budget = "budget.csv"
rates = "rates.csv"
opening_balances = "opening_balances.csv"
receivables = "receivables.csv"  # open titles of the Brazilian entities at the last two month ends
standard_costs = "standard_costs.csv"  # BR3's kits: standard recipe and the month's actuals

[receivables]
receivables_account = "1100"
draft_threshold = "20000"  # BRL overdue per customer before a collection draft is written

[thresholds]  # a variance is material at or above both figures (USD, fraction)
budget_abs = "25000"
budget_pct = "0.10"
mom_abs = "25000"
mom_pct = "0.10"
yoy_abs = "50000"
yoy_pct = "0.15"

[intercompany]  # a mismatch within both is plugged to suspense and flagged
abs_tolerance = "500"
pct_tolerance = "0.005"

[ai]
enabled = true
model = "claude-sonnet-4-5"
temperature = "0.3"
max_tokens = 300
concurrency = 4

[validation]
# EU1 keeps a German SKR04 chart, where class 3 holds liabilities: the code-prefix
# heuristic of the mapping check (1 asset, 2 liabilities, 3+ results) does not apply to it.
class_prefix_skip = ["EU1"]

[covenants]  # the facilities' covenants (USD): the package shows the headroom, validation flags amber/red
net_debt_to_ebitda_max = "2.5"
interest_cover_min = "34.0"
minimum_liquidity = "15000000"
undrawn_facilities = "750000"  # committed revolving credit line, not drawn
amber_headroom = "0.25"

[rates]  # the demo's rates come from rates.csv: no request to the BCB or the ECB
sources = { BRL = "file", EUR = "file" }

[distribution]
output_dir = "out"

'''


def main(out: Path = HERE) -> list[Path]:
    """Simulate the group and write every demo file under ``out``.

    Args:
        out: the directory to write to (this script's directory by default).

    Returns:
        The files written.
    """
    world = simulate()
    files = write_trial_balances(world, out)
    files += [write_rates(world, out), write_mapping(out), write_opening(world, out),
              write_budget(world, out), write_config(world, out), write_receivables(world, out),
              write_standard_costs(out)]
    return files


if __name__ == "__main__":
    written = main()
    print(f"wrote {len(written)} files under {HERE}")
