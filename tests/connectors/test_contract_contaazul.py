"""Contract: the Conta Azul fake answers, and the connector asks, as the published spec says.

Source of the schemas: Conta Azul's "Financeiro" OpenAPI (developers.contaazul.com), mirrored in
repo api-evangelist/conta-azul:openapi/_original/conta-azul-financial-openapi.yml@f0e32581,
written out as ``tests/fakes/schemas/contaazul.json`` (see its ``$comment``). Every request the
real connector sends while closing a month (with a renegotiation, a transfer and a split event)
— and every reply of the fake, errors included — is validated against it.
``/v1/pessoas/conta-conectada`` is in no published spec (apis.md §2.2: observed, changelog
v2.1.2026.03.24), so it is left out.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from connectors.base import ConnectorContext
from connectors.fakes import contaazul as ca
from connectors.fakes import erp_seed as seed
from connectors.registry import create_connector
from tests.connectors.contract import FAST_HTTP
from tests.connectors.schema_contract import Contract, Recording, exercise

CONTRACT = Contract("contaazul")


@pytest.fixture
def fake():
    with ca.ContaAzulFake() as fake:
        fake.recording = Recording(fake)
        yield fake


def connect(fake):
    context = ConnectorContext(entity="BR1", currency="BRL", open_file=lambda name: b"", secrets={
        "client_id": ca.CLIENT_ID, "client_secret": ca.CLIENT_SECRET,
        "refresh_token": fake.tokens.refresh_token})
    return create_connector("contaazul", {"base_url": fake.url, "token_url": f"{fake.url}/oauth2/token",
                                          "page_size": 10, "http": FAST_HTTP}, context)


def api_exchanges(fake):
    return [(q, r) for q, r in fake.recording.exchanges
            if q.path != "/oauth2/token" and q.path != "/v1/pessoas/conta-conectada"]


def test_every_request_and_reply_of_a_close_follows_the_published_spec(fake) -> None:
    fake.splits["6004"] = [("2.03.01", Decimal("1000.00")), ("2.01.01", Decimal("500.00"))]
    fake.renegotiations["5002"] = seed.SeedTitle("5102", "R", "1.01.01", date(2024, 3, 28),
                                                 date(2024, 5, 28), Decimal("8000.00"))
    fake.transfers = [("7c0c2b0e-0f7d-4f43-9a51-1f2f1d0d6a11", date(2024, 3, 15), ca.bank_id("1001"),
                       ca.bank_id("elsewhere"), Decimal("1000.00"))]
    exercise(connect(fake), ("2024-03",), date(2024, 3, 31))
    assert CONTRACT.violations(api_exchanges(fake)) == []


def test_error_replies_follow_the_published_examples(fake) -> None:
    connector = connect(fake)
    with pytest.raises(Exception, match="request refused"):
        connector.client.get_json("/v1/financeiro/eventos-financeiros/saldo-inicial",
                                  params={"data_inicio": "2024-03-01", "data_fim": "2024-03-31"})
    with pytest.raises(Exception, match="request refused"):
        connector.client.get_json("/v1/financeiro/eventos-financeiros/contas-a-receber/buscar",
                                  params={"pagina": 1, "tamanho_pagina": 10})
    seen = api_exchanges(fake)
    assert {r.status for _, r in seen} == {400}
    assert [e for q, r in seen for e in CONTRACT.reply_errors(q, r)] == []
    # the connector's own saldo-inicial request carries the published date-times
    assert CONTRACT.request_errors(seen[0][0]) == []  # plain dates still match "string"…
    assert "T" not in seen[0][0].arg("data_inicio")  # …which is why the fake refuses them (400)


def test_a_fake_reply_with_an_invented_field_is_caught(fake) -> None:
    """The schemas are closed and keep the enumerations: the old fake's installment fails."""
    connect(fake).get_trial_balance("2024-03")
    request, reply = next((q, r) for q, r in api_exchanges(fake)
                          if q.path.endswith("/parcelas/" + ca.title_id("5001")))
    reply.body["status"] = "ACQUITTED"  # the old fake's installment status, not Parcela.status
    reply.body["invented"] = 1
    assert len(CONTRACT.reply_errors(request, reply)) == 2
