"""A fake TOTVS REST server (apis.md §4): the Protheus token endpoint /rest/api/oauth2/v1/token
(password and refresh grants, form or query string), RM Gestão Contábil /api/ctb/v1/AccountingPlan
and /AccountingTransactions ({hasNext, items}, page/pageSize; companyId and date required → 502
{code, message, detailedMessage, helpUrl}), /api/framework/v1/Branches, and a customer balancete
route over CT1 + CQ0 (tenantId header "T1,D MG 01") for Protheus."""

from __future__ import annotations

from typing import Any

from tests.fakes.oauth import TokenIssuer
from tests.fakes.server import FakeRequest, FakeServer, Reply, json_number

USERNAME, PASSWORD = "integracao", "totvs-pass-789"
TENANT = "T1,D MG 01"
COMPANY_ID = 1

# code | description | analytic | nature | cost center | opening | debit | credit | closing (cents)
SEED_GL: tuple[tuple[str, str, bool, str, str, int, int, int, int], ...] = (
    ("1", "ATIVO", False, "1", "", 0, 0, 0, 0),
    ("1.1.01.001", "Caixa", True, "1", "", 150000, 80000, 30000, 200000),
    ("1.1.02.001", "Clientes", True, "1", "", 500000, 300000, 250000, 550000),
    ("2", "PASSIVO", False, "2", "", 0, 0, 0, 0),
    ("2.1.01.001", "Fornecedores", True, "2", "", -200000, 100000, 150000, -250000),
    ("2.3.01.001", "Capital social", True, "2", "", -400000, 0, 0, -400000),
    ("3.1.01.001", "Receita de vendas", True, "2", "", -100000, 0, 300000, -400000),
    ("4.1.01.001", "Despesas gerais", True, "1", "CC01", 50000, 250000, 0, 300000),
)


def error(status: int, message: str) -> Reply:
    return Reply(
        status,
        {
            "code": str(status),
            "message": message,
            "detailedMessage": message,
            "helpUrl": "https://tdn.totvs.com",
            "details": [],
        },
    )


def money(cents: int) -> Any:
    return json_number(cents / 100) if cents % 100 else cents // 100


class TotvsFake(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.tokens = TokenIssuer(client_id="", client_secret="", username=USERNAME, password=PASSWORD)

    def handle(self, request: FakeRequest) -> Reply:
        path = request.path.removeprefix("/rest")
        if path == "/api/oauth2/v1/token":
            return self.tokens.token(request, require_client=False)
        if not self.tokens.authorized(request):
            return error(401, "Token inválido ou expirado")
        if path == "/api/framework/v1/Branches":
            return self._paged(
                request,
                [
                    {
                        "CompanyId": COMPANY_ID,
                        "BranchId": 1,
                        "Alias": "MATRIZ",
                        "Name": "Exemplo Indústria S.A.",
                    }
                ],
            )
        if path == "/api/ctb/v1/AccountingPlan":
            return self._paged(
                request,
                [
                    {
                        "id": f"{COMPANY_ID}|{code}",
                        "companyId": COMPANY_ID,
                        "code": code,
                        "reduced": "",
                        "description": name,
                        "analytics": analytic,
                        "nature": nature,
                        "inactive": False,
                    }
                    for code, name, analytic, nature, *_ in SEED_GL
                ],
            )
        if path == "/api/ctb/v1/AccountingTransactions":
            if not request.arg("companyId") or not request.arg("date"):
                return error(
                    502,
                    "São obrigatórios filtros para codColigada (companyId) e Periodo de "
                    "Movimentação Contábil (date)",
                )
            items = [
                {
                    "id": f"{code}|{request.arg('date')}",
                    "companyId": COMPANY_ID,
                    "branchId": 1,
                    "account": code,
                    "currency": "R$",
                    "date": f"{request.arg('date')}T00:00:00-03:00",
                    "value": money(closing),
                    "debitValue": money(debit),
                    "creditValue": money(credit),
                    "costCenterCode": cc,
                    "natureAccount": nature,
                }
                for code, _, analytic, nature, cc, _o, debit, credit, closing in SEED_GL
                if analytic
            ]
            if items:
                self.spoil(items[0], "debitValue")
            return self._paged(request, items)
        if path == "/api/ctb/v1/balancete":
            if request.headers.get("tenantid") != TENANT:
                return error(400, "tenantId inválido")
            items = [
                {
                    "conta": code,
                    "descricao": name,
                    "classe": "2" if analytic else "1",
                    "normal": nature,
                    "centroCusto": cc,
                    "saldoAnterior": money(opening),
                    "debito": money(debit),
                    "credito": money(credit),
                    "saldoAtual": money(closing),
                }
                for code, name, analytic, nature, cc, opening, debit, credit, closing in SEED_GL
            ]
            self.spoil(items[1], "saldoAtual")
            return self._paged(request, items)
        return error(404, "Recurso não encontrado")

    @staticmethod
    def _paged(request: FakeRequest, rows: list[dict[str, Any]]) -> Reply:
        page, size = int(request.arg("page") or 1), int(request.arg("pageSize") or 10)
        chunk = rows[(page - 1) * size : page * size]
        return Reply(200, {"hasNext": page * size < len(rows), "items": chunk})
