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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd

from close.chart import INCOME_STATEMENT_CLASSES, Chart, SystemRole
from close.errors import InputDataError
from close.money import ONE, ZERO, exponent, round_half_even_div
from close.types import AccountCode, Currency, EntityId, Period

# Rates are stored with 10 decimals; folding a minor-unit exponent difference in (KWD → USD) can
# add up to two more, so the internal scale is 10^12.
RATE_DECIMALS = 12
RATE_SCALE = 10**RATE_DECIMALS
_SPLIT = 10**6  # RATE_SCALE = _SPLIT**2: both factors are split at this base to stay in int64
_HALF = RATE_SCALE // 2
_INT64_SAFE = 2**62
# Decimal arithmetic for the CTA parts: 1e15 minor units × 1e10-scaled rates need ~40 digits.
_EXACT = decimal.Context(prec=80, rounding=decimal.ROUND_HALF_EVEN)
PPA_BOOK = "#ppa"  # counterparty prefix of pushed-down PPA lines (ids cannot contain '#')

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
CTA_COLUMNS: tuple[str, ...] = ("entity", "plug", "from_parts", "difference", "tolerance")
_KEY = ("entity", "std_account", "counterparty")
_LINE_EXTRA = ("account", "cost_center", "department")

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
    """The translated lines (``TRANSLATED_COLUMNS`` plus ``book``) and the per-entity CTA check."""

    translated: pd.DataFrame
    cta: pd.DataFrame


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

    Both factors are split at 10^6 so every partial product stays inside int64; the exact
    quotient by 10^12 and its remainder decide the rounding (ties to even).

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
    a1, a0 = np.divmod(a, _SPLIT)
    r1, r0 = np.divmod(r, _SPLIT)
    m1, m0 = np.divmod(a1 * r0 + a0 * r1, _SPLIT)
    t1, rem = np.divmod(m0 * _SPLIT + a0 * r0, RATE_SCALE)
    q = a1 * r1 + m1 + t1
    return q + ((rem > _HALF) | ((rem == _HALF) & (q % 2 == 1)))


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


def _codes(*columns: Iterable[pd.Series]) -> list[np.ndarray]:
    """Factorize each group of aligned text columns into shared integer codes."""
    out = []
    for parts in columns:
        parts = list(parts)
        joined = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
        codes, _ = pd.factorize(joined.to_numpy(dtype=object))
        out.append(codes.astype(np.int64))
    return out


def _combine(*codes: np.ndarray) -> np.ndarray:
    """Combine several non-negative code arrays into one int64 key."""
    key = np.zeros(len(codes[0]), dtype=np.int64)
    for c in codes:
        key = key * (int(c.max(initial=0)) + 1) + c
    return key


def _obj(values: Iterable[object]) -> pd.Series:
    """Return a text column as ``object`` dtype without pandas inferring a string dtype."""
    return pd.Series(np.asarray(values, dtype=object), dtype=object, copy=False)


def _distinct(column: pd.Series) -> set[str]:
    """Return the distinct values of a text column (without iterating it row by row)."""
    return set(pd.unique(column.to_numpy(dtype=object)))


def _gather(values: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Return ``values[idx]`` with 0 where ``idx`` is -1 (not found)."""
    if len(values) == 0:
        return np.zeros(len(idx), dtype=np.int64)
    return np.where(idx >= 0, values[np.maximum(idx, 0)], 0).astype(np.int64)


def _is_ppa(counterparty: pd.Series) -> np.ndarray:
    codes, uniques = pd.factorize(counterparty.to_numpy(dtype=object))
    flags = np.array([str(u).startswith(PPA_BOOK) for u in uniques], dtype=bool)
    return flags[codes] if len(codes) else np.zeros(0, dtype=bool)


def _override_mask(
    entity: pd.Series, std_account: pd.Series, historical: Mapping[tuple[EntityId, AccountCode], Decimal]
) -> np.ndarray:
    """Tell which rows have a historical-rate override, looking only at entities that have one."""
    out = np.zeros(len(entity), dtype=bool)
    if not historical:
        return out
    ents = entity.to_numpy(dtype=object)
    stds = std_account.to_numpy(dtype=object)
    for i in np.flatnonzero(entity.isin({e for e, _ in historical}).to_numpy()):
        out[i] = (ents[i], stds[i]) in historical
    return out


def _normalize_prior(
    prior: pd.DataFrame | None, opening: OpeningBalances | None, cta_code: AccountCode
) -> tuple[pd.DataFrame, bool]:
    """Bring the prior translated frame or the opening balances into one shape.

    Returns:
        (frame with entity, std_account, counterparty, translated, is_plug, local_closing
        (object: int or None), account, cost_center, department), and whether it came from a
        ConsolidationResult (so its closing-rate lines are present).

    """
    if prior is not None:
        need = ("entity", "std_account", "counterparty", "translated", "rate_type")
        missing = [c for c in need if c not in prior.columns]
        if missing:
            raise InputDataError(f"the prior translated frame lacks columns {missing}", field="prior")
        frame = prior[[c for c in (*need, *_LINE_EXTRA, "local_closing") if c in prior.columns]]
        frame = frame.assign(is_plug=frame["rate_type"].to_numpy(dtype=object) == "cta")
        from_result = True
    elif opening is not None:
        frame = opening.translated.copy()
        missing = [
            c for c in ("entity", "std_account", "counterparty", "translated") if c not in frame.columns
        ]
        if missing:
            raise InputDataError(f"the opening balances lack columns {missing}", field="opening")
        frame["is_plug"] = frame["std_account"].astype(str).eq(cta_code)
        from_result = False
    else:
        frame = pd.DataFrame({c: pd.Series(dtype=object) for c in _KEY})
        frame["translated"] = pd.Series(dtype=np.int64)
        frame["is_plug"] = pd.Series(dtype=bool)
        from_result = False
    columns = {}
    for c in (*_KEY, *_LINE_EXTRA):
        if c not in frame.columns:
            columns[c] = np.full(len(frame), "", dtype=object)
            continue
        values = frame[c].to_numpy(dtype=object)
        missing = pd.isna(values)
        columns[c] = np.where(missing, "", values).astype(object) if missing.any() else values
    columns["translated"] = frame["translated"].to_numpy(dtype=np.int64)
    columns["is_plug"] = frame["is_plug"].to_numpy(dtype=bool)
    columns["local_closing"] = (
        frame["local_closing"].to_numpy(dtype=object)
        if "local_closing" in frame.columns
        else np.full(len(frame), None, dtype=object)
    )
    return pd.DataFrame(columns), from_result


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

    Returns:
        The translated lines (one CTA plug row per entity and book) and the CTA check frame.

    Raises:
        InputDataError: for a missing rate, an unknown entity or account, or an opening balance
            that has no translated counterpart.

    """
    accounts = chart.accounts
    cta_code = chart.by_role(SystemRole.CTA)
    re_code = chart.by_role(SystemRole.RETAINED_EARNINGS)
    fy_start = int(period[5:7]) == fiscal_year_start
    historical = dict(opening.historical_rates) if opening is not None else {}
    defaults = dict(opening_rate_defaults or {})

    cur = lines.reset_index(drop=True)
    cur = pd.DataFrame(
        {
            "entity": cur["entity"].to_numpy(dtype=object),
            "account": cur["account"].to_numpy(dtype=object),
            "std_account": cur["std_account"].to_numpy(dtype=object),
            "counterparty": cur["counterparty"].to_numpy(dtype=object),
            "cost_center": cur["cost_center"].to_numpy(dtype=object),
            "department": cur["department"].to_numpy(dtype=object),
            "opening": cur["opening"].to_numpy(dtype=np.int64),
            "closing": cur["closing"].to_numpy(dtype=np.int64),
        }
    )
    _check_known(cur, currencies, accounts)
    pri, prior_from_result = _normalize_prior(prior, opening, cta_code)
    unknown_prior = sorted(_distinct(pri["entity"]) - set(currencies))
    if unknown_prior:
        raise InputDataError(
            f"prior balances name entity {unknown_prior[0]!r}, which is not in the group",
            entity=unknown_prior[0],
            field="prior",
        )

    # Per-entity rates (Decimal for the parts, scaled ints for the vector work).
    entity_ids = sorted(_distinct(cur["entity"]) | _distinct(pri["entity"]))
    ent_rates: dict[EntityId, tuple[Decimal, Decimal]] = {}
    for e in entity_ids:
        ccy = currencies[e]
        c = rates.rate("closing", ccy, presentation_currency, entity=e)
        a = rates.rate("average", ccy, presentation_currency, entity=e)
        scale_rate(c, f"closing rate {ccy}")
        scale_rate(a, f"average rate {ccy}")
        ent_rates[e] = (c, a)
    pres_entities = {e for e in entity_ids if currencies[e] == presentation_currency}

    # Pre-year-end roll: prior flows (income statement and dividends) by entity and book.
    acc_class = accounts["class"]
    acc_rate = accounts["rate_type"]
    acc_role = accounts["system_role"]
    flow_accounts = set(
        accounts.index[acc_class.isin(INCOME_STATEMENT_CLASSES) | (acc_role == SystemRole.DIVIDENDS.value)]
    )
    pri_book = np.where(_is_ppa(pri["counterparty"]), PPA_BOOK, "")
    pri = pri.assign(book=pri_book)
    pri_flow = pri["std_account"].isin(flow_accounts).to_numpy() & ~pri["is_plug"].to_numpy()
    roll_t: dict[tuple[str, str], int] = {}
    roll_local: dict[tuple[str, str], int | None] = {}
    if fy_start and len(pri):
        fl = pri[pri_flow]
        for (e, b), grp in fl.groupby(["entity", "book"], sort=False):
            roll_t[(e, b)] = int(grp["translated"].sum())
            lc = grp["local_closing"]
            roll_local[(e, b)] = None if lc.isna().any() else int(sum(int(v) for v in lc))

    cur["book"] = np.where(_is_ppa(cur["counterparty"]), PPA_BOOK, "")
    # The retained-earnings line that receives the roll (one per entity and book; add if absent).
    re_rows = cur.loc[cur["std_account"].eq(re_code).to_numpy(), ["entity", "book"]]
    have_re = set(zip(re_rows["entity"], re_rows["book"], strict=True))
    synth = []
    for e, b in roll_t:
        if (e, b) not in have_re:
            synth.append(
                {
                    "entity": e,
                    "account": "",
                    "std_account": re_code,
                    "counterparty": b,
                    "cost_center": "",
                    "department": "",
                    "opening": 0,
                    "closing": 0,
                    "book": b,
                }
            )
    if synth:
        cur = pd.concat([cur, pd.DataFrame(synth)], ignore_index=True)
        cur["opening"] = cur["opening"].astype(np.int64)
        cur["closing"] = cur["closing"].astype(np.int64)

    n = len(cur)
    std = cur["std_account"]
    # Per-account and per-entity attributes looked up once per distinct value, then spread.
    std_codes, std_uniq = pd.factorize(std.to_numpy(dtype=object))
    is_flow = np.array([u in flow_accounts for u in std_uniq], dtype=bool)[std_codes]
    rtype = np.array([acc_rate.get(u) for u in std_uniq], dtype=object)[std_codes]
    is_re = np.array([u == re_code for u in std_uniq], dtype=bool)[std_codes]
    ent = cur["entity"].to_numpy(dtype=object)
    ent_codes, ent_uniq = pd.factorize(ent)
    is_pres = np.array([u in pres_entities for u in ent_uniq], dtype=bool)[ent_codes]
    opening_local = cur["opening"].to_numpy(dtype=np.int64)
    closing_local = cur["closing"].to_numpy(dtype=np.int64)
    movement = closing_local - opening_local
    if fy_start:
        movement = np.where(is_flow, closing_local, movement)

    # Historical-rate overrides.
    ov_rate = np.zeros(n, dtype=np.int64)
    ov_str = np.full(n, "", dtype=object)
    has_ov = np.zeros(n, dtype=bool)
    if historical:
        ov_entities = {e for e, _ in historical}
        cand = np.flatnonzero(cur["entity"].isin(ov_entities).to_numpy())
        for i in cand:
            key = (ent[i], std.iat[i])
            if key in historical and ent[i] not in pres_entities:
                rate = _exponent_shift_rate(historical[key], currencies[ent[i]], presentation_currency)
                ov_rate[i] = scale_rate(rate, f"historical rate {key[0]}/{key[1]}")
                ov_str[i] = str(historical[key])
                has_ov[i] = True

    method = np.full(n, _CARRIED, dtype=np.int8)
    method[rtype == "closing"] = _CLOSING
    method[is_flow] = _FLOW
    method[has_ov] = _OVERRIDE
    method[is_pres] = _LOCAL

    # Scaled closing/average rates per line (exponent shift folded in).
    c_map, a_map, c_str, a_str = {}, {}, {}, {}
    for e in entity_ids:
        c, a = ent_rates[e]
        c_map[e] = scale_rate(_exponent_shift_rate(c, currencies[e], presentation_currency), f"closing {e}")
        a_map[e] = scale_rate(_exponent_shift_rate(a, currencies[e], presentation_currency), f"average {e}")
        c_str[e], a_str[e] = str(c), str(a)
    ent_series = cur["entity"]
    c_rate = np.array([c_map[u] for u in ent_uniq], dtype=np.int64)[ent_codes]
    a_rate = np.array([a_map[u] for u in ent_uniq], dtype=np.int64)[ent_codes]

    # Prior allocation: key totals to the first line of each key; matching lines first when the
    # prior carries the line columns (so dimension-level movements stay meaningful).
    e_codes, s_codes, p_codes, acc_codes, cc_codes, dp_codes = _codes(
        (cur["entity"], pri["entity"]),
        (cur["std_account"], pri["std_account"]),
        (cur["counterparty"], pri["counterparty"]),
        (cur["account"], pri["account"]),
        (cur["cost_center"], pri["cost_center"]),
        (cur["department"], pri["department"]),
    )
    key_all = _combine(e_codes, s_codes, p_codes)
    line_all = _combine(key_all, acc_codes, cc_codes, dp_codes)
    ckey, pkey = key_all[:n], key_all[n:]
    cline, pline = line_all[:n], line_all[n:]
    pri_plug = pri["is_plug"].to_numpy(dtype=bool)
    pri_t = pri["translated"].to_numpy(dtype=np.int64)
    keep = ~pri_plug
    pk_sum = pd.Series(pri_t[keep]).groupby(pkey[keep]).sum()
    pl_sum = pd.Series(pri_t[keep]).groupby(pline[keep]).sum()

    first_of_key = ~pd.Series(ckey).duplicated().to_numpy()
    first_of_line = ~pd.Series(cline).duplicated().to_numpy()
    key_idx = pd.Index(pk_sum.index).get_indexer(ckey)
    has_prior_key = key_idx >= 0
    line_idx = pd.Index(pl_sum.index).get_indexer(cline)
    matched = np.where(first_of_line, _gather(pl_sum.to_numpy(dtype=np.int64), line_idx), 0).astype(np.int64)
    matched_key = pd.Series(matched).groupby(ckey).transform("sum").to_numpy(dtype=np.int64)
    key_total = _gather(pk_sum.to_numpy(dtype=np.int64), key_idx)
    prior_alloc = matched + np.where(first_of_key, key_total - matched_key, 0)

    # Lines whose carried translation has no prior: the opening must be zero, defaulted, or rate 1.
    rolled_flow = is_flow & fy_start
    prior_alloc = np.where(rolled_flow & (method != _OVERRIDE), 0, prior_alloc)
    needs = (~has_prior_key) & (~rolled_flow) & (opening_local != 0)
    for i in np.flatnonzero(needs & ((method == _FLOW) | (method == _CARRIED))):
        dkey = (ent[i], std.iat[i], cur["counterparty"].iat[i])
        if dkey in defaults:
            rate = _exponent_shift_rate(defaults[dkey], currencies[ent[i]], presentation_currency)
            prior_alloc[i] = int(
                multiply_exact(np.array([opening_local[i]]), np.array([scale_rate(rate, str(dkey))]))[0]
            )
        else:
            raise InputDataError(
                f"local opening balance {opening_local[i]} has no translated opening balance "
                "(neither the prior period's translated balances nor the opening-balances file have it)",
                entity=ent[i],
                account=f"{std.iat[i]} counterparty {cur['counterparty'].iat[i]!r}",
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
    if not prior_from_result and opening_c:
        # First period from an opening file: date closing-rate movements at the prior closing rate.
        cl = (~has_prior_key) & (method == _CLOSING)
        if cl.any():
            o_map = {}
            for e in entity_ids:
                if e in pres_entities or currencies[e] not in opening_c:
                    continue
                o = rates.rate("opening", currencies[e], presentation_currency, entity=e)
                o_map[e] = scale_rate(_exponent_shift_rate(o, currencies[e], presentation_currency), e)
            o_rate = ent_series.map(o_map).fillna(0).to_numpy(dtype=np.int64)
            prior_alloc = np.where(cl & (o_rate > 0), multiply_exact(opening_local, o_rate), prior_alloc)

    # The year-end roll onto the first retained-earnings line of each entity and book.
    mov_adj = movement.copy()
    if roll_t:
        books = cur["book"].to_numpy(dtype=object)
        first_re: dict[tuple[str, str], int] = {}
        re_movement: dict[tuple[str, str], int] = {}
        for i in np.flatnonzero(is_re & (method != _OVERRIDE)):
            eb = (ent[i], books[i])
            first_re.setdefault(eb, int(i))
            re_movement[eb] = re_movement.get(eb, 0) + int(movement[i])
        # Local books that close the year between periods already carry the roll in the
        # January opening (their income-statement openings are 0); measured against the prior
        # period's local closing, only the part of the roll not yet in the opening is taken out.
        pri_re = pri[pri["std_account"].eq(re_code).to_numpy() & ~pri["is_plug"].to_numpy()]
        prior_re_closing: dict[tuple[str, str], int | None] = {}
        for (e, b), grp in pri_re.groupby(["entity", "book"], sort=False):
            lc = grp["local_closing"]
            prior_re_closing[(e, b)] = None if lc.isna().any() else int(sum(int(v) for v in lc))
        re_opening: dict[tuple[str, str], int] = {}
        for i in np.flatnonzero(is_re & (method != _OVERRIDE)):
            eb = (ent[i], books[i])
            re_opening[eb] = re_opening.get(eb, 0) + int(opening_local[i])
        for eb, i in first_re.items():
            if eb not in roll_t:
                continue
            local_roll = roll_local.get(eb)
            prior_alloc[i] += roll_t[eb]
            if local_roll is None:
                mov_adj[i] -= re_movement[eb]
            else:
                prior_closing = prior_re_closing.get(eb)
                already = 0 if prior_closing is None else re_opening.get(eb, 0) - prior_closing
                mov_adj[i] -= local_roll - already

    translated = np.empty(n, dtype=np.int64)
    try:
        m = method == _CLOSING
        translated[m] = multiply_exact(closing_local[m], c_rate[m])
        m = method == _OVERRIDE
        translated[m] = multiply_exact(closing_local[m], ov_rate[m])
        m = (method == _FLOW) | (method == _CARRIED)
        translated[m] = prior_alloc[m] + multiply_exact(mov_adj[m], a_rate[m])
    except OverflowError as exc:
        raise InputDataError(str(exc), field="translated") from None
    m = method == _LOCAL
    translated[m] = closing_local[m]
    local_mov_out = np.where(is_re, mov_adj, movement)

    rate_out = np.where(
        method == _CLOSING,
        np.array([c_str[u] for u in ent_uniq], dtype=object)[ent_codes],
        np.array([a_str[u] for u in ent_uniq], dtype=object)[ent_codes],
    )
    rate_out = np.where(method == _OVERRIDE, ov_str, rate_out)
    rate_out = np.where(method == _LOCAL, "1", rate_out)
    rt_out = np.select(
        [method == _CLOSING, method == _OVERRIDE, method == _FLOW, method == _CARRIED],
        ["closing", "historical", "average", "historical"],
        default="local",
    )
    out = pd.DataFrame(
        {
            "entity": _obj(cur["entity"]),
            "account": _obj(cur["account"]),
            "std_account": _obj(cur["std_account"]),
            "counterparty": _obj(cur["counterparty"]),
            "cost_center": _obj(cur["cost_center"]),
            "department": _obj(cur["department"]),
            "local_closing": closing_local,
            "local_movement": local_mov_out,
            "rate": _obj(rate_out),
            "rate_type": _obj(rt_out),
            "translated": translated,
            "translated_movement": translated - prior_alloc,
            "book": _obj(cur["book"]),
        }
    )
    prior_alloc_all = prior_alloc

    # Prior keys with no current line: carried (equity, YTD) or reversed (closing-rate lines).
    unmatched = keep & ~np.isin(pkey, ckey)
    carry_rows = pd.DataFrame()
    if unmatched.any():
        pc = (
            pri[unmatched]
            .groupby(list(_KEY), sort=False, as_index=False)
            .agg(translated=("translated", "sum"))
        )
        pc_std = pc["std_account"]
        pc_flow = pc_std.isin(flow_accounts).to_numpy()
        pc_pres = pc["entity"].isin(pres_entities).to_numpy()
        pc_ov = _override_mask(pc["entity"], pc_std, historical)
        pc_closing = pc_std.map(acc_rate).eq("closing").to_numpy()
        pc_t = pc["translated"].to_numpy(dtype=np.int64)
        rolled = pc_flow & fy_start
        carried = ~(pc_closing | pc_ov | pc_pres | rolled)
        t_new = np.where(carried, pc_t, 0).astype(np.int64)
        p_alloc = np.where(rolled, 0, pc_t).astype(np.int64)
        carry_rows = pd.DataFrame(
            {
                "entity": pc["entity"],
                "account": "",
                "std_account": pc_std,
                "counterparty": pc["counterparty"],
                "cost_center": "",
                "department": "",
                "local_closing": np.zeros(len(pc), dtype=np.int64),
                "local_movement": np.zeros(len(pc), dtype=np.int64),
                "rate": "",
                "rate_type": np.where(carried, "historical", "closing"),
                "translated": t_new,
                "translated_movement": t_new - p_alloc,
                "book": np.where(_is_ppa(pc["counterparty"]), PPA_BOOK, ""),
            }
        )
        carry_rows = carry_rows[(carry_rows["translated"] != 0) | (carry_rows["translated_movement"] != 0)]
        out = pd.concat([out, carry_rows], ignore_index=True)

    # CTA plug per entity and book.
    # Sums by (entity, book) through integer codes: a string group-by over millions of lines is slow.
    eb_codes = ent_codes.astype(np.int64) * 2 + (cur["book"].to_numpy(dtype=object) == PPA_BOOK)
    sums: dict[tuple[str, str], int] = {
        (ent_uniq[k // 2], PPA_BOOK if k % 2 else ""): int(v)
        for k, v in pd.Series(translated).groupby(eb_codes).sum().items()
    }
    if len(carry_rows):
        for key, v in carry_rows.groupby(["entity", "book"])["translated"].sum().items():
            sums[key] = sums.get(key, 0) + int(v)
    prior_plugs = {
        k: int(v) for k, v in pri[pri_plug].groupby(["entity", "book"])["translated"].sum().items()
    }
    plug_index = sorted(set(sums) | set(prior_plugs))
    plug_vals = np.array([-sums.get(k, 0) for k in plug_index], dtype=np.int64)
    pp = np.array([prior_plugs.get(k, 0) for k in plug_index], dtype=np.int64)
    plug_by_entity: dict[str, int] = {}
    for (e, _), v in zip(plug_index, plug_vals, strict=True):
        plug_by_entity[e] = plug_by_entity.get(e, 0) + int(v)
    plug_rows = pd.DataFrame(
        {
            "entity": [e for e, _ in plug_index],
            "account": "",
            "std_account": cta_code,
            "counterparty": [b for _, b in plug_index],
            "cost_center": "",
            "department": "",
            "local_closing": np.zeros(len(plug_index), dtype=np.int64),
            "local_movement": np.zeros(len(plug_index), dtype=np.int64),
            "rate": "",
            "rate_type": "cta",
            "translated": plug_vals,
            "translated_movement": plug_vals - pp,
            "book": [b for _, b in plug_index],
        }
    )
    out = pd.concat([out, plug_rows], ignore_index=True)
    for c in ("local_closing", "local_movement", "translated", "translated_movement"):
        out[c] = out[c].astype(np.int64)
    for c in (
        "entity",
        "account",
        "std_account",
        "counterparty",
        "cost_center",
        "department",
        "rate",
        "rate_type",
        "book",
    ):
        if out[c].dtype != object:
            out[c] = out[c].astype(object)

    cta = _cta_check(
        cur=cur,
        method=method,
        movement=movement,
        mov_adj=mov_adj,
        translated=translated,
        prior_alloc=prior_alloc_all,
        pri=pri,
        pri_plug=pri_plug,
        prior_from_result=prior_from_result,
        historical=historical,
        acc_rate=acc_rate,
        plug_by_entity=plug_by_entity,
        ent_rates=ent_rates,
        currencies=currencies,
        presentation_currency=presentation_currency,
        pres_entities=pres_entities,
        entity_ids=entity_ids,
    )
    return Translation(translated=out, cta=cta)


def _check_known(cur: pd.DataFrame, currencies: Mapping[EntityId, Currency], accounts: pd.DataFrame) -> None:
    unknown = sorted(_distinct(cur["entity"]) - set(currencies))
    if unknown:
        raise InputDataError(
            f"trial balance lines for entity {unknown[0]!r}, which is not in the group",
            entity=unknown[0],
            field="entity",
        )
    codes, uniques = pd.factorize(cur["std_account"].to_numpy(dtype=object))
    unknown_codes = [i for i, u in enumerate(uniques) if u not in accounts.index]
    if unknown_codes:
        row = cur.iloc[int(np.flatnonzero(codes == unknown_codes[0])[0])]
        raise InputDataError(
            f"standard account {row['std_account']!r} is not in the chart of accounts",
            entity=row["entity"],
            account=row["account"],
            field="std_account",
        )


def _cta_check(
    *,
    cur: pd.DataFrame,
    method: np.ndarray,
    movement: np.ndarray,
    mov_adj: np.ndarray,
    translated: np.ndarray,
    prior_alloc: np.ndarray,
    pri: pd.DataFrame,
    pri_plug: np.ndarray,
    prior_from_result: bool,
    historical: Mapping[tuple[EntityId, AccountCode], Decimal],
    acc_rate: pd.Series,
    plug_by_entity: Mapping[EntityId, int],
    ent_rates: Mapping[EntityId, tuple[Decimal, Decimal]],
    currencies: Mapping[EntityId, Currency],
    presentation_currency: Currency,
    pres_entities: set[EntityId],
    entity_ids: list[EntityId],
) -> pd.DataFrame:
    """CTA from its parts per entity, exact in Decimal, against the plug.

    parts = prior CTA − (opening net assets × closing rate − opening net assets translated)
            + Σ movements at average × (closing − average)
            + Σ movements of historical-rate lines × closing − their translated movement.
    """
    closing_local = cur["closing"].to_numpy(dtype=np.int64)
    ent_codes, ent_uniq = pd.factorize(cur["entity"].to_numpy(dtype=object))
    frame = pd.DataFrame(
        {
            "na_open": np.where(method == _CLOSING, closing_local - movement, 0),
            "avg_mov": np.where((method == _FLOW) | (method == _CARRIED), mov_adj, 0),
            "ov_mov": np.where(method == _OVERRIDE, movement, 0),
            "ov_dt": np.where(method == _OVERRIDE, translated - prior_alloc, 0),
            "lines": np.ones(len(cur), dtype=np.int64),
        }
    )
    per = frame.groupby(ent_codes).sum()
    per.index = [ent_uniq[i] for i in per.index]
    # Opening net assets, translated: the prior's closing-rate lines, or minus everything else.
    pri_closing = pri["std_account"].map(acc_rate).eq("closing").to_numpy() & ~_override_mask(
        pri["entity"], pri["std_account"], historical
    )
    pri_t = pri["translated"].to_numpy(dtype=np.int64)
    pri_codes, pri_uniq = pd.factorize(pri["entity"].to_numpy(dtype=object))

    def by_prior_entity(values: np.ndarray) -> dict[str, int]:
        sums = pd.Series(values).groupby(pri_codes).sum() if len(values) else pd.Series(dtype=np.int64)
        return {pri_uniq[k]: int(v) for k, v in sums.items()}

    if prior_from_result:
        na_t = by_prior_entity(np.where(pri_closing & ~pri_plug, pri_t, 0))
    else:
        na_t = {k: -v for k, v in by_prior_entity(np.where(pri_closing & ~pri_plug, 0, pri_t)).items()}
    prior_cta = by_prior_entity(np.where(pri_plug, pri_t, 0))
    rows = []
    for e in entity_ids:
        plug = int(plug_by_entity.get(e, 0))
        if e in pres_entities:
            rows.append((e, plug, plug, 0, 0))
            continue
        c, a = ent_rates[e]
        shift = exponent(presentation_currency) - exponent(currencies[e])
        c_s, a_s = c.scaleb(shift), a.scaleb(shift)
        p = per.loc[e] if e in per.index else None
        na_open = int(p["na_open"]) if p is not None else 0
        avg_mov = int(p["avg_mov"]) if p is not None else 0
        ov_mov = int(p["ov_mov"]) if p is not None else 0
        ov_dt = int(p["ov_dt"]) if p is not None else 0
        n_lines = int(p["lines"]) if p is not None else 0
        parts = _EXACT.add(
            Decimal(int(prior_cta.get(e, 0))),
            _EXACT.subtract(Decimal(int(na_t.get(e, 0))), _EXACT.multiply(Decimal(na_open), c_s)),
        )
        parts = _EXACT.add(parts, _EXACT.multiply(Decimal(avg_mov), _EXACT.subtract(c_s, a_s)))
        parts = _EXACT.add(parts, _EXACT.subtract(_EXACT.multiply(Decimal(ov_mov), c_s), Decimal(ov_dt)))
        from_parts = _round_decimal(parts)
        rows.append((e, plug, from_parts, plug - from_parts, (n_lines + 1) // 2))
    frame_out = pd.DataFrame(rows, columns=list(CTA_COLUMNS))
    frame_out["entity"] = frame_out["entity"].astype(object)
    for col in CTA_COLUMNS[1:]:
        frame_out[col] = frame_out[col].astype(np.int64)
    return frame_out
