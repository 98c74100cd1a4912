"""The standard-cost file: one row per input of a product's standard cost card, with its actuals.

Columns: ``entity,product,input,std_qty,std_price,actual_qty,actual_price,actual_units`` and the
optional ``mix_group`` (inputs of one group are mixed: mix and yield variances),
``batch_output`` (output of one standard batch, default 1: ``std_qty`` per unit),
``budget_units`` (volume variance), ``selling_price`` and ``fixed_costs`` (CVP). The
product-level columns (``actual_units`` onwards) may be repeated on every row of a product or
given once; two different values are an error naming the row. An optional ``period`` column
(``YYYY-MM``) lets one file hold several months; a run reads only its own period's rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from close.analysis.costing.variances import StandardInput
from close.engine.csvrows import csv_rows
from close.engine.money import D
from close.errors import InputDataError

REQUIRED = ("entity", "product", "input", "std_qty", "std_price", "actual_qty", "actual_price",
            "actual_units")
PRODUCT_LEVEL = ("actual_units", "batch_output", "budget_units", "selling_price", "fixed_costs")


@dataclass(frozen=True, slots=True)
class ProductCard:
    """One product (or cost centre) of one entity: its inputs and product-level figures."""

    entity: str
    product: str
    inputs: tuple[StandardInput, ...]
    actual_units: Decimal
    batch_output: Decimal = Decimal(1)
    budget_units: Decimal | None = None
    selling_price: Decimal | None = None
    fixed_costs: Decimal | None = None


def parse_standard_costs(data: bytes, *, entities: frozenset[str], source: str = "standard_costs",
                         period: str | None = None) -> tuple[ProductCard, ...]:
    """Parse the file into product cards, in the file's order.

    Raises:
        InputDataError: naming the file, row and column of the first bad value.

    """
    inputs: dict[tuple[str, str], list[StandardInput]] = {}
    levels: dict[tuple[str, str], dict[str, Decimal]] = {}
    for number, row in csv_rows(data, REQUIRED, source=source, period=period):

        def num(column: str, row: dict[str, str] = row, number: int = number) -> Decimal | None:
            if not row.get(column):
                return None
            try:
                value = D(row[column])
            except ValueError:
                raise InputDataError(f"got {row[column]!r}, expected a number", file=source, row=number,
                                     column=column) from None
            if value < 0:
                raise InputDataError(f"got {value}, expected zero or more", file=source, row=number,
                                     column=column)
            return value

        if row["entity"] not in entities:
            raise InputDataError(f"got {row['entity']!r}, expected an entity of the group", file=source,
                                 row=number, column="entity")
        key = (row["entity"], row["product"])
        values = {c: num(c) for c in ("std_qty", "std_price", "actual_qty", "actual_price")}
        for column, value in values.items():
            if value is None:
                raise InputDataError("missing value, expected a number", file=source, row=number,
                                     column=column)
        inputs.setdefault(key, []).append(StandardInput(
            row["input"], values["std_qty"], values["std_price"], values["actual_qty"],
            values["actual_price"], row.get("mix_group", "")))
        known = levels.setdefault(key, {})
        for column in PRODUCT_LEVEL:
            value = num(column)
            if value is None:
                continue
            if column in known and known[column] != value:
                raise InputDataError(f"got {value}, expected {known[column]} as on the product's earlier row",
                                     file=source, row=number, column=column)
            known[column] = value
    cards = []
    for (entity, product), members in inputs.items():
        level = levels[(entity, product)]
        if "actual_units" not in level:
            raise InputDataError(f"product {product} has no actual_units", file=source, column="actual_units",
                                 entity=entity)
        cards.append(ProductCard(entity, product, tuple(members), level["actual_units"],
                                 level.get("batch_output", Decimal(1)), level.get("budget_units"),
                                 level.get("selling_price"), level.get("fixed_costs")))
    return tuple(cards)
