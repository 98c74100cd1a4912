"""The group TOML as pydantic models: every key once, with its type, default and expectation.

Each table of the file is a :class:`~close.config.types.TomlTable` (frozen, unknown keys refused)
shaped exactly like the TOML, so :func:`group_config_schema` is the file's JSON Schema
(``close config schema``) and a validation error's location is the key a person wrote. Defaults
are read from the runtime records of ``close.config.records``; :meth:`GroupDocument.to_config`
builds those records. Checks that span keys (the ownership tree, dividends between entities, the
checklist's dependencies, step order) are model validators naming the key they blame.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

from pydantic import (
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    create_model,
    field_validator,
    model_validator,
)
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from close.analysis.receivables.settings import ReceivablesTable
from close.config.covenants import CovenantsTable
from close.config.errors import did_you_mean
from close.config.records import (
    AI_DEFAULTS,
    DEFAULT_SCORE_WEIGHTS,
    VALIDATION_CATEGORIES,
    Acquisition,
    AiSettings,
    ClassMateriality,
    Disposal,
    Dividend,
    EntityConfig,
    Files,
    GroupConfig,
    IntercompanySettings,
    OwnershipStep,
    PpaIntangible,
    RatioBand,
    ScoreWeight,
    Thresholds,
    ValidationSettings,
)
from close.config.types import (
    Currency,
    Exact,
    Flag,
    Identifier,
    Integer,
    Text,
    TomlDate,
    TomlTable,
    default_of,
    described,
    invalid,
)
from close.engine.periods import PERIOD_PATTERN
from close.rates.settings import RatesTable
from close.run.workflow.settings import CalendarTable, ChecklistTable, DistributionTable, check_checklist
from connectors.settings import SOURCE_MODELS, SourceSettings, refuse_secret_keys, registered_connectors

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
_AccountClass = Literal["asset", "liability", "equity", "revenue", "expense"]
_Category = Literal[VALIDATION_CATEGORIES]  # type: ignore[valid-type] # the score's categories
_KpiCode = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
_NonNegative = Annotated[Exact, Field(ge=0)]
_Fraction = Annotated[Exact, Field(ge=0, lt=1)]
_Share = Annotated[Exact, Field(gt=0, le=1)]
_Period = Annotated[str, StringConstraints(pattern=PERIOD_PATTERN.pattern)]
_SHARE = 'a fraction 0 < x <= 1, such as "0.8"'


class GroupTable(TomlTable):
    """``[group]``: who the group is and when it closes."""

    id: Identifier = described("an id of letters, digits, _ . -")
    name: Text = described("the group's name")
    presentation_currency: Currency = described("an ISO 4217 code such as USD")
    fiscal_year_start: Integer = described("the month the fiscal year starts, 1..12",
                                           default_of(GroupConfig, "fiscal_year_start"), ge=1, le=12)
    budget_currency: Currency | None = described(
        "an ISO 4217 code (default: the presentation currency)", default_of(GroupConfig, "budget_currency"))
    locale: Literal["en-US", "pt-BR"] = described("en-US | pt-BR", default_of(GroupConfig, "locale"))
    schedule: Text = described("a cron expression in UTC", default_of(GroupConfig, "schedule"))
    catch_up_months: Integer = described("an integer 0..24: past months a scheduled close catches up",
                                         default_of(GroupConfig, "catch_up_months"), ge=0, le=24)


class FilesTable(TomlTable):
    """``[files]``: files the close reads, relative to the config file."""

    mapping: Text | None = described("a CSV entity,account,std_account", None)
    budget: Text | None = described("a CSV period,entity,account,amount", None)
    forecast: Text | None = described(
        "a CSV period,entity,account,amount with a blank entity (the rest of the fiscal year)", None)
    rates: Text | None = described("a CSV period,currency,closing,average", None)
    opening_balances: Text | None = described("a CSV of opening balances", None)
    chart: Text | None = described("a chart of accounts CSV replacing the default", None)
    adjustments: tuple[Text, ...] = described("a list of journal files (top-side / GAAP)", ())
    receivables: Text | None = described("a CSV of open customer titles", None)
    standard_costs: Text | None = described("a CSV of standard cost cards with actuals", None)

    def files(self) -> Files:
        """Return the runtime record."""
        return Files(**dict(self))


class ThresholdsTable(TomlTable):
    """``[thresholds]``: materiality of variances (presentation-currency units and fractions)."""

    budget_abs: Exact = described('a quoted amount such as "10000"', default_of(Thresholds, "budget_abs"))
    budget_pct: Exact = described('a quoted fraction such as "0.10"', default_of(Thresholds, "budget_pct"))
    mom_abs: Exact = described('a quoted amount such as "5000"', default_of(Thresholds, "mom_abs"))
    mom_pct: Exact = described('a quoted fraction such as "0.05"', default_of(Thresholds, "mom_pct"))
    yoy_abs: Exact = described('a quoted amount such as "10000"', default_of(Thresholds, "yoy_abs"))
    yoy_pct: Exact = described('a quoted fraction such as "0.10"', default_of(Thresholds, "yoy_pct"))


class IntercompanyTable(TomlTable):
    """``[intercompany]``: tolerances, net-investment loans and margins in inventory."""

    abs_tolerance: Exact = described("an amount in presentation-currency units",
                                     default_of(IntercompanySettings, "abs_tolerance"))
    pct_tolerance: Exact = described("a fraction of the larger side", default_of(IntercompanySettings,
                                                                                  "pct_tolerance"))
    net_investment_loans: tuple[tuple[Text, Text], ...] = described(
        'a list of entity pairs such as [["HOLD", "BR2"]]', ())
    inventory_margins: dict[Text, _Fraction] = described(
        'a table seller = gross margin, a fraction 0 <= x < 1 such as "0.25"', {})

    def settings(self) -> IntercompanySettings:
        """Return the runtime record."""
        return IntercompanySettings(
            abs_tolerance=self.abs_tolerance, pct_tolerance=self.pct_tolerance,
            net_investment_loans=self.net_investment_loans,
            inventory_margins=tuple(self.inventory_margins.items()))


class AiTable(TomlTable):
    """``[ai]``: Claude commentary (the API key comes from the environment, never from here)."""

    enabled: Flag = described("true or false", AI_DEFAULTS.enabled)
    model: Text = described("a Claude model name", AI_DEFAULTS.model)
    temperature: Exact = described('a quoted number such as "0.3"', AI_DEFAULTS.temperature)
    max_tokens: Integer = described("an integer 1..8192", AI_DEFAULTS.max_tokens, ge=1, le=8192)
    concurrency: Integer = described("an integer 1..64", AI_DEFAULTS.concurrency, ge=1, le=64)

    def settings(self) -> AiSettings:
        """Return the runtime record."""
        return AiSettings(**dict(self))


class MaterialityRow(TomlTable):
    """``[validation.materiality.<class>]``: one account class's flux thresholds (absent: inherit)."""

    mom_abs: _NonNegative | None = described("a number >= 0", None)
    mom_pct: _NonNegative | None = described("a number >= 0", None)
    budget_abs: _NonNegative | None = described("a number >= 0", None)
    budget_pct: _NonNegative | None = described("a number >= 0", None)


class BandRow(TomlTable):
    """``[validation.ratio_bands.<kpi>]``: the band a KPI must stay in; absent sides are open."""

    low: Exact | None = described('a quoted number such as "1"', None)
    high: Exact | None = described('a quoted number such as "100"', None)


class WeightRow(TomlTable):
    """``[validation.weights.<category>]``: penalty points (absent: the default)."""

    fail: _NonNegative | None = described("points per failed finding, a number >= 0", None)
    warn: _NonNegative | None = described("points per warning, a number >= 0", None)
    cap: _NonNegative | None = described("most points one check code takes off, a number >= 0", None)


def _validation_default(name: str) -> Any:  # noqa: ANN401 - any ValidationSettings default
    return default_of(ValidationSettings, name)


class ValidationTable(TomlTable):
    """``[validation]``: options of the checks; presentation-currency units unless said."""

    materiality: dict[_AccountClass, MaterialityRow] = described(
        "tables named asset | liability | equity | revenue | expense", {})
    ratio_bands: dict[_KpiCode, BandRow] = described("tables named by a KPI code such as current_ratio", {})
    contra_accounts: tuple[Text, ...] = described("a list of standard accounts", ())
    rate_move_threshold: _NonNegative = described("a number >= 0: a rate's relative move since last month",
                                                  _validation_default("rate_move_threshold"))
    trivial_abs: _NonNegative = described("a number >= 0", _validation_default("trivial_abs"))
    round_unit: Annotated[Exact, Field(gt=0)] = described('a positive number such as "1000"',
                                                          _validation_default("round_unit"))
    round_min: _NonNegative = described("a number >= 0", _validation_default("round_min"))
    approval_limits: tuple[Exact, ...] = described('a list of quoted amounts such as ["10000"]', ())
    just_under_band: _NonNegative = described("a number >= 0", _validation_default("just_under_band"))
    benford_min_count: Integer = described("an integer 1..1000000000",
                                           _validation_default("benford_min_count"), ge=1, le=10**9)
    benford_mad: _NonNegative = described("a number >= 0", _validation_default("benford_mad"))
    unreconciled_materiality: _NonNegative = described("a number >= 0",
                                                       _validation_default("unreconciled_materiality"))
    class_prefix_check: Flag = described("true or false", _validation_default("class_prefix_check"))
    class_prefix_skip: tuple[Text, ...] = described("a list of entity ids", ())
    weights: dict[_Category, WeightRow] = described(
        "tables named " + " | ".join(VALIDATION_CATEGORIES), {})

    def settings(self) -> ValidationSettings:
        """Return the runtime record: ratio bands and weights configured over the defaults."""
        bands = {b.kpi: b for b in default_of(ValidationSettings, "ratio_bands")}
        bands.update({kpi: RatioBand(kpi, row.low, row.high) for kpi, row in self.ratio_bands.items()})
        weights = {w.category: w for w in DEFAULT_SCORE_WEIGHTS}
        for category, row in self.weights.items():
            default = weights[category]
            weights[category] = ScoreWeight(category,
                                            fail=default.fail if row.fail is None else row.fail,
                                            warn=default.warn if row.warn is None else row.warn,
                                            cap=default.cap if row.cap is None else row.cap)
        return ValidationSettings(
            materiality=tuple(ClassMateriality(name, **dict(row)) for name, row in self.materiality.items()),
            ratio_bands=tuple(bands.values()), weights=tuple(weights.values()),
            **{k: v for k, v in self if k not in ("materiality", "ratio_bands", "weights")})


class ReviewTable(TomlTable):
    """``[review]``: who may sign off."""

    signoff_by_another: Flag = described("true or false: who approved a run may not sign it off",
                                         default_of(GroupConfig, "signoff_by_another"))


class PpaTable(TomlTable):
    """``[[entities.acquisition.ppa]]``: an intangible recognised at acquisition, amortized straight-line."""

    name: Text = described("the intangible's name")
    fair_value: Exact = described("a quoted amount in the acquiree's currency")
    useful_life_months: Integer = described("an integer 1..1200", ge=1, le=1200)
    start: _Period = described("the first period of amortization, YYYY-MM")


class StepTable(TomlTable):
    """``[[entities.acquisition.steps]]``: a later change in the parent's share (IFRS 10.23)."""

    date: TomlDate = described("a TOML date such as 2025-06-30 (unquoted)")
    ownership: _Share = described('the direct share after the step, 0 < x <= 1, such as "0.9"')
    consideration: _NonNegative = described("a quoted amount >= 0 in the parent's currency")


class AcquisitionTable(TomlTable):
    """``[entities.acquisition]``: how the parent came to own the entity (IFRS 3)."""

    date: TomlDate = described("a TOML date such as 2021-03-31 (unquoted)")
    consideration: Exact = described("a quoted amount in the parent's currency")
    net_assets_fair_value: Exact | None = described("a quoted amount in the acquiree's currency", None)
    nci_method: Literal["proportionate", "full"] = described("proportionate | full", "proportionate")
    nci_fair_value: Exact | None = described("a quoted amount (required for the full method)", None)
    equity_at_acquisition: Exact | None = described("a quoted amount in the acquiree's currency", None)
    rate: Exact | None = described("presentation units per functional unit on the date", None)
    ppa: tuple[PpaTable, ...] = described("[[entities.acquisition.ppa]] tables", ())
    tax_rate: _Fraction | None = described('a fraction 0 <= x < 1, such as "0.34"', None)
    steps: tuple[StepTable, ...] = described("[[entities.acquisition.steps]] tables in date order", ())

    @model_validator(mode="after")
    def _consistent(self) -> AcquisitionTable:
        dates = (self.date, *(s.date for s in self.steps))
        for i, (before, after) in enumerate(zip(dates, self.steps, strict=False)):
            if (after.date.year, after.date.month) <= (before.year, before.month):
                raise invalid(f"steps[{i}].date", f"step on {after.date} is not in a month after {before}",
                              "steps in date order, each in a later month than the one before")
        if self.nci_method == "full" and self.nci_fair_value is None:
            raise invalid("nci_fair_value", "the full-goodwill method needs the NCI's fair value",
                          "a quoted amount")
        return self

    def acquisition(self) -> Acquisition:
        """Return the runtime record."""
        return Acquisition(
            date=self.date, consideration=self.consideration,
            net_assets_fair_value=self.net_assets_fair_value,
            nci_method=self.nci_method, nci_fair_value=self.nci_fair_value,
            equity_at_acquisition=self.equity_at_acquisition, rate=self.rate,
            ppa=tuple(PpaIntangible(**dict(p)) for p in self.ppa), tax_rate=self.tax_rate,
            steps=tuple(OwnershipStep(**dict(s)) for s in self.steps))


class DisposalTable(TomlTable):
    """``[entities.disposal]``: the sale of the whole subsidiary (IFRS 10.25)."""

    date: TomlDate = described("a TOML date such as 2025-06-30 (unquoted)")
    proceeds: _NonNegative = described("a quoted amount >= 0 in the parent's currency")


class EntityTable(TomlTable):
    """``[[entities]]``: one legal entity of the group (a variant per connector adds its ``source``)."""

    id: Identifier = described("an id of letters, digits, _ . -")
    name: Text = described("the entity's name")
    currency: Currency = described("an ISO 4217 code such as BRL")
    parent: Text | None = described("the parent entity's id (absent for the top parent)", None)
    ownership: _Share = described(_SHARE, default_of(EntityConfig, "ownership"))
    method: Literal["full", "equity", "none"] = described("full | equity | none",
                                                          default_of(EntityConfig, "method"))
    acquisition: AcquisitionTable | None = described("an [entities.acquisition] table", None)
    disposal: DisposalTable | None = described("an [entities.disposal] table", None)
    if TYPE_CHECKING:  # declared by each variant, with its own types
        connector: str
        source: SourceSettings | dict[str, Any]

    def entity(self) -> EntityConfig:
        """Return the runtime record (an empty ``parent`` is no parent; ``source`` as written)."""
        source = self.source
        written = source.model_dump(mode="json", exclude_unset=True) if isinstance(source, SourceSettings) \
            else dict(source)
        return EntityConfig(
            id=self.id, name=self.name, currency=self.currency, connector=self.connector, source=written,
            parent=self.parent or None, ownership=self.ownership, method=self.method,
            acquisition=self.acquisition.acquisition() if self.acquisition else None,
            disposal=Disposal(**dict(self.disposal)) if self.disposal else None)


def _entity_variant(name: str, model: type[SourceSettings]) -> type[EntityTable]:
    """Return the ``[[entities]]`` table of one built-in connector: its name and its source's model."""
    required = [key for key, f in model.model_fields.items() if f.is_required()]
    default = name == "file"
    connector = described(name + (" (the default)" if default else ""), name if default else ...)
    what = f"the {name} connector's own settings (never secrets)"
    source = described(f"{what}; required: {', '.join(required)}") if required else \
        Field(default_factory=model, description=what)  # a factory: the schema shows no default
    return create_model(  # type: ignore[call-overload, no-any-return] # one variant per connector
        f"{model.__name__.removesuffix('Source')}Entity", __base__=EntityTable, __doc__=model.__doc__,
        connector=(Literal[name], connector), source=(model, source))


class PluginEntity(EntityTable):
    """``[[entities]]`` read by a connector another package registers (entry point ``monthclose.connectors``).

    Its source table is checked by the connector itself when the close run is created.
    """

    # The schema names the plugins installed when it is printed (group_config_schema).
    connector: Text = described(
        "a registered connector: " + ", ".join(SOURCE_MODELS) + " or one another package registers")
    source: dict[str, Any] = described("the connector's own settings (never secrets)", {})

    @field_validator("source")
    @classmethod
    def _no_secret(cls, source: dict[str, Any]) -> dict[str, Any]:
        refuse_secret_keys(source)
        return source

    @model_validator(mode="after")
    def _registered(self) -> PluginEntity:
        known = registered_connectors()
        if self.connector not in known:
            guess = did_you_mean(self.connector, known, cutoff=0.6)
            hint = f"; did you mean {guess!r}?" if guess else ""
            raise invalid("connector", f"unknown connector {self.connector!r}{hint}",
                          "one of " + ", ".join(known))
        return self


def _variant_of(entity: Any) -> str:  # noqa: ANN401 - a raw TOML table or a validated one
    """Pick an entity's variant: its connector's name when built in, else the plugin's."""
    name = entity.get("connector", "file") if isinstance(entity, Mapping) else \
        getattr(entity, "connector", "file")
    return name if isinstance(name, str) and name in SOURCE_MODELS else "plugin"


#: An ``[[entities]]`` table, its ``source`` validated by the model of its ``connector``.
Entity = Annotated[
    Union[  # noqa: UP007 - a union built from the registry's models
        tuple(Annotated[_entity_variant(n, m), Tag(n)] for n, m in SOURCE_MODELS.items())  # type: ignore[valid-type]
        + (Annotated[PluginEntity, Tag("plugin")],)],
    Discriminator(_variant_of)]


class DividendTable(TomlTable):
    """``[[dividends]]``: a dividend declared by one group entity to another."""

    payer: Text = described("an entity id of this group")
    payee: Text = described("an entity id of this group")
    amount: Annotated[Exact, Field(gt=0)] = described("a positive amount in the payer's currency")
    declared_on: TomlDate = described("a TOML date such as 2026-01-15 (unquoted)")
    paid_on: TomlDate | None = described(
        "a TOML date such as 2026-01-15 (unquoted); absent while unpaid", None)

    @model_validator(mode="after")
    def _consistent(self) -> DividendTable:
        if self.payer == self.payee:
            raise invalid("payee", "payer and payee are the same entity", "another entity of the group")
        if self.paid_on is not None and self.paid_on < self.declared_on:
            raise invalid("paid_on", f"paid on {self.paid_on}, before it was declared",
                          f"a date on or after {self.declared_on}")
        return self


class GroupDocument(TomlTable):
    """A group config file: the consolidation group, how to read its entities and how to close."""

    group: GroupTable = described("the [group] table")
    entities: tuple[Entity, ...] = described("at least one [[entities]] table", min_length=1)
    files: FilesTable = FilesTable()
    thresholds: ThresholdsTable = ThresholdsTable()
    intercompany: IntercompanyTable = IntercompanyTable()
    ai: AiTable = AiTable()
    validation: ValidationTable = ValidationTable()
    rates: RatesTable = RatesTable()
    review: ReviewTable = ReviewTable()
    distribution: DistributionTable = DistributionTable()
    calendar: CalendarTable = CalendarTable()
    checklist: tuple[ChecklistTable, ...] = described("[[checklist]] tasks", ())
    dividends: tuple[DividendTable, ...] = described("[[dividends]] tables", ())
    receivables: ReceivablesTable = ReceivablesTable()
    covenants: CovenantsTable | None = described("the [covenants] table: limits of the facilities", None)

    @model_validator(mode="after")
    def _consistent(self) -> GroupDocument:
        _check_hierarchy(self.entities)
        _check_dividends(self.dividends, {e.id for e in self.entities})
        check_checklist(tuple(t.task() for t in self.checklist))
        return self

    def to_config(self, source: str) -> GroupConfig:
        """Return the frozen runtime config; ``source`` is the file name, for later messages."""
        g = self.group
        distribution = self.distribution.settings()
        return GroupConfig(
            id=g.id, name=g.name, presentation_currency=g.presentation_currency,
            entities=tuple(e.entity() for e in self.entities), fiscal_year_start=g.fiscal_year_start,
            budget_currency=g.budget_currency, locale=g.locale, schedule=g.schedule,
            catch_up_months=g.catch_up_months, files=self.files.files(),
            thresholds=Thresholds(**dict(self.thresholds)), intercompany=self.intercompany.settings(),
            ai=self.ai.settings(), validation=self.validation.settings(),
            rates=self.rates.policy(g.presentation_currency), output_dir=distribution.output_dir,
            source_name=source, distribution=distribution, calendar=self.calendar.settings(),
            checklist=tuple(t.task() for t in self.checklist),
            dividends=tuple(Dividend(**dict(d)) for d in self.dividends),
            signoff_by_another=self.review.signoff_by_another, receivables=self.receivables.settings(),
            covenants=None if self.covenants is None else self.covenants.settings())


def _check_hierarchy(entities: tuple[EntityTable, ...]) -> None:
    """One top parent, known parents, unique ids, no ownership cycle."""
    ids = [e.id for e in entities]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise invalid("entities", f"entity id {dup[0]!r} appears twice", "unique entity ids")
    parents = {e.id: e.parent or None for e in entities}
    tops = [i for i, p in parents.items() if p is None]
    if len(tops) != 1:
        raise invalid("entities.parent", f"found {len(tops)} entities without a parent: {tops}",
                      "exactly one top parent")
    for entity_id, parent in parents.items():
        if parent is not None and parent not in parents:
            raise invalid("entities.parent",
                          f"entity {entity_id} names parent {parent!r}, which is not in the group",
                          "an entity id of this group")
        seen, cur = {entity_id}, parent
        while cur is not None:
            if cur in seen:
                raise invalid("entities.parent", f"ownership cycle through {cur}", "a tree of entities")
            seen.add(cur)
            cur = parents[cur]


def _check_dividends(dividends: tuple[DividendTable, ...], entity_ids: set[str]) -> None:
    """Dividends between entities of the group; one declaration date per entity and month."""
    seen: dict[tuple[str, str], object] = {}
    for i, d in enumerate(dividends):
        for key in ("payer", "payee"):
            if getattr(d, key) not in entity_ids:
                raise invalid(f"dividends[{i}].{key}", f"got {getattr(d, key)!r}",
                              "an entity id of this group")
        month = d.declared_on.isoformat()[:7]
        for who in (d.payer, d.payee):
            other = seen.setdefault((who, month), d.declared_on)
            if other != d.declared_on:  # its declaration-date rate is stored per month
                raise invalid(f"dividends[{i}].declared_on", f"{who} has dividends declared on {other} and "
                              f"{d.declared_on}", f"one declaration date per entity in {month}")


class _TomlJsonSchema(GenerateJsonSchema):
    """JSON Schema as a TOML file sees it: TOML has no null, so an optional key is simply absent."""

    def nullable_schema(self, schema: core_schema.NullableSchema) -> JsonSchemaValue:
        """Describe an optional key by its value alone."""
        return self.generate_inner(schema["schema"])

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> JsonSchemaValue:
        """Leave out a default of None, which TOML cannot write."""
        if schema.get("default", ...) is None:
            return self.generate_inner(schema["schema"])
        return super().default_schema(schema)


def _name_plugins(schema: dict[str, Any], plugins: list[str]) -> None:
    """Let ``connector`` name only the connectors installed beside the built-ins (none: no plugin variant)."""
    defs, variants = schema["$defs"], schema["properties"]["entities"]["items"]["oneOf"]
    if plugins:
        defs["PluginEntity"]["properties"]["connector"] = {
            "enum": plugins, "description": "a connector another installed package registers"}
    else:
        del defs["PluginEntity"]
        variants.remove({"$ref": "#/$defs/PluginEntity"})


def group_config_schema() -> dict[str, Any]:
    """Return the JSON Schema of the group TOML (TOML dates appear as strings, as editors map them)."""
    schema = GroupDocument.model_json_schema(schema_generator=_TomlJsonSchema)
    _name_plugins(schema, sorted(set(registered_connectors()) - set(SOURCE_MODELS)))
    return {"$schema": SCHEMA_DIALECT, **schema, "title": "monthclose group config"}

