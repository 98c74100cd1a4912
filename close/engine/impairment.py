"""Goodwill impairment (IAS 36.104, 36.124; IAS 21.47): a journal against a named acquisition.

An impairment is a top-side journal (a file of ``[files] adjustments`` or ``close adjust add``)
with two lines on the acquiree: a debit on the account with role ``goodwill_impairment`` and a
credit on goodwill (role ``goodwill``), in the presentation currency. The engine takes it out of
the plain adjustments and books it on the goodwill of that acquisition:

* the loss is measured in the goodwill's currency, the acquiree's, at the month's average rate
  (the rate of the expense); goodwill is carried net of it at the closing rate, the difference
  in CTA (goodwill is an asset of the foreign operation, IAS 21.47);
* the loss is shown on its own line in the year of the impairment and in retained earnings after;
* under the full-goodwill method the NCI bears its share of the loss (IFRS 3 / IAS 36.C6: in
  proportion to the ownership), under the proportionate method none;
* it is never reversed (IAS 36.124): a journal that debits goodwill against the impairment
  account is refused, and an impairment once booked is carried to every later run (the record
  keeps its journal id, so the same journal in a later run's file is not booked twice).

Example: goodwill EUR 5,200 of which EUR 800 impaired in a year whose average rate is 0.40 USD:
a loss of USD 320.00; at a closing rate of 0.50 the goodwill is EUR 4,400 = USD 2,200.00.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

import pandas as pd

from close.engine.chart import Chart, SystemRole
from close.engine.frames import frame_from_rows
from close.engine.fx import _EXACT, _exponent_shift_rate, _round_decimal
from close.engine.journals import JournalEntry
from close.engine.types import Currency, EntityId, Period
from close.errors import InputDataError

IMPAIRMENT_COLUMNS: tuple[str, ...] = ("journal_id", "entity", "period", "amount", "local")


def is_impairment(journal: JournalEntry, chart: Chart) -> bool:
    """Tell whether a journal touches the goodwill-impairment account."""
    code = chart.accounts.index[chart.accounts["system_role"] == SystemRole.GOODWILL_IMPAIRMENT.value]
    return any(ln.std_account in set(code) for ln in journal.lines)


def impairment_record(
    journal: JournalEntry,
    chart: Chart,
    *,
    period: Period,
    acquirees: frozenset[EntityId],
    currencies: Mapping[EntityId, Currency],
    average: Mapping[EntityId, Decimal],
    presentation: Currency,
) -> tuple:
    """Return an impairment journal as a row of ``IMPAIRMENT_COLUMNS``.

    Raises:
        InputDataError: for a reversal, a journal of another shape, or an entity without an
            acquisition; the message names the journal.

    """
    gw = chart.by_role(SystemRole.GOODWILL)
    loss = chart.by_role(SystemRole.GOODWILL_IMPAIRMENT)
    by_account: dict[str, int] = {}
    for ln in journal.lines:
        by_account[ln.std_account] = by_account.get(ln.std_account, 0) + ln.amount
    entities = {ln.entity for ln in journal.lines}
    if set(by_account) != {gw, loss} or len(entities) != 1 or journal.basis != "IFRS":
        raise InputDataError(
            f"journal {journal.journal_id}: a goodwill impairment is a debit on {loss} and a credit on {gw} "
            "of one acquiree, basis IFRS",
            field="journal_id",
        )
    (sid,) = entities
    if by_account[loss] < 0:
        raise InputDataError(
            f"journal {journal.journal_id}: an impairment of goodwill is never reversed (IAS 36.124)",
            entity=sid,
            account=loss,
            field="amount",
        )
    if sid not in acquirees:
        raise InputDataError(
            f"journal {journal.journal_id}: {sid or '(no entity)'} is not a consolidated acquisition",
            entity=sid,
            field="entity",
        )
    amount = by_account[loss]
    shift = _exponent_shift_rate(average[sid], currencies[sid], presentation)
    local = _round_decimal(_EXACT.divide(Decimal(amount), shift))
    return (journal.journal_id, sid, period, amount, local)


def split_impairments(
    adjustments: tuple[JournalEntry, ...],
    chart: Chart,
    prior: pd.DataFrame | None,
    **record_args: object,
) -> tuple[tuple[JournalEntry, ...], pd.DataFrame]:
    """Take the impairment journals out of the adjustments; add those the prior run carried.

    Returns:
        The other adjustments, and every impairment booked so far (``IMPAIRMENT_COLUMNS``).

    """
    carried = [] if prior is None else prior[list(IMPAIRMENT_COLUMNS)].itertuples(index=False)
    rows = [tuple(r) for r in carried]
    seen = {r[0] for r in rows}
    others = []
    for j in adjustments:
        if not is_impairment(j, chart):
            others.append(j)
        elif j.journal_id not in seen:
            rows.append(impairment_record(j, chart, **record_args))  # type: ignore[arg-type]
            seen.add(j.journal_id)
    frame = frame_from_rows(rows, IMPAIRMENT_COLUMNS, ints=("amount", "local"))
    return tuple(others), frame


def totals(impairments: pd.DataFrame | None, sid: EntityId, fy_first: Period) -> tuple[int, int, int]:
    """Return an acquiree's impairments: total (presentation), this fiscal year's, and total (local)."""
    if impairments is None or impairments.empty:
        return 0, 0, 0
    mine = impairments[impairments["entity"] == sid]
    year = mine[mine["period"] >= fy_first]
    return int(mine["amount"].sum()), int(year["amount"].sum()), int(mine["local"].sum())
