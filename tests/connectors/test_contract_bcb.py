"""Contract: the BCB Olinda fake and the PTAX client against the schema written from the Olinda
PTAX documentation and live captures (tests/fakes/schemas/bcb.json)."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from urllib.parse import parse_qs, unquote

import pytest

from close.rates.bcb import BcbPtaxSource
from close.rates.model import Series
from close.rates.settings import RateSourceSettings
from close.rates.transport import QuoteHttp
from close.resilience import RetryPolicy
from tests.connectors.schema_contract import Recording, errors, load_schema
from tests.fakes.bcb import ODATA_PREFIX, FakeBcb

SCHEMA = load_schema("bcb")
RESOURCE = re.compile(r"^(?P<name>\w+)\((?P<bindings>[^)]*)\)$")


@pytest.fixture(scope="module")
def exchanges():
    """What the PTAX client exchanged with the fake for USD and EUR over a month."""
    with FakeBcb() as fake:
        recording = Recording(fake)
        settings = RateSourceSettings(bcb_base_url=fake.base_url, ecb_base_url=fake.base_url,
                                      timeout_seconds=5.0,
                                      retry=RetryPolicy(attempts=1, wait_initial=0, wait_max=0,
                                                        jitter=0))
        source = BcbPtaxSource(QuoteHttp("bcb_ptax", settings.bcb_base_url, settings,
                                         sleep=lambda _s: None))
        found = source.quotations([Series("USD", "BRL"), Series("EUR", "BRL")],
                                  date(2024, 3, 1), date(2024, 3, 31))
        assert all(found.values())
        yield [(req, recording.body(reply), reply.status) for req, reply in recording.exchanges]


def test_every_request_is_a_published_resource_with_valid_options(exchanges) -> None:
    assert len(exchanges) == 2
    for req, _, _ in exchanges:
        match = RESOURCE.match(unquote(req.path).removeprefix(ODATA_PREFIX))
        assert match and match["name"] in SCHEMA["resources"], req.path
        bindings = [b.split("=@")[0] for b in match["bindings"].split(",")]
        assert bindings == SCHEMA["resources"][match["name"]]["bindings"]
        assert "+" not in req.raw_query  # a literal plus in OData: spaces go as %20
        query = {k: v[-1] for k, v in parse_qs(req.raw_query).items()}
        assert not errors(SCHEMA, "Query", query), errors(SCHEMA, "Query", query)


def test_every_fake_answer_validates_against_the_row_schema(exchanges) -> None:
    for req, body, status in exchanges:
        assert status == 200
        answer = json.loads(body) if isinstance(body, str) else body
        assert not errors(SCHEMA, "Answer", answer)
        row = SCHEMA["resources"][RESOURCE.match(unquote(req.path).removeprefix(
            ODATA_PREFIX))["name"]]["row"]
        for item in answer["value"]:
            assert not errors(SCHEMA, row, item), (item, errors(SCHEMA, row, item))


def test_a_full_day_of_bulletins_validates_and_the_fechamento_is_the_mean() -> None:
    """Five bulletins a day (Abertura, three Intermediário, Fechamento), the PTAX their mean."""
    with FakeBcb() as fake:
        rows = fake.rows("CotacaoMoedaPeriodo", {"moeda": "'EUR'", "dataInicial": "'03-25-2024'",
                                                 "dataFinalCotacao": "'03-25-2024'"}, None)
    assert rows is not None
    items = [json.loads("{" + ",".join(f'"{k}":{v}' for k, v in r.items()) + "}",
                        parse_float=Decimal) for r in rows]
    assert all(not errors(SCHEMA, "CotacaoMoeda", {k: float(v) if isinstance(v, Decimal) else v
                                                   for k, v in i.items()}) for i in items)
    assert [i["tipoBoletim"] for i in items].count("Intermediário") == 3
    assert sum(i["cotacaoVenda"] for i in items[:4]) / 4 == items[4]["cotacaoVenda"]
