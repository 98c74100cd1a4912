"""A fake Bling API v3 (api.bling.com.br/Api/v3), built from the published reference.

Sources (every shape below is taken from them, not from our connector):

* developer.bling.com.br/referencia, as transcribed field by field by the maintained SDK
  [repo AlexandreBellas/bling-erp-api-js@1dc80b97 (borderôs, contas a receber/pagar, categorias,
  contas contábeis, empresas, error interface) and @6ae9b9a0 (caixas)], each entity linking its
  reference page; ``tests/fakes/schemas/bling.json`` holds the same shapes as JSON Schema and
  ``tests/connectors/test_contract_bling.py`` checks every reply against it.
* limits and error types: developer.bling.com.br/limites and /erros-comuns (apis.md §3.3):
  3 requests per second per account → HTTP 429 ``TOO_MANY_REQUESTS``; a date window longer than
  one year → 400; ``limite`` at most 100.

What the fake serves, from ``connectors/fakes/erp_seed.py``:

* OAuth2 with rotating refresh tokens (``/oauth/token``, Basic client credentials).
* ``{"data": [...]}`` lists paged by ``pagina``/``limite`` with no total.
* ``/contas/receber`` and ``/contas/pagar`` lists (list items carry no category) and details
  (``categoria`` optional, ``borderos[]`` the ids of the title's payments).
* one borderô per payment (``/borderos/{id}``: ``data``, ``pagamentos[]`` with ``contato``,
  ``numeroDocumento``, ``valorPago``, ``juros``, ``desconto``, ``acrescimo``, ``tarifa``).
* ``/caixas``: the bank's movements, ``debCred`` C/D, ``situacao`` R, ``origem.tipo`` one of
  ``caixa``/``duplicata``/``bordero``/``estoque``: the opening deposit is a ``caixa`` entry,
  each payment a ``bordero`` movement naming its borderô.

Knobs for tests: ``rate_limit`` (requests per second, ``None`` to switch the limit off),
``uncategorised`` (title refs served without ``categoria``), ``missing_cash`` (title refs whose
payment movements are left out of ``/caixas``: the bank never saw the money), ``interest``
(title ref → ``juros`` paid on top of each payment: in ``valorPago`` and in the movement).
"""

from __future__ import annotations

import zlib
from collections import deque
from datetime import date
from decimal import Decimal
from typing import Any

from connectors.fakes import erp_seed as seed
from connectors.fakes.oauth import TokenIssuer
from connectors.fakes.server import FakeRequest, FakeServer, Reply, json_number

CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN = "bling-client", "bling-secret-456", "bling-refresh-0"
PREFIX = "/Api/v3"
RATE_LIMIT = 3.0  # requests per second per Bling account (developer.bling.com.br/limites)


def category_id(code: str) -> int:
    return int(code.replace(".", ""))


def contact_id(name: str) -> int:
    return 10_000_000 + zlib.crc32(name.encode()) % 1_000_000


def document(t: seed.SeedTitle) -> str:
    return f"NF-{t.ref}"


def bordero_id(t: seed.SeedTitle, n: int) -> int:
    """The borderô of the title's n-th payment (one borderô per baixa, as POST …/baixar makes)."""
    return int(t.ref) * 10 + n + 1


def error(status: int, kind: str, message: str) -> Reply:
    return Reply(status, {"error": {"type": kind, "message": message, "description": message}})


class BlingFake(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.tokens = TokenIssuer(
            client_id=CLIENT_ID, client_secret=CLIENT_SECRET, refresh_token=REFRESH_TOKEN, expires_in=21600
        )
        self.rate_limit: float | None = RATE_LIMIT
        self.uncategorised: set[str] = set()
        self.missing_cash: set[str] = set()
        self.interest: dict[str, Decimal] = {}  # title ref → juros paid with each of its payments
        self.rejected = 0  # requests answered 429
        self._recent: deque[float] = deque()

    def _throttled(self, request: FakeRequest) -> bool:
        """At most ``rate_limit`` API requests in any one-second window."""
        if self.rate_limit is None:
            return False
        while self._recent and request.at - self._recent[0] >= 1.0:
            self._recent.popleft()
        if len(self._recent) >= self.rate_limit:
            self.rejected += 1
            return True
        self._recent.append(request.at)
        return False

    def handle(self, request: FakeRequest) -> Reply:
        path = request.path.removeprefix(PREFIX)
        if path == "/oauth/token":
            return self.tokens.token(request)
        if not self.tokens.authorized(request):
            return error(401, "UNAUTHORIZED", "invalid_token")
        with self._lock:
            throttled = self._throttled(request)
        if throttled:
            return error(429, "TOO_MANY_REQUESTS", "Limite de requisições atingido")
        if path == "/empresas/me/dados-basicos":
            return Reply(200, {"data": {
                "id": "436c56a5679921f5f13a3d6433561773",
                "nome": "Exemplo Serviços Ltda",
                "cnpj": "12.345.678/0001-90",
                "email": "fin@exemplo.com.br",
                "dataContrato": "2024-12-31",
            }})
        if path == "/categorias/receitas-despesas":
            rows = [{"id": category_id(code), "idCategoriaPai": 0, "descricao": name,
                     "tipo": 2 if nature == "R" else 1}  # 1 despesa, 2 receita
                    for code, (name, nature) in sorted(seed.CATEGORIES.items())]
            return self._page(request, rows)
        if path == "/contas-contabeis":
            return self._page(request, [{"id": int(b.id), "descricao": b.name} for b in seed.BANKS])
        if path == "/caixas":
            return self._caixas(request)
        if path.startswith("/borderos/"):
            return self._bordero(path.rsplit("/", 1)[1])
        for kind, nature in (("receber", "R"), ("pagar", "P")):
            if path == f"/contas/{kind}":
                return self._contas(request, nature)
            if path.startswith(f"/contas/{kind}/"):
                return self._detail(path.rsplit("/", 1)[1], nature)
        return error(404, "RESOURCE_NOT_FOUND", "Recurso não encontrado")

    @staticmethod
    def _page(request: FakeRequest, rows: list[dict[str, Any]], *, sized: bool = True) -> Reply:
        """One page; ``sized=False``: the endpoint publishes no ``limite`` (its pages hold 100)."""
        page = int(request.arg("pagina") or 1)
        limit = int(request.arg("limite") or 100) if sized else 100
        if not 1 <= limit <= 100:
            return error(400, "VALIDATION_ERROR", "limite deve estar entre 1 e 100")
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
        """1 em aberto, 2 recebido/pago, 3 parcialmente, 5 cancelado."""
        return 5 if t.canceled else 2 if t.paid_total == t.amount else 3 if t.paid else 1

    def _contato(self, t: seed.SeedTitle) -> dict[str, Any]:
        return {"id": contact_id(t.counterparty), "nome": t.counterparty, "numeroDocumento": "12345678910",
                "tipo": "J"}

    def _contas(self, request: FakeRequest, nature: str) -> Reply:
        keys = ("dataInicial", "dataFinal") if nature == "R" else ("dataEmissaoInicial", "dataEmissaoFinal")
        window = self._window(request, *keys)
        if isinstance(window, Reply):
            return window
        rows = []
        for t in seed.TITLES:
            if t.nature == nature and window[0] <= t.accrual <= window[1]:
                row: dict[str, Any] = {"id": int(t.ref), "situacao": self._situacao(t),
                                       "vencimento": t.due.isoformat(), "valor": json_number(t.amount)}
                if nature == "R":  # the receivables list adds these (SDK contasReceber IGetResponse)
                    row.update(dataEmissao=t.accrual.isoformat(), contato=self._contato(t),
                               formaPagamento={"id": 1, "codigoFiscal": 15})
                else:
                    row.update(contato={"id": contact_id(t.counterparty)}, formaPagamento={"id": 1})
                rows.append(row)
        return self._page(request, rows)

    def _detail(self, ident: str, nature: str) -> Reply:
        t = next((t for t in seed.TITLES if t.ref == ident and t.nature == nature), None)
        if t is None:
            return error(404, "RESOURCE_NOT_FOUND", "Conta não encontrada")
        data: dict[str, Any] = {
            "id": int(t.ref),
            "situacao": self._situacao(t),
            "vencimento": t.due.isoformat(),
            "valor": json_number(t.amount),
            "contato": self._contato(t) if nature == "R" else {"id": contact_id(t.counterparty)},
            "formaPagamento": {"id": 1},
            "saldo": json_number(t.amount - t.paid_total),
            "dataEmissao": t.accrual.isoformat(),
            "vencimentoOriginal": t.due.isoformat(),
            "numeroDocumento": document(t),
            "competencia": t.accrual.isoformat(),
            "historico": "",
            "numeroBanco": "",
            "portador": {"id": int(seed.BANKS[0].id)},
            "borderos": [bordero_id(t, n) for n in range(len(t.paid))],
            "ocorrencia": {"tipo": 1},
        }
        if t.ref not in self.uncategorised:
            data["categoria"] = {"id": category_id(t.category)}
        self.spoil(data, "valor")
        return Reply(200, {"data": data})

    def _interest(self, t: seed.SeedTitle) -> Decimal:
        return self.interest.get(t.ref, Decimal(0))

    def _bordero(self, ident: str) -> Reply:
        for t in seed.TITLES:
            for n, (on, amount) in enumerate(t.paid):
                if str(bordero_id(t, n)) == ident:
                    return Reply(200, {"data": {
                        "id": int(ident), "data": on.isoformat(),
                        "historico": f"Baixa do título {document(t)}",
                        "portador": {"id": int(seed.BANKS[0].id)},
                        "categoria": {"id": category_id(t.category)},
                        "pagamentos": [{"contato": {"id": contact_id(t.counterparty)},
                                        "numeroDocumento": document(t),
                                        "valorPago": json_number(amount + self._interest(t)),
                                        "juros": json_number(self._interest(t)), "desconto": 0,
                                        "acrescimo": 0, "tarifa": 0}],
                    }})
        return error(404, "RESOURCE_NOT_FOUND", "Borderô não encontrado")

    def _caixas(self, request: FakeRequest) -> Reply:
        window = self._window(request, "dataInicial", "dataFinal")
        if isinstance(window, Reply):
            return window
        bank = seed.BANKS[0]
        moves: list[dict[str, Any]] = [{
            "id": "9000", "debCred": "C", "situacao": "R", "valor": json_number(bank.initial),
            "data": bank.since.isoformat(), "observacoes": "", "descricao": "Saldo inicial",
            "origem": {"id": 9000, "tipo": "caixa"}}]
        for t in seed.TITLES:
            if t.canceled or t.ref in self.missing_cash:
                continue
            for n, (on, amount) in enumerate(t.paid):
                moves.append({
                    "id": str(9_000_000 + bordero_id(t, n)), "debCred": "C" if t.nature == "R" else "D",
                    "situacao": "R", "valor": json_number(amount + self._interest(t)),
                    "data": on.isoformat(),
                    "observacoes": "", "descricao": f"Baixa {document(t)}",
                    "origem": {"id": bordero_id(t, n), "tipo": "bordero"},
                    "contato": {"id": contact_id(t.counterparty), "nome": t.counterparty,
                                "cnpj": "30188025000121"}})
        rows = [{**m, "contaFinanceira": {"id": int(bank.id), "descricao": bank.name}}
                for m in sorted(moves, key=lambda m: m["data"])
                if window[0] <= date.fromisoformat(m["data"]) <= window[1]]
        return self._page(request, rows, sized=False)
