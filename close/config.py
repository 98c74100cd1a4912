"""Group configuration (one TOML file) and process settings (the environment).

Both are loaded once, at the edge (CLI, worker start-up), into frozen objects that are passed
down; nothing in ``close/`` reads ``os.environ`` or a global. Every option is declared once, in
the dataclasses below, with its type, default and a one-line doc. Loading errors name the file,
the key and what was expected.

The group config is snapshotted into ``run_inputs`` at ``close run`` (its TOML text plus every
file it names), and stages rebuild it from that snapshot with :func:`parse_group_config`.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SecretStr, ValidationError

from close.analysis.receivables.settings import ReceivablesSettings, parse_receivables
from close.config_guard import guard_config
from close.engine.money import D
from close.engine.periods import PERIOD_PATTERN
from close.engine.types import Currency, EntityId
from close.errors import ConfigError
from close.rates.settings import RatePolicy
from close.run.workflow.settings import (
    CalendarSettings,
    ChecklistTask,
    DistributionSettings,
    parse_calendar,
    parse_checklist,
    parse_distribution,
)
from close.secrets import read_secrets_file

_CURRENCY = re.compile(r"^[A-Z]{3}$")
_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


@dataclass(frozen=True, slots=True)
class PpaIntangible:
    """An intangible recognised in a purchase price allocation, amortized straight-line."""

    name: str
    fair_value: Decimal  # in the acquiree's functional currency
    useful_life_months: int
    start: str  # first period of amortization, "YYYY-MM"


@dataclass(frozen=True, slots=True)
class OwnershipStep:
    """A later change in the parent's share of a subsidiary without loss of control (IFRS 10.23).

    Recognised at the end of the month of its date: more shares bought (consideration paid) or
    some sold (consideration received).
    """

    date: date
    ownership: Decimal  # the parent's direct share after the step, 0 < x <= 1
    consideration: Decimal  # paid (a purchase) or received (a sale), parent's currency, >= 0


@dataclass(frozen=True, slots=True)
class Acquisition:
    """How the parent came to own an entity (IFRS 3)."""

    date: date
    consideration: Decimal  # in the parent's functional currency, as carried at cost
    net_assets_fair_value: Decimal | None  # acquiree's identifiable net assets, its currency
    nci_method: str = "proportionate"  # "proportionate" or "full" (full-goodwill)
    nci_fair_value: Decimal | None = None  # required for the full-goodwill method
    equity_at_acquisition: Decimal | None = None  # acquiree's book equity at the date, its currency
    rate: Decimal | None = None  # presentation units per functional unit on the date
    ppa: tuple[PpaIntangible, ...] = ()
    tax_rate: Decimal | None = None  # deferred tax on the PPA uplifts (IAS 12.19), 0 <= x < 1
    steps: tuple[OwnershipStep, ...] = ()  # later changes in ownership, in date order


@dataclass(frozen=True, slots=True)
class Disposal:
    """The sale of a whole subsidiary (loss of control, IFRS 10.25), recognised at its month's end."""

    date: date
    proceeds: Decimal  # the consideration received, in the parent's currency


@dataclass(frozen=True, slots=True)
class Dividend:
    """A dividend declared by one group entity to another (``[[dividends]]``, ``close.engine.dividends``)."""

    payer: EntityId
    payee: EntityId
    amount: Decimal  # in the payer's functional currency: what the payee is entitled to
    declared_on: date
    paid_on: date | None = None  # None while unpaid


@dataclass(frozen=True, slots=True)
class EntityConfig:
    """One legal entity of the group."""

    id: EntityId
    name: str
    currency: Currency
    connector: str  # registered connector name: file, totvs_rm, totvs_protheus, contaazul, omie, bling
    source: Mapping[str, Any]  # the connector's own settings ([entities.source]); never secrets
    parent: EntityId | None = None  # None for the top parent
    ownership: Decimal = Decimal(1)  # the parent's direct share, 0 < x <= 1
    method: str = "full"  # full | equity | none
    acquisition: Acquisition | None = None
    disposal: Disposal | None = None  # loss of control (IFRS 10.25)


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Materiality of variances, in presentation-currency units and fractions."""

    budget_abs: Decimal = Decimal(10000)
    budget_pct: Decimal = Decimal("0.10")
    mom_abs: Decimal = Decimal(5000)
    mom_pct: Decimal = Decimal("0.05")
    yoy_abs: Decimal = Decimal(10000)
    yoy_pct: Decimal = Decimal("0.10")


@dataclass(frozen=True, slots=True)
class IntercompanySettings:
    """Tolerance for plugging an intercompany mismatch to suspense (both must hold)."""

    abs_tolerance: Decimal = Decimal(100)  # presentation-currency units
    pct_tolerance: Decimal = Decimal("0.01")  # of the larger side
    # Entity pairs whose intercompany loan is part of the net investment (IAS 21.32: FX to CTA).
    net_investment_loans: tuple[tuple[EntityId, EntityId], ...] = ()
    # Seller → gross margin on intra-group sales (fraction of the selling price), for eliminating
    # unrealized profit in the buyer's inventory (lines with the seller as counterparty).
    inventory_margins: tuple[tuple[EntityId, Decimal], ...] = ()


# Validation score weights: the penalty one finding takes off the 100-point score, by category and
# severity, and the most one check (one code) can take off, so a noisy warning cannot outweigh
# a broken trial balance. Any failed integrity check blocks the run whatever the score.
VALIDATION_CATEGORIES: tuple[str, ...] = (
    "integrity", "rollforward", "mapping", "diagnostics", "rates", "intercompany", "reasonableness",
)


@dataclass(frozen=True, slots=True)
class ScoreWeight:
    """Penalty points of one validation category (``[validation.weights.<category>]``)."""

    category: str
    fail: Decimal  # points per failed finding
    warn: Decimal  # points per warning
    cap: Decimal  # most points one check code of this category can take off


DEFAULT_SCORE_WEIGHTS: tuple[ScoreWeight, ...] = (
    ScoreWeight("integrity", Decimal(25), Decimal(5), Decimal(100)),
    ScoreWeight("rollforward", Decimal(15), Decimal(3), Decimal(30)),
    ScoreWeight("mapping", Decimal(10), Decimal(2), Decimal(20)),
    ScoreWeight("rates", Decimal(15), Decimal(3), Decimal(30)),
    ScoreWeight("intercompany", Decimal(5), Decimal(1), Decimal(15)),
    ScoreWeight("diagnostics", Decimal(5), Decimal(1), Decimal(10)),
    ScoreWeight("reasonableness", Decimal(3), Decimal("0.5"), Decimal(5)),
)


@dataclass(frozen=True, slots=True)
class ClassMateriality:
    """Per account class overrides of ``[thresholds]`` for validation's flux checks (None: inherit)."""

    account_class: str  # asset | liability | equity | revenue | expense
    mom_abs: Decimal | None = None
    mom_pct: Decimal | None = None
    budget_abs: Decimal | None = None
    budget_pct: Decimal | None = None


@dataclass(frozen=True, slots=True)
class RatioBand:
    """The band a KPI of ``close.analysis.kpis`` (by code) must stay in; None leaves that side open."""

    kpi: str  # e.g. current_ratio (x), gross_margin (%)
    low: Decimal | None = None
    high: Decimal | None = None


@dataclass(frozen=True, slots=True)
class ValidationSettings:
    """Validation options (the ``[validation]`` table); presentation-currency units unless said."""

    materiality: tuple[ClassMateriality, ...] = ()  # per-class flux thresholds
    ratio_bands: tuple[RatioBand, ...] = (RatioBand("current_ratio", low=Decimal(1)),
                                          RatioBand("gross_margin", low=Decimal(0), high=Decimal(100)))
    contra_accounts: tuple[str, ...] = ()  # standard accounts allowed a balance in either direction
    rate_move_threshold: Decimal = Decimal("0.10")  # relative move of a rate since last month
    trivial_abs: Decimal = Decimal(1)  # diagnostics ignore abnormal/dormant balances below this
    round_unit: Decimal = Decimal(1000)  # journal amounts that are multiples of this (local units)
    round_min: Decimal = Decimal(10000)  # … and at least this large are round-number entries
    approval_limits: tuple[Decimal, ...] = ()  # local units; empty turns the just-under test off
    just_under_band: Decimal = Decimal("0.05")  # "just under" = within this fraction below a limit
    benford_min_count: int = 1000  # journal amounts (>= 10 units) needed for the Benford test
    benford_mad: Decimal = Decimal("0.015")  # Nigrini's first-digit nonconformity MAD
    # Management trial balances (connectors/management.py): an UNRECONCILED line above this fails
    unreconciled_materiality: Decimal = Decimal(0)
    class_prefix_check: bool = True  # the local-code prefix heuristic of the mapping check
    # Entities whose local chart numbers classes otherwise (e.g. a German SKR04 chart, where
    # class 3 holds liabilities): the prefix heuristic does not judge them.
    class_prefix_skip: tuple[str, ...] = ()
    weights: tuple[ScoreWeight, ...] = DEFAULT_SCORE_WEIGHTS

    def weight(self, category: str) -> ScoreWeight:
        """Return the score weight of a category (the default when not configured)."""
        return weight_for(self.weights, category)


def weight_for(weights: tuple[ScoreWeight, ...], category: str) -> ScoreWeight:
    """Return the weight of a category from ``weights``, else the default.

    Raises:
        ConfigError: an unknown category.

    """
    for w in weights:
        if w.category == category:
            return w
    for w in DEFAULT_SCORE_WEIGHTS:
        if w.category == category:
            return w
    raise ConfigError(f"no score weight for category {category!r}", key="validation.weights",
                      expected=" | ".join(VALIDATION_CATEGORIES))


@dataclass(frozen=True, slots=True)
class AiSettings:
    """Claude commentary settings (the API key comes from the environment, never from here)."""

    enabled: bool = True
    model: str = "claude-sonnet-4-5"
    temperature: Decimal = Decimal("0.3")
    max_tokens: int = 300
    concurrency: int = 4


# The one place [ai]'s defaults are written; commentary's settings start from these.
AI_DEFAULTS = AiSettings()


@dataclass(frozen=True, slots=True)
class Files:
    """Files the close reads, relative to the config file."""

    mapping: str | None = None  # entity,account,std_account
    budget: str | None = None  # period,entity,account,amount (TB sign, monthly movement)
    rates: str | None = None  # period,currency,closing,average
    opening_balances: str | None = None  # entity,account,translated_closing,historical_rate
    chart: str | None = None  # a chart of accounts CSV replacing the default
    adjustments: tuple[str, ...] = ()  # top-side / GAAP journals
    receivables: str | None = None  # open customer titles: close/analysis/receivables/titles.py
    standard_costs: str | None = None  # standard cost cards with actuals: close/analysis/costing/files.py


@dataclass(frozen=True, slots=True)
class GroupConfig:
    """A consolidation group: who is in it, how to read them, and how to close."""

    id: str
    name: str
    presentation_currency: Currency
    entities: tuple[EntityConfig, ...]
    fiscal_year_start: int = 1  # month number 1..12
    budget_currency: Currency | None = None  # defaults to the presentation currency
    locale: str = "en-US"  # en-US | pt-BR
    schedule: str = "0 6 1 * *"  # cron, UTC: 06:00 on the 1st closes the previous month
    catch_up_months: int = 3
    files: Files = field(default_factory=Files)
    thresholds: Thresholds = field(default_factory=Thresholds)
    intercompany: IntercompanySettings = field(default_factory=IntercompanySettings)
    ai: AiSettings = field(default_factory=AiSettings)
    validation: ValidationSettings = field(default_factory=ValidationSettings)
    rates: RatePolicy | None = None  # [rates]; None → the defaults (read it through rate_policy)
    output_dir: str = "out"  # DISTRIBUTING writes the package here, relative to the config
    source_name: str = "config"  # file name, for messages
    distribution: DistributionSettings = field(default_factory=DistributionSettings)  # e-mail, Slack, alerts
    calendar: CalendarSettings = field(default_factory=CalendarSettings)  # business days for due dates
    checklist: tuple[ChecklistTask, ...] = ()  # the month's human tasks, with their gates
    dividends: tuple[Dividend, ...] = ()  # intragroup dividends, translated at their declaration date
    signoff_by_another: bool = False  # [review] signoff_by_another: who approved a run may not sign it off
    receivables: ReceivablesSettings = field(default_factory=ReceivablesSettings)  # aging, ECL, drafts

    def entity(self, entity_id: EntityId) -> EntityConfig:
        """Return one entity by id.

        Raises:
            ConfigError: when the group has no such entity.

        """
        for e in self.entities:
            if e.id == entity_id:
                return e
        raise ConfigError(f"no entity {entity_id!r} in group {self.id}", file=self.source_name)

    @property
    def rate_policy(self) -> RatePolicy:
        """Return the group's rate choices (``[rates]``), the defaults when the table is absent."""
        return self.rates or RatePolicy(self.presentation_currency)

    def named_files(self) -> tuple[str, ...]:
        """Return every group-level file the config names (not the entities' sources)."""
        f = self.files
        return tuple(p for p in (f.mapping, f.budget, f.rates, f.opening_balances, f.chart,
                                 *f.adjustments, f.receivables, f.standard_costs) if p)


class _Table:
    """A TOML table that knows where it came from, so every error names file and key."""

    def __init__(self, data: Mapping[str, Any], source: str, prefix: str) -> None:
        self.data, self.source, self.prefix = data, source, prefix
        self.used: set[str] = set()

    def _key(self, key: str) -> str:
        return f"{self.prefix}.{key}" if self.prefix else key

    def _err(self, key: str, message: str, expected: str) -> ConfigError:
        return ConfigError(message, file=self.source, key=self._key(key), expected=expected)

    def raw(self, key: str, default: Any = ..., *, expected: str) -> Any:  # noqa: ANN401
        self.used.add(key)
        if key in self.data:
            return self.data[key]
        if default is ...:
            # A misspelt key is the likelier mistake than a forgotten one: name it.
            typo = next((k for k in self.data if k not in self.used and did_you_mean(k, (key,))), None)
            if typo is not None:
                raise self._err(typo, f"unknown key; did you mean {key!r}?", f"{key}: {expected}")
            raise self._err(key, "missing", expected)
        return default

    def text(self, key: str, default: Any = ..., *, pattern: re.Pattern[str] | None = None,  # noqa: ANN401
             expected: str = "text") -> Any:  # noqa: ANN401
        value = self.raw(key, default, expected=expected)
        if value is None or (value is default and default is not ...):
            return value
        if not isinstance(value, str) or (pattern and not pattern.match(value)):
            raise self._err(key, f"got {value!r}", expected)
        return value

    def decimal(self, key: str, default: Any = ..., *, expected: str = "a number as a string") -> Any:  # noqa: ANN401
        value = self.raw(key, default, expected=expected)
        if value is None or (value is default and default is not ...):
            return value
        if isinstance(value, float):
            raise self._err(key, f"got the float {value!r}; write amounts in quotes so they stay exact",
                            'a quoted number such as "0.8"')
        try:
            return D(value if isinstance(value, int | str) else str(value))
        except (TypeError, ValueError):
            raise self._err(key, f"got {value!r}", expected) from None

    def integer(self, key: str, default: Any = ..., *, lo: int, hi: int) -> Any:  # noqa: ANN401
        value = self.raw(key, default, expected=f"an integer {lo}..{hi}")
        if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
            raise self._err(key, f"got {value!r}", f"an integer {lo}..{hi}")
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self.raw(key, default, expected="true or false")
        if not isinstance(value, bool):
            raise self._err(key, f"got {value!r}", "true or false")
        return value

    def table(self, key: str, *, required: bool = False) -> _Table:
        value = self.raw(key, ... if required else {}, expected="a table")
        if not isinstance(value, Mapping):
            raise self._err(key, f"got {type(value).__name__}", "a table")
        return _Table(value, self.source, self._key(key))

    def tables(self, key: str) -> list[_Table]:
        value = self.raw(key, expected="an array of tables [[...]]")
        if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
            raise self._err(key, "not an array of tables", f"[[{key}]] tables")
        return [_Table(v, self.source, f"{self._key(key)}[{i}]") for i, v in enumerate(value)]

    def strings(self, key: str) -> tuple[str, ...]:
        value = self.raw(key, [], expected="a list of strings")
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self._err(key, f"got {value!r}", "a list of strings")
        return tuple(value)

    def reject_unknown(self) -> None:
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            guess = did_you_mean(unknown[0], self.used)
            hint = f"; did you mean {guess!r}?" if guess else ""
            raise self._err(unknown[0], f"unknown key{hint}", "one of " + ", ".join(sorted(self.used)))


def did_you_mean(key: str, known: Iterable[str]) -> str | None:
    """Return the known key a misspelt ``key`` most likely meant, or None when none is close."""
    matches = difflib.get_close_matches(key, list(known), n=1, cutoff=0.8)
    return matches[0] if matches else None


_ACCOUNT_CLASSES = ("asset", "liability", "equity", "revenue", "expense")
_KPI_CODE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def _subtables(t: _Table, key: str, allowed: tuple[str, ...] | None,
               expected: str) -> list[tuple[str, _Table]]:
    """Return the named sub-tables of ``[prefix.key]`` (``[validation.materiality.expense]`` …)."""
    parent = t.table(key)
    out = []
    for name in parent.data:
        if (allowed is not None and name not in allowed) or (allowed is None and not _KPI_CODE.match(name)):
            raise parent._err(name, "unknown name", expected)  # noqa: SLF001 - same module
        out.append((name, parent.table(name)))
    return out


def _positive(t: _Table, key: str, default: Decimal | None) -> Decimal | None:
    value = t.decimal(key, default)
    if value is not None and value < 0:
        raise t._err(key, f"got {value}", "a number >= 0")  # noqa: SLF001 - same module
    return value


def _parse_validation(t: _Table) -> ValidationSettings:
    """Build ``ValidationSettings`` from ``[validation]``; every key optional."""
    base = ValidationSettings()
    materiality = []
    for name, sub in _subtables(t, "materiality", _ACCOUNT_CLASSES, " | ".join(_ACCOUNT_CLASSES)):
        materiality.append(ClassMateriality(name, *(_positive(sub, k, None) for k in
                                                    ("mom_abs", "mom_pct", "budget_abs", "budget_pct"))))
        sub.reject_unknown()
    bands = {b.kpi: b for b in base.ratio_bands}
    for name, sub in _subtables(t, "ratio_bands", None, "a KPI code such as current_ratio"):
        bands[name] = RatioBand(name, sub.decimal("low", None), sub.decimal("high", None))
        sub.reject_unknown()
    weights = {w.category: w for w in base.weights}
    for name, sub in _subtables(t, "weights", VALIDATION_CATEGORIES, " | ".join(VALIDATION_CATEGORIES)):
        old = weights[name]
        weights[name] = ScoreWeight(name, *(_positive(sub, k, getattr(old, k))
                                            for k in ("fail", "warn", "cap")))
        sub.reject_unknown()
    limits = []
    for i, text in enumerate(t.strings("approval_limits")):
        try:
            limits.append(D(text))
        except ValueError:
            raise t._err(f"approval_limits[{i}]", f"got {text!r}",  # noqa: SLF001
                         'a quoted number such as "10000"') from None
    settings = ValidationSettings(
        materiality=tuple(materiality),
        ratio_bands=tuple(bands.values()),
        contra_accounts=t.strings("contra_accounts"),
        rate_move_threshold=_positive(t, "rate_move_threshold", base.rate_move_threshold),
        trivial_abs=_positive(t, "trivial_abs", base.trivial_abs),
        round_unit=_positive(t, "round_unit", base.round_unit),
        round_min=_positive(t, "round_min", base.round_min),
        approval_limits=tuple(limits),
        just_under_band=_positive(t, "just_under_band", base.just_under_band),
        benford_min_count=t.integer("benford_min_count", base.benford_min_count, lo=1, hi=10**9),
        benford_mad=_positive(t, "benford_mad", base.benford_mad),
        unreconciled_materiality=_positive(t, "unreconciled_materiality",
                                           base.unreconciled_materiality),
        class_prefix_check=t.boolean("class_prefix_check", base.class_prefix_check),
        class_prefix_skip=t.strings("class_prefix_skip"),
        weights=tuple(weights.values()),
    )
    if settings.round_unit == 0:
        raise t._err("round_unit", "got 0", "a positive number such as \"1000\"")  # noqa: SLF001
    t.reject_unknown()
    return settings


def _parse_rates(t: _Table, presentation_currency: Currency) -> RatePolicy:
    side = t.text("ptax_side", "venda")
    if side not in ("venda", "compra"):
        raise ConfigError(f"got {side!r}", file=t.source, key="rates.ptax_side", expected="venda | compra")
    sources = t.raw("sources", {}, expected="a table currency = source")
    if not isinstance(sources, Mapping) or not all(
            isinstance(v, str) and v in ("bcb_ptax", "ecb", "file") and _CURRENCY.match(k)
            for k, v in sources.items()):
        raise ConfigError(f"got {sources!r}", file=t.source, key="rates.sources",
                          expected='a table such as { BRL = "bcb_ptax", EUR = "ecb", ARS = "file" }')
    return RatePolicy(presentation_currency, ptax_side=side,
                      sources=MappingProxyType(dict(sorted(sources.items()))),
                      fallback_to_file=t.boolean("fallback_to_file", True))


def _parse_ppa(t: _Table) -> PpaIntangible:
    life = t.integer("useful_life_months", lo=1, hi=1200)
    item = PpaIntangible(name=t.text("name"), fair_value=t.decimal("fair_value"),
                         useful_life_months=life,
                         start=t.text("start", pattern=PERIOD_PATTERN, expected="YYYY-MM"))
    t.reject_unknown()
    return item


def _event_date(t: _Table) -> date:
    """Return the ``date`` of a later event (a step, a disposal): a TOML date."""
    raw_date = t.raw("date", expected="a date such as 2025-06-30")
    if not isinstance(raw_date, date):
        raise ConfigError(f"got {raw_date!r}", file=t.source, key=f"{t.prefix}.date",
                          expected="a TOML date such as 2025-06-30 (unquoted)")
    return raw_date


def _parse_step(t: _Table) -> OwnershipStep:
    step = OwnershipStep(date=_event_date(t), ownership=t.decimal("ownership"),
                         consideration=_positive(t, "consideration", ...))
    if not Decimal(0) < step.ownership <= Decimal(1):
        raise ConfigError(f"got {step.ownership}", file=t.source, key=f"{t.prefix}.ownership",
                          expected='the direct share after the step, 0 < x <= 1, such as "0.9"')
    t.reject_unknown()
    return step


def _parse_disposal(t: _Table) -> Disposal:
    disposal = Disposal(date=_event_date(t), proceeds=_positive(t, "proceeds", ...))
    t.reject_unknown()
    return disposal


def _parse_acquisition(t: _Table) -> Acquisition:
    raw_date = t.raw("date", expected="a date such as 2021-03-31")
    if not isinstance(raw_date, date):
        raise ConfigError(f"got {raw_date!r}", file=t.source, key=f"{t.prefix}.date",
                          expected="a TOML date such as 2021-03-31 (unquoted)")
    method = t.text("nci_method", "proportionate")
    if method not in ("proportionate", "full"):
        raise ConfigError(f"got {method!r}", file=t.source, key=f"{t.prefix}.nci_method",
                          expected="proportionate | full")
    acq = Acquisition(
        date=raw_date,
        consideration=t.decimal("consideration"),
        net_assets_fair_value=t.decimal("net_assets_fair_value", None),
        nci_method=method,
        nci_fair_value=t.decimal("nci_fair_value", None),
        equity_at_acquisition=t.decimal("equity_at_acquisition", None),
        rate=t.decimal("rate", None),
        ppa=tuple(_parse_ppa(p) for p in (t.tables("ppa") if "ppa" in t.data else [])),
        tax_rate=t.decimal("tax_rate", None),
        steps=tuple(_parse_step(p) for p in (t.tables("steps") if "steps" in t.data else [])),
    )
    dates = (raw_date, *(s.date for s in acq.steps))
    for i, (before, after) in enumerate(zip(dates, acq.steps, strict=False)):
        if (after.date.year, after.date.month) <= (before.year, before.month):
            raise ConfigError(f"step on {after.date} is not in a month after {before}", file=t.source,
                              key=f"{t.prefix}.steps[{i}].date",
                              expected="steps in date order, each in a later month than the one before")
    if acq.tax_rate is not None and not Decimal(0) <= acq.tax_rate < Decimal(1):
        raise ConfigError(f"got {acq.tax_rate}", file=t.source, key=f"{t.prefix}.tax_rate",
                          expected='a fraction 0 <= x < 1, such as "0.34"')
    if method == "full" and acq.nci_fair_value is None:
        raise ConfigError("the full-goodwill method needs the NCI's fair value", file=t.source,
                          key=f"{t.prefix}.nci_fair_value", expected="a quoted amount")
    t.reject_unknown()
    return acq


def _parse_entity(t: _Table) -> EntityConfig:
    ownership = t.decimal("ownership", Decimal(1))
    if not Decimal(0) < ownership <= Decimal(1):
        raise ConfigError(f"got {ownership}", file=t.source, key=f"{t.prefix}.ownership",
                          expected='a fraction 0 < x <= 1, such as "0.8"')
    method = t.text("method", "full")
    if method not in ("full", "equity", "none"):
        raise ConfigError(f"got {method!r}", file=t.source, key=f"{t.prefix}.method",
                          expected="full | equity | none")
    source = t.raw("source", {}, expected="a table")
    if not isinstance(source, Mapping):
        raise ConfigError("not a table", file=t.source, key=f"{t.prefix}.source", expected="a table")
    for key in source:
        if re.search(r"(secret|password|token|api_key)$", key, re.I) and not key.endswith("_env"):
            raise ConfigError("secrets never go in the config file", file=t.source,
                              key=f"{t.prefix}.source.{key}",
                              expected=f"{key}_env naming an environment variable")
    entity = EntityConfig(
        id=t.text("id", pattern=_ID, expected="an id of letters, digits, _ . -"),
        name=t.text("name"),
        currency=t.text("currency", pattern=_CURRENCY, expected="an ISO 4217 code such as BRL"),
        connector=t.text("connector", "file"),
        source=dict(source),
        parent=t.text("parent", None) or None,
        ownership=ownership,
        method=method,
        acquisition=_parse_acquisition(t.table("acquisition")) if "acquisition" in t.data else None,
        disposal=_parse_disposal(t.table("disposal")) if "disposal" in t.data else None,
    )
    t.reject_unknown()
    return entity


def _check_hierarchy(entities: tuple[EntityConfig, ...], source: str) -> None:
    ids = [e.id for e in entities]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        raise ConfigError(f"entity id {sorted(dup)[0]!r} appears twice", file=source, key="entities")
    by_id = {e.id: e for e in entities}
    tops = [e.id for e in entities if e.parent is None]
    if len(tops) != 1:
        raise ConfigError(f"found {len(tops)} entities without a parent: {tops}", file=source,
                          key="entities.parent", expected="exactly one top parent")
    for e in entities:
        if e.parent is not None and e.parent not in by_id:
            raise ConfigError(f"entity {e.id} names parent {e.parent!r}, which is not in the group",
                              file=source, key="entities.parent", expected="an entity id of this group")
        seen, cur = {e.id}, e
        while cur.parent is not None:
            cur = by_id[cur.parent]
            if cur.id in seen:
                raise ConfigError(f"ownership cycle through {cur.id}", file=source, key="entities.parent")
            seen.add(cur.id)


def _parse_pairs(t: _Table, key: str) -> tuple[tuple[EntityId, EntityId], ...]:
    value = t.raw(key, [], expected='a list of entity pairs such as [["HOLD", "BR2"]]')
    if not isinstance(value, list) or not all(
            isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p) for p in value):
        raise ConfigError(f"got {value!r}", file=t.source, key=t._key(key),
                          expected='a list of entity pairs such as [["HOLD", "BR2"]]')
    return tuple((a, b) for a, b in value)


def _parse_margins(t: _Table) -> tuple[tuple[EntityId, Decimal], ...]:
    out = []
    for seller in list(t.data):
        margin = t.decimal(seller, expected='a fraction 0 <= x < 1 as a string, such as "0.25"')
        if not Decimal(0) <= margin < Decimal(1):
            raise ConfigError(f"got {margin}", file=t.source, key=t._key(seller),
                              expected='a fraction 0 <= x < 1, such as "0.25"')
        out.append((seller, margin))
    t.reject_unknown()
    return tuple(out)


def _parse_dividend(t: _Table, entities: Mapping[EntityId, EntityConfig]) -> Dividend:
    dates = {}
    for key in ("declared_on", "paid_on"):
        value = t.raw(key, None if key == "paid_on" else ..., expected="a TOML date such as 2026-01-15")
        if value is not None and not isinstance(value, date):
            raise ConfigError(f"got {value!r}", file=t.source, key=t._key(key),
                              expected="a TOML date such as 2026-01-15 (unquoted)")
        dates[key] = value
    dividend = Dividend(payer=t.text("payer"), payee=t.text("payee"), amount=t.decimal("amount"),
                        declared_on=dates["declared_on"], paid_on=dates["paid_on"])
    for key in ("payer", "payee"):
        if getattr(dividend, key) not in entities:
            raise ConfigError(f"got {getattr(dividend, key)!r}", file=t.source, key=t._key(key),
                              expected="an entity id of this group")
    if dividend.payer == dividend.payee:
        raise ConfigError("payer and payee are the same entity", file=t.source, key=t._key("payee"),
                          expected="another entity of the group")
    if dividend.amount <= 0:
        raise ConfigError(f"got {dividend.amount}", file=t.source, key=t._key("amount"),
                          expected="a positive amount in the payer's currency")
    if dividend.paid_on is not None and dividend.paid_on < dividend.declared_on:
        raise ConfigError(f"paid on {dividend.paid_on}, before it was declared", file=t.source,
                          key=t._key("paid_on"), expected=f"a date on or after {dividend.declared_on}")
    t.reject_unknown()
    return dividend


def _check_dividend_dates(dividends: tuple[Dividend, ...], source: str) -> None:
    """One declaration date per entity and month: its declaration-date rate is stored per month."""
    seen: dict[tuple[EntityId, str], date] = {}
    for i, d in enumerate(dividends):
        for who in (d.payer, d.payee):
            month = d.declared_on.isoformat()[:7]
            other = seen.setdefault((who, month), d.declared_on)
            if other != d.declared_on:
                raise ConfigError(f"{who} has dividends declared on {other} and {d.declared_on}",
                                  file=source, key=f"dividends[{i}].declared_on",
                                  expected=f"one declaration date per entity in {month}")


def parse_group_config(text: str, *, source: str = "config") -> GroupConfig:
    """Parse the TOML text of a group config.

    Args:
        text: the TOML document.
        source: the file name, used in every error message.

    Returns:
        The validated, frozen config.

    Raises:
        ConfigError: naming the file, the key and what was expected.

    """
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", file=source) from None
    top = _Table(doc, source, "")
    g = top.table("group", required=True)
    f = top.table("files")
    th = top.table("thresholds")
    ic = top.table("intercompany")
    ai = top.table("ai")
    dist = top.table("distribution")
    distribution = parse_distribution(dist)
    rt = top.table("rates")
    va = top.table("validation")
    rv = top.table("review")
    entities = tuple(_parse_entity(t) for t in top.tables("entities"))
    if not entities:
        raise ConfigError("no entities", file=source, key="entities", expected="at least one [[entities]]")
    _check_hierarchy(entities, source)
    locale = g.text("locale", "en-US")
    if locale not in ("en-US", "pt-BR"):
        raise ConfigError(f"got {locale!r}", file=source, key="group.locale", expected="en-US | pt-BR")
    presentation = g.text("presentation_currency", pattern=_CURRENCY, expected="ISO 4217")
    config = GroupConfig(
        id=g.text("id", pattern=_ID, expected="an id of letters, digits, _ . -"),
        name=g.text("name"),
        presentation_currency=presentation,
        fiscal_year_start=g.integer("fiscal_year_start", 1, lo=1, hi=12),
        budget_currency=g.text("budget_currency", None, pattern=_CURRENCY, expected="ISO 4217"),
        locale=locale,
        schedule=g.text("schedule", "0 6 1 * *"),
        catch_up_months=g.integer("catch_up_months", 3, lo=0, hi=24),
        entities=entities,
        files=Files(
            mapping=f.text("mapping", None), budget=f.text("budget", None),
            rates=f.text("rates", None), opening_balances=f.text("opening_balances", None),
            chart=f.text("chart", None), adjustments=f.strings("adjustments"),
            receivables=f.text("receivables", None), standard_costs=f.text("standard_costs", None),
        ),
        thresholds=Thresholds(**{k: th.decimal(k, getattr(Thresholds(), k)) for k in
                                 ("budget_abs", "budget_pct", "mom_abs", "mom_pct", "yoy_abs", "yoy_pct")}),
        intercompany=IntercompanySettings(
            abs_tolerance=ic.decimal("abs_tolerance", IntercompanySettings().abs_tolerance),
            pct_tolerance=ic.decimal("pct_tolerance", IntercompanySettings().pct_tolerance),
            net_investment_loans=_parse_pairs(ic, "net_investment_loans"),
            inventory_margins=_parse_margins(ic.table("inventory_margins")),
        ),
        ai=AiSettings(
            enabled=ai.boolean("enabled", AI_DEFAULTS.enabled), model=ai.text("model", AI_DEFAULTS.model),
            temperature=ai.decimal("temperature", AI_DEFAULTS.temperature),
            max_tokens=ai.integer("max_tokens", AI_DEFAULTS.max_tokens, lo=1, hi=8192),
            concurrency=ai.integer("concurrency", AI_DEFAULTS.concurrency, lo=1, hi=64),
        ),
        validation=_parse_validation(va),
        rates=_parse_rates(rt, presentation),
        output_dir=distribution.output_dir,
        source_name=source,
        distribution=distribution,
        calendar=parse_calendar(top.table("calendar")),
        checklist=parse_checklist(top.tables("checklist") if "checklist" in top.data else []),
        dividends=tuple(_parse_dividend(t, {e.id: e for e in entities})
                        for t in (top.tables("dividends") if "dividends" in top.data else [])),
        signoff_by_another=rv.boolean("signoff_by_another", False),
        receivables=parse_receivables(top.table("receivables")),
    )
    for t in (g, f, th, ic, ai, dist, rt, rv, top):
        t.reject_unknown()
    _check_dividend_dates(config.dividends, source)
    return config


def load_group_config(path: Path, environ: Mapping[str, str] | None = None) -> GroupConfig:
    """Read and parse a group config file, its paths confined and no secret in it.

    Args:
        path: the TOML file.
        environ: where ``CLOSE_ALLOWED_ROOTS`` is read (default ``os.environ``; the CLI is an edge).

    Raises:
        ConfigError: when the file cannot be read, is invalid, names a path outside its folder (and
            the allowed roots) or holds something that looks like a secret (close.config_guard).

    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", file=str(path)) from None
    except UnicodeDecodeError:
        raise ConfigError("not UTF-8 text", file=str(path), expected="a UTF-8 TOML file") from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        doc = None  # parse_group_config names the syntax error
    if doc is not None:  # before parsing: no error message may echo a secret value
        guard_config(doc, path, os.environ if environ is None else environ)
    return parse_group_config(text, source=str(path))


def _blank_is_none(value: Any) -> Any:  # noqa: ANN401 - a raw environment value
    """Treat an empty variable as unset (``FOO=`` in a compose file)."""
    return None if value == "" else value


_Url = Annotated[str | None, BeforeValidator(_blank_is_none)]
_SECONDS = {"expected": "a positive number of seconds"}


def _default_home() -> Path:
    return Path.home() / ".local" / "share" / "monthclose"


class Settings(BaseModel):
    """Process settings from the environment, read once by the CLI or the worker.

    A field's alias is its environment variable. The edge passes the environment in
    (:meth:`from_environ`): the model never reads ``os.environ`` behind its caller, so ``Settings()``
    is the defaults and tests stay hermetic. That is also why this is a plain pydantic model and not
    a pydantic-settings ``BaseSettings``, which reads ``os.environ`` itself and has no public source
    over a given mapping.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    database_url: _Url = Field(None, alias="DATABASE_URL")  # None → embedded PostgreSQL (pgserver)
    migrate_url: _Url = Field(None, alias="CLOSE_MIGRATE_URL")  # the owner's login, for migrations only
    broker_url: _Url = Field(None, alias="CLOSE_BROKER_URL")  # None → the canvas runs in-process
    result_backend: _Url = Field(None, alias="CLOSE_RESULT_BACKEND")  # default: the broker URL
    home: Path = Field(default_factory=_default_home, alias="CLOSE_HOME")
    tenant: str = Field("default", alias="CLOSE_TENANT", pattern=_ID.pattern,
                        json_schema_extra={"expected": "letters, digits, _ . -"})
    actor: str = Field("cli", alias="CLOSE_ACTOR")  # or the OS user: who is recorded in the audit trail
    # No CLOSE_ACTOR: the actor is only a guess ($USER or "cli"), not enough to approve or sign off.
    anonymous_actor: bool = False
    anthropic_api_key: SecretStr | None = Field(None, alias="ANTHROPIC_API_KEY")
    anthropic_base_url: _Url = Field(None, alias="ANTHROPIC_BASE_URL")
    # seconds, above the longest task hard limit
    visibility_timeout: int = Field(3600, alias="CLOSE_VISIBILITY_TIMEOUT", ge=0,
                                    json_schema_extra={"expected": "seconds"})
    bcb_url: _Url = Field(None, alias="CLOSE_BCB_URL")  # the Olinda PTAX root (default: the BCB's)
    ecb_url: _Url = Field(None, alias="CLOSE_ECB_URL")  # the ECB Data Portal root (default: the ECB's)
    # every CLOSE_SECRET_* variable, then the secrets file's rotated tokens over them
    secrets: Mapping[str, SecretStr] = Field(default_factory=dict)
    secrets_file: Path | None = Field(None, alias="CLOSE_SECRETS_FILE")  # default CLOSE_HOME/secrets.json
    # a run with no lease renewed for this long is reaped
    lease_seconds: int = Field(120, alias="CLOSE_LEASE_SECONDS", ge=1, json_schema_extra=_SECONDS)
    # how long a stage retries a lost database
    db_retry_seconds: int = Field(60, alias="CLOSE_DB_RETRY_SECONDS", ge=1, json_schema_extra=_SECONDS)
    user: _Url = Field(None, alias="CLOSE_USER")  # the CLI acts as this user (with CLOSE_TOKEN)
    token: SecretStr | None = Field(None, alias="CLOSE_TOKEN")  # that user's API token
    configs: str = Field("", alias="CLOSE_CONFIGS")  # configs to serve or schedule, ":"-separated
    # soft limit of an extract, seconds
    extract_time_limit: int | None = Field(None, alias="CLOSE_EXTRACT_TIME_LIMIT", ge=1,
                                           json_schema_extra=_SECONDS)

    @classmethod
    def from_environ(cls, env: Mapping[str, str]) -> Settings:
        """Build settings from an environment mapping (``os.environ`` at the edge).

        Raises:
            ConfigError: for a malformed value, naming the variable and what was expected.

        """
        values: dict[str, Any] = {
            info.alias: env[info.alias] for info in cls.model_fields.values()
            if info.alias and env.get(info.alias)}
        values["anonymous_actor"] = "CLOSE_ACTOR" not in values
        values.setdefault("CLOSE_ACTOR", env.get("USER") or "cli")
        if env.get("CLOSE_BROKER_URL"):
            values.setdefault("CLOSE_RESULT_BACKEND", env["CLOSE_BROKER_URL"])
        home = Path(values["CLOSE_HOME"]) if "CLOSE_HOME" in values else _default_home()
        secrets_file = Path(values.setdefault("CLOSE_SECRETS_FILE", str(home / "secrets.json")))
        values["secrets"] = {**{k: v for k, v in env.items() if k.startswith("CLOSE_SECRET_")},
                                    **read_secrets_file(secrets_file)}
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            raise _environment_error(exc) from None


def _environment_error(exc: ValidationError) -> ConfigError:
    """Turn pydantic's first error into one naming the variable (never echoing a secret)."""
    first = exc.errors()[0]
    name = str(first["loc"][0]) if first["loc"] else ""
    field = next((f for f in Settings.model_fields.values() if f.alias == name), None)
    extra = field.json_schema_extra if field is not None else None
    expected = str(extra.get("expected", first["msg"]) if isinstance(extra, dict) else first["msg"])
    shown = "" if "SECRET" in name or "KEY" in name else f"got {first.get('input')!r}"
    return ConfigError(shown or "invalid", key=name, expected=expected)
