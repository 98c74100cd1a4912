"""A fake Omie API (app.omie.com.br/api/v1): POST /{modulo}/{servico}/ with {call, app_key,
app_secret, param: [{...}]}; Omie's paging keys, its SOAP-style faults (HTTP 500 with
faultstring/faultcode, 5113 past the last page, REDUNDANT, bad key as 403) — see apis.md §1."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from tests.fakes import erp_seed as seed
from tests.fakes.server import FakeRequest, FakeServer, Reply, json_number

APP_KEY, APP_SECRET = "3301234567890", "0123456789abcdef0123456789abcdef"


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
        return Reply(
            200,
            {
                "nCodCC": int(bank.id),
                "cDescricao": bank.name,
                "dPeriodoInicial": param["dPeriodoInicial"],
                "dPeriodoFinal": param["dPeriodoFinal"],
                "nSaldoAnterior": json_number(bank.balance_at_end_of(start - timedelta(days=1))),
                "nSaldoAtual": json_number(bank.balance_at_end_of(end)),
                "listaMovimentos": [{"cDesCliente": "SALDO ANTERIOR", "nValorDocumento": 0}],
            },
        )

    def _movimentos(self, param: dict[str, Any]) -> Reply:
        until = _parse(param["dDtRegAte"]) if param.get("dDtRegAte") else date.max
        rows = []
        for t in seed.TITLES:
            if t.accrual > until:
                continue
            last_paid = max((on for on, _ in t.paid), default=None)
            status = (
                "CANCELADO"
                if t.canceled
                else (
                    "RECEBIDO"
                    if t.nature == "R" and t.paid_total == t.amount
                    else "LIQUIDADO"
                    if t.paid_total == t.amount
                    else "PAGTO_PARCIAL"
                    if t.paid
                    else "AVENCER"
                )
            )
            rows.append(
                {
                    "detalhes": {
                        "nCodTitulo": int(t.ref),
                        "cNatureza": t.nature,
                        "cGrupo": "CONTA_A_RECEBER" if t.nature == "R" else "CONTA_A_PAGAR",
                        "cStatus": status,
                        "cCodCateg": t.category,
                        "nCodCliente": 202,
                        "cRazaoSocial": t.counterparty,
                        "dDtEmissao": _d(t.accrual),
                        "dDtRegistro": _d(t.accrual),
                        "dDtVenc": _d(t.due),
                        "dDtPagamento": _d(last_paid),
                        "nValorTitulo": json_number(t.amount),
                    },
                    "resumo": {
                        "cLiquidado": "S" if t.paid_total == t.amount else "N",
                        "nValPago": json_number(t.paid_total),
                        "nValAberto": json_number(t.amount - t.paid_total),
                    },
                    "departamentos": [],
                    "categorias": [
                        {
                            "cCodCateg": t.category,
                            "nDistrPercentual": 100,
                            "nDistrValor": json_number(t.amount),
                            "nValorFixo": "N",
                        }
                    ],
                }
            )
        if rows:
            self.spoil(rows[0]["detalhes"], "nValorTitulo")
        return self._page(rows, param, "movimentos", hungarian=True)
