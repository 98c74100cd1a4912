"""The group config as the close uses it: frozen records built from the TOML by ``close.config.document``.

These are the domain records passed down to the stages (frozen dataclasses, immutable collections,
convention 2); tests and benchmarks build them directly. What the TOML file may say — every key,
its type, default and plain-words expectation — is declared once, in the pydantic models of
``close.config.document``, which take their defaults from these records.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from close.analysis.receivables.settings import ReceivablesSettings
from close.config.covenants import CovenantSettings
from close.engine.types import Currency, EntityId
from close.errors import ConfigError
from close.rates.settings import RatePolicy
from close.run.workflow.settings import CalendarSettings, ChecklistTask, DistributionSettings


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
    """A dividend declared by one group entity to another (``[[dividends]]``).

    See ``close.engine.dividends``.
    """

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
    # the connector's own settings ([entities.source]) as written, checked against its model in
    # connectors.settings; never secrets
    source: Mapping[str, Any]
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
    forecast: str | None = None  # the budget's columns, consolidated rows: the full-year outlook
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
    covenants: CovenantSettings | None = None  # [covenants]: tested and shown only when configured

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
        return tuple(p for p in (f.mapping, f.budget, f.forecast, f.rates, f.opening_balances, f.chart,
                                 *f.adjustments, f.receivables, f.standard_costs) if p)
