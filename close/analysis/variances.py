"""Variance analysis: budget vs actual, month over month, year over year, drivers and anomalies.

The rule (design.md "Analysis and commentary"): a variance compares this month's consolidated
figure of a standard account with a comparison figure (the budget, the prior month's effective
run, the same month a year earlier). It is *material* when ``|Δ| ≥ abs`` **and**
``|Δ| / |comparison| ≥ pct`` (thresholds in presentation-currency units, per comparison kind):
both, so a 980 swing on a 2,000 line (49 %) and a 30,000 drift on a 5,000,000 line (0.6 %) stay
out of the board's summary (issue 17). When the comparison is zero the percentage is undefined
and only the absolute test applies.

Amounts are presented in the account's normal-balance sign, so a higher revenue, a higher
liability and a higher expense are all positive deltas; ``favourable`` says what that means for
profit (income-statement accounts only) and ``nature`` how a reader names the figure: an
``income`` or a ``cost`` line, a line that is a ``gain`` or ``loss`` by its sign (exchange
differences, associates, disposals: ``gain`` when the normal balance is credit), or ``balance``.

Drivers decompose a variance three ways (by entity, by cost center, by department); each table
sums *exactly* to the variance (integer minor units, no allocation): the per-entity translated
figures explain what the entities did, and one reconciling line holds what consolidation added
on top (eliminations, PPA, top-side journals). Per entity the change splits into an FX
(translation) effect and an operational change, using the current month's local amounts
translated at the comparison period's average rate ("constant rates")::

    fx_effect   = current − current_at_comparison_rates
    operational = current_at_comparison_rates − comparison

Example: BR01 rent was BRL 500,000 last month at 0.20 (USD 100,000) and BRL 500,000 this month
at 0.22 (USD 110,000). At constant rates it is USD 100,000, so the USD 10,000 variance is all
FX effect and the operational change is zero.

Anomalies: each account's month-over-month change is scored against its own history of
month-over-month changes with the modified z-score of Iglewicz and Hoaglin,
``0.6745 × (x − median) / MAD``, flagged when ``|z| > 3.5``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any, Literal, NamedTuple

import pandas as pd

from close.analysis.materiality import COMPARISON_KINDS, ComparisonKind, is_material
from close.config import Thresholds
from close.engine.money import ZERO, D, from_minor
from close.engine.periods import previous_period
from close.engine.types import AccountClass, AccountCode, Currency, EntityId, Period
from close.errors import InputDataError

DriverDimension = Literal["entity", "cost_center", "department"]
DRIVER_DIMENSIONS: tuple[DriverDimension, ...] = ("entity", "cost_center", "department")

# Columns of the consolidated figure frames and of the per-entity driver frames.
FIGURE_COLUMNS: tuple[str, ...] = ("std_account", "amount")
DRIVER_COLUMNS: tuple[str, ...] = ("entity", "std_account", "cost_center", "department", "amount")
CHART_COLUMNS: tuple[str, ...] = ("code", "name", "class", "normal_balance")

# Driver keys that are not an entity or a dimension value.
CONSOLIDATION_KEY = "(eliminations and group adjustments)"
UNASSIGNED_KEY = "(unassigned)"

INCOME_STATEMENT_CLASSES: frozenset[str] = frozenset({"revenue", "expense"})
AccountNature = Literal["income", "cost", "gain", "loss", "balance"]
# Lines that are a gain one month and a loss the next: a reader says "an FX gain of 5,139", not
# "FX gains and losses of −5,139".
GAIN_OR_LOSS_SUBCLASSES: frozenset[str] = frozenset({"fx", "associates", "disposal"})

# Iglewicz & Hoaglin (1993): 0.6745 makes MAD consistent with σ for normal data; when MAD is
# zero (over half the history identical) the mean absolute deviation scaled by 1.253314 stands
# in (the same consistency constant for MeanAD), as IBM SPSS Modeler does.
_MAD_CONSISTENCY = D("0.6745")
_MEANAD_CONSISTENCY = D("1.253314")
DEFAULT_ANOMALY_Z = D("3.5")
DEFAULT_ANOMALY_MIN_HISTORY = 6

_PCT_PLACES = Decimal("0.0001")


@dataclass(frozen=True, eq=False)
class DriverFigures:
    """Per-entity translated month figures behind one comparison kind.

    Every frame has ``DRIVER_COLUMNS``: entity, std_account, cost_center, department (``""``
    when absent) and amount (``int64`` minor units of the presentation currency, debit positive,
    income-statement accounts as the month's movement, balance-sheet accounts as closings).

    Attributes:
        current: this month, translated at this month's rates.
        comparison: the comparison month as translated by its own run (or the per-entity budget).
        current_at_comparison_rates: this month's local amounts translated at the comparison
            period's average rate (balance-sheet lines too, so the split is one rule); ``None``
            when no such translation exists (e.g. a budget set in the presentation currency):
            then no FX effect is reported.

    """

    current: pd.DataFrame
    comparison: pd.DataFrame
    current_at_comparison_rates: pd.DataFrame | None = None


@dataclass(frozen=True, eq=False)
class AnalysisInputs:
    """Everything the pure analysis needs; the stage adapter builds it from PostgreSQL.

    Figure frames have ``FIGURE_COLUMNS`` (std_account, amount ``int64`` minor units of the
    presentation currency, debit positive; income-statement accounts as the month's movement,
    balance-sheet accounts as closings). A missing comparison is ``None``.

    Attributes:
        chart: the standard chart (at least ``CHART_COLUMNS``).
        period: this month, ``YYYY-MM``.
        currency: the presentation currency.
        current: this month's consolidated figures.
        prior_month: the prior month's effective run, or None.
        prior_year: the same month a year earlier, or None.
        budget: the budget for this month, or None.
        history: up to 12 months before this one (period → figures), for trends and anomalies.
        drivers: per comparison kind, the per-entity figures for drivers and entity variances.
        thresholds: materiality thresholds.

    """

    chart: pd.DataFrame
    period: Period
    currency: Currency
    current: pd.DataFrame
    prior_month: pd.DataFrame | None = None
    prior_year: pd.DataFrame | None = None
    budget: pd.DataFrame | None = None
    history: Mapping[Period, pd.DataFrame] = field(default_factory=dict)
    drivers: Mapping[ComparisonKind, DriverFigures] = field(default_factory=dict)
    thresholds: Thresholds = field(default_factory=Thresholds)

    def comparison(self, kind: ComparisonKind) -> pd.DataFrame | None:
        """Return the consolidated comparison figures of a kind, or None when missing."""
        return {"budget": self.budget, "mom": self.prior_month, "yoy": self.prior_year}[kind]


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """One month of an account's trend, in the account's normal-balance sign."""

    period: Period
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Driver:
    """One line of a driver table: what one entity or dimension value contributed.

    ``fx_effect + operational == delta`` when the FX split is known; both are None otherwise
    (no constant-rate figures, or the consolidation line).
    """

    dimension: DriverDimension
    key: str
    current: Decimal
    comparison: Decimal
    delta: Decimal
    fx_effect: Decimal | None
    operational: Decimal | None
    rank: int


@dataclass(frozen=True, slots=True)
class Variance:
    """A variance of one account (consolidated, or of one entity) against one comparison.

    Amounts are presentation-currency Decimals in the account's normal-balance sign.
    ``pct`` is ``delta / |comparison|`` rounded to 4 places, None when the comparison is zero.
    ``drivers`` holds one table per dimension (see ``driver_table``), each summing to ``delta``.
    """

    account: AccountCode
    name: str
    account_class: AccountClass
    kind: ComparisonKind
    period: Period
    currency: Currency
    entity: EntityId | None
    current: Decimal
    comparison: Decimal
    delta: Decimal
    pct: Decimal | None
    material: bool
    favourable: bool | None
    fx_effect: Decimal | None
    drivers: tuple[Driver, ...] = ()
    trend: tuple[TrendPoint, ...] = ()
    nature: AccountNature = "balance"

    def driver_table(self, dimension: DriverDimension) -> tuple[Driver, ...]:
        """Return the ranked drivers of one dimension (they sum exactly to ``delta``)."""
        return tuple(d for d in self.drivers if d.dimension == dimension)


@dataclass(frozen=True, slots=True)
class Anomaly:
    """An account whose month-over-month change is unusual against its own history.

    ``z_score`` is None when the history has no spread at all and the change differs from it.
    """

    account: AccountCode
    name: str
    period: Period
    currency: Currency
    change: Decimal
    median: Decimal
    mad: Decimal
    z_score: Decimal | None
    history_points: int


@dataclass(frozen=True, slots=True)
class AnalysisResult:
    """The variances (consolidated first, then per entity) and anomalies of a month."""

    variances: tuple[Variance, ...]
    anomalies: tuple[Anomaly, ...]

    @property
    def material(self) -> tuple[Variance, ...]:
        """The material variances."""
        return tuple(v for v in self.variances if v.material)


class RobustZ(NamedTuple):
    """A modified z-score with the centre and spread it was computed from."""

    z: Decimal | None
    median: Decimal
    mad: Decimal


@dataclass(frozen=True, slots=True)
class _Account:
    code: AccountCode
    name: str
    account_class: AccountClass
    sign: int  # +1 debit-normal, -1 credit-normal: multiplies signed amounts for presentation
    nature: AccountNature


def analyze(inputs: AnalysisInputs, *, anomaly_z: Decimal = DEFAULT_ANOMALY_Z,
            anomaly_min_history: int = DEFAULT_ANOMALY_MIN_HISTORY) -> AnalysisResult:
    """Compute every variance, its drivers and trend, and the month's anomalies.

    Args:
        inputs: the month's figures, comparisons, history and per-entity driver figures.
        anomaly_z: the ``|z|`` above which a change is an anomaly.
        anomaly_min_history: fewer historical changes than this give no anomaly verdict.

    Returns:
        The variances and anomalies.

    Raises:
        InputDataError: a frame names an account missing from the chart, or lacks a column.

    """
    return AnalysisResult(
        variances=compute_variances(inputs),
        anomalies=detect_anomalies(inputs, z_threshold=anomaly_z, min_history=anomaly_min_history),
    )


def compute_variances(inputs: AnalysisInputs) -> tuple[Variance, ...]:
    """Compute consolidated variances (with drivers and trend), then per-entity variances.

    An account is compared when it has a non-zero figure on either side. The budget is compared
    only for the account classes it covers, so a budget of the P&L does not report every
    balance-sheet line as over budget.

    Args:
        inputs: see ``AnalysisInputs``.

    Returns:
        Consolidated variances ordered by kind then account, followed by per-entity ones ordered
        by kind, entity and account.

    Raises:
        InputDataError: a frame names an account missing from the chart, or lacks a column.

    """
    accounts = _chart_accounts(inputs.chart)
    current = _sums(inputs.current, ("std_account",), "current figures", accounts)
    trends = _trends(inputs, accounts)
    consolidated: list[Variance] = []
    per_entity: list[Variance] = []
    for kind in COMPARISON_KINDS:
        frame = inputs.comparison(kind)
        figures = inputs.drivers.get(kind)
        cells = _EntityCells(figures, accounts) if figures is not None else None
        if frame is not None:
            comparison = _sums(frame, ("std_account",), f"{kind} figures", accounts)
            classes = _covered_classes(kind, comparison, accounts)
            for code in _compared_accounts(current, comparison, accounts, classes):
                cur, cmp = current.get((code,), 0), comparison.get((code,), 0)
                rows = cells.consolidated_rows(code, cur, cmp) if cells else []
                # FX is measured on the entities' figures; consolidation lines carry none.
                fx = sum(r[4] or 0 for r in rows if r[0] == "entity") if cells and cells.has_fx \
                    else None
                consolidated.append(_variance(inputs, accounts[code], kind, None, cur, cmp, rows,
                                              trends.get(code, ()), fx))
        if cells is not None:
            per_entity.extend(_entity_variances(inputs, accounts, kind, cells))
    return (*consolidated, *per_entity)


def robust_z_score(value: Decimal | int, history: Sequence[Decimal | int]) -> RobustZ:
    """Score ``value`` against ``history`` with the modified z-score (median and MAD).

    Args:
        value: the observation to score.
        history: past observations (at least one).

    Returns:
        ``RobustZ(z, median, mad)``; ``z`` is None when the history has no spread at all and
        ``value`` differs from it (an infinite score), ``0`` when it equals it.

    Raises:
        ValueError: for an empty history.

    """
    if not history:
        raise ValueError("robust_z_score needs at least one historical value")
    xs = [D(h) for h in history]
    x = D(value)
    med = _median(xs)
    deviations = [abs(h - med) for h in xs]
    mad = _median(deviations)
    if mad != ZERO:
        return RobustZ(_MAD_CONSISTENCY * (x - med) / mad, med, mad)
    mean_ad = sum(deviations, ZERO) / len(deviations)
    if mean_ad != ZERO:
        return RobustZ((x - med) / (_MEANAD_CONSISTENCY * mean_ad), med, mad)
    return RobustZ(ZERO if x == med else None, med, mad)


def month_changes(levels: Mapping[Period, Decimal]) -> dict[Period, Decimal]:
    """Return each month's change from the month before, for months whose predecessor is known.

    Args:
        levels: period → amount; gaps are allowed (a change across a gap is not computed).

    Returns:
        period → amount − amount of the previous calendar month.

    """
    return {p: v - levels[previous_period(p)] for p, v in levels.items()
            if previous_period(p) in levels}


def detect_anomalies(inputs: AnalysisInputs, *, z_threshold: Decimal = DEFAULT_ANOMALY_Z,
                     min_history: int = DEFAULT_ANOMALY_MIN_HISTORY) -> tuple[Anomaly, ...]:
    """Flag accounts whose month-over-month change is unusual against their own history.

    The history of changes comes from ``inputs.history`` (plus the prior month), each change
    taken between consecutive calendar months only.

    Args:
        inputs: the month's figures and history.
        z_threshold: the ``|z|`` above which a change is an anomaly.
        min_history: the least number of historical changes for a verdict.

    Returns:
        The anomalies, ordered by account.

    Raises:
        InputDataError: a frame names an account missing from the chart, or lacks a column.

    """
    accounts = _chart_accounts(inputs.chart)
    found: list[Anomaly] = []
    for code, points in sorted(_trends(inputs, accounts).items()):
        changes = month_changes({p.period: p.amount for p in points})
        this_month = changes.pop(inputs.period, None)
        if this_month is None or len(changes) < min_history:
            continue
        score = robust_z_score(this_month, list(changes.values()))
        unusual = abs(score.z) > z_threshold if score.z is not None else True
        if unusual:
            found.append(Anomaly(
                account=code, name=accounts[code].name, period=inputs.period,
                currency=inputs.currency, change=this_month, median=score.median, mad=score.mad,
                z_score=score.z.quantize(Decimal("0.01")) if score.z is not None else None,
                history_points=len(changes),
            ))
    return tuple(found)


def variance_to_json(variance: Variance) -> dict[str, Any]:
    """Return a JSON-ready dict of a variance (amounts as exact decimal strings).

    The stage adapter stores it (e.g. ``variances.detail``); ``variance_from_json`` reads it back.
    """
    data = asdict(variance)
    for key in ("current", "comparison", "delta", "pct", "fx_effect"):
        data[key] = _text(data[key])
    data["drivers"] = [{**d, **{k: _text(d[k]) for k in _DRIVER_AMOUNTS}} for d in data["drivers"]]
    data["trend"] = [[p["period"], str(p["amount"])] for p in data["trend"]]
    return data


def variance_from_json(data: Mapping[str, Any]) -> Variance:
    """Rebuild a variance from ``variance_to_json``'s dict.

    Args:
        data: the dict (as read back from JSON).

    Returns:
        The equal ``Variance``.

    """
    amounts = {k: _decimal(data[k]) for k in ("current", "comparison", "delta", "pct", "fx_effect")}
    drivers = tuple(Driver(**{**d, **{k: _decimal(d[k]) for k in _DRIVER_AMOUNTS}})
                    for d in data["drivers"])
    trend = tuple(TrendPoint(p, D(a)) for p, a in data["trend"])
    rest = {k: v for k, v in data.items() if k not in (*amounts, "drivers", "trend")}
    return Variance(**rest, **amounts, drivers=drivers, trend=trend)


_DRIVER_AMOUNTS = ("current", "comparison", "delta", "fx_effect", "operational")


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else D(value)


# --- internals ---------------------------------------------------------------------------


_CELL_KEYS: tuple[str, ...] = ("std_account", "entity", "cost_center", "department")
# A driver row before ranking: dimension, key, current, comparison, FX effect (minor units).
_Row = tuple[DriverDimension, str, int, int, int | None]


class _EntityCells:
    """Per-entity figures of one comparison kind, summed per (entity, cost center, department)."""

    def __init__(self, figures: DriverFigures, accounts: Mapping[str, _Account]) -> None:
        constant = figures.current_at_comparison_rates
        self.has_fx = constant is not None
        sources = [(0, figures.current, "current"), (1, figures.comparison, "comparison")]
        if constant is not None:
            sources.append((2, constant, "constant-rate"))
        # account → entity → (cost_center, department) → [current, comparison, constant-rate];
        # indexed by entity so one entity's tables never scan the other entities' cells.
        self.by_account: dict[str, dict[str, dict[tuple[str, str], list[int]]]] = {}
        for slot, frame, what in sources:
            _require_columns(frame, DRIVER_COLUMNS, f"{what} driver figures")
            for (account, entity, cc, dept), amount in _sums(
                    frame, _CELL_KEYS, f"{what} driver figures", accounts).items():
                self.by_account.setdefault(account, {}).setdefault(entity, {}).setdefault(
                    (cc, dept), [0, 0, 0])[slot] += amount

    def totals(self, account: str, dimension: DriverDimension, entity: str | None = None
               ) -> dict[str, tuple[int, int, int | None]]:
        """Return key → (current, comparison, FX effect) of one dimension, optionally one entity."""
        entities = self.by_account.get(account, {})
        chosen = entities.items() if entity is None else [(entity, entities.get(entity, {}))]
        summed: dict[str, list[int]] = {}
        for name, cells in chosen:
            for (cc, dept), amounts in cells.items():
                key = {"entity": name, "cost_center": cc, "department": dept}[dimension]
                acc = summed.setdefault(key or UNASSIGNED_KEY, [0, 0, 0])
                for i, amount in enumerate(amounts):
                    acc[i] += amount
        return {key: (cur, cmp, cur - const if self.has_fx else None)
                for key, (cur, cmp, const) in summed.items()}

    def consolidated_rows(self, account: str, cur_total: int, cmp_total: int) -> list[_Row]:
        """Driver rows of a consolidated variance, with the line consolidation added per table."""
        rows: list[_Row] = []
        for dim in DRIVER_DIMENSIONS:
            cells = self.totals(account, dim)
            rows.extend((dim, key, cur, cmp, fx) for key, (cur, cmp, fx) in cells.items())
            cur_rest = cur_total - sum(c[0] for c in cells.values())
            cmp_rest = cmp_total - sum(c[1] for c in cells.values())
            if cur_rest or cmp_rest:
                rows.append((dim, CONSOLIDATION_KEY, cur_rest, cmp_rest, None))
        return rows

    def entity_rows(self, account: str, entity: str) -> list[_Row]:
        """Driver rows of one entity's variance, by cost center and by department."""
        return [(dim, key, cur, cmp, fx)
                for dim in ("cost_center", "department")
                for key, (cur, cmp, fx) in self.totals(account, dim, entity).items()]

    def compared_classes(self, accounts: Mapping[str, _Account]) -> frozenset[str]:
        """Return the account classes the comparison side has figures for."""
        return frozenset(accounts[a].account_class for a, entities in self.by_account.items()
                         if any(amounts[1] for cells in entities.values()
                                for amounts in cells.values()))


def _entity_variances(inputs: AnalysisInputs, accounts: Mapping[str, _Account],
                      kind: ComparisonKind, cells: _EntityCells) -> list[Variance]:
    classes = cells.compared_classes(accounts) if kind == "budget" else None
    out: list[Variance] = []
    for code in cells.by_account:
        account = accounts[code]
        if classes is not None and account.account_class not in classes:
            continue
        for entity, (cur, cmp, fx) in cells.totals(code, "entity").items():
            if cur or cmp:
                out.append(_variance(inputs, account, kind, entity, cur, cmp,
                                     cells.entity_rows(code, entity), (), fx))
    out.sort(key=lambda v: (v.entity or "", v.account))
    return out


def _variance(inputs: AnalysisInputs, account: _Account, kind: ComparisonKind,
              entity: EntityId | None, cur: int, cmp: int, rows: Iterable[_Row],
              trend: tuple[TrendPoint, ...], fx: int | None) -> Variance:
    ccy, sign = inputs.currency, account.sign
    current, comparison = from_minor(sign * cur, ccy), from_minor(sign * cmp, ccy)
    delta = current - comparison
    return Variance(
        account=account.code, name=account.name, account_class=account.account_class,
        kind=kind, period=inputs.period, currency=ccy, entity=entity,
        current=current, comparison=comparison, delta=delta,
        pct=(delta / abs(comparison)).quantize(_PCT_PLACES) if comparison else None,
        material=is_material(inputs.thresholds, kind, delta, comparison),
        # A credit movement raises profit, whatever the account's normal balance.
        favourable=(cur - cmp < 0) if account.account_class in INCOME_STATEMENT_CLASSES
        and cur != cmp else None,
        fx_effect=None if fx is None else from_minor(sign * fx, ccy),
        drivers=_rank(rows, sign, ccy), trend=trend, nature=account.nature,
    )


def _rank(rows: Iterable[_Row], sign: int, ccy: Currency) -> tuple[Driver, ...]:
    out: list[Driver] = []
    by_dim: dict[DriverDimension, list[_Row]] = {}
    for row in rows:
        dim, _, cur, cmp, fx = row
        if cur != cmp or fx:  # a line with no change and no FX effect explains nothing
            by_dim.setdefault(dim, []).append(row)
    for dim in DRIVER_DIMENSIONS:
        ranked = sorted(by_dim.get(dim, []), key=lambda r: (-abs(r[2] - r[3]), r[1]))
        for rank, (_, key, cur, cmp, fx) in enumerate(ranked, start=1):
            delta = from_minor(sign * (cur - cmp), ccy)
            fx_effect = None if fx is None else from_minor(sign * fx, ccy)
            out.append(Driver(
                dimension=dim, key=key, current=from_minor(sign * cur, ccy),
                comparison=from_minor(sign * cmp, ccy), delta=delta, fx_effect=fx_effect,
                operational=None if fx_effect is None else delta - fx_effect, rank=rank,
            ))
    return tuple(out)


def _trends(inputs: AnalysisInputs, accounts: Mapping[str, _Account]
            ) -> dict[AccountCode, tuple[TrendPoint, ...]]:
    """Account → the months before this one (history, prior month) and this month, in order."""
    frames: dict[Period, pd.DataFrame] = dict(inputs.history)
    if inputs.prior_month is not None:
        frames[previous_period(inputs.period)] = inputs.prior_month
    frames[inputs.period] = inputs.current
    periods = sorted(p for p in frames if p <= inputs.period)[-13:]
    sums = {p: _sums(frames[p], ("std_account",), f"figures of {p}", accounts) for p in periods}
    codes = {k[0] for s in sums.values() for k in s}
    return {
        code: tuple(TrendPoint(p, from_minor(accounts[code].sign * sums[p].get((code,), 0),
                                             inputs.currency)) for p in periods)
        for code in codes
    }


def _chart_accounts(chart: pd.DataFrame) -> dict[AccountCode, _Account]:
    _require_columns(chart, CHART_COLUMNS, "chart")
    subclasses = chart["subclass"] if "subclass" in chart.columns else [""] * len(chart)
    return {
        str(code): _Account(str(code), str(name), cls, -1 if normal == "credit" else 1,
                            account_nature(cls, str(subclass), normal))
        for code, name, cls, normal, subclass in zip(chart["code"], chart["name"], chart["class"],
                                                     chart["normal_balance"], subclasses,
                                                     strict=True)
    }


def account_nature(account_class: str, subclass: str, normal_balance: str) -> AccountNature:
    """Name what an account's figure is to a reader (see the module docstring).

    Example: ``account_nature("expense", "fx", "debit")`` is ``"loss"`` (a positive figure is a
    loss, a negative one a gain); ``account_nature("revenue", "revenue", "debit")`` (deductions
    from revenue) is ``"cost"``.
    """
    if account_class not in INCOME_STATEMENT_CLASSES:
        return "balance"
    credit = normal_balance == "credit"
    if subclass in GAIN_OR_LOSS_SUBCLASSES:
        return "gain" if credit else "loss"
    return "income" if credit else "cost"


def _sums(frame: pd.DataFrame, keys: Sequence[str], what: str,
          accounts: Mapping[str, _Account]) -> dict[tuple[str, ...], int]:
    """Sum ``amount`` by ``keys`` into Python ints, checking accounts against the chart."""
    _require_columns(frame, (*keys, "amount"), what)
    unknown = sorted(set(frame["std_account"].astype(str)) - set(accounts))
    if unknown:
        raise InputDataError(f"{what}: account not in the standard chart",
                             field="std_account", account=", ".join(unknown))
    keyed = frame[[*keys, "amount"]].astype({k: str for k in keys})
    grouped = keyed.groupby(list(keys), sort=False)["amount"].sum()
    return {(k if isinstance(k, tuple) else (k,)): int(v) for k, v in grouped.items()}


def _require_columns(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputDataError(f"{what}: missing column(s)", column=", ".join(missing))


def _covered_classes(kind: ComparisonKind, comparison: Mapping[tuple[str, ...], int],
                     accounts: Mapping[str, _Account]) -> frozenset[str] | None:
    if kind != "budget":
        return None
    return frozenset(accounts[k[0]].account_class for k in comparison)


def _compared_accounts(current: Mapping[tuple[str, ...], int],
                       comparison: Mapping[tuple[str, ...], int],
                       accounts: Mapping[str, _Account], classes: frozenset[str] | None
                       ) -> list[AccountCode]:
    codes = {k[0] for k in current} | {k[0] for k in comparison}
    return sorted(
        c for c in codes
        if (current.get((c,), 0) or comparison.get((c,), 0))
        and (classes is None or accounts[c].account_class in classes)
    )


def _median(xs: Sequence[Decimal]) -> Decimal:
    s = sorted(xs)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2
