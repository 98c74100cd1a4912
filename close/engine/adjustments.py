"""Top-side and IFRS → US GAAP adjustment journals, from CSV files.

A file has the columns ``journal_id, basis, entity, account, amount, memo``: one row per line,
amounts in presentation-currency units (debit positive, credit negative, at most the currency's
minor-unit decimals), ``basis`` ``IFRS`` (a top-side correction of the IFRS consolidation) or
``US_GAAP`` (a GAAP difference shown in the US GAAP view only), ``entity`` optional (empty for a
group-level line). Every journal must balance to the cent; all its lines share one basis.

Example::

    journal_id,basis,entity,account,amount,memo
    TS-1,IFRS,BR1,6400,1500.00,accrue audit fee
    TS-1,IFRS,BR1,2100,-1500.00,accrue audit fee
"""

from __future__ import annotations

from collections.abc import Iterable

from close.engine.chart import Chart
from close.engine.csv_records import csv_records, money_cell, require_columns
from close.engine.journals import BASES, JournalEntry, JournalLine
from close.engine.money import D, exponent
from close.engine.types import Currency, EntityId
from close.errors import InputDataError

ADJUSTMENT_COLUMNS: tuple[str, ...] = ("journal_id", "basis", "entity", "account", "amount", "memo")


def parse_adjustments(
    data: bytes, *, source: str, chart: Chart, entities: Iterable[EntityId], presentation_currency: Currency
) -> tuple[JournalEntry, ...]:
    """Parse an adjustments CSV into balanced journal entries tagged by basis.

    Args:
        data: the file's bytes (UTF-8, optional BOM).
        source: the file name, for error messages.
        chart: the standard chart (accounts must exist).
        entities: the group's entity ids (a non-empty entity must be one).
        presentation_currency: the currency of the amounts.

    Returns:
        The journals in file order.

    Raises:
        InputDataError: naming the file, row and column of a bad value, or the journal that does
            not balance ("debits X != credits Y (Z too much)").

    """
    header, records = csv_records(data, source=source)
    require_columns(header, [c for c in ADJUSTMENT_COLUMNS if c != "entity"], source=source)
    known = set(entities)
    order: list[str] = []
    lines: dict[str, list[JournalLine]] = {}
    basis_of: dict[str, str] = {}
    memo_of: dict[str, str] = {}
    for rowno, row in records:
        jid = (row.get("journal_id") or "").strip()
        if not jid:
            raise InputDataError("empty journal_id", file=source, row=rowno, column="journal_id")
        basis = (row.get("basis") or "").strip().upper().replace("-", "_")
        if basis not in BASES:
            raise InputDataError(
                f"basis {row.get('basis')!r} is not IFRS or US_GAAP", file=source, row=rowno, column="basis"
            )
        if basis_of.setdefault(jid, basis) != basis:
            raise InputDataError(
                f"journal {jid} mixes bases {basis_of[jid]} and {basis}",
                file=source,
                row=rowno,
                column="basis",
            )
        entity = (row.get("entity") or "").strip()
        if entity and entity not in known:
            raise InputDataError(
                f"entity {entity!r} is not in the group", file=source, row=rowno, column="entity"
            )
        account = (row.get("account") or "").strip()
        if not chart.has(account):
            raise InputDataError(
                f"account {account!r} is not in the chart of accounts",
                file=source,
                row=rowno,
                column="account",
            )
        minor = money_cell(row.get("amount") or "", presentation_currency, source=source, row=rowno,
                           column="amount", exact=True)
        memo = (row.get("memo") or "").strip()
        if jid not in lines:
            order.append(jid)
            lines[jid] = []
            memo_of[jid] = memo
        lines[jid].append(JournalLine(entity, account, minor, "", memo, f"file {source} row {rowno}"))
    journals = tuple(
        JournalEntry(jid, "adjustment", basis_of[jid], memo_of[jid], tuple(lines[jid])) for jid in order
    )
    for j in journals:
        check_balanced(j, source=source, currency=presentation_currency)
    return journals


def check_balanced(journal: JournalEntry, *, source: str | None = None, currency: Currency = "USD") -> None:
    """Refuse a journal whose debits and credits differ.

    Raises:
        InputDataError: "journal J: debits X != credits Y (Z too much)", naming the file.

    """
    debits = sum(ln.amount for ln in journal.lines if ln.amount > 0)
    credits = -sum(ln.amount for ln in journal.lines if ln.amount < 0)
    if debits != credits:
        places = exponent(currency)
        side = "debits" if debits > credits else "credits"
        raise InputDataError(
            f"journal {journal.journal_id} does not balance: debits {D(debits).scaleb(-places)} != credits "
            f"{D(credits).scaleb(-places)} ({D(abs(debits - credits)).scaleb(-places)} too much {side})",
            file=source,
            field=journal.journal_id,
        )


def validate_adjustments(
    journals: Iterable[JournalEntry],
    *,
    chart: Chart,
    entities: Iterable[EntityId],
    presentation_currency: Currency,
) -> None:
    """Check journals that did not come through :func:`parse_adjustments` (e.g. from the CLI).

    Raises:
        InputDataError: for an unbalanced journal, an unknown account, entity or basis.

    """
    known = set(entities)
    for j in journals:
        if j.basis not in BASES:
            raise InputDataError(
                f"journal {j.journal_id}: basis {j.basis!r} is not IFRS or US_GAAP", field=j.journal_id
            )
        for ln in j.lines:
            if not chart.has(ln.std_account):
                raise InputDataError(
                    f"journal {j.journal_id}: account {ln.std_account!r} is not in the chart",
                    field=j.journal_id,
                    account=ln.std_account,
                )
            if ln.entity and ln.entity not in known:
                raise InputDataError(
                    f"journal {j.journal_id}: entity {ln.entity!r} is not in the group",
                    field=j.journal_id,
                    entity=ln.entity,
                )
        check_balanced(j, currency=presentation_currency)
