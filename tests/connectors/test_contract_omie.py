"""Contract: the Omie fake and the Omie connector against the schema written from Omie's WSDL
field documentation (pauloracunha/omie-lib@b7c0b4e, see tests/fakes/schemas/omie.json)."""

from __future__ import annotations

import json

import pytest

from connectors.base import ConnectorContext
from connectors.fakes import omie as omie_fake
from connectors.registry import create_connector
from tests.connectors.contract import FAST_HTTP
from tests.connectors.schema_contract import Recording, errors, load_schema

SCHEMA = load_schema("omie")


@pytest.fixture(scope="module")
def exchanges():
    """Everything a trial balance, the receivables and a health check exchanged with the fake."""
    with omie_fake.OmieFake() as fake:
        recording = Recording(fake)
        connector = create_connector("omie", {"base_url": f"{fake.url}/api/v1", "page_size": 3,
                                              "http": FAST_HTTP}, ConnectorContext(
            entity="BR1", currency="BRL", open_file=lambda n: b"",
            secrets={"app_key": omie_fake.APP_KEY, "app_secret": omie_fake.APP_SECRET}))
        connector.get_trial_balance("2024-03")
        connector.health_check()
        yield [(json.loads(req.body), recording.body(reply), reply.status)
               for req, reply in recording.exchanges]


def test_every_call_of_the_field_map_was_exercised(exchanges) -> None:
    assert {body["call"] for body, _, _ in exchanges} == set(SCHEMA["calls"])


def test_every_request_validates_against_the_request_schema(exchanges) -> None:
    for body, _, _ in exchanges:
        assert not errors(SCHEMA, "Envelope", body), body
        call = SCHEMA["calls"][body["call"]]
        assert not errors(SCHEMA, call["request"], body["param"][0]), (body["call"], errors(
            SCHEMA, call["request"], body["param"][0]))


def test_every_fake_response_validates_against_the_response_schema(exchanges) -> None:
    for body, reply, status in exchanges:
        definition = SCHEMA["calls"][body["call"]]["response"] if status == 200 else "Fault"
        found = errors(SCHEMA, definition, reply)
        assert not found, (body["call"], found[:5])


def test_the_schema_refuses_an_invented_field() -> None:
    """The check has teeth: the pre-issue-18 fake sent detalhes.cRazaoSocial, not in Detalhes."""
    assert errors(SCHEMA, "Detalhes", {"nCodTitulo": 1, "cRazaoSocial": "x"})
    assert errors(SCHEMA, "Detalhes", {"dDtEmissao": "2024-03-05"})  # not DD/MM/AAAA
