"""A management trial balance for ERPs that keep no general ledger (Omie, Conta Azul, Bling).

These ERPs expose financial titles (receivables and payables, each with a revenue or expense
category and an accrual date), their settlements and bank balances, but no ledger. From those
facts the connector builds a trial balance that is balanced by construction, each line traceable
to what the ERP returned:

* **one line per category** (account = the ERP's category code, so the mapping file maps it to
  the standard chart like any account): opening = Σ titles of that category with an accrual date
  from the fiscal-year start to the day before the period; the period's titles are its debits
  (payables, i.e. expenses) or credits (receivables, i.e. revenue). Income-statement lines are
  year-to-date, as design.md requires. Cancelled titles are left out.
* **one line per bank/cash account** (``BANK:<id>``): opening and closing balances as the ERP
  reports them at the period's first day and after its last day.
* **receivables** (``AR``) and **payables** (``AP``, credit): titles open at the day before the
  period and at its last day (amount − settlements dated on or before that day).
* ``EQUITY`` balances the openings (net assets not otherwise explained, results of earlier
  fiscal years included) and does not move; ``UNRECONCILED`` takes whatever the period's bank,
  AR and AP movements do not explain through categorised titles (transfers to outside accounts,
  bank fees booked without a title …): zero when the ERP's records are complete, and a visible
  line — never a silent plug — when not.

``UNRECONCILED`` is then explained item by item (``explain_unreconciled``): each of the period's
bank movements that settles no title, each title settlement no bank movement carries (a payment
missing from the bank records), each pair whose amounts differ, named by the ERP's ids; what the
items do not cover is one more item, so the items always sum to the line.

A title without a category is not refused: it goes to ``UNCATEGORISED_REVENUE`` or
``UNCATEGORISED_EXPENSE``, lines the mapping file maps like any category.

Balance-sheet lines show their net movement (debit if it grew, credit if it shrank).

Example: a receivable of 100.00 accrued and half paid this month, bank 0 → 50.00, gives
``1.01 revenue: 0 | 0 | 100.00 | -100.00``, ``AR: 0 | 50.00 | 0 | 50.00``,
``BANK:1: 0 | 50.00 | 0 | 50.00``, ``EQUITY 0``, ``UNRECONCILED 0``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

import pandas as pd

from close.engine.periods import fiscal_year_first, period_bounds
from close.engine.types import EntityId, Period
from connectors.base import RECEIVABLE_COLUMNS, SUBLEDGER_COLUMNS
from connectors.payload import Payload
from connectors.trial_balance import build_local_tb, format_money

EQUITY_ACCOUNT = "EQUITY"
UNRECONCILED_ACCOUNT = "UNRECONCILED"
AR_ACCOUNT = "AR"
AP_ACCOUNT = "AP"
UNCATEGORISED_REVENUE = "UNCATEGORISED_REVENUE"
UNCATEGORISED_EXPENSE = "UNCATEGORISED_EXPENSE"
_UNCATEGORISED_NAMES = {UNCATEGORISED_REVENUE: "Receitas sem categoria",
                        UNCATEGORISED_EXPENSE: "Despesas sem categoria"}


def uncategorised(nature: str) -> str:
    """Return the line of a title without category: revenue (``R``) or expense (``P``)."""
    return UNCATEGORISED_REVENUE if nature == "R" else UNCATEGORISED_EXPENSE


@dataclass(frozen=True, slots=True)
class Settlement:
    """A payment or receipt of (part of) a title.

    Attributes:
        on: the payment date.
        amount: the amount it takes off the title, minor units, positive.
        ref: the ERP's id of the payment (a borderô, a baixa …); the bank movement that carries
            it names the same ref in ``CashMovement.settles``.
        cash: False when no money moved (a renegotiation replacing the title by another).

    """

    on: date
    amount: int
    ref: str = ""
    cash: bool = True


@dataclass(frozen=True, slots=True)
class Title:
    """A receivable (``R``) or payable (``P``) title with its category split.

    Attributes:
        ref: the ERP's id of the title (traceability).
        nature: ``R`` receivable (revenue) or ``P`` payable (expense).
        accrual: the accrual (competência) date.
        amount: the title's amount in minor units, positive.
        categories: ``(category code, amount)`` pairs summing to ``amount``.
        settlements: payments/receipts with their dates.
        counterparty: the customer or supplier, as the ERP names it.
        due: the due date, when known.

    """

    ref: str
    nature: Literal["R", "P"]
    accrual: date
    amount: int
    categories: tuple[tuple[str, int], ...]
    settlements: tuple[Settlement, ...] = ()
    counterparty: str = ""
    due: date | None = None

    def open_at(self, day: date) -> int:
        """Return the amount still open at the end of ``day`` (0 before it was accrued)."""
        if self.accrual > day:
            return 0
        return self.amount - sum(s.amount for s in self.settlements if s.on <= day)


@dataclass(frozen=True, slots=True)
class CashMovement:
    """A movement of a bank or cash account.

    Attributes:
        bank: the account's code (``BankBalance.code``).
        ref: the ERP's id of the movement.
        on: its date.
        amount: signed minor units, money in positive.
        settles: the ``Settlement.ref`` it carries, ``""`` when it settles no title.

    """

    bank: str
    ref: str
    on: date
    amount: int
    settles: str = ""


@dataclass(frozen=True, slots=True)
class UnexplainedItem:
    """One part of ``UNRECONCILED``: what the connector could not explain, by the ERP's ids.

    Attributes:
        side: ``BANK:<code>``, ``AR``, ``AP``, or ``""`` for the part no movement accounts for.
        ref: the ERP's id of the movement or payment (``""`` for the untraced part).
        on: its date, when it has one.
        amount: its share of the ``UNRECONCILED`` closing (debit positive), minor units.
        reason: why it is unexplained, in words.

    """

    side: str
    ref: str
    on: date | None
    amount: int
    reason: str

    def as_dict(self) -> dict[str, object]:
        """Return the item as JSON-ready values (run events, findings)."""
        return {"side": self.side, "ref": self.ref, "date": self.on.isoformat() if self.on else "",
                "amount": self.amount, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class BankBalance:
    """A bank or cash account's balance at the period's start and end."""

    code: str
    name: str
    opening: int
    closing: int


def build_management_trial_balance(*, entity: EntityId, period: Period, titles: Iterable[Title],
                                   banks: Sequence[BankBalance],
                                   category_names: dict[str, str],
                                   fiscal_year_start_month: int = 1) -> pd.DataFrame:
    """Build the balanced management trial balance described in the module docstring.

    Args:
        entity: the entity.
        period: ``YYYY-MM``.
        titles: receivables and payables (cancelled ones already left out), any dates.
        banks: bank/cash balances at the period's start and end.
        category_names: category code → name (codes without a name keep the code).
        fiscal_year_start_month: first month of the fiscal year (income lines are YTD).

    Returns:
        A ``LOCAL_TB_COLUMNS`` frame summing to zero: categories (sorted by code), banks,
        ``AR``, ``AP``, ``EQUITY``, ``UNRECONCILED``.

    """
    first, last = period_bounds(period)
    fy_start = date.fromisoformat(f"{fiscal_year_first(period, fiscal_year_start_month)}-01")
    before = first - timedelta(days=1)
    categories: dict[str, dict[str, int]] = {}
    ar = {"opening": 0, "closing": 0}
    ap = {"opening": 0, "closing": 0}
    for title in titles:
        sign = -1 if title.nature == "R" else 1  # revenue is a credit, expense a debit
        # a title accrued after the period makes no line (it may be read for its payments)
        for code, amount in title.categories if title.accrual <= last else ():
            line = categories.setdefault(code, {"opening": 0, "debit": 0, "credit": 0})
            if fy_start <= title.accrual < first:
                line["opening"] += sign * amount
            elif first <= title.accrual <= last:
                line["debit" if sign * amount > 0 else "credit"] += abs(amount)
        side = ar if title.nature == "R" else ap
        side["opening"] += -sign * title.open_at(before)
        side["closing"] += -sign * title.open_at(last)
    records: list[dict[str, object]] = []
    for code in sorted(categories):
        line = categories[code]
        name = category_names.get(code) or _UNCATEGORISED_NAMES.get(code, code)
        records.append({"account": code, "account_name": name, **line,
                        "closing": line["opening"] + line["debit"] - line["credit"]})
    for bank in banks:
        records.append(_balance_line(f"BANK:{bank.code}", bank.name, bank.opening, bank.closing))
    records.append(_balance_line(AR_ACCOUNT, "Contas a receber (títulos em aberto)", **ar))
    records.append(_balance_line(AP_ACCOUNT, "Contas a pagar (títulos em aberto)", **ap))
    opening_total = sum(int(r["opening"]) for r in records)  # type: ignore[call-overload]
    records.append(_balance_line(EQUITY_ACCOUNT, "Patrimônio líquido gerencial (abertura)",
                                 -opening_total, -opening_total))
    closing_total = sum(int(r["closing"]) for r in records)  # type: ignore[call-overload]
    records.append(_balance_line(UNRECONCILED_ACCOUNT, "Diferença de conciliação gerencial",
                                 0, -closing_total))
    return build_local_tb(records, entity)


def _balance_line(account: str, name: str, opening: int, closing: int) -> dict[str, object]:
    movement = closing - opening
    return {"account": account, "account_name": name, "opening": opening,
            "debit": max(movement, 0), "credit": max(-movement, 0), "closing": closing}


def receivables_frame(entity: EntityId, titles: Iterable[Title], as_of: date) -> pd.DataFrame:
    """Return the receivables open at ``as_of`` as a ``RECEIVABLE_COLUMNS`` frame.

    Args:
        entity: the entity.
        titles: titles of any nature (payables are skipped).
        as_of: the aging date.

    Returns:
        One row per open receivable, amounts ``int64`` minor units.

    """
    rows = [{"entity": entity, "document": t.ref, "counterparty": t.counterparty,
             "counterparty_name": t.counterparty, "issue_date": t.accrual,
             "due_date": t.due or t.accrual, "amount": t.amount, "open_amount": t.open_at(as_of),
             "status": "overdue" if (t.due or t.accrual) < as_of else "open"}
            for t in titles if t.nature == "R" and t.open_at(as_of) > 0]
    frame = pd.DataFrame(rows, columns=list(RECEIVABLE_COLUMNS))
    return frame.astype({"amount": "int64", "open_amount": "int64"})


def titles_frame(entity: str, titles: list[Title], first: date, last: date,
                 account: str | None) -> pd.DataFrame:
    """Return the period's titles by category as ``SUBLEDGER_COLUMNS`` (shared by the ERPs).

    Args:
        entity: the entity.
        titles: the titles.
        first: first day of the period.
        last: last day of the period.
        account: only this category when given.

    Returns:
        One row per title and category.

    """
    rows = [{"entity": entity, "account": code, "date": t.accrual, "document": t.ref,
             "description": f"{'receivable' if t.nature == 'R' else 'payable'} {t.ref}",
             "counterparty": t.counterparty, "debit": amount if t.nature == "P" else 0,
             "credit": amount if t.nature == "R" else 0}
            for t in titles if first <= t.accrual <= last
            for code, amount in t.categories if account in (None, code)]
    return pd.DataFrame(rows, columns=list(SUBLEDGER_COLUMNS)).astype(
        {"debit": "int64", "credit": "int64"})


def bank_balances(names: Mapping[str, str], movements: Iterable[CashMovement], first: date,
                  last: date, openings: Mapping[str, Iterable[tuple[date, int]]] | None = None,
                  ) -> list[BankBalance]:
    """Return each account's balance before ``first`` and at ``last`` from its records.

    A balance at a day is the sum of the account's opening records dated up to it plus its
    movements up to it (an opening record states the balance at the start of its day, so the
    movements of that day come on top).

    Args:
        names: account code → name, in the order the lines should appear.
        movements: the accounts' movements, any dates.
        first: the period's first day.
        last: the period's last day.
        openings: account code → ``(date, signed amount)`` opening-balance records.

    Returns:
        One ``BankBalance`` per account of ``names``.

    """
    before = first - timedelta(days=1)
    moves = list(movements)

    def at(code: str, day: date) -> int:
        records = (openings or {}).get(code, ())
        return (sum(a for on, a in records if on <= day)
                + sum(m.amount for m in moves if m.bank == code and m.on <= day))

    return [BankBalance(code, name, at(code, before), at(code, last)) for code, name in names.items()]


def explain_unreconciled(frame: pd.DataFrame, period: Period, titles: Iterable[Title],
                         movements: Iterable[CashMovement]) -> tuple[UnexplainedItem, ...]:
    """Explain the ``UNRECONCILED`` line of a management trial balance item by item.

    The line is what the period's bank movements and title settlements do not explain through
    each other: a movement carrying no settlement, a settlement no movement carries, a pair whose
    amounts differ. Whatever those items leave (a title settled before it accrued, say) is one
    more item, so the items sum to the line exactly.

    Args:
        frame: the trial balance ``build_management_trial_balance`` returned.
        period: ``YYYY-MM``.
        titles: the titles it was built from.
        movements: the bank movements its bank lines were built from.

    Returns:
        The items, movements first, in date order; empty when the line is zero and every
        movement is matched.

    """
    first, last = period_bounds(period)
    lines = frame.set_index("account")
    # only the accounts the trial balance has a line for (a transfer's other leg may not)
    in_period = [m for m in movements if first <= m.on <= last and f"BANK:{m.bank}" in lines.index]
    cash: dict[str, list[CashMovement]] = {}
    for m in in_period:
        if m.settles:
            cash.setdefault(m.settles, []).append(m)
    paid: dict[str, int] = {}
    items: list[UnexplainedItem] = []
    for title in titles:
        side = AR_ACCOUNT if title.nature == "R" else AP_ACCOUNT
        for s in title.settlements:
            if not (s.cash and first <= s.on <= last and title.accrual <= last):
                continue
            signed = s.amount if side == AR_ACCOUNT else -s.amount
            if s.ref and s.ref in cash:
                paid[s.ref] = paid.get(s.ref, 0) + signed
            else:
                items.append(UnexplainedItem(
                    side, s.ref or title.ref, s.on, signed,
                    f"{'receipt' if side == AR_ACCOUNT else 'payment'} of title {title.ref} "
                    "found in no bank movement"))
    items.extend(UnexplainedItem(f"BANK:{m.bank}", m.ref, m.on, -m.amount,
                                 "bank movement settling no title")
                 for m in in_period if not m.settles)
    for ref, moves in cash.items():
        moved, explained = sum(m.amount for m in moves), paid.get(ref, 0)
        if moved != explained:  # a transfer between two listed accounts nets to zero
            reason = (f"bank movement of {moved} for settlements of {explained}" if ref in paid
                      else "bank movement settling no title")
            items.append(UnexplainedItem(f"BANK:{moves[0].bank}", ref, moves[0].on,
                                         explained - moved, reason))
    total = int(lines.at[UNRECONCILED_ACCOUNT, "closing"]) if UNRECONCILED_ACCOUNT in lines.index else 0
    rest = total - sum(i.amount for i in items)
    if rest:
        items.append(UnexplainedItem("", "", None, rest, "not traced to a movement or settlement"))
    return tuple(sorted(items, key=lambda i: (i.on is None, i.on or last, i.side, i.ref)))


def check_payments_match(p: Payload, field: str, title: str, stated: int,
                         settlements: Iterable[Settlement]) -> None:
    """Refuse a title whose payments, as read, do not add up to what the ERP says was paid.

    The ERP states each title's paid (or open) amount; the connector reads the payments one by
    one (Bling's borderôs, Conta Azul's baixas). When the two differ, the reading of a payment
    is wrong for this data and the receivables or payables would be too.

    Args:
        p: the reader of the title's endpoint (names entity and endpoint in the error).
        field: the field that states the paid or open amount.
        title: the title's id.
        stated: what the ERP says was paid, minor units.
        settlements: the payments read, any dates.

    Raises:
        InputDataError: naming the title, both amounts and the difference.

    """
    read = sum(s.amount for s in settlements if s.cash)
    if read != stated:
        raise p.error(field, f"title {title}: paid {format_money(stated, p.currency)} by the ERP's "
                      f"count != {format_money(read, p.currency)} from its payments "
                      f"({format_money(stated - read, p.currency)} unexplained)")
