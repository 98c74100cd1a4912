"""Mapping suggestions from PT/EN keywords and code prefixes, against the default chart."""

from __future__ import annotations

from importlib.resources import files

import pandas as pd
import pytest

from connectors.suggest import SUGGESTION_COLUMNS, suggest_mappings

CHART = pd.read_csv(files("close.data") / "default_chart.csv", dtype=str)


def suggest(*lines: tuple[str, str]) -> pd.DataFrame:
    local = pd.DataFrame([{"entity": "BR1", "account": a, "account_name": n} for a, n in lines])
    return suggest_mappings(local, CHART)


@pytest.mark.parametrize(("account", "name", "std"), [
    ("1.1.01.001", "Caixa Geral", "1000"),
    ("1.1.01.002", "Banco Itaú S/A", "1000"),
    ("1.1.02.001", "Clientes Nacionais", "1100"),
    ("1.1.05.001", "ICMS a Recuperar", "1310"),
    ("1.2.03.001", "Máquinas e Equipamentos", "1500"),
    ("1.2.03.099", "(-) Depreciação Acumulada", "1550"),
    ("2.1.01.001", "Fornecedores", "2000"),
    ("2.1.03.001", "Salários a Pagar", "2100"),
    ("2.1.04.001", "ICMS a Recolher", "2200"),
    ("2.2.01.001", "Empréstimos e Financiamentos", "2500"),
    ("2.3.01.001", "Capital Social", "3000"),
    ("3.1.01.001", "Receita de Vendas de Mercadorias", "4000"),
    ("3.1.01.002", "Receita de Serviços Prestados", "4100"),
    ("3.1.02.001", "(-) Devoluções de Vendas", "4200"),
    ("4.1.01.001", "Custo das Mercadorias Vendidas", "5000"),
    ("4.2.01.001", "Salários e Ordenados", "6000"),
    ("4.2.02.001", "Aluguel", "6100"),
    ("4.2.03.001", "Honorários Contábeis", "6300"),
    ("4.2.04.001", "Depreciação", "6500"),
    ("4.3.01.001", "Despesas Financeiras", "7100"),
    ("4.3.02.001", "Juros Ativos", "7000"),
    ("4.4.01.001", "IRPJ", "8000"),
    ("6000", "Salaries and wages", "6000"),
    ("1200", "Accounts receivable - customers", "1100"),
    ("2000", "Suppliers", "2000"),
    ("BANK:1001", "Conta Itaú", "1000"),
    ("AR", "Contas a receber (títulos em aberto)", "1100"),
    ("UNRECONCILED", "Diferença de conciliação gerencial", "1900"),
    ("UNCATEGORISED_REVENUE", "Receitas sem categoria", "4900"),
    ("UNCATEGORISED_EXPENSE", "Despesas sem categoria", "6400"),
], ids=lambda v: v if isinstance(v, str) and not v[0].isdigit() else None)
def test_keywords_find_the_standard_account(account: str, name: str, std: str) -> None:
    row = suggest((account, name)).iloc[0]
    assert row["std_account"] == std, row["reason"]
    assert row["confidence"] >= 0.6


def test_exact_name_is_most_confident() -> None:
    row = suggest(("9999", "Goodwill")).iloc[0]
    assert (row["std_account"], row["confidence"]) == ("1700", 0.95)


def test_code_prefix_alone_is_a_weak_class_guess() -> None:
    row = suggest(("4.9.99", "Diversos")).iloc[0]
    assert row["std_account"] == "6400" and row["confidence"] == 0.3 and "first digit" in row["reason"]


def test_keyword_against_the_code_class_lowers_confidence() -> None:
    row = suggest(("1.01.01", "Receita de serviços")).iloc[0]  # an Omie category: 1 = receitas
    assert row["std_account"] == "4100" and row["confidence"] == 0.6
    assert "code suggests asset" in row["reason"]


def test_nothing_to_go_on() -> None:
    row = suggest(("X", "Diversos")).iloc[0]
    assert (row["std_account"], row["confidence"]) == ("", 0.0)


def test_output_shape_and_duplicates_once() -> None:
    out = suggest(("1.1", "Caixa"), ("1.1", "Caixa"), ("2.1", "Fornecedores"))
    assert list(out.columns) == list(SUGGESTION_COLUMNS) and len(out) == 2
