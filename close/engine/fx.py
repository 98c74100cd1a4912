"""Translation of entity trial balances into the presentation currency (IAS 21 / ASC 830).

The rule, per account of the standard chart (its ``rate_type``), for an entity whose functional
currency is not the presentation currency:

* assets and liabilities (``closing``): the local closing balance at the period's closing rate;
* income and expenses (``average``) and dividends declared (role ``dividends``): each month's
  movement at that month's average rate; the year-to-date balance is the sum of the translated
  months (the prior period's translated YTD plus this month), restarting at the fiscal-year start;
* equity (``historical``): share capital and other contributed equity at historical rates — an
  override per (entity, account) from the opening-balances file translates the whole balance at
  that rate; without one, the prior translated balance is carried and this month's movement is
  added at the average rate (the rate of the transactions). Retained earnings are the prior
  fiscal year-end's translated balance; at the first month of a fiscal year the prior year's
  translated result (income statement and dividends, YTD) is rolled in once;
* the cumulative translation adjustment (CTA, in OCI) is the balancing figure of each entity's
  translated trial balance, so every translated TB sums to exactly zero. It is also computed from
  its parts (:func:`cta_from_parts`): opening net assets × change in closing rate + month result
  × (closing − average) + equity movements × (closing − historical). The two agree within
  ½ minor unit per translated line (each line is rounded half-even once).

An entity whose functional currency is the presentation currency is taken at its local amounts.
Hyperinflationary economies (IAS 29 restatement before translation, ASC 830's highly
inflationary remeasurement) are out of scope: such an entity must be restated before it reaches
this module.

Rates are presentation units per one functional unit, at most 10 decimal places
(``NUMERIC(20,10)``). Translation multiplies integer minor units by the rate exactly (scaled
integer arithmetic, no float, no int64 overflow for amounts up to 10^15 minor units) and rounds
half-even per line; minor-unit exponents of the two currencies are honoured.

Worked example (a BRL subsidiary founded this month, USD presentation): share capital
-1,000.00 BRL at its historical rate 0.20 → -200.00 USD; revenue -300.00 BRL at the average
0.19 → -57.00 USD; cash 1,300.00 BRL at the closing 0.18 → 234.00 USD. The translated lines sum
to -23.00, so the CTA plug is +23.00 USD (a debit: the real weakened). From its parts: equity
movement -1,000.00 × (0.18 − 0.20) = +20.00 plus the month's result -300.00 × (0.18 − 0.19) =
+3.00, with no opening net assets: +23.00 USD.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd

from close.engine._kernels import (
    TextCodes,
    categorical_text,
    combine_codes,
    drop_unused,
    encode_text,
    is_categorical,
    sum_by_code,
)
from close.engine.chart import INCOME_STATEMENT_CLASSES, Chart, SystemRole
from close.engine.frames import frame_from_rows
from close.engine.money import ONE, ZERO, exponent, round_half_even_div
from close.engine.periods import parse_period
from close.engine.types import AccountCode, Currency, EntityId, Period
from close.errors import InputDataError

# Rates are stored with 10 decimals; folding a minor-unit exponent difference in (KWD → USD) can
# add up to two more, so the internal scale is 10^12.
RATE_DECIMALS = 12
RATE_SCALE = 10**RATE_DECIMALS
_HALF = RATE_SCALE // 2
_INT64_SAFE = 2**62
# Decimal arithmetic for the CTA parts: 1e15 minor units × 1e10-scaled rates need ~40 digits.
_EXACT = decimal.Context(prec=80, rounding=decimal.ROUND_HALF_EVEN)
PPA_BOOK = "#ppa"  # counterparty prefix of pushed-down PPA lines (ids cannot contain '#')

# The translated lines; the text columns (and ``book``) are categoricals with sorted categories.
TRANSLATED_COLUMNS: tuple[str, ...] = (
    "entity",
    "account",
    "std_account",
    "counterparty",
    "cost_center",
    "department",
    "local_closing",
    "local_movement",
    "rate",
    "rate_type",
    "translated",
    "translated_movement",
)
# The text columns translation reads (a caller may hand over their codes).
TEXT_COLUMNS: tuple[str, ...] = TRANSLATED_COLUMNS[:6]
CTA_COLUMNS: tuple[str, ...] = ("entity", "plug", "from_parts", "difference", "tolerance")

# How each line is translated.
_CLOSING, _OVERRIDE, _FLOW, _CARRIED, _LOCAL = 0, 1, 2, 3, 4


@dataclass(frozen=True, slots=True)
class PeriodRates:
    """The period's rates: presentation units per one functional unit.

    The presentation currency itself is implicitly 1; a missing currency is an error naming it.
    ``opening`` (the prior period's closing rates) is optional: it widens the band of rates
    that explain an intercompany difference and dates the first period's balance-sheet movements.
    """

    closing: Mapping[Currency, Decimal]
    average: Mapping[Currency, Decimal]
    opening: Mapping[Currency, Decimal] = field(default_factory=dict)
    # Rates of dates inside or before the period that intragroup balances were booked at (the
    # declaration dates of open dividends): they widen the band that explains a pair's difference.
    spot: Mapping[Currency, tuple[Decimal, ...]] = field(default_factory=dict)

    def rate(
        self, kind: str, currency: Currency, presentation: Currency, *, entity: EntityId | None = None
    ) -> Decimal:
        """Return the ``closing``, ``average`` or ``opening`` rate of a currency.

        Args:
            kind: ``closing``, ``average`` or ``opening``.
            currency: the functional currency.
            presentation: the presentation currency (rate 1).
            entity: the entity asking, for the error message.

        Returns:
            The positive rate.

        Raises:
            InputDataError: when the rate is missing or not positive, naming currency and entity.

        """
        if currency == presentation:
            return ONE
        table = {"closing": self.closing, "average": self.average, "opening": self.opening}[kind]
        value = table.get(currency)
        if value is None:
            raise InputDataError(
                f"no {kind} rate for {currency} to {presentation}",
                entity=entity,
                field=f"{kind} rate {currency}",
            )
        if not isinstance(value, Decimal) or not value.is_finite() or value <= ZERO:
            raise InputDataError(
                f"the {kind} rate for {currency} must be a positive Decimal, got {value!r}",
                entity=entity,
                field=f"{kind} rate {currency}",
            )
        return value


@dataclass(frozen=True, slots=True)
class OpeningBalances:
    """The translated closing of the month before the first period (used for that period only).

    ``translated``: entity, std_account, counterparty, translated (int64 presentation minor units)
    for equity accounts (the CTA included) and income-statement accounts (YTD).
    ``historical_rates``: per (entity, standard account), e.g. share capital at the contribution
    rate; valid for every period.
    """

    translated: pd.DataFrame
    historical_rates: Mapping[tuple[EntityId, AccountCode], Decimal] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Translation:
    """The translated lines (``TRANSLATED_COLUMNS`` plus ``book``) and the per-entity CTA check.

    ``entity_codes``, ``std_codes`` and ``book_codes`` code the translated lines' entity,
    standard account and book, row for row, so later stages group them without hashing the text again.
    """

    translated: pd.DataFrame
    cta: pd.DataFrame
    entity_codes: TextCodes | None = field(default=None, repr=False)
    std_codes: TextCodes | None = field(default=None, repr=False)
    book_codes: TextCodes | None = field(default=None, repr=False)


def scale_rate(rate: Decimal, what: str) -> int:
    """Return ``rate × 10^12`` as an exact integer.

    Args:
        rate: a positive Decimal with at most 12 decimal places.
        what: the rate's name for the error message (currency, entity, account).

    Returns:
        The scaled integer.

    Raises:
        InputDataError: for a rate that is not positive or has more than 12 decimal places.

    """
    if not isinstance(rate, Decimal) or not rate.is_finite() or rate <= ZERO:
        raise InputDataError(f"rate {rate!r} must be a positive Decimal", field=what)
    scaled = rate.scaleb(RATE_DECIMALS)
    if scaled != scaled.to_integral_value():
        raise InputDataError(f"rate {rate} has more than {RATE_DECIMALS} decimal places", field=what)
    return int(scaled)


def multiply_exact(minor: np.ndarray, scaled_rate: np.ndarray) -> np.ndarray:
    """Multiply int64 minor units by scaled rates exactly, rounding half-even per element.

    A float64 estimate of the quotient only guides the integer arithmetic: four roundings of
    relative error 2^-53 each on a quotient below 2^62 put it within 2,049 of the exact one. The
    exact product less the estimate × 10^12 is then below 2^63 in magnitude, so it is computed
    modulo 2^64 in unsigned integers (well defined, and exact because the true value fits); its
    floor division by 10^12 corrects the estimate, and the remainder decides the rounding (ties
    to even). No float reaches the result; it is checked against Decimal up to the int64 bound.

    Args:
        minor: int64 amounts.
        scaled_rate: int64 rates × 10^12 (positive), same shape (or broadcastable).

    Returns:
        int64 ``round_half_even(minor × rate)``.

    Raises:
        OverflowError: when a result could not be held in int64.

    """
    a = np.asarray(minor, dtype=np.int64)
    r = np.broadcast_to(np.asarray(scaled_rate, dtype=np.int64), a.shape)
    if a.size == 0:
        return a.copy()
    amax = max(abs(int(a.max())), abs(int(a.min())))
    rmax = int(r.max())
    if amax >= _INT64_SAFE or rmax >= _INT64_SAFE or amax * rmax // RATE_SCALE >= _INT64_SAFE:
        raise OverflowError(f"translating {amax} minor units at {rmax}/1e12 overflows int64")
    estimate = np.floor(a * (r / RATE_SCALE)).astype(np.int64)
    wrapped = a.view(np.uint64) * r.astype(np.uint64) - estimate.view(np.uint64) * np.uint64(RATE_SCALE)
    carry, rem = np.divmod(wrapped.view(np.int64), RATE_SCALE)
    q = estimate + carry
    # Up when past the half, or on the half with q odd (ties to even): rem + (q & 1) > half.
    return q + ((rem + (q & 1)) > _HALF)


def translate_amount(minor: int, rate: Decimal, from_currency: Currency, to_currency: Currency) -> int:
    """Translate one amount of minor units exactly (Python ints), half-even.

    Args:
        minor: the amount in minor units of ``from_currency``.
        rate: ``to_currency`` units per one ``from_currency`` unit.
        from_currency: the functional currency (for its minor-unit exponent).
        to_currency: the presentation currency (for its minor-unit exponent).

    Returns:
        The translated amount in minor units of ``to_currency``.

    """
    shift = exponent(to_currency) - exponent(from_currency)
    num, den = _ratio(rate)
    num *= minor
    if shift >= 0:
        num *= 10**shift
    else:
        den *= 10 ** (-shift)
    return round_half_even_div(num, den)


def _ratio(value: Decimal) -> tuple[int, int]:
    """Return an exact (numerator, positive denominator) of a finite Decimal."""
    num, den = value.as_integer_ratio()
    return num, den


def _exponent_shift_rate(rate: Decimal, functional: Currency, presentation: Currency) -> Decimal:
    """Fold the minor-unit exponents into the rate, so minor × rate gives presentation minor."""
    shift = exponent(presentation) - exponent(functional)
    return rate.scaleb(shift) if shift else rate


def _round_decimal(value: Decimal) -> int:
    """Round an exact Decimal to an integer, half-even."""
    return int(value.to_integral_value(rounding=decimal.ROUND_HALF_EVEN, context=_EXACT))


_Columns = Mapping[str, np.ndarray]


def _pair_keys(
    cur: _Columns, pri: _Columns, parts: Iterable[str], widths: Mapping[str, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Combine code columns into one int64 key per row, the same key space for both periods."""
    parts = list(parts)
    span = 1
    for c in parts:
        span *= max(widths[c], 1)
    if span < _INT64_SAFE:
        out = []
        for side in (cur, pri):
            key = np.zeros(len(side[parts[0]]), dtype=np.int64)
            for c in parts:
                key *= max(widths[c], 1)
                key += side[c]
            out.append(key)
        return out[0], out[1]
    n = len(cur[parts[0]])
    key = combine_codes(*((np.concatenate((cur[c], pri[c])), widths[c]) for c in parts))
    return key[:n], key[n:]


def _dense_keys(
    cur: _Columns, pri: _Columns, parts: Iterable[str], widths: Mapping[str, int]
) -> tuple[np.ndarray, np.ndarray, int]:
    """Return the distinct combinations of some code columns over both periods as ``0..k-1``, and ``k``.

    Combinations are built column by column and renumbered whenever their space outgrows a
    table of flags (entities × accounts × counterparties is sparse), so no sort is needed.
    """
    parts = list(parts)
    kc, kp = cur[parts[0]].copy(), pri[parts[0]].copy()
    space = max(widths[parts[0]], 1)
    limit = (len(kc) + len(kp)) // 8 + 65536  # tables stay small next to the rows
    for c in parts[1:]:
        width = max(widths[c], 1)
        if space * width > limit:
            seen = np.zeros(space, dtype=bool)
            seen[kc] = True
            seen[kp] = True
            rank = np.cumsum(seen) - 1
            kc, kp, space = rank[kc], rank[kp], int(seen.sum())
        if space * width > limit:  # still too wide for flags: sort instead
            both = np.concatenate((kc * width + cur[c], kp * width + pri[c]))
            uniq, inverse = np.unique(both, return_inverse=True)
            kc, kp, space = inverse[: len(kc)], inverse[len(kc) :], len(uniq)
            continue
        kc *= width  # kc and kp are this function's own arrays: update them in place
        kc += cur[c]
        kp *= width
        kp += pri[c]
        space *= width
    return kc.astype(np.int64, copy=False), kp.astype(np.int64, copy=False), space


@dataclass(frozen=True, slots=True)
class _Match:
    """How the current lines take over the prior period's translated totals."""

    prior_alloc: np.ndarray  # per current line: the prior translated amount it carries on
    has_prior_key: np.ndarray  # per current line: its (entity, account, counterparty) was in the prior
    carry_rows: np.ndarray  # prior rows (first of each key with no current line), in prior order
    carry_totals: np.ndarray  # their keys' prior totals


def _match_prior(
    cur_key: np.ndarray,
    pri_key: np.ndarray,
    n_keys: int,
    cur_line: np.ndarray,
    pri_line: np.ndarray,
    pri_t: np.ndarray,
) -> _Match:
    """Allocate the prior totals to the current lines.

    Each prior line's total goes to its first current line, the rest of each key's total to the
    key's first current line. Keys are dense numbers (sums by table). Current lines are grouped
    by one stable sort of their line keys (the head of a group is its first current line); a
    prior row goes to the head of the current row at its position when their lines agree (last
    period's TB in the same order), else its line is looked up in the sorted keys.
    """
    n, p = len(cur_key), len(pri_key)
    matched = np.zeros(n, dtype=np.int64)
    if n and p:
        order = np.argsort(cur_line, kind="stable")
        sorted_line = cur_line[order]
        new = np.empty(n, dtype=bool)
        new[0] = True
        np.not_equal(sorted_line[1:], sorted_line[:-1], out=new[1:])
        m = min(n, p)
        target = np.full(p, -1, dtype=np.int64)  # the current row that takes a prior row
        aligned = pri_line[:m] == cur_line[:m]
        # The head (first current row) of each row's line: the row itself for a unique line.
        if new.all():  # every line once, the usual TB: no lookup of heads
            head_sorted = order
            target[:m] = np.where(aligned, np.arange(m), -1)
        else:
            head_sorted = order[new][np.cumsum(new) - 1]
            head = np.empty(n, dtype=np.int64)
            head[order] = head_sorted
            target[:m] = np.where(aligned, head[:m], -1)
        rest = np.flatnonzero(target < 0)
        if len(rest):
            pos = np.minimum(np.searchsorted(sorted_line, pri_line[rest]), n - 1)
            hit = sorted_line[pos] == pri_line[rest]
            target[rest[hit]] = head_sorted[pos[hit]]
        if len(rest) and not hit.all():
            found = target >= 0
            np.add.at(matched, target[found], pri_t[found])
        elif not len(rest) and new.all():
            matched[:p] = pri_t  # every prior row lands on the current row at its position
        else:
            np.add.at(matched, target, pri_t)

    key_total = sum_by_code(pri_key, pri_t, n_keys)
    pri_count = np.bincount(pri_key, minlength=n_keys)
    cur_count = np.bincount(cur_key, minlength=n_keys)
    first_cur = np.full(n_keys, n, dtype=np.int64)
    np.minimum.at(first_cur, cur_key, np.arange(n, dtype=np.int64))
    matched_key = sum_by_code(cur_key, matched, n_keys)
    has_cur = cur_count > 0
    prior_alloc = matched
    prior_alloc[first_cur[has_cur]] += key_total[has_cur] - matched_key[has_cur]
    has_prior_key = pri_count[cur_key] > 0
    carried = np.flatnonzero(~has_cur & (pri_count > 0))
    first_pri = np.full(n_keys, p, dtype=np.int64)
    np.minimum.at(first_pri, pri_key, np.arange(p, dtype=np.int64))
    carried = carried[np.argsort(first_pri[carried], kind="stable")]
    return _Match(prior_alloc, has_prior_key, first_pri[carried], key_total[carried])


@dataclass(frozen=True, slots=True)
class _Prior:
    """The prior translated lines (or opening balances) as aligned arrays."""

    text: dict[str, np.ndarray | pd.Series]  # TEXT_COLUMNS ("" where the source lacks one)
    translated: np.ndarray  # int64
    is_plug: np.ndarray  # bool: a CTA plug row
    local_closing: pd.Series | None  # int or missing, when the source has it
    from_result: bool  # a ConsolidationResult (its closing-rate lines are present)




def _prior_arrays(
    prior: pd.DataFrame | None, opening: OpeningBalances | None, cta_code: AccountCode
) -> _Prior:
    """Bring the prior translated frame or the opening balances into one shape."""
    if prior is not None:
        need = ("entity", "std_account", "counterparty", "translated", "rate_type")
        missing = [c for c in need if c not in prior.columns]
        if missing:
            raise InputDataError(f"the prior translated frame lacks columns {missing}", field="prior")
        frame = prior
        is_plug = prior["rate_type"].eq("cta").to_numpy()
        from_result = True
    elif opening is not None:
        frame = opening.translated
        need = ("entity", "std_account", "counterparty", "translated")
        missing = [c for c in need if c not in frame.columns]
        if missing:
            raise InputDataError(f"the opening balances lack columns {missing}", field="opening")
        is_plug = frame["std_account"].astype(str).eq(cta_code).to_numpy()
        from_result = False
    else:
        return _Prior(
            {c: np.zeros(0, dtype=object) for c in TEXT_COLUMNS},
            np.zeros(0, dtype=np.int64),
            np.zeros(0, dtype=bool),
            None,
            False,
        )
    n = len(frame)
    text = {c: frame[c] if c in frame.columns else np.full(n, "", dtype=object) for c in TEXT_COLUMNS}
    local = frame["local_closing"] if "local_closing" in frame.columns else None
    return _Prior(text, frame["translated"].to_numpy(dtype=np.int64), np.asarray(is_plug, dtype=bool), local,
                  from_result)


def _rows_of(column: pd.Series | None, rows: np.ndarray) -> np.ndarray | None:
    """Return some rows of an optional column as objects (None without the column)."""
    return None if column is None else column.iloc[rows].to_numpy(dtype=object)


def _local_sums(codes: np.ndarray, values: np.ndarray | None, size: int) -> list[int | None]:
    """Sum object local amounts by code; None for a group with a missing one (or no column)."""
    if values is None:
        return [None] * size
    absent = pd.isna(values)
    sums = sum_by_code(codes, np.where(absent, 0, values).astype(np.int64), size)
    gaps = sum_by_code(codes, absent.astype(np.int64), size)
    return [None if gaps[k] else int(sums[k]) for k in range(size)]


def translate_balances(
    lines: pd.DataFrame,
    *,
    currencies: Mapping[EntityId, Currency],
    chart: Chart,
    rates: PeriodRates,
    presentation_currency: Currency,
    period: Period,
    fiscal_year_start: int,
    prior: pd.DataFrame | None,
    opening: OpeningBalances | None,
    opening_rate_defaults: Mapping[tuple[EntityId, AccountCode, str], Decimal] | None = None,
    codes: Mapping[str, TextCodes] | None = None,
    spot_portions: Mapping[tuple[EntityId, AccountCode, str], Sequence[tuple[int, Decimal]]] | None = None,
) -> Translation:
    """Translate every entity's lines and compute each entity's CTA, as a plug and from its parts.

    The steps, each a function below: code the lines of both periods → classify each line by its
    rate (IAS 21.39) → match the prior period's translated balances → the year-end roll of the
    prior year's result into retained earnings → one exact multiply → the prior keys without a
    line this month → the CTA plug (IAS 21.41) → the CTA from its parts, against the plug.

    Args:
        lines: MAPPED_TB_COLUMNS (int64 local minor units), optionally with pushed-down PPA lines
            (counterparty starting with ``#ppa``), all entities.
        currencies: each entity's functional currency.
        chart: the standard chart (class, rate_type, system_role of each account).
        rates: the period's closing and average rates.
        presentation_currency: the group's presentation currency.
        period: ``YYYY-MM``.
        fiscal_year_start: the month (1..12) the fiscal year starts.
        prior: the prior period's ``Translation.translated`` (None for the first period).
        opening: the opening balances (first period) and historical-rate overrides.
        opening_rate_defaults: rates that translate a line's local opening when neither
            ``prior`` nor ``opening`` has it (used for pushed-down PPA lines only).
        codes: the caller's ``encode_text`` codes of some of the text columns of ``lines``
            (entity, std_account, counterparty, account, cost_center, department), row for row.
        spot_portions: parts of this month's movement of a flow line that are translated at
            their own date's rate instead of the average, per (entity, standard account,
            counterparty) as (local minor units, rate); a dividend at its declaration date
            (``close.engine.dividends``). The line with that counterparty takes them, else the
            account's first line.

    Returns:
        The translated lines (one CTA plug row per entity and book), the CTA check frame, and
        the codes of the translated lines' entity and standard account.

    Raises:
        InputDataError: for a missing rate, an unknown entity or account, or an opening balance
            that has no translated counterpart.

    """
    cta_code = chart.by_role(SystemRole.CTA)
    re_code = chart.by_role(SystemRole.RETAINED_EARNINGS)
    opens_year = parse_period(period)[1] == fiscal_year_start
    current, opening_local, closing_local = _code_current_lines(lines, codes, currencies, chart.accounts)
    prior_source = _prior_arrays(prior, opening, cta_code)
    current, prior_codes = _code_prior_lines(lines, current, prior_source, currencies)
    entity_rates = _entity_rates(current["entity"].uniques, currencies, rates, presentation_currency)
    current, added = _add_synthesized_codes(current, re_code, cta_code)
    scope = _Scope(currencies, presentation_currency, opens_year, current["entity"].uniques,
                   current["std_account"].uniques, current["counterparty"].uniques, entity_rates)  # fmt: skip
    kinds = _account_kinds(chart.accounts, scope)
    prior_lines = _prior_lines(prior_source, prior_codes, kinds)

    roll = _prior_year_result(prior_lines, kinds, scope)
    tb = _add_retained_earnings_lines(current, kinds, added, roll, opening_local, closing_local)
    historical = dict(opening.historical_rates) if opening is not None else {}
    classes = _classify_lines(tb, kinds, added, scope, historical)
    match, kept_prior_rows = _match_prior_period(tb, prior_lines, prior_codes, current)
    targets = _roll_targets(classes, roll, match.has_prior_key, tb.opening_local, scope)
    prior_alloc = _translated_openings(match, classes, tb, targets, scope, rates=rates,
                                       defaults=dict(opening_rate_defaults or {}),
                                       prior_from_result=prior_source.from_result)  # fmt: skip
    movement = _apply_year_end_roll(prior_alloc, classes, tb, prior_lines, roll, targets, added, scope)
    translated = _multiply_exact_lines(classes, tb, movement, prior_alloc, scope)
    spot_parts: dict[EntityId, tuple[Decimal, int]] = {}
    if spot_portions:
        spot_parts = _translate_spot_portions(
            spot_portions, translated=translated, mov_adj=movement, method=classes.method,
            ent=classes.entity, std=classes.std_account, cp=tb.codes["counterparty"],
            ent_uniq=scope.entities, std_uniq=scope.std_accounts, cp_uniq=scope.counterparties,
            ent_rates=entity_rates.quoted, currencies=currencies, presentation_currency=presentation_currency,
        )
    translated_movement = translated - prior_alloc
    carried = _prior_keys_without_lines(match, kept_prior_rows, prior_lines, kinds, classes, scope)
    plugs = _cta_plugs(classes, translated, carried, prior_lines, scope)
    frame, out_entity, out_std, books = _translated_frame(
        current, added, classes, tb, movement, translated, translated_movement, carried, plugs, scope
    )
    cta = _cta_from_parts(classes, tb, movement, translated_movement, prior_lines, prior_source.from_result,
                          kinds, plugs, scope, spot_parts)  # fmt: skip
    return Translation(
        translated=frame,
        cta=cta,
        entity_codes=TextCodes(out_entity, scope.entities),
        std_codes=TextCodes(out_std, scope.std_accounts),
        book_codes=books,
    )


# --- Step 1: code the lines of both periods ------------------------------------------------------


def _code_current_lines(
    lines: pd.DataFrame,
    codes: Mapping[str, TextCodes] | None,
    currencies: Mapping[EntityId, Currency],
    accounts: pd.DataFrame,
) -> tuple[dict[str, TextCodes], np.ndarray, np.ndarray]:
    """Code this period's text columns and check every entity and account is known.

    Returns:
        The codes of ``TEXT_COLUMNS`` (the caller's where given), the local opening and the
        local closing (int64 minor units).

    Raises:
        ValueError: when the caller's codes do not have one row per line.
        InputDataError: for an entity not in the group or an account not in the chart.

    """
    n_in = len(lines)
    current = {c: (codes or {}).get(c) or encode_text(lines[c]) for c in TEXT_COLUMNS}
    for c, tc in current.items():
        if len(tc.codes) != n_in:
            raise ValueError(f"codes of column {c} have {len(tc.codes)} rows, the lines {n_in}")
    opening_local = lines["opening"].to_numpy(dtype=np.int64)
    closing_local = lines["closing"].to_numpy(dtype=np.int64)
    _check_known(current, currencies, accounts)
    return current, opening_local, closing_local


def _code_prior_lines(
    lines: pd.DataFrame, current: dict[str, TextCodes], prior: _Prior, currencies: Mapping[EntityId, Currency]
) -> tuple[dict[str, TextCodes], dict[str, TextCodes]]:
    """Code the prior lines over the same uniques as this period's, so a code means one text.

    Returns:
        This period's codes (uniques widened by the prior's texts, entities pruned to those with
        a line in either period) and the prior's codes.

    Raises:
        InputDataError: when the prior balances name an entity that is not in the group.

    """
    current = dict(current)
    prior_codes: dict[str, TextCodes] = {}
    for c in TEXT_COLUMNS:
        # Last period's object column mostly repeats this period's rows: compare before hashing.
        values = prior.text[c]
        aligned = None if is_categorical(values) or is_categorical(lines[c]) else (
            lines[c].to_numpy(dtype=object), current[c].codes)
        prior_codes[c] = encode_text(values, uniques=current[c].uniques, aligned=aligned)
        current[c] = TextCodes(current[c].codes, prior_codes[c].uniques, current[c].missing)
    # Entities are looped over (rates, CTA rows): keep only those with a line in either period.
    current["entity"], prior_codes["entity"] = drop_unused(current["entity"], prior_codes["entity"])
    unknown_prior = sorted({str(u) for u in current["entity"].uniques} - set(currencies))
    if unknown_prior:
        raise InputDataError(
            f"prior balances name entity {unknown_prior[0]!r}, which is not in the group",
            entity=unknown_prior[0],
            field="prior",
        )
    return current, prior_codes


@dataclass(frozen=True, slots=True)
class _EntityRates:
    """Each entity's closing and average rate, by entity code where an array."""

    entity_ids: list[EntityId]  # the entities with a line in either period, sorted
    quoted: dict[EntityId, tuple[Decimal, Decimal]]  # (closing, average) as quoted
    presentation_entities: set[EntityId]  # functional currency = presentation currency
    is_presentation: np.ndarray  # bool per entity code
    closing_scaled: np.ndarray  # int64 per entity code: closing × 10^12, minor-unit shift folded in
    average_scaled: np.ndarray  # int64 per entity code: average × 10^12, minor-unit shift folded in
    closing_text: np.ndarray  # the quoted closing rate as text (the output's ``rate`` column)
    average_text: np.ndarray  # the quoted average rate as text


def _entity_rates(
    entities: np.ndarray, currencies: Mapping[EntityId, Currency], rates: PeriodRates, presentation: Currency
) -> _EntityRates:
    """Look up each entity's closing (IAS 21.39(a)) and average (IAS 21.40) rate and scale them.

    Raises:
        InputDataError: for a missing or non-positive rate, or one with more than 12 decimals.

    """
    entity_ids = sorted(str(u) for u in entities)
    quoted: dict[EntityId, tuple[Decimal, Decimal]] = {}
    for e in entity_ids:
        ccy = currencies[e]
        closing = rates.rate("closing", ccy, presentation, entity=e)
        average = rates.rate("average", ccy, presentation, entity=e)
        scale_rate(closing, f"closing rate {ccy}")
        scale_rate(average, f"average rate {ccy}")
        quoted[e] = (closing, average)
    presentation_entities = {e for e in entity_ids if currencies[e] == presentation}
    closing_scaled, average_scaled = (
        np.array(
            [
                scale_rate(_exponent_shift_rate(quoted[u][j], currencies[u], presentation), f"{kind} {u}")
                for u in entities
            ],
            dtype=np.int64,
        )
        for j, kind in ((0, "closing"), (1, "average"))
    )
    return _EntityRates(
        entity_ids=entity_ids,
        quoted=quoted,
        presentation_entities=presentation_entities,
        is_presentation=np.array([u in presentation_entities for u in entities], dtype=bool),
        closing_scaled=closing_scaled,
        average_scaled=average_scaled,
        closing_text=np.array([str(quoted[u][0]) for u in entities], dtype=object),
        average_text=np.array([str(quoted[u][1]) for u in entities], dtype=object),
    )


@dataclass(frozen=True, slots=True)
class _AddedCodes:
    """Codes of the texts translation writes itself: retained-earnings lines and CTA plug rows."""

    empty_account: int
    retained_earnings: int  # the chart's retained-earnings account
    cta: int  # the chart's CTA account
    empty_counterparty: int
    ppa_book: int  # the counterparty (and book) of pushed-down PPA lines
    empty_cost_center: int
    empty_department: int


def _add_synthesized_codes(
    current: dict[str, TextCodes], re_code: AccountCode, cta_code: AccountCode
) -> tuple[dict[str, TextCodes], _AddedCodes]:
    """Give the texts of synthesized lines a code (appended to the uniques where absent)."""
    current = dict(current)
    current["account"], empty_account = current["account"].with_value("")
    current["std_account"], re_std = current["std_account"].with_value(re_code)
    current["std_account"], cta_std = current["std_account"].with_value(cta_code)
    current["counterparty"], empty_cp = current["counterparty"].with_value("")
    current["counterparty"], ppa_cp = current["counterparty"].with_value(PPA_BOOK)
    current["cost_center"], empty_cc = current["cost_center"].with_value("")
    current["department"], empty_dp = current["department"].with_value("")
    return current, _AddedCodes(empty_account, re_std, cta_std, empty_cp, ppa_cp, empty_cc, empty_dp)


@dataclass(frozen=True, slots=True)
class _Scope:
    """What every step reads: the group's currencies, the code vocabularies and the rates."""

    currencies: Mapping[EntityId, Currency]
    presentation: Currency
    opens_year: bool  # this period is the first month of a fiscal year
    entities: np.ndarray  # entity code → entity id
    std_accounts: np.ndarray  # standard-account code → account
    counterparties: np.ndarray  # counterparty code → counterparty
    rates: _EntityRates

    @property
    def n_entities(self) -> int:
        """The number of entity codes."""
        return len(self.entities)

    @property
    def n_std(self) -> int:
        """The number of standard-account codes."""
        return len(self.std_accounts)


@dataclass(frozen=True, slots=True)
class _AccountKinds:
    """What the chart says about each code: how an account is translated, which book a line is in."""

    is_flow: np.ndarray  # per std code: income statement or dividends (average rate, YTD, rolled)
    is_closing: np.ndarray  # per std code: rate_type ``closing`` (monetary and other net assets)
    is_ppa_book: np.ndarray  # per counterparty code: a pushed-down PPA line (book ``#ppa``)


def _account_kinds(accounts: pd.DataFrame, scope: _Scope) -> _AccountKinds:
    """Read the chart once per distinct account: flows (IAS 21.39(b)) and closing-rate accounts."""
    flow_accounts = set(
        accounts.index[
            accounts["class"].isin(INCOME_STATEMENT_CLASSES)
            | (accounts["system_role"] == SystemRole.DIVIDENDS.value)
        ]
    )
    rate_type = accounts["rate_type"]
    return _AccountKinds(
        is_flow=np.array([u in flow_accounts for u in scope.std_accounts], dtype=bool),
        is_closing=np.array([rate_type.get(u) == "closing" for u in scope.std_accounts], dtype=bool),
        is_ppa_book=np.array(
            [isinstance(u, str) and u.startswith(PPA_BOOK) for u in scope.counterparties], dtype=bool
        ),
    )


@dataclass(frozen=True, slots=True)
class _PriorLines:
    """The prior period's translated lines (or the opening balances) as code arrays."""

    entity: np.ndarray  # entity code per prior line
    std_account: np.ndarray  # standard-account code per prior line
    counterparty: np.ndarray  # counterparty code per prior line
    translated: np.ndarray  # int64 presentation minor units
    is_plug: np.ndarray  # bool: a CTA plug row
    entity_book: np.ndarray  # entity code × 2 + 1 for the PPA book
    local_closing: pd.Series | None  # the prior's local closing, when it has one


def _prior_lines(prior: _Prior, prior_codes: Mapping[str, TextCodes], kinds: _AccountKinds) -> _PriorLines:
    """Gather the prior's codes and amounts into one record."""
    entity, counterparty = prior_codes["entity"].codes, prior_codes["counterparty"].codes
    return _PriorLines(
        entity=entity,
        std_account=prior_codes["std_account"].codes,
        counterparty=counterparty,
        translated=prior.translated,
        is_plug=prior.is_plug,
        entity_book=entity * 2 + kinds.is_ppa_book[counterparty],
        local_closing=prior.local_closing,
    )


# --- Step 2: the year-end roll's amounts and the retained-earnings lines that take it -----------


@dataclass(frozen=True, slots=True)
class _YearEndRoll:
    """The prior fiscal year's translated result and dividends, per (entity, book) code."""

    translated: dict[int, int]  # (entity, book) code → the YTD flows translated, in prior order
    local: dict[int, int | None]  # the same in local minor units (None when the prior lacks them)


def _prior_year_result(prior: _PriorLines, kinds: _AccountKinds, scope: _Scope) -> _YearEndRoll:
    """Sum the prior year's income statement and dividends that roll into retained earnings.

    At the first month of a fiscal year the prior year's translated result (its YTD flows, at
    the average rates they were translated at, IAS 21.40) closes into retained earnings once; in
    any other month there is nothing to roll.
    """
    translated: dict[int, int] = {}
    local: dict[int, int | None] = {}
    if scope.opens_year and len(prior.translated):
        books = 2 * scope.n_entities
        flows = np.flatnonzero(kinds.is_flow[prior.std_account] & ~prior.is_plug)
        book_of_flow = prior.entity_book[flows]
        sums = sum_by_code(book_of_flow, prior.translated[flows], books)
        local_sums = _local_sums(book_of_flow, _rows_of(prior.local_closing, flows), books)
        first = np.full(books, len(flows), dtype=np.int64)
        np.minimum.at(first, book_of_flow, np.arange(len(flows)))
        has_flow = first < len(flows)
        for k in np.flatnonzero(has_flow)[np.argsort(first[has_flow], kind="stable")]:
            translated[int(k)] = int(sums[k])
            local[int(k)] = local_sums[k]
    return _YearEndRoll(translated, local)


@dataclass(frozen=True, slots=True)
class _TrialBalance:
    """The period's lines as codes and local amounts, with synthesized retained-earnings lines last."""

    codes: dict[str, np.ndarray]  # TEXT_COLUMNS codes per line
    opening_local: np.ndarray  # int64 local minor units
    closing_local: np.ndarray  # int64 local minor units


def _add_retained_earnings_lines(
    current: Mapping[str, TextCodes],
    kinds: _AccountKinds,
    added: _AddedCodes,
    roll: _YearEndRoll,
    opening_local: np.ndarray,
    closing_local: np.ndarray,
) -> _TrialBalance:
    """Add a zero retained-earnings line for each (entity, book) that has a roll but no such line."""
    entity, std, counterparty = (current[c].codes for c in ("entity", "std_account", "counterparty"))
    is_re = std == added.retained_earnings
    have_re = set((entity[is_re] * 2 + kinds.is_ppa_book[counterparty[is_re]]).tolist())
    missing = [k for k in roll.translated if k not in have_re]
    codes = {c: current[c].codes for c in TEXT_COLUMNS}
    if missing:
        k = np.array(missing, dtype=np.int64)
        extra = {
            "entity": k // 2,
            "std_account": np.full(len(k), added.retained_earnings, dtype=np.int64),
            "counterparty": np.where(k % 2 == 1, added.ppa_book, added.empty_counterparty).astype(np.int64),
            "account": np.full(len(k), added.empty_account, dtype=np.int64),
            "cost_center": np.full(len(k), added.empty_cost_center, dtype=np.int64),
            "department": np.full(len(k), added.empty_department, dtype=np.int64),
        }
        codes = {c: np.concatenate((codes[c], extra[c])) for c in TEXT_COLUMNS}
        opening_local = np.concatenate((opening_local, np.zeros(len(k), dtype=np.int64)))
        closing_local = np.concatenate((closing_local, np.zeros(len(k), dtype=np.int64)))
    return _TrialBalance(codes, opening_local, closing_local)


# --- Step 3: classify each line by the rate that translates it ----------------------------------


@dataclass(frozen=True, slots=True)
class _LineClasses:
    """Per line: its translation method and what decides it."""

    entity: np.ndarray  # entity code
    std_account: np.ndarray  # standard-account code
    is_ppa: np.ndarray  # in the pushed-down PPA book
    is_flow: np.ndarray  # income statement or dividends
    is_retained_earnings: np.ndarray
    is_presentation: np.ndarray  # the entity's functional currency is the presentation currency
    movement: np.ndarray  # this month's local movement (the YTD closing of a flow at the year start)
    method: np.ndarray  # int8: _CLOSING, _OVERRIDE, _FLOW, _CARRIED or _LOCAL
    historical_pairs: np.ndarray  # the overrides that occur, as sorted entity × n_std + account
    historical_rates: list[Decimal]  # their rates, as quoted
    override_index: np.ndarray  # index into ``historical_pairs``, -1 without an override
    has_override: np.ndarray  # translated at a historical-rate override
    override_rate: np.ndarray  # int64 scaled override rate (0 without one)


def _classify_lines(
    tb: _TrialBalance,
    kinds: _AccountKinds,
    added: _AddedCodes,
    scope: _Scope,
    historical: Mapping[tuple[EntityId, AccountCode], Decimal],
) -> _LineClasses:
    """Decide how each line is translated (IAS 21.39-40, 21.48 for equity at historical rates).

    A presentation-currency entity's line is taken at its local amount; an override from the
    opening-balances file translates the whole balance at its historical rate; a flow takes the
    month's movement at the average rate (IAS 21.40); a closing-rate account its balance at the
    closing rate (IAS 21.39(a)); any other equity line carries its prior translation and takes
    this month's movement at the average rate.

    Raises:
        InputDataError: for an override rate with more than 12 decimals.

    """
    entity, std = tb.codes["entity"], tb.codes["std_account"]
    n = len(entity)
    is_flow = kinds.is_flow[std]
    is_presentation = scope.rates.is_presentation[entity]
    movement = tb.closing_local - tb.opening_local
    if scope.opens_year:
        movement = np.where(is_flow, tb.closing_local, movement)

    # Historical-rate overrides, looked up by (entity, account) code.
    pairs, pair_rates = _historical_pairs(historical, scope.entities, scope.std_accounts)
    override_index = _pair_hits(entity, std, scope.n_std, pairs)
    has_override = (override_index >= 0) & ~is_presentation
    override_rate = np.zeros(n, dtype=np.int64)
    if has_override.any():
        scaled = np.zeros(len(pairs), dtype=np.int64)
        for p in np.unique(override_index[has_override]):
            e = str(scope.entities[pairs[p] // scope.n_std])
            s = str(scope.std_accounts[pairs[p] % scope.n_std])
            rate = _exponent_shift_rate(pair_rates[p], scope.currencies[e], scope.presentation)
            scaled[p] = scale_rate(rate, f"historical rate {e}/{s}")
        override_rate[has_override] = scaled[override_index[has_override]]

    method = np.full(n, _CARRIED, dtype=np.int8)
    method[kinds.is_closing[std]] = _CLOSING
    method[is_flow] = _FLOW
    method[has_override] = _OVERRIDE
    method[is_presentation] = _LOCAL
    return _LineClasses(
        entity=entity,
        std_account=std,
        is_ppa=kinds.is_ppa_book[tb.codes["counterparty"]],
        is_flow=is_flow,
        is_retained_earnings=std == added.retained_earnings,
        is_presentation=is_presentation,
        movement=movement,
        method=method,
        historical_pairs=pairs,
        historical_rates=pair_rates,
        override_index=override_index,
        has_override=has_override,
        override_rate=override_rate,
    )


# --- Step 4: match the prior period's translated balances ---------------------------------------


def _match_prior_period(
    tb: _TrialBalance,
    prior: _PriorLines,
    prior_codes: Mapping[str, TextCodes],
    current: Mapping[str, TextCodes],
) -> tuple[_Match, np.ndarray]:
    """Carry each (entity, counterparty, account) key's prior translated total onto this period's lines.

    Key totals go to the first line of each key; lines that match a prior line on every text
    column take that line's amount first, so dimension-level movements stay meaningful.

    Returns:
        The match, and the prior rows it ran over (every row but the CTA plugs).

    """
    widths = {c: len(current[c].uniques) for c in TEXT_COLUMNS}
    kept_rows = np.flatnonzero(~prior.is_plug)
    # The plug rows of a prior result come last: then the kept rows are a slice, not a copy.
    leading = len(kept_rows) == 0 or kept_rows[-1] == len(kept_rows) - 1
    kept = slice(0, len(kept_rows)) if leading else kept_rows
    kept_codes = {c: prior_codes[c].codes[kept] for c in TEXT_COLUMNS}
    key_parts = ("entity", "counterparty", "std_account")
    current_key, prior_key, n_keys = _dense_keys(tb.codes, kept_codes, key_parts, widths)
    # Line keys ordered like a TB sorted by entity and account, so the sort meets long runs.
    current_line, prior_line = _pair_keys(
        tb.codes,
        kept_codes,
        ("entity", "account", "cost_center", "department", "counterparty", "std_account"),
        widths,
    )
    del kept_codes
    match = _match_prior(current_key, prior_key, n_keys, current_line, prior_line, prior.translated[kept])
    return match, kept_rows


# --- Step 5: the translated opening of each line, and the year-end roll -------------------------


@dataclass(frozen=True, slots=True)
class _RollTargets:
    """Where the year-end roll lands: the first retained-earnings line of each entity and book."""

    first_re: np.ndarray  # per (entity, book) code: the line taking the roll, the line count if none
    opened: np.ndarray  # per line: its local opening already is the roll (books closed the year)


def _roll_targets(
    classes: _LineClasses,
    roll: _YearEndRoll,
    has_prior_key: np.ndarray,
    opening_local: np.ndarray,
    scope: _Scope,
) -> _RollTargets:
    """Find the line of each (entity, book) that takes the year-end roll.

    Books that close the year into retained earnings may list it for the first time in the new
    year's first month (their prior TB had no such line): an opening equal to the roll is the
    roll, not a gap.
    """
    n = len(classes.entity)
    first_re = np.full(2 * scope.n_entities, n, dtype=np.int64)
    opened = np.zeros(n, dtype=bool)
    if roll.translated:
        re_rows = np.flatnonzero(classes.is_retained_earnings & (classes.method != _OVERRIDE))
        np.minimum.at(first_re, (classes.entity * 2 + classes.is_ppa)[re_rows], re_rows)
        for k, local_roll in roll.local.items():
            i = first_re[k]
            if i < n and not has_prior_key[i] and local_roll is not None:
                opened[i] = int(opening_local[i]) == local_roll
    return _RollTargets(first_re, opened)


def _translated_openings(
    match: _Match,
    classes: _LineClasses,
    tb: _TrialBalance,
    targets: _RollTargets,
    scope: _Scope,
    *,
    rates: PeriodRates,
    defaults: Mapping[tuple[EntityId, AccountCode, str], Decimal],
    prior_from_result: bool,
) -> np.ndarray:
    """Return each line's translated opening: what its translated movement is added to.

    The prior period's translated balance carries on (IAS 21.41: the translation difference of
    earlier periods stays in the CTA); a flow starts again from zero at the fiscal-year start. A
    line new this period must open at zero, or at a default rate (pushed-down PPA lines), at its
    historical-rate override, or — a presentation-currency entity — at its local amount. In the
    first period from an opening-balances file, closing-rate lines open at the prior closing rate.

    Raises:
        InputDataError: for a local opening balance with no translated counterpart.

    """
    method, has_prior_key = classes.method, match.has_prior_key
    opening_local = tb.opening_local
    rolled_flow = classes.is_flow & scope.opens_year
    prior_alloc = np.where(rolled_flow & (method != _OVERRIDE), 0, match.prior_alloc)
    needs = (~has_prior_key) & (~rolled_flow) & (~targets.opened) & (opening_local != 0)
    for i in np.flatnonzero(needs & ((method == _FLOW) | (method == _CARRIED))):
        e = str(scope.entities[classes.entity[i]])
        key = (e, str(scope.std_accounts[classes.std_account[i]]),
               str(scope.counterparties[tb.codes["counterparty"][i]]))
        if key not in defaults:
            raise InputDataError(
                f"local opening balance {opening_local[i]} has no translated opening balance "
                "(neither the prior period's translated balances nor the opening-balances file have it)",
                entity=e,
                account=f"{key[1]} counterparty {key[2]!r}",
                field="opening translated",
            )
        rate = _exponent_shift_rate(defaults[key], scope.currencies[e], scope.presentation)
        prior_alloc[i] = int(
            multiply_exact(np.array([opening_local[i]]), np.array([scale_rate(rate, str(key))]))[0]
        )
    override_missing = needs & (method == _OVERRIDE)
    if override_missing.any():
        prior_alloc = np.where(
            override_missing,
            multiply_exact(opening_local, np.where(override_missing, classes.override_rate, 0)),
            prior_alloc,
        )
    presentation_missing = (~has_prior_key) & classes.is_presentation
    prior_alloc = np.where(presentation_missing & ~rolled_flow, opening_local, prior_alloc)
    if not prior_from_result and rates.opening:
        prior_alloc = _open_at_prior_closing_rate(
            prior_alloc, classes, has_prior_key, opening_local, scope, rates
        )
    return prior_alloc


def _open_at_prior_closing_rate(
    prior_alloc: np.ndarray,
    classes: _LineClasses,
    has_prior_key: np.ndarray,
    opening_local: np.ndarray,
    scope: _Scope,
    rates: PeriodRates,
) -> np.ndarray:
    """First period from an opening file: date closing-rate movements at the prior closing rate."""
    new_closing = (~has_prior_key) & (classes.method == _CLOSING)
    if not new_closing.any():
        return prior_alloc
    opening_scaled = np.zeros(scope.n_entities, dtype=np.int64)
    for k, u in enumerate(scope.entities):
        if u in scope.rates.presentation_entities or scope.currencies[u] not in rates.opening:
            continue
        o = rates.rate("opening", scope.currencies[u], scope.presentation, entity=u)
        opening_scaled[k] = scale_rate(_exponent_shift_rate(o, scope.currencies[u], scope.presentation), u)
    line_rate = opening_scaled[classes.entity]
    return np.where(new_closing & (line_rate > 0), multiply_exact(opening_local, line_rate), prior_alloc)


def _apply_year_end_roll(
    prior_alloc: np.ndarray,
    classes: _LineClasses,
    tb: _TrialBalance,
    prior: _PriorLines,
    roll: _YearEndRoll,
    targets: _RollTargets,
    added: _AddedCodes,
    scope: _Scope,
) -> np.ndarray:
    """Roll the prior year's translated result into retained earnings (IAS 1.106(d), IAS 21.48).

    The roll's translated amount joins the retained-earnings line's translated opening (in place
    in ``prior_alloc``); its local amount is taken out of the line's movement, so the roll is
    not translated a second time at this month's average rate.

    Returns:
        The local movement each line translates at the average rate (the roll taken out).

    """
    movement = classes.movement
    adjusted = movement.copy()
    if not roll.translated:
        return adjusted
    books = 2 * scope.n_entities
    n = len(classes.entity)
    entity_book = classes.entity * 2 + classes.is_ppa
    re_rows = np.flatnonzero(classes.is_retained_earnings & (classes.method != _OVERRIDE))
    re_movement = sum_by_code(entity_book[re_rows], movement[re_rows], books)
    re_opening = sum_by_code(entity_book[re_rows], tb.opening_local[re_rows], books)
    # Local books that close the year between periods already carry the roll in the
    # January opening (their income-statement openings are 0); measured against the prior
    # period's local closing, only the part of the roll not yet in the opening is taken out.
    prior_re = np.flatnonzero((prior.std_account == added.retained_earnings) & ~prior.is_plug)
    prior_re_book = prior.entity_book[prior_re]
    prior_re_closing = _local_sums(prior_re_book, _rows_of(prior.local_closing, prior_re), books)
    has_prior_re = sum_by_code(prior_re_book, np.ones(len(prior_re), dtype=np.int64), books) > 0
    for k in np.flatnonzero(targets.first_re < n):
        if int(k) not in roll.translated:
            continue
        i = targets.first_re[k]
        local_roll = roll.local.get(int(k))
        prior_alloc[i] += roll.translated[int(k)]
        if local_roll is None:
            adjusted[i] -= re_movement[k]
        else:
            prior_closing = prior_re_closing[k] if has_prior_re[k] else (0 if targets.opened[i] else None)
            already = 0 if prior_closing is None else int(re_opening[k]) - prior_closing
            adjusted[i] -= local_roll - already
    return adjusted


# --- Step 6: one exact multiply ------------------------------------------------------------------


def _multiply_exact_lines(
    classes: _LineClasses, tb: _TrialBalance, movement: np.ndarray, prior_alloc: np.ndarray, scope: _Scope
) -> np.ndarray:
    """Translate every line in one exact multiply (IAS 21.39), rounding half-even per line.

    A closing-rate or override line is its balance at that rate; a flow or carried line is its
    translated opening plus the month's movement at the average rate; a presentation-currency
    line is its local closing. Lines taken at their local amount multiply zero, so they cannot
    trip the overflow bound.

    Raises:
        InputDataError: when a product would overflow int64.

    """
    method = classes.method
    at_balance = method <= _OVERRIDE  # _CLOSING, _OVERRIDE
    is_local = method == _LOCAL
    amount = np.where(at_balance, tb.closing_local, np.where(is_local, 0, movement))
    rates = scope.rates
    rate = np.concatenate((rates.closing_scaled, rates.average_scaled))[
        classes.entity + scope.n_entities * (method != _CLOSING)
    ]
    rate[classes.has_override] = classes.override_rate[classes.has_override]
    try:
        product = multiply_exact(amount, rate)
    except OverflowError as exc:
        raise InputDataError(str(exc), field="translated") from None
    del amount, rate
    translated = np.where(at_balance, product, product + prior_alloc)
    return np.where(is_local, tb.closing_local, translated)


# --- Step 7: prior keys without a line this month -----------------------------------------------


@dataclass(frozen=True, slots=True)
class _CarriedKeys:
    """Prior (entity, counterparty, account) keys with no current line, as output rows."""

    entity: np.ndarray  # entity code
    std_account: np.ndarray  # standard-account code
    counterparty: np.ndarray  # counterparty code
    translated: np.ndarray  # int64 this period's translated balance
    opening: np.ndarray  # int64 the translated opening it moved from
    carried: np.ndarray  # bool: carried at its prior translation (equity at historical rates)
    is_ppa: np.ndarray  # in the pushed-down PPA book


def _prior_keys_without_lines(
    match: _Match,
    kept_prior_rows: np.ndarray,
    prior: _PriorLines,
    kinds: _AccountKinds,
    classes: _LineClasses,
    scope: _Scope,
) -> _CarriedKeys:
    """Carry or reverse the prior keys that have no line this month.

    Equity translated at historical rates keeps its prior translation (IAS 21.48 aside, nothing
    moves it); a closing-rate, override or presentation-currency balance absent from this month's
    TB is zero now (its prior amount reverses); a flow is zero after the year-end roll. Keys whose
    balance and movement are both zero are dropped.
    """
    rows = kept_prior_rows[match.carry_rows]
    entity, std, counterparty = prior.entity[rows], prior.std_account[rows], prior.counterparty[rows]
    totals = match.carry_totals
    rolled = kinds.is_flow[std] & scope.opens_year
    has_override = _pair_hits(entity, std, scope.n_std, classes.historical_pairs) >= 0
    carried = ~(kinds.is_closing[std] | has_override | scope.rates.is_presentation[entity] | rolled)
    translated = np.where(carried, totals, 0).astype(np.int64)
    opening = np.where(rolled, 0, totals).astype(np.int64)
    live = (translated != 0) | (translated - opening != 0)
    return _CarriedKeys(
        entity=entity[live],
        std_account=std[live],
        counterparty=counterparty[live],
        translated=translated[live],
        opening=opening[live],
        carried=carried[live],
        is_ppa=kinds.is_ppa_book[counterparty[live]],
    )


# --- Step 8: the CTA plug ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Plugs:
    """One CTA row per (entity, book) that has a line in either period, in entity-name order."""

    entity: np.ndarray  # entity code
    is_ppa: np.ndarray  # in the pushed-down PPA book
    amount: np.ndarray  # int64 the CTA balance: minus the sum of the book's translated lines
    movement: np.ndarray  # int64 its change from the prior period's plug
    by_entity: np.ndarray  # int64 the CTA per entity code, books together


def _cta_plugs(classes: _LineClasses, translated: np.ndarray, carried: _CarriedKeys, prior: _PriorLines,
               scope: _Scope) -> _Plugs:
    """Balance each entity's translated TB with its CTA (IAS 21.41: the difference goes to OCI).

    The plug is minus the sum of the translated lines of the entity and book, so every
    translated TB sums to exactly zero.
    """
    n_ent = scope.n_entities
    books = 2 * n_ent
    entity_book = classes.entity * 2 + classes.is_ppa
    carried_book = carried.entity * 2 + carried.is_ppa
    sums = sum_by_code(entity_book, translated, books) + sum_by_code(carried_book, carried.translated, books)
    prior_plug_rows = np.flatnonzero(prior.is_plug)
    prior_plugs = sum_by_code(prior.entity_book[prior_plug_rows], prior.translated[prior_plug_rows], books)
    present = np.bincount(entity_book, minlength=books) > 0
    present[carried_book] = True
    present[prior.entity_book[prior_plug_rows]] = True
    plug_books = np.flatnonzero(present)
    rank = np.empty(n_ent, dtype=np.int64)
    by_name = sorted(range(n_ent), key=lambda k: str(scope.entities[k]))
    rank[np.array(by_name, dtype=np.int64)] = np.arange(n_ent)
    plug_books = plug_books[np.argsort(rank[plug_books // 2] * 2 + plug_books % 2, kind="stable")]
    amount = -sums[plug_books]
    entity = plug_books // 2
    return _Plugs(
        entity=entity,
        is_ppa=(plug_books % 2).astype(bool),
        amount=amount,
        movement=amount - prior_plugs[plug_books],
        by_entity=sum_by_code(entity, amount, n_ent),
    )


# --- Step 9: the translated lines as a frame -----------------------------------------------------

# The ``rate_type`` text of each method (_CLOSING … _LOCAL), then of the CTA plug rows.
_RATE_TYPES = ("closing", "historical", "average", "historical", "local", "cta")


def _translated_frame(
    current: Mapping[str, TextCodes],
    added: _AddedCodes,
    classes: _LineClasses,
    tb: _TrialBalance,
    movement: np.ndarray,
    translated: np.ndarray,
    translated_movement: np.ndarray,
    carried: _CarriedKeys,
    plugs: _Plugs,
    scope: _Scope,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, TextCodes]:
    """Lay out the translated lines, then the carried prior keys, then the CTA plugs.

    Returns:
        The frame (``TRANSLATED_COLUMNS`` plus ``book``) and its rows' entity and standard-account
        codes and book.

    """
    method, n_ent = classes.method, scope.n_entities
    # Text columns of the output are gathered from small tables by code (one pass each).
    historical_text = np.array([str(r) for r in classes.historical_rates], dtype=object)
    rate_table = np.concatenate(
        (
            scope.rates.closing_text,
            scope.rates.average_text,
            historical_text,
            np.array(["1", ""], dtype=object),
        )
    )
    one_rate, no_rate = len(rate_table) - 2, len(rate_table) - 1
    rate_idx = np.where(method == _CLOSING, classes.entity, classes.entity + n_ent)
    rate_idx[classes.has_override] = 2 * n_ent + classes.override_index[classes.has_override]
    rate_idx[method == _LOCAL] = one_rate

    n_carried, n_plug = len(carried.entity), len(plugs.entity)
    out_entity = np.concatenate((classes.entity, carried.entity, plugs.entity))
    out_std = np.concatenate(
        (classes.std_account, carried.std_account, np.full(n_plug, added.cta, dtype=np.int64))
    )
    empty_code = {
        "account": added.empty_account,
        "cost_center": added.empty_cost_center,
        "department": added.empty_department,
    }
    tails = {
        "counterparty": np.concatenate(
            (carried.counterparty, np.where(plugs.is_ppa, added.ppa_book, added.empty_counterparty))
        ),
        **{c: np.full(n_carried + n_plug, code, dtype=np.int64) for c, code in empty_code.items()},
    }
    books = np.array(["", PPA_BOOK], dtype=object)
    book_codes = np.concatenate((classes.is_ppa, carried.is_ppa, plugs.is_ppa)).view(np.int8)  # books[0]/[1]
    zeros = np.zeros(n_carried + n_plug, dtype=np.int64)
    # Retained earnings show the movement with the year-end roll taken out.
    local_movement = np.where(classes.is_retained_earnings, movement, classes.movement)
    columns: dict[str, pd.Series | np.ndarray] = {
        "entity": categorical_text(current["entity"].uniques, out_entity),
        "std_account": categorical_text(current["std_account"].uniques, out_std),
    }
    columns.update({c: categorical_text(current[c].uniques, tb.codes[c], tail) for c, tail in tails.items()})
    columns.update(
        {
            "local_closing": np.concatenate((tb.closing_local, zeros)),
            "local_movement": np.concatenate((local_movement, zeros)),
            "rate": categorical_text(rate_table, rate_idx, np.full(n_carried + n_plug, no_rate)),
            "rate_type": categorical_text(
                np.array(_RATE_TYPES, dtype=object),
                method,
                np.concatenate((np.where(carried.carried, 1, 0), np.full(n_plug, 5))),
            ),
            "translated": np.concatenate((translated, carried.translated, plugs.amount)),
            "translated_movement": np.concatenate(
                (translated_movement, carried.translated - carried.opening, plugs.movement)
            ),
            "book": categorical_text(books, book_codes),
        }
    )
    frame = pd.DataFrame({c: columns[c] for c in (*TRANSLATED_COLUMNS, "book")}, copy=False)
    return frame, out_entity, out_std, TextCodes(book_codes, books)


# --- Step 10: the CTA from its parts, against the plug -------------------------------------------


def _cta_from_parts(
    classes: _LineClasses,
    tb: _TrialBalance,
    movement: np.ndarray,
    translated_movement: np.ndarray,
    prior: _PriorLines,
    prior_from_result: bool,
    kinds: _AccountKinds,
    plugs: _Plugs,
    scope: _Scope,
    spot_parts: Mapping[EntityId, tuple[Decimal, int]],
) -> pd.DataFrame:
    """Compute each entity's CTA from its parts, exact in Decimal, and set it against the plug.

    IAS 21.41: the difference arises from income and expenses at average rates and assets and
    liabilities at the closing rate, and from opening net assets at a closing rate that differs
    from the previous one::

        parts = prior CTA − (opening net assets × closing rate − opening net assets translated)
                + Σ movements at average × (closing − average)
                + Σ movements of historical-rate lines × closing − their translated movement
                + Σ spot portions × (average − their rate)  (so each is at closing − its own rate).

    Each translated line is rounded once, so plug and parts agree within ½ minor unit per line
    (and per spot portion): the ``tolerance`` column.
    """
    entity, method, n_ent = classes.entity, classes.method, scope.n_entities
    # One sum by (entity, method) of what each line contributes: a closing-rate line its local
    # opening, an average-rate line its (adjusted) movement. Override lines are few: summed apart.
    value = np.where(method == _CLOSING, tb.opening_local, movement)
    by_method = sum_by_code(entity * 5 + method, value, 5 * n_ent).reshape(n_ent, 5)
    opening_net_assets = by_method[:, _CLOSING]
    average_movement = by_method[:, _FLOW] + by_method[:, _CARRIED]
    overrides = np.flatnonzero(method == _OVERRIDE)
    override_movement = sum_by_code(entity[overrides], classes.movement[overrides], n_ent)
    override_translated = sum_by_code(entity[overrides], translated_movement[overrides], n_ent)
    n_lines = np.bincount(entity, minlength=n_ent)
    # Opening net assets, translated: the prior's closing-rate lines, or minus everything else.
    prior_override = _pair_hits(prior.entity, prior.std_account, scope.n_std, classes.historical_pairs)
    prior_closing = kinds.is_closing[prior.std_account] & (prior_override < 0)
    column = prior.entity * 4 + (prior_closing & ~prior.is_plug) * 2 + prior.is_plug
    prior_sums = sum_by_code(column, prior.translated, 4 * n_ent).reshape(n_ent, 4)
    closing_translated = prior_sums[:, 2] + prior_sums[:, 3]  # (closing & not plug) is never a plug: 0
    net_assets_translated = (
        closing_translated if prior_from_result else -(prior_sums.sum(axis=1) - closing_translated)
    )
    prior_cta = prior_sums[:, 1] + prior_sums[:, 3]
    code = {str(u): k for k, u in enumerate(scope.entities)}
    rows = []
    for e in scope.rates.entity_ids:
        k = code[e]
        plug = int(plugs.by_entity[k])
        if e in scope.rates.presentation_entities:
            rows.append((e, plug, plug, 0, 0))
            continue
        closing, average = scope.rates.quoted[e]
        shift = exponent(scope.presentation) - exponent(scope.currencies[e])
        closing, average = closing.scaleb(shift), average.scaleb(shift)
        parts = _EXACT.add(
            Decimal(int(prior_cta[k])),
            _EXACT.subtract(
                Decimal(int(net_assets_translated[k])),
                _EXACT.multiply(Decimal(int(opening_net_assets[k])), closing),
            ),
        )
        parts = _EXACT.add(
            parts, _EXACT.multiply(Decimal(int(average_movement[k])), _EXACT.subtract(closing, average))
        )
        parts = _EXACT.add(
            parts,
            _EXACT.subtract(
                _EXACT.multiply(Decimal(int(override_movement[k])), closing),
                Decimal(int(override_translated[k])),
            ),
        )
        # A spot portion is one more rounding on its line: it widens the tolerance by a half.
        spot, roundings = spot_parts.get(e, (Decimal(0), 0))
        from_parts = _round_decimal(_EXACT.add(parts, spot))
        rows.append((e, plug, from_parts, plug - from_parts, (int(n_lines[k]) + roundings + 1) // 2))
    return frame_from_rows(rows, CTA_COLUMNS, ints=CTA_COLUMNS[1:])


def _historical_pairs(
    historical: Mapping[tuple[EntityId, AccountCode], Decimal], ent_uniq: np.ndarray, std_uniq: np.ndarray
) -> tuple[np.ndarray, list[Decimal]]:
    """Return the overrides whose entity and account occur, as sorted ``entity × n_std + account`` codes."""
    if not historical:
        return np.zeros(0, dtype=np.int64), []
    e_code = {u: k for k, u in enumerate(ent_uniq)}
    s_code = {u: k for k, u in enumerate(std_uniq)}
    found = sorted(
        (e_code[e] * len(std_uniq) + s_code[s], r)
        for (e, s), r in historical.items()
        if e in e_code and s in s_code
    )
    return np.array([p for p, _ in found], dtype=np.int64), [r for _, r in found]


def _pair_hits(ent: np.ndarray, std: np.ndarray, n_std: int, pairs: np.ndarray) -> np.ndarray:
    """Index into ``pairs`` of each row's (entity, account), -1 when it has no override."""
    if len(pairs) == 0 or len(ent) == 0:
        return np.broadcast_to(np.int64(-1), (len(ent),))  # read-only, allocates nothing
    out = np.full(len(ent), -1, dtype=np.int64)
    key = ent * n_std + std
    idx = np.minimum(np.searchsorted(pairs, key), len(pairs) - 1)
    hit = pairs[idx] == key
    out[hit] = idx[hit]
    return out


def _check_known(
    current: Mapping[str, TextCodes], currencies: Mapping[EntityId, Currency], accounts: pd.DataFrame
) -> None:
    """Refuse lines of an entity outside the group or of an account outside the chart."""
    entity = current["entity"]
    strangers = [k for k, u in enumerate(entity.uniques) if u not in currencies]
    unknown = sorted(str(entity.uniques[k]) for k in entity.occurring(strangers))
    if unknown:
        raise InputDataError(
            f"trial balance lines for entity {unknown[0]!r}, which is not in the group",
            entity=unknown[0],
            field="entity",
        )
    std = current["std_account"]
    unknown_codes = std.occurring([k for k, u in enumerate(std.uniques) if u not in accounts.index])
    if unknown_codes:
        i = int(np.flatnonzero(std.codes == unknown_codes[0])[0])
        raise InputDataError(
            f"standard account {std.uniques[unknown_codes[0]]!r} is not in the chart of accounts",
            entity=str(entity.uniques[entity.codes[i]]),
            account=str(current["account"].uniques[current["account"].codes[i]]),
            field="std_account",
        )


def _translate_spot_portions(
    portions: Mapping[tuple[EntityId, AccountCode, str], Sequence[tuple[int, Decimal]]],
    *,
    translated: np.ndarray,
    mov_adj: np.ndarray,
    method: np.ndarray,
    ent: np.ndarray,
    std: np.ndarray,
    cp: np.ndarray,
    ent_uniq: np.ndarray,
    std_uniq: np.ndarray,
    cp_uniq: np.ndarray,
    ent_rates: Mapping[EntityId, tuple[Decimal, Decimal]],
    currencies: Mapping[EntityId, Currency],
    presentation_currency: Currency,
) -> dict[EntityId, tuple[Decimal, int]]:
    """Translate parts of flow lines' movements at their own rates, in place in ``translated``.

    The line's movement less the portions stays at the average rate. Returns, per entity, what
    the portions add to the CTA from its parts, portion × (average − its rate) exact, and their
    number.

    Raises:
        InputDataError: when the entity has no line of the account to carry a portion.

    """
    e_code = {str(u): k for k, u in enumerate(ent_uniq)}
    s_code = {str(u): k for k, u in enumerate(std_uniq)}
    c_code = {str(u): k for k, u in enumerate(cp_uniq)}
    out: dict[EntityId, tuple[Decimal, int]] = {}
    for (e, account, counterparty), items in sorted(portions.items()):
        ccy = currencies.get(e)
        if ccy is None or ccy == presentation_currency or not items:
            continue
        rows = np.flatnonzero(
            (ent == e_code.get(e, -1)) & (std == s_code.get(account, -1)) & (method == _FLOW)
        )
        if len(rows) == 0:
            raise InputDataError(
                f"{sum(p for p, _ in items)} minor units dated by their own rate have no line of "
                f"account {account} in {e}'s trial balance",
                entity=e,
                account=account,
                field="spot rate",
            )
        own = rows[cp[rows] == c_code.get(counterparty, -1)]
        i = int(own[0] if len(own) else rows[0])
        average = _exponent_shift_rate(ent_rates[e][1], ccy, presentation_currency)
        at_average = int(multiply_exact(np.array([mov_adj[i]]), np.array([scale_rate(average, e)]))[0])
        rest = int(mov_adj[i]) - sum(p for p, _ in items)
        new = int(multiply_exact(np.array([rest]), np.array([scale_rate(average, e)]))[0])
        part = Decimal(0)
        for local, rate in items:
            shifted = _exponent_shift_rate(rate, ccy, presentation_currency)
            scaled = scale_rate(shifted, f"spot rate {e}")
            new += int(multiply_exact(np.array([local]), np.array([scaled]))[0])
            part = _EXACT.add(part, _EXACT.multiply(Decimal(local), _EXACT.subtract(average, shifted)))
        translated[i] += new - at_average
        before, count = out.get(e, (Decimal(0), 0))
        out[e] = (_EXACT.add(before, part), count + len(items))
    return out
