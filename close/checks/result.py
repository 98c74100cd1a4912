"""What a check returns and reads: ``CheckResult``, ``ValidationContext``, the report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

import pandas as pd

from close.config import (
    EntityConfig,
    Thresholds,
    ValidationSettings,
)
from close.config.covenants import CovenantSettings
from close.engine.chart import Chart
from close.engine.types import AccountCode, Currency, EntityId, Period
from close.rates.model import FxRate

Category = Literal[
    "integrity", "rollforward", "mapping", "diagnostics", "rates", "intercompany", "reasonableness"
]
Severity = Literal["pass", "warn", "fail"]
Light = Literal["green", "yellow", "red"]

MAX_LISTED_PER_ENTITY = 10


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One finding of one check (a row of ``validation_results``).

    Attributes:
        code: the check's stable code, e.g. ``DEBITS_EQUAL_CREDITS``.
        category: integrity, rollforward, mapping, diagnostics, rates, intercompany, reasonableness.
        severity: pass, warn or fail.
        entity: the entity, or None for group-level findings.
        account: the local or standard account concerned, or None.
        expected: what was expected, as text (amounts as exact decimals of their currency).
        actual: what was found, as text.
        difference: actual − expected, as text, where that is a number.
        message: ``expected X != actual Y (Z too much)`` or a sentence saying what passed.

    """

    code: str
    category: Category
    severity: Severity
    entity: EntityId | None
    account: AccountCode | None
    expected: str | None
    actual: str | None
    difference: str | None
    message: str


@dataclass(frozen=True, slots=True, eq=False)
class ValidationContext:
    """Everything the checks read; built by the VALIDATING stage adapter.

    Attributes:
        period: the close period.
        presentation_currency: the group's presentation currency.
        chart: the standard chart of accounts.
        entities: the group's entities.
        local: mapped local TB (``MAPPED_TB_COLUMNS`` + ``currency``), int64 entity minor units;
            ``debit`` and ``credit`` are positive magnitudes.
        mapping: entity, account, std_account, source (entity | default | unmapped).
        translated: entity, std_account, …, translated (int64 presentation minor units), CTA
            plug rows included.
        consolidated: std_account, amount (closing, income statement YTD), movement (this month).
        cta: entity, plug, from_parts, difference, tolerance.
        ic_pairs: entity, counterparty, kind, the two side amounts, difference, mismatch, status.
        rates: this period's rates; prior_rates: the prior period's.
        prior_consolidated: the prior effective run's consolidated balances, or None.
        prior_local: the prior effective run's mapped local TB, or None.
        budget: std_account, amount (presentation minor units, monthly movement), or None.
        journal_lines: entity, account, amount (int64 entity minor units), date, description.
        unexplained: the items of the management trial balances' UNRECONCILED lines.
        settings: ``[validation]``.
        thresholds: the analysis ``[thresholds]`` the flux checks share.
        fiscal_year_start: month number the income statement's YTD restarts at.

    """

    period: Period
    presentation_currency: Currency
    chart: Chart
    entities: tuple[EntityConfig, ...]
    local: pd.DataFrame
    mapping: pd.DataFrame
    translated: pd.DataFrame
    consolidated: pd.DataFrame
    cta: pd.DataFrame
    ic_pairs: pd.DataFrame
    rates: tuple[FxRate, ...]
    prior_rates: tuple[FxRate, ...] = ()
    prior_consolidated: pd.DataFrame | None = None
    prior_local: pd.DataFrame | None = None
    budget: pd.DataFrame | None = None
    journal_lines: pd.DataFrame | None = None
    settings: ValidationSettings = field(default_factory=ValidationSettings)
    thresholds: Thresholds = field(default_factory=Thresholds)
    fiscal_year_start: int = 1
    # Management trial balances: what each UNRECONCILED line holds (entity, side, ref, date,
    # amount in entity minor units, reason), as the connectors named it; None without any.
    unexplained: pd.DataFrame | None = None
    # Findings of the receivables (aging against the TB, the IFRS 9 allowance), computed by the
    # stage from the receivables file with close/checks/receivables.py; scored like the others.
    receivables_findings: tuple[CheckResult, ...] = ()
    # [covenants] (None: not configured, no finding) and the consolidated frames of the stored
    # earlier months (most recent first, up to 11) that complete the last twelve months.
    covenants: CovenantSettings | None = None
    earlier_consolidated: tuple[pd.DataFrame, ...] = ()
    # Integer keys of the big frames, built once on first use and shared by the checks (5 million
    # lines are factorized once, not once per check). Private; a replace() starts a fresh one.
    _memo: dict[str, object] = field(default_factory=dict, init=False, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class ValidationReport:
    """Every check's findings, the score and what it means for the run.

    Attributes:
        results: every finding, passes included, in ``CHECKS`` order.
        score: 0–100, two places (see :func:`score_of`).
        light: green, yellow or red.
        blocking: red, or any failed integrity check: the run stops at AWAITING_REVIEW.

    """

    results: tuple[CheckResult, ...]
    score: Decimal
    light: Light
    blocking: bool


Check = Callable[[ValidationContext], list[CheckResult]]
