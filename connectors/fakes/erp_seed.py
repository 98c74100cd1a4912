"""One small set of books shared by the Omie, Conta Azul and Bling fakes.

Each fake renders these titles, settlements and bank balances in its own wire format. The
trial balance they must produce for 2024-03 (fiscal year from January) is written out by hand in
``tests/connectors/test_erp_connectors.py``; the arithmetic is in ``connectors/management.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

PERIOD = "2024-03"

# code → (name, nature R/P)
CATEGORIES: dict[str, tuple[str, str]] = {
    "1.01.01": ("Receita de serviços", "R"),
    "1.01.02": ("Venda de mercadorias", "R"),
    "2.01.01": ("Aluguel", "P"),
    "2.02.01": ("Salários", "P"),
    "2.03.01": ("Serviços de terceiros", "P"),
}
# Grouping categories the ERPs list too; they carry no titles and must not become lines.
GROUP_CATEGORIES: dict[str, tuple[str, str]] = {"1.01": ("Receitas", "R"), "2.01": ("Despesas", "P")}


@dataclass(frozen=True)
class SeedTitle:
    ref: str
    nature: str                      # R receivable, P payable
    category: str
    accrual: date
    due: date
    amount: Decimal
    paid: tuple[tuple[date, Decimal], ...] = ()
    canceled: bool = False
    counterparty: str = "Cliente Exemplo"

    @property
    def paid_total(self) -> Decimal:
        return sum((a for _, a in self.paid), Decimal(0))


TITLES: tuple[SeedTitle, ...] = (
    SeedTitle("5001", "R", "1.01.01", date(2024, 1, 15), date(2024, 2, 10), Decimal("10000.00"),
              ((date(2024, 2, 10), Decimal("10000.00")),)),
    SeedTitle("5002", "R", "1.01.01", date(2024, 3, 5), date(2024, 3, 20), Decimal("20000.00"),
              ((date(2024, 3, 20), Decimal("12000.00")),)),
    SeedTitle("5003", "R", "1.01.02", date(2024, 3, 25), date(2024, 4, 25), Decimal("5000.00")),
    SeedTitle("5004", "R", "1.01.01", date(2024, 2, 20), date(2024, 3, 5), Decimal("3000.00"),
              ((date(2024, 3, 5), Decimal("3000.00")),)),
    SeedTitle("6001", "P", "2.01.01", date(2024, 3, 1), date(2024, 3, 10), Decimal("4000.00"),
              ((date(2024, 3, 10), Decimal("4000.00")),), counterparty="Imobiliária"),
    SeedTitle("6002", "P", "2.02.01", date(2024, 2, 28), date(2024, 3, 5), Decimal("9000.00"),
              ((date(2024, 3, 5), Decimal("9000.00")),), counterparty="Folha"),
    SeedTitle("6003", "P", "2.01.01", date(2024, 2, 1), date(2024, 2, 10), Decimal("4000.00"),
              ((date(2024, 2, 10), Decimal("4000.00")),), counterparty="Imobiliária"),
    SeedTitle("6004", "P", "2.03.01", date(2024, 3, 30), date(2024, 4, 30), Decimal("1500.00"),
              counterparty="Consultoria"),
    SeedTitle("5099", "R", "1.01.01", date(2024, 3, 10), date(2024, 3, 31), Decimal("999.99"),
              canceled=True),
)


@dataclass(frozen=True)
class SeedBank:
    id: str
    name: str
    initial: Decimal          # balance before any seeded movement
    since: date = date(2024, 1, 1)

    def balance_at_end_of(self, day: date) -> Decimal:
        total = self.initial
        for t in TITLES:
            if t.canceled:
                continue
            for on, amount in t.paid:
                if on <= day:
                    total += amount if t.nature == "R" else -amount
        return total


BANKS: tuple[SeedBank, ...] = (SeedBank("1001", "Conta Itaú", Decimal("44000.00")),)


def cash_movements() -> list[tuple[date, str, Decimal, SeedTitle | None]]:
    """Every bank movement: (date, bank id, signed amount, title) with the opening deposit first."""
    moves: list[tuple[date, str, Decimal, SeedTitle | None]] = [
        (BANKS[0].since, BANKS[0].id, BANKS[0].initial, None)]
    for t in TITLES:
        if not t.canceled:
            for on, amount in t.paid:
                moves.append((on, BANKS[0].id, amount if t.nature == "R" else -amount, t))
    return sorted(moves, key=lambda m: m[0])
