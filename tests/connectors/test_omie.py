"""Omie's readings by their published meaning (Omie WSDL docs via pauloracunha/omie-lib@b7c0b4e;
field map in connectors/omie.md), against the fake that computes them the way Omie documents."""

from __future__ import annotations

import json

import pytest

from close.errors import ConfigError, InputDataError
from connectors.base import ConnectorContext
from connectors.fakes import omie as omie_fake
from connectors.fakes.omie import OmieFake
from connectors.registry import create_connector
from tests.connectors.contract import FAST_HTTP

PERIOD = "2024-03"
EXTRATO = "/api/v1/financas/extrato"


@pytest.fixture
def fake():
    with OmieFake() as fake:
        yield fake


def connector(fake, **overrides):
    settings = {"base_url": f"{fake.url}/api/v1", "page_size": 3, "http": FAST_HTTP, **overrides}
    return create_connector("omie", settings, ConnectorContext(
        entity="BR1", currency="BRL", open_file=lambda name: b"",
        secrets={"app_key": omie_fake.APP_KEY, "app_secret": omie_fake.APP_SECRET}))


def line(frame, account):
    return frame.set_index("account").loc[account]


def test_period_end_bank_balance_comes_from_the_statement_not_todays_balance(fake):
    """nSaldoAtual is "Saldo Atual Realizado disponível para hoje" (EccListarExtratoResponse.php):
    the April bank fee is in it. The March closing is nSaldoAnterior + March's movements.

    Fails on the code before issue 18 (closing = nSaldoAtual = 51,950.00).
    """
    bank = line(connector(fake).get_trial_balance(PERIOD), "BANK:1001")
    assert (bank["opening"], bank["closing"]) == (5000000, 5200000)
    (call,) = [json.loads(h.body) for h in fake.hits(EXTRATO)]
    assert call["param"][0] == {"nCodCC": 1001, "dPeriodoInicial": "01/03/2024",
                                "dPeriodoFinal": "31/03/2024", "cExibirApenasSaldo": "N"}


def test_titles_accrue_on_their_issue_date_not_the_invoice_registration(fake):
    """dDtRegistro is "Data de registro da NF" (Detalhes.php): title 5003, issued on 25 March,
    had its invoice registered on 2 April; it is March revenue.

    Fails on the code before issue 18 (dDtRegAte/dDtRegistro: 5003 and the manual titles lost).
    """
    frame = connector(fake).get_trial_balance(PERIOD)
    assert line(frame, "1.01.02")["credit"] == 500000
    param = json.loads(fake.hits("/api/v1/financas/mf")[0].body)["param"][0]
    assert param["dDtEmisAte"] == "31/03/2024" and "dDtRegAte" not in param


def test_a_running_balance_that_disagrees_with_the_movements_fails_the_extract(fake):
    body = {"nCodCC": 1001, "nSaldoAnterior": 50000.00, "nSaldoAtual": 0, "listaMovimentos": [
        {"cDesCliente": "SALDO ANTERIOR", "nSaldo": 50000.00, "nValorDocumento": 0},
        {"nCodLancamento": 1, "cSituacao": "Conciliado", "dDataLancamento": "05/03/2024",
         "nValorDocumento": -90.00, "nSaldo": 49900.00, "cNatureza": "P"}]}
    fake.fail_next(1, 200, body, path_prefix=EXTRATO)
    with pytest.raises(InputDataError, match=r"running balance 49,900.00 != nSaldoAnterior \+ "
                                             r"movements 49,910.00 \(10.00 apart\)") as err:
        connector(fake).get_trial_balance(PERIOD)
    assert err.value.field == "listaMovimentos[1].nSaldo"


def test_forecast_rows_do_not_move_the_realised_balance(fake):
    """Title 5002 still owes 8,000.00 due 20 March: a Previsto row in the statement."""
    frame = connector(fake).get_trial_balance(PERIOD)
    assert line(frame, "BANK:1001")["debit"] == 200000  # 12,000 + 3,000 received − 4,000 − 9,000 paid


def test_accrual_date_is_a_checked_setting(fake):
    with pytest.raises(ConfigError, match="accrual_date"):
        connector(fake, accrual_date="vencimento")
    frame = connector(fake, accrual_date="registro").get_trial_balance(PERIOD)
    assert "1.01.02" not in set(frame["account"])  # only invoiced titles; 5003's NF is April's


def test_health_check_reports_api_version_and_the_fields_omie_did_not_send(fake):
    status = connector(fake).health_check()
    assert status.ok and status.api_version.startswith("Omie API v1") and status.unread == ()

    class Older(OmieFake):
        def _movimentos(self, param):
            reply = super()._movimentos(param)
            for row in reply.body.get("movimentos", []):
                row["detalhes"].pop("dDtEmissao")
            return reply

    with Older() as older:
        status = connector(older).health_check()
    assert status.ok and status.unread == ("ListarMovimentos: detalhes.dDtEmissao",)
