"""Inline trial balances and small builders for the consolidation tests."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd

from close.config import Acquisition, EntityConfig, IntercompanySettings, PpaIntangible
from close.engine.chart import load_chart
from close.engine.consolidation import ConsolidationInputs
from close.engine.frames import MAPPED_TB_COLUMNS
from close.engine.fx import OpeningBalances, PeriodRates
from close.engine.money import D

CHART = load_chart()


def _minor(text: str) -> int:
    text = text.strip()
    return int(D(text or "0").scaleb(2)) if text else 0


def tb(text: str) -> pd.DataFrame:
    """Parse ``entity | std_account | counterparty | opening | closing`` rows (amounts in units).

    Optional 6th and 7th columns: cost_center, department. Comment lines start with '#'.
    """
    rows = []
    for raw in text.strip().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = [p.strip() for p in line.split("|")]
        entity, std, cp, opening, closing = parts[:5]
        cc = parts[5] if len(parts) > 5 else ""
        dept = parts[6] if len(parts) > 6 else ""
        o, c = _minor(opening), _minor(closing)
        rows.append(
            {
                "entity": entity,
                "account": f"L{std}{('-' + cp) if cp else ''}{cc}{dept}",
                "account_name": std,
                "std_account": std,
                "counterparty": cp,
                "cost_center": cc,
                "department": dept,
                "opening": o,
                "debit": max(c - o, 0),
                "credit": max(o - c, 0),
                "closing": c,
            }
        )
    frame = pd.DataFrame(rows, columns=list(MAPPED_TB_COLUMNS))
    for col in ("opening", "debit", "credit", "closing"):
        frame[col] = frame[col].astype(np.int64)
    for col in MAPPED_TB_COLUMNS[:7]:
        frame[col] = frame[col].astype(object)
    return frame


def entity(
    eid: str,
    currency: str,
    parent: str | None = None,
    ownership: str = "1",
    method: str = "full",
    acquisition: Acquisition | None = None,
) -> EntityConfig:
    return EntityConfig(
        id=eid,
        name=eid,
        currency=currency,
        connector="file",
        source={},
        parent=parent,
        ownership=Decimal(ownership),
        method=method,
        acquisition=acquisition,
    )


def acquisition(
    on: str,
    consideration: str,
    equity: str,
    rate: str,
    *,
    fair_value: str | None = None,
    nci_method: str = "proportionate",
    nci_fair_value: str | None = None,
    ppa: tuple[PpaIntangible, ...] = (),
) -> Acquisition:
    return Acquisition(
        date=date.fromisoformat(on),
        consideration=Decimal(consideration),
        net_assets_fair_value=Decimal(fair_value) if fair_value is not None else None,
        nci_method=nci_method,
        nci_fair_value=Decimal(nci_fair_value) if nci_fair_value is not None else None,
        equity_at_acquisition=Decimal(equity),
        rate=Decimal(rate),
        ppa=ppa,
    )


def rates(
    closing: dict[str, str], average: dict[str, str], opening: dict[str, str] | None = None
) -> PeriodRates:
    return PeriodRates(
        closing={k: Decimal(v) for k, v in closing.items()},
        average={k: Decimal(v) for k, v in average.items()},
        opening={k: Decimal(v) for k, v in (opening or {}).items()},
    )


def opening(rows: str = "", historical: dict[tuple[str, str], str] | None = None) -> OpeningBalances:
    """``entity | std_account | counterparty | translated`` rows (units)."""
    data = []
    for raw in rows.strip().splitlines():
        if not raw.strip():
            continue
        e, s, cp, t = (p.strip() for p in raw.split("|"))
        data.append((e, s, cp, _minor(t)))
    frame = pd.DataFrame(data, columns=["entity", "std_account", "counterparty", "translated"])
    frame["translated"] = frame["translated"].astype(np.int64)
    return OpeningBalances(
        translated=frame, historical_rates={k: Decimal(v) for k, v in (historical or {}).items()}
    )


def inputs(
    period: str,
    entities: tuple[EntityConfig, ...],
    balances: pd.DataFrame,
    period_rates: PeriodRates,
    *,
    prior: pd.DataFrame | None = None,
    opening_balances: OpeningBalances | None = None,
    adjustments: tuple = (),
    intercompany: IntercompanySettings | None = None,
    fiscal_year_start: int = 1,
    presentation: str = "USD",
    prior_consolidated: pd.DataFrame | None = None,
) -> ConsolidationInputs:
    return ConsolidationInputs(
        period=period,
        fiscal_year_start=fiscal_year_start,
        presentation_currency=presentation,
        chart=CHART,
        entities=entities,
        balances=balances,
        rates=period_rates,
        prior=prior,
        opening=opening_balances,
        adjustments=adjustments,
        intercompany=intercompany or IntercompanySettings(),
        prior_consolidated=prior_consolidated,
    )


def amounts(frame: pd.DataFrame, key: str = "std_account") -> dict[str, Decimal]:
    """Consolidated-style frame → {account: Decimal units}."""
    return {str(k): Decimal(int(v)).scaleb(-2) for k, v in zip(frame[key], frame["amount"], strict=True)}
