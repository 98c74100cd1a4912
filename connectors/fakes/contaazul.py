"""A fake Conta Azul API v2 (api-v2.contaazul.com + auth.contaazul.com), built from the spec.

Sources (every shape below is taken from them, not from our connector):

* the published "Financeiro" OpenAPI of developers.contaazul.com, mirrored at
  [repo api-evangelist/conta-azul:openapi/_original/conta-azul-financial-openapi.yml@f0e32581]:
  paths, required parameters, enumerations (``tamanho_pagina``, ``status``,
  ``Parcela.status``, ``SaldoInicialContaFinanceira.tipo``, ``ContaFinanceira.banco/tipo``) and
  schemas (``ContaAReceber``, ``ContaAPagar``, ``Parcela``, ``Baixa``, ``Evento``, ``Rateio``,
  ``SaldoInicialContaFinanceira``, ``TransferenciaContaFinanceira``). The JSON Schemas in
  ``tests/fakes/schemas/contaazul.json`` are written from it and
  ``tests/connectors/test_contract_contaazul.py`` checks every reply against them.
* what the spec leaves open, as observed live (apis.md §2.3–2.6): list items carry the English
  ``status`` (``ACQUITTED``, ``PENDING``, ``OVERDUE``, ``CANCELED``) beside ``status_traduzido``;
  servers return fewer items per page than asked (seen on ``/v1/categorias``); errors are
  ``{"code", "message"}``.

What it serves, from ``connectors/fakes/erp_seed.py``: OAuth2 with rotating refresh tokens; each
title as one installment of its own event; one baixa per payment, on the seed's bank; each
bank's opening-balance record (``saldo-inicial``: ``tipo`` RECEITA, ``saldo_inicial``, on the
day the seed's balance starts), paged with the spec's default of 10; transfers (none unless a
test adds some).

Knobs for tests: ``max_page`` (items per page the server really returns), ``splits`` (title ref →
category split), ``renegotiations`` (title ref → the seed title of the event that replaces it),
``transfers`` (``(id, date, from bank id, to bank id, amount)``), ``missing_baixas`` (title refs
whose payments are not recorded as baixas).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from connectors.fakes import erp_seed as seed
from connectors.fakes.oauth import TokenIssuer
from connectors.fakes.server import FakeRequest, FakeServer, Reply, json_number

CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN = "ca-client", "ca-secret-123", "ca-refresh-0"
PAGE_SIZES = {10, 20, 50, 100, 200, 500, 1000}
EVENTS = "/v1/financeiro/eventos-financeiros"
STAMP = "2024-11-08T10:22:47.97218"  # data_criacao/alteracao as observed: no zone, 5 decimals


def _uuid(kind: str, key: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"contaazul/{kind}/{key}"))


def category_id(code: str) -> str:
    return _uuid("categoria", code)


def bank_id(code: str) -> str:
    return _uuid("conta", code)


def title_id(ref: str) -> str:
    return _uuid("parcela", ref)


def event_id(ref: str) -> str:
    return _uuid("evento", ref)


def baixa_id(ref: str, n: int) -> str:
    return _uuid("baixa", f"{ref}/{n}")


def error(status: int, message: str) -> Reply:
    return Reply(status, {"code": status, "message": message})


class ContaAzulFake(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.tokens = TokenIssuer(client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                                  refresh_token=REFRESH_TOKEN)
        self.max_page = 2  # the server caps pages below tamanho_pagina, as observed on /v1/categorias
        self.splits: dict[str, list[tuple[str, Any]]] = {}
        self.renegotiations: dict[str, seed.SeedTitle] = {}
        self.transfers: list[tuple[str, date, str, str, Decimal]] = []
        self.missing_baixas: set[str] = set()

    # -- the books ---------------------------------------------------------------------------
    def _titles(self) -> list[seed.SeedTitle]:
        return [*seed.TITLES, *self.renegotiations.values()]

    def _open(self, t: seed.SeedTitle) -> Decimal:
        return t.amount - t.paid_total

    def _status(self, t: seed.SeedTitle) -> tuple[str, str]:
        """(status as observed, status_traduzido from the spec enum) of a list item."""
        if t.canceled:
            return "CANCELED", "CANCELADO"
        if t.ref in self.renegotiations:
            return "RENEGOTIATED", "RENEGOCIADO"
        if t.paid_total == t.amount:
            return "ACQUITTED", "RECEBIDO"
        if t.paid:
            return "PARTIAL", "RECEBIDO_PARCIAL"
        return ("OVERDUE", "ATRASADO") if t.due < date(2024, 3, 31) else ("PENDING", "EM_ABERTO")

    def _installment_status(self, t: seed.SeedTitle) -> str:
        """Parcela.status (spec enum PENDENTE, QUITADO, CANCELADO, RENEGOCIADO, …)."""
        return {"CANCELADO": "CANCELADO", "RENEGOCIADO": "RENEGOCIADO", "RECEBIDO": "QUITADO",
                "RECEBIDO_PARCIAL": "RECEBIDO_PARCIAL", "ATRASADO": "ATRASADO"}.get(
            self._status(t)[1], "PENDENTE")

    def _split(self, t: seed.SeedTitle) -> list[tuple[str, Any]]:
        return self.splits.get(t.ref, [(t.category, t.amount)])

    def _paid(self, t: seed.SeedTitle) -> tuple[tuple[date, Decimal], ...]:
        return () if t.ref in self.missing_baixas else t.paid

    # -- HTTP --------------------------------------------------------------------------------
    def handle(self, request: FakeRequest) -> Reply:
        if request.path == "/oauth2/token":
            return self.tokens.token(request)
        if not self.tokens.authorized(request):
            return error(401, "The Token has expired.")
        path = request.path
        if path == "/v1/pessoas/conta-conectada":
            return Reply(200, {"id_empresa": "e1", "documento": "12345678000190",
                               "razao_social": "Exemplo Serviços Ltda", "nome_fantasia": "Exemplo",
                               "email": "fin@exemplo.com.br"})
        if path == "/v1/categorias":
            if not request.arg("permite_apenas_filhos"):
                return error(400, "O parâmetro obrigatório 'permite_apenas_filhos' não foi informado.")
            rows = [{"id": category_id(code), "versao": 1, "nome": name, "categoria_pai": None,
                     "tipo": "RECEITA" if nature == "R" else "DESPESA",
                     "entrada_dre": "RECEITAS" if nature == "R" else "DESPESAS_ADMINISTRATIVAS",
                     "considera_custo_dre": False}
                    for code, (name, nature) in sorted(seed.CATEGORIES.items())]
            return self._page(request, rows, required=True)
        if path == "/v1/conta-financeira":
            rows = [{"id": bank_id(b.id), "banco": "ITAU", "codigo_banco": 341, "nome": b.name, "ativo": True,
                     "tipo": "CONTA_CORRENTE", "conta_padrao": True, "possui_config_boleto_bancario": False,
                     "agencia": "0001", "numero": "12345"} for b in seed.BANKS]
            return self._page(request, rows)
        if path == f"{EVENTS}/saldo-inicial":
            return self._opening(request)
        if path == "/v1/financeiro/transferencias":
            return self._transfers(request)
        for kind, nature in (("contas-a-receber", "R"), ("contas-a-pagar", "P")):
            if path == f"{EVENTS}/{kind}/buscar":
                return self._buscar(request, nature)
        if path.startswith(f"{EVENTS}/parcelas/"):
            ident = path.rsplit("/", 1)[1]
            title = next((t for t in self._titles() if title_id(t.ref) == ident), None)
            return Reply(200, self._parcela(title)) if title else error(404, "Parcela não encontrada")
        if path.startswith(f"{EVENTS}/") and path.endswith("/parcelas"):
            ident = path.split("/")[-2]
            title = next((t for t in self._titles() if event_id(t.ref) == ident), None)
            return Reply(200, [self._parcela(title)]) if title else error(404, "Evento não encontrado")
        return error(404, "Recurso não encontrado")

    def _page(self, request: FakeRequest, rows: list[dict[str, Any]], *, required: bool = False,
              default: int = 10) -> Reply:
        if required:
            for name in ("pagina", "tamanho_pagina"):
                if not request.arg(name):
                    return error(400, f"O parâmetro obrigatório '{name}' não foi informado.")
        page, size = int(request.arg("pagina") or 1), int(request.arg("tamanho_pagina") or default)
        if size not in PAGE_SIZES:
            return error(400, "tamanho_pagina inválido")
        size = min(size, self.max_page)
        chunk = rows[(page - 1) * size : page * size]
        return Reply(200, {"itens_totais": len(rows), "itens": chunk})

    @staticmethod
    def _datetime_arg(request: FakeRequest, name: str) -> datetime | Reply:
        """A required ISO 8601 date-time in São Paulo time (``2026-01-01T23:59:59``)."""
        text = request.arg(name)
        if not text:
            return error(400, f"O parâmetro obrigatório '{name}' não foi informado.")
        if "T" not in text:
            return error(400, f"O parâmetro '{name}' deve ser uma data-hora (ISO 8601).")
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            return error(400, f"O parâmetro '{name}' deve ser uma data-hora (ISO 8601).")

    def _opening(self, request: FakeRequest) -> Reply:
        start, end = self._datetime_arg(request, "data_inicio"), self._datetime_arg(request, "data_fim")
        if isinstance(start, Reply):
            return start
        if isinstance(end, Reply):
            return end
        if start > end:
            return error(400, "A data de início não pode ser posterior à data de fim.")
        rows = [{"tipo": "RECEITA" if b.initial >= 0 else "DESPESA", "id_conta_financeira": bank_id(b.id),
                 "data_competencia": b.since.isoformat(), "saldo_inicial": json_number(abs(b.initial))}
                for b in seed.BANKS if start.date() <= b.since <= end.date()]
        return self._page(request, rows)

    def _transfers(self, request: FakeRequest) -> Reply:
        start = date.fromisoformat(request.arg("data_inicio") or "1900-01-01")
        end = date.fromisoformat(request.arg("data_fim") or "9999-12-31")
        names = {bank_id(b.id): b.name for b in seed.BANKS}

        def leg(on: date, account: str, amount: Decimal) -> dict[str, Any]:
            return {"data": on.isoformat(),
                    "composicao_valor": {"valor_bruto": json_number(amount), "juros": 0, "multa": 0,
                                         "valor_liquido": json_number(amount), "desconto": 0, "taxa": 0},
                    "conta_financeira": {"id": account, "nome": names.get(account, "Outra conta"),
                                         "instituicao_bancaria": {"codigo": 341, "nome": "Itaú"}}}

        rows = [{"id": ident, "descricao": "Transferência", "valor": json_number(amount),
                 "data": on.isoformat(), "origem": leg(on, source, amount),
                 "destino": leg(on, target, amount)}
                for ident, on, source, target, amount in self.transfers if start <= on <= end]
        return self._page(request, rows)

    def _buscar(self, request: FakeRequest, nature: str) -> Reply:
        for required in ("data_vencimento_de", "data_vencimento_ate", "pagina", "tamanho_pagina"):
            if not request.arg(required):
                return error(400, f"O parâmetro obrigatório '{required}' não foi informado.")
        due_from = date.fromisoformat(request.arg("data_vencimento_de") or "")
        due_to = date.fromisoformat(request.arg("data_vencimento_ate") or "")
        comp_from = date.fromisoformat(request.arg("data_competencia_de") or "1900-01-01")
        comp_to = date.fromisoformat(request.arg("data_competencia_ate") or "9999-12-31")
        wanted = set(request.query.get("status", []))
        rows = []
        for t in self._titles():
            status, translated = self._status(t)
            if (t.nature != nature or not (due_from <= t.due <= due_to)
                    or not comp_from <= t.accrual <= comp_to or (wanted and translated not in wanted)):
                continue
            paid = sum((a for _, a in self._paid(t)), Decimal(0))
            item: dict[str, Any] = {
                "id": title_id(t.ref), "descricao": f"Título {t.ref}", "data_vencimento": t.due.isoformat(),
                "status": status, "status_traduzido": translated, "total": json_number(t.amount),
                "nao_pago": json_number(t.amount - paid), "pago": json_number(paid),
                "data_criacao": STAMP, "data_alteracao": STAMP, "data_competencia": t.accrual.isoformat(),
                "categorias": [{"id": category_id(code), "nome": seed.CATEGORIES[code][0]}
                               for code, _ in self._split(t)],
                "centros_custo": [],
            }
            party = {"id": _uuid("pessoa", t.counterparty), "nome": t.counterparty}
            if nature == "R":
                item["cliente"] = party
                new = self.renegotiations.get(t.ref)
                item["renegociacao"] = ({"id": _uuid("renegociacao", t.ref),
                                         "valor": json_number(self._open(t)),
                                         "id_evento": event_id(new.ref)} if new else None)
            else:
                item["fornecedor"] = party
            rows.append(item)
        if rows:
            self.spoil(rows[0], "total")
        return self._page(request, rows, required=True)

    def _parcela(self, t: seed.SeedTitle) -> dict[str, Any]:
        bank = seed.BANKS[0]
        account = {"id": bank_id(bank.id), "nome": bank.name, "banco": "ITAU", "tipo": "CONTA_CORRENTE",
                   "ativo": True}
        paid = sum((a for _, a in self._paid(t)), Decimal(0))

        def composition(amount: Decimal) -> dict[str, Any]:
            return {"valor_bruto": json_number(amount), "juros": 0, "multa": 0, "desconto": 0, "taxa": 0,
                    "valor_liquido": json_number(amount)}

        return {
            "id": title_id(t.ref), "versao": 1, "indice": 1, "conciliado": False,
            "status": self._installment_status(t), "valor_pago": json_number(paid),
            "nao_pago": json_number(t.amount - paid), "data_vencimento": t.due.isoformat(),
            "descricao": f"Título {t.ref}", "id_conta_financeira": bank_id(bank.id),
            "conta_financeira": account,
            "valor_composicao": composition(t.amount), "metodo_pagamento": "PIX_PAGAMENTO_INSTANTANEO",
            "data_alteracao": STAMP,
            "baixas": [{"id": baixa_id(t.ref, n), "versao": 1, "data_pagamento": on.isoformat(),
                        "valor_composicao": composition(amount), "conta_financeira": account,
                        "id_parcela": title_id(t.ref), "metodo_pagamento": "PIX_PAGAMENTO_INSTANTANEO",
                        "origem": "LANCAMENTO_FINANCEIRO",
                        "tipo_evento_financeiro": "RECEITA" if t.nature == "R" else "DESPESA"}
                       for n, (on, amount) in enumerate(self._paid(t))],
            "evento": {
                "id": event_id(t.ref), "data_competencia": t.accrual.isoformat(),
                "tipo": "RECEITA" if t.nature == "R" else "DESPESA", "agendado": False,
                "referencia": {"id": event_id(t.ref),
                               "origem": "RENEGOCIACAO" if t in self.renegotiations.values()
                               else "LANCAMENTO_FINANCEIRO"},
                "rateio": [{"id_categoria": category_id(code), "nome_categoria": seed.CATEGORIES[code][0],
                            "valor": json_number(amount), "valor_bruto": json_number(amount),
                            "rateio_centro_custo": []} for code, amount in self._split(t)],
            },
        }
