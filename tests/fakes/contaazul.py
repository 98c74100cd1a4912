"""A fake Conta Azul API v2 (api-v2.contaazul.com + auth.contaazul.com): OAuth2 with rotating
refresh tokens, bearer-protected /v1 routes, {itens_totais, itens} pages that the server may cap,
required data_vencimento_de/ate on buscar (400 {code, message}), observed item shapes — apis.md §2."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from tests.fakes import erp_seed as seed
from tests.fakes.oauth import TokenIssuer
from tests.fakes.server import FakeRequest, FakeServer, Reply, json_number

CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN = "ca-client", "ca-secret-123", "ca-refresh-0"
PAGE_SIZES = {10, 20, 50, 100, 200, 500, 1000}


def category_id(code: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"contaazul/categoria/{code}"))


def bank_id(code: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"contaazul/conta/{code}"))


def title_id(ref: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"contaazul/parcela/{ref}"))


class ContaAzulFake(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.tokens = TokenIssuer(
            client_id=CLIENT_ID, client_secret=CLIENT_SECRET, refresh_token=REFRESH_TOKEN
        )
        self.max_page = 2  # the server caps pages below tamanho_pagina, as observed on /v1/categorias
        # title ref -> [(category code, amount)]: an event split over several categories (rateio)
        self.splits: dict[str, list[tuple[str, Any]]] = {}

    def handle(self, request: FakeRequest) -> Reply:
        if request.path == "/oauth2/token":
            return self.tokens.token(request)
        if not self.tokens.authorized(request):
            return Reply(401, {"code": 401, "message": "The Token has expired."})
        path = request.path
        if path == "/v1/pessoas/conta-conectada":
            return Reply(
                200,
                {
                    "id_empresa": "e1",
                    "documento": "12345678000190",
                    "razao_social": "Exemplo Serviços Ltda",
                    "nome_fantasia": "Exemplo",
                    "email": "fin@exemplo.com.br",
                },
            )
        if path == "/v1/categorias":
            rows = [
                {
                    "id": category_id(code),
                    "versao": 1,
                    "nome": name,
                    "categoria_pai": None,
                    "tipo": "RECEITA" if nature == "R" else "DESPESA",
                    "entrada_dre": "RECEITAS" if nature == "R" else "DESPESAS_ADMINISTRATIVAS",
                    "considera_custo_dre": False,
                }
                for code, (name, nature) in sorted(seed.CATEGORIES.items())
            ]
            return self._page(request, rows)
        if path == "/v1/conta-financeira":
            rows = [
                {
                    "id": bank_id(b.id),
                    "banco": "ITAU",
                    "codigo_banco": 341,
                    "nome": b.name,
                    "ativo": True,
                    "tipo": "CONTA_CORRENTE",
                    "conta_padrao": True,
                    "agencia": "0001",
                    "numero": "12345",
                }
                for b in seed.BANKS
            ]
            return self._page(request, rows)
        if path == "/v1/financeiro/eventos-financeiros/saldo-inicial":
            start = date.fromisoformat(request.arg("data_inicio") or "")
            rows = [
                {
                    "tipo": "RECEITA",
                    "id_conta_financeira": bank_id(b.id),
                    "data_competencia": start.isoformat(),
                    "saldo_inicial": json_number(b.balance_at_end_of(start - timedelta(days=1))),
                }
                for b in seed.BANKS
            ]
            return Reply(200, {"itens_totais": len(rows), "itens": rows})
        for kind, nature in (("contas-a-receber", "R"), ("contas-a-pagar", "P")):
            if path == f"/v1/financeiro/eventos-financeiros/{kind}/buscar":
                return self._buscar(request, nature)
        if path.startswith("/v1/financeiro/eventos-financeiros/parcelas/"):
            return self._parcela(path.rsplit("/", 1)[1])
        return Reply(404, {"code": 404, "message": "Recurso não encontrado"})

    def _page(self, request: FakeRequest, rows: list[dict[str, Any]]) -> Reply:
        page, size = int(request.arg("pagina") or 1), int(request.arg("tamanho_pagina") or 10)
        if size not in PAGE_SIZES:
            return Reply(400, {"code": 400, "message": "tamanho_pagina inválido"})
        size = min(size, self.max_page)
        chunk = rows[(page - 1) * size : page * size]
        return Reply(200, {"itens_totais": len(rows), "itens": chunk, "totais": {"ativo": len(rows)}})

    def _buscar(self, request: FakeRequest, nature: str) -> Reply:
        for required in ("data_vencimento_de", "data_vencimento_ate", "pagina", "tamanho_pagina"):
            if not request.arg(required):
                return Reply(
                    400, {"code": 400, "message": f"O parâmetro obrigatório '{required}' não foi informado."}
                )
        due_from = date.fromisoformat(request.arg("data_vencimento_de") or "")
        due_to = date.fromisoformat(request.arg("data_vencimento_ate") or "")
        comp_to = date.fromisoformat(request.arg("data_competencia_ate") or "9999-12-31")
        rows = []
        for t in seed.TITLES:
            if t.nature != nature or not (due_from <= t.due <= due_to) or t.accrual > comp_to:
                continue
            status = (
                "CANCELED"
                if t.canceled
                else "ACQUITTED"
                if t.paid_total == t.amount
                else "OVERDUE"
                if t.due < date(2024, 3, 31)
                else "PENDING"
            )
            item = {
                "id": title_id(t.ref),
                "descricao": f"Título {t.ref}",
                "total": json_number(t.amount),
                "pago": json_number(t.paid_total),
                "nao_pago": json_number(t.amount - t.paid_total),
                "status": status,
                "status_traduzido": status,
                "data_vencimento": t.due.isoformat(),
                "data_competencia": t.accrual.isoformat(),
                "data_criacao": "2024-11-08T10:22:47.97218",
                "data_alteracao": "2024-11-08T10:22:47.97218",
                "categorias": [
                    {"id": category_id(code), "nome": seed.CATEGORIES[code][0]} for code, _ in self._split(t)
                ],
                "centros_de_custo": [],
                "renegociacao": None,
            }
            item["cliente" if nature == "R" else "fornecedor"] = {"id": None, "nome": t.counterparty}
            rows.append(item)
        if rows:
            self.spoil(rows[0], "total")
        return self._page(request, rows)

    def _split(self, t: seed.SeedTitle) -> list[tuple[str, Any]]:
        return self.splits.get(t.ref, [(t.category, t.amount)])

    def _parcela(self, ident: str) -> Reply:
        title = next((t for t in seed.TITLES if title_id(t.ref) == ident), None)
        if title is None:
            return Reply(404, {"code": 404, "message": "Parcela não encontrada"})
        return Reply(
            200,
            {
                "id": ident,
                "status": "ACQUITTED",
                "valor_composicao": {"valor_bruto": json_number(title.amount)},
                "baixas": [
                    {
                        "data_pagamento": on.isoformat(),
                        "valor_composicao": {
                            "valor_bruto": json_number(amount),
                            "juros": 0,
                            "multa": 0,
                            "desconto": 0,
                            "taxa": 0,
                            "valor_liquido": json_number(amount),
                        },
                        "conta_financeira": {"id": bank_id(seed.BANKS[0].id)},
                        "metodo_pagamento": "PIX",
                    }
                    for on, amount in title.paid
                ],
                "evento": {
                    "data_competencia": title.accrual.isoformat(),
                    "tipo": "RECEITA" if title.nature == "R" else "DESPESA",
                    "rateio": [
                        {
                            "id_categoria": category_id(code),
                            "nome_categoria": seed.CATEGORIES[code][0],
                            "valor": json_number(amount),
                            "rateio_centro_custo": [],
                        }
                        for code, amount in self._split(title)
                    ],
                },
            },
        )
