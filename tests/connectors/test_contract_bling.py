"""Contract: the Bling fake answers, and the connector asks, as Bling's published OpenAPI says.

Source of the schemas: Bling API 3.0 OpenAPI (developer.bling.com.br/referencia), copied in
repo tempont/bling-erp-api-python:specs/bling-openapi-reference.json@4710caad, written out as
``tests/fakes/schemas/bling.json`` (see its ``$comment``). Every request the real connector
sends while closing a month, aging receivables and reading its chart — and every reply of the
fake, errors included — is validated against it.
"""

from __future__ import annotations

from datetime import date

import pytest

from connectors.base import ConnectorContext
from connectors.fakes import bling as bling_fake
from connectors.registry import create_connector
from tests.connectors.contract import FAST_HTTP
from tests.connectors.schema_contract import Contract, Recording, exercise

CONTRACT = Contract("bling", prefix=bling_fake.PREFIX)


@pytest.fixture
def fake():
    with bling_fake.BlingFake() as fake:
        fake.recording = Recording(fake)
        fake.rate_limit = None
        yield fake


def connect(fake, **settings):
    context = ConnectorContext(entity="BR1", currency="BRL", open_file=lambda name: b"", secrets={
        "client_id": bling_fake.CLIENT_ID, "client_secret": bling_fake.CLIENT_SECRET,
        "refresh_token": fake.tokens.refresh_token})
    return create_connector("bling", {"base_url": f"{fake.url}/Api/v3", "http": FAST_HTTP, "page_size": 2,
                                      **settings}, context)


def api_exchanges(fake):
    return [(q, r) for q, r in fake.recording.exchanges if not q.path.endswith("/oauth/token")]


def test_every_request_and_reply_of_a_close_follows_the_published_spec(fake) -> None:
    fake.uncategorised = {"6004"}
    fake.missing_cash = {"6001"}
    exercise(connect(fake), ("2024-03", "2024-01"), date(2024, 3, 31))
    assert CONTRACT.violations(api_exchanges(fake)) == []


def test_company_and_error_replies_follow_the_published_spec(fake) -> None:
    connect(fake).get_companies()
    fake.rate_limit = 0  # every request now over the limit: 429 TOO_MANY_REQUESTS
    with pytest.raises(Exception, match="too many requests"):
        connect(fake).get_companies()
    fake.rate_limit = None
    with pytest.raises(Exception, match="not found"):
        connect(fake).client.get_json("/borderos/1")
    seen = api_exchanges(fake)
    assert {r.status for _, r in seen} == {200, 429, 404}
    assert [e for q, r in seen for e in CONTRACT.reply_errors(q, r)] == []


def test_a_fake_reply_with_an_invented_field_is_caught(fake) -> None:
    """The schemas are closed: the old fake's ``origem.tipo`` "conta_receber" fails them."""
    connect(fake).get_trial_balance("2024-03")
    request, reply = next((q, r) for q, r in api_exchanges(fake)
                          if q.path.endswith("/caixas") and r.body["data"])
    reply.body["data"][0]["origem"]["tipo"] = "conta_receber"
    reply.body["data"][0]["invented"] = 1
    assert len(CONTRACT.reply_errors(request, reply)) == 2
