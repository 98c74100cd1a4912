"""TOTVS: RM Gestão Contábil and Protheus (SIGACTB), both real general-ledger trial balances.

The field map — every endpoint, parameter and field read, with its source — is
``connectors/totvs.md``. In short:

**RM** (``totvs_rm``, base ``https://host:8051``): token ``POST /api/connect/token`` with the JSON
body ``{"grant_type": "password", "username", "password"}`` (TDN pageId=539528505; the token
lives 5 minutes, a new one is asked the same way); branches from ``GET /api/framework/v1/Branches``
(standard message Branch 2.003: ``BranchInternalId`` = ``CompanyID|BranchID``, ``Code``,
``CompanyCode``, ``Description``); analytic accounts (``analytics`` = 1, an integer) from
``GET /api/ctb/v1/AccountingPlan``; the trial balance from ``GET /api/ctb/v1/AccountingTransactions
?companyId=&date=<period>`` (view ``CSALDOCONTABILVIEW``).

TOTVS publishes the fields of ``AccountingTransactions`` but not what they mean beyond their
labels (``value`` "Valor", ``debitValue``/``creditValue`` "Valor de Débito/Crédito", ``date``
"Data", the ``date`` parameter "Período Contábil (data inicial e data final)"). The reading chosen
here can be checked, and is checked on every extract:

* one request covers ``ledger_start`` .. period end (``date_param`` renders the range; default
  ``YYYY-MM-DD,YYYY-MM-DD``); every row must be dated inside it, or the server did not read the
  range as sent and the extract fails;
* each row is one account × branch × cost centre × day: ``debitValue``/``creditValue`` are that
  day's turnovers. Opening = Σ(debit − credit) of the rows before the period; the period's debits
  and credits are the sums inside it; closing = opening + debits − credits;
* ``transactions_value`` says what ``value`` is, and the connector verifies it:
  ``"balance"`` (default) — the account's balance at the end of the row's day, debit positive: the
  last row of every account × branch × cost centre must equal Σ(debit − credit) of its rows up to
  then, i.e. the trial balance reconciles with the ERP's own balances; ``"movement"`` — the
  row's debit − credit. Any difference fails the extract, naming account, branch, cost centre,
  date and the amounts.

Branches are summed per account and cost centre.

**Protheus** (``totvs_protheus``, base ``https://host:port/rest``): token
``POST /api/oauth2/v1/token?grant_type=password&username=&password=`` — parameters in the query
string as TDN pageId=465383509 publishes them — then ``grant_type=refresh_token`` the same way.
Protheus publishes no REST balancete, so the connector reads the customer's REST endpoint
(WSRESTFUL/tlppRest, path in ``balancete_path``, default ``/api/ctb/v1/balancete``) that aggregates
CT1 + CQ0 the way the standard balancete does: ``GET ?dataInicial=AAAAMMDD&dataFinal=AAAAMMDD
&moeda=01&tpSaldo=1&page=&pageSize=`` with header ``tenantId: <grupo>,<filial>`` answering
``{hasNext, items: [{conta, descricao, classe (1 sintética, 2 analítica), normal, centroCusto,
saldoAnterior, debito, credito, saldoAtual}]}``. Synthetic accounts are not lines; each line must
roll forward (``saldoAtual`` is the ERP's balance the movements are checked against).

Both: pages ``page``/``pageSize`` with ``hasNext``; errors ``{code, message, detailedMessage,
helpUrl}`` — RM answers validation errors with 502, which is therefore fatal when it carries that
body (a proxy's 502 stays retriable). ``auth = "basic"`` uses HTTP Basic instead of a token (both
products accept it). No documented rate limit (on-premise capacity): ``http.rate`` may set one.

Settings: ``base_url`` (required), ``auth`` (``oauth2``/``basic``), ``token_url``, ``page_size``,
``http``; RM ``company_id`` (CODCOLIGADA, default 1), ``ledger_start`` (default ``1900-01-01``),
``date_param``, ``transactions_value``; Protheus ``tenant_id`` (required), ``balancete_path``,
``currency_code`` (moeda, default ``01``). Secrets: ``username``, ``password``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar, Generic, TypeVar, cast

import httpx
import pandas as pd

from close.engine.periods import period_bounds
from close.engine.types import Period
from close.errors import ConfigError
from connectors.auth import BasicAuth, OAuth2, require_secret
from connectors.base import CHART_COLUMNS, Company, ConnectorContext, ERPConnector, HealthStatus
from connectors.errors import FatalConnectorError
from connectors.field_map import unread_fields
from connectors.http import ErpHttpClient, HttpPolicy
from connectors.payload import Payload
from connectors.settings import TotvsProtheusSource, TotvsRmSource, TotvsSource
from connectors.trial_balance import (
    build_local_tb,
    check_line_arithmetic,
    check_trial_balance_balances,
    format_money,
)

POLICY = HttpPolicy()
_Source = TypeVar("_Source", bound=TotvsSource)
TRANSACTIONS = "/api/ctb/v1/AccountingTransactions"
PLAN = "/api/ctb/v1/AccountingPlan"
BRANCHES = "/api/framework/v1/Branches"
# The fields each endpoint's items are read for (connectors/totvs.md), sampled by the health check.
RM_FIELDS: dict[str, tuple[str, ...]] = {
    BRANCHES: ("BranchInternalId", "CompanyCode", "Code", "Description"),
    PLAN: ("companyId", "code", "description", "analytics"),
    TRANSACTIONS: ("account", "branchId", "costCenterCode", "date", "value", "debitValue",
                   "creditValue"),
}
BALANCETE_FIELDS: tuple[str, ...] = ("conta", "descricao", "classe", "centroCusto", "saldoAnterior",
                                     "debito", "credito", "saldoAtual")


def _last_month() -> str:
    return (datetime.now(UTC).date().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


class _TotvsConnector(ERPConnector, Generic[_Source]):
    """What RM and Protheus share: auth, paging and the error body; ``_Source`` is the product's settings."""

    SETTINGS: ClassVar[type[TotvsSource]] = TotvsSource
    TOKEN_PATH: ClassVar[str] = ""

    def __init__(self, settings: Mapping[str, Any], context: ConnectorContext) -> None:
        """Check settings and secrets; compose auth and the HTTP client.

        Raises:
            ConfigError: an unknown or bad setting (``SETTINGS``), no ``base_url``, or a missing secret.

        """
        super().__init__(settings, context)
        entity = context.entity
        self.source = cast(_Source, self.SETTINGS.parse(settings, entity=entity, connector=self.name))
        if self.source.base_url is None:
            raise ConfigError(f"connector {self.name} of entity {entity}: missing (TOTVS runs on the "
                              "customer's server)", key="source.base_url", expected="the API's root URL")
        base_url = self.source.base_url.rstrip("/")
        self.page_size = self.source.page_size
        username = require_secret(context, "username", self.name, settings).reveal()
        password = require_secret(context, "password", self.name, settings)
        auth: httpx.Auth
        if self.source.auth == "basic":
            auth = BasicAuth(username, password)
        else:
            auth = self._token_auth(self.source.token_url or base_url + self.TOKEN_PATH, username, password)
        self.client = ErpHttpClient(
            provider=self.name, entity=entity, auth=auth, base_url=base_url,
            policy=POLICY.with_settings(self.source.http, entity=entity),
            classify=self.classify_response, redis_url=context.redis_url,
            headers=self._headers())

    def _token_auth(self, token_url: str, username: str, password: Any) -> OAuth2:
        raise NotImplementedError

    def _headers(self) -> dict[str, str]:
        return {}

    def disconnect(self) -> None:
        """Close the HTTP client."""
        self.client.close()

    def classify_response(self, response: httpx.Response) -> None:
        """Treat RM's 502 with a TOTVS error body as the validation error it is.

        Raises:
            FatalConnectorError: a 502 carrying ``{code, message}``.
            RetriableConnectorError: other 429/5xx (default rule).

        """
        if response.status_code == 502:
            try:
                body = response.json()
            except ValueError:
                body = None
            if isinstance(body, dict) and "message" in body:
                raise FatalConnectorError(f"TOTVS refused the request: {body['message']}",
                                          status=502, url=str(response.request.url),
                                          entity=self.context.entity, connector=self.name)
        super().classify_response(response)

    def _pages(self, path: str, params: Mapping[str, Any] | None = None, *,
               page_size: int | None = None, first_page: bool = False) -> Iterator[
            tuple[Payload, str, Any]]:
        """Yield ``(payload, where, item)`` over ``{hasNext, items}`` pages."""
        payload, page, seen = self.context.payload(path), 1, 0
        while True:
            data = self.client.get_json(path, params={**(params or {}), "page": page,
                                                      "pageSize": page_size or self.page_size})
            for item in payload.items(data, "items"):
                yield payload, f"items[{seen}]", item
                seen += 1
            if first_page or payload.get(data, "hasNext") is not True:
                return
            page += 1

    def _sample(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """Return the first item of an endpoint (``None`` when it has none)."""
        return next((item for _, _, item in self._pages(path, params, page_size=1,
                                                        first_page=True)), None)

    def _finish(self, records: list[dict[str, Any]], source: str) -> pd.DataFrame:
        frame = build_local_tb(records, self.context.entity)
        check_line_arithmetic(frame, entity=self.context.entity, source=source,
                              currency=self.context.currency)
        check_trial_balance_balances(frame, entity=self.context.entity, source=source,
                                     currency=self.context.currency)
        return frame


@dataclass
class _Cell:
    """One account × branch × cost centre of ``AccountingTransactions``, summed."""

    opening: int = 0
    debit: int = 0
    credit: int = 0
    last_day: date | None = None
    last_value: int = 0
    where: str = ""


class TotvsRmConnector(_TotvsConnector[TotvsRmSource]):
    """TOTVS RM Gestão Contábil: chart, branches and the trial balance."""

    name = "totvs_rm"
    API_VERSION = "RM ctb/v1 (AccountingPlan, AccountingTransactions 1.000); Branch 2.003"
    SETTINGS = TotvsRmSource
    TOKEN_PATH = "/api/connect/token"  # noqa: S105 - a path, not a secret

    def __init__(self, settings: Mapping[str, Any], context: ConnectorContext) -> None:
        """See ``_TotvsConnector``; adds the company and the reading of the transactions.

        Raises:
            ConfigError: a bad ``company_id``, ``ledger_start``, ``date_param`` or
                ``transactions_value`` (``TotvsRmSource``).

        """
        super().__init__(settings, context)
        self.company_id = self.source.company_id
        self.ledger_start = self.source.ledger_start
        self.date_param = self.source.date_param
        self.value_reading = self.source.transactions_value

    def _token_auth(self, token_url: str, username: str, password: Any) -> OAuth2:
        # RM publishes the password grant as a JSON body; its refresh call is not in the
        # documentation we cite, so a new token is asked with the password again.
        return OAuth2(token_url=token_url, grant_type="password", entity=self.context.entity,
                      connector=self.name, username=username, password=password,
                      encoding="json", use_refresh_token=False)

    def health_check(self) -> HealthStatus:
        """List the company's branches, then sample each endpoint for fields it lacks."""
        return self.probe_health(lambda: ", ".join(c.name for c in self._branches(required=True)),
                                 self._unread)

    def _unread(self) -> tuple[str, ...]:
        first, last = period_bounds(_last_month())
        samples = {BRANCHES: self._sample(BRANCHES), PLAN: self._sample(PLAN),
                   TRANSACTIONS: self._sample(TRANSACTIONS, self._transactions_params(first, last))}
        return tuple(f for path, item in samples.items()
                     for f in unread_fields(path, item, RM_FIELDS[path]))

    def _branches(self, *, required: bool = False) -> tuple[Company, ...]:
        branches = []
        for p, w, item in self._pages(BRANCHES):
            internal = p.text(item, "BranchInternalId", w, required=False)
            company = (internal.split("|", 1)[0] if "|" in internal
                       else p.text(item, "CompanyCode", w))
            if company == str(self.company_id):
                branches.append(Company(code=f"{company}/{p.text(item, 'Code', w)}",
                                        name=p.text(item, "Description", w),
                                        tax_id=p.text(item, "CGC", w, required=False)))
        if required and not branches:
            raise self.context.payload(BRANCHES).error(
                "items[].BranchInternalId", f"no branch of company {self.company_id} (coligada) "
                "among the branches the user may see")
        return tuple(branches)

    def get_companies(self) -> tuple[Company, ...]:
        """Return the branches of the configured company (coligada)."""
        return self._branches()

    def _plan(self) -> dict[str, tuple[str, bool]]:
        plan = {}
        for p, w, item in self._pages(PLAN):
            if p.text(item, "companyId", w) != str(self.company_id):
                continue
            analytics = p.get(item, "analytics", w)
            if isinstance(analytics, bool) or analytics not in (0, 1):
                raise p.error(f"{w}.analytics", f"expected the integer 0 (synthetic) or 1 "
                              f"(analytic), got {analytics!r}")
            plan[p.text(item, "code", w)] = (p.text(item, "description", w), analytics == 1)
        return plan

    def get_chart_of_accounts(self) -> pd.DataFrame:
        """Return the analytic accounts of the accounting plan."""
        rows = [{"entity": self.context.entity, "account": code, "account_name": name,
                 "account_type": ""} for code, (name, analytic) in self._plan().items() if analytic]
        return pd.DataFrame(rows, columns=list(CHART_COLUMNS))

    def _transactions_params(self, first: date, last: date) -> dict[str, Any]:
        return {"companyId": self.company_id,
                "date": self.date_param.format(first=first, last=last)}

    def get_trial_balance(self, period: Period) -> pd.DataFrame:
        """Sum ``AccountingTransactions`` into openings and turnovers and check ``value``.

        Raises:
            InputDataError: a row outside the range asked for, a field missing or not an
                amount, ``value`` disagreeing with the movements, or a TB that does not balance.

        """
        first, last = period_bounds(period)
        plan = self._plan()
        cells: dict[tuple[str, str, str], _Cell] = {}
        payload = self.context.payload(TRANSACTIONS)
        for p, w, item in self._pages(TRANSACTIONS, self._transactions_params(self.ledger_start,
                                                                               last)):
            account = p.text(item, "account", w)
            if not plan.get(account, (account, True))[1]:
                continue
            day = p.day(item, "date", w)
            assert day is not None  # required
            if not self.ledger_start <= day <= last:
                sent = self.date_param.format(first=self.ledger_start, last=last)
                raise p.error(f"{w}.date", f"{day} is outside {self.ledger_start}..{last}, the "
                              f"range sent as date={sent!r}; set source.date_param to the form "
                              "the server reads")
            key = (account, p.text(item, "branchId", w, required=False),
                   p.text(item, "costCenterCode", w, required=False))
            cell = cells.setdefault(key, _Cell())
            debit, credit = p.minor(item, "debitValue", w), p.minor(item, "creditValue", w)
            value = p.minor(item, "value", w)
            if day < first:
                cell.opening += debit - credit
            else:
                cell.debit, cell.credit = cell.debit + debit, cell.credit + credit
            if self.value_reading == "movement" and value != debit - credit:
                raise p.error(f"{w}.value", self._mismatch(key, day, value, debit - credit,
                                                           "debitValue - creditValue"))
            if cell.last_day is None or day >= cell.last_day:
                cell.last_day, cell.last_value, cell.where = day, value, w
        if self.value_reading == "balance":
            self._check_balances(payload, cells)
        lines: dict[tuple[str, str], dict[str, Any]] = {}
        for (account, _branch, cost_center), cell in cells.items():
            line = lines.setdefault((account, cost_center), {
                "account": account, "account_name": plan.get(account, (account, True))[0],
                "cost_center": cost_center, "opening": 0, "debit": 0, "credit": 0})
            line["opening"] += cell.opening
            line["debit"] += cell.debit
            line["credit"] += cell.credit
        records = [{**ln, "closing": ln["opening"] + ln["debit"] - ln["credit"]}
                   for ln in lines.values()]
        return self._finish(records, f"TOTVS RM {TRANSACTIONS}")

    def _check_balances(self, payload: Payload, cells: Mapping[tuple[str, str, str], _Cell]) -> None:
        """Check the ERP's balances: each key's last ``value`` must equal its summed movements."""
        for key, cell in cells.items():
            summed = cell.opening + cell.debit - cell.credit
            if cell.last_day is not None and cell.last_value != summed:
                raise payload.error(f"{cell.where}.value", self._mismatch(
                    key, cell.last_day, cell.last_value, summed,
                    f"the movements since {self.ledger_start}"))

    def _mismatch(self, key: tuple[str, str, str], day: date, value: int, computed: int,
                  what: str) -> str:
        account, branch, cost_center = key
        cur = self.context.currency
        gap = value - computed
        return (f"value {format_money(value, cur)} != {what} {format_money(computed, cur)} "
                f"({format_money(abs(gap), cur)} too {'much' if gap > 0 else 'little'}) for "
                f"account {account}, branch {branch or '-'}, cost centre {cost_center or '-'} on "
                f"{day}; source.transactions_value = {self.value_reading!r}")


class TotvsProtheusConnector(_TotvsConnector[TotvsProtheusSource]):
    """TOTVS Protheus through the customer's CT1 + CQ0 balancete endpoint."""

    name = "totvs_protheus"
    API_VERSION = "Protheus REST; customer balancete (CT1 + CQ0)"
    SETTINGS = TotvsProtheusSource
    TOKEN_PATH = "/api/oauth2/v1/token"  # noqa: S105 - a path, not a secret

    def __init__(self, settings: Mapping[str, Any], context: ConnectorContext) -> None:
        """See ``_TotvsConnector``; adds ``tenant_id``, ``balancete_path``, ``currency_code``."""
        super().__init__(settings, context)
        self.tenant_id, self.path = self.source.tenant_id, self.source.balancete_path
        self.currency_code = self.source.currency_code

    def _token_auth(self, token_url: str, username: str, password: Any) -> OAuth2:
        return OAuth2(token_url=token_url, grant_type="password", entity=self.context.entity,
                      connector=self.name, username=username, password=password,
                      encoding="query")

    def _headers(self) -> dict[str, str]:
        return {"tenantId": self.source.tenant_id}

    def health_check(self) -> HealthStatus:
        """Ask the balancete endpoint for last month's first line."""
        return self.probe_health(
            lambda: f"{self.tenant_id}: " + str(len(self._balancete(_last_month(), page_size=1,
                                                                     first_page=True))),
            lambda: unread_fields(self.path, self._sample(self.path, self._params(_last_month())),
                                  BALANCETE_FIELDS))

    def get_companies(self) -> tuple[Company, ...]:
        """Return the company/branch named by ``tenant_id`` (no standard REST list exists)."""
        return (Company(code=self.tenant_id, name=self.tenant_id),)

    def _params(self, period: Period) -> dict[str, str]:
        first, last = period_bounds(period)
        return {"dataInicial": first.strftime("%Y%m%d"), "dataFinal": last.strftime("%Y%m%d"),
                "moeda": self.currency_code, "tpSaldo": "1"}

    def _balancete(self, period: Period, *, page_size: int | None = None,
                   first_page: bool = False) -> list[tuple[Payload, str, Any]]:
        return list(self._pages(self.path, self._params(period), page_size=page_size,
                                first_page=first_page))

    def get_chart_of_accounts(self) -> pd.DataFrame:
        """Protheus publishes no REST chart: use the balancete's accounts of the last month."""
        rows = [{"entity": self.context.entity, "account": p.text(i, "conta", w),
                 "account_name": p.text(i, "descricao", w), "account_type": ""}
                for p, w, i in self._balancete(_last_month()) if p.text(i, "classe", w) != "1"]
        return pd.DataFrame(rows, columns=list(CHART_COLUMNS))

    def get_trial_balance(self, period: Period) -> pd.DataFrame:
        """Read the CT1 + CQ0 balancete of ``period``; analytic accounts only."""
        records = [{"account": p.text(i, "conta", w), "account_name": p.text(i, "descricao", w),
                    "cost_center": p.text(i, "centroCusto", w, required=False),
                    "opening": p.minor(i, "saldoAnterior", w), "debit": p.minor(i, "debito", w),
                    "credit": p.minor(i, "credito", w), "closing": p.minor(i, "saldoAtual", w)}
                   for p, w, i in self._balancete(period) if p.text(i, "classe", w) != "1"]
        return self._finish(records, f"TOTVS Protheus {self.path}")
