"""A fake TOTVS server: RM Gestão Contábil at the root, Protheus REST under ``/rest``.

Built from the published specs (field map and sources: ``connectors/totvs.md``):

* RM token ``POST /api/connect/token`` with a JSON body ``{"grant_type": "password", "username",
  "password"}`` → ``{access_token, expires_in: 300, refresh_token, token_type: "Bearer"}``
  (TDN pageId=539528505 and pageId=931597369); anything but a JSON body is refused.
* RM ``GET /api/framework/v1/Branches`` → ``{hasNext, items: [BranchType]}`` of the standard
  message Branch 2.003 (totvs/ttalk-standard-message@2706caa jsonschema/schemas/Branch_2_003.json:
  ``BranchInternalId`` "CompanyID|BranchID", ``CompanyCode``, ``Code``, ``Description``, ``Title``,
  ``CGC`` … every field a string).
* RM ``GET /api/ctb/v1/AccountingPlan`` → AccountingPlanInfo items (schemas/AccountingPlan_1_000.json:
  ``companyId``, ``analytics``, ``nature``, ``inactive`` are integers). No ``companyId`` filter
  (the spec has none): every company's accounts come back.
* RM ``GET /api/ctb/v1/AccountingTransactions?companyId=&date=`` → AccountingTransactionsInfo items
  (schemas/AccountingTransactions_1_000.json); ``companyId`` and ``date`` required, else 502 with
  the ErrorModel and the text the spec publishes. TOTVS does not publish the semantics: this fake
  implements the reading documented in ``connectors/totvs.py`` — ``date`` is the range
  ``YYYY-MM-DD,YYYY-MM-DD`` (anything else: 502), one row per account × branch × cost centre ×
  day with that day's ``debitValue``/``creditValue``, and ``value`` the balance after the day
  (``value_meaning = "balance"``) or the day's debit − credit (``"movement"``), so tests can show
  the connector catching an ERP whose ``value`` means something else.
* Protheus token ``POST /rest/api/oauth2/v1/token?grant_type=password&username=&password=`` and
  ``?grant_type=refresh_token&refresh_token=`` — parameters in the query string only (TDN
  pageId=465383509) → ``{access_token, refresh_token, scope, token_type, expires_in}``.
* Protheus customer balancete ``GET /rest/api/ctb/v1/balancete`` (CT1 + CQ0 aggregates,
  ``tenantId`` header ``"T1,D MG 01"``), not a published API: the shape is this project's contract
  with the customer's endpoint (``connectors/totvs.md``).

Errors use the TOTVS API guide's ErrorModel ``{code, message, detailedMessage, helpUrl, details}``
(totvsApiTypesBase.json). The books (``JOURNAL``) are one small company founded in February 2024;
its March 2024 trial balance is ``SEED_GL``.
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from connectors.fakes.oauth import TokenIssuer
from connectors.fakes.server import FakeRequest, FakeServer, Reply, json_number

USERNAME, PASSWORD = "integracao", "totvs-pass-789"
TENANT = "T1,D MG 01"
COMPANY_ID = 1
RM_TOKEN_PATH = "/api/connect/token"
PROTHEUS_TOKEN_PATH = "/rest/api/oauth2/v1/token"

# code → (description, analytics 0/1, nature 0 devedora / 1 credora)
ACCOUNTS: dict[str, tuple[str, int, int]] = {
    "1": ("ATIVO", 0, 0),
    "1.1.01.001": ("Caixa", 1, 0),
    "1.1.02.001": ("Clientes", 1, 0),
    "2": ("PASSIVO", 0, 1),
    "2.1.01.001": ("Fornecedores", 1, 1),
    "2.3.01.001": ("Capital social", 1, 1),
    "3": ("RECEITAS", 0, 1),
    "3.1.01.001": ("Receita de vendas", 1, 1),
    "4": ("DESPESAS", 0, 0),
    "4.1.01.001": ("Despesas gerais", 1, 0),
}


@dataclass(frozen=True)
class Posting:
    """One partida: an account debited (+) or credited (−) on a day, in cents."""

    day: date
    account: str
    cents: int
    branch: int = 1
    cost_center: str = ""


def _entry(day: date, *legs: tuple[str, int], branch: int = 1) -> list[Posting]:
    assert sum(c for _, c in legs) == 0, "an entry balances"
    return [Posting(day, a, c, branch, "CC01" if a.startswith("4") else "") for a, c in legs]


JOURNAL: tuple[Posting, ...] = tuple(itertools.chain(
    _entry(date(2024, 2, 1), ("1.1.01.001", 400000), ("2.3.01.001", -400000)),
    _entry(date(2024, 2, 15), ("1.1.02.001", 100000), ("3.1.01.001", -100000)),
    _entry(date(2024, 2, 16), ("4.1.01.001", 50000), ("2.1.01.001", -50000)),
    _entry(date(2024, 2, 20), ("1.1.02.001", 400000), ("1.1.01.001", -250000),
           ("2.1.01.001", -150000)),
    _entry(date(2024, 3, 5), ("1.1.02.001", 300000), ("3.1.01.001", -300000)),
    _entry(date(2024, 3, 12), ("4.1.01.001", 150000), ("2.1.01.001", -150000)),
    _entry(date(2024, 3, 14), ("2.1.01.001", 100000), ("1.1.02.001", -100000)),
    _entry(date(2024, 3, 20), ("1.1.01.001", 80000), ("1.1.02.001", -80000)),
    _entry(date(2024, 3, 25), ("4.1.01.001", 100000), ("1.1.01.001", -30000),
           ("1.1.02.001", -70000), branch=2),
    _entry(date(2024, 4, 3), ("1.1.01.001", 70000), ("3.1.01.001", -70000)),  # after March
))

# account | description | analytic | cost centre | opening | debit | credit | closing (cents), 2024-03
SEED_GL: tuple[tuple[str, str, bool, str, int, int, int, int], ...] = (
    ("1.1.01.001", "Caixa", True, "", 150000, 80000, 30000, 200000),
    ("1.1.02.001", "Clientes", True, "", 500000, 300000, 250000, 550000),
    ("2.1.01.001", "Fornecedores", True, "", -200000, 100000, 150000, -250000),
    ("2.3.01.001", "Capital social", True, "", -400000, 0, 0, -400000),
    ("3.1.01.001", "Receita de vendas", True, "", -100000, 0, 300000, -400000),
    ("4.1.01.001", "Despesas gerais", True, "CC01", 50000, 250000, 0, 300000),
)


def error(status: int, message: str) -> Reply:
    """TOTVS API guide ErrorModel (totvsApiTypesBase.json#/definitions/ErrorModel)."""
    return Reply(status, {"code": str(status), "message": message, "detailedMessage": message,
                          "helpUrl": "https://tdn.totvs.com", "details": []})


def money(cents: int) -> Any:
    return json_number(cents / 100) if cents % 100 else cents // 100


def _range(text: str | None) -> tuple[date, date] | None:
    """The ``date`` parameter as this fake reads it: ``YYYY-MM-DD,YYYY-MM-DD``."""
    try:
        first, last = (date.fromisoformat(p) for p in (text or "").split(","))
    except ValueError:
        return None
    return (first, last) if first <= last else None


class TotvsFake(FakeServer):
    """RM at ``/api/...``, Protheus at ``/rest/api/...``; separate token issuers."""

    def __init__(self) -> None:
        super().__init__()
        self.tokens = TokenIssuer(client_id="", client_secret="", username=USERNAME,
                                  password=PASSWORD)  # Protheus
        self.rm_tokens: set[str] = set()
        self._rm_ids = itertools.count(1)
        self.journal: list[Posting] = list(JOURNAL)
        self.value_meaning = "balance"

    def handle(self, request: FakeRequest) -> Reply:
        if request.path.startswith("/rest/"):
            return self._protheus(request, request.path.removeprefix("/rest"))
        return self._rm(request)

    # -- RM ---------------------------------------------------------------------------------

    def _rm(self, request: FakeRequest) -> Reply:
        path = request.path.rstrip("/")
        if path == RM_TOKEN_PATH:
            return self._rm_token(request)
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if token not in self.rm_tokens:
            return error(401, "Token inválido ou expirado")
        if path == "/api/framework/v1/Branches":
            return self._paged(request, [
                {"BranchInternalId": f"{COMPANY_ID}|1", "CompanyCode": str(COMPANY_ID),
                 "Code": "1", "Description": "Aurora Indústria S.A. - Matriz",
                 "Title": "AURORA MATRIZ", "CGC": "12.345.678/0001-90", "State": "SP",
                 "City": "São Paulo", "ZipCode": "01310-100"},
                {"BranchInternalId": f"{COMPANY_ID}|2", "CompanyCode": str(COMPANY_ID),
                 "Code": "2", "Description": "Aurora Indústria S.A. - Filial Campinas",
                 "Title": "AURORA CAMPINAS", "CGC": "12.345.678/0002-71", "State": "SP",
                 "City": "Campinas", "ZipCode": "13010-000"},
                {"BranchInternalId": "2|1", "CompanyCode": "2", "Code": "1",
                 "Description": "Outra Coligada Ltda.", "Title": "OUTRA", "CGC": "98.765.432/0001-10"},
            ])
        if path == "/api/ctb/v1/AccountingPlan":
            items = [{"id": f"{COMPANY_ID}|{code}", "companyId": COMPANY_ID, "code": code,
                      "reduced": "", "description": name, "analytics": analytics,
                      "nature": nature, "apportionment": 0, "inactive": 0}
                     for code, (name, analytics, nature) in ACCOUNTS.items()]
            items.append({"id": "2|1.1.01.001", "companyId": 2, "code": "1.1.01.001",
                          "reduced": "", "description": "Caixa (outra coligada)", "analytics": 1,
                          "nature": 0, "apportionment": 0, "inactive": 0})
            return self._paged(request, items)
        if path == "/api/ctb/v1/AccountingTransactions":
            span = _range(request.arg("date"))
            if not request.arg("companyId") or span is None:
                return error(502, "São obrigatórios  filtros para codColigada (companyId) e Periodo "
                             "de Movimentação Contábil (date), informe-os e tente novamente.")
            items = (self._transactions(*span) if request.arg("companyId") == str(COMPANY_ID)
                     else [])
            if items:
                self.spoil(items[0], "debitValue")
            return self._paged(request, items)
        return error(404, "Recurso não encontrado")

    def _rm_token(self, request: FakeRequest) -> Reply:
        if "json" not in request.headers.get("content-type", ""):
            return error(400, "O corpo da requisição deve ser um JSON com username e password")
        try:
            body = json.loads(request.body or b"null")
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return error(400, "O corpo da requisição deve ser um JSON com username e password")
        if (body.get("username"), body.get("password")) != (USERNAME, PASSWORD):
            return error(401, "Usuário ou senha inválidos")
        n = next(self._rm_ids)
        self.rm_tokens.add(f"rm-access-{n}")
        return Reply(200, {"access_token": f"rm-access-{n}", "expires_in": 300,
                           "refresh_token": f"rm-refresh-{n}", "token_type": "Bearer"})

    def expire_rm_tokens(self) -> None:
        self.rm_tokens.clear()

    def _transactions(self, first: date, last: date) -> list[dict[str, Any]]:
        """One row per account × branch × cost centre × day, with the balance after the day."""
        days: dict[tuple[str, int, str, date], list[int]] = defaultdict(lambda: [0, 0])
        for p in self.journal:
            if p.day <= last:
                cell = days[(p.account, p.branch, p.cost_center, p.day)]
                cell[0 if p.cents > 0 else 1] += abs(p.cents)
        rows, balance = [], defaultdict(int)
        for (account, branch, cc, day), (debit, credit) in sorted(days.items(),
                                                                  key=lambda kv: kv[0][3]):
            balance[(account, branch, cc)] += debit - credit
            if day < first:
                continue
            value = (balance[(account, branch, cc)] if self.value_meaning == "balance"
                     else debit - credit)
            rows.append({"id": f"{COMPANY_ID}|{branch}|{account}|{cc}|{day}",
                         "companyId": COMPANY_ID, "branchId": branch, "account": account,
                         "currency": "R$", "date": f"{day.isoformat()}T00:00:00-03:00",
                         "value": money(value), "creditValue": money(credit),
                         "debitValue": money(debit), "costCenterCode": cc, "natureAccount": 0})
        return sorted(rows, key=lambda r: (r["account"], r["branchId"], r["date"]))

    # -- Protheus ---------------------------------------------------------------------------

    def _protheus(self, request: FakeRequest, path: str) -> Reply:
        if path == "/api/oauth2/v1/token":
            if request.body or not request.arg("grant_type"):
                return Reply(400, {"code": 400, "message": "grant_type, username e password são "
                                   "informados na query string"})
            return self.tokens.token(request, require_client=False)
        if not self.tokens.authorized(request):
            return error(401, "Token inválido ou expirado")
        if path == "/api/ctb/v1/balancete":
            if request.headers.get("tenantid") != TENANT:
                return error(400, "tenantId inválido")
            try:
                first = date(*map(int, _ymd(request.arg("dataInicial"))))
                last = date(*map(int, _ymd(request.arg("dataFinal"))))
            except (TypeError, ValueError):
                return error(400, "dataInicial e dataFinal (AAAAMMDD) são obrigatórias")
            items = self._balancete(first, last)
            if len(items) > 1:
                self.spoil(items[1], "saldoAtual")
            return self._paged(request, items)
        return error(404, "Recurso não encontrado")

    def _balancete(self, first: date, last: date) -> list[dict[str, Any]]:
        """CT1 + CQ0 aggregates: saldo anterior, débito and crédito of the range, saldo atual."""
        sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
        for p in self.journal:
            if p.day > last:
                continue
            for code in (p.account, p.account.split(".")[0]):  # the synthetic parent too
                cell = sums[(code, p.cost_center if code == p.account else "")]
                if p.day < first:
                    cell[0] += p.cents
                else:
                    cell[1 if p.cents > 0 else 2] += abs(p.cents)
        return [{"conta": code, "descricao": ACCOUNTS[code][0],
                 "classe": "2" if ACCOUNTS[code][1] else "1",
                 "normal": "1" if ACCOUNTS[code][2] == 0 else "2", "centroCusto": cc,
                 "saldoAnterior": money(o), "debito": money(d), "credito": money(c),
                 "saldoAtual": money(o + d - c)}
                for (code, cc), (o, d, c) in sorted(sums.items())]

    @staticmethod
    def _paged(request: FakeRequest, rows: list[dict[str, Any]]) -> Reply:
        page, size = int(request.arg("page") or 1), int(request.arg("pageSize") or 10)
        chunk = rows[(page - 1) * size : page * size]
        return Reply(200, {"hasNext": page * size < len(rows), "items": chunk})


def _ymd(text: str | None) -> tuple[str, str, str]:
    value = text or ""
    if len(value) != 8 or not value.isdigit():
        raise ValueError(value)
    return value[:4], value[4:6], value[6:]
