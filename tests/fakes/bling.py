"""A fake Bling API v3 (api.bling.com.br/Api/v3): OAuth2 with rotating refresh tokens, {"data": [...]}
lists paged by pagina/limite (≤ 100) with no total, 400 for a date window over one year, details
per title, /caixas cash movements with debCred, 3 req/s limit → 429 TOO_MANY_REQUESTS — apis.md §3."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.fakes import erp_seed as seed
from tests.fakes.oauth import TokenIssuer
from tests.fakes.server import FakeRequest, FakeServer, Reply, json_number

CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN = "bling-client", "bling-secret-456", "bling-refresh-0"
PREFIX = "/Api/v3"


def category_id(code: str) -> int:
    return int(code.replace(".", ""))


def error(status: int, kind: str, message: str) -> Reply:
    return Reply(status, {"error": {"type": kind, "message": message, "description": message}})


class BlingFake(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.tokens = TokenIssuer(
            client_id=CLIENT_ID, client_secret=CLIENT_SECRET, refresh_token=REFRESH_TOKEN, expires_in=21600
        )

    def handle(self, request: FakeRequest) -> Reply:
        path = request.path.removeprefix(PREFIX)
        if path == "/oauth/token":
            return self.tokens.token(request)
        if not self.tokens.authorized(request):
            return error(401, "UNAUTHORIZED", "invalid_token")
        if path == "/empresas/me/dados-basicos":
            return Reply(
                200,
                {
                    "data": {
                        "id": "436c56a5679921f5f13a3d6433561773",
                        "nome": "Exemplo Serviços Ltda",
                        "cnpj": "12.345.678/0001-90",
                        "email": "fin@exemplo.com.br",
                        "dataContrato": "2024-12-31",
                    }
                },
            )
        if path == "/categorias/receitas-despesas":
            rows = [
                {
                    "id": category_id(code),
                    "idCategoriaPai": 0,
                    "descricao": name,
                    "tipo": 2 if nature == "R" else 1,
                }
                for code, (name, nature) in sorted(seed.CATEGORIES.items())
            ]
            return self._page(request, rows)
        if path == "/contas-contabeis":
            return self._page(request, [{"id": int(b.id), "descricao": b.name} for b in seed.BANKS])
        if path == "/caixas":
            return self._caixas(request)
        for kind, nature in (("receber", "R"), ("pagar", "P")):
            if path == f"/contas/{kind}":
                return self._contas(request, nature)
            if path.startswith(f"/contas/{kind}/"):
                return self._detail(path.rsplit("/", 1)[1], nature)
        return error(404, "RESOURCE_NOT_FOUND", "Recurso não encontrado")

    @staticmethod
    def _page(request: FakeRequest, rows: list[dict[str, Any]]) -> Reply:
        page, limit = int(request.arg("pagina") or 1), int(request.arg("limite") or 100)
        if limit > 100:
            return error(400, "VALIDATION_ERROR", "limite máximo é 100")
        return Reply(200, {"data": rows[(page - 1) * limit : page * limit]})

    @staticmethod
    def _window(request: FakeRequest, start_key: str, end_key: str) -> tuple[date, date] | Reply:
        try:
            start = date.fromisoformat(request.arg(start_key) or "")
            end = date.fromisoformat(request.arg(end_key) or "")
        except ValueError:
            return error(400, "MISSING_REQUIRED_FIELD_ERROR", f"{start_key}/{end_key} obrigatórios")
        if (end - start).days > 366:
            return error(400, "VALIDATION_ERROR", "O intervalo de datas não pode ser maior que 1 ano")
        return start, end

    @staticmethod
    def _situacao(t: seed.SeedTitle) -> int:
        return 5 if t.canceled else 2 if t.paid_total == t.amount else 3 if t.paid else 1

    def _contas(self, request: FakeRequest, nature: str) -> Reply:
        keys = ("dataInicial", "dataFinal") if nature == "R" else ("dataEmissaoInicial", "dataEmissaoFinal")
        window = self._window(request, *keys)
        if isinstance(window, Reply):
            return window
        rows = []
        for t in seed.TITLES:
            if t.nature == nature and window[0] <= t.accrual <= window[1]:
                row = {
                    "id": int(t.ref),
                    "situacao": self._situacao(t),
                    "vencimento": t.due.isoformat(),
                    "valor": json_number(t.amount),
                    "contato": {"id": 1, "nome": t.counterparty},
                    "formaPagamento": {"id": 1},
                }
                if nature == "R":
                    row["dataEmissao"] = t.accrual.isoformat()
                rows.append(row)
        return self._page(request, rows)

    def _detail(self, ident: str, nature: str) -> Reply:
        t = next((t for t in seed.TITLES if t.ref == ident and t.nature == nature), None)
        if t is None:
            return error(404, "RESOURCE_NOT_FOUND", "Conta não encontrada")
        data = {
            "id": int(t.ref),
            "situacao": self._situacao(t),
            "vencimento": t.due.isoformat(),
            "valor": json_number(t.amount),
            "saldo": json_number(t.amount - t.paid_total),
            "dataEmissao": t.accrual.isoformat(),
            "vencimentoOriginal": t.due.isoformat(),
            "competencia": t.accrual.isoformat(),
            "historico": "",
            "contato": {"id": 1, "nome": t.counterparty},
            "portador": {"id": int(seed.BANKS[0].id)},
            "categoria": {"id": category_id(t.category)},
            "borderos": [],
            "ocorrencia": {"tipo": 1},
        }
        self.spoil(data, "valor")
        return Reply(200, {"data": data})

    def _caixas(self, request: FakeRequest) -> Reply:
        window = self._window(request, "dataInicial", "dataFinal")
        if isinstance(window, Reply):
            return window
        rows = []
        for n, (on, bank, amount, title) in enumerate(seed.cash_movements(), start=1):
            if window[0] <= on <= window[1]:
                rows.append(
                    {
                        "id": 9000 + n,
                        "data": on.isoformat(),
                        "descricao": "Movimento",
                        "valor": json_number(abs(amount)),
                        "debCred": "C" if amount > 0 else "D",
                        "situacao": 1,
                        "contaFinanceira": {"id": int(bank), "descricao": "Conta Itaú"},
                        "categoria": {"id": category_id(title.category) if title else 0},
                        "origem": {
                            "id": int(title.ref) if title else 0,
                            "tipo": ("conta_receber" if title.nature == "R" else "conta_pagar")
                            if title
                            else "manual",
                        },
                    }
                )
        return self._page(request, rows)
