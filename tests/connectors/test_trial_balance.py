"""Shared trial-balance checks and the connector error taxonomy."""

from __future__ import annotations

import httpx
import pytest

from close.errors import InputDataError, PermanentError, RetriableError
from connectors.base import ConnectorContext, default_classify_response
from connectors.errors import FatalConnectorError, RetriableConnectorError, redact_url
from connectors.trial_balance import (
    build_local_tb,
    check_line_arithmetic,
    check_trial_balance_balances,
    format_money,
)


def tb(text: str):
    """Parse ``account | opening | debit | credit | closing`` lines (minor units)."""
    rows = []
    for line in text.strip().splitlines():
        account, *amounts = (p.strip() for p in line.split("|"))
        rows.append(dict(account=account, **dict(zip(("opening", "debit", "credit", "closing"),
                                                     map(int, amounts), strict=True))))
    return build_local_tb(rows, "BR1")


def test_balanced_trial_balance_passes() -> None:
    frame = tb("""
        1.1 | 1000 | 500 | 0   | 1500
        2.1 | -1000 | 0  | 500 | -1500
    """)
    check_trial_balance_balances(frame, entity="BR1", source="x.csv", currency="BRL")
    check_line_arithmetic(frame, entity="BR1", source="x.csv")


def test_unbalanced_message_is_money_formatted() -> None:
    frame = tb("""
        1.1 | 0 | 100000 | 0     | 100000
        2.1 | 0 | 0      | 99000 | -99000
    """)
    with pytest.raises(InputDataError) as err:
        check_trial_balance_balances(frame, entity="BR1", source="GET /api/ctb/v1/x",
                                     currency="BRL")
    text = str(err.value)
    assert text.startswith("entity BR1: trial balance from GET /api/ctb/v1/x does not sum")
    assert "debits 1,000.00 != credits 990.00 (10.00 too much in debits)" in text
    assert "closing balances sum to 10.00 != 0.00 (10.00 too much debit)" in text


def test_line_arithmetic_names_account() -> None:
    frame = tb("1.1 | 0 | 10 | 0 | 11")
    with pytest.raises(InputDataError) as err:
        check_line_arithmetic(frame, entity="BR1", source="omie", currency="JPY")
    assert err.value.account == "1.1" and "closing 11 != opening + debit - credit 10" in str(err.value)


def test_format_money_uses_the_currency_exponent() -> None:
    assert format_money(-123456789, "BRL") == "-1,234,567.89"
    assert format_money(1234, "JPY") == "1,234"
    assert format_money(1234, "KWD") == "1.234"


def test_empty_frame_balances() -> None:
    check_trial_balance_balances(build_local_tb([], "BR1"), entity="BR1", source="x")


def test_redact_url_hides_query_and_userinfo() -> None:
    assert redact_url("https://u:p@erp.example/api/token?password=hunter2") == \
        "https://***@erp.example/api/token?***"
    assert redact_url("https://erp.example/api/x") == "https://erp.example/api/x"


def test_errors_are_in_the_close_taxonomy() -> None:
    retriable = RetriableConnectorError("busy", status=503, url="https://e/x?k=s", retry_after=2.0,
                                        entity="BR1", connector="omie")
    assert isinstance(retriable, RetriableError) and retriable.retry_after == 2.0
    assert str(retriable) == "entity BR1, connector omie: busy (HTTP 503 from https://e/x?***)"
    assert isinstance(FatalConnectorError("no"), PermanentError)


def _response(status: int, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, headers=headers,
                          request=httpx.Request("GET", "https://erp.example/v1/x?token=abc"))


@pytest.mark.parametrize(("status", "expected"), [
    (200, None), (204, None),
    (400, FatalConnectorError), (401, FatalConnectorError), (403, FatalConnectorError),
    (404, FatalConnectorError), (408, RetriableConnectorError), (429, RetriableConnectorError),
    (500, RetriableConnectorError), (502, RetriableConnectorError),
    (503, RetriableConnectorError), (504, RetriableConnectorError),
], ids=lambda v: str(v) if isinstance(v, int) else getattr(v, "__name__", "ok"))
def test_default_classification(status: int, expected: type[Exception] | None) -> None:
    if expected is None:
        default_classify_response(_response(status))
        return
    with pytest.raises(expected) as err:
        default_classify_response(_response(status), entity="BR1", connector="x")
    assert err.value.status == status and "token=abc" not in str(err.value)


def test_retry_after_is_read_from_429() -> None:
    with pytest.raises(RetriableConnectorError) as err:
        default_classify_response(_response(429, {"Retry-After": "7"}))
    assert err.value.retry_after == 7.0


def test_context_repr_hides_secrets() -> None:
    ctx = ConnectorContext(entity="BR1", currency="BRL", open_file=lambda n: b"",
                           secrets={"app_secret": "s3cr3t"}, redis_url="redis://:pw@h/0")
    assert "s3cr3t" not in repr(ctx) and "pw" not in repr(ctx)
