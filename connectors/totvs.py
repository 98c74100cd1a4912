"""TOTVS: RM Gestão Contábil and Protheus (SIGACTB), both real general-ledger trial balances.

**RM** (``totvs_rm``, base ``https://host:8051``): accounts from ``GET /api/ctb/v1/AccountingPlan``
(synthetic accounts, ``analytics`` false, are not lines); balances from
``GET /api/ctb/v1/AccountingTransactions?companyId=&date=<period end>`` (view
``CSALDOCONTABILVIEW``): per account, branch and cost centre, ``debitValue``/``creditValue`` are
the period's turnovers and ``value`` the balance at the date, debit positive; opening = value −
debit + credit. Branches are summed per account and cost centre.

**Protheus** (``totvs_protheus``, base ``https://host:port/rest``): Protheus publishes no REST
balancete, so the connector reads the customer's REST endpoint (WSRESTFUL/tlppRest, path in
``balancete_path``, default ``/api/ctb/v1/balancete``) that aggregates CT1 + CQ0 the way the
standard balancete does: ``GET ?dataInicial=AAAAMMDD&dataFinal=AAAAMMDD&moeda=01&tpSaldo=1&page=
&pageSize=`` with header ``tenantId: <grupo>,<filial>`` answering ``{hasNext, items: [{conta,
descricao, classe (1 sintética, 2 analítica), normal, centroCusto, saldoAnterior (Σ CQ0_DEBITO −
CQ0_CREDIT before the period), debito, credito (Σ in the period), saldoAtual}]}``. Synthetic
accounts (classe 1) are not lines; each line must roll forward.

Both: OAuth2 password grant at ``/api/oauth2/v1/token`` (then its refresh token), or HTTP Basic
with ``auth = "basic"``; pages ``page``/``pageSize`` with ``hasNext``; errors
``{code, message, detailedMessage, helpUrl}`` — RM answers validation errors with 502, which is
therefore fatal when it carries that body (a proxy's 502 stays retriable). No documented rate
limit (on-premise capacity): ``http.rate`` may set one.

Settings: ``base_url`` (required), ``company_id`` (RM, default 1), ``tenant_id`` (Protheus,
required), ``balancete_path``, ``currency_code`` (Protheus moeda, default ``01``), ``auth``
(``oauth2``/``basic``), ``token_url``, ``page_size``, ``http``. Secrets: ``username``,
``password``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx
import pandas as pd

from close.errors import ConfigError
from close.types import Period
from connectors.auth import BasicAuth, OAuth2
from connectors.base import CHART_COLUMNS, Company, ConnectorContext, ERPConnector, HealthStatus
from connectors.errors import FatalConnectorError
from connectors.http import ErpHttpClient, HttpPolicy
from connectors.management import period_bounds
from connectors.payload import Payload
from connectors.settings import check_keys, int_setting, require_secret, str_setting
from connectors.trial_balance import (
    build_local_tb,
    check_line_arithmetic,
    check_trial_balance_balances,
)

POLICY = HttpPolicy()


class _TotvsConnector(ERPConnector):
    """What RM and Protheus share: auth, paging and the error body."""

    SECRETS: ClassVar[tuple[str, ...]] = ("username", "password")
    OWN_KEYS: ClassVar[tuple[str, ...]] = ("auth", "token_url")

    def __init__(self, settings: Mapping[str, Any], context: ConnectorContext) -> None:
        """Check settings and secrets; compose auth and the HTTP client.

        Raises:
            ConfigError: an unknown or bad setting, or a missing secret.

        """
        super().__init__(settings, context)
        entity = context.entity
        check_keys(settings, self.OWN_KEYS, entity=entity, connector=self.name,
                   secrets=self.SECRETS)
        base_url = str_setting(settings, "base_url", None, entity=entity).rstrip("/")
        self.page_size = int_setting(settings, "page_size", 100, entity=entity, high=1000)
        username = require_secret(context, "username", self.name, settings).reveal()
        password = require_secret(context, "password", self.name, settings)
        mode = settings.get("auth", "oauth2")
        auth: httpx.Auth
        if mode == "basic":
            auth = BasicAuth(username, password)
        elif mode == "oauth2":
            auth = OAuth2(token_url=str_setting(settings, "token_url",
                                                f"{base_url}/api/oauth2/v1/token", entity=entity),
                          grant_type="password", entity=entity, connector=self.name,
                          username=username, password=password)
        else:
            raise ConfigError(f"bad auth for entity {entity}", key="source.auth",
                              expected='"oauth2" or "basic"')
        self.client = ErpHttpClient(
            provider=self.name, entity=entity, auth=auth, base_url=base_url,
            policy=POLICY.with_settings(settings.get("http"), entity=entity),
            classify=self.classify_response, redis_url=context.redis_url,
            headers=self._headers(settings))

    def _headers(self, settings: Mapping[str, Any]) -> dict[str, str]:
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

    def _pages(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[
            tuple[Payload, str, Any]]:
        """Yield ``(payload, where, item)`` over ``{hasNext, items}`` pages."""
        payload, page, seen = self.context.payload(path), 1, 0
        while True:
            data = self.client.get_json(path, params={**(params or {}), "page": page,
                                                      "pageSize": self.page_size})
            for item in payload.items(data, "items"):
                yield payload, f"items[{seen}]", item
                seen += 1
            if payload.get(data, "hasNext") is not True:
                return
            page += 1

    def _finish(self, records: list[dict[str, Any]], source: str) -> pd.DataFrame:
        frame = build_local_tb(records, self.context.entity)
        check_line_arithmetic(frame, entity=self.context.entity, source=source,
                              currency=self.context.currency)
        check_trial_balance_balances(frame, entity=self.context.entity, source=source,
                                     currency=self.context.currency)
        return frame


class TotvsRmConnector(_TotvsConnector):
    """TOTVS RM Gestão Contábil: chart, branches and the trial balance."""

    name = "totvs_rm"
    OWN_KEYS: ClassVar[tuple[str, ...]] = ("auth", "token_url", "company_id")

    def __init__(self, settings: Mapping[str, Any], context: ConnectorContext) -> None:
        """See ``_TotvsConnector``; adds ``company_id`` (CODCOLIGADA)."""
        super().__init__(settings, context)
        self.company_id = int_setting(settings, "company_id", 1, entity=context.entity,
                                      high=1_000_000)

    def health_check(self) -> HealthStatus:
        """List the branches with the entity's credentials."""
        return self.probe_health(lambda: ", ".join(c.name for c in self.get_companies()))

    def get_companies(self) -> tuple[Company, ...]:
        """Return the branches of the configured company (``/api/framework/v1/Branches``)."""
        return tuple(Company(code=f"{p.text(i, 'CompanyId', w)}/{p.text(i, 'BranchId', w)}",
                             name=p.text(i, "Name", w))
                     for p, w, i in self._pages("/api/framework/v1/Branches")
                     if p.text(i, "CompanyId", w) == str(self.company_id))

    def _plan(self) -> dict[str, tuple[str, bool]]:
        return {p.text(i, "code", w): (p.text(i, "description", w),
                                       p.get(i, "analytics", w) in (True, "S", "1", 1))
                for p, w, i in self._pages("/api/ctb/v1/AccountingPlan",
                                           {"companyId": self.company_id})}

    def get_chart_of_accounts(self) -> pd.DataFrame:
        """Return the analytic accounts of the accounting plan."""
        rows = [{"entity": self.context.entity, "account": code, "account_name": name,
                 "account_type": ""} for code, (name, analytic) in self._plan().items() if analytic]
        return pd.DataFrame(rows, columns=list(CHART_COLUMNS))

    def get_trial_balance(self, period: Period) -> pd.DataFrame:
        """Read ``AccountingTransactions`` at the period end and derive openings."""
        _, last = period_bounds(period)
        plan = self._plan()
        lines: dict[tuple[str, str], dict[str, Any]] = {}
        path = "/api/ctb/v1/AccountingTransactions"
        for p, w, item in self._pages(path, {"companyId": self.company_id,
                                             "date": last.isoformat()}):
            account = p.text(item, "account", w)
            name, analytic = plan.get(account, (account, True))
            if not analytic:
                continue
            key = (account, p.text(item, "costCenterCode", w, required=False))
            line = lines.setdefault(key, {"account": account, "account_name": name,
                                          "cost_center": key[1], "debit": 0, "credit": 0,
                                          "closing": 0})
            line["debit"] += p.minor(item, "debitValue", w)
            line["credit"] += p.minor(item, "creditValue", w)
            line["closing"] += p.minor(item, "value", w)
        records = [{**ln, "opening": ln["closing"] - ln["debit"] + ln["credit"]}
                   for ln in lines.values()]
        return self._finish(records, f"TOTVS RM {path}")


class TotvsProtheusConnector(_TotvsConnector):
    """TOTVS Protheus through the customer's CT1 + CQ0 balancete endpoint."""

    name = "totvs_protheus"
    OWN_KEYS: ClassVar[tuple[str, ...]] = ("auth", "token_url", "tenant_id", "balancete_path",
                                           "currency_code")

    def __init__(self, settings: Mapping[str, Any], context: ConnectorContext) -> None:
        """See ``_TotvsConnector``; adds ``tenant_id``, ``balancete_path``, ``currency_code``."""
        super().__init__(settings, context)
        self.tenant_id = str_setting(settings, "tenant_id", None, entity=context.entity)
        self.path = str_setting(settings, "balancete_path", "/api/ctb/v1/balancete",
                                entity=context.entity)
        self.currency_code = str_setting(settings, "currency_code", "01", entity=context.entity)

    def _headers(self, settings: Mapping[str, Any]) -> dict[str, str]:
        return {"tenantId": str(settings.get("tenant_id", ""))}

    def health_check(self) -> HealthStatus:
        """Ask the balancete endpoint for last month's first line."""
        last_month = (datetime.now(UTC).date().replace(day=1) - timedelta(days=1))
        return self.probe_health(lambda: f"{self.tenant_id}: " + str(
            len(self._balancete(last_month.strftime("%Y-%m"), page_size=1, first_page=True))))

    def get_companies(self) -> tuple[Company, ...]:
        """Return the company/branch named by ``tenant_id`` (no standard REST list exists)."""
        return (Company(code=self.tenant_id, name=self.tenant_id),)

    def _balancete(self, period: Period, *, page_size: int | None = None,
                   first_page: bool = False) -> list[tuple[Payload, str, Any]]:
        first, last = period_bounds(period)
        params = {"dataInicial": first.strftime("%Y%m%d"), "dataFinal": last.strftime("%Y%m%d"),
                  "moeda": self.currency_code, "tpSaldo": "1"}
        if page_size is not None:
            params["pageSize"] = str(page_size)
        rows = []
        for row in self._pages(self.path, params):
            rows.append(row)
            if first_page:
                break
        return rows

    def get_chart_of_accounts(self) -> pd.DataFrame:
        """Protheus publishes no REST chart: use the balancete's accounts of the last month."""
        last_month = (datetime.now(UTC).date().replace(day=1) - timedelta(days=1))
        rows = [{"entity": self.context.entity, "account": p.text(i, "conta", w),
                 "account_name": p.text(i, "descricao", w), "account_type": ""}
                for p, w, i in self._balancete(last_month.strftime("%Y-%m"))
                if p.text(i, "classe", w) != "1"]
        return pd.DataFrame(rows, columns=list(CHART_COLUMNS))

    def get_trial_balance(self, period: Period) -> pd.DataFrame:
        """Read the CT1 + CQ0 balancete of ``period``; analytic accounts only."""
        records = [{"account": p.text(i, "conta", w), "account_name": p.text(i, "descricao", w),
                    "cost_center": p.text(i, "centroCusto", w, required=False),
                    "opening": p.minor(i, "saldoAnterior", w), "debit": p.minor(i, "debito", w),
                    "credit": p.minor(i, "credito", w), "closing": p.minor(i, "saldoAtual", w)}
                   for p, w, i in self._balancete(period) if p.text(i, "classe", w) != "1"]
        return self._finish(records, f"TOTVS Protheus {self.path}")
