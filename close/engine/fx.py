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
    accounts = chart.accounts
    cta_code = chart.by_role(SystemRole.CTA)
    re_code = chart.by_role(SystemRole.RETAINED_EARNINGS)
    fy_start = parse_period(period)[1] == fiscal_year_start
    historical = dict(opening.historical_rates) if opening is not None else {}
    defaults = dict(opening_rate_defaults or {})

    n_in = len(lines)
    enc = {c: (codes or {}).get(c) or encode_text(lines[c]) for c in TEXT_COLUMNS}
    for c, tc in enc.items():
        if len(tc.codes) != n_in:
            raise ValueError(f"codes of column {c} have {len(tc.codes)} rows, the lines {n_in}")
    opening_local = lines["opening"].to_numpy(dtype=np.int64)
    closing_local = lines["closing"].to_numpy(dtype=np.int64)
    _check_known(enc, currencies, accounts)
    pri = _prior_arrays(prior, opening, cta_code)
    penc: dict[str, TextCodes] = {}
    for c in TEXT_COLUMNS:
        # Last period's object column mostly repeats this period's rows: compare before hashing.
        pv = pri.text[c]
        aligned = None if is_categorical(pv) or is_categorical(lines[c]) else (
            lines[c].to_numpy(dtype=object), enc[c].codes)
        penc[c] = encode_text(pv, uniques=enc[c].uniques, aligned=aligned)
        enc[c] = TextCodes(enc[c].codes, penc[c].uniques, enc[c].missing)
    # Entities are looped over (rates, CTA rows): keep only those with a line in either period.
    enc["entity"], penc["entity"] = drop_unused(enc["entity"], penc["entity"])
    unknown_prior = sorted({str(u) for u in enc["entity"].uniques} - set(currencies))
    if unknown_prior:
        raise InputDataError(
            f"prior balances name entity {unknown_prior[0]!r}, which is not in the group",
            entity=unknown_prior[0],
            field="prior",
        )

    # Per-entity rates (Decimal for the parts, scaled ints for the vector work), by entity code.
    ent_uniq = enc["entity"].uniques
    entity_ids = sorted(str(u) for u in ent_uniq)
    ent_rates: dict[EntityId, tuple[Decimal, Decimal]] = {}
    for e in entity_ids:
        ccy = currencies[e]
        c = rates.rate("closing", ccy, presentation_currency, entity=e)
        a = rates.rate("average", ccy, presentation_currency, entity=e)
        scale_rate(c, f"closing rate {ccy}")
        scale_rate(a, f"average rate {ccy}")
        ent_rates[e] = (c, a)
    pres = presentation_currency
    pres_entities = {e for e in entity_ids if currencies[e] == pres}
    e_pres = np.array([u in pres_entities for u in ent_uniq], dtype=bool)
    e_close, e_avg = (
        np.array(
            [
                scale_rate(_exponent_shift_rate(ent_rates[u][j], currencies[u], pres), f"{kind} {u}")
                for u in ent_uniq
            ],
            dtype=np.int64,
        )
        for j, kind in ((0, "closing"), (1, "average"))
    )
    e_close_str = np.array([str(ent_rates[u][0]) for u in ent_uniq], dtype=object)
    e_avg_str = np.array([str(ent_rates[u][1]) for u in ent_uniq], dtype=object)

    # Codes the synthesized retained-earnings lines and the plug rows need.
    enc["account"], empty_account = enc["account"].with_value("")
    enc["std_account"], re_std = enc["std_account"].with_value(re_code)
    enc["std_account"], cta_std = enc["std_account"].with_value(cta_code)
    enc["counterparty"], empty_cp = enc["counterparty"].with_value("")
    enc["counterparty"], ppa_cp = enc["counterparty"].with_value(PPA_BOOK)
    enc["cost_center"], empty_cc = enc["cost_center"].with_value("")
    enc["department"], empty_dp = enc["department"].with_value("")

    # Account attributes once per distinct account.
    acc_class = accounts["class"]
    acc_rate = accounts["rate_type"]
    acc_role = accounts["system_role"]
    flow_accounts = set(
        accounts.index[acc_class.isin(INCOME_STATEMENT_CLASSES) | (acc_role == SystemRole.DIVIDENDS.value)]
    )
    std_uniq = enc["std_account"].uniques
    u_flow = np.array([u in flow_accounts for u in std_uniq], dtype=bool)
    u_closing = np.array([acc_rate.get(u) == "closing" for u in std_uniq], dtype=bool)
    u_ppa = np.array(
        [isinstance(u, str) and u.startswith(PPA_BOOK) for u in enc["counterparty"].uniques], dtype=bool
    )
    n_ent, n_std = len(ent_uniq), len(std_uniq)

    p_ent, p_std, p_cp = penc["entity"].codes, penc["std_account"].codes, penc["counterparty"].codes
    p_t = pri.translated
    p_plug = pri.is_plug
    p_eb = p_ent * 2 + u_ppa[p_cp]  # (entity, book) code: book "" or PPA_BOOK

    # Pre-year-end roll: prior flows (income statement and dividends) by entity and book.
    roll_t: dict[int, int] = {}  # (entity, book) code → translated roll
    roll_local: dict[int, int | None] = {}
    if fy_start and len(p_t):
        fl = np.flatnonzero(u_flow[p_std] & ~p_plug)
        eb = p_eb[fl]
        sums = sum_by_code(eb, p_t[fl], 2 * n_ent)
        local = _local_sums(eb, _rows_of(pri.local_closing, fl), 2 * n_ent)
        first = np.full(2 * n_ent, len(fl), dtype=np.int64)
        np.minimum.at(first, eb, np.arange(len(fl)))
        for k in np.flatnonzero(first < len(fl))[np.argsort(first[first < len(fl)], kind="stable")]:
            roll_t[int(k)] = int(sums[k])
            roll_local[int(k)] = local[k]

    # The retained-earnings line that receives the roll (one per entity and book; add if absent).
    c_ent, c_std, c_cp = enc["entity"].codes, enc["std_account"].codes, enc["counterparty"].codes
    have_re = set((c_ent[c_std == re_std] * 2 + u_ppa[c_cp[c_std == re_std]]).tolist())
    synth = [k for k in roll_t if k not in have_re]
    row_codes = {c: enc[c].codes for c in TEXT_COLUMNS}
    if synth:
        k = np.array(synth, dtype=np.int64)
        extra = {
            "entity": k // 2,
            "std_account": np.full(len(k), re_std, dtype=np.int64),
            "counterparty": np.where(k % 2 == 1, ppa_cp, empty_cp).astype(np.int64),
            "account": np.full(len(k), empty_account, dtype=np.int64),
            "cost_center": np.full(len(k), empty_cc, dtype=np.int64),
            "department": np.full(len(k), empty_dp, dtype=np.int64),
        }
        row_codes = {c: np.concatenate((row_codes[c], extra[c])) for c in TEXT_COLUMNS}
        opening_local = np.concatenate((opening_local, np.zeros(len(k), dtype=np.int64)))
        closing_local = np.concatenate((closing_local, np.zeros(len(k), dtype=np.int64)))
    ent = row_codes["entity"]
    std = row_codes["std_account"]
    is_ppa = u_ppa[row_codes["counterparty"]]
    n = len(ent)
    is_flow = u_flow[std]
    is_re = std == re_std
    is_pres = e_pres[ent]
    movement = closing_local - opening_local
    if fy_start:
        movement = np.where(is_flow, closing_local, movement)

    # Historical-rate overrides, looked up by (entity, account) code.
    hist_pairs, hist_rates = _historical_pairs(historical, ent_uniq, std_uniq)
    ov_any = _pair_hits(ent, std, n_std, hist_pairs)
    has_ov = (ov_any >= 0) & ~is_pres
    ov_rate = np.zeros(n, dtype=np.int64)
    if has_ov.any():
        used = np.unique(ov_any[has_ov])
        scaled = np.zeros(len(hist_pairs), dtype=np.int64)
        for p in used:
            e, s = str(ent_uniq[hist_pairs[p] // n_std]), str(std_uniq[hist_pairs[p] % n_std])
            rate = _exponent_shift_rate(hist_rates[p], currencies[e], presentation_currency)
            scaled[p] = scale_rate(rate, f"historical rate {e}/{s}")
        ov_rate[has_ov] = scaled[ov_any[has_ov]]

    method = np.full(n, _CARRIED, dtype=np.int8)
    method[u_closing[std]] = _CLOSING
    method[is_flow] = _FLOW
    method[has_ov] = _OVERRIDE
    method[is_pres] = _LOCAL

    # Prior allocation: key totals to the first line of each key; matching lines first when the
    # prior carries the line columns (so dimension-level movements stay meaningful).
    widths = {c: len(enc[c].uniques) for c in TEXT_COLUMNS}
    keep = ~p_plug
    keep_rows = np.flatnonzero(keep)
    # The plug rows of a prior result come last: then the kept rows are a slice, not a copy.
    leading = len(keep_rows) == 0 or keep_rows[-1] == len(keep_rows) - 1
    kept_sel = slice(0, len(keep_rows)) if leading else keep_rows
    pri_codes = {c: penc[c].codes[kept_sel] for c in TEXT_COLUMNS}
    key_parts = ("entity", "counterparty", "std_account")
    cur_kid, pri_kid, n_keys = _dense_keys(row_codes, pri_codes, key_parts, widths)
    # Line keys ordered like a TB sorted by entity and account, so the sort meets long runs.
    cur_line, pri_line = _pair_keys(
        row_codes,
        pri_codes,
        ("entity", "account", "cost_center", "department", "counterparty", "std_account"),
        widths,
    )
    del pri_codes
    match = _match_prior(cur_kid, pri_kid, n_keys, cur_line, pri_line, p_t[kept_sel])
    del cur_line, pri_line
    prior_alloc = match.prior_alloc
    has_prior_key = match.has_prior_key

    # Lines whose carried translation has no prior: the opening must be zero, defaulted, or rate 1.
    rolled_flow = is_flow & fy_start
    prior_alloc = np.where(rolled_flow & (method != _OVERRIDE), 0, prior_alloc)
    # The first retained-earnings line of each entity and book receives the year-end roll. Books
    # that close the year into it may list it for the first time in the new year's first month
    # (their prior TB had no such line): an opening equal to the roll is the roll, not a gap.
    first_re = np.full(2 * n_ent, n, dtype=np.int64)
    roll_opened = np.zeros(n, dtype=bool)
    if roll_t:
        re_rows = np.flatnonzero(is_re & (method != _OVERRIDE))
        np.minimum.at(first_re, (ent * 2 + is_ppa)[re_rows], re_rows)
        for k, local_roll in roll_local.items():
            i = first_re[k]
            if i < n and not has_prior_key[i] and local_roll is not None:
                roll_opened[i] = int(opening_local[i]) == local_roll
    needs = (~has_prior_key) & (~rolled_flow) & (~roll_opened) & (opening_local != 0)
    for i in np.flatnonzero(needs & ((method == _FLOW) | (method == _CARRIED))):
        e = str(ent_uniq[ent[i]])
        dkey = (e, str(std_uniq[std[i]]), str(enc["counterparty"].uniques[row_codes["counterparty"][i]]))
        if dkey in defaults:
            rate = _exponent_shift_rate(defaults[dkey], currencies[e], presentation_currency)
            prior_alloc[i] = int(
                multiply_exact(np.array([opening_local[i]]), np.array([scale_rate(rate, str(dkey))]))[0]
            )
        else:
            raise InputDataError(
                f"local opening balance {opening_local[i]} has no translated opening balance "
                "(neither the prior period's translated balances nor the opening-balances file have it)",
                entity=e,
                account=f"{dkey[1]} counterparty {dkey[2]!r}",
                field="opening translated",
            )
    ov_missing = needs & (method == _OVERRIDE)
    if ov_missing.any():
        prior_alloc = np.where(
            ov_missing, multiply_exact(opening_local, np.where(ov_missing, ov_rate, 0)), prior_alloc
        )
    pres_missing = (~has_prior_key) & is_pres
    prior_alloc = np.where(pres_missing & ~rolled_flow, opening_local, prior_alloc)
    opening_c = rates.opening
    if not pri.from_result and opening_c:
        # First period from an opening file: date closing-rate movements at the prior closing rate.
        cl = (~has_prior_key) & (method == _CLOSING)
        if cl.any():
            o_rates = np.zeros(n_ent, dtype=np.int64)
            for k, u in enumerate(ent_uniq):
                if u in pres_entities or currencies[u] not in opening_c:
                    continue
                o = rates.rate("opening", currencies[u], presentation_currency, entity=u)
                o_rates[k] = scale_rate(_exponent_shift_rate(o, currencies[u], presentation_currency), u)
            o_rate = o_rates[ent]
            prior_alloc = np.where(cl & (o_rate > 0), multiply_exact(opening_local, o_rate), prior_alloc)

    # The year-end roll onto the first retained-earnings line of each entity and book.
    mov_adj = movement.copy()
    if roll_t:
        eb_row = ent * 2 + is_ppa
        re_rows = np.flatnonzero(is_re & (method != _OVERRIDE))
        re_movement = sum_by_code(eb_row[re_rows], movement[re_rows], 2 * n_ent)
        re_opening = sum_by_code(eb_row[re_rows], opening_local[re_rows], 2 * n_ent)
        # Local books that close the year between periods already carry the roll in the
        # January opening (their income-statement openings are 0); measured against the prior
        # period's local closing, only the part of the roll not yet in the opening is taken out.
        pre = np.flatnonzero((p_std == re_std) & ~p_plug)
        prior_re_closing = _local_sums(
            p_eb[pre], _rows_of(pri.local_closing, pre), 2 * n_ent
        )
        has_pre = sum_by_code(p_eb[pre], np.ones(len(pre), dtype=np.int64), 2 * n_ent) > 0
        for k in np.flatnonzero(first_re < n):
            if int(k) not in roll_t:
                continue
            i = first_re[k]
            local_roll = roll_local.get(int(k))
            prior_alloc[i] += roll_t[int(k)]
            if local_roll is None:
                mov_adj[i] -= re_movement[k]
            else:
                prior_closing = prior_re_closing[k] if has_pre[k] else (0 if roll_opened[i] else None)
                already = 0 if prior_closing is None else int(re_opening[k]) - prior_closing
                mov_adj[i] -= local_roll - already

    # One exact multiply over every line: the balance at the closing (or override) rate, or the
    # month's movement at the average rate on top of the carried translation. Lines taken at
    # their local amount multiply zero, so they cannot trip the overflow bound.
    at_balance = method <= _OVERRIDE  # _CLOSING, _OVERRIDE
    is_local = method == _LOCAL
    amount = np.where(at_balance, closing_local, np.where(is_local, 0, mov_adj))
    rate = np.concatenate((e_close, e_avg))[ent + n_ent * (method != _CLOSING)]
    rate[has_ov] = ov_rate[has_ov]
    try:
        product = multiply_exact(amount, rate)
    except OverflowError as exc:
        raise InputDataError(str(exc), field="translated") from None
    del amount, rate
    translated = np.where(at_balance, product, product + prior_alloc)
    translated = np.where(is_local, closing_local, translated)
    spot_parts: dict[EntityId, tuple[Decimal, int]] = {}
    if spot_portions:
        spot_parts = _translate_spot_portions(
            spot_portions, translated=translated, mov_adj=mov_adj, method=method, ent=ent, std=std,
            cp=row_codes["counterparty"], ent_uniq=ent_uniq, std_uniq=std_uniq,
            cp_uniq=enc["counterparty"].uniques, ent_rates=ent_rates, currencies=currencies,
            presentation_currency=presentation_currency,
        )
    local_mov_out = np.where(is_re, mov_adj, movement)
    t_move = translated - prior_alloc
    # Text columns of the output are gathered from small tables by code (one pass each).
    hist_str = np.array([str(r) for r in hist_rates], dtype=object)
    rate_table = np.concatenate((e_close_str, e_avg_str, hist_str, np.array(["1", ""], dtype=object)))
    one_rate, no_rate = len(rate_table) - 2, len(rate_table) - 1
    rate_idx = np.where(method == _CLOSING, ent, ent + n_ent)
    rate_idx[has_ov] = 2 * n_ent + ov_any[has_ov]
    rate_idx[method == _LOCAL] = one_rate

    # Prior keys with no current line: carried (equity, YTD) or reversed (closing-rate lines).
    kept = keep_rows[match.carry_rows]
    pc_ent, pc_std, pc_cp = p_ent[kept], p_std[kept], p_cp[kept]
    pc_t = match.carry_totals
    pc_flow = u_flow[pc_std]
    pc_pres = e_pres[pc_ent]
    pc_ov = _pair_hits(pc_ent, pc_std, n_std, hist_pairs) >= 0
    pc_closing = u_closing[pc_std]
    rolled = pc_flow & fy_start
    carried = ~(pc_closing | pc_ov | pc_pres | rolled)
    t_new = np.where(carried, pc_t, 0).astype(np.int64)
    p_alloc = np.where(rolled, 0, pc_t).astype(np.int64)
    live = (t_new != 0) | (t_new - p_alloc != 0)
    pc_ent, pc_std, pc_cp, t_new, p_alloc, carried = (
        pc_ent[live], pc_std[live], pc_cp[live], t_new[live], p_alloc[live], carried[live]
    )
    pc_ppa = u_ppa[pc_cp]

    # CTA plug per entity and book: minus the sum of its translated lines.
    eb_row, pc_eb = ent * 2 + is_ppa, pc_ent * 2 + pc_ppa
    plug_sums = sum_by_code(eb_row, translated, 2 * n_ent) + sum_by_code(pc_eb, t_new, 2 * n_ent)
    pp_rows = np.flatnonzero(p_plug)
    prior_plugs = sum_by_code(p_eb[pp_rows], p_t[pp_rows], 2 * n_ent)
    present = np.bincount(eb_row, minlength=2 * n_ent) > 0
    present[pc_eb] = True
    present[p_eb[pp_rows]] = True
    plug_eb = np.flatnonzero(present)
    ent_rank = np.empty(n_ent, dtype=np.int64)
    by_name = sorted(range(n_ent), key=lambda k: str(ent_uniq[k]))
    ent_rank[np.array(by_name, dtype=np.int64)] = np.arange(n_ent)
    plug_eb = plug_eb[np.argsort(ent_rank[plug_eb // 2] * 2 + plug_eb % 2, kind="stable")]
    plug_vals = -plug_sums[plug_eb]
    plug_ent = plug_eb // 2
    plug_ppa = (plug_eb % 2).astype(bool)
    plug_by_entity = sum_by_code(plug_ent, plug_vals, n_ent)

    n_pc, n_plug = len(pc_ent), len(plug_eb)
    empty_code = {"account": empty_account, "cost_center": empty_cc, "department": empty_dp}
    out_codes = {
        "entity": np.concatenate((ent, pc_ent, plug_ent)),
        "std_account": np.concatenate((std, pc_std, np.full(n_plug, cta_std, dtype=np.int64))),
    }
    tails = {
        "counterparty": np.concatenate((pc_cp, np.where(plug_ppa, ppa_cp, empty_cp))),
        **{c: np.full(n_pc + n_plug, code, dtype=np.int64) for c, code in empty_code.items()},
    }
    rate_types = np.array(["closing", "historical", "average", "historical", "local", "cta"], dtype=object)
    books = np.array(["", PPA_BOOK], dtype=object)
    book_codes = np.concatenate((is_ppa, pc_ppa, plug_ppa)).view(np.int8)  # False/True: books[0]/[1]
    zeros = np.zeros(n_pc + n_plug, dtype=np.int64)
    columns: dict[str, pd.Series | np.ndarray] = {
        c: categorical_text(enc[c].uniques, out_codes[c]) for c in ("entity", "std_account")
    }
    columns.update({c: categorical_text(enc[c].uniques, row_codes[c], tail) for c, tail in tails.items()})
    columns.update(
        {
            "local_closing": np.concatenate((closing_local, zeros)),
            "local_movement": np.concatenate((local_mov_out, zeros)),
            "rate": categorical_text(rate_table, rate_idx, np.full(n_pc + n_plug, no_rate)),
            "rate_type": categorical_text(
                rate_types, method, np.concatenate((np.where(carried, 1, 0), np.full(n_plug, 5)))
            ),
            "translated": np.concatenate((translated, t_new, plug_vals)),
            "translated_movement": np.concatenate(
                (t_move, t_new - p_alloc, plug_vals - prior_plugs[plug_eb])
            ),
            "book": categorical_text(books, book_codes),
        }
    )
    out = pd.DataFrame({c: columns[c] for c in (*TRANSLATED_COLUMNS, "book")}, copy=False)

    cta = _cta_check(
        ent=ent,
        n_ent=n_ent,
        ent_uniq=ent_uniq,
        opening_local=opening_local,
        method=method,
        movement=movement,
        mov_adj=mov_adj,
        translated_movement=t_move,
        p_ent=p_ent,
        p_t=p_t,
        p_plug=p_plug,
        p_closing=u_closing[p_std] & (_pair_hits(p_ent, p_std, n_std, hist_pairs) < 0),
        prior_from_result=pri.from_result,
        plug_by_entity=plug_by_entity,
        ent_rates=ent_rates,
        currencies=currencies,
        presentation_currency=presentation_currency,
        pres_entities=pres_entities,
        entity_ids=entity_ids,
        spot_parts=spot_parts,
    )
    return Translation(
        translated=out,
        cta=cta,
        entity_codes=TextCodes(out_codes["entity"], ent_uniq),
        std_codes=TextCodes(out_codes["std_account"], std_uniq),
        book_codes=TextCodes(book_codes, books),
    )


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
    enc: Mapping[str, TextCodes], currencies: Mapping[EntityId, Currency], accounts: pd.DataFrame
) -> None:
    ent = enc["entity"]
    strangers = [k for k, u in enumerate(ent.uniques) if u not in currencies]
    unknown = sorted(str(ent.uniques[k]) for k in ent.occurring(strangers))
    if unknown:
        raise InputDataError(
            f"trial balance lines for entity {unknown[0]!r}, which is not in the group",
            entity=unknown[0],
            field="entity",
        )
    std = enc["std_account"]
    unknown_codes = std.occurring([k for k, u in enumerate(std.uniques) if u not in accounts.index])
    if unknown_codes:
        i = int(np.flatnonzero(std.codes == unknown_codes[0])[0])
        raise InputDataError(
            f"standard account {std.uniques[unknown_codes[0]]!r} is not in the chart of accounts",
            entity=str(enc["entity"].uniques[enc["entity"].codes[i]]),
            account=str(enc["account"].uniques[enc["account"].codes[i]]),
            field="std_account",
        )


def _cta_check(
    *,
    ent: np.ndarray,
    n_ent: int,
    ent_uniq: np.ndarray,
    opening_local: np.ndarray,
    method: np.ndarray,
    movement: np.ndarray,
    mov_adj: np.ndarray,
    translated_movement: np.ndarray,
    p_ent: np.ndarray,
    p_t: np.ndarray,
    p_plug: np.ndarray,
    p_closing: np.ndarray,
    prior_from_result: bool,
    plug_by_entity: np.ndarray,
    ent_rates: Mapping[EntityId, tuple[Decimal, Decimal]],
    currencies: Mapping[EntityId, Currency],
    presentation_currency: Currency,
    pres_entities: set[EntityId],
    entity_ids: list[EntityId],
    spot_parts: Mapping[EntityId, tuple[Decimal, int]] | None = None,
) -> pd.DataFrame:
    """CTA from its parts per entity, exact in Decimal, against the plug.

    parts = prior CTA − (opening net assets × closing rate − opening net assets translated)
            + Σ movements at average × (closing − average)
            + Σ movements of historical-rate lines × closing − their translated movement
            + Σ spot portions × (average − their rate)  (so each is at closing − its own rate).
    """
    # One sum by (entity, method) of what each line contributes: a closing-rate line its local
    # opening, an average-rate line its (adjusted) movement. Override lines are few: summed apart.
    value = np.where(method == _CLOSING, opening_local, mov_adj)
    by_method = sum_by_code(ent * 5 + method, value, 5 * n_ent).reshape(n_ent, 5)
    na_open = by_method[:, _CLOSING]
    avg_mov = by_method[:, _FLOW] + by_method[:, _CARRIED]
    ov = np.flatnonzero(method == _OVERRIDE)
    ov_mov = sum_by_code(ent[ov], movement[ov], n_ent)
    ov_dt = sum_by_code(ent[ov], translated_movement[ov], n_ent)
    n_lines = np.bincount(ent, minlength=n_ent)
    # Opening net assets, translated: the prior's closing-rate lines, or minus everything else.
    p_sums = sum_by_code(p_ent * 4 + (p_closing & ~p_plug) * 2 + p_plug, p_t, 4 * n_ent).reshape(n_ent, 4)
    closing_t = p_sums[:, 2] + p_sums[:, 3]  # (closing & not plug) is never a plug: column 3 is 0
    na_t = closing_t if prior_from_result else -(p_sums.sum(axis=1) - closing_t)
    prior_cta = p_sums[:, 1] + p_sums[:, 3]
    code = {str(u): k for k, u in enumerate(ent_uniq)}
    rows = []
    for e in entity_ids:
        k = code[e]
        plug = int(plug_by_entity[k])
        if e in pres_entities:
            rows.append((e, plug, plug, 0, 0))
            continue
        c, a = ent_rates[e]
        shift = exponent(presentation_currency) - exponent(currencies[e])
        c_s, a_s = c.scaleb(shift), a.scaleb(shift)
        parts = _EXACT.add(
            Decimal(int(prior_cta[k])),
            _EXACT.subtract(Decimal(int(na_t[k])), _EXACT.multiply(Decimal(int(na_open[k])), c_s)),
        )
        parts = _EXACT.add(parts, _EXACT.multiply(Decimal(int(avg_mov[k])), _EXACT.subtract(c_s, a_s)))
        parts = _EXACT.add(
            parts, _EXACT.subtract(_EXACT.multiply(Decimal(int(ov_mov[k])), c_s), Decimal(int(ov_dt[k])))
        )
        # A spot portion is one more rounding on its line: it widens the tolerance by a half.
        spot, roundings = (spot_parts or {}).get(e, (Decimal(0), 0))
        from_parts = _round_decimal(_EXACT.add(parts, spot))
        rows.append((e, plug, from_parts, plug - from_parts, (int(n_lines[k]) + roundings + 1) // 2))
    return frame_from_rows(rows, CTA_COLUMNS, ints=CTA_COLUMNS[1:])


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
