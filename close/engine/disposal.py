"""Disposal of a subsidiary: loss of control (IFRS 10.25, B98; IAS 21.48).

An entity's ``[entities.disposal]`` (date, proceeds) sells the parent's whole holding. It is
recognised at the end of the month of its date:

* in that month the subsidiary's profit to date is consolidated as usual (with the NCI's share),
  and one journal derecognises its assets and liabilities (fair values included), its goodwill
  and its NCI, reclassifies the group's share of its cumulative translation difference from OCI
  to profit (IAS 21.48), and replaces the parent's own gain (proceeds − cost, booked by the parent
  with counterparty the subsidiary on the ``disposal_result`` account, the investment credited
  at cost) by the group's: ``proceeds − (net assets + goodwill − NCI) ± recycled CTA``;
* the disposed subsidiary's contribution to the consolidated trial balance (its profit to the
  disposal, the NCI's share, the gain) is carried to the later months of the same fiscal year,
  account by account, through the prior result; from the next fiscal year the parent's own
  books hold the outcome and nothing is carried.

The check: the group's gain computed from the journal equals ``proceeds − (net assets + goodwill
− NCI) − recycled CTA`` from the config; a difference means the parent's own entry is not
``proceeds − cost`` and is reported, not hidden.

Modelled for a direct subsidiary of the top parent without subsidiaries of its own, sold whole
(no retained interest).

Example: proceeds 300 for a subsidiary with net assets 200, goodwill 60 and NCI 40, no CTA: the
group's gain is 300 − (200 + 60 − 40) = 80.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

import pandas as pd

from close.config import EntityConfig
from close.engine.frames import frame_from_rows
from close.engine.journals import JournalEntry, JournalLine, balanced_entry
from close.engine.periods import fiscal_year_first
from close.engine.types import AccountCode, EntityId, Period
from close.errors import InputDataError

DISPOSAL_COLUMNS: tuple[str, ...] = (
    "entity",
    "date",
    "period",
    "proceeds",
    "cost",
    "net_assets",
    "goodwill",
    "nci",
    "cta_recycled",
    "parent_gain",
    "gain",
)
CONTRIBUTION_COLUMNS: tuple[str, ...] = ("entity", "period", "std_account", "amount")


def disposal_month(entity: EntityConfig) -> Period | None:
    """Return the month a disposal is recognised in, or None without one."""
    d = entity.disposal
    return None if d is None else f"{d.date.year:04d}-{d.date.month:02d}"


def disposed_now(entities: Iterable[EntityConfig], period: Period) -> tuple[EntityId, ...]:
    """Return the entities disposed of in ``period``."""
    return tuple(e.id for e in entities if disposal_month(e) == period)


def carried(entities: Iterable[EntityConfig], period: Period, fiscal_year_start: int) -> tuple[EntityId, ...]:
    """Return the entities disposed of earlier in ``period``'s fiscal year (their contribution is carried)."""
    first = fiscal_year_first(period, fiscal_year_start)
    return tuple(e.id for e in entities if (m := disposal_month(e)) is not None and first <= m < period)


def entities_after_disposals(entities: Iterable[EntityConfig], period: Period) -> tuple[EntityConfig, ...]:
    """Return the entities with those disposed of before ``period`` no longer consolidated."""
    return tuple(
        replace(e, method="none") if (m := disposal_month(e)) and m < period else e for e in entities
    )


@dataclass(frozen=True, slots=True)
class DisposalInputs:
    """What the derecognition needs, in presentation minor units (TB sign unless said)."""

    sid: EntityId
    parent: EntityId
    date: str
    period: Period
    proceeds: int  # positive
    cost: int  # the investment the parent derecognised, positive
    balance_sheet: Mapping[AccountCode, int]  # the subsidiary's assets and liabilities by account
    goodwill: int  # at the closing rate, positive
    nci: int  # the NCI's carrying amount, positive for a credit balance
    cta_group: int  # the group's share of the subsidiary's CTA (TB sign: a debit is a loss)
    parent_gain: int  # the parent's own gain line (TB sign: a credit for a gain)


def disposal_journal(d: DisposalInputs, codes: Mapping[str, AccountCode]) -> tuple[JournalEntry, tuple]:
    """Return the derecognition journal and the disposal's row of ``DISPOSAL_COLUMNS``.

    Raises:
        InputDataError: when the parent's own gain is not proceeds − cost (the check above).

    """
    rule = f"rule IFRS 10.25 {d.sid}"
    lines = [
        JournalLine(d.sid, acct, -amount, "", f"{d.sid}'s net assets derecognised", rule)
        for acct, amount in sorted(d.balance_sheet.items())
    ]
    net_assets = sum(d.balance_sheet.values())
    lines += [
        JournalLine(d.sid, codes["goodwill"], -d.goodwill, "", f"goodwill on {d.sid} off", rule),
        JournalLine(d.sid, codes["nci"], d.nci, "", f"NCI in {d.sid} derecognised", rule),
        JournalLine(
            d.parent, codes["inv"], d.cost, d.sid, f"investment in {d.sid}, derecognised by {d.parent}", rule
        ),
        JournalLine(
            d.sid, codes["cta"], -d.cta_group, "", f"CTA of {d.sid} to profit", f"rule IAS 21.48 {d.sid}"
        ),
        JournalLine(
            d.sid, codes["result"], d.cta_group, "", f"CTA of {d.sid} recycled", f"rule IAS 21.48 {d.sid}"
        ),
    ]
    adjustment = net_assets + d.goodwill - d.nci - d.cost
    lines.append(
        JournalLine(
            d.parent,
            codes["result"],
            adjustment,
            d.sid,
            f"the group's gain on {d.sid} replaces {d.parent}'s own",
            rule,
        )
    )
    gain = -(d.parent_gain + d.cta_group + adjustment)
    expected = d.proceeds - (net_assets + d.goodwill - d.nci) - d.cta_group
    if gain != expected:
        raise InputDataError(
            f"{d.parent}'s own gain on the disposal of {d.sid} is {-d.parent_gain} minor units; the "
            f"proceeds less the cost are {d.proceeds - d.cost}",
            entity=d.parent,
            account=codes["result"],
            field="counterparty",
        )
    entry = balanced_entry(f"DISPOSAL:{d.sid}", "investment", f"disposal of {d.sid} on {d.date}", lines)
    assert entry is not None  # noqa: S101 (the investment line is never zero)
    row = (
        d.sid,
        d.date,
        d.period,
        d.proceeds,
        d.cost,
        net_assets,
        d.goodwill,
        d.nci,
        d.cta_group,
        -d.parent_gain,
        gain,
    )
    return entry, row


def contribution(
    with_sub: pd.DataFrame, without_sub: pd.DataFrame, sid: EntityId, period: Period, balance_sheet: set[str]
) -> pd.DataFrame:
    """Return what a disposed subsidiary adds to the consolidated TB (``CONTRIBUTION_COLUMNS``).

    Raises:
        InputDataError: when it leaves a balance-sheet amount behind (a rule did not derecognise it).

    """
    both = pd.concat([with_sub, without_sub.assign(amount=-without_sub["amount"])], ignore_index=True)
    sums = both.groupby("std_account", sort=True)["amount"].sum()
    sums = sums[sums != 0]
    left = [str(a) for a in sums.index if a in balance_sheet]
    if left:
        raise InputDataError(
            f"the disposal of {sid} leaves balances on {left} in the consolidated TB (open intercompany "
            "balances with a subsidiary disposed of are not modelled: settle them before the disposal)",
            entity=sid,
            field="disposal",
        )
    rows = [(sid, period, str(a), int(v)) for a, v in sums.items()]
    return frame_from_rows(rows, CONTRIBUTION_COLUMNS, ints=("amount",))


def carried_journal(sid: EntityId, prior: pd.DataFrame | None) -> JournalEntry:
    """Return the journal that keeps a subsidiary disposed of earlier this year in the year's figures.

    Raises:
        InputDataError: when no prior result carries its contribution.

    """
    rows = None if prior is None else prior[prior["entity"] == sid]
    if rows is None or rows.empty:
        raise InputDataError(
            f"{sid} was disposed of earlier this fiscal year and no prior run carries its contribution: "
            "close the months since the disposal first",
            entity=sid,
            field="disposal",
        )
    lines = [
        JournalLine(sid, str(a), int(v), "", f"{sid} to its disposal in {p}", f"rule IFRS 10.B98 {sid}")
        for a, v, p in zip(rows["std_account"], rows["amount"], rows["period"], strict=True)
    ]
    entry = balanced_entry(f"DISPOSED:{sid}", "investment", f"{sid}, disposed of this year", lines)
    assert entry is not None  # noqa: S101 (a carried contribution is never empty)
    return entry


def disposals_frame(rows: list[tuple]) -> pd.DataFrame:
    """Return disposal rows as a ``DISPOSAL_COLUMNS`` frame."""
    return frame_from_rows(rows, DISPOSAL_COLUMNS, ints=DISPOSAL_COLUMNS[3:])
