"""A fake Omie API (app.omie.com.br/api/v1): POST /{modulo}/{servico}/ with {call, app_key,
app_secret, param: [{...}]}; Omie's paging keys, its SOAP-style faults (HTTP 500 with
faultstring/faultcode, 5113 past the last page, REDUNDANT, bad key as 403) — see apis.md §1.

Field names, types and meanings come from Omie's WSDL documentation as generated into
pauloracunha/omie-lib@b7c0b4e (src/Financas/Mf/Detalhes.php, Request/MfListarRequest.php,
src/Financas/Extrato/Response/EccListarExtratoResponse.php, ListaMovimentos.php), field map in
``connectors/omie.md``. What the fake computes the way Omie documents it, not the way a
connector would like it:

* ``ListarMovimentos``: ``dDtEmissao`` is the title's issue date (the seed's accrual);
  ``dDtRegistro`` is "Data de registro da NF" — set only for titles that came from an invoice
  (``cOrigem`` NFER/NFEP), possibly in a later month, empty for manual titles (MANR/MANP); the
  filters ``dDtEmisDe/Ate`` and ``dDtRegDe/Ate`` select on those dates; ``cStatus`` from the
  published enumeration (RECEBIDO, LIQUIDADO, PAGTO_PARCIAL, ATRASADO, AVENCER, CANCELADO).
* ``ListarExtrato``: ``nSaldoAnterior`` = realised balance before ``dPeriodoInicial``;
  ``listaMovimentos`` = a "SALDO ANTERIOR" marker row, the period's realised movements
  (``cSituacao`` Conciliado, payables with a negative ``nValorDocumento`` as observed) with the
  running realised balance ``nSaldo``, forecast rows (``Previsto``) for titles due in the period
  and still open, and a closing "SALDO" marker; ``nSaldoAtual`` = realised balance "disponível
  para hoje" — every movement up to today, including ``LATER_MOVEMENTS`` after the seeded
  month; with ``cExibirApenasSaldo = "S"`` only the balances come back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from connectors.fakes import erp_seed as seed
from connectors.fakes.server import FakeRequest, FakeServer, Reply, json_number

APP_KEY, APP_SECRET = "3301234567890", "0123456789abcdef0123456789abcdef"
# Titles that came from an invoice: ref → (cOrigem, dDtRegistro, the NF's registration date).
INVOICED: dict[str, date] = {"5002": date(2024, 3, 6), "5003": date(2024, 4, 2),
                             "6004": date(2024, 4, 3)}
# Bank movements without a title, after the seeded month: (day, signed amount, description).
LATER_MOVEMENTS: tuple[tuple[date, Decimal, str], ...] = (
    (date(2024, 4, 5), Decimal("-50.00"), "Tarifa bancária"),)


def _d(day: date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


def _parse(text: str) -> date:
    return datetime.strptime(text, "%d/%m/%Y").date()  # noqa: DTZ007


def fault(text: str, code: str, status: int = 500) -> Reply:
    return Reply(status, {"faultstring": text, "faultcode": code})


class OmieFake(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.app_key, self.app_secret = APP_KEY, APP_SECRET

    def handle(self, request: FakeRequest) -> Reply:
        body = request.json()
        if not isinstance(body, dict) or "call" not in body:
            return fault("ERROR: Requisição inválida", "SOAP-ENV:Client-1")
        if str(body.get("app_key")) != self.app_key or body.get("app_secret") != self.app_secret:
            return fault(
                "A chave de acesso não está preenchida ou não é válida.", "SOAP-ENV:Server", status=403
            )
        param = (body.get("param") or [{}])[0]
        route = (request.path.removeprefix("/api/v1/").strip("/"), body["call"])
        handler = {
            ("geral/empresas", "ListarEmpresas"): self._empresas,
            ("geral/categorias", "ListarCategorias"): self._categorias,
            ("geral/contacorrente", "ListarContasCorrentes"): self._contas,
            ("financas/extrato", "ListarExtrato"): self._extrato,
            ("financas/mf", "ListarMovimentos"): self._movimentos,
        }.get(route)
        if handler is None:
            return fault(f"ERROR: Método {body['call']} não encontrado", "SOAP-ENV:Client-2")
        return handler(param)

    @staticmethod
    def _page(
        rows: list[dict[str, Any]], param: dict[str, Any], key: str, *, hungarian: bool = False
    ) -> Reply:
        page = int(param.get("nPagina" if hungarian else "pagina", 1))
        size = int(param.get("nRegPorPagina" if hungarian else "registros_por_pagina", 50))
        total_pages = max(1, -(-len(rows) // size))
        chunk = rows[(page - 1) * size : page * size]
        if not chunk:
            return fault(f"ERROR: Não existem registros para a página [{page}]!", "SOAP-ENV:Client-5113")
        if hungarian:
            return Reply(
                200,
                {
                    "nPagina": page,
                    "nTotPaginas": total_pages,
                    "nRegistros": len(chunk),
                    "nTotRegistros": len(rows),
                    key: chunk,
                },
            )
        return Reply(
            200,
            {
                "pagina": page,
                "total_de_paginas": total_pages,
                "registros": len(chunk),
                "total_de_registros": len(rows),
                key: chunk,
            },
        )

    def _empresas(self, param: dict[str, Any]) -> Reply:
        return self._page(
            [
                {
                    "codigo_empresa": 1,
                    "cnpj": "12.345.678/0001-90",
                    "razao_social": "Exemplo Serviços Ltda",
                    "nome_fantasia": "Exemplo",
                    "inativa": "N",
                }
            ],
            param,
            "empresas_cadastro",
        )

    def _categorias(self, param: dict[str, Any]) -> Reply:
        rows = []
        for code, (name, nature) in sorted({**seed.GROUP_CATEGORIES, **seed.CATEGORIES}.items()):
            rows.append(
                {
                    "codigo": code,
                    "descricao": name,
                    "descricao_padrao": name,
                    "conta_receita": "S" if nature == "R" else "N",
                    "conta_despesa": "S" if nature == "P" else "N",
                    "totalizadora": "S" if code in seed.GROUP_CATEGORIES else "N",
                    "conta_inativa": "N",
                    "categoria_superior": code.rsplit(".", 1)[0],
                    "id_conta_contabil": "",
                    "tipo_categoria": "",
                }
            )
        return self._page(rows, param, "categoria_cadastro")

    def _contas(self, param: dict[str, Any]) -> Reply:
        rows = [
            {
                "nCodCC": int(b.id),
                "cCodCCInt": "",
                "descricao": b.name,
                "tipo_conta_corrente": "CC",
                "codigo_banco": "341",
                "inativo": "N",
                "saldo_inicial": json_number(b.initial),
                "saldo_data": _d(b.since),
            }
            for b in seed.BANKS
        ]
        return self._page(rows, param, "ListarContasCorrentes")

    def _extrato(self, param: dict[str, Any]) -> Reply:
        bank = next(b for b in seed.BANKS if int(b.id) == int(param["nCodCC"]))
        start, end = _parse(param["dPeriodoInicial"]), _parse(param["dPeriodoFinal"])
        moves = bank_movements(bank.id)
        before = bank.initial + sum((m.amount for m in moves if m.day < start), Decimal(0))
        today = bank.initial + sum((m.amount for m in moves if m.day <= date.today()), Decimal(0))  # noqa: DTZ011
        rows: list[dict[str, Any]] = []
        if param.get("cExibirApenasSaldo") != "S":
            rows.append({"cDesCliente": "SALDO ANTERIOR", "dDataLancamento": _d(start),
                         "nSaldo": json_number(before), "nValorDocumento": 0})
            balance = before
            for m in moves:
                if start <= m.day <= end:
                    balance += m.amount
                    rows.append(m.row(balance))
            for t in seed.TITLES:
                if not t.canceled and t.paid_total < t.amount and start <= t.due <= end:
                    rows.append(forecast_row(t, balance))
            rows.append({"cDesCliente": "SALDO", "dDataLancamento": _d(end),
                         "nSaldo": json_number(balance), "nValorDocumento": 0})
        return Reply(200, {
            "nCodCC": int(bank.id), "cCodIntCC": "", "nCodAgencia": "1234", "nCodBanco": "341",
            "nNumConta": "56789-0", "cDescricao": bank.name, "cCodTipo": "CC",
            "cDesTipo": "Conta Corrente", "cFluxoCaixa": "S", "cResumoExecutivo": "S",
            "dPeriodoInicial": param["dPeriodoInicial"], "dPeriodoFinal": param["dPeriodoFinal"],
            "nSaldoAnterior": json_number(before), "nSaldoAnteriorPrevisto": json_number(before),
            "nSaldoAtual": json_number(today), "nSaldoAtualPrevisto": json_number(today),
            "nSaldoConciliado": json_number(today), "nSaldoProvisorio": json_number(today),
            "nLimiteCreditoTotal": 0, "nSaldoDisponivel": json_number(today),
            "listaMovimentos": rows,
        })

    def _movimentos(self, param: dict[str, Any]) -> Reply:
        rows = []
        for t in seed.TITLES:
            registered = INVOICED.get(t.ref)
            if not _within(t.accrual, param, "dDtEmisDe", "dDtEmisAte") or not _within(
                    registered, param, "dDtRegDe", "dDtRegAte"):
                continue
            last_paid = max((on for on, _ in t.paid), default=None)
            origin = ("NFE" if registered else "MAN") + t.nature
            rows.append({
                "detalhes": {
                    "nCodTitulo": int(t.ref), "cCodIntTitulo": "", "cNumTitulo": t.ref,
                    "cNatureza": t.nature,
                    "cGrupo": "CONTA_A_RECEBER" if t.nature == "R" else "CONTA_A_PAGAR",
                    "cStatus": status(t), "cTipo": "BOL", "cOrigem": origin,
                    "cCodCateg": t.category, "nCodCliente": counterparty_code(t),
                    "cNumParcela": "001/001",
                    "dDtEmissao": _d(t.accrual), "dDtRegistro": _d(registered),
                    "dDtVenc": _d(t.due), "dDtPrevisao": _d(t.due), "dDtPagamento": _d(last_paid),
                    "nCodCC": int(seed.BANKS[0].id), "nValorTitulo": json_number(t.amount),
                },
                "resumo": {
                    "cLiquidado": "S" if t.paid_total == t.amount else "N",
                    "nValPago": json_number(t.paid_total),
                    "nValAberto": json_number(t.amount - t.paid_total),
                    "nDesconto": 0, "nJuros": 0, "nMulta": 0,
                    "nValLiquido": json_number(t.paid_total),
                },
                "departamentos": [],
                "categorias": [{"cCodCateg": t.category, "nDistrPercentual": 100,
                                "nDistrValor": json_number(t.amount), "nValorFixo": "N"}],
            })
        if rows:
            self.spoil(rows[0]["detalhes"], "nValorTitulo")
        return self._page(rows, param, "movimentos", hungarian=True)


def counterparty_code(t: seed.SeedTitle) -> int:
    """``nCodCliente``: ListarMovimentos carries the customer/supplier's code, not its name."""
    return 2000 + sum(map(ord, t.counterparty)) % 1000


def _within(day: date | None, param: dict[str, Any], low: str, high: str) -> bool:
    """Whether ``day`` passes the ``low``/``high`` date filters (a title without it never does)."""
    if not param.get(low) and not param.get(high):
        return True
    if day is None:
        return False
    return (not param.get(low) or _parse(param[low]) <= day) and (
        not param.get(high) or day <= _parse(param[high]))


def status(t: seed.SeedTitle) -> str:
    """``cStatus`` from the published enumeration (Detalhes.php), as of today."""
    if t.canceled:
        return "CANCELADO"
    if t.paid_total == t.amount:
        return "RECEBIDO" if t.nature == "R" else "LIQUIDADO"
    if t.paid:
        return "PAGTO_PARCIAL"
    return "ATRASADO" if t.due < date.today() else "AVENCER"  # noqa: DTZ011


@dataclass(frozen=True)
class BankMovement:
    """One realised movement of a current account, signed (receipts positive)."""

    code: int
    day: date
    amount: Decimal
    nature: str
    who: str
    category: str
    origin: str
    document: str = ""

    def row(self, balance: Decimal) -> dict[str, Any]:
        """The ``listaMovimentos`` row (ListaMovimentos.php) with the running balance."""
        return {"nCodLancamento": self.code, "nCodLancRelac": 0, "cSituacao": "Conciliado",
                "dDataLancamento": _d(self.day), "cDesCliente": self.who, "cRazCliente": self.who,
                "cTipoDocumento": "BOL", "cNumero": self.document,
                "nValorDocumento": json_number(self.amount), "nSaldo": json_number(balance),
                "nSaldoPrev": json_number(balance), "cCodCategoria": self.category,
                "cDesCategoria": seed.CATEGORIES.get(self.category, ("", ""))[0],
                "cOrigem": self.origin, "cNatureza": self.nature, "cBloqueado": "N",
                "dDataConciliacao": _d(self.day)}


def bank_movements(bank_id: str) -> list[BankMovement]:
    """Every realised movement of ``bank_id``: title settlements and ``LATER_MOVEMENTS``."""
    moves = [BankMovement(9000 + i, on, amount, "R" if amount > 0 else "P", t.counterparty,
                          t.category, "BAXR" if t.nature == "R" else "BAXP", t.ref)
             for i, (on, bank, amount, t) in enumerate(seed.cash_movements())
             if t is not None and bank == bank_id]
    moves += [BankMovement(9900 + i, on, amount, "R" if amount > 0 else "P", text, "",
                           "EXTR" if amount > 0 else "EXTP")
              for i, (on, amount, text) in enumerate(LATER_MOVEMENTS) if bank_id == seed.BANKS[0].id]
    return sorted(moves, key=lambda m: (m.day, m.code))


def forecast_row(t: seed.SeedTitle, balance: Decimal) -> dict[str, Any]:
    """A ``Previsto`` row: the open part of a title due in the period (realised balance unchanged)."""
    open_part = t.amount - t.paid_total
    return {"nCodLancamento": 8000 + int(t.ref) % 1000, "cSituacao": "Previsto",
            "dDataLancamento": _d(t.due), "cDesCliente": t.counterparty, "cNumero": t.ref,
            "nValorDocumento": json_number(open_part if t.nature == "R" else -open_part),
            "nSaldo": json_number(balance), "cCodCategoria": t.category, "cOrigem": "MAN" + t.nature,
            "cNatureza": t.nature}
