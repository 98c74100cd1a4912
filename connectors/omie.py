"""Omie (app.omie.com.br/api/v1): a management trial balance from financial titles.

Omie keeps no general ledger in its API (apis.md §1.7). The trial balance is built as described
in ``connectors.management``; the field map, with the published meaning and source of every field
read, is ``connectors/omie.md``:

* categories from ``geral/categorias`` ``ListarCategorias`` (grouping categories,
  ``totalizadora = "S"``, are not lines);
* titles from ``financas/mf`` ``ListarMovimentos`` (groups ``CONTA_A_RECEBER``/``CONTA_A_PAGAR``;
  ``CANCELADO`` left out), each split by ``categorias[].cCodCateg``/``nDistrValor`` and accrued on
  the date ``accrual_date`` names: ``emissao`` (default, ``dDtEmissao`` "Data de emissão do
  título", filtered with ``dDtEmisAte``), or ``registro`` (``dDtRegistro`` "Data de registro da
  NF", ``dDtRegAte`` — a title without an invoice has none and is not selected, so this reading
  suits only books whose every title comes from an invoice);
  settled by ``resumo.nValPago`` on ``detalhes.dDtPagamento``;
* bank balances from the statement, ``financas/extrato`` ``ListarExtrato`` over the period per
  ``geral/contacorrente`` account: opening = ``nSaldoAnterior`` ("Saldo Anterior Realizado");
  closing = opening + the period's realised movements (``listaMovimentos`` rows with a
  ``nCodLancamento``, ``dDataLancamento`` inside the period and a ``cSituacao`` other than
  ``Previsto``; amount ``|nValorDocumento|``, received for ``cNatureza`` R, paid for P), checked
  against the statement's own running balance ``nSaldo`` ("Saldo realizado"), row by row.
  ``nSaldoAtual`` is not used: it is the realised balance "disponível para hoje", not at the
  period's end;
* receivables and payables open before and at the end of the period, from the same titles.

Transport: every call is a POST of ``{"call", "app_key", "app_secret", "param": [{…}]}``;
credentials travel in the body (``AppKeyCredentials``). Faults come as HTTP 500 (sometimes 200)
with ``faultstring``/``faultcode``; ``classify_response`` maps them: ``Client-5113`` (no records)
is an empty page, ``Client-6`` REDUNDANT and ``Client-1880`` are retried (after the seconds
Omie names), ``MISUSE_API_PROCESS`` waits out the block, a bad key is fatal. Rate: 240 requests
per minute per app key and method (4/s).

Settings: ``base_url``, ``page_size`` (≤ 500), ``fiscal_year_start`` (month), ``accrual_date``,
``http``. Secrets: ``app_key``, ``app_secret``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

import httpx
import pandas as pd

from close.engine.periods import period_bounds
from close.engine.types import Period
from close.resilience import parse_retry_after
from connectors.auth import AppKeyCredentials, require_secret
from connectors.base import (
    CHART_COLUMNS,
    Company,
    ConnectorContext,
    ERPConnector,
    HealthStatus,
)
from connectors.errors import FatalConnectorError, RetriableConnectorError
from connectors.field_map import unread_fields
from connectors.http import ErpHttpClient, HttpPolicy
from connectors.management import (
    BankBalance,
    Settlement,
    Title,
    build_management_trial_balance,
    receivables_frame,
    titles_frame,
)
from connectors.payload import Payload
from connectors.settings import OmieSource
from connectors.trial_balance import check_trial_balance_balances, format_money

DEFAULT_BASE_URL = "https://app.omie.com.br/api/v1"
POLICY = HttpPolicy(rate=4.0, burst=4)
_WAIT = re.compile(r"(\d+)\s*segundos")
_DATE = "%d/%m/%Y"
# accrual_date → (the detalhes field read, the ListarMovimentos filter up to a date)
ACCRUAL_DATES: dict[str, tuple[str, str]] = {"emissao": ("dDtEmissao", "dDtEmisAte"),
                                             "registro": ("dDtRegistro", "dDtRegAte")}
# The fields each call's items are read for (connectors/omie.md), sampled by the health check.
FIELDS: dict[str, tuple[str, ...]] = {
    "ListarCategorias": ("codigo", "descricao", "totalizadora"),
    "ListarContasCorrentes": ("nCodCC", "descricao", "inativo"),
    "ListarMovimentos": ("detalhes.nCodTitulo", "detalhes.cNatureza", "detalhes.cStatus",
                         "detalhes.cGrupo", "detalhes.dDtEmissao", "detalhes.dDtVenc",
                         "detalhes.nValorTitulo", "resumo.nValPago", "categorias"),
    "ListarExtrato": ("nSaldoAnterior", "listaMovimentos"),
}


class OmieConnector(ERPConnector):
    """Omie: management trial balance, companies, categories and receivables."""

    name = "omie"
    API_VERSION = "Omie API v1"
    SETTINGS = OmieSource

    def __init__(self, settings: Mapping[str, Any], context: ConnectorContext) -> None:
        """Check the settings and secrets and compose the HTTP client.

        Raises:
            ConfigError: an unknown or bad setting (``OmieSource``) or a missing secret.

        """
        super().__init__(settings, context)
        entity = context.entity
        source = OmieSource.parse(settings, entity=entity, connector=self.name)
        self.accrual_field, self.accrual_filter = ACCRUAL_DATES[source.accrual_date]
        self.page_size = source.page_size
        self.fy_start = source.fiscal_year_start
        self.credentials = AppKeyCredentials(
            require_secret(context, "app_key", self.name, settings),
            require_secret(context, "app_secret", self.name, settings))
        self.client = ErpHttpClient(
            provider=self.name, entity=entity, base_url=source.base_url or DEFAULT_BASE_URL,
            policy=POLICY.with_settings(source.http, entity=entity),
            classify=self.classify_response, redis_url=context.redis_url,
            limiter_key=f"{self.name}:{entity}")

    def disconnect(self) -> None:
        """Close the HTTP client."""
        self.client.close()

    # -- transport --------------------------------------------------------------------------

    def classify_response(self, response: httpx.Response) -> None:
        """Map Omie's faults (usually HTTP 500 with ``faultcode``) to the error taxonomy.

        Raises:
            RetriableConnectorError: REDUNDANT, concurrent call, API blocked, 429, other 5xx.
            FatalConnectorError: bad credentials, a refused parameter, other 4xx.

        """
        fault = _fault(response)
        if fault is None:
            super().classify_response(response)
            return
        code, text = fault
        who = {"entity": self.context.entity, "connector": self.name,
               "status": response.status_code, "url": str(response.request.url)}
        if code.endswith("Client-5113"):
            return  # "no records for page N": the pager decides what that means
        waited = _WAIT.search(text)
        if code.endswith(("Client-6", "Client-1880")) or code == "MISUSE_API_PROCESS" \
                or response.status_code == 429:
            retry_after = (float(waited.group(1)) if waited else
                           parse_retry_after(response.headers.get("Retry-After")))
            raise RetriableConnectorError(f"Omie fault {code}: {text}", retry_after=retry_after,
                                          **who)
        if code == "SOAP-ENV:Server" and "chave de acesso" in text.lower():
            raise FatalConnectorError("app_key/app_secret rejected by Omie", **who)
        if code.startswith("SOAP-ENV:Client"):
            raise FatalConnectorError(f"Omie refused the request: {code}: {text}", **who)
        raise RetriableConnectorError(f"Omie fault {code}: {text}", **who)

    def _call(self, path: str, call: str, param: Mapping[str, Any]) -> Any:
        body = {"call": call, **self.credentials.body_fields(), "param": [dict(param)]}
        endpoint = f"{path} {call}"
        response = self.client.request("POST", f"/{path}/", json=body)
        data = self.client.decode_json(response, endpoint)
        if isinstance(data, dict) and str(data.get("faultcode", "")).endswith("Client-5113"):
            return None
        return data

    def _pages(self, path: str, call: str, items_key: str, param: Mapping[str, Any] | None = None,
               *, hungarian: bool = False) -> Iterator[tuple[Payload, str, Any]]:
        """Yield ``(payload, where, item)`` over every page (Omie's two paging dialects)."""
        page_key, size_key, total_key = (("nPagina", "nRegPorPagina", "nTotPaginas") if hungarian
                                         else ("pagina", "registros_por_pagina",
                                               "total_de_paginas"))
        payload = self.context.payload(f"{path} {call}")
        page, pages = 1, 1
        while page <= pages:
            data = self._call(path, call, {**(param or {}), page_key: page,
                                           size_key: self.page_size})
            if data is None:
                if page == 1:
                    return  # Omie answers an empty selection with fault 5113
                raise payload.error(page_key, f"page {page} of {pages} has no records "
                                    "(the data changed while paging; run again)")
            pages = int(payload.get(data, total_key))
            for i, item in enumerate(payload.items(data, items_key)):
                yield payload, f"{items_key}[{(page - 1) * self.page_size + i}]", item
            page += 1


    # -- readers ----------------------------------------------------------------------------

    def health_check(self) -> HealthStatus:
        """Call ``ListarEmpresas``, then sample each call read for fields Omie did not send."""
        return self.probe_health(lambda: ", ".join(c.name for c in self.get_companies()),
                                 self._unread)

    def _first(self, path: str, call: str, items_key: str, param: Mapping[str, Any] | None = None,
               *, hungarian: bool = False) -> Any:
        """Return the first item of a listing (one record asked for), ``None`` when empty."""
        page_key, size_key = ("nPagina", "nRegPorPagina") if hungarian else (
            "pagina", "registros_por_pagina")
        data = self._call(path, call, {**(param or {}), page_key: 1, size_key: 1})
        items = data.get(items_key) if isinstance(data, dict) else None
        return items[0] if isinstance(items, list) and items else None

    def _unread(self) -> tuple[str, ...]:
        # ListarEmpresas is not sampled again: the probe just read it (its fields are required
        # there), and Omie refuses the same call within 60 s (REDUNDANT).
        samples: dict[str, Any] = {
            "ListarCategorias": self._first("geral/categorias", "ListarCategorias",
                                            "categoria_cadastro"),
            "ListarContasCorrentes": self._first("geral/contacorrente", "ListarContasCorrentes",
                                                 "ListarContasCorrentes"),
            "ListarMovimentos": self._first("financas/mf", "ListarMovimentos", "movimentos",
                                            hungarian=True),
        }
        account = samples["ListarContasCorrentes"]
        if isinstance(account, dict) and account.get("nCodCC") is not None:
            today = date.today()  # noqa: DTZ011 - a calendar day for a sample statement
            samples["ListarExtrato"] = self._call("financas/extrato", "ListarExtrato", {
                "nCodCC": account["nCodCC"], "dPeriodoInicial": today.replace(day=1).strftime(_DATE),
                "dPeriodoFinal": today.strftime(_DATE), "cExibirApenasSaldo": "N"})
        return tuple(f for call, item in samples.items() for f in unread_fields(call, item,
                                                                                 FIELDS[call]))

    def get_companies(self) -> tuple[Company, ...]:
        """Return the company records of this Omie account (one credential pair per company)."""
        return tuple(Company(code=p.text(item, "codigo_empresa", where),
                             name=p.text(item, "razao_social", where),
                             tax_id=p.text(item, "cnpj", where, required=False))
                     for p, where, item in self._pages("geral/empresas", "ListarEmpresas",
                                                       "empresas_cadastro"))

    def _categories(self) -> dict[str, str]:
        names: dict[str, str] = {}
        for p, where, item in self._pages("geral/categorias", "ListarCategorias",
                                          "categoria_cadastro"):
            if p.text(item, "totalizadora", where, required=False) != "S":
                names[p.text(item, "codigo", where)] = p.text(item, "descricao", where)
        return names

    def get_chart_of_accounts(self) -> pd.DataFrame:
        """Return the financial categories (the accounts of the management trial balance)."""
        rows = [{"entity": self.context.entity, "account": code, "account_name": name,
                 "account_type": "revenue" if code.startswith("1") else "expense"}
                for code, name in self._categories().items()]
        return pd.DataFrame(rows, columns=list(CHART_COLUMNS))

    def _titles(self, until: date) -> list[Title]:
        titles = []
        for p, where, item in self._pages("financas/mf", "ListarMovimentos", "movimentos",
                                          {self.accrual_filter: until.strftime(_DATE)},
                                          hungarian=True):
            det = p.get(item, "detalhes", where)
            w = f"{where}.detalhes"
            group = p.text(det, "cGrupo", w, required=False)
            if p.text(det, "cStatus", w) == "CANCELADO" or group not in (
                    "CONTA_A_RECEBER", "CONTA_A_PAGAR", ""):
                continue
            nature = p.text(det, "cNatureza", w)
            if nature not in ("R", "P"):
                raise p.error(f"{w}.cNatureza", f"expected R or P, got {nature!r}")
            amount = p.minor(det, "nValorTitulo", w)
            split = tuple((p.text(c, "cCodCateg", f"{where}.categorias[{i}]"),
                           p.minor(c, "nDistrValor", f"{where}.categorias[{i}]"))
                          for i, c in enumerate(p.items(item, "categorias", where)))
            if not split:
                split = ((p.text(det, "cCodCateg", w), amount),)
            if sum(a for _, a in split) != amount:
                raise p.error(f"{where}.categorias", "category split does not add up to "
                              "nValorTitulo")
            paid_on = p.day(det, "dDtPagamento", w, fmt=_DATE, required=False)
            paid = p.minor(p.get(item, "resumo", where), "nValPago", f"{where}.resumo")
            titles.append(Title(
                ref=p.text(det, "nCodTitulo", w), nature=nature,  # type: ignore[arg-type]
                accrual=p.day(det, self.accrual_field, w, fmt=_DATE), amount=amount,  # type: ignore[arg-type]
                categories=split,
                settlements=(Settlement(paid_on, paid),) if paid and paid_on else (),
                counterparty=p.text(det, "nCodCliente", w, required=False),
                due=p.day(det, "dDtVenc", w, fmt=_DATE, required=False)))
        return titles

    def _banks(self, first: date, last: date) -> list[BankBalance]:
        banks = []
        for p, where, item in self._pages("geral/contacorrente", "ListarContasCorrentes",
                                          "ListarContasCorrentes"):
            if p.text(item, "inativo", where, required=False) == "S":
                continue
            code = p.text(item, "nCodCC", where)
            data = self._call("financas/extrato", "ListarExtrato", {
                "nCodCC": int(code), "dPeriodoInicial": first.strftime(_DATE),
                "dPeriodoFinal": last.strftime(_DATE), "cExibirApenasSaldo": "N"})
            opening, closing = self._statement(code, data, first, last)
            banks.append(BankBalance(code, p.text(item, "descricao", where), opening, closing))
        return banks

    def _statement(self, code: str, data: Any, first: date, last: date) -> tuple[int, int]:
        """Return an account's balance before and at the end of the period, from its statement.

        Raises:
            InputDataError: a movement whose running balance ``nSaldo`` disagrees with the
                amounts before it, naming the row and the difference.

        """
        px = self.context.payload(f"financas/extrato ListarExtrato nCodCC={code}")
        opening = px.minor(data, "nSaldoAnterior")
        balance = opening
        for i, row in enumerate(px.items(data, "listaMovimentos")):
            w = f"listaMovimentos[{i}]"
            if px.get(row, "nCodLancamento", w, required=False) is None:
                continue  # the "SALDO ANTERIOR" / "SALDO" marker rows
            on = px.day(row, "dDataLancamento", w, fmt=_DATE)
            assert on is not None  # required
            if not first <= on <= last or px.text(row, "cSituacao", w) == "Previsto":
                continue  # outside the period, or forecast (not realised)
            nature = px.text(row, "cNatureza", w)
            if nature not in ("R", "P"):
                raise px.error(f"{w}.cNatureza", f"expected R or P, got {nature!r}")
            amount = abs(px.minor(row, "nValorDocumento", w))
            balance += amount if nature == "R" else -amount
            stated = px.get(row, "nSaldo", w, required=False)
            if stated is not None and px.minor(row, "nSaldo", w) != balance:
                cur, stated_minor = self.context.currency, px.minor(row, "nSaldo", w)
                raise px.error(f"{w}.nSaldo", f"running balance {format_money(stated_minor, cur)} "
                               f"!= nSaldoAnterior + movements {format_money(balance, cur)} "
                               f"({format_money(abs(stated_minor - balance), cur)} apart)")
        return opening, balance

    def get_trial_balance(self, period: Period) -> pd.DataFrame:
        """Build the management trial balance of ``period`` (see the module docstring)."""
        first, last = period_bounds(period)
        frame = build_management_trial_balance(
            entity=self.context.entity, period=period, titles=self._titles(last),
            banks=self._banks(first, last), category_names=self._categories(),
            fiscal_year_start_month=self.fy_start)
        check_trial_balance_balances(frame, entity=self.context.entity, source="Omie",
                                     currency=self.context.currency)
        return frame

    def get_receivables(self, as_of: date) -> pd.DataFrame:
        """Return receivables open at ``as_of`` (from ``ListarMovimentos``)."""
        return receivables_frame(self.context.entity, self._titles(as_of), as_of)

    def get_subledger_details(self, period: Period, account: str | None = None) -> pd.DataFrame:
        """Return the titles behind each category line of ``period``."""
        first, last = period_bounds(period)
        return titles_frame(self.context.entity, self._titles(last), first, last, account)


def _fault(response: httpx.Response) -> tuple[str, str] | None:
    """Return ``(faultcode, faultstring)`` when the body is an Omie fault."""
    if "json" not in response.headers.get("content-type", "") and not response.content.startswith(b"{"):
        return None
    try:
        data = response.json()
    except ValueError:
        return None
    if isinstance(data, dict) and "faultcode" in data:
        return str(data["faultcode"]), str(data.get("faultstring", ""))
    return None

