"""TOTVS RM and Protheus against the TOTVS fake (built from the published specs, see
connectors/totvs.md): the seeded general-ledger trial balance, the published token calls, the
standard-message branches, and the run-time check of what ``AccountingTransactions`` means."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from close.errors import ConfigError, InputDataError
from connectors.base import ConnectorContext
from connectors.errors import FatalConnectorError
from connectors.fakes import totvs as totvs_fake
from connectors.registry import create_connector
from connectors.trial_balance import build_local_tb
from tests.connectors.contract import FAST_HTTP, ConnectorContract

SECRETS = {"username": totvs_fake.USERNAME, "password": totvs_fake.PASSWORD}
BAD = {"username": totvs_fake.USERNAME, "password": "not-the-password"}
RM_TB = "/api/ctb/v1/AccountingTransactions"


def expected() -> pd.DataFrame:
    rows = [{"account": code, "account_name": name, "cost_center": cc, "opening": o, "debit": d,
             "credit": c, "closing": cl}
            for code, name, analytic, cc, o, d, c, cl in totvs_fake.SEED_GL if analytic]
    return build_local_tb(rows, "BR1")


@pytest.fixture
def fake():
    with totvs_fake.TotvsFake() as fake:
        yield fake


@pytest.fixture
def expected_tb():
    return expected()


@pytest.fixture
def rm(fake):
    def make(secrets=None, **overrides):
        settings = {"base_url": fake.url, "company_id": 1, "page_size": 4, "http": FAST_HTTP,
                    **overrides}
        return create_connector("totvs_rm", settings, ConnectorContext(
            entity="BR1", currency="BRL", open_file=lambda n: b"", secrets=secrets or SECRETS))
    return make


class TestTotvsRm(ConnectorContract):
    __test__ = True
    tb_path = RM_TB
    bad_secrets = BAD

    @pytest.fixture
    def make_connector(self, rm):
        return rm

    def test_logs_in_with_the_published_token_call(self, make_connector, fake, expected_tb):
        """TDN pageId=539528505: POST /api/connect/token, JSON {grant_type, username, password}.

        Fails on the code before issue 18 (form body to /api/oauth2/v1/token).
        """
        pd.testing.assert_frame_equal(make_connector().get_trial_balance("2024-03"), expected_tb)
        (login,) = fake.hits(totvs_fake.RM_TOKEN_PATH)
        assert login.method == "POST" and "json" in login.headers["content-type"]
        assert json.loads(login.body) == {"grant_type": "password", **SECRETS}
        assert not login.query

    def test_an_expired_token_is_replaced_by_a_new_login(self, make_connector, fake, expected_tb):
        connector = make_connector()
        connector.get_companies()
        fake.expire_rm_tokens()
        pd.testing.assert_frame_equal(connector.get_trial_balance("2024-03"), expected_tb)
        logins = fake.hits(totvs_fake.RM_TOKEN_PATH)
        assert len(logins) == 2 and all(json.loads(h.body)["grant_type"] == "password"
                                        for h in logins)

    def test_branches_read_from_the_standard_message(self, make_connector):
        """Branch 2.003 (Code, CompanyCode, Description); fails on the code before issue 18."""
        companies = make_connector().get_companies()
        assert [(c.code, c.name) for c in companies] == [
            ("1/1", "Aurora Indústria S.A. - Matriz"),
            ("1/2", "Aurora Indústria S.A. - Filial Campinas")]
        assert companies[0].tax_id == "12.345.678/0001-90"

    def test_health_check_names_api_version_and_unread_fields(self, make_connector, fake):
        status = make_connector().health_check()
        assert status.ok and "Matriz" in status.detail
        assert "Branch 2.003" in status.api_version and status.unread == ()

    def test_the_plan_of_other_companies_is_left_out(self, make_connector):
        chart = make_connector().get_chart_of_accounts()
        assert "Caixa (outra coligada)" not in set(chart["account_name"])
        assert list(chart["account"]) == [r[0] for r in totvs_fake.SEED_GL]

    def test_period_is_sent_as_a_range_and_openings_come_from_the_history(self, make_connector,
                                                                          fake):
        make_connector().get_trial_balance("2024-03")
        hit = fake.hits(RM_TB)[0]
        assert (hit.arg("companyId"), hit.arg("date")) == ("1", "1900-01-01,2024-03-31")

    def test_value_that_is_not_the_balance_fails_the_extract_with_the_difference(
            self, make_connector, fake):
        fake.value_meaning = "movement"
        with pytest.raises(InputDataError, match=r"value .* != the movements since 1900-01-01 .* "
                                                 r"too little\) for account 1\.1\.01\.001"):
            make_connector().get_trial_balance("2024-03")

    def test_value_read_as_movement_when_the_entity_says_so(self, make_connector, fake,
                                                            expected_tb):
        fake.value_meaning = "movement"
        frame = make_connector(transactions_value="movement").get_trial_balance("2024-03")
        pd.testing.assert_frame_equal(frame, expected_tb)

    def test_history_cut_short_does_not_reconcile_with_the_erp_balances(self, make_connector):
        with pytest.raises(InputDataError, match="1,500.00 too much"):
            make_connector(ledger_start="2024-03-01").get_trial_balance("2024-03")

    def test_rows_outside_the_range_sent_fail_the_extract(self, make_connector, fake):
        with pytest.raises(InputDataError, match="outside 1900-01-01..2024-03-31"):
            make_connector(date_param="{first:%Y-%m-%d},2024-04-30").get_trial_balance("2024-03")

    def test_bad_reading_settings_are_config_errors(self, make_connector):
        with pytest.raises(ConfigError, match="transactions_value"):
            make_connector(transactions_value="closing")
        with pytest.raises(ConfigError, match="date_param"):
            make_connector(date_param="{start}")

    def test_rm_validation_502_is_fatal_not_retried(self, make_connector, fake):
        fake.fail_next(5, 502, {"code": "502", "message": "São obrigatórios filtros para codColigada",
                                "detailedMessage": "", "helpUrl": ""}, path_prefix=RM_TB)
        with pytest.raises(FatalConnectorError, match="codColigada"):
            make_connector().get_trial_balance("2024-03")
        assert len(fake.hits(RM_TB)) == 1

    def test_basic_auth(self, make_connector, fake):
        with pytest.raises(FatalConnectorError):  # the fake only accepts bearer tokens
            make_connector(auth="basic").get_trial_balance("2024-03")
        assert fake.hits()[0].headers["authorization"].startswith("Basic ")


class TestTotvsProtheus(ConnectorContract):
    __test__ = True
    tb_path = "/rest/api/ctb/v1/balancete"
    bad_secrets = BAD

    @pytest.fixture
    def make_connector(self, fake):
        def make(secrets=None, **overrides):
            settings = {"base_url": f"{fake.url}/rest", "tenant_id": totvs_fake.TENANT,
                        "page_size": 3, "http": FAST_HTTP, **overrides}
            return create_connector("totvs_protheus", settings, ConnectorContext(
                entity="BR1", currency="BRL", open_file=lambda n: b"", secrets=secrets or SECRETS))
        return make

    def test_token_parameters_go_in_the_query_string(self, make_connector, fake):
        """TDN pageId=465383509; fails on the code before issue 18 (form body)."""
        make_connector().get_trial_balance(self.period)
        (login,) = fake.hits(totvs_fake.PROTHEUS_TOKEN_PATH)
        assert login.method == "POST" and not login.body
        assert (login.arg("grant_type"), login.arg("username"), login.arg("password")) == (
            "password", *SECRETS.values())

    def test_expired_token_is_refreshed_in_the_query_string(self, make_connector, fake,
                                                            expected_tb):
        connector = make_connector()
        connector.get_trial_balance(self.period)
        fake.tokens.expire_all()
        pd.testing.assert_frame_equal(connector.get_trial_balance(self.period), expected_tb)
        refresh = fake.hits(totvs_fake.PROTHEUS_TOKEN_PATH)[1]
        assert refresh.arg("grant_type") == "refresh_token" and refresh.arg("refresh_token")

    def test_tenant_header_and_dates_sent(self, make_connector, fake):
        make_connector().get_trial_balance(self.period)
        hit = fake.hits(self.tb_path)[0]
        assert hit.headers["tenantid"] == totvs_fake.TENANT
        assert (hit.arg("dataInicial"), hit.arg("dataFinal")) == ("20240301", "20240331")

    def test_health_check_reports_no_unread_field(self, make_connector):
        status = make_connector().health_check()
        assert status.ok and status.unread == () and "balancete" in status.api_version

    def test_tenant_id_is_required(self, fake):
        with pytest.raises(ConfigError, match="tenant_id"):
            create_connector("totvs_protheus", {"base_url": fake.url}, ConnectorContext(
                entity="BR1", currency="BRL", open_file=lambda n: b"", secrets=SECRETS))

    def test_missing_secret_names_the_variable(self, fake):
        with pytest.raises(ConfigError) as err:
            create_connector("totvs_protheus", {"base_url": fake.url, "tenant_id": "T1"},
                             ConnectorContext(entity="BR1", currency="BRL", open_file=lambda n: b""))
        assert "CLOSE_SECRET_BR1_USERNAME" in str(err.value)


def test_an_older_branch_message_is_named_by_the_health_check(rm, fake):
    """The pre-2.x Branch shape (CompanyId, BranchId, Name) — what the code before issue 18 read."""
    class OlderBranches(totvs_fake.TotvsFake):
        def _rm(self, request):
            reply = super()._rm(request)
            if request.path.startswith("/api/framework/v1/Branches") and reply.status == 200:
                reply.body["items"] = [{"CompanyId": 1, "BranchId": 1, "Alias": "MATRIZ",
                                        "Name": "Matriz"}]
            return reply

    with OlderBranches() as older:
        connector = create_connector("totvs_rm", {"base_url": older.url, "http": FAST_HTTP},
                                     ConnectorContext(entity="BR1", currency="BRL",
                                                      open_file=lambda n: b"", secrets=SECRETS))
        status = connector.health_check()
    assert not status.ok and "CompanyCode" in status.detail
    assert status.unread == ("/api/framework/v1/Branches: BranchInternalId",
                             "/api/framework/v1/Branches: CompanyCode",
                             "/api/framework/v1/Branches: Code",
                             "/api/framework/v1/Branches: Description")
