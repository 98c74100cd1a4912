"""Journal entries: the consolidation's postings on top of the translated trial balances.

Every elimination, investment/NCI entry, PPA entry and top-side or GAAP adjustment is a frozen
``JournalEntry`` whose ``JournalLine`` amounts are integer minor units of the presentation
currency (debit positive, credit negative) and sum to exactly zero. Each line says where it came
from (``source``: the TB line ``entity/account/counterparty``, the rule, or the file row), so a
consolidated figure can be traced back to the lines and rules behind it.

Example:
    >>> e = JournalEntry("IC-1", "elimination", "IFRS", "IC receivable/payable HOLD-BR1",
    ...     (JournalLine("HOLD", "1150", 100, counterparty="BR1"),
    ...      JournalLine("BR1", "2050", -100, counterparty="HOLD")))
    >>> e.total()
    0

"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from close.engine.types import AccountCode, EntityId

JOURNAL_KINDS = frozenset({"elimination", "investment", "nci", "equity_method", "ppa", "adjustment"})
BASES = frozenset({"IFRS", "US_GAAP"})
# Which worksheet column a journal kind lands in.
WORKSHEET_COLUMN: dict[str, str] = {
    "elimination": "elimination",
    "investment": "elimination",
    "nci": "elimination",
    "equity_method": "elimination",
    "ppa": "ppa",
    "adjustment": "adjustment",
}
JOURNAL_LINE_COLUMNS: tuple[str, ...] = (
    "journal_id",
    "kind",
    "basis",
    "entity",
    "std_account",
    "counterparty",
    "amount",
    "memo",
    "source",
)


@dataclass(frozen=True, slots=True)
class JournalLine:
    """One posting: an amount (presentation minor units) on a standard account of an entity.

    ``entity`` is ``""`` for a group-level posting; ``source`` names the TB line, rule or file row.
    """

    entity: EntityId
    std_account: AccountCode
    amount: int
    counterparty: str = ""
    memo: str = ""
    source: str = ""


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """A balanced journal: ``kind`` (see ``JOURNAL_KINDS``), ``basis`` IFRS or US_GAAP."""

    journal_id: str
    kind: str
    basis: str
    memo: str
    lines: tuple[JournalLine, ...]

    def total(self) -> int:
        """Return the sum of the line amounts (zero for a balanced entry)."""
        return sum(line.amount for line in self.lines)


def balanced_entry(
    journal_id: str, kind: str, memo: str, lines: Iterable[JournalLine], basis: str = "IFRS"
) -> JournalEntry | None:
    """Build an entry from lines, dropping zero lines; None when nothing is left.

    Args:
        journal_id: a stable id (rule and keys), so re-running gives the same ids.
        kind: one of ``JOURNAL_KINDS``.
        memo: what the entry does, for the reader of the package.
        lines: the postings.
        basis: ``IFRS`` or ``US_GAAP``.

    Returns:
        The entry, or None when every line is zero.

    Raises:
        ValueError: when the lines do not sum to zero (a bug in the rule that built them).

    """
    kept = tuple(line for line in lines if line.amount != 0)
    if not kept:
        return None
    entry = JournalEntry(journal_id, kind, basis, memo, kept)
    if entry.total() != 0:
        raise ValueError(f"journal {journal_id} does not balance: {entry.total()} left over")
    return entry


def journal_lines_frame(journals: Iterable[JournalEntry]) -> pd.DataFrame:
    """Flatten journals into one row per line (``JOURNAL_LINE_COLUMNS``, amount int64)."""
    rows = [
        (
            j.journal_id,
            j.kind,
            j.basis,
            ln.entity,
            ln.std_account,
            ln.counterparty,
            ln.amount,
            ln.memo or j.memo,
            ln.source,
        )
        for j in journals
        for ln in j.lines
    ]
    frame = pd.DataFrame(rows, columns=list(JOURNAL_LINE_COLUMNS), dtype=object)
    frame["amount"] = np.asarray([r[6] for r in rows], dtype=np.int64)
    return frame
