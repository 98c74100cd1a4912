"""The file connector: every export quirk parses to the same trial-balance lines."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pytest

from close.engine.frames import LOCAL_TB_COLUMNS
from close.errors import ConfigError, InputDataError
from connectors.base import ConnectorContext
from connectors.files import FileConnector, FileOptions, parse_amount, read_trial_balance
from connectors.registry import create_connector, files_for
from connectors.trial_balance import build_local_tb

# account | name | counterparty | cost_center | department | opening | debit | credit | closing
EXPECTED_LINES = [
    ("1.1.01", "Caixa", "", "", "", 100000, 500000, 376544, 223456),
    ("1.1.02", "Clientes", "", "", "", 1234567, 0, 34567, 1200000),
    ("2.1.01", "Fornecedores", "BR2", "", "", -334567, 376544, 100000, -58023),
    ("3.1.01", "Capital Social", "", "", "", -1000000, 0, 0, -1000000),
    ("4.1.01", "Receita de Serviços", "", "", "", 0, 0, 500000, -500000),
    ("5.1.01", "Despesas Administrativas", "", "CC10", "ADM", 0, 134567, 0, 134567),
]


def expected_frame(*, with_dimensions: bool = True) -> pd.DataFrame:
    rows = [dict(zip(("account", "account_name", "counterparty", "cost_center", "department",
                      "opening", "debit", "credit", "closing"), line, strict=True))
            for line in EXPECTED_LINES]
    if not with_dimensions:
        for r in rows:
            r["counterparty"] = r["cost_center"] = r["department"] = ""
    return build_local_tb(rows, "BR1")


def read(data: bytes | str, filename: str = "tb.csv", **options: object) -> pd.DataFrame:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return read_trial_balance(raw, filename=filename, entity="BR1", currency="BRL",
                              options=FileOptions.from_settings(options, entity="BR1"))


def assert_same(frame: pd.DataFrame, *, with_dimensions: bool = True) -> None:
    assert list(frame.columns) == list(LOCAL_TB_COLUMNS)
    for col in ("opening", "debit", "credit", "closing"):
        assert frame[col].dtype == "int64"
    pd.testing.assert_frame_equal(frame.reset_index(drop=True),
                                  expected_frame(with_dimensions=with_dimensions))


# A Brazilian balancete: title lines, BOM, ";", 1.234,56, D/C suffixes, grouping accounts and a total.
PT_BALANCETE = """\
Balancete de Verificação - Empresa BR1 Ltda
Período: 01/01/2024 a 31/01/2024

Conta;Descrição;Contraparte;Centro de Custo;Departamento;Saldo Anterior;Débito;Crédito;Saldo Atual
1;ATIVO;;;;13.345,67 D;5.000,00;4.111,11;14.234,56 D
1.1;ATIVO CIRCULANTE;;;;13.345,67 D;5.000,00;4.111,11;14.234,56 D
1.1.01;Caixa;;;;1.000,00 D;5.000,00;3.765,44;2.234,56 D
1.1.02;Clientes;;;;12.345,67 D;0,00;345,67;12.000,00 D
2.1.01;Fornecedores;BR2;;;3.345,67 C;3.765,44;1.000,00;580,23 C
3.1.01;Capital Social;;;;10.000,00 C;0,00;0,00;10.000,00 C
4.1.01;Receita de Serviços;;;;0,00;0,00;5.000,00;5.000,00 C
5.1.01;Despesas Administrativas;;CC10;ADM;0,00;1.345,67;0,00;1.345,67 D
;TOTAL GERAL;;;;0,00;10.111,11;10.111,11;0,00
"""


def test_brazilian_balancete_utf8_bom_with_titles_groups_and_totals() -> None:
    assert_same(read(b"\xef\xbb\xbf" + PT_BALANCETE.encode("utf-8")))


def test_latin1_encoding_is_detected() -> None:
    assert_same(read(PT_BALANCETE.encode("latin-1")))


def test_explicit_encoding_setting() -> None:
    assert_same(read(PT_BALANCETE.encode("cp1252"), encoding="cp1252"))


def test_utf16_with_bom() -> None:
    assert_same(read(PT_BALANCETE.encode("utf-16")))


def test_english_export_with_thousands_commas_and_parentheses() -> None:
    data = """\
Account,Account Name,Counterparty,Cost Center,Department,Opening Balance,Debit,Credit,Closing Balance
1.1.01,Caixa,,,,"1,000.00","5,000.00","3,765.44","2,234.56"
1.1.02,Clientes,,,,"12,345.67",0.00,345.67,"12,000.00"
2.1.01,Fornecedores,BR2,,,"(3,345.67)","3,765.44","1,000.00",(580.23)
3.1.01,Capital Social,,,,"(10,000.00)",-,-,"(10,000.00)"
4.1.01,Receita de Serviços,,,,0.00,0.00,"5,000.00","(5,000.00)"
5.1.01,Despesas Administrativas,,CC10,ADM,0.00,"1,345.67",0.00,"1,345.67"
Total,,,,,0.00,"10,111.11","10,111.11",0.00
"""
    assert_same(read(data))


def test_plain_numbers_tab_separated_with_minus_signs() -> None:
    data = "\n".join("\t".join(map(str, row)) for row in [
        ("account", "name", "counterparty", "cost center", "department", "opening", "debit",
         "credit", "closing"),
        ("1.1.01", "Caixa", "", "", "", "1000.00", "5000", "3765.44", "2234.56"),
        ("1.1.02", "Clientes", "", "", "", "12345.67", "0", "345.67", "12000"),
        ("2.1.01", "Fornecedores", "BR2", "", "", "-3345.67", "3765.44", "1000", "-580.23"),
        ("3.1.01", "Capital Social", "", "", "", "-10000", "0", "0", "-10000.00"),
        ("4.1.01", "Receita de Serviços", "", "", "", "0", "0", "5000", "-5000"),
        ("5.1.01", "Despesas Administrativas", "", "CC10", "ADM", "0", "1345.67", "0", "1345.67"),
    ]) + "\n"
    assert_same(read(data, filename="tb.txt"))


def test_trailing_minus_currency_prefix_and_credits_printed_negative() -> None:
    data = """\
Código;Nome;Contraparte;C. Custo;Depto;Saldo Inicial;Débitos;Créditos;Saldo Final
1.1.01;Caixa;;;;R$ 1.000,00;R$ 5.000,00;-3.765,44;R$ 2.234,56
1.1.02;Clientes;;;;12.345,67;0,00;-345,67;12.000,00
2.1.01;Fornecedores;BR2;;;3.345,67-;3.765,44;-1.000,00;580,23-
3.1.01;Capital Social;;;;10.000,00-;0,00;0,00;10.000,00-
4.1.01;Receita de Serviços;;;;0,00;0,00;-5.000,00;5.000,00-
5.1.01;Despesas Administrativas;;CC10;ADM;0,00;1.345,67;0,00;1.345,67
"""
    assert_same(read(data))


def test_separate_dc_columns_and_synthetic_type_column() -> None:
    data = """\
Tipo;Conta;Descrição;Saldo Anterior;D/C;Débito;Crédito;Saldo Atual;D/C
S;1;ATIVO;13.345,67;D;5.000,00;4.111,11;14.234,56;D
A;1.1.01;Caixa;1.000,00;D;5.000,00;3.765,44;2.234,56;D
A;1.1.02;Clientes;12.345,67;D;0,00;345,67;12.000,00;D
S;2;PASSIVO;3.345,67;C;3.765,44;1.000,00;580,23;C
A;2.1.01;Fornecedores;3.345,67;C;3.765,44;1.000,00;580,23;C
A;3.1.01;Capital Social;10.000,00;C;0,00;0,00;10.000,00;C
A;4.1.01;Receita de Serviços;0,00;;0,00;5.000,00;5.000,00;C
A;5.1.01;Despesas Administrativas;0,00;;1.345,67;0,00;1.345,67;D
"""
    assert_same(read(data), with_dimensions=False)


def test_explicit_column_mapping_overrides_detection() -> None:
    data = """\
GL;Texto;Parceiro;CCusto;Area;Abertura;Mov D;Mov C;Fechamento
1.1.01;Caixa;;;;1000,00;5000,00;3765,44;2234,56
1.1.02;Clientes;;;;12345,67;0;345,67;12000
2.1.01;Fornecedores;BR2;;;-3345,67;3765,44;1000;-580,23
3.1.01;Capital Social;;;;-10000;0;0;-10000
4.1.01;Receita de Serviços;;;;0;0;5000;-5000
5.1.01;Despesas Administrativas;;CC10;ADM;0;1345,67;0;1345,67
"""
    columns = {"account": "GL", "account_name": "Texto", "counterparty": "Parceiro",
               "cost_center": "CCusto", "department": "Area", "opening": "Abertura",
               "debit": "Mov D", "credit": "Mov C", "closing": "Fechamento"}
    assert_same(read(data, columns=columns, decimal=","))


def test_opening_derived_when_only_movement_and_closing_are_given() -> None:
    data = """\
Account;Name;Debit;Credit;Closing
1.1.01;Caixa;5.000,00;3.765,44;2.234,56
1.1.02;Clientes;0,00;345,67;12.000,00
2.1.01;Fornecedores;3.765,44;1.000,00;-580,23
3.1.01;Capital Social;0,00;0,00;-10.000,00
4.1.01;Receita de Serviços;0,00;5.000,00;-5.000,00
5.1.01;Despesas Administrativas;1.345,67;0,00;1.345,67
"""
    assert_same(read(data), with_dimensions=False)


def test_closing_derived_when_missing() -> None:
    data = """\
Account,Name,Opening,Debit,Credit
1.1.01,Caixa,1000.00,5000.00,3765.44
1.1.02,Clientes,12345.67,0,345.67
2.1.01,Fornecedores,-3345.67,3765.44,1000.00
3.1.01,Capital Social,-10000.00,0,0
4.1.01,Receita de Serviços,0,0,5000.00
5.1.01,Despesas Administrativas,0,1345.67,0
"""
    assert_same(read(data), with_dimensions=False)


def _workbook(rows: list[tuple[object, ...]], *, cover: bool = False, title: str = "TB") -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    if cover:
        sheet.title = "Capa"
        sheet.append(("Relatório mensal",))
        sheet = book.create_sheet(title)
    else:
        sheet.title = title
    for row in rows:
        sheet.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


XLSX_HEADER = ("Conta", "Descrição", "Contraparte", "Centro de Custo", "Departamento",
               "Saldo Anterior", "Débito", "Crédito", "Saldo Atual")


def test_xlsx_with_numeric_cells_after_a_cover_sheet() -> None:
    rows = [("Balancete BR1",), (), XLSX_HEADER]
    for account, name, cp, cc, dept, *amounts in EXPECTED_LINES:
        rows.append((account, name, cp or None, cc or None, dept or None,
                     *(a / 100 for a in amounts)))
    rows.append((None, "Total", None, None, None, 0, 10111.11, 10111.11, 0))
    assert_same(read(_workbook(rows, cover=True), filename="tb.xlsx"))


def test_xlsx_sheet_selected_by_name_or_position_with_text_amounts() -> None:
    rows = [XLSX_HEADER]
    for account, name, cp, cc, dept, *amounts in EXPECTED_LINES:
        rows.append((account, name, cp, cc, dept,
                     *(f"{abs(a) / 100:_.2f}".replace(".", ",").replace("_", ".")
                       + (" C" if a < 0 else "") for a in amounts)))
    data = _workbook(rows, cover=True, title="Balancete")
    assert_same(read(data, filename="tb.xlsx", sheet="Balancete"))
    assert_same(read(data, filename="tb.xlsx", sheet=2))


def test_xlsx_numeric_account_codes_become_text() -> None:
    data = _workbook([("Account", "Name", "Opening", "Closing"), (1101, "Cash", -0.3, 10.5),
                      (2101.0, "Debt", 0.1 + 0.2, -10.5)])
    frame = read_trial_balance(data, filename="x.xlsx", entity="E", currency="USD")
    assert frame["account"].tolist() == ["1101", "2101"]
    assert frame["opening"].tolist() == [-30, 30]  # float noise 0.30000000000000004 rounded
    assert frame["closing"].tolist() == [1050, -1050]
    # Without debit/credit columns the movement is split by its sign.
    assert frame["debit"].tolist() == [1080, 0] and frame["credit"].tolist() == [0, 1080]


@pytest.mark.parametrize(("text", "decimal", "expected"), [
    ("1.234,56", ",", "1234.56"),
    ("1,234.56", ".", "1234.56"),
    ("1234.56", ".", "1234.56"),
    ("(1.234,56)", ",", "-1234.56"),
    ("1.234,56-", ",", "-1234.56"),
    ("1.234,56 C", ",", "-1234.56"),
    ("1.234,56D", ",", "1234.56"),
    ("R$ -1.234,56", ",", "-1234.56"),
    ("-", ",", "0"),
    ("1.234.567", ",", "1234567"),
], ids=["br", "us", "plain", "parens", "trailing-minus", "credit-suffix", "debit-suffix",
        "currency-prefix", "dash-zero", "thousands-only"])
def test_parse_amount(text: str, decimal: str, expected: str) -> None:
    from decimal import Decimal
    parsed = parse_amount(text, decimal)  # type: ignore[arg-type]
    assert parsed is not None and parsed.value == Decimal(expected)


@pytest.mark.parametrize("text", ["abc", "1.23.4,5", "12,34,5", "1,", "--1"],
                         ids=["letters", "bad-grouping", "two-decimals", "dangling-sep", "double-minus"])
def test_parse_amount_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_amount(text, ",")


# --- errors name the file, the row as counted in the file, the column or the account ---------

def test_non_numeric_amount_names_file_row_and_column() -> None:
    data = "Conta;Descrição;Saldo Atual\n1.1;Caixa;100,00\n2.1;Fornecedores;abc\n"
    with pytest.raises(InputDataError) as err:
        read(data, filename="tb/BR1/2024-01.csv")
    assert err.value.file == "tb/BR1/2024-01.csv" and err.value.row == 3
    assert err.value.column == "Saldo Atual"
    assert "tb/BR1/2024-01.csv" in str(err.value) and "row 3" in str(err.value)
    assert "'Saldo Atual'" in str(err.value) and "'abc'" in str(err.value)


def test_row_numbers_count_title_lines_and_quoted_multiline_fields() -> None:
    data = ('Relatório\n\nConta;Descrição;Saldo Anterior;Saldo Atual\n'
            '1.1;"Caixa\nmatriz";1,00;2,00\n2.1;X;-1,00;zz\n')
    with pytest.raises(InputDataError) as err:
        read(data)
    assert err.value.row == 6


def test_line_that_does_not_roll_forward_names_row_and_account() -> None:
    data = "Conta;Saldo Anterior;Débito;Crédito;Saldo Atual\n1.1;0;10,00;0;10,00\n2.1;0;0;10,00;-9,00\n"
    with pytest.raises(InputDataError) as err:
        read(data)
    assert err.value.row == 3 and err.value.account == "2.1"
    assert "closing -9.00 != opening + debit - credit -10.00 (1.00 too much)" in str(err.value)


def test_unbalanced_trial_balance_names_entity_file_and_difference() -> None:
    data = ("Conta;Saldo Anterior;Débito;Crédito;Saldo Atual\n"
            "1.1;0;1.000,00;0;1.000,00\n2.1;0;0;990,00;-990,00\n")
    with pytest.raises(InputDataError) as err:
        read(data, filename="tb/BR1/2024-01.csv")
    text = str(err.value)
    assert "entity BR1" in text and "tb/BR1/2024-01.csv" in text
    assert "debits 1,000.00 != credits 990.00 (10.00 too much" in text
    assert "closing balances sum to 10.00" in text


def test_grouping_account_that_disagrees_with_its_sub_accounts() -> None:
    data = "Conta;Saldo Anterior;Saldo Atual\n1;0;150,00\n1.1;0;100,00\n1.2;0;-100,00\n"
    with pytest.raises(InputDataError) as err:
        read(data)
    assert err.value.row == 2 and err.value.account == "1"


def test_amounts_without_account_that_are_not_a_total() -> None:
    data = "Conta;Descrição;Saldo Atual\n1.1;Caixa;100,00\n;Ajuste;-100,00\n"
    with pytest.raises(InputDataError) as err:
        read(data)
    assert err.value.row == 3 and err.value.column == "Conta"


def test_mixed_decimal_separators_are_refused() -> None:
    data = "Conta;Saldo Atual\n1.1;1.234,56\n2.1;-1,234.56\n"
    with pytest.raises(InputDataError, match="set decimal"):
        read(data)


def test_more_decimals_than_the_currency_is_refused() -> None:
    data = "Account,Closing\n1.1,10.555\n2.1,-10.555\n"
    with pytest.raises(InputDataError, match="more decimals than BRL"):
        read(data)


def test_no_header_row() -> None:
    with pytest.raises(InputDataError, match="no header row"):
        read("foo;bar\n1;2\n")


def test_closing_only_file_is_refused() -> None:
    with pytest.raises(InputDataError, match="opening balance column or both debit and credit"):
        read("Conta;Saldo\n1.1;1,00\n2.1;-1,00\n")


def test_missing_sheet_lists_the_sheets() -> None:
    data = _workbook([XLSX_HEADER], title="TB")
    with pytest.raises(InputDataError, match="'TB'"):
        read(data, filename="tb.xlsx", sheet="Balancete")


def test_corrupt_workbook() -> None:
    with pytest.raises(InputDataError, match="not a readable XLSX"):
        read(b"PK\x03\x04garbage", filename="tb.xlsx")


@pytest.mark.parametrize("settings", [
    {"path": "x.csv", "decimals": ","},
    {"path": "x.csv", "decimal": ";"},
    {"path": "x.csv", "sheet": 0},
    {"path": "x.csv", "encoding": "klingon"},
    {"path": "x.csv", "columns": {"amount": "Valor"}},
    {"sheet": "TB"},
], ids=["unknown-key", "bad-decimal", "sheet-zero", "bad-encoding", "unknown-field", "no-path"])
def test_bad_settings_are_config_errors(settings: dict[str, object]) -> None:
    ctx = ConnectorContext(entity="BR1", currency="BRL", open_file=lambda name: b"")
    with pytest.raises(ConfigError) as err:
        FileConnector(settings, ctx)
    assert "BR1" in str(err.value)


# --- the connector reads the period's file from the run snapshot ----------------------------

def test_file_connector_through_the_registry_reads_the_snapshot() -> None:
    snapshot = {"tb/BR1/2024-01.csv": PT_BALANCETE.encode("utf-8")}
    ctx = ConnectorContext(entity="BR1", currency="BRL", open_file=snapshot.__getitem__)
    settings = {"path": "tb/BR1/{period}.csv"}
    assert files_for("file", settings, "2024-01") == ["tb/BR1/2024-01.csv"]
    connector = create_connector("file", settings, ctx)
    with connector:
        assert connector.health_check().ok
        assert_same(connector.get_trial_balance("2024-01"))
        with pytest.raises(InputDataError, match="not found among the run's inputs") as err:
            connector.get_trial_balance("2024-02")
        assert err.value.file == "tb/BR1/2024-02.csv"
