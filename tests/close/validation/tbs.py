"""Inline trial balances for the validation tests, and one clean close they are varied from.

``tb(text)`` parses a pipe-separated block whose first line names the columns; amount columns
(opening, debit, credit, closing, amount, movement, translated, …) are written in major units and
become int64 minor units of ``currency`` (or of each row's ``currency`` column); a TB's absent dimension
columns (counterparty, cost center, department) are added empty.

The clean close: US1 (USD, the parent) and BR1 (BRL, constant rate 0.20 so that translation is
exact and the CTA is zero), August 2025, a calendar fiscal year. Every check passes on it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pandas as pd

from close.checks import ValidationContext
from close.config import EntityConfig, Thresholds, ValidationSettings
from close.engine.chart import load_chart
from close.engine.intercompany import IC_PAIR_COLUMNS
from close.engine.money import D, to_minor
from close.rates.model import FxRate

AMOUNTS = frozenset(
    {
        "opening",
        "debit",
        "credit",
        "closing",
        "amount",
        "movement",
        "translated",
        "translated_movement",
        "local_closing",
        "local_movement",
        "plug",
        "from_parts",
        "difference",
        "tolerance",
        "entity_amount",
        "counterparty_amount",
        "mismatch",
    }
)
CHART = load_chart()


def tb(text: str, currency: str = "USD") -> pd.DataFrame:
    """Parse a pipe-separated block (header line first) into a frame of int64 minor units."""
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    header = [c.strip() for c in lines[0].split("|")]
    rows = [[c.strip() for c in ln.split("|")] for ln in lines[1:]]
    frame = pd.DataFrame(rows, columns=header, dtype=object)
    for column in header:
        if column in AMOUNTS:
            ccy = frame["currency"] if "currency" in frame.columns else pd.Series(currency, index=frame.index)
            frame[column] = pd.Series(
                [to_minor(D(v.replace(",", "")), c) for v, c in zip(frame[column], ccy, strict=True)],
                index=frame.index,
                dtype="int64",
            )
    if {"entity", "std_account"} <= set(header):  # a TB: absent dimensions are "" (close/engine/frames.py)
        for column in ("counterparty", "cost_center", "department"):
            if column not in frame.columns:
                frame[column] = ""
    return frame


LOCAL = tb("""
entity | account | account_name | std_account | opening | debit | credit | closing | currency
US1 | 1.1.01 | Cash | 1000 | 1000.00 | 500.00 | 0.00 | 1500.00 | USD
US1 | 2.1.01 | Payables | 2000 | -300.00 | 0.00 | 100.00 | -400.00 | USD
US1 | 2.3.01 | Share capital | 3000 | -500.00 | 0.00 | 0.00 | -500.00 | USD
US1 | 2.3.02 | Retained earnings | 3100 | -200.00 | 0.00 | 0.00 | -200.00 | USD
US1 | 3.1.01 | Revenue | 4000 | -700.00 | 0.00 | 500.00 | -1200.00 | USD
US1 | 4.1.01 | Cost of sales | 5000 | 300.00 | 100.00 | 0.00 | 400.00 | USD
US1 | 4.2.01 | Salaries | 6000 | 400.00 | 0.00 | 0.00 | 400.00 | USD
BR1 | 1.1.01 | Caixa | 1000 | 5000.00 | 1000.00 | 0.00 | 6000.00 | BRL
BR1 | 2.1.01 | Fornecedores | 2000 | -1000.00 | 0.00 | 500.00 | -1500.00 | BRL
BR1 | 2.3.01 | Capital social | 3000 | -2000.00 | 0.00 | 0.00 | -2000.00 | BRL
BR1 | 2.3.02 | Lucros acumulados | 3100 | -1000.00 | 0.00 | 0.00 | -1000.00 | BRL
BR1 | 3.1.01 | Receita | 4000 | -2000.00 | 0.00 | 1000.00 | -3000.00 | BRL
BR1 | 4.1.01 | Custo | 5000 | 1000.00 | 500.00 | 0.00 | 1500.00 | BRL
""")

TRANSLATED = tb("""
entity | std_account | rate | rate_type | translated | translated_movement
US1 | 1000 | 1 | closing | 1500.00 | 500.00
US1 | 2000 | 1 | closing | -400.00 | -100.00
US1 | 3000 | 1 | historical| -500.00 | 0.00
US1 | 3100 | 1 | historical| -200.00 | 0.00
US1 | 4000 | 1 | average | -1200.00 | -500.00
US1 | 5000 | 1 | average | 400.00 | 100.00
US1 | 6000 | 1 | average | 400.00 | 0.00
US1 | 3300 | | plug | 0.00 | 0.00
BR1 | 1000 | 0.2 | closing | 1200.00 | 200.00
BR1 | 2000 | 0.2 | closing | -300.00 | -100.00
BR1 | 3000 | 0.2 | historical| -400.00 | 0.00
BR1 | 3100 | 0.2 | historical| -200.00 | 0.00
BR1 | 4000 | 0.2 | average | -600.00 | -200.00
BR1 | 5000 | 0.2 | average | 300.00 | 100.00
BR1 | 3300 | | plug | 0.00 | 0.00
""")

CONSOLIDATED = tb("""
std_account | amount   | movement
1000        | 2700.00  | 700.00
2000        | -700.00  | -200.00
3000        | -900.00  | 0.00
3100        | -400.00  | 0.00
3300        | 0.00     | 0.00
4000        | -1800.00 | -700.00
5000        | 700.00   | 200.00
6000        | 400.00   | 0.00
""")

PRIOR_CONSOLIDATED = tb("""
std_account | amount   | movement
1000        | 2000.00  | 600.00
2000        | -500.00  | -100.00
3000        | -900.00  | 0.00
3100        | -400.00  | 0.00
3300        | 0.00     | 0.00
4000        | -1100.00 | -680.00
5000        | 500.00   | 190.00
6000        | 400.00   | 0.00
""")

BUDGET = tb("""
std_account | amount
4000        | -690.00
5000        | 205.00
6000        | 0.00
""")

CTA = tb("""
entity | plug | from_parts | difference | tolerance
US1    | 0.00 | 0.00       | 0.00       | 0.00
BR1    | 0.00 | 0.00       | 0.00       | 0.04
""")

ENTITIES = (
    EntityConfig(id="US1", name="US parent", currency="USD", connector="file", source={}),
    EntityConfig(
        id="BR1",
        name="Brasil Ltda",
        currency="BRL",
        connector="file",
        source={},
        parent="US1",
        ownership=Decimal(1),
    ),
)


def rate(period: str, kind: str, value: str, currency: str = "BRL") -> FxRate:
    """A file rate ``value`` USD per ``currency``."""
    return FxRate(
        period=period,
        currency=currency,
        presentation_currency="USD",
        rate_type=kind,  # type: ignore[arg-type]
        rate=D(value),
        quoted=D(value),
        quote_direction=f"USD per {currency}",
        source="file",
        method="file",
        as_of=None,
        path=f"{currency}->USD file",
        is_override=False,
        raw=(),
        retrieved_at=datetime(2025, 9, 1, tzinfo=UTC),
    )


RATES = (rate("2025-08", "closing", "0.2"), rate("2025-08", "average", "0.2"))
PRIOR_RATES = (rate("2025-07", "closing", "0.2"), rate("2025-07", "average", "0.2"))


def prior_local() -> pd.DataFrame:
    """July's local TB: every line closed at August's opening, and had activity."""
    prior = LOCAL.copy()
    prior["closing"] = prior["opening"]
    prior["debit"] = prior["opening"].clip(lower=0)
    prior["credit"] = (-prior["opening"]).clip(lower=0)
    prior["opening"] = 0
    return prior


def mapping_of(local: pd.DataFrame) -> pd.DataFrame:
    """Every (entity, account) of ``local`` mapped by an entity row to its std_account."""
    return (
        local[["entity", "account", "std_account"]]
        .drop_duplicates()
        .assign(source="entity")
        .reset_index(drop=True)
    )


# Flux thresholds high enough that the clean month's honest changes are not material.
CALM = Thresholds(budget_abs=D(100000), budget_pct=D(10), mom_abs=D(100000), mom_pct=D(10))


def clean(**changes: Any) -> ValidationContext:  # noqa: ANN401
    """The clean close, with ``changes`` applied (e.g. ``local=…``; mapping follows ``local``)."""
    local = changes.get("local", LOCAL)
    ctx = ValidationContext(
        period="2025-08",
        presentation_currency="USD",
        chart=CHART,
        entities=ENTITIES,
        local=LOCAL,
        mapping=mapping_of(local),
        translated=TRANSLATED,
        consolidated=CONSOLIDATED,
        cta=CTA,
        ic_pairs=pd.DataFrame(columns=list(IC_PAIR_COLUMNS)),
        rates=RATES,
        prior_rates=PRIOR_RATES,
        prior_consolidated=PRIOR_CONSOLIDATED,
        prior_local=prior_local(),
        budget=BUDGET,
        journal_lines=None,
        settings=ValidationSettings(),
        thresholds=CALM,
        fiscal_year_start=1,
    )
    return replace(ctx, **changes)


def with_line(frame: pd.DataFrame, text: str) -> pd.DataFrame:
    """``frame`` plus rows parsed from ``text`` (a header line and rows, like ``tb``)."""
    return pd.concat([frame, tb(text)], ignore_index=True)


def edit(frame: pd.DataFrame, where: dict[str, str], **values: Any) -> pd.DataFrame:  # noqa: ANN401
    """A copy of ``frame`` with ``values`` (major units for amount columns) set on matching rows."""
    out = frame.copy()
    mask = pd.Series(True, index=out.index)
    for column, value in where.items():
        mask &= out[column] == value
    assert mask.any(), f"no row matches {where}"
    for column, value in values.items():
        if column in AMOUNTS:
            ccy = (
                out.loc[mask, "currency"]
                if "currency" in out.columns
                else pd.Series("USD", index=out.index[mask])
            )
            out.loc[mask, column] = [to_minor(D(value), c) for c in ccy]
        else:
            out.loc[mask, column] = value
    return out
