"""Conta Azul v2 readings the published spec fixes (issue 18), against the rebuilt fake.

Each test failed on the connector before the fix: it read ``saldo-inicial`` as a balance on a
date (plain dates, one page, ``tipo`` ignored), so bank balances came out near zero; and it
counted a renegotiated installment and the event replacing it as two revenues.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from close.errors import InputDataError
from connectors.base import ConnectorContext
from connectors.fakes import contaazul as ca
from connectors.fakes import erp_seed as seed
from connectors.registry import create_connector
from tests.connectors.contract import FAST_HTTP

PERIOD = "2024-03"
BANK = f"BANK:{ca.bank_id('1001')}"
SERVICES = ca.category_id("1.01.01")


@pytest.fixture
def fake():
    with ca.ContaAzulFake() as fake:
        yield fake


def connect(fake: ca.ContaAzulFake):
    context = ConnectorContext(entity="BR1", currency="BRL", open_file=lambda name: b"", secrets={
        "client_id": ca.CLIENT_ID, "client_secret": ca.CLIENT_SECRET,
        "refresh_token": fake.tokens.refresh_token})
    return create_connector("contaazul", {"base_url": fake.url, "token_url": f"{fake.url}/oauth2/token",
                                          "page_size": 10, "http": FAST_HTTP}, context)


def test_bank_balance_is_the_opening_record_plus_the_movements_since(fake) -> None:
    # Opening record: RECEITA 44,000.00 on 2024-01-01. Baixas: Feb +10,000 −4,000 → 50,000.00 at
    # 29 Feb; March +12,000 +3,000 −4,000 −9,000 → 52,000.00 at 31 March.
    lines = connect(fake).get_trial_balance(PERIOD).set_index("account")
    assert (lines.at[BANK, "opening"], lines.at[BANK, "closing"]) == (5000000, 5200000)
    [ask] = fake.hits("/v1/financeiro/eventos-financeiros/saldo-inicial")
    assert (ask.arg("data_inicio"), ask.arg("data_fim")) == ("1900-01-01T00:00:00", "2024-03-31T23:59:59")
    assert ask.arg("tamanho_pagina") == "10"


def test_a_negative_opening_record_is_signed_by_its_tipo(fake, monkeypatch) -> None:
    overdrawn = (seed.SeedBank("1001", "Conta Itaú", Decimal("-1000.00")),)
    monkeypatch.setattr(seed, "BANKS", overdrawn)
    lines = connect(fake).get_trial_balance(PERIOD).set_index("account")
    # −1,000.00 (DESPESA) + 6,000.00 of February → 5,000.00; + 2,000.00 in March
    assert (lines.at[BANK, "opening"], lines.at[BANK, "closing"]) == (500000, 700000)


def test_a_transfer_to_an_account_not_listed_is_named_in_unreconciled(fake) -> None:
    fake.transfers = [("t-1", date(2024, 3, 15), ca.bank_id("1001"), ca.bank_id("elsewhere"),
                       Decimal("1000.00"))]
    connector = connect(fake)
    lines = connector.get_trial_balance(PERIOD).set_index("account")
    assert lines.at[BANK, "closing"] == 5100000
    assert lines.at["UNRECONCILED", "closing"] == 100000
    assert connector.unexplained_movements() == ({
        "side": BANK, "ref": "transferencia t-1", "date": "2024-03-15", "amount": 100000,
        "reason": "bank movement settling no title"},)


def test_a_renegotiated_installment_is_not_counted_twice(fake) -> None:
    # 5002 (20,000.00, 12,000.00 received) is renegotiated on 2024-03-28: its open 8,000.00
    # becomes event 5102, due in May. Revenue stays 20,000.00; the receivable stays 8,000.00.
    original = next(t for t in seed.TITLES if t.ref == "5002")
    fake.renegotiations["5002"] = seed.SeedTitle("5102", "R", "1.01.01", date(2024, 3, 28), date(2024, 5, 28),
                                                 Decimal("8000.00"), counterparty=original.counterparty)
    connector = connect(fake)
    lines = connector.get_trial_balance(PERIOD).set_index("account")
    assert (lines.at[SERVICES, "credit"], lines.at[SERVICES, "closing"]) == (2000000, -3300000)
    assert lines.at["AR", "closing"] == 1300000
    assert lines.at["UNRECONCILED", "closing"] == 0
    ar = connector.get_receivables(date(2024, 3, 31))
    assert dict(zip(ar["document"], ar["open_amount"], strict=True)) == {
        ca.title_id("5102"): 800000, ca.title_id("5003"): 500000}


def test_a_payment_not_recorded_leaves_the_title_open_and_the_bank_unmoved(fake) -> None:
    fake.missing_baixas = {"6002"}  # salaries 9,000.00 due 2024-03-05: no baixa
    lines = connect(fake).get_trial_balance(PERIOD).set_index("account")
    assert lines.at["AP", "closing"] == -1050000
    assert lines.at[BANK, "closing"] == 6100000
    assert lines.at["UNRECONCILED", "closing"] == 0


def test_payments_that_do_not_add_up_to_pago_stop_the_extract() -> None:
    class WrongPago(ca.ContaAzulFake):
        def _buscar(self, request, nature):
            reply = super()._buscar(request, nature)
            for item in reply.body["itens"]:
                if item["id"] == ca.title_id("6001"):
                    item["pago"] = 3500.0  # the baixa says 4,000.00
            return reply

    with WrongPago() as fake:
        with pytest.raises(InputDataError) as err:
            connect(fake).get_trial_balance(PERIOD)
    assert err.value.field.endswith(".pago")
    assert f"title {ca.title_id('6001')}: paid 3,500.00 by the ERP's count != 4,000.00" in str(err.value)


def test_an_opening_record_older_than_the_history_read_is_refused(fake, monkeypatch) -> None:
    old = (seed.SeedBank("1001", "Conta Itaú", Decimal("44000.00"), since=date(2015, 1, 1)),)
    monkeypatch.setattr(seed, "BANKS", old)
    with pytest.raises(InputDataError) as err:
        connect(fake).get_trial_balance(PERIOD)  # history_years 5: payments from 2019-01-01
    assert err.value.field == "itens[0].data_competencia"
    assert "opening balance dated 2015-01-01 is before the 5 years of payments read" in str(err.value)


def test_connectors_check_names_the_api_and_a_field_conta_azul_did_not_send() -> None:
    class NoTipo(ca.ContaAzulFake):
        def _opening(self, request):
            reply = super()._opening(request)
            for row in reply.body["itens"]:
                row.pop("tipo")
            return reply

    with ca.ContaAzulFake() as fake:
        status = connect(fake).health_check()
    assert status.ok and status.api_version.startswith("Conta Azul API v2") and status.unread == ()
    with NoTipo() as fake:
        assert connect(fake).health_check().unread == ("saldo-inicial: tipo",)
