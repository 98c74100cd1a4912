"""What the board package shows: one frozen record that all three documents read.

``BoardPackData`` is the only input of the report builders (``reports.excel``, ``reports.pptx``,
``reports.pdf``). The loader (``close/run/stages/``, REPORTING) fills it from PostgreSQL; the
builders never touch a database, a clock or the environment, so the same record renders the
same bytes in any process and time zone.

Conventions every field follows:

* **Amounts** are ``Decimal`` in the group's presentation currency (the loader converts
  ``NUMERIC`` / minor units), except where a field says "local" (entity currency).
* **Sign**: amounts keep the trial-balance sign, **debit positive, credit negative**. Revenue,
  liabilities and equity are therefore negative here; ``reports.statements`` flips them for the
  reader (revenue and equity positive, costs in parentheses). Do not flip in the loader.
* **Income-statement accounts** carry the year-to-date figure in ``closing`` (from the group's
  ``fiscal_year_start``) and the month's movement in ``month``. **Balance-sheet accounts** carry
  the cumulative balance in ``closing`` and the movement since the prior month end in ``month``
  (so the indirect cash flow needs no other run).
* **Absent is not zero**: a comparative, score or KPI that does not exist is ``None`` (or an
  empty tuple), and the documents say "not available" / "n/a"; they never print zeros for it.
  Inside a comparative that *does* exist, an account it does not list had no balance (zero).
* **Time**: ``as_of`` is the one timestamp the documents embed (cover, footers, file
  metadata, zip entries). It is stored with the run; builders never call ``now()``.

Example (a one-account fragment)::

    ConsolidatedBalance(account="4000", closing=D("-1200000.00"), month=D("-210000.00"))
    # = revenue of 1,200,000.00 year to date, 210,000.00 in the month
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from close.analysis.constant_currency import FxImpact
from close.analysis.covenants import CovenantReport
from close.engine.types import AccountClass, AccountCode, Currency, EntityId, Period, RunId
from reports.budget_model import EntityResults, FullYearBudget

Locale = Literal["en-US", "pt-BR"]
Light = Literal["green", "yellow", "red"]
Severity = Literal["pass", "warn", "fail"]
CommentarySource = Literal["claude", "data-only"]
ConsolidationMethod = Literal["parent", "full", "equity"]
VarianceBasis = Literal["budget", "prior_month", "prior_year"]
VarianceScope = Literal["month", "ytd"]
KpiUnit = Literal["ratio", "percent", "currency", "months", "count"]
JournalKind = Literal["intercompany", "investment", "nci", "ppa", "topside", "gaap", "other"]
IntercompanyStatus = Literal["eliminated", "plugged", "uneliminated"]

SUPPORTED_LOCALES: tuple[Locale, ...] = ("en-US", "pt-BR")


@dataclass(frozen=True, slots=True)
class ChartAccount:
    """One standard account of the group's chart (``standard_accounts``).

    Attributes:
        code: standard account code, e.g. ``"1000"``.
        name: display name (the chart is data: a pt-BR group may bring pt-BR names).
        account_class: asset, liability, equity, revenue or expense.
        subclass: e.g. ``cash``, ``receivable``, ``cogs``, ``opex``, ``d_and_a``; it places the
            account on the statements (see ``reports.statements``).
        cash_flow_category: ``cash``, ``operating``, ``investing``, ``financing`` or ``none``.
        normal_balance: ``debit`` or ``credit``; a credit-normal asset is a contra account
            (accumulated depreciation) and is treated as non-cash in the cash flow.
        kpi_tags: chart tags; ``current_asset`` / ``current_liability`` split current from
            non-current on the balance sheet.
        system_role: the engine's role (``cta``, ``nci_equity``, ``nci_profit``, ``goodwill``,
            ``retained_earnings``…) or ``None``. Reports find these accounts by role, never code.
        rate_type: ``closing``, ``average`` or ``historical`` (IAS 21 translation); the cash
            flow removes the translation difference of closing-rate lines.

    """

    code: AccountCode
    name: str
    account_class: AccountClass
    subclass: str
    cash_flow_category: str
    normal_balance: Literal["debit", "credit"] = "debit"
    kpi_tags: tuple[str, ...] = ()
    system_role: str | None = None
    rate_type: str = "closing"


@dataclass(frozen=True, slots=True)
class ConsolidatedBalance:
    """A consolidated balance of one standard account (``consolidated_balances``).

    Attributes:
        account: standard account code (must be in ``BoardPackData.chart``).
        closing: balance-sheet: cumulative closing; income statement: year to date. TB sign.
        month: movement in the month (balance sheet: closing minus prior month-end closing;
            income statement: the month's result). TB sign.

    """

    account: AccountCode
    closing: Decimal
    month: Decimal


@dataclass(frozen=True, slots=True)
class Comparative:
    """A full set of comparative balances (prior month, prior year same month or budget).

    Attributes:
        period: the comparative's period (``YYYY-MM``); for the budget, the current period.
        balances: same meaning and sign as ``BoardPackData.balances``. An account missing here
            had no balance. A budget usually holds income-statement accounts only; balance-sheet
            budget columns then show "not available".
        run_id: the effective run it came from (``None`` for a budget).

    """

    period: Period
    balances: tuple[ConsolidatedBalance, ...]
    run_id: RunId | None = None


@dataclass(frozen=True, slots=True)
class PeriodResult:
    """One past period of the income statement, for the trend charts.

    Attributes:
        period: ``YYYY-MM`` of an effective run.
        balances: that run's income-statement balances (``month`` is what the trend uses).

    """

    period: Period
    balances: tuple[ConsolidatedBalance, ...]


@dataclass(frozen=True, slots=True)
class MonthPosition:
    """A month-end position of an earlier effective run, for the cash flow statement.

    Attributes:
        period: ``YYYY-MM``.
        rows: ``(entity, account, amount)``: each consolidating-worksheet row's consolidated
            contribution (translated + eliminations + PPA + adjustments), TB sign, presentation
            currency; income-statement rows year to date.
        closing_rates: ``(currency, rate)`` closing rates of that month.
        average_rates: ``(currency, rate)`` average rates of that month.
        local_rows: ``(entity, account, local amount)`` of the rows whose consolidated
            contribution is their translation alone (no eliminations, PPA or adjustments), in
            the entity's currency: the cash flow splits their movements and computes the
            effect of exchange rates on cash from these exact amounts, not from the rounded
            translation.

    """

    period: Period
    rows: tuple[tuple[EntityId, AccountCode, Decimal], ...]
    closing_rates: tuple[tuple[Currency, Decimal], ...] = ()
    average_rates: tuple[tuple[Currency, Decimal], ...] = ()
    local_rows: tuple[tuple[EntityId, AccountCode, Decimal], ...] = ()

    @classmethod
    def of(cls, period: Period, worksheet: Iterable[WorksheetRow],
           fx_rates: Iterable[FxRateRow]) -> MonthPosition:
        """Return a run's month-end position from its consolidating worksheet and rates."""
        rows = tuple(worksheet)
        rates = tuple(fx_rates)
        return cls(period=period,
                   rows=tuple((w.entity, w.account, w.consolidated) for w in rows),
                   closing_rates=tuple((r.currency, r.rate) for r in rates
                                       if r.rate_type == "closing"),
                   average_rates=tuple((r.currency, r.rate) for r in rates
                                       if r.rate_type == "average"),
                   local_rows=tuple((w.entity, w.account, w.local_amount) for w in rows
                                    if w.consolidated == w.translated))


@dataclass(frozen=True, slots=True)
class Entity:
    """A consolidated entity (``entities``).

    Attributes:
        id: entity id used everywhere else in this record.
        name: legal / display name.
        currency: functional currency.
        ownership: the group's share, ``Decimal("0.80")`` for 80 %.
        method: ``parent``, ``full`` (subsidiary) or ``equity`` (associate).
        parent: the parent entity id, ``None`` for the top holding.

    """

    id: EntityId
    name: str
    currency: Currency
    ownership: Decimal
    method: ConsolidationMethod
    parent: EntityId | None = None


@dataclass(frozen=True, slots=True)
class WorksheetRow:
    """One (entity, standard account) row of the consolidating worksheet.

    ``translated + eliminations + ppa + adjustments == consolidated``; summed over all rows of an
    account, ``consolidated`` equals that account's ``ConsolidatedBalance.closing``. Group-level
    postings (goodwill, NCI, PPA) sit on the row of the entity they relate to.

    Attributes:
        entity: entity id.
        account: standard account code.
        local_amount: closing in the entity's currency (TB sign); zero for a row that only
            carries group-level postings.
        local_currency: the entity's functional currency.
        rate: the rate applied (presentation units per local unit), or ``None`` where several
            apply (income statement YTD at each month's average, CTA as the balancing figure).
        translated: in presentation currency.
        eliminations: intercompany and investment/NCI eliminations.
        ppa: purchase-price-allocation postings.
        adjustments: top-side and GAAP adjustments.
        consolidated: the sum of the four columns before it.

    """

    entity: EntityId
    account: AccountCode
    local_amount: Decimal
    local_currency: Currency
    rate: Decimal | None
    translated: Decimal
    eliminations: Decimal
    ppa: Decimal
    adjustments: Decimal
    consolidated: Decimal


@dataclass(frozen=True, slots=True)
class EntityTrialBalance:
    """One entity's extracted trial balance summed, in its local currency (TB sign).

    The lines themselves travel beside the workbook as the package's trial-balance CSV: a
    1,000-entity group has millions of them, past what a sheet (or a board) reads.

    Attributes:
        entity: entity id.
        currency: the entity's currency.
        lines: how many lines it has.
        opening: the lines' opening balances summed (zero: a trial balance balances).
        debits: debits of the month summed.
        credits: credits of the month summed (positive figure).
        closing: the closing balances summed (zero: a trial balance balances).

    """

    entity: EntityId
    currency: Currency
    lines: int
    opening: Decimal
    debits: Decimal
    credits: Decimal
    closing: Decimal


@dataclass(frozen=True, slots=True)
class FxRateRow:
    """A rate used by the run (``fx_rates``): presentation units per one ``currency`` unit.

    Attributes:
        currency: functional currency translated.
        rate_type: ``closing``, ``average`` or ``historical``.
        rate: the rate (up to 10 decimals).
        source: where it came from, e.g. ``BCB PTAX``, ``ECB``, ``opening-balances file``.
        method: how it was derived, e.g. ``direct``, ``inverted``, ``cross via EUR``,
            ``mean of daily crosses``.

    """

    currency: Currency
    rate_type: str
    rate: Decimal
    source: str
    method: str


@dataclass(frozen=True, slots=True)
class JournalLine:
    """A line of a consolidation journal (presentation currency, TB sign).

    Attributes:
        entity: the entity the line is attributed to on the worksheet.
        account: standard account code.
        amount: debit positive, credit negative.
        counterparty: the other entity of an intercompany pair, else ``None``.
        memo: short text.

    """

    entity: EntityId
    account: AccountCode
    amount: Decimal
    counterparty: EntityId | None = None
    memo: str = ""


@dataclass(frozen=True, slots=True)
class Journal:
    """A consolidation journal (``journal_entries`` + ``journal_lines``); lines sum to zero.

    Attributes:
        id: journal id (stable within the run).
        kind: ``intercompany``, ``investment``, ``nci``, ``ppa``, ``topside``, ``gaap``, ``other``;
            ``ppa`` feeds the worksheet's PPA column, ``topside``/``gaap`` its adjustments
            column, the rest its eliminations column.
        description: what the journal does, for the reader.
        basis: ``IFRS`` or ``US GAAP``.
        lines: the lines.

    """

    id: str
    kind: JournalKind
    description: str
    basis: str
    lines: tuple[JournalLine, ...]


@dataclass(frozen=True, slots=True)
class EntityAttribution:
    """CTA and NCI of one entity (presentation currency, presented sign: credit = positive).

    Attributes:
        entity: entity id.
        cta: the entity's CTA, the balancing figure of its translated trial balance.
        cta_from_parts: the same CTA computed from its parts (design.md, step 2).
        cta_nci: the part of ``cta`` attributed to non-controlling interests.
        nci_equity: NCI in the entity's equity at the period end (includes ``cta_nci``), after
            ``indirect_adjustment``.
        nci_profit_ytd: NCI share of the entity's profit, year to date.
        direct_pct: the NCI's direct share (the entity's own minority), ``None`` when unknown.
        indirect_pct: the NCI's indirect share (the minorities of its intermediate parents, times
            their holdings), ``None`` when unknown.
        indirect_adjustment: the indirect holding adjustment deducted from this entity's NCI (its
            NCI's share of its cost of investment in its own subsidiaries, the ACCA/CIMA working),
            positive for a deduction.

    """

    entity: EntityId
    cta: Decimal
    cta_from_parts: Decimal
    cta_nci: Decimal
    nci_equity: Decimal
    nci_profit_ytd: Decimal
    direct_pct: Decimal | None = None
    indirect_pct: Decimal | None = None
    indirect_adjustment: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class VarianceDriver:
    """How much one entity (or dimension) contributes to a variance (TB sign)."""

    entity: EntityId
    amount: Decimal
    dimension: str | None = None


@dataclass(frozen=True, slots=True)
class Variance:
    """A variance with its commentary (``variances`` + ``commentary``).

    Attributes:
        account: standard account code.
        basis: ``budget``, ``prior_month`` or ``prior_year``.
        scope: ``month`` or ``ytd``.
        actual: actual figure (TB sign).
        comparison: the figure compared with (TB sign).
        difference: ``actual - comparison`` (TB sign).
        pct: ``difference / |comparison|`` as a fraction, ``None`` when the comparison is zero.
        material: whether it crossed the thresholds.
        commentary: the explanation shown to the CFO (plain text).
        source: ``claude`` or ``data-only`` (a deterministic explanation without the model).
        confidence: 0..1.
        light: ``green``, ``yellow`` or ``red``.
        drivers: largest contributors by entity/dimension.

    """

    account: AccountCode
    basis: VarianceBasis
    scope: VarianceScope
    actual: Decimal
    comparison: Decimal
    difference: Decimal
    pct: Decimal | None
    material: bool
    commentary: str
    source: CommentarySource
    confidence: Decimal
    light: Light
    drivers: tuple[VarianceDriver, ...] = ()


@dataclass(frozen=True, slots=True)
class KpiPoint:
    """A KPI value in a past period (``None`` when it could not be computed then)."""

    period: Period
    value: Decimal | None


@dataclass(frozen=True, slots=True)
class Kpi:
    """A KPI (``kpis``).

    Attributes:
        code: e.g. ``gross_margin``, ``current_ratio``, ``arr``.
        name: display name.
        value: the value (a fraction for ``percent``), or ``None`` when the data do not exist.
        unit: ``ratio``, ``percent``, ``currency``, ``months`` or ``count``.
        reason: why ``value`` is ``None`` (shown instead of the number), else ``None``.
        trend: earlier periods, oldest first, for the KPI trend chart.

    """

    code: str
    name: str
    value: Decimal | None
    unit: KpiUnit
    reason: str | None = None
    trend: tuple[KpiPoint, ...] = ()


@dataclass(frozen=True, slots=True)
class ValidationFinding:
    """One check result (``validation_results``), with its waiver if any.

    Attributes:
        code: check code, e.g. ``BS_BALANCES``.
        severity: ``pass``, ``warn`` or ``fail``.
        entity: entity id or ``None`` for group-level checks.
        account: standard account or ``None``.
        expected: expected figure or ``None``.
        actual: actual figure or ``None``.
        difference: ``actual - expected`` or ``None``.
        message: beancount-style message.
        waived_by: who waived it (``close approve --waive``), else ``None``.
        waiver_reason: the reason given, else ``None``.

    """

    code: str
    severity: Severity
    entity: EntityId | None
    account: AccountCode | None
    expected: Decimal | None
    actual: Decimal | None
    difference: Decimal | None
    message: str
    waived_by: str | None = None
    waiver_reason: str | None = None


@dataclass(frozen=True, slots=True)
class Signature:
    """One person's part in a signed package: who and when, from the sealed ``run_events``.

    Attributes:
        actor: the name recorded by the event (the database set the time).
        time: timezone-aware timestamp of the event.
        operator: True when the CLI's operator mode acted (``CLOSE_ACTOR``, no named user).

    """

    actor: str
    time: datetime
    operator: bool = False


@dataclass(frozen=True, slots=True)
class Waiver:
    """A validation finding waived at approval (``close approve --waive``)."""

    code: str
    entity: str | None
    waived_by: str
    time: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class SignOff:
    """Who prepared, reviewed and signed off the run: shown on the signed package only.

    Attributes:
        preparer: who started the run (its ``created`` event).
        reviewer: who approved it in review, or ``None`` when validation needed no review.
        approver: who signed it off (``close signoff``).
        note: the note given with the sign-off.
        waivers: the findings waived at approval, in check order.

    """

    preparer: Signature
    reviewer: Signature | None
    approver: Signature
    note: str = ""
    waivers: tuple[Waiver, ...] = ()


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """An entry of the run's append-only event log (``run_events``).

    Attributes:
        time: timezone-aware timestamp.
        actor: user or ``system``/worker id.
        event: event name, e.g. ``transition``, ``approved``, ``retry``.
        detail: human-readable detail.

    """

    time: datetime
    actor: str
    event: str
    detail: str


@dataclass(frozen=True, slots=True)
class CloseStep:
    """A span of the run in one status, from its status changes (``run_events`` transitions).

    Attributes:
        status: the run status, e.g. ``EXTRACTING`` or ``AWAITING_TASKS`` (a gate's wait).
        start: when the run moved into it (UTC).
        end: when it moved out; ``None`` for the status the package was rendered in.

    """

    status: str
    start: datetime
    end: datetime | None


@dataclass(frozen=True, slots=True)
class OwnershipStepRecord:
    """A change in ownership without loss of control (``close.engine.ownership_changes.STEP_COLUMNS``).

    Attributes:
        entity: the subsidiary.
        period: the month the step was recognised in.
        nci_change: the NCI's increase (+) or decrease (−) at the step, presentation currency.

    """

    entity: EntityId
    period: Period
    nci_change: Decimal


@dataclass(frozen=True, slots=True)
class IntercompanyPair:
    """One intercompany pair as CONSOLIDATING matched it (``close.engine.intercompany.IC_PAIR_COLUMNS``).

    Attributes:
        entity, counterparty: the two entities.
        kind: ``receivable_payable``, ``loan``, ``revenue_expense`` or ``dividend``.
        entity_amount, counterparty_amount: each side translated, presentation currency, TB sign.
        difference: the two sides' sum (zero when they match).
        fx_part: the part of the difference the rates explain (to CTA or the FX result).
        mismatch: the part they do not (``difference − fx_part``).
        status: ``eliminated`` (no mismatch), ``plugged`` (a mismatch within tolerance, eliminated
            to suspense and flagged) or ``uneliminated`` (beyond tolerance, left in the accounts).

    """

    entity: EntityId
    counterparty: EntityId
    kind: str
    entity_amount: Decimal
    counterparty_amount: Decimal
    difference: Decimal
    fx_part: Decimal
    mismatch: Decimal
    status: IntercompanyStatus


@dataclass(frozen=True, slots=True)
class ChecklistTask:
    """A task of the period's checklist as it stood when the package was rendered.

    Attributes:
        task_id: the id from the group config's ``[[checklist]]``.
        title: what is to be done.
        owner: role or user.
        due_on: the business day it is due.
        gate: the stage (or ``SIGNOFF``) it holds closed, else ``None``.
        done_at: when it was done (UTC), ``None`` while open.
        done_by: who did it.
        evidence_sha256: the evidence file's sha256, if one was given.
        overdue: open past its due day when the package was rendered.

    """

    task_id: str
    title: str
    owner: str
    due_on: date
    gate: str | None
    done_at: datetime | None
    done_by: str | None
    evidence_sha256: str | None
    overdue: bool


@dataclass(frozen=True, slots=True)
class BoardPackData:
    """Everything the board package shows, for one run. See the module docstring for signs.

    Attributes:
        group_id: group id.
        group_name: group display name.
        period: ``YYYY-MM``.
        run_id: the run's id (printed in every footer).
        run_status: the run's status when rendered (e.g. ``REPORTING``, ``COMPLETED``).
        presentation_currency: ISO code, e.g. ``USD``.
        locale: ``en-US`` or ``pt-BR`` (labels, number and date formats).
        as_of: timezone-aware timestamp stored with the run; the only time the documents embed.
        fiscal_year_start: first month of the fiscal year (1-12).
        basis: accounting basis shown on the statements (``IFRS`` or ``US GAAP``).
        chart: the standard chart of accounts.
        balances: consolidated balances by standard account.
        prior_month: prior month's effective run, or ``None``.
        prior_year: same month a year earlier, or ``None``.
        prior_year_end: the last month of the prior fiscal year (the balance sheet's IAS 1
            comparative), or ``None``.
        budget: the budget for the period (income statement month and YTD), or ``None``.
        history: up to 12 earlier periods' income statements, oldest first (trend charts).
        entities: consolidated entities, parent first.
        worksheet: consolidating worksheet rows.
        trial_balance: each entity's local trial balance summed (the lines go to a CSV beside).
        fx_rates: rates used.
        journals: consolidation journals (eliminations, PPA, adjustments).
        attributions: CTA and NCI per entity (entities without either may be omitted).
        prior_year_end_attributions: the same figures of the prior fiscal year-end's run (the
            statement of changes in equity's opening NCI share of CTA), ``None`` when unknown.
        variances: analysed variances with commentary.
        kpis: KPIs.
        validation: every check result.
        validation_score: 0-100, ``None`` if validation did not run.
        validation_light: the score's light, ``None`` if validation did not run.
        audit_log: the run's events, oldest first.
        signoff: who prepared, reviewed and signed off the run; ``None`` in the unsigned
            edition (the package rendered before sign-off).
        positions: month-end positions of earlier effective runs, oldest first: the month
            before this one (the cash flow's opening), back to the prior fiscal year-end (the
            year to date) and one more month (the prior-month column); empty when unknown.
        close_steps: the run's statuses up to REPORTING, oldest first (the close-status page).
        checklist: the period's checklist tasks as they stood then, by due day.
        intercompany: the intercompany pairs and how each was matched.
        ownership_steps: the changes in ownership recognised by this period (the statement of
            changes in equity's transactions with NCI).
        full_year_budget: the fiscal year's consolidated budget (full-year budget and outlook
            columns), ``None`` without a budget in the presentation currency.
        entity_results: the entities' own results against their budgets, ``None`` when the
            worksheet is not available.
        fx_impact: growth against the same period last year split into constant-currency growth
            and translation (``close.analysis.constant_currency``); ``None`` without a foreign
            operation.
        covenants: the configured covenants with their headroom (``close.analysis.covenants``);
            ``None`` when the group configures none (nothing is shown).

    """

    group_id: str
    group_name: str
    period: Period
    run_id: RunId
    run_status: str
    presentation_currency: Currency
    locale: Locale
    as_of: datetime
    chart: tuple[ChartAccount, ...]
    balances: tuple[ConsolidatedBalance, ...]
    entities: tuple[Entity, ...]
    fiscal_year_start: int = 1
    basis: str = "IFRS"
    prior_month: Comparative | None = None
    prior_year: Comparative | None = None
    prior_year_end: Comparative | None = None
    budget: Comparative | None = None
    history: tuple[PeriodResult, ...] = ()
    worksheet: tuple[WorksheetRow, ...] = ()
    trial_balance: tuple[EntityTrialBalance, ...] = ()
    fx_rates: tuple[FxRateRow, ...] = ()
    journals: tuple[Journal, ...] = ()
    attributions: tuple[EntityAttribution, ...] = ()
    prior_year_end_attributions: tuple[EntityAttribution, ...] | None = None
    variances: tuple[Variance, ...] = ()
    kpis: tuple[Kpi, ...] = ()
    validation: tuple[ValidationFinding, ...] = ()
    validation_score: Decimal | None = None
    validation_light: Light | None = None
    audit_log: tuple[AuditEvent, ...] = field(default=())
    positions: tuple[MonthPosition, ...] = ()
    close_steps: tuple[CloseStep, ...] = ()
    checklist: tuple[ChecklistTask, ...] = ()
    intercompany: tuple[IntercompanyPair, ...] = ()
    ownership_steps: tuple[OwnershipStepRecord, ...] = ()
    signoff: SignOff | None = None
    full_year_budget: FullYearBudget | None = None
    entity_results: EntityResults | None = None
    fx_impact: FxImpact | None = None
    covenants: CovenantReport | None = None

    def __post_init__(self) -> None:
        """Refuse what would make the documents lie or depend on the machine.

        Raises:
            ValueError: naive ``as_of``, unknown locale, or a balance on an account that is not
                in the chart.

        """
        if self.as_of.tzinfo is None or self.as_of.utcoffset() is None:
            raise ValueError("BoardPackData.as_of must be timezone-aware (stored with the run)")
        if self.locale not in SUPPORTED_LOCALES:
            raise ValueError(f"BoardPackData.locale {self.locale!r}: expected one of "
                             f"{', '.join(SUPPORTED_LOCALES)}")
        codes = {a.code for a in self.chart}
        unknown = sorted({b.account for b in self.balances} - codes)
        if unknown:
            raise ValueError(f"BoardPackData.balances: accounts not in the chart: {unknown}")
