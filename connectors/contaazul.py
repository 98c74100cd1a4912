"""Conta Azul API v2 (api-v2.contaazul.com): a management trial balance from financial events.

Conta Azul exposes no ledger (apis.md §2.7). The trial balance is built as described in
``connectors.management``:

* categories from ``GET /v1/categorias`` (account = the category's ``id``, name = ``nome``);
* titles from ``GET /v1/financeiro/eventos-financeiros/contas-a-receber/buscar`` and
  ``…/contas-a-pagar/buscar`` (``data_competencia_ate`` = period end; the required due-date
  window spans ``history_years`` around it), on ``data_competencia``, for ``total``; status
  ``CANCELED``/``PERDIDO`` left out. A title with one category is that category's; a title with
  several, or with a payment (``pago`` > 0), is read from ``…/parcelas/{id}``: the split from
  ``evento.rateio[].valor`` and the settlements from ``baixas[].data_pagamento`` /
  ``valor_composicao.valor_bruto``;
* bank balances from ``GET /v1/conta-financeira`` and
  ``GET /v1/financeiro/eventos-financeiros/saldo-inicial`` asked for the period's first day
  (opening) and the day after its last (closing).

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
from datetime import date, timedelta
from typing import Any, ClassVar

import pandas as pd

from close.errors import ConfigError
from close.types import Period
from connectors.base import CHART_COLUMNS, Company, ConnectorContext, ERPConnector, HealthStatus
from connectors.http import ErpHttpClient, HttpPolicy
from connectors.management import (
    BankBalance,
    Settlement,
    Title,
    build_management_trial_balance,
    period_bounds,
    receivables_frame,
    titles_frame,
)
from connectors.payload import Payload
from connectors.settings import (
    check_keys,
    int_setting,
    rotating_refresh_token_auth,
    str_setting,
)
from connectors.trial_balance import check_trial_balance_balances

DEFAULT_BASE_URL = "https://api-v2.contaazul.com"
DEFAULT_TOKEN_URL = "https://auth.contaazul.com/oauth2/token"  # noqa: S105 - a URL, not a secret
POLICY = HttpPolicy(rate=10.0, burst=10)
PAGE_SIZES = (10, 20, 50, 100, 200, 500, 1000)
_SKIPPED_STATUS = frozenset({"CANCELED", "CANCELADO", "PERDIDO", "LOST"})
_EVENTS = "/v1/financeiro/eventos-financeiros"


class ContaAzulConnector(ERPConnector):
    """Conta Azul v2: management trial balance, company, categories and receivables."""

    name = "contaazul"
    SECRETS: ClassVar[tuple[str, ...]] = ("client_id", "client_secret", "refresh_token")

    def __init__(self, settings: Mapping[str, Any], context: ConnectorContext) -> None:
        """Check settings and secrets; compose the OAuth2 flow and the HTTP client.

        Raises:
            ConfigError: an unknown or bad setting, or a missing secret.

        """
        super().__init__(settings, context)
        entity = context.entity
        check_keys(settings, ("token_url", "history_years"), entity=entity, connector=self.name,
                   secrets=self.SECRETS)
        self.page_size = int_setting(settings, "page_size", 500, entity=entity, high=1000)
        if self.page_size not in PAGE_SIZES:
            raise ConfigError(f"bad page_size for entity {entity}", key="source.page_size",
                              expected=" or ".join(map(str, PAGE_SIZES)))
        self.fy_start = int_setting(settings, "fiscal_year_start", 1, entity=entity, high=12)
        self.history_years = int_setting(settings, "history_years", 5, entity=entity, high=50)
        self.auth = rotating_refresh_token_auth(
            context, settings, connector=self.name,
            token_url=str_setting(settings, "token_url", DEFAULT_TOKEN_URL, entity=entity))
        self.client = ErpHttpClient(
            provider=self.name, entity=entity, auth=self.auth,
            base_url=str_setting(settings, "base_url", DEFAULT_BASE_URL, entity=entity),
            policy=POLICY.with_settings(settings.get("http"), entity=entity),
            classify=self.classify_response, redis_url=context.redis_url,
            limiter_key=f"{self.name}:{entity}")

    def disconnect(self) -> None:
        """Close the HTTP client."""
        self.client.close()

    def _pages(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[
            tuple[Payload, str, Any]]:
        """Yield ``(payload, where, item)`` until ``itens_totais`` items have come."""
        payload = self.context.payload(path)
        page, seen, total = 1, 0, None
        while total is None or seen < total:
            data = self.client.get_json(path, params={**(params or {}), "pagina": page,
                                                      "tamanho_pagina": self.page_size})
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
        """Read the connected company with the entity's token."""
        return self.probe_health(lambda: self.get_companies()[0].name)

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

    def _titles(self, until: date) -> list[Title]:
        window = {"data_vencimento_de": date(until.year - self.history_years, 1, 1).isoformat(),
                  "data_vencimento_ate": date(until.year + self.history_years, 12, 31).isoformat(),
                  "data_competencia_ate": until.isoformat()}
        titles = []
        for kind, nature, party in (("contas-a-receber", "R", "cliente"),
                                    ("contas-a-pagar", "P", "fornecedor")):
            for p, where, item in self._pages(f"{_EVENTS}/{kind}/buscar", window):
                if p.text(item, "status", where, required=False).upper() in _SKIPPED_STATUS:
                    continue
                titles.append(self._title(p, where, item, nature, party))
        return titles

    def _title(self, p: Payload, where: str, item: Any, nature: str, party: str) -> Title:
        ident, amount = p.text(item, "id", where), p.minor(item, "total", where)
        categories = p.items(item, "categorias", where)
        split: tuple[tuple[str, int], ...] = ()
        settlements: tuple[Settlement, ...] = ()
        if len(categories) == 1:
            split = ((p.text(categories[0], "id", f"{where}.categorias[0]"), amount),)
        if len(categories) != 1 or p.minor(item, "pago", where, required=False):
            split_detail, settlements = self._detail(ident)
            split = split or split_detail
        if sum(a for _, a in split) != amount:
            raise p.error(f"{where}.categorias", "category split does not add up to total")
        counterparty = p.get(item, party, where, required=False) or {}
        return Title(ref=ident, nature=nature,  # type: ignore[arg-type]
                     accrual=p.day(item, "data_competencia", where) or date.min, amount=amount,
                     categories=split, settlements=settlements,
                     counterparty=p.text(counterparty, "nome", f"{where}.{party}", required=False),
                     due=p.day(item, "data_vencimento", where, required=False))

    def _detail(self, ident: str) -> tuple[tuple[tuple[str, int], ...],
                                           tuple[Settlement, ...]]:
        path = f"{_EVENTS}/parcelas/{ident}"
        data, p = self.client.get_json(path), self.context.payload(f"{_EVENTS}/parcelas/{{id}}")
        event = p.get(data, "evento")
        split = tuple((p.text(r, "id_categoria", f"evento.rateio[{i}]"),
                       p.minor(r, "valor", f"evento.rateio[{i}]"))
                      for i, r in enumerate(p.items(event, "rateio", "evento")))
        settlements = tuple(
            Settlement(p.day(b, "data_pagamento", f"baixas[{i}]") or date.min,
                       p.minor(p.get(b, "valor_composicao", f"baixas[{i}]"), "valor_bruto",
                               f"baixas[{i}].valor_composicao"))
            for i, b in enumerate(p.items(data, "baixas")))
        return split, settlements

    def _balances_at_start_of(self, day: date) -> dict[str, int]:
        path = f"{_EVENTS}/saldo-inicial"
        data = self.client.get_json(path, params={"data_inicio": day.isoformat(),
                                                  "data_fim": day.isoformat()})
        p = self.context.payload(path)
        return {p.text(item, "id_conta_financeira", f"itens[{i}]"):
                p.minor(item, "saldo_inicial", f"itens[{i}]")
                for i, item in enumerate(p.items(data, "itens"))}

    def _banks(self, first: date, last: date) -> list[BankBalance]:
        opening = self._balances_at_start_of(first)
        closing = self._balances_at_start_of(last + timedelta(days=1))
        return [BankBalance(code, p.text(item, "nome", where), opening.get(code, 0),
                            closing.get(code, 0))
                for p, where, item in self._pages("/v1/conta-financeira")
                if (code := p.text(item, "id", where))]

    def get_trial_balance(self, period: Period) -> pd.DataFrame:
        """Build the management trial balance of ``period`` (see the module docstring)."""
        first, last = period_bounds(period)
        names = {code: name for code, (name, _) in self._categories().items()}
        frame = build_management_trial_balance(
            entity=self.context.entity, period=period, titles=self._titles(last),
            banks=self._banks(first, last), category_names=names,
            fiscal_year_start_month=self.fy_start)
        check_trial_balance_balances(frame, entity=self.context.entity, source="Conta Azul",
                                     currency=self.context.currency)
        return frame

    def get_receivables(self, as_of: date) -> pd.DataFrame:
        """Return receivables open at ``as_of``."""
        return receivables_frame(self.context.entity, self._titles(as_of), as_of)

    def get_subledger_details(self, period: Period, account: str | None = None) -> pd.DataFrame:
        """Return the titles behind each category line of ``period``."""
        first, last = period_bounds(period)
        return titles_frame(self.context.entity, self._titles(last), first, last, account)
