"""Bling v3 readings the published reference fixes (issue 18), against the rebuilt fake.

Each test failed on the connector before the fix: it looked for cash movements whose
``origem.tipo`` contains "receber"/"pagar" (Bling publishes caixa, duplicata, bordero, estoque),
so no title was ever paid; and it required ``categoria`` on every title.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from close.errors import InputDataError
from connectors.base import ConnectorContext
from connectors.fakes import bling as bling_fake
from connectors.management import UNCATEGORISED_EXPENSE
from connectors.registry import create_connector
from tests.connectors.contract import FAST_HTTP

PERIOD = "2024-03"


@pytest.fixture
def fake():
    with bling_fake.BlingFake() as fake:
        fake.rate_limit = None
        yield fake


def connect(fake: bling_fake.BlingFake, **settings):
    context = ConnectorContext(entity="BR1", currency="BRL", open_file=lambda name: b"", secrets={
        "client_id": bling_fake.CLIENT_ID, "client_secret": bling_fake.CLIENT_SECRET,
        "refresh_token": fake.tokens.refresh_token})
    return create_connector("bling", {"base_url": f"{fake.url}/Api/v3", "http": FAST_HTTP, **settings},
                            context)


def test_payment_through_a_bordero_marks_the_title_paid(fake) -> None:
    # Seed: receivable 5004 of 3,000.00 accrued 2024-02-20, paid 2024-03-05 by borderô 50041.
    connector = connect(fake)
    assert fake.hits("/Api/v3/borderos") == []
    ar = connector.get_receivables(date(2024, 3, 31))
    assert "5004" not in set(ar["document"])  # paid in full
    assert dict(zip(ar["document"], ar["open_amount"], strict=True)) == {"5002": 800000, "5003": 500000}
    assert fake.hits("/Api/v3/borderos/50041")
    lines = connector.get_trial_balance(PERIOD).set_index("account")
    assert lines.at["UNRECONCILED", "closing"] == 0
    assert connector.unexplained_movements() == ()


def test_an_uncategorised_title_goes_to_a_named_line_and_the_run_goes_on(fake) -> None:
    fake.uncategorised = {"6004"}  # payable of 1,500.00 accrued 2024-03-30, no categoria
    lines = connect(fake).get_trial_balance(PERIOD).set_index("account")
    line = lines.loc[UNCATEGORISED_EXPENSE]
    assert (line["debit"], line["closing"]) == (150000, 150000)
    assert lines.at[UNCATEGORISED_EXPENSE, "account_name"] == "Despesas sem categoria"
    assert str(bling_fake.category_id("2.03.01")) not in lines.index
    assert lines.at["UNRECONCILED", "closing"] == 0


def test_a_payment_missing_from_the_bank_is_named_in_unreconciled(fake) -> None:
    # Payable 6001 (4,000.00) is paid by borderô 60011 on 2024-03-10, but /caixas never shows it.
    fake.missing_cash = {"6001"}
    connector = connect(fake)
    lines = connector.get_trial_balance(PERIOD).set_index("account")
    assert lines.at["UNRECONCILED", "closing"] == -400000
    assert lines.at["BANK:1001", "closing"] == 5200000 + 400000
    assert connector.unexplained_movements() == ({
        "side": "AP", "ref": "bordero 60011", "date": "2024-03-10", "amount": -400000,
        "reason": "payment of title 6001 found in no bank movement"},)


def test_a_bank_movement_settling_no_title_is_named(fake) -> None:
    # The opening deposit is a manual cash entry (origem.tipo "caixa"): in January it explains
    # nothing, so January's UNRECONCILED holds it, named by its movement id.
    connector = connect(fake)
    lines = connector.get_trial_balance("2024-01").set_index("account")
    assert lines.at["UNRECONCILED", "closing"] == -4400000
    [item] = connector.unexplained_movements()
    assert (item["side"], item["ref"], item["amount"]) == ("BANK:1001", "caixa 9000", -4400000)


def test_interest_paid_with_a_title_is_named_by_its_bordero(fake) -> None:
    # 5004 (3,000.00) is paid on 2024-03-05 with 50.00 of juros: valorPago 3,050.00. The title is
    # settled by 3,000.00; the 50.00 the bank received on top explains no title.
    fake.interest = {"5004": Decimal("50.00")}
    connector = connect(fake)
    lines = connector.get_trial_balance(PERIOD).set_index("account")
    assert lines.at["AR", "closing"] == 1300000
    assert lines.at["UNRECONCILED", "closing"] == -5000
    assert connector.unexplained_movements() == ({
        "side": "BANK:1001", "ref": "bordero 50041", "date": "2024-03-05", "amount": -5000,
        "reason": "bank movement of 305000 for settlements of 300000"},)


def test_payments_that_do_not_match_the_titles_saldo_stop_the_extract() -> None:
    class WrongSaldo(bling_fake.BlingFake):
        def _detail(self, ident, nature):
            reply = super()._detail(ident, nature)
            if ident == "5002":
                reply.body["data"]["saldo"] = 7000.0  # Bling says 13,000.00 paid; borderô 12,000.00
            return reply

    with WrongSaldo() as fake:
        fake.rate_limit = None
        with pytest.raises(InputDataError) as err:
            connect(fake).get_trial_balance(PERIOD)
    assert err.value.field == "data.saldo"
    assert "title 5002: paid 13,000.00 by the ERP's count != 12,000.00 from its payments (1,000.00 " \
        "unexplained)" in str(err.value)


def test_connectors_check_names_the_api_and_a_field_bling_did_not_send() -> None:
    class NoDebCred(bling_fake.BlingFake):
        def _caixas(self, request):  # the seeded 2024 movements, whatever the window asked
            seeded = replace(request, query={**request.query, "dataInicial": ["2024-01-01"],
                                             "dataFinal": ["2024-12-31"]})
            reply = super()._caixas(seeded)
            for row in reply.body["data"]:
                row.pop("debCred")
            return reply

    with bling_fake.BlingFake() as fake:
        fake.rate_limit = None
        status = connect(fake).health_check()
    assert status.ok and status.api_version.startswith("Bling API v3") and status.unread == ()
    with NoDebCred() as fake:
        fake.rate_limit = None
        assert connect(fake).health_check().unread == ("/caixas: debCred",)


def test_bling_default_policy_keeps_to_the_rate_limit() -> None:
    """3 requests/s per account (developer.bling.com.br/limites): the connector's own policy."""
    with bling_fake.BlingFake() as fake:
        connector = connect(fake, history_years=1, http={"wait_initial": 0.01, "wait_max": 1})
        connector.get_chart_of_accounts()
        connector.get_companies()
        connector.get_chart_of_accounts()
        assert fake.rejected == 0
        burst = connect(fake, http={**FAST_HTTP, "attempts": 1})
        with pytest.raises(Exception, match="too many requests"):
            for _ in range(5):
                burst.get_companies()
