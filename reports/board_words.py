"""Human titles for checks and journals on the pages a board reads; codes stay in the appendix.

A board page says "Month-on-month movement check" and "Intercompany revenue/expense elimination,
Acme Brasil → Acme Holdings", never ``FLUX_PRIOR_MONTH`` or ``IC:revenue_expense:BR1:HOLD``. The
appendix (and the workbook) keep the codes, which is where an auditor traces them.

Journal ids are built by rule (``close.engine.intercompany``, ``close.engine.investment``,
``close.engine.ppa`` …: ``RULE:key:key``), so the title is read back from the id; a journal whose id
follows no rule (a top-side adjustment) is titled by its own memo, which a person wrote.
"""

from __future__ import annotations

from collections.abc import Mapping

from reports.format import format_amount
from reports.model import Journal, ValidationFinding

_CHECKS: Mapping[str, tuple[str, str]] = {
    "BALANCE_SHEET_BALANCES": ("Balance sheet balances", "Balanço fecha"),
    "CONSOLIDATED_TB_SUMS_TO_ZERO": ("Consolidated trial balance sums to zero",
                                     "Balancete consolidado soma zero"),
    "LOCAL_TB_SUMS_TO_ZERO": ("Local trial balance sums to zero", "Balancete local soma zero"),
    "TRANSLATED_TB_SUMS_TO_ZERO": ("Translated trial balance sums to zero",
                                   "Balancete convertido soma zero"),
    "DEBITS_EQUAL_CREDITS": ("Debits equal credits", "Débitos iguais aos créditos"),
    "NET_INCOME_TO_RETAINED_EARNINGS": ("Profit carried to retained earnings",
                                        "Resultado transferido para lucros acumulados"),
    "CTA_RECONCILES": ("Translation adjustment reconciles",
                       "Ajuste de conversão conciliado"),
    "INTERCOMPANY_MISMATCH": ("Intercompany balances agree", "Saldos intercompanhia conferem"),
    "OPENING_EQUALS_PRIOR_CLOSING": ("Opening balances equal prior closing",
                                     "Saldos iniciais iguais ao fechamento anterior"),
    "LINE_ROLLS_FORWARD": ("Balances roll forward", "Saldos rolam do mês anterior"),
    "UNMAPPED_ACCOUNT": ("Every account mapped", "Todas as contas mapeadas"),
    "DUPLICATE_ACCOUNT": ("No duplicate accounts", "Sem contas duplicadas"),
    "ACCOUNT_MAPPED_TWICE": ("No account mapped twice", "Nenhuma conta mapeada duas vezes"),
    "MAPPING_CLASS_CONTRADICTS_CODE": ("Mapping consistent with account codes",
                                       "Mapeamento coerente com os códigos das contas"),
    "RATE_MISSING": ("Exchange rates available", "Taxas de câmbio disponíveis"),
    "RATE_MOVED": ("Exchange-rate movement check", "Verificação de oscilação cambial"),
    "SUSPENSE_NOT_CLEARED": ("Suspense accounts cleared", "Contas transitórias zeradas"),
    "ROUND_NUMBER_ENTRY": ("Round-number entries", "Lançamentos em valores redondos"),
    "RATIO_OUT_OF_BAND": ("Ratios within expected range", "Índices dentro da faixa esperada"),
    "COVENANT_HEADROOM": ("Covenants within their limits", "Covenants dentro dos limites"),
    "JUST_UNDER_LIMIT": ("Entries just under approval limits",
                         "Lançamentos logo abaixo do limite de aprovação"),
    "FLUX_PRIOR_MONTH": ("Month-on-month movement check", "Verificação de variação mensal"),
    "FLUX_BUDGET": ("Movement against budget check", "Verificação de variação contra orçamento"),
    "DORMANT_ACCOUNT_ACTIVE": ("Dormant accounts with activity",
                               "Contas inativas com movimento"),
    "BENFORD_FIRST_DIGIT": ("First-digit (Benford) test", "Teste do primeiro dígito (Benford)"),
    "ABNORMAL_BALANCE": ("Balances on their normal side", "Saldos na natureza esperada"),
    "AR_AGING_RECONCILES": ("Receivables aging reconciles to the ledger",
                            "Aging de recebíveis conciliado com o razão"),
    "ECL_PROVISION_BOOKED": ("Expected credit loss provision booked",
                             "Provisão para perdas esperadas contabilizada"),
    "UNRECONCILED": ("Unreconciled differences", "Diferenças não conciliadas"),
    "UNRECONCILED_EXPLAINED": ("Reconciling differences explained",
                               "Diferenças de conciliação explicadas"),
    "CASH_FLOW_RECONCILES": ("Cash flow reconciles to the balance sheet",
                             "Fluxo de caixa conciliado com o balanço"),
}

_IC_KINDS: Mapping[str, tuple[str, str]] = {
    "receivable_payable": ("receivable/payable", "contas a receber/a pagar"),
    "loan": ("loan", "empréstimo"),
    "revenue_expense": ("revenue/expense", "receita/despesa"),
    "dividend": ("dividend", "dividendos"),
}

# id prefix → (English, Portuguese) title; {0}, {1} … are the id's keys as entity names.
_JOURNALS: Mapping[str, tuple[str, str]] = {
    "INV": ("Elimination of {0}'s investment in {1}", "Eliminação do investimento de {0} em {1}"),
    "NCI": ("Non-controlling interest in {0}", "Participação de não controladores em {0}"),
    "PPA": ("Purchase price allocation, {0}", "Alocação do preço de compra, {0}"),
    "URP": ("Unrealized profit in inventory, {1} → {0}",
            "Lucro não realizado nos estoques, {1} → {0}"),
    "EQM": ("Equity method, {1}", "Equivalência patrimonial, {1}"),
    "DISPOSAL": ("Disposal of {0}", "Alienação de {0}"),
    "DISPOSED": ("{0}, disposed of this year", "{0}, alienada no exercício"),
    "STEP": ("Change in ownership of {0} on {1}", "Alteração de participação em {0} em {1}"),
}


def _pick(pair: tuple[str, str], locale: str) -> str:
    return pair[1] if locale == "pt-BR" else pair[0]


def check_title(code: str, locale: str) -> str:
    """Return a check's human title (an unknown code reads as a sentence: ``A_B`` → ``A b``)."""
    pair = _CHECKS.get(code)
    if pair is not None:
        return _pick(pair, locale)
    words = code.replace("_", " ").strip().lower()
    return words[:1].upper() + words[1:]


def journal_title(journal: Journal, entity_names: Mapping[str, str], locale: str) -> str:
    """Return a journal's title for a board page (see the module docstring)."""
    rule, *keys = journal.id.split(":")
    names = [entity_names.get(k, k) for k in keys]
    if rule == "IC" and len(keys) == 3 and keys[0] in _IC_KINDS:
        kind = _pick(_IC_KINDS[keys[0]], locale)
        pattern = ("Eliminação intercompanhia de {k}, {a} → {b}" if locale == "pt-BR"
                   else "Intercompany {k} elimination, {a} → {b}")
        return pattern.format(k=kind, a=names[1], b=names[2])
    pattern = _JOURNALS.get(rule)
    if pattern is not None and keys:
        try:
            return _pick(pattern, locale).format(*names)
        except IndexError:  # fewer keys than the rule's title names: fall back to the memo
            pass
    return journal.description


def finding_figures(finding: ValidationFinding, locale: str) -> str:
    """Return a finding's figures in the locale: ``expected 100,000.00, actual 131,000.00, …``."""
    return ", ".join(f"{_pick(label, locale)} {format_amount(value, locale)}" for label, value in (
        (("expected", "esperado"), finding.expected), (("actual", "real"), finding.actual),
        (("difference", "diferença"), finding.difference)) if value is not None)


def finding_line(finding: ValidationFinding, locale: str,
                 account_names: Mapping[str, str] | None = None) -> str:
    """Describe a finding for a board page: title, where, and its figures in the locale.

    Example: ``Month-on-month movement check (BR1, Rent and occupancy): expected 100,000.00,
    actual 131,000.00, difference 31,000.00`` (the account's code when it has no name given).
    """
    account = (account_names or {}).get(finding.account or "", finding.account)
    where = ", ".join(x for x in (finding.entity, account) if x)
    figures = finding_figures(finding, locale)
    return check_title(finding.code, locale) + (f" ({where})" if where else "") \
        + (f": {figures}" if figures else "")


_KPI_NAMES_PT: Mapping[str, str] = {
    "mrr": "Receita recorrente mensal", "arr": "Receita recorrente anual",
    "nrr": "Retenção de receita líquida (12 meses)", "churn": "Churn de clientes (mensal)",
    "arpu": "Receita média por usuário", "ltv_cac": "LTV / CAC", "gross_margin": "Margem bruta",
    "ebitda": "EBITDA", "ebitda_margin": "Margem EBITDA",
    "revenue_growth_yoy": "Crescimento da receita (ano contra ano)", "rule_of_40": "Regra dos 40",
    "current_ratio": "Liquidez corrente", "quick_ratio": "Liquidez seca",
    "debt_to_equity": "Dívida sobre patrimônio", "contribution_margin": "Margem de contribuição",
    "break_even_revenue": "Receita de equilíbrio (mensal)",
}
# The KPI engine's reasons for a missing value that recur in every package.
_KPI_REASONS_PT: Mapping[str, str] = {
    "no customer-level recurring revenue data": "sem dados de receita recorrente por cliente",
    "no customer-level or recurring-revenue data": "sem dados de receita recorrente por cliente",
    "no figures for the same month last year": "sem valores do mesmo mês do ano anterior",
    "no paying customers": "sem clientes pagantes",
    "no P&L figures": "sem valores de resultado",
}


def kpi_name(code: str, name: str, locale: str) -> str:
    """Return a KPI's name in ``locale`` (its stored English name when not translated)."""
    return _KPI_NAMES_PT.get(code, name) if locale == "pt-BR" else name


def kpi_reason(reason: str | None, locale: str) -> str:
    """Return why a KPI has no value, in ``locale`` where the reason is a known one."""
    if not reason:
        return ""
    return _KPI_REASONS_PT.get(reason, reason) if locale == "pt-BR" else reason
