"""Fuzz of everything a close reads, at the level of the pure readers (issue 15).

Generated trial-balance files, group configs, group CSV files and JSON payloads go through the
real readers. Each input either reads into something that satisfies the readers' promises (a
trial balance that rolls forward and sums to zero) or fails with the product's own error naming
where: ``InputDataError`` with the file (and row/column) or the endpoint and field,
``ConfigError`` with the file. Any other exception — a ``KeyError``, ``csv.Error``,
``UnicodeDecodeError``, ``decimal.InvalidOperation``, ``OverflowError`` … — fails the test.

About 1,700 inputs per run (the ``max_examples`` below); ``tests/fuzz/test_fuzz_cli.py`` sends a
few more through the ``close`` command.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from close.analysis.budget import parse_budget
from close.config import parse_group_config
from close.engine.adjustments import parse_adjustments
from close.engine.chart import load_chart
from close.engine.frames import AMOUNT_COLUMNS, LOCAL_TB_COLUMNS
from close.engine.mapping import parse_mapping
from close.engine.opening import parse_opening_balances
from close.errors import ConfigError, InputDataError
from close.rates.files import parse_rates_file
from connectors.files import read_trial_balance
from connectors.payload import Payload
from connectors.plain_numbers import parse_plain_column
from tests.close.run.small_group import MAPPING, OPENING, RATES
from tests.fuzz.strategies import damaged, group_configs, json_values, trial_balance_files

FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
CHART = load_chart()
TB_FILE = "tb/E/2026-01.csv"


@settings(FUZZ, max_examples=500)
@given(data=trial_balance_files, currency=st.sampled_from(["BRL", "USD", "JPY"]))
def test_trial_balance_files_read_or_fail_naming_the_file(data: bytes, currency: str) -> None:
    try:
        frame = read_trial_balance(data, filename=TB_FILE, entity="E", currency=currency)
    except InputDataError as exc:
        assert TB_FILE in str(exc), exc
        return
    assert list(frame.columns) == list(LOCAL_TB_COLUMNS) and len(frame)
    assert all(frame[c].dtype == "int64" for c in AMOUNT_COLUMNS)
    assert (frame["opening"] + frame["debit"] - frame["credit"] == frame["closing"]).all()
    assert frame["closing"].sum() == 0 and frame["opening"].sum() == 0
    assert frame["debit"].sum() == frame["credit"].sum()
    assert not frame["account"].str.contains("\x00").any() and (frame["account"] != "").all()


_PLAIN = st.lists(st.one_of(
    st.just(""),
    st.builds(lambda neg, i, f: f"{'-' if neg else ''}{i}{'.' + f if f else ''}",
              st.booleans(), st.integers(0, 10**16).map(str), st.text("0123456789", max_size=3)),
    st.text("0123456789.- ", max_size=6)), max_size=40)


def _reference(text: str, places: int) -> int | None:
    """A plain number in minor units by Decimal, or None when it is not plain."""
    body = text.removeprefix("-")
    integer, dot, fraction = body.partition(".")
    if not integer.isdigit() or (dot and not fraction.isdigit()) or len(fraction) > places \
            or len(integer) + places > 17 or not integer.isascii():
        return None
    return int(Decimal(text).scaleb(places))


@settings(FUZZ, max_examples=300)
@given(cells=_PLAIN, places=st.sampled_from([0, 2, 3]))
def test_plain_column_parse_equals_decimal_or_declines(cells: list[str], places: int) -> None:
    parsed = parse_plain_column(cells, places)
    expected = [None if c == "" else _reference(c, places) for c in cells]
    if any(e is None and c != "" for e, c in zip(expected, cells, strict=True)):
        assert parsed is None
        return
    assert parsed is not None
    assert parsed.values.tolist() == [e or 0 for e in expected]
    assert parsed.present.tolist() == [c != "" for c in cells]


_EXACT = st.lists(st.builds("{}{}.{}".format, st.sampled_from(["", "-", "--", "."]),
                            st.integers(0, 10**17), st.text("0123456789", min_size=2, max_size=2)),
                  min_size=1, max_size=30)


@settings(FUZZ, max_examples=200)
@given(cells=_EXACT)
def test_columns_printed_with_the_currency_decimals_parse_exactly(cells: list[str]) -> None:
    parsed = parse_plain_column(cells, 2)
    expected = [_reference(c, 2) for c in cells]
    if None in expected:
        assert parsed is None
    else:
        assert parsed is not None and parsed.values.tolist() == expected and parsed.present.all()


@settings(FUZZ, max_examples=250)
@given(text=group_configs())
def test_group_configs_parse_or_fail_with_a_config_error(text: str) -> None:
    try:
        parse_group_config(text, source="group.toml")
    except ConfigError as exc:
        assert "group.toml" in str(exc), exc


def _parse_group_csv(kind: str, data: bytes) -> object:
    entities = frozenset({"P", "S"})
    if kind == "mapping.csv":
        return parse_mapping(data, source=kind, chart=CHART)
    if kind == "opening.csv":
        return parse_opening_balances(data, source=kind, chart=CHART, entities=entities,
                                      presentation_currency="USD")
    if kind == "rates.csv":
        return parse_rates_file(data, name=kind, presentation_currency="USD",
                                retrieved_at=__import__("datetime").datetime(2026, 2, 1))
    if kind == "budget.csv":
        return parse_budget(data, period="2026-01", currency="USD", source=kind, consolidated_only=False)
    return parse_adjustments(data, source=kind, chart=CHART, entities=entities, presentation_currency="USD")


_GROUP_CSVS = {
    "mapping.csv": MAPPING, "opening.csv": OPENING, "rates.csv": RATES,
    "budget.csv": "period,entity,account,amount\n2026-01,,4000,-100.00\n2026-01,S,6000,25.50\n",
    "adjustments.csv": "journal_id,basis,entity,account,amount,memo\nTS-1,IFRS,S,6000,15.00,fee\n"
                       "TS-1,IFRS,S,2100,-15.00,fee\n",
}


@settings(FUZZ, max_examples=250)
@given(kind=st.sampled_from(sorted(_GROUP_CSVS)), seed=st.data())
def test_group_csv_files_read_or_fail_naming_file_and_row(kind: str, seed: st.DataObject) -> None:
    data = seed.draw(damaged(st.just(_GROUP_CSVS[kind])))
    try:
        _parse_group_csv(kind, data)
    except InputDataError as exc:
        assert kind in str(exc), exc


def _read_like_a_connector(p: Payload, body: Any) -> None:  # noqa: ANN401 - any JSON
    """Read a body the way the management connectors read theirs (Omie's ListarMovimentos)."""
    for i, item in enumerate(p.items(body, "movimentos")):
        where = f"movimentos[{i}]"
        det = p.get(item, "detalhes", where)
        p.text(det, "cCodCateg", f"{where}.detalhes")
        p.minor(det, "nValorTitulo", f"{where}.detalhes")
        p.day(det, "dDtRegistro", f"{where}.detalhes", fmt="%d/%m/%Y", required=False)
        p.minor(item, "value", where, required=False)


@settings(FUZZ, max_examples=200)
@given(body=st.one_of(json_values, st.fixed_dictionaries({"movimentos": st.lists(
    st.fixed_dictionaries({"detalhes": json_values, "value": json_values}), max_size=3)})))
def test_connector_payloads_read_or_fail_naming_endpoint_and_field(body: Any) -> None:  # noqa: ANN401
    p = Payload("E", "BRL", "financas/mf ListarMovimentos")
    try:
        _read_like_a_connector(p, body)
    except InputDataError as exc:
        assert exc.endpoint == "financas/mf ListarMovimentos" and exc.field, exc


@pytest.mark.parametrize("cell", ["\x00", "x\x00y"])
def test_payload_text_refuses_nul(cell: str) -> None:
    with pytest.raises(InputDataError, match="NUL") as err:
        Payload("E", "BRL", "ep").text({"name": cell}, "name", "items[0]")
    assert err.value.field == "items[0].name"


def test_payload_day_is_a_date() -> None:
    assert Payload("E", "BRL", "ep").day({"d": "31/01/2026"}, "d", fmt="%d/%m/%Y") == date(2026, 1, 31)
