"""Bling ERP API v3: a management trial balance from receivables, payables and cash movements.

Bling has no ledger (apis.md §3.5; its ``/contas-contabeis`` are *portadores*, i.e. bank and cash
accounts). The trial balance is built as described in ``connectors.management``; every endpoint,
parameter and field read here, with its source, is in ``connectors/bling.md``:

* categories from ``GET /categorias/receitas-despesas`` (account = the category ``id``);
* titles from ``GET /contas/receber`` (``tipoFiltroData=E``) and ``GET /contas/pagar``
  (``dataEmissaoInicial/Final``), read in one-year windows (Bling refuses longer ones) back
  ``history_years``; situations 4 (devolvido) and 5 (cancelado) left out. Lists carry no
  category, so each title is read from ``/contas/receber/{id}`` or ``/contas/pagar/{id}``: amount
  ``valor``, accrual date ``competencia`` (else ``dataEmissao``), category ``categoria.id`` —
  optional: a title without one goes to the ``UNCATEGORISED_*`` line, the run goes on;
* settlements through borderôs: every payment of a title (its *baixa*) is a borderô, listed in
  the title's ``borderos[]``; ``GET /borderos/{id}`` gives its date ``data`` and its
  ``pagamentos[]``; the one of this title (same ``contato.id`` and ``numeroDocumento``) takes
  ``valorPago − juros − acrescimo + desconto`` off the title on that date (checked: the title's
  ``saldo`` must be ``valor`` less what its borderôs took off, else the extract fails);
* bank balances from ``GET /caixas``: each portador's balance at a date is the sum of its
  registered movements (``situacao`` ``R``) up to that date, ``debCred`` ``C`` (money in)
  positive and ``D`` negative. A movement's ``origem.tipo`` says what it carries (``caixa`` a
  manual entry, ``duplicata`` a title, ``bordero`` a payment, ``estoque`` stock): a ``bordero``
  movement carries that borderô's payments, a ``duplicata`` one pays the title it names (used
  for a title that lists no borderô). The rest is what ``UNRECONCILED`` lists by movement id.

Auth: OAuth2 refresh-token grant at ``{base_url}/oauth/token`` (Basic client credentials); the
refresh token rotates and the new one is handed to ``ConnectorContext.store_secret``. Lists are
``{"data": [...]}`` paged by ``pagina``/``limite`` (≤ 100) without a total: the connector pages
until a short page (``/caixas`` takes no ``limite``: until an empty page). Rate: 3 requests per
second per Bling account (the default HTTP policy).

Settings: ``base_url``, ``token_url``, ``page_size`` (≤ 100), ``fiscal_year_start``,
``history_years`` (default 3), ``http``. Secrets: ``client_id``, ``client_secret``,
``refresh_token``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from typing import Any

import pandas as pd

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
    period_bounds,
    receivables_frame,
    titles_frame,
    uncategorised,
)
from connectors.payload import Payload
from connectors.settings import BlingSource
from connectors.trial_balance import check_trial_balance_balances

DEFAULT_BASE_URL = "https://api.bling.com.br/Api/v3"
# 3 requests per second, evenly spaced: a burst of 3 would put a 4th request inside a second
POLICY = HttpPolicy(rate=3.0, burst=1)
_SKIPPED_SITUATIONS = frozenset({"4", "5"})
# The fields each endpoint must send (connectors/bling.md; optional ones left out), which
# ``close connectors check`` looks for in a sample.
FIELDS: dict[str, tuple[str, ...]] = {
    "/categorias/receitas-despesas": ("id", "descricao", "tipo"),
    "/contas-contabeis": ("id", "descricao"),
    "/caixas": ("id", "debCred", "valor", "data", "contaFinanceira.id", "origem.tipo"),
    "/contas/receber": ("id", "situacao"),
    "/contas/pagar": ("id", "situacao"),
    "/contas/receber/{id}": ("valor", "dataEmissao", "vencimento", "contato.id", "borderos"),
    "/contas/pagar/{id}": ("valor", "dataEmissao", "vencimento", "contato.id", "borderos"),
    "/borderos/{id}": ("data", "pagamentos"),
}
# origem.tipo of a cash movement (developer.bling.com.br/referencia, Caixas e Bancos)
_ORIGINS = ("", "caixa", "duplicata", "bordero", "estoque")
_SETTLING = ("duplicata", "bordero")


class BlingConnector(ERPConnector):
    """Bling v3: management trial balance, company, categories and receivables."""

    name = "bling"
    API_VERSION = "Bling API v3 (OpenAPI 3.0 of developer.bling.com.br/referencia)"
    SETTINGS = BlingSource

    def __init__(self, settings: Mapping[str, Any], context: ConnectorContext) -> None:
        """Check settings and secrets; compose the OAuth2 flow and the HTTP client.

        Raises:
            ConfigError: an unknown or bad setting (``BlingSource``) or a missing secret.

        """
        super().__init__(settings, context)
        self._unexplained: tuple[UnexplainedItem, ...] = ()
        entity = context.entity
        source = BlingSource.parse(settings, entity=entity, connector=self.name)
        self.page_size = source.page_size
        self.fy_start = source.fiscal_year_start
        self.history_years = source.history_years
        base_url = source.base_url or DEFAULT_BASE_URL
        self.auth = rotating_refresh_token_auth(
            context, settings, connector=self.name,
            token_url=source.token_url or f"{base_url.rstrip('/')}/oauth/token")
        self.client = ErpHttpClient(
            provider=self.name, entity=entity, auth=self.auth, base_url=base_url,
            policy=POLICY.with_settings(source.http, entity=entity),
            classify=self.classify_response, redis_url=context.redis_url,
            limiter_key=f"{self.name}:{entity}")

    def disconnect(self) -> None:
        """Close the HTTP client."""
        self.client.close()

    def _pages(self, path: str, params: Mapping[str, Any] | None = None, *,
               sized: bool = True) -> Iterator[tuple[Payload, str, Any]]:
        """Yield ``(payload, where, item)`` page by page.

        ``sized``: the endpoint takes ``limite``, so a page shorter than it is the last; else
        (``/caixas`` publishes no ``limite``) the pages end with an empty one.
        """
        payload, page, seen = self.context.payload(path), 1, 0
        while True:
            sizing = {"limite": self.page_size} if sized else {}
            data = self.client.get_json(path, params={**(params or {}), "pagina": page, **sizing})
            items = payload.items(data, "data")
            for item in items:
                yield payload, f"data[{seen}]", item
                seen += 1
            if not items or (sized and len(items) < self.page_size):
                return
            page += 1

    def _windows(self, until: date) -> Iterator[tuple[date, date]]:
        """One-year windows from ``history_years`` back up to ``until`` (Bling's maximum)."""
        start = date(until.year - self.history_years, 1, 1)
        while start <= until:
            end = min(date(start.year + 1, start.month, start.day) - timedelta(days=1), until)
            yield start, end
            start = end + timedelta(days=1)

    def health_check(self) -> HealthStatus:
        """Read the company's basic data, then sample each endpoint for fields Bling did not send."""
        return self.probe_health(lambda: self.get_companies()[0].name, self._unread)

    def _first(self, path: str, params: Mapping[str, Any] | None = None, *,
               sized: bool = True) -> Any:
        """Return the first item of a listing (one record asked for), ``None`` when empty."""
        items = self.client.get_json(path, params={**(params or {}), "pagina": 1,
                                                   **({"limite": 1} if sized else {})})
        items = items.get("data") if isinstance(items, dict) else None
        return items[0] if isinstance(items, list) and items else None

    def _unread(self) -> tuple[str, ...]:
        today = date.today()  # noqa: DTZ011 - a calendar day for a sample window
        window = {"dataInicial": (today - timedelta(days=365)).isoformat(),  # Bling's longest
                  "dataFinal": today.isoformat()}
        samples: dict[str, Any] = {
            "/categorias/receitas-despesas": self._first("/categorias/receitas-despesas"),
            "/contas-contabeis": self._first("/contas-contabeis"),
            "/caixas": self._first("/caixas", window, sized=False),
        }
        for kind, keys in (("receber", ("dataInicial", "dataFinal")),
                           ("pagar", ("dataEmissaoInicial", "dataEmissaoFinal"))):
            listed = self._first(f"/contas/{kind}", {keys[0]: window["dataInicial"],
                                                     keys[1]: window["dataFinal"]})
            samples[f"/contas/{kind}"] = listed
            if isinstance(listed, dict) and listed.get("id") is not None:
                detail = self.client.get_json(f"/contas/{kind}/{listed['id']}")
                samples[f"/contas/{kind}/{{id}}"] = detail.get("data") if isinstance(detail, dict) else None
        paid = next((b for key in ("/contas/receber/{id}", "/contas/pagar/{id}")
                     if isinstance(samples.get(key), dict)
                     for b in samples[key].get("borderos") or () if b), None)
        if paid is not None:
            bordero = self.client.get_json(f"/borderos/{paid}")
            samples["/borderos/{id}"] = bordero.get("data") if isinstance(bordero, dict) else None
        return tuple(f for path, item in samples.items() for f in unread_fields(path, item, FIELDS[path]))

    def get_companies(self) -> tuple[Company, ...]:
        """Return the one company the token belongs to (``/empresas/me/dados-basicos``)."""
        path = "/empresas/me/dados-basicos"
        p = self.context.payload(path)
        data = p.get(self.client.get_json(path), "data")
        return (Company(code=p.text(data, "id", "data"), name=p.text(data, "nome", "data"),
                        tax_id=p.text(data, "cnpj", "data", required=False)),)

    def _categories(self) -> dict[str, tuple[str, str]]:
        return {p.text(item, "id", where): (p.text(item, "descricao", where),
                                            p.text(item, "tipo", where, required=False))
                for p, where, item in self._pages("/categorias/receitas-despesas")}

    def get_chart_of_accounts(self) -> pd.DataFrame:
        """Return the revenue and expense categories."""
        rows = [{"entity": self.context.entity, "account": code, "account_name": name,
                 "account_type": "revenue" if kind == "2" else "expense"}
                for code, (name, kind) in self._categories().items()]
        return pd.DataFrame(rows, columns=list(CHART_COLUMNS))

    def _cash(self, until: date) -> list[CashMovement]:
        """Return the registered cash movements up to ``until`` (``/caixas``)."""
        moves = []
        for start, end in self._windows(until):
            for p, where, item in self._pages("/caixas", {"dataInicial": start.isoformat(),
                                                          "dataFinal": end.isoformat()},
                                              sized=False):
                if p.text(item, "situacao", where, required=False) not in ("", "R"):
                    continue  # E excluded, H hidden … : not on the account
                side = p.text(item, "debCred", where)
                if side not in ("C", "D"):
                    raise p.error(f"{where}.debCred", f"expected C or D, got {side!r}")
                amount = p.minor(item, "valor", where)
                origin = p.get(item, "origem", where, required=False) or {}
                kind = p.text(origin, "tipo", f"{where}.origem", required=False)
                if kind not in _ORIGINS:
                    raise p.error(f"{where}.origem.tipo",
                                  f"expected one of {', '.join(_ORIGINS)}, got {kind!r}")
                origin_id = p.text(origin, "id", f"{where}.origem", required=False)
                moves.append(CashMovement(
                    bank=p.text(p.get(item, "contaFinanceira", where), "id",
                                f"{where}.contaFinanceira"),
                    ref=f"caixa {p.text(item, 'id', where)}", on=p.day(item, "data", where) or start,
                    amount=amount if side == "C" else -amount,
                    settles=f"{kind} {origin_id}" if kind in _SETTLING and origin_id else ""))
        return moves

    def _titles(self, until: date, cash: list[CashMovement]) -> list[Title]:
        borderos: dict[str, tuple[date, list[Any]]] = {}
        titles = []
        for kind, nature, keys in (("receber", "R", ("dataInicial", "dataFinal")),
                                   ("pagar", "P", ("dataEmissaoInicial", "dataEmissaoFinal"))):
            extra = {"tipoFiltroData": "E"} if nature == "R" else {}
            for start, end in self._windows(until):
                for p, where, item in self._pages(f"/contas/{kind}", {
                        **extra, keys[0]: start.isoformat(), keys[1]: end.isoformat()}):
                    if p.text(item, "situacao", where) in _SKIPPED_SITUATIONS:
                        continue
                    titles.append(self._title(kind, nature, p.text(item, "id", where), cash,
                                              borderos))
        return titles

    def _title(self, kind: str, nature: str, ident: str, cash: list[CashMovement],
               borderos: dict[str, tuple[date, list[Any]]]) -> Title:
        p = self.context.payload(f"/contas/{kind}/{{id}}")
        data = p.get(self.client.get_json(f"/contas/{kind}/{ident}"), "data")
        amount = p.minor(data, "valor", "data")
        accrual = (p.day(data, "competencia", "data", required=False)
                   or p.day(data, "dataEmissao", "data"))
        category = p.text(p.get(data, "categoria", "data", required=False) or {}, "id",
                          "data.categoria", required=False)
        contact = p.get(data, "contato", "data", required=False) or {}
        contact_id = p.text(contact, "id", "data.contato", required=False)
        document = p.text(data, "numeroDocumento", "data", required=False)
        settlements = [s for i, b in enumerate(p.get(data, "borderos", "data", required=False) or [])
                       if (bordero := str(b)) != "0"
                       for s in self._paid_by(bordero, contact_id, document, borderos,
                                              f"data.borderos[{i}]")]
        if settlements and "saldo" in data:  # saldo = valor − what its payments took off
            check_payments_match(p, "data.saldo", ident, amount - p.minor(data, "saldo", "data"),
                                 settlements)
        if not settlements:  # a title paid straight from the cash book names itself
            settlements = [Settlement(m.on, abs(m.amount), m.settles) for m in cash
                           if m.settles == f"duplicata {ident}"]
        return Title(ref=ident, nature=nature, accrual=accrual or date.min,  # type: ignore[arg-type]
                     amount=amount,
                     categories=((category if category not in ("", "0") else uncategorised(nature),
                                  amount),),
                     settlements=tuple(settlements),
                     counterparty=p.text(contact, "nome", "data.contato", required=False),
                     due=p.day(data, "vencimento", "data", required=False))

    def _paid_by(self, bordero: str, contact: str, document: str,
                 cache: dict[str, tuple[date, list[Any]]], where: str) -> list[Settlement]:
        """Return the settlement a borderô makes of one title (and use its payment up)."""
        p = self.context.payload("/borderos/{id}")
        if bordero not in cache:
            data = p.get(self.client.get_json(f"/borderos/{bordero}"), "data")
            cache[bordero] = (p.day(data, "data", "data") or date.min,
                              list(p.items(data, "pagamentos", "data")))
        on, payments = cache[bordero]
        for i, pay in enumerate(payments):
            at = f"data.pagamentos[{i}]"
            mine = (len(payments) == 1 or (
                p.text(p.get(pay, "contato", at, required=False) or {}, "id", at,
                       required=False) == contact
                and p.text(pay, "numeroDocumento", at, required=False) in ("", document)))
            if mine:
                payments.pop(i)
                principal = (p.minor(pay, "valorPago", at)
                             - p.minor(pay, "juros", at, required=False)
                             - p.minor(pay, "acrescimo", at, required=False)
                             + p.minor(pay, "desconto", at, required=False))
                return [Settlement(on, principal, f"bordero {bordero}")]
        raise p.error(where, f"borderô {bordero} has no payment for this title")

    def _banks(self, first: date, last: date, cash: list[CashMovement]) -> list[BankBalance]:
        names = {code: p.text(item, "descricao", where)
                 for p, where, item in self._pages("/contas-contabeis")
                 if (code := p.text(item, "id", where))}
        return bank_balances(names, cash, first, last)

    def get_trial_balance(self, period: Period) -> pd.DataFrame:
        """Build the management trial balance of ``period`` (see the module docstring)."""
        first, last = period_bounds(period)
        cash = self._cash(last)
        names = {code: name for code, (name, _) in self._categories().items()}
        titles = self._titles(last, cash)
        frame = build_management_trial_balance(
            entity=self.context.entity, period=period, titles=titles,
            banks=self._banks(first, last, cash), category_names=names,
            fiscal_year_start_month=self.fy_start)
        check_trial_balance_balances(frame, entity=self.context.entity, source="Bling",
                                     currency=self.context.currency)
        self._unexplained = explain_unreconciled(frame, period, titles, cash)
        return frame

    def unexplained_movements(self) -> tuple[Mapping[str, object], ...]:
        """Return the items of the last trial balance's ``UNRECONCILED`` line."""
        return tuple(i.as_dict() for i in self._unexplained)

    def get_receivables(self, as_of: date) -> pd.DataFrame:
        """Return receivables open at ``as_of``."""
        return receivables_frame(self.context.entity, self._titles(as_of, self._cash(as_of)),
                                 as_of)

    def get_subledger_details(self, period: Period, account: str | None = None) -> pd.DataFrame:
        """Return the titles behind each category line of ``period``."""
        first, last = period_bounds(period)
        titles = self._titles(last, self._cash(last))
        return titles_frame(self.context.entity, titles, first, last, account)
