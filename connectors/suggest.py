"""Propose standard-chart mappings for unmapped local accounts (``close mapping suggest``).

A suggestion is evidence, not a decision: the controller reviews it and copies it into the
mapping file. Evidence, strongest first:

1. the local name equals a standard account's name (accents and case ignored) — confidence 0.95;
2. a Portuguese or English keyword in the name (``fornecedores``/``suppliers`` → trade payables,
   ``depreciação acumulada`` → accumulated depreciation …) — 0.8, or 0.6 when the account code's
   first digit rules its class out (``close.engine.account_codes``: one rule for the Brazilian, SPED
   and US numberings — ERP categories such as Omie's ``1.``/``2.`` follow none of them, so the
   code never overrides a keyword);
3. the connectors' own management accounts (``BANK:…``, ``AR``, ``AP``, ``EQUITY``,
   ``UNRECONCILED``, ``UNCATEGORISED_REVENUE``/``_EXPENSE``) — 0.9;
4. the code's most likely class alone — 0.3, to the class's catch-all account.

Rules name a subclass (and a word of the target's name when the subclass has several accounts),
never a code, so a group's own chart works as well as the default one.

Example: ``2.1.01 Fornecedores nacionais`` → ``2000 Trade payables`` (0.8, "name has
'fornecedor' → payable").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from close.engine.account_codes import classes_by_code
from connectors.files import normalize_header as normalize

SUGGESTION_COLUMNS: tuple[str, ...] = ("entity", "account", "account_name", "std_account",
                                       "confidence", "reason")


@dataclass(frozen=True, slots=True)
class Rule:
    """Keywords (normalized) that point to a subclass, optionally a word of the target's name."""

    keywords: tuple[str, ...]
    subclass: str
    name_hint: str = ""


# Order matters: specific phrases before the general words they contain.
RULES: tuple[Rule, ...] = (
    Rule(("depreciacao acumulada", "amortizacao acumulada", "accumulated depreciation",
          "accumulated amortization"), "ppe", "accumulated"),
    Rule(("impostos a recuperar", "tributos a recuperar", "icms a recuperar", "pis a recuperar",
          "cofins a recuperar", "recoverable tax"), "other_current_asset", "recoverable"),
    Rule(("impostos a recolher", "tributos a recolher", "impostos a pagar", "icms a recolher",
          "iss a recolher", "taxes payable", "tax payable"), "tax_payable"),
    Rule(("salarios a pagar", "ferias a pagar", "provisao de ferias", "provisao 13", "encargos a pagar",
          "inss a recolher", "fgts a recolher", "accrued", "payroll payable"), "accrued"),
    Rule(("mutuo", "intercompany", "partes relacionadas", "related part"), "ic_receivable"),
    Rule(("receitas financeiras", "receita financeira", "rendimentos de aplicacao", "juros ativos",
          "juros recebidos", "finance income", "interest income"), "finance_income"),
    Rule(("despesas financeiras", "despesa financeira", "juros passivos", "juros pagos",
          "tarifas bancarias", "tarifa bancaria", "iof", "finance cost", "interest expense",
          "bank fees", "bank charges"), "finance_cost"),
    Rule(("variacao cambial", "variacoes cambiais", "exchange", "fx gain", "fx loss"), "fx"),
    Rule(("irpj", "csll", "imposto de renda", "contribuicao social", "income tax"), "tax"),
    Rule(("deducoes", "devolucoes", "devolucao de vendas", "impostos sobre vendas",
          "impostos sobre faturamento", "abatimentos", "sales returns", "deductions"),
         "revenue_deductions"),
    Rule(("depreciacao", "amortizacao", "depreciation", "amortization"), "d_and_a"),
    Rule(("caixa", "banco", "bancos", "conta corrente", "aplicacao financeira",
          "aplicacoes financeiras", "cash", "bank"), "cash"),
    Rule(("clientes", "cliente", "contas a receber", "duplicatas a receber", "receivable",
          "customers"), "receivable"),
    Rule(("estoque", "estoques", "mercadorias para revenda", "inventory", "inventories"),
         "inventory"),
    Rule(("imobilizado", "maquinas", "equipamentos", "veiculos", "moveis e utensilios",
          "computadores", "edificacoes", "terrenos", "property", "equipment"), "ppe", "property"),
    Rule(("intangivel", "software", "marcas e patentes", "intangible"), "intangible"),
    Rule(("adiantamento", "despesas antecipadas", "prepaid", "advances"), "other_current_asset"),
    Rule(("fornecedores", "fornecedor", "contas a pagar", "suppliers", "payable", "vendors"),
         "payable"),
    Rule(("emprestimos", "financiamentos", "debentures", "loans", "borrowings"), "debt"),
    Rule(("receita diferida", "receitas diferidas", "adiantamento de clientes",
          "deferred revenue"), "deferred_revenue"),
    Rule(("capital social", "capital subscrito", "share capital"), "share_capital"),
    Rule(("lucros acumulados", "prejuizos acumulados", "reservas de lucro", "retained earnings"),
         "retained_earnings"),
    Rule(("custo", "custos", "cmv", "cpv", "csp", "cost of"), "cogs"),
    Rule(("assinatura", "assinaturas", "mensalidade", "servicos prestados", "receita de servicos",
          "subscription", "service revenue"), "revenue", "subscription"),
    Rule(("receita", "receitas", "vendas", "faturamento", "revenue", "sales"), "revenue",
         "product"),
    Rule(("salario", "salarios", "folha", "ordenados", "pro labore", "beneficios", "encargos",
          "13o", "ferias", "salaries", "payroll", "wages", "benefits"), "opex", "salaries"),
    Rule(("aluguel", "alugueis", "condominio", "iptu", "rent", "occupancy"), "opex", "rent"),
    Rule(("marketing", "publicidade", "propaganda", "comissoes", "advertising", "commissions"),
         "opex", "marketing"),
    Rule(("honorarios", "consultoria", "servicos de terceiros", "advocacia", "contabilidade",
          "auditoria", "professional", "consulting", "legal"), "opex", "professional"),
    Rule(("despesas administrativas", "despesas gerais", "material de escritorio", "energia",
          "telefone", "internet", "general", "administrative", "office"), "opex", "general"),
)

# The connectors' management accounts (connectors.management) → (subclass, name hint).
SYSTEM_ACCOUNTS: Mapping[str, tuple[str, str]] = {
    "AR": ("receivable", ""), "AP": ("payable", ""), "EQUITY": ("retained_earnings", ""),
    "UNRECONCILED": ("suspense", "suspense"),
    # titles the ERP keeps without a category: other income, general expenses
    "UNCATEGORISED_REVENUE": ("other_income", ""), "UNCATEGORISED_EXPENSE": ("opex", "general"),
}
# The catch-all account of each class, when only the code's class is known.
CLASS_FALLBACK: Mapping[str, tuple[str, str]] = {
    "asset": ("other_current_asset", "prepaid"), "liability": ("accrued", ""),
    "revenue": ("other_income", ""), "expense": ("opex", "general"),
}


def _contains(name: str, keyword: str) -> bool:
    return re.search(rf"(?<![a-z0-9]){re.escape(keyword)}", name) is not None


@dataclass(frozen=True, slots=True)
class _Chart:
    rows: tuple[tuple[str, str, str, str], ...]  # code, normalized name, class, subclass

    def pick(self, subclass: str, hint: str = "") -> tuple[str, str] | None:
        """Return ``(code, class)`` of the best account of ``subclass`` (name hint first)."""
        candidates = [r for r in self.rows if r[3] == subclass]
        if hint:
            hinted = [r for r in candidates if hint in r[1]]
            candidates = hinted or candidates
        return (candidates[0][0], candidates[0][2]) if candidates else None

    def by_name(self, name: str) -> str | None:
        return next((r[0] for r in self.rows if r[1] == name), None)


def _suggest_one(account: str, name: str, chart: _Chart) -> tuple[str, float, str]:
    norm = normalize(name)
    exact = chart.by_name(norm) if norm else None
    if exact:
        return exact, 0.95, "same name as the standard account"
    system = SYSTEM_ACCOUNTS.get(account) or (("cash", "") if account.startswith("BANK:") else None)
    if system:
        target = chart.pick(*system)
        if target:
            return target[0], 0.9, f"management account {account} → {system[0]}"
    code_classes = classes_by_code(account)
    for rule in RULES:
        keyword = next((k for k in rule.keywords if _contains(norm, k)), None)
        if keyword is None:
            continue
        target = chart.pick(rule.subclass, rule.name_hint)
        if target is None:
            continue
        agrees = code_classes is None or target[1] in code_classes
        reason = f"name has {keyword!r} → {rule.subclass}"
        if not agrees:
            reason += f" (code suggests {' or '.join(code_classes or ())})"
        return target[0], 0.8 if agrees else 0.6, reason
    # The code alone: the class most likely in a Brazilian chart (close.engine.account_codes).
    likely = next((c for c in code_classes or () if c in CLASS_FALLBACK), None)
    if likely:
        fallback = chart.pick(*CLASS_FALLBACK[likely])
        if fallback:
            return fallback[0], 0.3, f"only the code's first digit: {likely}"
    return "", 0.0, "no keyword or code evidence"


def suggest_mappings(local_accounts: pd.DataFrame, standard_chart: pd.DataFrame) -> pd.DataFrame:
    """Propose a standard account for each local account.

    Args:
        local_accounts: columns ``entity``, ``account``, ``account_name`` (others ignored;
            duplicates of an entity's account are proposed once).
        standard_chart: columns ``code``, ``name``, ``class``, ``subclass``.

    Returns:
        A frame with ``SUGGESTION_COLUMNS``; ``std_account`` is ``""`` and ``confidence`` 0 when
        nothing points anywhere. Confidence is a score in [0, 1], not an amount.

    """
    chart = _Chart(tuple((str(code), normalize(str(name)), str(cls), str(subclass))
                         for code, name, cls, subclass in standard_chart[
                             ["code", "name", "class", "subclass"]].itertuples(index=False,
                                                                              name=None)))
    seen: set[tuple[str, str]] = set()
    rows: list[dict[str, object]] = []
    for entity, account, name in local_accounts[["entity", "account", "account_name"]].itertuples(
            index=False, name=None):
        key = (str(entity), str(account))
        if key in seen:
            continue
        seen.add(key)
        std, confidence, reason = _suggest_one(str(account), str(name or ""), chart)
        rows.append({"entity": key[0], "account": key[1], "account_name": str(name or ""),
                     "std_account": std, "confidence": confidence, "reason": reason})
    return pd.DataFrame(rows, columns=list(SUGGESTION_COLUMNS))

