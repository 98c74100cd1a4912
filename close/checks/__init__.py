"""Validation of a consolidated close: checks that return evidence, and a score from them.

The rule (design.md "Validation"; conventions 4): every check is a pure function
``check_…(ctx) -> list[CheckResult]`` listed in :data:`CHECKS`. All of them run and every finding
is reported, passes included (a check that finds nothing returns one ``pass`` saying what it
checked). A check never raises for what it finds; it returns evidence — entity, account, expected,
actual, difference (amounts as exact decimals of their currency) and a beancount-style message,
``expected X != actual Y (Z too much)`` where ``Z = actual − expected``.

Categories and what a failure means:

* ``integrity`` (fail, never waivable: fixed by a top-side journal): debits = credits and every
  line rolls (closing = opening + debits − credits) per entity; the local, translated and
  consolidated trial balances sum to zero; the balance sheet balances; per entity the CTA plug
  equals the CTA from its parts within the tolerance.
* ``rollforward`` (fail, waivable): net income reconciles to the movement of retained earnings,
  the current-year result and dividends; opening balances equal the prior run's closing.
* ``mapping``: unmapped accounts with a balance (fail) or activity (warn); an account mapped to two
  standard accounts (fail); a standard account whose class contradicts the local code's prefix
  (warn, a heuristic: see :func:`check_mapping_class_prefix`).
* ``diagnostics`` (warn unless said): abnormal balance direction by class; suspense, clearing and
  transit accounts not cleared (the IC suspense account excepted: the intercompany check reports
  its plugs); duplicated lines (fail), names and accounts; dormant accounts suddenly active;
  with journal lines, round-number and just-under-limit entries and Benford's first-digit test.
* ``rates``: a missing closing or average rate (fail); a move beyond the threshold (warn).
* ``intercompany``: pairs left uneliminated (fail) or plugged to suspense (warn), both sides shown.
* ``reasonableness`` (warn): flux against the prior month and the budget beyond the analysis
  ``[thresholds]`` (per-class overrides in ``[validation.materiality.<class>]``); key ratios
  (current ratio, gross margin …) outside their ``[validation.ratio_bands]``.

Checks whose findings scale with the data (per line or per account) list at most
:data:`MAX_LISTED_PER_ENTITY` findings per entity, largest first, plus one finding summarising the
rest, so a systematic error (an ERP period off by one month) yields a readable report.

The score (:func:`score_of`), recomputable from the findings alone: start at 100; every ``fail``
and ``warn`` takes off its category's weight (``pass`` takes nothing); the points one check code
takes off are capped at its category's cap; the score is floored at 0 and rounded half-even to
two places. Default weights (``config.DEFAULT_SCORE_WEIGHTS``, overridable per category in
``[validation.weights.<category>]``)::

    category        fail  warn  cap per code
    integrity        25    5     100
    rollforward      15    3      30
    mapping          10    2      20
    rates            15    3      30
    intercompany      5    1      15
    diagnostics       5    1      10
    reasonableness    3    0.5     5

Light: green ≥ 95 continues; yellow 80 ≤ score < 95 continues with flags; red < 80 — or any
failed integrity check, whatever the score — stops the run at AWAITING_REVIEW (``blocking``).

Example: one unmapped account with a balance (mapping fail, 10) and three abnormal balances
(diagnostics warns, 3 × 1) give 100 − 13 = 87.00, yellow; a single failed debits = credits
check gives 75.00 and blocks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_CEILING, ROUND_HALF_EVEN, Decimal
from typing import Any, Literal

import numpy as np
import pandas as pd

from close.engine.account_codes import NUMERIC_CODE, PREFIX_CLASSES
from close.analysis.variances import is_material
from close.engine.chart import INCOME_STATEMENT_CLASSES, Chart, SystemRole
from close.config import (
    DEFAULT_SCORE_WEIGHTS,
    ClassMateriality,
    EntityConfig,
    RatioBand,
    ScoreWeight,
    Thresholds,
    ValidationSettings,
    weight_for,
)
from close.errors import ConfigError
from close.analysis.kpis import KpiInputs, compute_kpis
from close.engine.money import ZERO, D, exponent, from_minor, to_minor
from close.engine.periods import parse_period
from close.rates.model import FxRate
from close.rates.plausibility import find_implausible_moves
from close.engine.types import AccountCode, Currency, EntityId, Period

__all__ = [
    "CHECKS",
    "MAX_LISTED_PER_ENTITY",
    "Category",
    "Check",
    "CheckResult",
    "ClassMateriality",
    "Light",
    "RatioBand",
    "ScoreWeight",
    "Severity",
    "ValidationContext",
    "ValidationReport",
    "ValidationSettings",
    "light_of",
    "run_checks",
    "score_of",
    "waivable",
]

Category = Literal[
    "integrity", "rollforward", "mapping", "diagnostics", "rates", "intercompany", "reasonableness"
]
Severity = Literal["pass", "warn", "fail"]
Light = Literal["green", "yellow", "red"]

GREEN_FROM = Decimal(95)
YELLOW_FROM = Decimal(80)
MAX_LISTED_PER_ENTITY = 10
_HUNDRED = Decimal(100)
_CENTS = Decimal("0.01")


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


# --------------------------------------------------------------------------------------------
# Evidence helpers


def _fmt(minor: int, currency: Currency) -> str:
    return str(from_minor(int(minor), currency))


def _mismatch(
    code: str,
    category: Category,
    severity: Severity,
    subject: str,
    expected: int,
    actual: int,
    currency: Currency,
    *,
    entity: EntityId | None = None,
    account: AccountCode | None = None,
    note: str = "",
) -> CheckResult:
    """Compare two amounts in a finding worded like beancount's balance check."""
    diff = int(actual) - int(expected)
    word = "much" if diff > 0 else "little"
    message = (
        f"{subject}: expected {_fmt(expected, currency)} != actual {_fmt(actual, currency)} "
        f"({_fmt(abs(diff), currency)} too {word}){note}"
    )
    return CheckResult(
        code,
        category,
        severity,
        entity,
        account,
        _fmt(expected, currency),
        _fmt(actual, currency),
        _fmt(diff, currency),
        message,
    )


def _passed(code: str, category: Category, message: str) -> list[CheckResult]:
    return [CheckResult(code, category, "pass", None, None, None, None, None, message)]


def _or_pass(found: list[CheckResult], code: str, category: Category, message: str) -> list[CheckResult]:
    return found or _passed(code, category, message)


def _entity_currencies(ctx: ValidationContext) -> Mapping[EntityId, Currency]:
    """Each entity's currency: the config's, else the local TB's ``currency`` column."""

    def build() -> dict[EntityId, Currency]:
        out = {e.id: e.currency for e in ctx.entities}
        if "currency" in ctx.local.columns and len(ctx.local):
            keys = _local_keys(ctx)
            currency = ctx.local["currency"].to_numpy(dtype=object)
            for code, entity in enumerate(keys.entities):
                if str(entity) not in out:
                    out[str(entity)] = str(currency[int(np.argmax(keys.entity == code))])
        return out

    return _memo(ctx, "currencies", build)  # type: ignore[return-value]


def _role(chart: Chart, role: SystemRole) -> AccountCode | None:
    try:
        return chart.by_role(role)
    except ConfigError:
        return None


def _classes(chart: Chart) -> pd.Series:
    """Account class by standard code."""
    return chart.accounts["class"]


def _int(series: pd.Series) -> np.ndarray:
    return series.to_numpy(dtype=np.int64)


def _local_floor(ctx: ValidationContext, amount: Decimal) -> dict[Currency, int]:
    """Express a presentation-currency floor in each entity currency's minor units.

    At the closing rate, rounded up, so a floor means the same everywhere; 1:1 without a rate.
    """
    closing = {
        r.currency: r.rate
        for r in ctx.rates
        if r.rate_type == "closing" and r.period == ctx.period and r.rate > 0
    }
    out = {}
    for currency in set(_entity_currencies(ctx).values()):
        rate = Decimal(1) if currency == ctx.presentation_currency else closing.get(currency, Decimal(1))
        out[currency] = int((amount / rate).scaleb(exponent(currency)).to_integral_value(ROUND_CEILING))
    return out


def _entity_floors(ctx: ValidationContext, amount: Decimal) -> tuple[list[EntityId], list[int]]:
    """Each entity's floor in its own minor units (see ``_local_floor``)."""
    floors = _local_floor(ctx, amount)
    currencies = _entity_currencies(ctx)
    return list(currencies), [floors.get(c, 0) for c in currencies.values()]


def _account_warnings(
    rows: pd.DataFrame,
    code: str,
    category: str,
    what: str,
    summary: str,
    currencies: Mapping[EntityId, Currency],
) -> list[CheckResult]:
    """Warn once per account row (entity, account, name, size): "<entity> <account> (<name>) <what>"."""

    def make(r: Mapping[str, Any]) -> CheckResult:
        return _mismatch(
            code,
            category,
            "warn",
            f"{r['entity']} {r['account']} ({r['name']}) {what}",
            0,
            r["size"],
            currencies.get(r["entity"], "XXX"),
            entity=r["entity"],
            account=r["account"],
        )

    return _listed(rows, make, _summary(code, category, "warn", summary, currencies))


def _listed(
    rows: pd.DataFrame,
    make: Callable[[Mapping[str, Any]], CheckResult],
    summary: Callable[[EntityId, int, pd.DataFrame], CheckResult],
    *,
    size: str = "size",
) -> list[CheckResult]:
    """Make one finding per row, at most MAX_LISTED_PER_ENTITY per entity, largest ``size`` first.

    The rest of each entity is summarised by ``summary(entity, count, rest)``.
    """
    if rows.empty:
        return []
    ordered = rows.assign(_abs=rows[size].abs()).sort_values(
        ["entity", "_abs"], ascending=[True, False], kind="stable"
    )
    rank = ordered.groupby("entity", sort=False).cumcount().to_numpy()
    shown = ordered[rank < MAX_LISTED_PER_ENTITY]
    out = [make(row) for row in shown.to_dict("records")]
    rest = ordered[rank >= MAX_LISTED_PER_ENTITY]
    for entity, group in rest.groupby("entity", sort=True):
        out.append(summary(str(entity), len(group), group))
    return out


def _summary(
    code: str,
    category: Category,
    severity: Severity,
    what: str,
    currencies: Mapping[EntityId, Currency],
    column: str = "size",
) -> Callable[[EntityId, int, pd.DataFrame], CheckResult]:
    def make(entity: EntityId, count: int, rest: pd.DataFrame) -> CheckResult:
        currency = currencies.get(entity, "XXX")
        total = int(rest[column].sum())
        return CheckResult(
            code,
            category,
            severity,
            entity,
            None,
            None,
            str(count),
            _fmt(total, currency),
            f"{entity}: {count} more {what} not listed (together {_fmt(total, currency)} {currency})",
        )

    return make


# --------------------------------------------------------------------------------------------
# Integer keys: checks on millions of lines group by int codes, never by text columns


def _memo(ctx: ValidationContext, name: str, build: Callable[[], object]) -> object:
    if name not in ctx._memo:  # noqa: SLF001 - the context's own memo
        ctx._memo[name] = build()  # noqa: SLF001
    return ctx._memo[name]  # noqa: SLF001


def _factorize(values: pd.Series | np.ndarray, *, runs: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Return integer codes (int64) and uniques of a text column.

    With ``runs`` (an entity column: a trial balance comes grouped by entity) only the heads of
    runs of equal values are hashed.
    """
    arr = np.asarray(values, dtype=object)
    if len(arr) == 0:
        return np.zeros(0, dtype=np.int64), np.array([], dtype=object)
    heads = np.flatnonzero(np.concatenate(([True], arr[1:] != arr[:-1]))) if runs else arr
    if runs and len(heads) * 20 < len(arr):
        codes, uniques = pd.factorize(arr[heads])
        return np.repeat(codes.astype(np.int64), np.diff(np.append(heads, len(arr)))), np.asarray(
            uniques, object
        )
    codes, uniques = pd.factorize(arr)
    return codes.astype(np.int64), np.asarray(uniques, dtype=object)


def _recode(codes: np.ndarray, uniques: np.ndarray, reference: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Re-express another frame's codes against ``reference`` uniques.

    Values the reference lacks get new codes after it. Returns the codes and the extended uniques.
    """
    where = pd.Index(reference).get_indexer(uniques)
    missing = where < 0
    where[missing] = len(reference) + np.arange(int(missing.sum()))
    return where[codes].astype(np.int64), np.concatenate([reference, uniques[missing]])


_PAIR_SHIFT = 31  # pair key = entity code << 31 | account code
_DENSE_LIMIT = 50_000_000  # entity × std-account cells summed in a dense array below this


@dataclass(frozen=True, slots=True, eq=False)
class _Keys:
    """Integer keys of a trial-balance-like frame, in the local TB's code space."""

    entity: np.ndarray  # code per row
    entities: np.ndarray  # uniques (extended beyond the local TB's for another frame)
    account: np.ndarray
    accounts: np.ndarray

    @property
    def pair(self) -> np.ndarray:
        """One int64 per (entity, account)."""
        return (self.entity << _PAIR_SHIFT) | self.account


def _local_keys(ctx: ValidationContext) -> _Keys:
    def build() -> _Keys:
        entity, entities = _factorize(ctx.local["entity"], runs=True)
        account, accounts = _factorize(ctx.local["account"])
        return _Keys(entity, entities, account, accounts)

    return _memo(ctx, "local", build)  # type: ignore[return-value]


def _keys_like_local(ctx: ValidationContext, name: str, frame: pd.DataFrame) -> _Keys:
    """Keys of ``frame`` (the prior TB, the mapping) in the local TB's code space."""

    def build() -> _Keys:
        base = _local_keys(ctx)
        entity, entities = _recode(*_factorize(frame["entity"], runs=True), base.entities)
        account, accounts = _recode(*_factorize(frame["account"]), base.accounts)
        return _Keys(entity, entities, account, accounts)

    return _memo(ctx, name, build)  # type: ignore[return-value]


def _std_codes(ctx: ValidationContext) -> tuple[np.ndarray, np.ndarray]:
    return _memo(ctx, "std", lambda: _factorize(ctx.local["std_account"]))  # type: ignore[return-value]


def _group_sums(codes: np.ndarray, size: int, *columns: np.ndarray) -> list[np.ndarray]:
    """Exact int64 sums of each column by code (``np.add.at``: no float, unlike bincount)."""
    out = []
    for values in columns:
        sums = np.zeros(size, dtype=np.int64)
        np.add.at(sums, codes, values)
        out.append(sums)
    return out


@dataclass(frozen=True, slots=True, eq=False)
class _PairSums:
    """A TB's amounts summed per (entity, account).

    Sorted distinct pair keys, one row of each pair (for its text columns), the sums of opening,
    debit, credit and closing, and whether every pair had exactly one line.
    """

    pairs: np.ndarray
    first_row: np.ndarray
    opening: np.ndarray
    debit: np.ndarray
    credit: np.ndarray
    closing: np.ndarray
    one_line_each: bool


def _pair_sums(keys: _Keys, frame: pd.DataFrame) -> _PairSums:
    """Group by pair key with one sort; a TB already in entity/account order sorts almost free."""
    pair = keys.pair
    order = np.argsort(pair, kind="stable")
    sorted_pairs = pair[order]
    heads = (
        np.concatenate(([True], sorted_pairs[1:] != sorted_pairs[:-1])) if len(pair) else np.zeros(0, bool)
    )
    amounts = [_int(frame[c]) for c in ("opening", "debit", "credit", "closing")]
    if heads.all():
        return _PairSums(sorted_pairs, order, *(a[order] for a in amounts), one_line_each=True)
    group = np.cumsum(heads) - 1
    sums = _group_sums(group, int(heads.sum()), *(a[order] for a in amounts))
    return _PairSums(sorted_pairs[heads], order[heads], *sums, one_line_each=False)


def _local_pairs(ctx: ValidationContext) -> _PairSums:
    return _memo(ctx, "local_pairs", lambda: _pair_sums(_local_keys(ctx), ctx.local))  # type: ignore[return-value]


def _prior_pairs(ctx: ValidationContext) -> tuple[_Keys, _PairSums]:
    assert ctx.prior_local is not None  # noqa: S101 - callers check
    keys = _keys_like_local(ctx, "prior", ctx.prior_local)
    return keys, _memo(ctx, "prior_pairs", lambda: _pair_sums(keys, ctx.prior_local))  # type: ignore[return-value]


def _lookup(table: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Position of each of ``keys`` in the sorted distinct ``table``, -1 when absent."""
    if not len(table):
        return np.full(len(keys), -1, dtype=np.int64)
    at = np.minimum(np.searchsorted(table, keys), len(table) - 1)
    return np.where(table[at] == keys, at, -1)


def _decode(keys: _Keys, pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Entity and account text of pair keys."""
    return keys.entities[pairs >> _PAIR_SHIFT], keys.accounts[pairs & ((1 << _PAIR_SHIFT) - 1)]


# --------------------------------------------------------------------------------------------
# Integrity


def _entity_sums(ctx: ValidationContext, *columns: str) -> tuple[np.ndarray, list[np.ndarray]]:
    keys = _local_keys(ctx)
    return keys.entities, _group_sums(keys.entity, len(keys.entities), *(_int(ctx.local[c]) for c in columns))


def check_debits_equal_credits(ctx: ValidationContext) -> list[CheckResult]:
    """Per entity, the month's debits equal its credits (local currency)."""
    code = "DEBITS_EQUAL_CREDITS"
    currencies = _entity_currencies(ctx)
    entities, (debits, credits) = _entity_sums(ctx, "debit", "credit")
    found = [
        _mismatch(
            code,
            "integrity",
            "fail",
            f"{entities[i]} credits vs debits",
            int(debits[i]),
            int(credits[i]),
            currencies.get(str(entities[i]), "XXX"),
            entity=str(entities[i]),
        )
        for i in sorted(np.flatnonzero(debits != credits), key=lambda i: str(entities[i]))
    ]
    return _or_pass(found, code, "integrity", f"debits equal credits in all {len(entities)} entities")


def check_lines_roll_forward(ctx: ValidationContext) -> list[CheckResult]:
    """Every local line rolls: closing = opening + debits − credits (one finding per entity)."""
    code = "LINE_ROLLS_FORWARD"
    currencies = _entity_currencies(ctx)
    local = ctx.local
    rolled = _int(local["opening"]) + _int(local["debit"]) - _int(local["credit"])
    bad = rolled != _int(local["closing"])
    found = []
    if bad.any():
        rows = local.loc[bad, ["entity", "account", "closing"]].assign(rolled=rolled[bad])
        for entity, group in rows.groupby("entity", sort=True):
            first = group.iloc[0]
            note = f" on {len(group)} line(s)" if len(group) > 1 else ""
            found.append(
                _mismatch(
                    code,
                    "integrity",
                    "fail",
                    f"{entity} account {first['account']} closing vs opening + debits − credits",
                    int(group["rolled"].sum()),
                    int(group["closing"].sum()),
                    currencies.get(str(entity), "XXX"),
                    entity=str(entity),
                    account=str(first["account"]),
                    note=note,
                )
            )
    return _or_pass(found, code, "integrity", f"all {len(local)} local lines roll forward")


def check_local_tb_sums_to_zero(ctx: ValidationContext) -> list[CheckResult]:
    """Per entity, the local closing trial balance sums to zero."""
    code = "LOCAL_TB_SUMS_TO_ZERO"
    currencies = _entity_currencies(ctx)
    entities, (sums,) = _entity_sums(ctx, "closing")
    found = [
        _mismatch(
            code,
            "integrity",
            "fail",
            f"{entities[i]} local trial balance",
            0,
            int(sums[i]),
            currencies.get(str(entities[i]), "XXX"),
            entity=str(entities[i]),
        )
        for i in sorted(np.flatnonzero(sums != 0), key=lambda i: str(entities[i]))
    ]
    return _or_pass(found, code, "integrity", f"all {len(entities)} local trial balances sum to zero")


def check_translated_tb_sums_to_zero(ctx: ValidationContext) -> list[CheckResult]:
    """Per entity, the translated trial balance (CTA plug included) sums to zero."""
    code = "TRANSLATED_TB_SUMS_TO_ZERO"
    pc = ctx.presentation_currency
    sums = ctx.translated.groupby("entity", sort=True)["translated"].sum()
    found = [
        _mismatch(code, "integrity", "fail", f"{e} translated trial balance", 0, int(v), pc, entity=str(e))
        for e, v in sums[sums != 0].items()
    ]
    return _or_pass(found, code, "integrity", f"all {len(sums)} translated trial balances sum to zero")


def check_consolidated_tb_sums_to_zero(ctx: ValidationContext) -> list[CheckResult]:
    """Check the consolidated trial balance sums to zero, at the closing and in the movement."""
    code = "CONSOLIDATED_TB_SUMS_TO_ZERO"
    pc = ctx.presentation_currency
    found = []
    for column, what in (("amount", "consolidated trial balance"), ("movement", "consolidated movement")):
        if column in ctx.consolidated.columns:
            total = int(ctx.consolidated[column].sum())
            if total != 0:
                found.append(_mismatch(code, "integrity", "fail", what, 0, total, pc))
    return _or_pass(found, code, "integrity", "the consolidated trial balance sums to zero")


def check_balance_sheet_balances(ctx: ValidationContext) -> list[CheckResult]:
    """Assets = liabilities + equity + the year's net income, and every account is in the chart.

    In TB sign: assets (debit) against −(liabilities + equity + income statement YTD); an account
    the chart does not know cannot be placed on either side and fails on its own.
    """
    code = "BALANCE_SHEET_BALANCES"
    pc = ctx.presentation_currency
    amounts = ctx.consolidated.groupby("std_account")["amount"].sum()
    classes = amounts.index.to_series().map(_classes(ctx.chart))
    found = [
        CheckResult(
            code,
            "integrity",
            "fail",
            None,
            str(a),
            None,
            _fmt(int(amounts[a]), pc),
            None,
            f"consolidated account {a} ({_fmt(int(amounts[a]), pc)}) is not in the chart of accounts",
        )
        for a in classes[classes.isna()].index
        if amounts[a] != 0
    ]
    assets = int(amounts[classes == "asset"].sum())
    financing = -int(amounts[classes.isin(["liability", "equity", *INCOME_STATEMENT_CLASSES])].sum())
    if assets != financing:
        found.append(
            _mismatch(
                code,
                "integrity",
                "fail",
                "liabilities + equity + net income vs total assets",
                assets,
                financing,
                pc,
            )
        )
    return _or_pass(
        found, code, "integrity", f"total assets {_fmt(assets, pc)} = liabilities + equity + net income"
    )


def check_cta_reconciles(ctx: ValidationContext) -> list[CheckResult]:
    """Per entity, the CTA plug equals the CTA from its parts within the tolerance."""
    code = "CTA_RECONCILES"
    pc = ctx.presentation_currency
    found = []
    for row in ctx.cta.itertuples(index=False):
        plug, parts, tolerance = (_minor(getattr(row, c), pc) for c in ("plug", "from_parts", "tolerance"))
        if abs(plug - parts) > tolerance:
            found.append(
                _mismatch(
                    code,
                    "integrity",
                    "fail",
                    f"{row.entity} CTA plug vs CTA from its parts",
                    parts,
                    plug,
                    pc,
                    entity=str(row.entity),
                    account=_role(ctx.chart, SystemRole.CTA),
                    note=f", tolerance {_fmt(tolerance, pc)}",
                )
            )
    return _or_pass(
        found,
        code,
        "integrity",
        f"CTA plug = CTA from its parts within tolerance in all {len(ctx.cta)} entities",
    )


def _minor(value: object, currency: Currency) -> int:
    """Read an amount from a frame or JSON payload: int minor units, or decimal text in major units."""
    if isinstance(value, (int, np.integer)):
        return int(value)
    text = str(value)
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    return to_minor(D(text), currency)


# --------------------------------------------------------------------------------------------
# Roll-forward


def _is_fiscal_year_start(ctx: ValidationContext) -> bool:
    return parse_period(ctx.period)[1] == ctx.fiscal_year_start


def _by_account(frame: pd.DataFrame, column: str) -> pd.Series:
    return frame.groupby("std_account")[column].sum()


def check_net_income_to_retained_earnings(ctx: ValidationContext) -> list[CheckResult]:
    """Check net income less dividends against the movement of retained earnings, consolidated.

    ``R = −(retained earnings + current-year result + dividends) + net income YTD`` (credit
    positive) must move by exactly the month's net income less the dividends declared this month.
    Within a fiscal year that says retained earnings and the current-year result do not move; in
    the first month it says the prior year's result and dividends were rolled in exactly once.
    Without a prior run, the prior figures are this month's less its movement (within a year only).
    """
    code, category = "NET_INCOME_TO_RETAINED_EARNINGS", "rollforward"
    pc = ctx.presentation_currency
    roles = [_role(ctx.chart, r) for r in (SystemRole.RETAINED_EARNINGS, SystemRole.CURRENT_YEAR_RESULT)]
    equity = [a for a in roles if a]
    dividends = _role(ctx.chart, SystemRole.DIVIDENDS)
    if not equity:
        return _passed(code, category, "not checked: the chart has no retained earnings account")
    income_codes = set(ctx.chart.accounts.index[_classes(ctx.chart).isin(INCOME_STATEMENT_CLASSES)])
    amount, movement = _by_account(ctx.consolidated, "amount"), _by_account(ctx.consolidated, "movement")
    fy_start = _is_fiscal_year_start(ctx)

    def pick(series: pd.Series, codes: Iterable[str]) -> int:
        return int(series.reindex(list(codes)).fillna(0).sum())

    ni_month = -pick(movement, income_codes)
    div_codes = [dividends] if dividends else []
    now = -pick(amount, [*equity, *div_codes]) - pick(amount, income_codes)
    if ctx.prior_consolidated is not None:
        prior_amount = _by_account(ctx.prior_consolidated, "amount")
        before = -pick(prior_amount, [*equity, *div_codes]) - pick(prior_amount, income_codes)
        div_month = pick(amount, div_codes) - (0 if fy_start else pick(prior_amount, div_codes))
    elif fy_start:
        return _passed(code, category, "not checked: first month of the fiscal year without a prior run")
    else:
        before = now + pick(movement, [*equity, *div_codes]) - ni_month
        div_month = pick(movement, div_codes)
    expected, actual = ni_month - div_month, now - before
    # Each entity translates its dividends and result line by line, half-even: up to one minor
    # unit per entity of rounding is translation, not a broken roll-forward.
    if abs(expected - actual) <= len(ctx.entities):
        return _passed(
            code,
            category,
            f"retained earnings moved by net income {_fmt(ni_month, pc)} less "
            f"dividends {_fmt(div_month, pc)}"
            + (f" (within translation rounding of {_fmt(len(ctx.entities), pc)})"
               if expected != actual else ""),
        )
    return [
        _mismatch(
            code,
            category,
            "fail",
            "movement of retained earnings + current-year result vs net income less dividends",
            expected,
            actual,
            pc,
            account=equity[0],
        )
    ]


def _year_end_equity(ctx: ValidationContext) -> frozenset[str]:
    """Return the equity accounts a year's result moves into at the fiscal year end.

    They are retained earnings, dividends declared, the current-year result and (consolidated) NCI
    equity.
    """
    accounts = ctx.chart.accounts
    roles = {SystemRole.RETAINED_EARNINGS.value, SystemRole.DIVIDENDS.value,
             SystemRole.CURRENT_YEAR_RESULT.value, SystemRole.NCI_EQUITY.value}
    return frozenset(str(c) for c in accounts.index[accounts["system_role"].isin(roles)])


def check_opening_equals_prior_closing(ctx: ValidationContext) -> list[CheckResult]:
    """Check opening balances equal the prior run's closing, per local account and consolidated.

    Income-statement accounts open at zero in the first month of the fiscal year (YTD restarts).
    """
    code, category = "OPENING_EQUALS_PRIOR_CLOSING", "rollforward"
    found: list[CheckResult] = []
    checked = []
    classes = _classes(ctx.chart)
    fy_start = _is_fiscal_year_start(ctx)
    if ctx.prior_local is not None:
        checked.append("local")
        currencies = _entity_currencies(ctx)
        cur = _local_pairs(ctx)
        keys, pri = _prior_pairs(ctx)
        at = _lookup(pri.pairs, cur.pairs)
        seen = np.zeros(len(pri.pairs), dtype=bool)
        seen[at[at >= 0]] = True
        # Every pair of either month: this month's opening against the prior closing (zero when absent).
        pairs = np.concatenate([cur.pairs, pri.pairs[~seen]])
        actual = np.concatenate([cur.opening, np.zeros(int((~seen).sum()), dtype=np.int64)])
        expected = np.concatenate([np.where(at >= 0, pri.closing[np.maximum(at, 0)], 0), pri.closing[~seen]])
        if fy_start:
            # Income-statement accounts open at zero; the year's result moved into retained
            # earnings between the periods, so those accounts are compared together per entity.
            std = pd.Series(np.concatenate(
                [
                    ctx.local["std_account"].to_numpy(dtype=object)[cur.first_row],
                    ctx.prior_local["std_account"].to_numpy(dtype=object)[pri.first_row[~seen]],
                ]
            ))
            income = std.isin(set(classes.index[classes.isin(INCOME_STATEMENT_CLASSES)])).to_numpy()
            equity = std.isin(_year_end_equity(ctx)).to_numpy()
            roll_entities, _ = _decode(keys, pairs[income | equity])
            sums = pd.DataFrame({"entity": roll_entities, "expected": expected[income | equity],
                                 "actual": np.where(income, 0, actual)[income | equity]})
            for entity, grp in sums.groupby("entity", sort=True):
                if int(grp["expected"].sum()) != int(grp["actual"].sum()):
                    found.append(_mismatch(
                        code, category, "fail",
                        f"{entity} retained earnings with last year's result rolled in, "
                        "opening vs prior closing",
                        int(grp["expected"].sum()), int(grp["actual"].sum()),
                        currencies.get(str(entity), "XXX"), entity=str(entity)))
            expected = np.where(income, 0, expected)
            bad = (expected != actual) & ~equity
        else:
            bad = expected != actual
        entities, accounts = _decode(keys, pairs[bad])
        rows = pd.DataFrame(
            {
                "entity": entities,
                "account": accounts,
                "expected": expected[bad],
                "actual": actual[bad],
                "size": actual[bad] - expected[bad],
            }
        )
        found += _listed(
            rows,
            lambda r: _mismatch(
                code,
                category,
                "fail",
                f"{r['entity']} account {r['account']} opening vs prior closing",
                r["expected"],
                r["actual"],
                currencies.get(r["entity"], "XXX"),
                entity=r["entity"],
                account=r["account"],
            ),
            _summary(
                code, category, "fail", "accounts whose opening differs from the prior closing", currencies
            ),
        )
    if ctx.prior_consolidated is not None and "movement" in ctx.consolidated.columns:
        checked.append("consolidated")
        pc = ctx.presentation_currency
        amount = _by_account(ctx.consolidated, "amount")
        opening = amount.sub(_by_account(ctx.consolidated, "movement"), fill_value=0)
        prior = _by_account(ctx.prior_consolidated, "amount")
        codes = opening.index.union(prior.index)
        opening, prior = opening.reindex(codes).fillna(0), prior.reindex(codes).fillna(0)
        differs = opening != prior
        if fy_start:
            income = codes.to_series(index=codes).map(classes).isin(INCOME_STATEMENT_CLASSES).to_numpy()
            equity = codes.isin(_year_end_equity(ctx))
            rolled_prior = int(prior[income | equity].sum())
            if int(opening[equity].sum()) != rolled_prior:
                found.append(_mismatch(code, category, "fail",
                                       "consolidated retained earnings and NCI with last year's result "
                                       "rolled in, opening vs prior closing",
                                       rolled_prior, int(opening[equity].sum()), pc))
            prior = prior.where(~income, 0)
            differs = (opening != prior) & ~equity
        for account in codes[differs]:
            found.append(
                _mismatch(
                    code,
                    category,
                    "fail",
                    f"consolidated {account} opening vs prior closing",
                    int(prior[account]),
                    int(opening[account]),
                    pc,
                    account=str(account),
                )
            )
    if not checked:
        return _passed(code, category, "not checked: no prior run")
    return _or_pass(
        found, code, category, f"{' and '.join(checked)} opening balances equal the prior closing"
    )


# --------------------------------------------------------------------------------------------
# Mapping


def _unmapped_pairs(ctx: ValidationContext) -> np.ndarray:
    """Pair keys (local code space) of the accounts the mapping left unmapped."""

    def build() -> np.ndarray:
        rows = ctx.mapping[ctx.mapping["source"].to_numpy(dtype=object) == "unmapped"]
        keys = _local_keys(ctx)
        entity = pd.Index(keys.entities).get_indexer(rows["entity"].to_numpy(dtype=object))
        account = pd.Index(keys.accounts).get_indexer(rows["account"].to_numpy(dtype=object))
        known = (entity >= 0) & (account >= 0)
        return np.unique((entity[known].astype(np.int64) << _PAIR_SHIFT) | account[known])

    return _memo(ctx, "unmapped", build)  # type: ignore[return-value]


def check_unmapped_accounts(ctx: ValidationContext) -> list[CheckResult]:
    """Accounts no mapping row covers: carried on suspense; a balance fails, activity warns."""
    code, category = "UNMAPPED_ACCOUNT", "mapping"
    unmapped = _unmapped_pairs(ctx)
    if not len(unmapped):
        return _passed(code, category, "every account is mapped to the standard chart")
    currencies = _entity_currencies(ctx)
    cur = _local_pairs(ctx)
    at = _lookup(cur.pairs, unmapped)
    at = at[at >= 0]
    entities, accounts = _decode(_local_keys(ctx), cur.pairs[at])
    names = ctx.local["account_name"].to_numpy(dtype=object)[cur.first_row[at]]
    suspense = _role(ctx.chart, SystemRole.SUSPENSE) or "suspense"
    found = []
    for i, entity, account, name in zip(at, entities, accounts, names, strict=True):
        currency = currencies.get(str(entity), "XXX")
        debit, credit = int(cur.debit[i]), int(cur.credit[i])
        if cur.closing[i] != 0:
            found.append(
                _mismatch(
                    code,
                    category,
                    "fail",
                    f"{entity} account {account} ({name}) is not "
                    f"mapped and its balance is carried on {suspense}",
                    0,
                    int(cur.closing[i]),
                    currency,
                    entity=str(entity),
                    account=str(account),
                )
            )
        elif cur.opening[i] != 0 or debit != 0 or credit != 0:
            found.append(
                CheckResult(
                    code,
                    category,
                    "warn",
                    str(entity),
                    str(account),
                    None,
                    _fmt(debit - credit, currency),
                    None,
                    f"{entity} account {account} ({name}) is not mapped; it closes at zero "
                    f"but had activity (debits {_fmt(debit, currency)}, credits "
                    f"{_fmt(credit, currency)})",
                )
            )
    found.sort(key=lambda r: (r.entity or "", r.account or ""))
    return _or_pass(
        found, code, category, f"{len(unmapped)} unmapped account(s), none with a balance or activity"
    )


def check_accounts_mapped_twice(ctx: ValidationContext) -> list[CheckResult]:
    """Find an entity account mapped to two standard accounts (in the mapping or on its lines)."""
    code, category = "ACCOUNT_MAPPED_TWICE", "mapping"
    keys = _keys_like_local(ctx, "mapping", ctx.mapping)
    pair = keys.pair
    order = np.argsort(pair, kind="stable")
    sorted_pairs = pair[order]
    repeated = set(sorted_pairs[1:][sorted_pairs[1:] == sorted_pairs[:-1]].tolist())
    if not _local_pairs(ctx).one_line_each:
        local_pair = _local_keys(ctx).pair
        local_std = ctx.local["std_account"].to_numpy(dtype=object)
        counts = pd.Series(local_std).groupby(local_pair).nunique()
        repeated |= set(counts.index[counts.to_numpy() > 1].tolist())
    found = []
    for p in sorted(repeated):
        rows = np.flatnonzero(pair == p)
        targets = set(ctx.mapping["std_account"].to_numpy(dtype=object)[rows].tolist())
        local_rows = np.flatnonzero(_local_keys(ctx).pair == p)
        targets |= set(ctx.local["std_account"].to_numpy(dtype=object)[local_rows].tolist())
        if len(targets) < 2:
            continue
        entity, account = (str(x[0]) for x in _decode(keys, np.array([p])))
        ordered = sorted(str(t) for t in targets)
        found.append(
            CheckResult(
                code,
                category,
                "fail",
                entity,
                account,
                ordered[0],
                ", ".join(ordered[1:]),
                None,
                f"{entity} account {account}: expected one standard account != actual {', '.join(ordered)}",
            )
        )
    return _or_pass(found, code, category, "every account maps to one standard account")


# What a code's first digit allows: ``close.engine.account_codes`` (one rule with the suggester).
_PREFIX_CLASSES: Mapping[str, frozenset[str]] = {d: frozenset(c) for d, c in PREFIX_CLASSES.items()}


def check_mapping_class_prefix(ctx: ValidationContext) -> list[CheckResult]:
    """Find standard accounts whose class contradicts the local code's first digit (heuristic).

    See ``close.engine.account_codes``: 1 asset; 2 liability or equity; 3 equity, revenue or expense;
    4–8 revenue or expense; other codes are not judged. Unmapped accounts (on suspense) are left to
    the unmapped check.
    """
    code, category = "MAPPING_CLASS_CONTRADICTS_CODE", "mapping"
    if not ctx.settings.class_prefix_check:
        return _passed(code, category, "not checked: class_prefix_check is off")
    # Judged on the trial balance's lines (an account without lines carries nothing to misstate),
    # once per distinct (local code, standard account).
    keys = _local_keys(ctx)
    std, std_uniques = _std_codes(ctx)
    width = max(len(std_uniques), 1)
    mapped = ~np.isin(keys.pair, _unmapped_pairs(ctx))
    combo = keys.account * width + std
    if len(keys.accounts) * width <= _DENSE_LIMIT:
        seen = np.zeros(len(keys.accounts) * width, dtype=bool)
        seen[combo[mapped]] = True
        distinct = np.flatnonzero(seen)
    else:
        distinct = np.unique(combo[mapped])
    accounts = pd.Series(keys.accounts[distinct // width]).astype(str)
    allowed = accounts.where(accounts.str.match(NUMERIC_CODE)).str[0].map(_PREFIX_CLASSES)
    classes = pd.Series(std_uniques[distinct % width]).map(_classes(ctx.chart))
    contradicts = [isinstance(a, frozenset) and c not in a for a, c in zip(allowed, classes, strict=True)]
    bad_rows = np.flatnonzero(mapped & np.isin(combo, distinct[np.array(contradicts, dtype=bool)]))
    found = []
    for p in np.unique(keys.pair[bad_rows]):
        i = bad_rows[np.argmax(keys.pair[bad_rows] == p)]
        entity, account = str(keys.entities[keys.entity[i]]), str(keys.accounts[keys.account[i]])
        if entity in ctx.settings.class_prefix_skip:
            continue
        target = str(std_uniques[std[i]])
        expected = " or ".join(sorted(_PREFIX_CLASSES[account[0]]))
        actual = f"{_classes(ctx.chart).get(target)} ({target})"
        found.append(
            CheckResult(
                code,
                category,
                "warn",
                entity,
                account,
                expected,
                actual,
                None,
                f"{entity} account {account}: code prefix {account[0]} expected {expected} "
                f"!= actual {actual}",
            )
        )
    judged = int(np.isin(combo[mapped], distinct[allowed.notna().to_numpy()]).sum())
    return _or_pass(found, code, category, f"{judged} numeric local codes map to a class their prefix allows")


# --------------------------------------------------------------------------------------------
# Trial-balance diagnostics

_NATURAL_DEBIT = {"asset": True, "expense": True, "liability": False, "revenue": False}
# Plugs the engine posts either way; the suspense accounts have their own check.
_EITHER_SIGN_ROLES = frozenset(
    {SystemRole.ROUNDING, SystemRole.IC_FX, SystemRole.SUSPENSE, SystemRole.IC_SUSPENSE}
)


def _either_sign(ctx: ValidationContext) -> set[AccountCode]:
    """Return the accounts allowed a balance on either side.

    Contra accounts (tagged ``contra``, listed in ``contra_accounts``, or whose normal balance is
    the opposite of their class's) and the engine's plug accounts.
    """
    accounts = ctx.chart.accounts
    natural = accounts["class"].map({k: "debit" if v else "credit" for k, v in _NATURAL_DEBIT.items()})
    out = set(ctx.chart.codes_with_tag("contra")) | set(ctx.settings.contra_accounts)
    out |= set(accounts.index[natural.notna() & (natural != accounts["normal_balance"])])
    out |= set(accounts.index[accounts["system_role"].isin({r.value for r in _EITHER_SIGN_ROLES})])
    return out


def check_abnormal_balances(ctx: ValidationContext) -> list[CheckResult]:
    """Find closings on the wrong side for their class, per entity and standard account.

    Asset or expense in credit, liability or revenue in debit; equity is not judged (deficits and
    CTA are normal).
    """
    code, category = "ABNORMAL_BALANCE", "diagnostics"
    currencies = _entity_currencies(ctx)
    keys = _local_keys(ctx)
    std_codes, std_uniques = _std_codes(ctx)
    width = max(len(std_uniques), 1)
    group = keys.entity * width + std_codes
    if len(keys.entities) * width <= _DENSE_LIMIT:
        (totals,) = _group_sums(group, len(keys.entities) * width, _int(ctx.local["closing"]))
        groups = np.flatnonzero(totals)
        closing = totals[groups]
    else:
        groups, position = np.unique(group, return_inverse=True)
        (closing,) = _group_sums(position, len(groups), _int(ctx.local["closing"]))
    sums = pd.DataFrame(
        {
            "entity": keys.entities[groups // width],
            "std_account": std_uniques[groups % width],
            "closing": closing,
        }
    )
    debit_normal = sums["std_account"].map(_classes(ctx.chart)).map(_NATURAL_DEBIT)
    floor_of = dict(zip(*_entity_floors(ctx, ctx.settings.trivial_abs), strict=True))
    floors = sums["entity"].map(floor_of).fillna(0).to_numpy(dtype=np.int64)
    wrong = np.where(
        debit_normal.eq(True).to_numpy(), closing < 0, debit_normal.eq(False).to_numpy() & (closing > 0)
    )
    wrong &= (np.abs(closing) >= floors) & ~sums["std_account"].isin(_either_sign(ctx)).to_numpy()
    rows = sums[wrong].assign(size=closing[wrong], debit_normal=debit_normal[wrong])
    names = ctx.chart.accounts["name"]

    def make(r: Mapping[str, Any]) -> CheckResult:
        side, other = ("debit", "credit") if r["debit_normal"] else ("credit", "debit")
        currency = currencies.get(r["entity"], "XXX")
        amount = _fmt(r["size"], currency)
        return CheckResult(
            code,
            category,
            "warn",
            r["entity"],
            r["std_account"],
            f"a {side} balance",
            amount,
            amount,
            f"{r['entity']} {r['std_account']} {names.get(r['std_account'], '')}: "
            f"expected a {side} balance != actual {other} {amount} {currency}",
        )

    return _or_pass(
        _listed(rows, make, _summary(code, category, "warn", "abnormal balances", currencies)),
        code,
        category,
        "no asset, liability, revenue or expense balance on its abnormal side",
    )


_CLEARING_NAME = re.compile(
    r"(?i)\b(?:suspense|clearing|in transit|transit|tr[aâ]nsito|transit[oó]ri[ao]s?|a classificar|"
    r"a identificar|a conciliar)\b"
)


def _suspense_accounts(chart: Chart) -> set[AccountCode]:
    accounts = chart.accounts
    out = set(chart.codes_with_tag("suspense")) | set(accounts.index[accounts["subclass"] == "suspense"])
    out.add(_role(chart, SystemRole.SUSPENSE) or "")
    out.discard(_role(chart, SystemRole.IC_SUSPENSE) or "")
    out.discard("")
    return out


def check_suspense_cleared(ctx: ValidationContext) -> list[CheckResult]:
    """Suspense, clearing and transit accounts left with a balance at month end.

    An account is one when it maps to a suspense standard account or its name says so
    (``_CLEARING_NAME``, English and Portuguese). Unmapped accounts, carried on suspense by the
    mapping, and the IC suspense account (plugged mismatches) are reported by their own checks.
    """
    code, category = "SUSPENSE_NOT_CLEARED", "diagnostics"
    currencies = _entity_currencies(ctx)
    local = ctx.local
    name_codes, names = _name_codes(ctx)
    clearing = pd.Series(names).astype(str).str.contains(_CLEARING_NAME).to_numpy(dtype=bool)
    std_codes, std_uniques = _std_codes(ctx)
    suspense_std = (
        pd.Series(std_uniques)
        .isin(_suspense_accounts(ctx.chart) - {_role(ctx.chart, SystemRole.IC_SUSPENSE)})
        .to_numpy()
    )
    rows = (suspense_std[std_codes] if len(std_uniques) else np.zeros(len(local), bool)) | (
        clearing[name_codes] if len(names) else np.zeros(len(local), bool)
    )
    rows &= ~np.isin(_local_keys(ctx).pair, _unmapped_pairs(ctx))
    candidates = local[rows]
    sums = (
        candidates.groupby(["entity", "account"], sort=True)
        .agg(size=("closing", "sum"), name=("account_name", "first"))
        .reset_index()
    )
    rows = sums[sums["size"] != 0]

    found = _account_warnings(rows, code, category, "not cleared at month end", "uncleared suspense accounts",
                              currencies)
    return _or_pass(found, code, category, f"{len(sums)} suspense/clearing account(s), all cleared")


def _name_codes(ctx: ValidationContext) -> tuple[np.ndarray, np.ndarray]:
    return _memo(ctx, "names", lambda: _factorize(ctx.local["account_name"]))  # type: ignore[return-value]


def check_duplicate_accounts(ctx: ValidationContext) -> list[CheckResult]:
    """Find duplicated lines and accounts.

    Duplicated lines (same entity, account, counterparty and dimensions) fail; one code with two
    names, and two codes with one name mapped to one standard account and both carrying a balance
    (the same account opened twice) warn.
    """
    code, category = "DUPLICATE_ACCOUNT", "diagnostics"
    currencies = _entity_currencies(ctx)
    local = ctx.local
    cur = _local_pairs(ctx)
    found: list[CheckResult] = []
    if not cur.one_line_each:
        # Only accounts with several lines can hold a duplicated line or a second name.
        pair = _local_keys(ctx).pair
        ordered = np.sort(pair)
        several = local[np.isin(pair, ordered[1:][ordered[1:] == ordered[:-1]])]
        key = [
            c
            for c in ("entity", "account", "counterparty", "cost_center", "department")
            if c in local.columns
        ]
        dup = several[several.duplicated(key, keep=False)]
        lines = dup.groupby(key, sort=True).agg(n=("closing", "size"), size=("closing", "sum")).reset_index()
        found += _listed(
            lines,
            lambda r: CheckResult(
                code,
                category,
                "fail",
                r["entity"],
                r["account"],
                "1 line",
                f"{r['n']} lines",
                None,
                f"{r['entity']} account {r['account']}"
                + "".join(f" {c} {r[c]!r}" for c in key[2:] if r[c])
                + f": expected 1 line != actual {r['n']} "
                f"lines (together {_fmt(r['size'], currencies.get(r['entity'], 'XXX'))})",
            ),
            _summary(code, category, "fail", "duplicated lines", currencies),
        )
        for (entity, account), names in several.groupby(["entity", "account"], sort=True)["account_name"]:
            distinct = sorted(names.astype(str).unique())
            if len(distinct) > 1:
                found.append(
                    CheckResult(
                        code,
                        category,
                        "warn",
                        str(entity),
                        str(account),
                        distinct[0],
                        ", ".join(distinct[1:]),
                        None,
                        f"{entity} account {account}: expected one name != actual {' | '.join(distinct)}",
                    )
                )
    # Twins: within an entity, live accounts sharing a (case-folded) name and a standard account.
    name_codes, names = _name_codes(ctx)
    folded_codes, _ = pd.factorize(pd.Series(names).astype(str).str.strip().str.casefold())
    std_codes, std_uniques = _std_codes(ctx)
    live = cur.closing != 0
    first = cur.first_row[live]
    group = ((cur.pairs[live] >> _PAIR_SHIFT) * (len(names) + 1) + folded_codes[name_codes[first]]) * (
        len(std_uniques) + 1
    ) + std_codes[first]
    order = np.argsort(group, kind="stable")
    same = group[order][1:] == group[order][:-1]
    twins_at = np.unique(np.concatenate([order[1:][same], order[:-1][same]]))
    if len(twins_at):
        entities, accounts = _decode(_local_keys(ctx), cur.pairs[live][twins_at])
        twins = pd.DataFrame(
            {
                "entity": entities,
                "account": accounts,
                "group": group[twins_at],
                "name": local["account_name"].to_numpy(dtype=object)[first[twins_at]],
                "std": std_uniques[std_codes[first[twins_at]]],
            }
        )
        for _, g in twins.groupby("group", sort=False):
            accounts_of = sorted(g["account"].astype(str))
            entity, std, name = g["entity"].iloc[0], g["std"].iloc[0], g["name"].iloc[0]
            found.append(
                CheckResult(
                    code,
                    category,
                    "warn",
                    str(entity),
                    accounts_of[0],
                    "1 account",
                    ", ".join(accounts_of),
                    None,
                    f"{entity}: accounts {', '.join(accounts_of)} share the name {name!r} and "
                    f"standard account {std}; expected 1 account != actual {len(accounts_of)}",
                )
            )
    return _or_pass(found, code, category, "no duplicated lines or accounts")


def check_dormant_accounts(ctx: ValidationContext) -> list[CheckResult]:
    """Find accounts without balance or activity last month (or absent) that moved this month.

    A move counts from ``trivial_abs`` (debits plus credits, presentation units at the closing rate).
    """
    code, category = "DORMANT_ACCOUNT_ACTIVE", "diagnostics"
    if ctx.prior_local is None:
        return _passed(code, category, "not checked: no prior run")
    currencies = _entity_currencies(ctx)
    cur = _local_pairs(ctx)
    keys, pri = _prior_pairs(ctx)
    active = (pri.opening != 0) | (pri.debit != 0) | (pri.credit != 0) | (pri.closing != 0)
    at = _lookup(pri.pairs, cur.pairs)
    was_active = np.where(at >= 0, active[np.maximum(at, 0)], False)
    entity_codes = cur.pairs >> _PAIR_SHIFT
    floor_of_entity = (
        pd.Series(keys.entities)
        .map({e: f for e, f in zip(*_entity_floors(ctx, ctx.settings.trivial_abs), strict=True)})
        .fillna(0)
    )
    floors = np.maximum(floor_of_entity.to_numpy(dtype=np.int64)[entity_codes], 1)
    woke = ~was_active & (np.abs(cur.debit) + np.abs(cur.credit) >= floors)
    entities, accounts = _decode(keys, cur.pairs[woke])
    names = ctx.local["account_name"].to_numpy(dtype=object)[cur.first_row[woke]]
    rows = pd.DataFrame(
        {"entity": entities, "account": accounts, "name": names, "size": cur.debit[woke] - cur.credit[woke]}
    )

    found = _account_warnings(rows, code, category, "was dormant last month; movement",
                              "dormant accounts now active", currencies)
    return _or_pass(found, code, category, "no dormant account became active")


def _journal(ctx: ValidationContext) -> pd.DataFrame | None:
    """Return the journal lines with ``minor``, ``unit`` (10^exponent) and ``currency`` added.

    Amounts come as int64 minor units, or decimal text / Decimals in major units.
    """

    def build() -> pd.DataFrame | None:
        lines = ctx.journal_lines
        if lines is None or lines.empty:
            return None
        entity, entities = _factorize(lines["entity"], runs=True)
        currencies = _entity_currencies(ctx)
        currency_of = np.array(
            [currencies.get(str(e), ctx.presentation_currency) for e in entities], dtype=object
        )
        unit_of = np.array([10 ** exponent(c) for c in currency_of], dtype=np.int64)
        amounts = lines["amount"]
        if amounts.dtype.kind in "iu":
            minor = amounts.to_numpy(dtype=np.int64)
        else:
            minor = np.array(
                [_minor(v, c) for v, c in zip(amounts, currency_of[entity], strict=True)], dtype=np.int64
            )
        return lines.assign(minor=minor, unit=unit_of[entity], currency=currency_of[entity], size=minor)

    return _memo(ctx, "journal", build)  # type: ignore[return-value]


def _when_what(r: Mapping[str, Any]) -> str:
    when = f" on {r['date']}" if pd.notna(r.get("date")) else ""
    what = f" {r['description']!r}" if pd.notna(r.get("description")) and r.get("description") else ""
    return when + what


def _journal_finding(code: str, severity: Severity, why: str) -> Callable[[Mapping[str, Any]], CheckResult]:
    def make(r: Mapping[str, Any]) -> CheckResult:
        amount = _fmt(r["minor"], r["currency"])
        return CheckResult(
            code,
            "diagnostics",
            severity,
            str(r["entity"]),
            str(r["account"]),
            None,
            amount,
            None,
            f"{r['entity']} {r['account']}{_when_what(r)}: {amount} {r['currency']} {why}",
        )

    return make


def _per_unit(lines: pd.DataFrame, major: Decimal) -> np.ndarray:
    """``major`` currency units in each line's minor units (rounded up), as an int64 array."""
    unit = lines["unit"].to_numpy()
    out = np.zeros(len(lines), dtype=np.int64)
    for u in np.unique(unit):
        out[unit == u] = int((major * int(u)).to_integral_value(ROUND_CEILING))
    return out


def check_round_number_entries(ctx: ValidationContext) -> list[CheckResult]:
    """Find journal lines that are large round numbers: estimates and manual entries.

    Multiples of ``round_unit`` and at least ``round_min``, in entity currency units.
    """
    code = "ROUND_NUMBER_ENTRY"
    lines = _journal(ctx)
    if lines is None:
        return _passed(code, "diagnostics", "not checked: no journal lines")
    s = ctx.settings
    absolute = lines["minor"].abs().to_numpy()
    hit = lines[
        (absolute >= _per_unit(lines, s.round_min)) & (absolute % _per_unit(lines, s.round_unit) == 0)
    ]
    found = _listed(
        hit,
        _journal_finding(code, "warn", f"is a round number (a multiple of {s.round_unit})"),
        _summary(code, "diagnostics", "warn", "round-number journal lines", _entity_currencies(ctx)),
    )
    return _or_pass(found, code, "diagnostics", f"no round-number entry among {len(lines)} journal lines")


def check_just_under_limit(ctx: ValidationContext) -> list[CheckResult]:
    """Find journal lines just under an approval limit.

    ``limit × (1 − just_under_band) <= |amount| < limit`` (entity currency units); each line is
    reported against the lowest limit it is under.
    """
    code = "JUST_UNDER_LIMIT"
    lines = _journal(ctx)
    limits, band = ctx.settings.approval_limits, ctx.settings.just_under_band
    if lines is None or not limits:
        return _passed(code, "diagnostics", "not checked: no journal lines or no approval limits")
    absolute = lines["minor"].abs().to_numpy()
    limit_of = np.full(len(lines), "", dtype=object)
    low_of = np.full(len(lines), "", dtype=object)
    for limit in sorted(limits, reverse=True):  # the lowest limit written last wins
        under = (absolute >= _per_unit(lines, limit * (1 - band))) & (absolute < _per_unit(lines, limit))
        limit_of[under], low_of[under] = str(limit), str(limit * (1 - band))
    hit = limit_of != ""
    rows = lines[hit].assign(limit=limit_of[hit], low=low_of[hit])

    def make(r: Mapping[str, Any]) -> CheckResult:
        amount = _fmt(r["minor"], r["currency"])
        return CheckResult(
            code,
            "diagnostics",
            "warn",
            str(r["entity"]),
            str(r["account"]),
            f"below {r['low']} or from {r['limit']}",
            amount,
            None,
            f"{r['entity']} {r['account']}{_when_what(r)}: {amount} {r['currency']} is just under "
            f"the approval limit {r['limit']}",
        )

    found = _listed(
        rows,
        make,
        _summary(code, "diagnostics", "warn", "journal lines just under a limit", _entity_currencies(ctx)),
    )
    return _or_pass(found, code, "diagnostics", f"no journal line just under {', '.join(map(str, limits))}")


# Benford's law: P(first digit d) = log10(1 + 1/d).
_BENFORD = tuple((1 + Decimal(1) / d).log10().quantize(Decimal("0.000001")) for d in range(1, 10))


def _first_digits(values: np.ndarray) -> np.ndarray:
    out = values.copy()
    while (big := out >= 10).any():
        out[big] //= 10
    return out


def check_benford_first_digit(ctx: ValidationContext) -> list[CheckResult]:
    """Benford's first-digit test per entity on journal amounts of at least 10 currency units.

    Nigrini (Benford's Law, 2012) advises at least 1,000 amounts (``benford_min_count``) and judges
    conformity by the mean absolute deviation of the nine digit proportions, not by chi-square
    (which rejects any large data set): MAD above ``benford_mad`` (0.015, his nonconformity line)
    is flagged. Chi-square (8 degrees of freedom, 15.51 at 5 %) is reported as context.
    """
    code = "BENFORD_FIRST_DIGIT"
    lines = _journal(ctx)
    if lines is None:
        return _passed(code, "diagnostics", "not checked: no journal lines")
    s = ctx.settings
    absolute = lines["minor"].abs().to_numpy()
    eligible = absolute >= lines["unit"].to_numpy() * 10
    entity, entities = _factorize(lines["entity"], runs=True)
    cells = entity[eligible] * 9 + _first_digits(absolute[eligible]) - 1
    (flat,) = _group_sums(cells, len(entities) * 9, np.ones(len(cells), dtype=np.int64))
    counts = pd.DataFrame(flat.reshape(len(entities), 9), index=entities, columns=range(1, 10)).sort_index()
    found, tested = [], 0
    for entity, row in counts.iterrows():
        n = int(row.sum())
        if n < s.benford_min_count:
            continue
        tested += 1
        observed = [Decimal(int(c)) / n for c in row]
        deviations = [o - e for o, e in zip(observed, _BENFORD, strict=True)]
        mad = (sum((abs(x) for x in deviations), ZERO) / 9).quantize(Decimal("0.000001"))
        chi = sum(
            ((Decimal(int(c)) - n * e) ** 2 / (n * e) for c, e in zip(row, _BENFORD, strict=True)), ZERO
        )
        if mad > s.benford_mad:
            worst = max(range(9), key=lambda i: abs(deviations[i]))
            found.append(
                CheckResult(
                    code,
                    "diagnostics",
                    "warn",
                    str(entity),
                    None,
                    f"MAD <= {s.benford_mad}",
                    str(mad),
                    str(mad - s.benford_mad),
                    f"{entity}: first digits of {n} journal amounts depart from Benford's law: expected MAD "
                    f"<= {s.benford_mad} != actual {mad} (chi-square {chi.quantize(_CENTS)}, 8 df); digit "
                    f"{worst + 1} is {(observed[worst] * 100).quantize(Decimal('0.1'))}% against "
                    f"{(_BENFORD[worst] * 100).quantize(Decimal('0.1'))}%",
                )
            )
    return _or_pass(
        found,
        code,
        "diagnostics",
        f"{tested} entities with >= {s.benford_min_count} amounts conform to Benford's law"
        if tested
        else f"not tested: no entity has {s.benford_min_count} journal amounts",
    )


# --------------------------------------------------------------------------------------------
# Rates


def check_rates_complete(ctx: ValidationContext) -> list[CheckResult]:
    """Check every foreign functional currency has a positive closing and average rate."""
    code, category = "RATE_MISSING", "rates"
    pc = ctx.presentation_currency
    users: dict[Currency, list[EntityId]] = {}
    for entity, currency in sorted(_entity_currencies(ctx).items()):
        if currency != pc:
            users.setdefault(currency, []).append(entity)
    have = {
        (r.currency, r.rate_type)
        for r in ctx.rates
        if r.period == ctx.period and r.presentation_currency == pc and r.rate > 0
    }
    found = []
    for currency in sorted(users):
        for kind in ("closing", "average"):
            if (currency, kind) not in have:
                entities = ", ".join(users[currency])
                found.append(
                    CheckResult(
                        code,
                        category,
                        "fail",
                        users[currency][0],
                        None,
                        f"{kind} {currency}->{pc} {ctx.period}",
                        "missing",
                        None,
                        f"expected a positive {kind} rate {currency}->{pc} for {ctx.period} "
                        f"!= none found (entities {entities})",
                    )
                )
    return _or_pass(found, code, category, f"closing and average rates present for {len(users)} currencies")


def check_rate_moves(ctx: ValidationContext) -> list[CheckResult]:
    """Find closing and average rates that moved more than ``rate_move_threshold`` in a month."""
    code, category = "RATE_MOVED", "rates"
    moves = find_implausible_moves(ctx.rates, ctx.prior_rates, ctx.settings.rate_move_threshold)
    found = [
        CheckResult(
            code, category, "warn", None, None, str(m.expected), str(m.actual), str(m.difference), m.message
        )
        for m in moves
    ]
    return _or_pass(
        found,
        code,
        category,
        f"no rate moved more than {ctx.settings.rate_move_threshold * 100}% since last month",
    )


# --------------------------------------------------------------------------------------------
# Intercompany

_PAIR_KNOWN = frozenset(
    {
        "entity",
        "counterparty",
        "kind",
        "difference",
        "mismatch",
        "status",
        "explained",
        "tolerance",
        "account",
        "std_account",
        "counterparty_account",
    }
)


def _side_columns(pairs: pd.DataFrame) -> list[str]:
    """Find the two side-amount columns (the engine helper names them; we only need to find them)."""
    sides = [c for c in pairs.columns if c not in _PAIR_KNOWN and ("amount" in c or "side" in c)]
    return sides[:2]


def check_intercompany_pairs(ctx: ValidationContext) -> list[CheckResult]:
    """Intercompany pairs left uneliminated (fail) or plugged to IC suspense (warn), both sides shown.

    Expected is the counterparty's side negated (what this side should be to eliminate), actual this
    side; the message carries the part the rates do not explain (``mismatch``).
    """
    code, category = "INTERCOMPANY_MISMATCH", "intercompany"
    pairs, pc = ctx.ic_pairs, ctx.presentation_currency
    if pairs.empty:
        return _passed(code, category, "no intercompany pairs")
    if "status" not in pairs.columns:
        return [
            CheckResult(
                code,
                category,
                "warn",
                None,
                None,
                "status",
                "missing",
                None,
                "intercompany pairs carry no status column: cannot tell eliminated from not",
            )
        ]
    sides = _side_columns(pairs)
    found = []
    for row in pairs[pairs["status"].isin(["uneliminated", "plugged"])].to_dict("records"):
        severity: Severity = "fail" if row["status"] == "uneliminated" else "warn"
        subject = (
            f"{row['entity']} with {row.get('counterparty', '?')} {row.get('kind', '')} ({row['status']})"
        )
        mismatch = f", unexplained {_fmt(_minor(row['mismatch'], pc), pc)}" if "mismatch" in row else ""
        if len(sides) == 2:
            ours, theirs = _minor(row[sides[0]], pc), _minor(row[sides[1]], pc)
            found.append(
                _mismatch(
                    code,
                    category,
                    severity,
                    subject,
                    -theirs,
                    ours,
                    pc,
                    entity=str(row["entity"]),
                    account=str(row.get("account") or row.get("std_account") or "") or None,
                    note=mismatch,
                )
            )
        else:
            difference = _fmt(_minor(row.get("difference", 0), pc), pc)
            found.append(
                CheckResult(
                    code,
                    category,
                    severity,
                    str(row["entity"]),
                    None,
                    None,
                    None,
                    difference,
                    f"{subject}: difference {difference}{mismatch}",
                )
            )
    eliminated = int((pairs["status"] == "eliminated").sum())
    return _or_pass(found, code, category, f"all {eliminated} intercompany pairs eliminated")


# --------------------------------------------------------------------------------------------
# Reasonableness


def _class_thresholds(ctx: ValidationContext) -> dict[str, Thresholds]:
    out = {}
    for m in ctx.settings.materiality:
        overrides = {
            k: getattr(m, k)
            for k in ("mom_abs", "mom_pct", "budget_abs", "budget_pct")
            if getattr(m, k) is not None
        }
        out[m.account_class] = replace(ctx.thresholds, **overrides)
    return out


def _month_figures(frame: pd.DataFrame, chart: Chart) -> pd.Series:
    """Per standard account: the month's movement for the income statement, the closing otherwise."""
    amount, movement = _by_account(frame, "amount"), _by_account(frame, "movement")
    is_income = amount.index.to_series().map(_classes(chart)).isin(INCOME_STATEMENT_CLASSES)
    return amount.where(~is_income, movement.reindex(amount.index).fillna(0)).astype(np.int64)


def _flux(
    ctx: ValidationContext,
    code: str,
    kind: Literal["mom", "budget"],
    current: pd.Series,
    comparison: pd.Series,
    label: str,
) -> list[CheckResult]:
    pc = ctx.presentation_currency
    classes = _classes(ctx.chart)
    per_class = _class_thresholds(ctx)
    codes = current.index.union(comparison.index)
    current, comparison = current.reindex(codes).fillna(0), comparison.reindex(codes).fillna(0)
    found = []
    for account in codes:
        now, then = int(current[account]), int(comparison[account])
        if now == then:
            continue
        cls = classes.get(account)
        th = per_class.get(cls, ctx.thresholds) if isinstance(cls, str) else ctx.thresholds
        # A flux check is a reviewer's net: either threshold flags the move (the board's
        # commentary needs both, close.analysis.variances).
        if is_material(th, kind, from_minor(now - then, pc), from_minor(then, pc), rule="either"):
            pct = (
                f", {((Decimal(now - then) / abs(Decimal(then))) * 100).quantize(Decimal('0.1'))}%"
                if then
                else ""
            )
            found.append(
                _mismatch(
                    code,
                    "reasonableness",
                    "warn",
                    f"{account} against {label}",
                    then,
                    now,
                    pc,
                    account=str(account),
                    note=pct,
                )
            )
    return found


def check_flux_prior_month(ctx: ValidationContext) -> list[CheckResult]:
    """Compare each account's month with the prior run's.

    Movement for the income statement, closing for the balance sheet; material by
    ``[thresholds]`` mom_abs / mom_pct, or the class's override.
    """
    code = "FLUX_PRIOR_MONTH"
    if ctx.prior_consolidated is None:
        return _passed(code, "reasonableness", "not checked: no prior run")
    found = _flux(
        ctx,
        code,
        "mom",
        _month_figures(ctx.consolidated, ctx.chart),
        _month_figures(ctx.prior_consolidated, ctx.chart),
        "the prior month",
    )
    return _or_pass(found, code, "reasonableness", "no material change against the prior month")


def check_flux_budget(ctx: ValidationContext) -> list[CheckResult]:
    """Compare the month's movement of each budgeted or income-statement account with its budget.

    Material by ``[thresholds]`` budget_abs / budget_pct, or the class's override.
    """
    code = "FLUX_BUDGET"
    if ctx.budget is None:
        return _passed(code, "reasonableness", "not checked: no budget")
    budget = _by_account(ctx.budget, "amount").astype(np.int64)
    movement = _by_account(ctx.consolidated, "movement")
    classes = movement.index.to_series().map(_classes(ctx.chart))
    actual = movement[classes.isin(INCOME_STATEMENT_CLASSES) | movement.index.isin(budget.index)]
    found = _flux(ctx, code, "budget", actual.astype(np.int64), budget, "budget")
    return _or_pass(found, code, "reasonableness", "no material variance against the budget")


def check_key_ratios(ctx: ValidationContext) -> list[CheckResult]:
    """KPIs of ``close.analysis.kpis`` (current ratio, gross margin …) inside their configured bands."""
    code = "RATIO_OUT_OF_BAND"
    bands = ctx.settings.ratio_bands
    if not bands:
        return _passed(code, "reasonableness", "no ratio bands configured")
    month = (
        _month_figures(ctx.consolidated, ctx.chart).rename("amount").rename_axis("std_account").reset_index()
    )
    kpis = {
        k.code: k
        for k in compute_kpis(
            KpiInputs(
                chart=ctx.chart.accounts.reset_index(drop=True),
                period=ctx.period,
                currency=ctx.presentation_currency,
                month=month,
            )
        )
    }
    found, within = [], []
    for band in bands:
        kpi = kpis.get(band.kpi)
        if kpi is None:
            found.append(
                CheckResult(
                    code,
                    "reasonableness",
                    "warn",
                    None,
                    None,
                    band.kpi,
                    "unknown KPI",
                    None,
                    f"ratio band for {band.kpi!r}: no such KPI in close.analysis.kpis",
                )
            )
            continue
        if kpi.value is None:
            within.append(f"{kpi.code} n/a ({kpi.reason})")
            continue
        bound = (
            band.low
            if band.low is not None and kpi.value < band.low
            else band.high
            if band.high is not None and kpi.value > band.high
            else None
        )
        if bound is None:
            within.append(f"{kpi.code} {kpi.display}")
            continue
        low = "-inf" if band.low is None else band.low
        expected = f"{low} .. {'inf' if band.high is None else band.high}"
        found.append(
            CheckResult(
                code,
                "reasonableness",
                "warn",
                None,
                None,
                expected,
                str(kpi.value),
                str(kpi.value - bound),
                f"{kpi.name}: expected {expected} != actual {kpi.display} "
                f"({abs(kpi.value - bound)} {'too much' if kpi.value > bound else 'too little'})",
            )
        )
    return _or_pass(found, code, "reasonableness", "key ratios within their bands: " + "; ".join(within))


# --------------------------------------------------------------------------------------------
# The list, the score


UNRECONCILED_ACCOUNT = "UNRECONCILED"  # connectors.management (kept free of the import)
_LISTED_ITEMS = 10


def check_unreconciled_explained(ctx: ValidationContext) -> list[CheckResult]:
    """Check that a management trial balance's UNRECONCILED line is zero (fail above materiality).

    Each finding names what the line holds, per bank/AR/AP side, by the ERP's ids (the items the
    connector could not explain); at or below ``[validation] unreconciled_materiality`` a
    non-zero line warns.
    """
    code, category = "UNRECONCILED_EXPLAINED", "diagnostics"
    lines = ctx.local[ctx.local["account"] == UNRECONCILED_ACCOUNT]
    if lines.empty:
        return _passed(code, category, "no management trial balance (no UNRECONCILED line)")
    floors = dict(zip(*_entity_floors(ctx, ctx.settings.unreconciled_materiality), strict=True))
    currencies = _entity_currencies(ctx)
    items = ctx.unexplained
    found = []
    for entity, amount in lines.groupby("entity", sort=True)["closing"].sum().items():
        if not amount:
            continue
        currency = currencies.get(str(entity), "XXX")
        mine = [] if items is None else items[items["entity"] == entity].to_dict("records")
        named = "; ".join(f"{i['side'] or 'untraced'} {i['ref']} {i['date']} "
                          f"{_fmt(i['amount'], currency)} ({i['reason']})".replace("  ", " ")
                          for i in mine[:_LISTED_ITEMS])
        if len(mine) > _LISTED_ITEMS:
            named += f"; and {len(mine) - _LISTED_ITEMS} more"
        severity: Severity = "fail" if abs(int(amount)) > floors.get(str(entity), 0) else "warn"
        found.append(_mismatch(code, category, severity, f"{entity} {UNRECONCILED_ACCOUNT}", 0,
                               int(amount), currency, entity=str(entity),
                               account=UNRECONCILED_ACCOUNT,
                               note=f"; unexplained: {named}" if named else ""))
    return _or_pass(found, code, category,
                    f"{lines['entity'].nunique()} management trial balance(s), UNRECONCILED zero")


def check_ar_aging_reconciles(ctx: ValidationContext) -> list[CheckResult]:
    """Return the stage's findings of the receivables aging against each entity's TB account."""
    found = [r for r in ctx.receivables_findings if r.code == "AR_AGING_RECONCILES"]
    return _or_pass(found, "AR_AGING_RECONCILES", "reasonableness",
                    "no receivables file: no aging to reconcile")


def check_ecl_allowance_booked(ctx: ValidationContext) -> list[CheckResult]:
    """Return the stage's findings of the IFRS 9 allowance booked against the provision matrix."""
    found = [r for r in ctx.receivables_findings if r.code == "ECL_PROVISION_BOOKED"]
    return _or_pass(found, "ECL_PROVISION_BOOKED", "reasonableness",
                    "no receivables file: no provision matrix")


CHECKS: tuple[Check, ...] = (
    check_unreconciled_explained,
    check_debits_equal_credits,
    check_lines_roll_forward,
    check_local_tb_sums_to_zero,
    check_translated_tb_sums_to_zero,
    check_consolidated_tb_sums_to_zero,
    check_balance_sheet_balances,
    check_cta_reconciles,
    check_net_income_to_retained_earnings,
    check_opening_equals_prior_closing,
    check_unmapped_accounts,
    check_accounts_mapped_twice,
    check_mapping_class_prefix,
    check_abnormal_balances,
    check_suspense_cleared,
    check_duplicate_accounts,
    check_dormant_accounts,
    check_round_number_entries,
    check_just_under_limit,
    check_benford_first_digit,
    check_rates_complete,
    check_rate_moves,
    check_intercompany_pairs,
    check_flux_prior_month,
    check_flux_budget,
    check_key_ratios,
    check_ar_aging_reconciles,
    check_ecl_allowance_booked,
)


def score_of(
    results: Iterable[CheckResult], weights: Sequence[ScoreWeight] = DEFAULT_SCORE_WEIGHTS
) -> Decimal:
    """Score findings 0–100 (see the module docstring for the rule and the default weights).

    Args:
        results: the findings (passes take nothing off).
        weights: penalty per fail / warn and cap per check code, by category.

    Returns:
        The score, two places, half-even.

    Raises:
        ConfigError: a finding's category has no weight.

    """
    penalty: dict[tuple[str, str], Decimal] = {}
    for r in results:
        if r.severity == "pass":
            continue
        w = weight_for(tuple(weights), r.category)
        key = (r.category, r.code)
        penalty[key] = min(w.cap, penalty.get(key, ZERO) + (w.fail if r.severity == "fail" else w.warn))
    total = sum(penalty.values(), ZERO)
    return max(ZERO, _HUNDRED - total).quantize(_CENTS, rounding=ROUND_HALF_EVEN)


def light_of(score: Decimal) -> Light:
    """Green ≥ 95, yellow 80 ≤ score < 95, red < 80."""
    if score >= GREEN_FROM:
        return "green"
    return "yellow" if score >= YELLOW_FROM else "red"


def waivable(result: CheckResult) -> bool:
    """Tell whether ``close approve --waive`` may waive a finding.

    Any warn or fail except a failed integrity check (fixed only by a top-side journal); a pass has
    nothing to waive.
    """
    return result.severity != "pass" and not (result.category == "integrity" and result.severity == "fail")


def run_checks(ctx: ValidationContext, checks: Sequence[Check] = CHECKS) -> ValidationReport:
    """Run every check and score the findings.

    Args:
        ctx: the run's consolidation and history.
        checks: the checks to run (``CHECKS``).

    Returns:
        The report: every finding, the score, the light and whether the run must stop for review.

    """
    results = tuple(r for check in checks for r in check(ctx))
    score = score_of(results, ctx.settings.weights)
    light = light_of(score)
    blocking = light == "red" or any(r.category == "integrity" and r.severity == "fail" for r in results)
    return ValidationReport(results=results, score=score, light=light, blocking=blocking)
