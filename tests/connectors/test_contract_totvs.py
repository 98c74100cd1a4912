"""Contract: the TOTVS fake and the RM/Protheus connectors against the schema written from
TOTVS' published standard messages and OpenAPI files (totvs/ttalk-standard-message@2706caa) and
the TDN token pages — see tests/fakes/schemas/totvs.json."""

from __future__ import annotations

import json
from typing import Any

import pytest

from connectors.base import ConnectorContext
from connectors.fakes import totvs as totvs_fake
from connectors.registry import create_connector
from tests.connectors.contract import FAST_HTTP
from tests.connectors.schema_contract import Recording, errors, load_schema

SCHEMA = load_schema("totvs")
SECRETS = {"username": totvs_fake.USERNAME, "password": totvs_fake.PASSWORD}
# path → (query definition, 200 response definition)
ROUTES = {
    "/api/framework/v1/Branches": ("BranchesQuery", "PagedBranches"),
    "/api/ctb/v1/AccountingPlan": ("AccountingPlanQuery", "PagedAccountingPlan"),
    "/api/ctb/v1/AccountingTransactions": ("AccountingTransactionsQuery",
                                           "PagedAccountingTransactions"),
    "/rest/api/ctb/v1/balancete": ("BalanceteQuery", "PagedBalancete"),
}


def typed(query: dict[str, list[str]], definition: str) -> dict[str, Any]:
    """Query values as the schema types them (a query string carries text only)."""
    props = SCHEMA["$defs"][definition]["properties"]
    return {k: int(v[-1]) if props.get(k, {}).get("type") == "integer" and v[-1].isdigit()
            else v[-1] for k, v in query.items()}


@pytest.fixture(scope="module")
def exchanges():
    """Everything both connectors exchanged with the fake: TB, chart, branches, health."""
    with totvs_fake.TotvsFake() as fake:
        recording = Recording(fake)
        context = ConnectorContext(entity="BR1", currency="BRL", open_file=lambda n: b"",
                                   secrets=SECRETS)
        rm = create_connector("totvs_rm", {"base_url": fake.url, "page_size": 4,
                                           "http": FAST_HTTP}, context)
        protheus = create_connector("totvs_protheus", {
            "base_url": f"{fake.url}/rest", "tenant_id": totvs_fake.TENANT, "page_size": 3,
            "http": FAST_HTTP}, context)
        for connector in (rm, protheus):
            connector.get_trial_balance("2024-03")
            connector.get_chart_of_accounts()
            connector.get_companies()
            connector.health_check()
        fake.tokens.expire_all()
        protheus.get_trial_balance("2024-03")  # the refresh grant too
        yield [(req, recording.body(reply), reply.status) for req, reply in recording.exchanges]


def test_every_route_of_the_field_map_was_exercised(exchanges) -> None:
    assert {req.path for req, _, _ in exchanges} == {*ROUTES, totvs_fake.RM_TOKEN_PATH,
                                                     totvs_fake.PROTHEUS_TOKEN_PATH}


def test_every_request_validates_against_the_published_parameters(exchanges) -> None:
    for req, _, _ in exchanges:
        if req.path == totvs_fake.RM_TOKEN_PATH:
            found = errors(SCHEMA, "RmTokenRequest", json.loads(req.body))
        elif req.path == totvs_fake.PROTHEUS_TOKEN_PATH:
            found = errors(SCHEMA, "ProtheusTokenQuery", typed(req.query, "BalanceteQuery"))
            assert not req.body
        else:
            query = ROUTES[req.path][0]
            found = errors(SCHEMA, query, typed(req.query, query))
        assert not found, (req.path, found)


def test_every_fake_response_validates_against_the_published_schema(exchanges) -> None:
    for req, body, status in exchanges:
        if req.path == totvs_fake.RM_TOKEN_PATH:
            definition = "RmTokenResponse"
        elif req.path == totvs_fake.PROTHEUS_TOKEN_PATH:
            definition = "ProtheusTokenResponse"
        else:
            definition = ROUTES[req.path][1] if status == 200 else "ErrorModel"
        found = errors(SCHEMA, definition, body)
        assert not found, (req.path, found[:5])


def test_the_schema_has_teeth() -> None:
    """What the code and fake before issue 18 did, refused: analytics as a boolean, the old
    branch shape, companyId sent to AccountingPlan (no such parameter), a form-style token body."""
    assert errors(SCHEMA, "AccountingPlanInfo", {"analytics": True})
    assert errors(SCHEMA, "BranchType", {"CompanyId": 1, "BranchId": 1, "Name": "x"})
    assert errors(SCHEMA, "AccountingPlanQuery", {"companyId": 1, "page": 1, "pageSize": 10})
    assert errors(SCHEMA, "RmTokenRequest", {"grant_type": "password"})
