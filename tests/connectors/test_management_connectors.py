"""Omie, Conta Azul and Bling against their fakes: one seeded set of books, one expected TB."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from connectors.base import ConnectorContext
from connectors.errors import FatalConnectorError
from connectors.fakes import bling as bling_fake
from connectors.fakes import contaazul as contaazul_fake
from connectors.fakes import omie as omie_fake
from connectors.registry import create_connector
from connectors.trial_balance import build_local_tb
from tests.connectors.contract import FAST_HTTP, ConnectorContract

# The trial balance of connectors/fakes/erp_seed.py for 2024-03 (fiscal year from January), by hand:
# categories YTD (Jan–Feb opening, March movement), bank, open AR/AP at 29 Feb and 31 Mar.
# account | opening | debit | credit | closing
SEED_TB = """
1.01.01      | -1300000 |       0 | 2000000 | -3300000
1.01.02      |        0 |       0 |  500000 |  -500000
2.01.01      |   400000 |  400000 |       0 |   800000
2.02.01      |   900000 |       0 |       0 |   900000
2.03.01      |        0 |  150000 |       0 |   150000
BANK:1001    |  5000000 |  200000 |       0 |  5200000
AR           |   300000 | 1000000 |       0 |  1300000
AP           |  -900000 |  750000 |       0 |  -150000
EQUITY       | -4400000 |       0 |       0 | -4400000
UNRECONCILED |        0 |       0 |       0 |        0
"""
NAMES = {"1.01.01": "Receita de serviços", "1.01.02": "Venda de mercadorias", "2.01.01": "Aluguel",
         "2.02.01": "Salários", "2.03.01": "Serviços de terceiros", "BANK:1001": "Conta Itaú",
         "AR": "Contas a receber (títulos em aberto)", "AP": "Contas a pagar (títulos em aberto)",
         "EQUITY": "Patrimônio líquido gerencial (abertura)",
         "UNRECONCILED": "Diferença de conciliação gerencial"}


def seed_tb(code=lambda c: c) -> pd.DataFrame:
    rows = []
    for line in SEED_TB.strip().splitlines():
        account, *amounts = (p.strip() for p in line.split("|"))
        rows.append({"account": code(account), "account_name": NAMES[account],
                     **dict(zip(("opening", "debit", "credit", "closing"), map(int, amounts), strict=True))})
    return build_local_tb(rows, "BR1")


def context(secrets: dict[str, str]) -> ConnectorContext:
    return ConnectorContext(entity="BR1", currency="BRL", open_file=lambda name: b"", secrets=secrets)


class TestOmie(ConnectorContract):
    __test__ = True
    tb_path = "/api/v1/financas/mf"
    rate_limited_body = {"faultstring": "429: Too many Requests", "faultcode": "SOAP-ENV:Client-429"}
    bad_secrets = {"app_key": omie_fake.APP_KEY, "app_secret": "ffffffffffffffffffffffffffffffff"}

    @pytest.fixture
    def fake(self):
        with omie_fake.OmieFake() as fake:
            yield fake

    @pytest.fixture
    def expected_tb(self):
        return seed_tb()

    @pytest.fixture
    def make_connector(self, fake):
        def make(secrets=None, **overrides):
            settings = {"base_url": f"{fake.url}/api/v1", "page_size": 3, "http": FAST_HTTP, **overrides}
            return create_connector("omie", settings, context(
                secrets or {"app_key": omie_fake.APP_KEY, "app_secret": omie_fake.APP_SECRET}))
        return make

    def test_redundant_call_fault_waits_the_seconds_omie_names(self, make_connector, fake, expected_tb):
        fake.fail_next(1, 500, {"faultstring": "ERROR: Consumo redundante detectado. Aguarde 1 segundos "
                                "para tentar novamente (REDUNDANT).", "faultcode": "SOAP-ENV:Client-6"},
                       path_prefix=self.tb_path)
        frame = make_connector().get_trial_balance(self.period)
        pd.testing.assert_frame_equal(frame, expected_tb)
        hits = fake.hits(self.tb_path)
        assert hits[1].at - hits[0].at >= 0.95

    def test_receivables_open_at_period_end(self, make_connector):
        ar = make_connector().get_receivables(date(2024, 3, 31))
        assert dict(zip(ar["document"], ar["open_amount"], strict=True)) == {"5002": 800000, "5003": 500000}
        assert ar["open_amount"].dtype == "int64"

    def test_subledger_lists_the_titles_behind_a_category(self, make_connector):
        details = make_connector().get_subledger_details(self.period, "1.01.01")
        assert details["document"].tolist() == ["5002"] and details["credit"].tolist() == [2000000]


class TestContaAzul(ConnectorContract):
    __test__ = True
    tb_path = "/v1/financeiro/eventos-financeiros/contas-a-receber/buscar"
    min_tb_pages = 3  # 5 receivables, at most 2 per page
    rate_limited_body = {"code": 429, "message": "Too Many Requests"}
    bad_secrets = {"client_id": contaazul_fake.CLIENT_ID, "client_secret": "wrong-secret-xyz",
                   "refresh_token": contaazul_fake.REFRESH_TOKEN}

    @pytest.fixture
    def fake(self):
        with contaazul_fake.ContaAzulFake() as fake:
            yield fake

    @pytest.fixture
    def expected_tb(self):
        def code(account: str) -> str:
            if account.startswith("BANK:"):
                return "BANK:" + contaazul_fake.bank_id(account.removeprefix("BANK:"))
            return contaazul_fake.category_id(account) if account[0].isdigit() else account
        frame = seed_tb(code)
        order = sorted(range(5), key=lambda i: frame.at[i, "account"])  # categories sort by id
        return pd.concat([frame.iloc[order], frame.iloc[5:]]).reset_index(drop=True)

    @pytest.fixture
    def make_connector(self, fake):
        self.rotated: list[tuple[str, str]] = []

        def make(secrets=None, **overrides):
            settings = {"base_url": fake.url, "token_url": f"{fake.url}/oauth2/token", "page_size": 10,
                        "http": FAST_HTTP, **overrides}
            ctx = ConnectorContext(
                entity="BR1", currency="BRL", open_file=lambda name: b"",
                secrets=secrets or {"client_id": contaazul_fake.CLIENT_ID,
                                    "client_secret": contaazul_fake.CLIENT_SECRET,
                                    "refresh_token": fake.tokens.refresh_token},
                store_secret=lambda name, value: self.rotated.append((name, value)))
            return create_connector("contaazul", settings, ctx)
        return make

    def test_expired_token_is_refreshed_once_and_the_rotation_is_stored(self, make_connector, fake,
                                                                         expected_tb):
        connector = make_connector()
        connector.get_companies()
        fake.tokens.expire_all()
        frame = connector.get_trial_balance(self.period)
        pd.testing.assert_frame_equal(frame, expected_tb)
        assert len(fake.hits("/oauth2/token")) == 2
        assert self.rotated[-1] == ("refresh_token", fake.tokens.refresh_token)

    def test_revoked_refresh_token(self, make_connector, fake):
        fake.tokens.revoked = True
        with pytest.raises(FatalConnectorError) as err:
            make_connector().get_trial_balance(self.period)
        assert "invalid_grant/access_revoked" in str(err.value) and "contaazul" in str(err.value)

    def test_receivables_open_at_period_end(self, make_connector):
        ar = make_connector().get_receivables(date(2024, 3, 31))
        assert sorted(ar["open_amount"].tolist()) == [500000, 800000]


class TestBling(ConnectorContract):
    __test__ = True
    tb_path = "/Api/v3/contas/receber"
    min_tb_pages = 3
    rate_limited_body = {"error": {"type": "TOO_MANY_REQUESTS", "message": "Limite de requisições atingido",
                                   "description": "3 requisições por segundo"}}
    bad_secrets = {"client_id": bling_fake.CLIENT_ID, "client_secret": "wrong-bling-secret",
                   "refresh_token": bling_fake.REFRESH_TOKEN}

    @pytest.fixture
    def fake(self):
        with bling_fake.BlingFake() as fake:
            # The contract runs at FAST_HTTP; test_bling_default_policy_keeps_to_the_rate_limit
            # runs the connector's own policy against the fake's 3 requests/s.
            fake.rate_limit = None
            yield fake

    @pytest.fixture
    def expected_tb(self):
        def code(account: str) -> str:
            return str(bling_fake.category_id(account)) if account[0].isdigit() else account
        return seed_tb(code)

    @pytest.fixture
    def make_connector(self, fake):
        def make(secrets=None, **overrides):
            settings = {"base_url": f"{fake.url}/Api/v3", "page_size": 2, "http": FAST_HTTP, **overrides}
            return create_connector("bling", settings, context(
                secrets or {"client_id": bling_fake.CLIENT_ID, "client_secret": bling_fake.CLIENT_SECRET,
                            "refresh_token": fake.tokens.refresh_token}))
        return make

    def test_date_windows_never_exceed_one_year(self, make_connector, fake):
        make_connector().get_trial_balance(self.period)
        windows = [(date.fromisoformat(r.arg("dataInicial")), date.fromisoformat(r.arg("dataFinal")))
                   for r in fake.requests if r.path.startswith("/Api/v3/contas") and r.arg("dataInicial")]
        assert windows and all((end - start).days <= 366 for start, end in windows)

    def test_receivables_open_at_period_end(self, make_connector):
        ar = make_connector().get_receivables(date(2024, 3, 31))
        assert dict(zip(ar["document"], ar["open_amount"], strict=True)) == {"5002": 800000, "5003": 500000}

    def test_expired_token_is_refreshed_once(self, make_connector, fake, expected_tb):
        connector = make_connector()
        connector.get_companies()
        fake.tokens.expire_all()
        pd.testing.assert_frame_equal(connector.get_trial_balance(self.period), expected_tb)
        assert len(fake.hits("/Api/v3/oauth/token")) == 2


def test_contaazul_event_split_over_categories_is_read_from_its_rateio() -> None:
    from decimal import Decimal

    with contaazul_fake.ContaAzulFake() as fake:
        fake.splits["6004"] = [("2.03.01", Decimal("1000.00")), ("2.01.01", Decimal("500.00"))]
        connector = create_connector("contaazul", {
            "base_url": fake.url, "token_url": f"{fake.url}/oauth2/token", "page_size": 10,
            "http": FAST_HTTP}, context({"client_id": contaazul_fake.CLIENT_ID,
                                         "client_secret": contaazul_fake.CLIENT_SECRET,
                                         "refresh_token": contaazul_fake.REFRESH_TOKEN}))
        frame = connector.get_trial_balance("2024-03")
        lines = frame.set_index("account")
        rent, services = contaazul_fake.category_id("2.01.01"), contaazul_fake.category_id("2.03.01")
        assert (lines.at[rent, "debit"], lines.at[rent, "closing"]) == (450000, 850000)
        assert (lines.at[services, "debit"], lines.at[services, "closing"]) == (100000, 100000)
        assert fake.hits(f"/v1/financeiro/eventos-financeiros/parcelas/{contaazul_fake.title_id('6004')}")
