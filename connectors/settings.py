"""What an entity's ``[entities.source]`` table may hold: one pydantic model per connector.

The models follow the Singer SDK's template idea: :class:`SourceSettings` refuses unknown keys
and secrets, :class:`ErpSource` adds what every ERP API takes (``base_url``, ``page_size``, the
``http`` overrides), and each connector's model declares only what differs — its own keys, its
page size's bounds, the ``<secret>_env`` keys naming where its secrets are. The group config is
validated against them when it is loaded (``close.config.document`` builds one ``[[entities]]``
variant per model, discriminated by ``connector``), so a misspelt source key is named with file,
key and a "did you mean"; each connector validates its table again when it is built, so a
connector built from a plain mapping (tests, ``close connectors check``) is held to the same rule.

Secrets never live in the group config: a key that names one (``password``, ``app_secret``…) is
refused. A connector's secret ``<name>`` comes from an environment variable: the one the source
table names in ``<name>_env`` (``app_secret_env = "CLOSE_SECRET_OMIE_BR1"``), else
``CLOSE_SECRET_<ENTITY>_<NAME>`` (``CLOSE_SECRET_BR1_APP_SECRET``). The caller passes the variables
it read as ``ConnectorContext.secrets`` (keyed by variable name, as ``close.config.Settings.secrets``
holds every ``CLOSE_SECRET_*``; keying by secret name works too, for tests and demos); inside the
connector values are wrapped in ``connectors.auth.Secret``, which never prints them.

This module imports no HTTP client: the group config's model imports it, and every process that
reads a config (the engine's included) would load one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from importlib.metadata import entry_points
from typing import Annotated, Any, ClassVar, Literal, Self, TypeVar

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    StrictFloat,
    StrictStr,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
    create_model,
    field_validator,
    model_validator,
)

from close.config.errors import explain
from close.config.guard import secret_looking_key
from close.config.types import Integer, TomlTable, described, invalid
from close.errors import ConfigError
from close.resilience import POLICY_NUMBERS

_T = TypeVar("_T", bound=TomlTable)
ENTRY_POINT_GROUP = "monthclose.connectors"

NonBlank = Annotated[StrictStr, StringConstraints(strip_whitespace=True, min_length=1)]
EnvVar = Annotated[StrictStr, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]


def refuse_secret_keys(table: Mapping[str, Any]) -> None:
    """Refuse a source key that would hold a secret (the guard's rule: ``…_env`` and ``…_url`` keys pass).

    Raises:
        PydanticCustomError: ``config_invalid`` naming the key (never its value).

    """
    for key in table:
        if isinstance(key, str) and secret_looking_key(key):
            raise invalid(key, "secrets never go in the config file",
                          f"{key}_env naming an environment variable")


def secret_env(name: str) -> Any:  # noqa: ANN401 - a pydantic Field
    """Declare the ``<name>_env`` key of a connector's secret ``name``."""
    return described(f"the environment variable holding the {name.replace('_', ' ')} (default "
                      f"CLOSE_SECRET_<ENTITY>_{name.upper()}); never the secret itself", None)


class SourceSettings(TomlTable):
    """The template of every connector's source table: unknown keys and secrets refused.

    ``SECRETS`` (the connector's secret names) is read off the ``<name>_env`` fields a subclass
    declares, so a secret is declared once.
    """

    SECRETS: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:  # noqa: ANN401 - pydantic's hook
        """Collect the subclass's secret names from its ``<name>_env`` fields."""
        super().__pydantic_init_subclass__(**kwargs)
        cls.SECRETS = tuple(name.removesuffix("_env") for name in cls.model_fields if name.endswith("_env"))

    @model_validator(mode="before")
    @classmethod
    def _no_secret(cls, data: Any) -> Any:  # noqa: ANN401 - the raw TOML table
        if isinstance(data, Mapping):
            refuse_secret_keys(data)
        return data

    @classmethod
    def parse(cls, table: Mapping[str, Any], *, entity: str, connector: str) -> Self:
        """Validate a connector's source table (when the connector is built).

        Args:
            table: the entity's ``[entities.source]`` table.
            entity: named in errors.
            connector: named in errors.

        Raises:
            ConfigError: naming the key (``source.page_size``), entity, connector and what was expected.

        """
        return validate_table(cls, table, who=f"connector {connector} of entity {entity}", at="source")


def validate_table(model: type[_T], table: Mapping[str, Any], *, who: str, at: str) -> _T:
    """Validate one table of a source outside the group config (no file to name).

    Args:
        model: the table's model.
        table: the table as written.
        who: the connector and entity, for the message.
        at: the table's key (``source``, ``source.http``).

    Raises:
        ConfigError: naming the dotted key, who and what was expected (``close.config.errors``).

    """
    try:
        return model.model_validate(dict(table))
    except ValidationError as exc:
        message, key, expected = explain(model, exc)
        raise ConfigError(f"{who}: {message}", key=f"{at}.{key}" if key else at, expected=expected) from None


_Seconds = Annotated[StrictFloat, Field(ge=0)]
_Count = Annotated[Integer, Field(ge=1)]
# The retry keys of close.resilience's RetryPolicy, beside the client's own.
_HTTP_NUMBERS: dict[str, type] = {**POLICY_NUMBERS, "timeout": float, "rate": float, "burst": int}

#: ``[entities.source.http]``: one flat table of retry, timeout, rate and breaker overrides.
HttpTable: type[TomlTable] = create_model(  # type: ignore[call-overload] # fields from a mapping
    "HttpTable", __base__=TomlTable,
    __doc__="``[entities.source.http]``: retry, timeout, rate and breaker overrides (absent: the default).",
    **{key: (_Count | None if kind is int else _Seconds | None,
             described("an integer >= 1" if kind is int else "a number >= 0", None))
       for key, kind in _HTTP_NUMBERS.items()})


def http_overrides(table: TomlTable) -> dict[str, Any]:
    """Return the keys an ``http`` table sets, as ``HttpPolicy`` takes them (ints stay ints)."""
    return {key: _HTTP_NUMBERS[key](value) for key, value in table if value is not None}


class ErpSource(SourceSettings):
    """What every ERP API connector takes."""

    base_url: NonBlank | None = described("the API's root URL (default: the provider's)", None)
    page_size: Integer = described("records per page, an integer 1..1000", 100, ge=1, le=1000)
    http: HttpTable | None = described(  # type: ignore[valid-type]
        "an [entities.source.http] table of retry and rate overrides", None)


class TotvsSource(ErpSource):
    """``connector = "totvs_rm" | "totvs_protheus"``: a TOTVS server on the customer's premises."""

    base_url: NonBlank | None = described("the API's root URL on the customer's server (required: TOTVS "
                                          "has no public one)", None)
    auth: Literal["oauth2", "basic"] = described('"oauth2" or "basic"', "oauth2")
    token_url: NonBlank | None = described(
        "the token endpoint (default: base_url + the product's token path)", None)
    username_env: EnvVar | None = secret_env("username")
    password_env: EnvVar | None = secret_env("password")


def _iso_date(value: Any) -> Any:  # noqa: ANN401 - a raw TOML value
    """Read a date written as ``2019-01-01`` or ``"2019-01-01"``; nothing else (not a number)."""
    if isinstance(value, str):
        return date.fromisoformat(value.strip())
    if isinstance(value, date):
        return value
    raise ValueError("not a date")


TRANSACTIONS_VALUES = ("balance", "movement")


class TotvsRmSource(TotvsSource):
    """``connector = "totvs_rm"``: RM Gestão Contábil, one company (coligada) of the server."""

    company_id: Integer = described("the company (coligada) code, an integer 1..32767", 1, ge=1, le=32_767)
    ledger_start: Annotated[date, BeforeValidator(_iso_date)] = described(
        "a date YYYY-MM-DD (the first day of the books)", date(1900, 1, 1))
    date_param: NonBlank = described(
        "a template with {first} and {last}, e.g. '{first:%Y-%m-%d},{last:%Y-%m-%d}'",
        "{first:%Y-%m-%d},{last:%Y-%m-%d}")
    transactions_value: Literal[TRANSACTIONS_VALUES] = described(  # type: ignore[valid-type]
        '"balance" or "movement": what AccountingTransactions.value holds', "balance")

    @field_validator("date_param")
    @classmethod
    def _template(cls, template: str) -> str:
        sample = date(2000, 1, 1)
        try:
            template.format(first=sample, last=sample)
        except (KeyError, IndexError, ValueError):
            raise ValueError("not a {first}/{last} template") from None
        return template


class TotvsProtheusSource(TotvsSource):
    """``connector = "totvs_protheus"``: the customer's CT1 + CQ0 balancete endpoint."""

    tenant_id: NonBlank = described('the tenantId header, "company,branch" such as "01,0101"')
    balancete_path: NonBlank = described("the balancete endpoint's path", "/api/ctb/v1/balancete")
    currency_code: NonBlank = described("the Protheus currency code of the balances", "01")


class ManagementSource(ErpSource):
    """What the management-TB connectors (Omie, Conta Azul, Bling) share."""

    # The close passes the group's [group] fiscal_year_start here unless the source sets its own.
    fiscal_year_start: Integer = described("the month the entity's fiscal year starts, 1..12 (default: the "
                                           "group's)", 1, ge=1, le=12)


class OmieSource(ManagementSource):
    """``connector = "omie"``: app key and secret, accrual on the title's date."""

    page_size: Integer = described("records per page, an integer 1..500", 500, ge=1, le=500)
    accrual_date: Literal["emissao", "registro"] = described(
        '"emissao" (dDtEmissao) or "registro" (dDtRegistro)', "emissao")
    app_key_env: EnvVar | None = secret_env("app_key")
    app_secret_env: EnvVar | None = secret_env("app_secret")


class RefreshTokenSource(ManagementSource):
    """OAuth2 on a refresh token the provider rotates (Conta Azul, Bling)."""

    token_url: NonBlank | None = described("the OAuth2 token endpoint (default: the provider's)", None)
    client_id_env: EnvVar | None = secret_env("client_id")
    client_secret_env: EnvVar | None = secret_env("client_secret")
    refresh_token_env: EnvVar | None = secret_env("refresh_token")


CONTAAZUL_PAGE_SIZES = (10, 20, 50, 100, 200, 500, 1000)  # tamanho_pagina's published enum


class ContaAzulSource(RefreshTokenSource):
    """``connector = "contaazul"``: Conta Azul v2."""

    page_size: Literal[CONTAAZUL_PAGE_SIZES] = described(  # type: ignore[valid-type]
        "records per page: " + ", ".join(map(str, CONTAAZUL_PAGE_SIZES)), 500)
    history_years: Integer = described("years of titles read before the period, an integer 1..50",
                                       5, ge=1, le=50)


class BlingSource(RefreshTokenSource):
    """``connector = "bling"``: Bling v3."""

    page_size: Integer = described("records per page, an integer 1..100", 100, ge=1, le=100)
    history_years: Integer = described("years of titles read before the period, an integer 1..20",
                                       3, ge=1, le=20)


# The fields a file's ``columns`` table may name (connectors.files detects their headers).
FILE_FIELDS = ("account", "account_name", "counterparty", "cost_center", "department", "opening", "debit",
               "credit", "closing", "kind", "opening_side", "closing_side")


def _codec(name: str) -> str:
    try:
        "".encode(name)
    except LookupError:
        raise ValueError("unknown codec") from None
    return name


def _sheet(value: Any) -> Any:  # noqa: ANN401 - a raw TOML value
    """Take a sheet's name or 1-based position (one check, so an error names ``sheet`` alone)."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    raise ValueError("not a sheet")


_Sheet = Annotated[str | int, BeforeValidator(_sheet), WithJsonSchema(
    {"anyOf": [{"type": "string", "minLength": 1}, {"type": "integer", "minimum": 1}]})]


class FileSource(SourceSettings):
    """``connector = "file"``: a trial-balance file per period, snapshotted with the run."""

    path: NonBlank | None = described(
        'the file of a period, relative to the config, such as "tb/{period}.csv" (required)', None)
    sheet: _Sheet | None = described("an XLSX sheet name or a 1-based position", None)
    encoding: Annotated[StrictStr, AfterValidator(_codec)] | None = described(
        "a Python codec name such as utf-8 or latin-1", None)
    columns: dict[Literal[FILE_FIELDS], NonBlank] = described(  # type: ignore[valid-type]
        "a table of field = header, fields among " + ", ".join(FILE_FIELDS), {})
    decimal: Literal[",", "."] | None = described('"," or "."', None)
    delimiter: Annotated[StrictStr, StringConstraints(min_length=1, max_length=1)] | None = described(
        "one character", None)


#: The built-in connectors' source models, by the name a group config gives its entity's connector.
SOURCE_MODELS: Mapping[str, type[SourceSettings]] = {
    "file": FileSource, "totvs_rm": TotvsRmSource, "totvs_protheus": TotvsProtheusSource,
    "contaazul": ContaAzulSource, "omie": OmieSource, "bling": BlingSource,
}


def registered_connectors() -> tuple[str, ...]:
    """Return every connector name a config may use: the built-ins and the entry points, sorted."""
    return tuple(sorted({*SOURCE_MODELS, *(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))}))


def secret_env_var(entity: str, name: str, settings: Mapping[str, Any] | None = None) -> str:
    """Return the environment variable holding secret ``name`` of ``entity``.

    Args:
        entity: the entity id.
        name: the secret's name (``app_secret``).
        settings: the source table; ``<name>_env`` names the variable.

    Returns:
        The variable name.

    """
    named = (settings or {}).get(f"{name}_env")
    if isinstance(named, str) and named.strip():
        return named.strip()
    return re.sub(r"[^A-Z0-9]+", "_", f"CLOSE_SECRET_{entity}_{name}".upper())


def resolve_secrets(names: Iterable[str], settings: Mapping[str, Any], entity: str,
                    environ: Mapping[str, str]) -> dict[str, str]:
    """Read a connector's secrets from the environment (absent ones are left out).

    Args:
        names: the connector's ``SECRETS``.
        settings: the entity's source table.
        entity: the entity id.
        environ: usually ``os.environ``, read only by the caller at the edge.

    Returns:
        Secret name → value for each variable that is set.

    """
    found = {}
    for name in names:
        var = secret_env_var(entity, name, settings)
        if environ.get(var):
            found[name] = environ[var]
    return found
