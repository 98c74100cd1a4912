"""TOTVS RM and Protheus against the TOTVS fake: the seeded general-ledger trial balance."""

from __future__ import annotations

import pandas as pd
import pytest

from close.errors import ConfigError
from connectors.base import ConnectorContext
from connectors.errors import FatalConnectorError
from connectors.registry import create_connector
from connectors.trial_balance import build_local_tb
from tests.connectors.contract import FAST_HTTP, ConnectorContract
from tests.fakes import totvs as totvs_fake

SECRETS = {"username": totvs_fake.USERNAME, "password": totvs_fake.PASSWORD}
BAD = {"username": totvs_fake.USERNAME, "password": "not-the-password"}


def expected() -> pd.DataFrame:
    rows = [{"account": code, "account_name": name, "cost_center": cc, "opening": o, "debit": d,
             "credit": c, "closing": cl}
            for code, name, analytic, _, cc, o, d, c, cl in totvs_fake.SEED_GL if analytic]
    return build_local_tb(rows, "BR1")


@pytest.fixture
def fake():
    with totvs_fake.TotvsFake() as fake:
        yield fake


@pytest.fixture
def expected_tb():
    return expected()


class TestTotvsRm(ConnectorContract):
    __test__ = True
    tb_path = "/rest/api/ctb/v1/AccountingTransactions"
    bad_secrets = BAD

    @pytest.fixture
    def make_connector(self, fake):
        def make(secrets=None, **overrides):
            settings = {"base_url": f"{fake.url}/rest", "company_id": 1, "page_size": 4,
                        "http": FAST_HTTP, **overrides}
            return create_connector("totvs_rm", settings, ConnectorContext(
                entity="BR1", currency="BRL", open_file=lambda n: b"", secrets=secrets or SECRETS))
        return make

    def test_expired_token_is_refreshed_once(self, make_connector, fake, expected_tb):
        connector = make_connector()
        connector.get_companies()
        fake.tokens.expire_all()
        pd.testing.assert_frame_equal(connector.get_trial_balance(self.period), expected_tb)
        assert len(fake.hits("/rest/api/oauth2/v1/token")) == 2

    def test_rm_validation_502_is_fatal_not_retried(self, make_connector, fake):
        fake.fail_next(5, 502, {"code": "502", "message": "São obrigatórios filtros para codColigada",
                                "detailedMessage": "", "helpUrl": ""}, path_prefix=self.tb_path)
        with pytest.raises(FatalConnectorError, match="codColigada"):
            make_connector().get_trial_balance(self.period)
        assert len(fake.hits(self.tb_path)) == 1

    def test_basic_auth(self, make_connector, fake):
        fake.tokens.valid.add("unused")
        with pytest.raises(FatalConnectorError):  # the fake only accepts bearer tokens
            make_connector(auth="basic").get_trial_balance(self.period)
        assert fake.hits()[0].headers["authorization"].startswith("Basic ")


class TestTotvsProtheus(ConnectorContract):
    __test__ = True
    tb_path = "/rest/api/ctb/v1/balancete"
    bad_secrets = BAD

    @pytest.fixture
    def make_connector(self, fake):
        def make(secrets=None, **overrides):
            settings = {"base_url": f"{fake.url}/rest", "tenant_id": totvs_fake.TENANT, "page_size": 3,
                        "http": FAST_HTTP, **overrides}
            return create_connector("totvs_protheus", settings, ConnectorContext(
                entity="BR1", currency="BRL", open_file=lambda n: b"", secrets=secrets or SECRETS))
        return make

    def test_tenant_header_and_dates_sent(self, make_connector, fake):
        make_connector().get_trial_balance(self.period)
        hit = fake.hits(self.tb_path)[0]
        assert hit.headers["tenantid"] == totvs_fake.TENANT
        assert (hit.arg("dataInicial"), hit.arg("dataFinal")) == ("20240301", "20240331")

    def test_tenant_id_is_required(self, fake):
        with pytest.raises(ConfigError, match="tenant_id"):
            create_connector("totvs_protheus", {"base_url": fake.url}, ConnectorContext(
                entity="BR1", currency="BRL", open_file=lambda n: b"", secrets=SECRETS))

    def test_missing_secret_names_the_variable(self, fake):
        with pytest.raises(ConfigError) as err:
            create_connector("totvs_protheus", {"base_url": fake.url, "tenant_id": "T1"},
                             ConnectorContext(entity="BR1", currency="BRL", open_file=lambda n: b""))
        assert "CLOSE_SECRET_BR1_USERNAME" in str(err.value)
