"""Conta Azul API v2 (api-v2.contaazul.com): a management trial balance from financial events.

Conta Azul exposes no ledger (apis.md §2.7). The trial balance is built as described in
``connectors.management``; every endpoint, parameter and field read here, with its source (the
published "Financeiro" OpenAPI), is in ``connectors/contaazul.md``:

* categories from ``GET /v1/categorias`` (account = the category's ``id``, name = ``nome``);
* titles (installments, *parcelas*) from ``GET /v1/financeiro/eventos-financeiros/
  contas-a-receber/buscar`` and ``…/contas-a-pagar/buscar`` (the required due-date window spans
  ``history_years`` around the period), on ``data_competencia``, for ``total``. The status is
  the spec's ``status_traduzido`` enumeration (``EM_ABERTO``, ``ATRASADO``, ``RECEBIDO``,
  ``RECEBIDO_PARCIAL``, ``RENEGOCIADO``, ``PERDIDO``; ``CANCELADO`` observed); ``PERDIDO`` and
  cancelled ones are left out. A title with one category is that category's; a title with
  several, or with a payment (``pago`` > 0), is read from ``…/parcelas/{id}`` (installment
  status ``PENDENTE``, ``QUITADO``, ``RECEBIDO_PARCIAL``, ``ATRASADO``, ``RENEGOCIADO``,
  ``CANCELADO``, ``PERDIDO``): the split from ``evento.rateio[].valor``, and each payment
  (``baixas[]``) takes ``valor_composicao.valor_bruto`` off the title on ``data_pagamento``
  while ``valor_liquido`` moves its ``conta_financeira`` (checked: the payments add up to the
  title's ``pago``, else the extract fails);
* a ``RENEGOCIADO`` installment keeps its revenue and is settled, without money, by its
  ``renegociacao.valor``; the installments of the event that replaces it
  (``renegociacao.id_evento``, read from ``…/{id_evento}/parcelas``) carry the receivable on
  without counting the revenue again (only what they add over that value);
* bank balances: ``GET /v1/financeiro/eventos-financeiros/saldo-inicial`` returns each financial
  account's opening-balance record (``saldo_inicial`` with ``tipo`` RECEITA positive, DESPESA
  negative, on ``data_competencia``; asked with date-time bounds and paged, 10 by default); an
  account's balance at a day = its opening records up to that day ± its payments (``baixas``)
  and transfers (``GET /v1/financeiro/transferencias``) up to it.

Auth: OAuth2 refresh-token grant at ``https://auth.contaazul.com/oauth2/token`` (client id and
secret in a Basic header); the refresh token rotates on every use and the new one is handed to
``ConnectorContext.store_secret``. Pages are ``pagina``/``tamanho_pagina`` with ``itens_totais``;
the connector reads until it has ``itens_totais`` items, since the server may return fewer than
asked. Rate: 10 requests per second per connected account.

Settings: ``base_url``, ``token_url``, ``page_size`` (10/20/50/100/200/500/1000),
``fiscal_year_start``, ``history_years`` (default 5), ``http``.
Secrets: ``client_id``, ``client_secret``, ``refresh_token``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

import pandas as pd

from close.engine.periods import period_bounds
from close.engine.types import Period
from connectors.auth import rotating_refresh_token_auth
from connectors.base import CHART_COLUMNS, Company, ConnectorContext, ERPConnector, HealthStatus
from connectors.field_map import unread_fields
from connectors.http import ErpHttpClient, HttpPolicy
from connectors.management import (
    BankBalance,
    CashMovement,
    Settlement,
    Title,
    UnexplainedItem,
    bank_balances,
    build_management_trial_balance,
    check_payments_match,
    explain_unreconciled,
    receivables_frame,
    titles_frame,
    uncategorised,
)
from connectors.payload import Payload
from connectors.settings import CONTAAZUL_PAGE_SIZES, ContaAzulSource
from connectors.trial_balance import check_trial_balance_balances

DEFAULT_BASE_URL = "https://api-v2.contaazul.com"
DEFAULT_TOKEN_URL = "https://auth.contaazul.com/oauth2/token"  # noqa: S105 - a URL, not a secret
POLICY = HttpPolicy(rate=10.0, burst=10)
# status_traduzido of a title in the buscar lists (spec enum; CANCELADO observed live)
_TITLE_STATUSES = frozenset({"EM_ABERTO", "ATRASADO", "RECEBIDO", "RECEBIDO_PARCIAL",
                             "RENEGOCIADO", "PERDIDO", "CANCELADO"})
# status as observed live (apis.md §2.6), read when status_traduzido is absent
_OBSERVED_STATUS = {"PENDING": "EM_ABERTO", "OVERDUE": "ATRASADO", "ACQUITTED": "RECEBIDO",
                    "PARTIAL": "RECEBIDO_PARCIAL", "RENEGOTIATED": "RENEGOCIADO",
                    "LOST": "PERDIDO", "CANCELED": "CANCELADO"}
_SKIPPED_STATUS = frozenset({"PERDIDO", "CANCELADO"})
# The fields each endpoint must send (connectors/contaazul.md; optional ones left out), which
# ``close connectors check`` looks for in a sample.
_TITLE_FIELDS = ("id", "total", "data_competencia", "data_vencimento", "status_traduzido", "categorias")
FIELDS: dict[str, tuple[str, ...]] = {
    "/v1/categorias": ("id", "nome", "tipo"),
    "/v1/conta-financeira": ("id", "nome"),
    "saldo-inicial": ("tipo", "id_conta_financeira", "data_competencia", "saldo_inicial"),
    "contas-a-receber/buscar": _TITLE_FIELDS,
    "contas-a-pagar/buscar": _TITLE_FIELDS,
    "parcelas/{id}": ("status", "evento.rateio", "baixas"),
}
# Parcela.status (spec enum)
_INSTALLMENT_STATUSES = ("PENDENTE", "QUITADO", "CANCELADO", "RENEGOCIADO", "RECEBIDO_PARCIAL",
                         "ATRASADO", "PERDIDO")
_EARLIEST = date(1900, 1, 1)  # saldo-inicial is asked for every record, however old
_OPENING_PAGE = 10  # saldo-inicial: tamanho_pagina defaults to 10 and has no published enum
_EVENTS = "/v1/financeiro/eventos-financeiros"


class ContaAzulConnector(ERPConnector):
    """Conta Azul v2: management trial balance, company, categories and receivables."""

    name = "contaazul"
    API_VERSION = "Conta Azul API v2 (Financeiro OpenAPI v1, developers.contaazul.com)"
    SETTINGS = ContaAzulSource

    def __init__(self, settings: Mapping[str, Any], context: ConnectorContext) -> None:
        """Check settings and secrets; compose the OAuth2 flow and the HTTP client.

        Raises:
            ConfigError: an unknown or bad setting (``ContaAzulSource``) or a missing secret.

        """
        super().__init__(settings, context)
        self._unexplained: tuple[UnexplainedItem, ...] = ()
        entity = context.entity
        source = ContaAzulSource.parse(settings, entity=entity, connector=self.name)
        self.page_size = source.page_size
        self.fy_start = source.fiscal_year_start
        self.history_years = source.history_years
        self.auth = rotating_refresh_token_auth(context, settings, connector=self.name,
                                                token_url=source.token_url or DEFAULT_TOKEN_URL)
        self.client = ErpHttpClient(
            provider=self.name, entity=entity, auth=self.auth, base_url=source.base_url or DEFAULT_BASE_URL,
            policy=POLICY.with_settings(source.http, entity=entity),
            classify=self.classify_response, redis_url=context.redis_url,
            limiter_key=f"{self.name}:{entity}")

    def disconnect(self) -> None:
        """Close the HTTP client."""
        self.client.close()

    def _pages(self, path: str, params: Mapping[str, Any] | None = None, *,
               page_size: int | None = None) -> Iterator[tuple[Payload, str, Any]]:
        """Yield ``(payload, where, item)`` until ``itens_totais`` items have come."""
        payload = self.context.payload(path)
        page, seen, total = 1, 0, None
        while total is None or seen < total:
            data = self.client.get_json(path, params={**(params or {}), "pagina": page,
                                                      "tamanho_pagina": page_size or self.page_size})
            total = int(payload.get(data, "itens_totais"))
            items = payload.items(data, "itens")
            if not items:
                if seen < total:
                    raise payload.error("itens", f"page {page} is empty after {seen} of "
                                        f"{total} items (the data changed while paging)")
                break
            for item in items:
                yield payload, f"itens[{seen}]", item
                seen += 1
            page += 1

    def health_check(self) -> HealthStatus:
        """Read the connected company, then sample each endpoint for fields it did not send."""
        return self.probe_health(lambda: self.get_companies()[0].name, self._unread)

    def _first(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """Return the first item of a listing (the smallest page asked for), ``None`` when empty."""
        data = self.client.get_json(path, params={**(params or {}), "pagina": 1,
                                                  "tamanho_pagina": CONTAAZUL_PAGE_SIZES[0]})
        items = data.get("itens") if isinstance(data, dict) else None
        return items[0] if isinstance(items, list) and items else None

    def _unread(self) -> tuple[str, ...]:
        today = date.today()  # noqa: DTZ011 - a calendar day for a sample window
        due = {"data_vencimento_de": date(today.year - 1, 1, 1).isoformat(),
               "data_vencimento_ate": date(today.year + 1, 12, 31).isoformat()}
        samples: dict[str, Any] = {
            "/v1/categorias": self._first("/v1/categorias", {"permite_apenas_filhos": "true"}),
            "/v1/conta-financeira": self._first("/v1/conta-financeira"),
            "saldo-inicial": self._first(f"{_EVENTS}/saldo-inicial", {
                "data_inicio": f"{_EARLIEST.isoformat()}T00:00:00",
                "data_fim": f"{today.isoformat()}T23:59:59"}),
            "contas-a-receber/buscar": self._first(f"{_EVENTS}/contas-a-receber/buscar", due),
            "contas-a-pagar/buscar": self._first(f"{_EVENTS}/contas-a-pagar/buscar", due),
        }
        title = samples["contas-a-receber/buscar"] or samples["contas-a-pagar/buscar"]
        if isinstance(title, dict) and title.get("id"):
            samples["parcelas/{id}"] = self.client.get_json(f"{_EVENTS}/parcelas/{title['id']}")
        return tuple(f for path, item in samples.items() for f in unread_fields(path, item, FIELDS[path]))

    def get_companies(self) -> tuple[Company, ...]:
        """Return the one company the authorization belongs to (``/v1/pessoas/conta-conectada``)."""
        path = "/v1/pessoas/conta-conectada"
        data, p = self.client.get_json(path), self.context.payload(path)
        return (Company(code=p.text(data, "id_empresa", required=False) or self.context.entity,
                        name=p.text(data, "razao_social"),
                        tax_id=p.text(data, "documento", required=False)),)

    def _categories(self) -> dict[str, tuple[str, str]]:
        return {p.text(item, "id", where): (p.text(item, "nome", where),
                                            p.text(item, "tipo", where, required=False))
                for p, where, item in self._pages("/v1/categorias",
                                                  {"permite_apenas_filhos": "true"})}

    def get_chart_of_accounts(self) -> pd.DataFrame:
        """Return the financial categories (the accounts of the management trial balance)."""
        rows = [{"entity": self.context.entity, "account": code, "account_name": name,
                 "account_type": "revenue" if kind == "RECEITA" else "expense"}
                for code, (name, kind) in self._categories().items()]
        return pd.DataFrame(rows, columns=list(CHART_COLUMNS))

    def _titles(self, until: date) -> tuple[list[Title], list[CashMovement]]:
        """Return the titles due within ``history_years`` and the bank movements of their payments."""
        window = {"data_vencimento_de": date(until.year - self.history_years, 1, 1).isoformat(),
                  "data_vencimento_ate": date(until.year + self.history_years, 12, 31).isoformat()}
        titles: list[Title] = []
        moves: list[CashMovement] = []
        for kind, nature, party in (("contas-a-receber", "R", "cliente"),
                                    ("contas-a-pagar", "P", "fornecedor")):
            found = [(p, where, item, self._status(p, where, item))
                     for p, where, item in self._pages(f"{_EVENTS}/{kind}/buscar", window)]
            renewed, renegotiated_on = self._renegotiated(found)
            for p, where, item, status in found:
                if status in _SKIPPED_STATUS:
                    continue
                ident = p.text(item, "id", where)
                title, paid = self._title(p, where, item, nature, party,
                                          renegotiated_on.get(ident), renewed.get(ident))
                titles.append(title)
                moves.extend(paid)
        return titles, moves

    @staticmethod
    def _status(p: Payload, where: str, item: Any) -> str:
        """Return the spec's status (``status_traduzido``, else the observed ``status``)."""
        status = p.text(item, "status_traduzido", where, required=False)
        status = status or _OBSERVED_STATUS.get(p.text(item, "status", where), "")
        if status not in _TITLE_STATUSES:
            raise p.error(f"{where}.status_traduzido",
                          f"expected one of {', '.join(sorted(_TITLE_STATUSES))}, got {status!r}")
        return status

    def _renegotiated(self, found: list[tuple[Payload, str, Any, str]]) -> tuple[
            dict[str, int], dict[str, date]]:
        """Read the events that replace renegotiated installments.

        Returns:
            New installment id → the renegotiated value it carries on (the first installment
            carries it all), and renegotiated installment id → the new event's accrual date.

        """
        renewed: dict[str, int] = {}
        dates: dict[str, date] = {}
        q = self.context.payload(f"{_EVENTS}/{{id_evento}}/parcelas")
        for p, where, item, status in found:
            if status != "RENEGOCIADO":
                continue
            deal = p.get(item, "renegociacao", where)
            event = p.text(deal, "id_evento", f"{where}.renegociacao")
            parcels = self.client.get_json(f"{_EVENTS}/{event}/parcelas")
            if not isinstance(parcels, list) or not parcels:
                raise q.error("", f"expected the installments of event {event}, got {parcels!r}")
            value = p.minor(deal, "valor", f"{where}.renegociacao")
            for n, parcel in enumerate(parcels):
                renewed[q.text(parcel, "id", f"[{n}]")] = value if n == 0 else 0
            dates[p.text(item, "id", where)] = q.day(q.get(parcels[0], "evento", "[0]"),
                                                     "data_competencia", "[0].evento") or date.min
        return renewed, dates

    def _title(self, p: Payload, where: str, item: Any, nature: str, party: str,
               renegotiated_on: date | None, replaces: int | None,
               ) -> tuple[Title, list[CashMovement]]:
        ident, amount = p.text(item, "id", where), p.minor(item, "total", where)
        accrual = p.day(item, "data_competencia", where) or date.min
        categories = p.items(item, "categorias", where)
        split: tuple[tuple[str, int], ...] = ()
        settlements: list[Settlement] = []
        moves: list[CashMovement] = []
        if len(categories) == 1:
            split = ((p.text(categories[0], "id", f"{where}.categorias[0]"), amount),)
        elif not categories:
            split = ((uncategorised(nature), amount),)
        paid = p.minor(item, "pago", where, required=False)
        if not split or paid:
            split_detail, settlements, moves = self._detail(ident, nature)
            split = split or split_detail
            check_payments_match(p, f"{where}.pago", ident, paid, settlements)
        if sum(a for _, a in split) != amount:
            raise p.error(f"{where}.categorias", "category split does not add up to total")
        if renegotiated_on is not None:  # settled by the event that replaces it, no money moved
            deal = p.get(item, "renegociacao", where)
            settlements.append(Settlement(
                renegotiated_on, p.minor(deal, "valor", f"{where}.renegociacao"),
                f"renegociacao {p.text(deal, 'id', f'{where}.renegociacao')}", cash=False))
        if replaces is not None:  # the revenue was counted on the installment it replaces
            extra = amount - replaces
            split = ((split[0][0], extra),) if extra else ()
        counterparty = p.get(item, party, where, required=False) or {}
        title = Title(ref=ident, nature=nature,  # type: ignore[arg-type]
                      accrual=accrual, amount=amount, categories=split,
                      settlements=tuple(settlements),
                      counterparty=p.text(counterparty, "nome", f"{where}.{party}", required=False),
                      due=p.day(item, "data_vencimento", where, required=False))
        return title, moves

    def _detail(self, ident: str, nature: str) -> tuple[tuple[tuple[str, int], ...],
                                                         list[Settlement], list[CashMovement]]:
        path = f"{_EVENTS}/parcelas/{ident}"
        data, p = self.client.get_json(path), self.context.payload(f"{_EVENTS}/parcelas/{{id}}")
        status = p.text(data, "status", required=False)
        if status and status not in _INSTALLMENT_STATUSES:
            raise p.error("status", f"expected one of {', '.join(_INSTALLMENT_STATUSES)}, "
                          f"got {status!r}")
        event = p.get(data, "evento")
        split = tuple((p.text(r, "id_categoria", f"evento.rateio[{i}]"),
                       p.minor(r, "valor", f"evento.rateio[{i}]"))
                      for i, r in enumerate(p.items(event, "rateio", "evento")))
        sign = 1 if nature == "R" else -1
        settlements, moves = [], []
        for i, b in enumerate(p.items(data, "baixas")):
            at = f"baixas[{i}]"
            ref = f"baixa {p.text(b, 'id', at)}"
            on = p.day(b, "data_pagamento", at) or date.min
            value = p.get(b, "valor_composicao", at)
            settlements.append(Settlement(on, p.minor(value, "valor_bruto", f"{at}.valor_composicao"),
                                          ref))
            net = p.minor(value, "valor_liquido", f"{at}.valor_composicao", required=False)
            account = p.text(p.get(b, "conta_financeira", at), "id", f"{at}.conta_financeira")
            moves.append(CashMovement(account, ref, on, sign * (net or settlements[-1].amount), ref))
        return split, settlements, moves

    def _openings(self, last: date) -> dict[str, list[tuple[date, int]]]:
        """Each account's opening-balance records dated up to ``last``, signed by ``tipo``.

        Raises:
            InputDataError: a record dated before the history the connector reads (its
                movements since would be missing): ``history_years`` must reach back to it.

        """
        records: dict[str, list[tuple[date, int]]] = {}
        start = date(last.year - self.history_years, 1, 1)
        bounds = {"data_inicio": f"{_EARLIEST.isoformat()}T00:00:00",
                  "data_fim": f"{last.isoformat()}T23:59:59"}
        for p, where, item in self._pages(f"{_EVENTS}/saldo-inicial", bounds,
                                          page_size=_OPENING_PAGE):
            kind = p.text(item, "tipo", where)
            amount = p.minor(item, "saldo_inicial", where)
            if kind not in ("RECEITA", "DESPESA") or (kind == "RECEITA" and amount < 0):
                raise p.error(f"{where}.tipo", f"expected RECEITA (balance ≥ 0) or DESPESA, got "
                              f"{kind!r} for a balance of {amount}")
            on = p.day(item, "data_competencia", where) or date.min
            if on < start:
                raise p.error(f"{where}.data_competencia",
                              f"opening balance dated {on} is before the {self.history_years} "
                              f"years of payments read (from {start}): raise history_years")
            records.setdefault(p.text(item, "id_conta_financeira", where), []).append(
                (on, abs(amount) if kind == "RECEITA" else -abs(amount)))
        return records

    def _transfers(self, last: date) -> list[CashMovement]:
        """Both legs of every transfer between financial accounts up to ``last``."""
        moves = []
        window = {"data_inicio": date(last.year - self.history_years, 1, 1).isoformat(),
                  "data_fim": last.isoformat()}
        for p, where, item in self._pages("/v1/financeiro/transferencias", window):
            ref = f"transferencia {p.text(item, 'id', where)}"
            amount = p.minor(item, "valor", where)
            for leg, sign in (("origem", -1), ("destino", 1)):
                side = p.get(item, leg, where)
                account = p.text(p.get(side, "conta_financeira", f"{where}.{leg}"), "id",
                                 f"{where}.{leg}.conta_financeira")
                moves.append(CashMovement(account, ref, p.day(side, "data", f"{where}.{leg}")
                                          or p.day(item, "data", where) or date.min,
                                          sign * amount, ref))
        return moves

    def _banks(self, first: date, last: date, moves: list[CashMovement]) -> list[BankBalance]:
        names = {code: p.text(item, "nome", where)
                 for p, where, item in self._pages("/v1/conta-financeira")
                 if (code := p.text(item, "id", where))}
        return bank_balances(names, moves, first, last, self._openings(last))

    def get_trial_balance(self, period: Period) -> pd.DataFrame:
        """Build the management trial balance of ``period`` (see the module docstring)."""
        first, last = period_bounds(period)
        names = {code: name for code, (name, _) in self._categories().items()}
        titles, moves = self._titles(last)
        moves += self._transfers(last)
        frame = build_management_trial_balance(
            entity=self.context.entity, period=period, titles=titles,
            banks=self._banks(first, last, moves), category_names=names,
            fiscal_year_start_month=self.fy_start)
        check_trial_balance_balances(frame, entity=self.context.entity, source="Conta Azul",
                                     currency=self.context.currency)
        self._unexplained = explain_unreconciled(frame, period, titles, moves)
        return frame

    def unexplained_movements(self) -> tuple[Mapping[str, object], ...]:
        """Return the items of the last trial balance's ``UNRECONCILED`` line."""
        return tuple(i.as_dict() for i in self._unexplained)

    def get_receivables(self, as_of: date) -> pd.DataFrame:
        """Return receivables open at ``as_of``."""
        return receivables_frame(self.context.entity, self._titles(as_of)[0], as_of)

    def get_subledger_details(self, period: Period, account: str | None = None) -> pd.DataFrame:
        """Return the titles behind each category line of ``period``."""
        first, last = period_bounds(period)
        return titles_frame(self.context.entity, self._titles(last)[0], first, last, account)
