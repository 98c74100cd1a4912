"""Every way a group CSV (or a TB export) breaks is an error naming file, row and column (issue 15)."""

from __future__ import annotations

import pytest

from close.engine.chart import load_chart
from close.engine.csv_records import csv_records, money_cell
from close.engine.mapping import parse_mapping
from close.errors import InputDataError
from connectors.files import read_trial_balance


def _error(data: bytes) -> InputDataError:
    with pytest.raises(InputDataError) as err:
        list(csv_records(data, source="x.csv")[1])
    return err.value


def test_a_row_longer_than_the_header_names_row_and_the_extra_field() -> None:
    err = _error(b"entity,account,std_account\n*,1000,1000\nP,1800,1800,Investment, at cost\n")
    assert (err.file, err.row, err.column) == ("x.csv", 3, "field 4")
    assert "expected 3 fields as in the header, got 5" in str(err)


def test_a_quoted_field_spanning_lines_counts_them_in_later_row_numbers() -> None:
    header, rows = csv_records(b'a,b\n"x\ny",1\n2,3\n', source="x.csv")
    assert [n for n, _ in rows] == [2, 4]


def test_a_short_row_reads_empty_cells_and_blank_lines_are_skipped() -> None:
    header, rows = csv_records(b"a,b,c\n1\n\n,,\n", source="x.csv")
    assert list(rows) == [(2, {"a": "1", "b": "", "c": ""})]


def test_an_unclosed_quote_names_the_row_where_it_opened() -> None:
    err = _error(b'a,b\n1,2\n3,"open\n' + b"x" * 140_000 + b"\n")
    assert err.row == 3 and "longer than 131,072 characters (is a quote left open?)" in str(err)


def test_nul_and_non_utf8_and_empty_files() -> None:
    assert _error(b"a,b\n1,x\x00y\n").column == "b"
    err = _error(b"a,b\n1,2\n3,\xe74\n")
    assert err.row == 3 and "not UTF-8" in str(err) and "0xe7" in str(err)
    assert "empty" in str(_error(b""))


def test_money_cells_refuse_what_int64_and_decimal_cannot_hold() -> None:
    for text in ("1e30", "99999999999999999999"):
        with pytest.raises(InputDataError, match="too large"):
            money_cell(text, "USD", source="b.csv", row=2, column="amount")
    with pytest.raises(InputDataError, match="not a number"):
        money_cell("Infinity", "USD", source="b.csv", row=2, column="amount")


def test_mapping_duplicate_with_another_target_names_both_rows() -> None:
    data = b"entity,account,std_account\n*,1000,1000\nBR1,1.1,1000\nBR1,1.1,1100\n"
    with pytest.raises(InputDataError) as err:
        parse_mapping(data, source="mapping.csv", chart=load_chart())
    assert err.value.row == 4 and "on row 3" in str(err.value)


def test_trial_balance_unclosed_quote_and_huge_amount() -> None:
    data = b'Account,Name,Opening,Closing\n1,"Cash,0,0\n' + b"x" * 140_000 + b"\n"
    with pytest.raises(InputDataError, match="quote left open") as err:
        read_trial_balance(data, filename="tb.csv", entity="E", currency="BRL")
    assert err.value.row == 2
    data = b"Account,Name,Opening,Closing\n1,Cash,0,1" + b"0" * 30 + b"\n2,Loan,0,0\n"
    with pytest.raises(InputDataError, match="too large for an amount") as err:
        read_trial_balance(data, filename="tb.csv", entity="E", currency="BRL")
    assert (err.value.row, err.value.column) == (2, "Closing")
