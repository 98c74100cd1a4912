"""Benchmark of the validation checks on a synthetic group (default 1,000 entities × 5,000 accounts).

The target (issue 10, acceptance 4): the diagnostics run in under 10 s. This harness builds a
group whose local trial balances have 5 million lines (plus the prior month's 5 million, for the
roll-forward and dormant-account checks) and one journal line per local line with activity, then
times ``run_checks`` and each check, reporting medians over ``--repeat`` runs.

The group is honest with a little noise, so every code path does real work: about 0.1 % of
accounts sit on the abnormal side, some dormant accounts wake up, a few accounts are unmapped, a
few suspense accounts are left open.

Usage::

    python benchmarks/bench_validation.py                       # 1,000 × 5,000, 3 repeats
    python benchmarks/bench_validation.py --entities 100 --accounts 1000 --repeat 5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from close.checks import CHECKS, ValidationContext, run_checks  # noqa: E402
from close.config import EntityConfig, ValidationSettings  # noqa: E402
from close.engine.chart import Chart, load_chart  # noqa: E402
from close.engine.intercompany import IC_PAIR_COLUMNS  # noqa: E402
from close.rates.model import FxRate  # noqa: E402

PERIOD, PRIOR = "2025-08", "2025-07"
# Local code prefix per class (Brazilian/US: 1 asset, 2 liability/equity, 3 revenue, 4 expense).
_PREFIX = {"asset": "1", "liability": "2", "equity": "2", "revenue": "3", "expense": "4"}
_DEBIT_CLASSES = ("asset", "expense")


def _rate(period: str, kind: str, value: str) -> FxRate:
    return FxRate(
        period=period,
        currency="BRL",
        presentation_currency="USD",
        rate_type=kind,  # type: ignore[arg-type]
        rate=Decimal(value),
        quoted=Decimal(value),
        quote_direction="USD per BRL",
        source="file",
        method="file",
        as_of=None,
        path="BRL->USD file",
        is_override=False,
        raw=(),
        retrieved_at=datetime(2025, 9, 1, tzinfo=UTC),
    )


def synthetic_context(entities: int = 1000, accounts: int = 5000, seed: int = 0) -> ValidationContext:
    """Build a synthetic group's validation context (honest figures, a little noise).

    Args:
        entities: number of entities (the first is the USD parent, the rest BRL).
        accounts: local accounts per entity.
        seed: random seed.

    Returns:
        The context ``run_checks`` takes.
    """
    rng = np.random.default_rng(seed)
    chart = load_chart()
    usable = chart.accounts[
        (chart.accounts["system_role"] == "")
        & (chart.accounts["kpi_tags"] != "contra")
        & (chart.accounts["subclass"] != "suspense")
    ]
    std_of_account = usable["code"].to_numpy()[rng.integers(0, len(usable), accounts)]
    cls = usable["class"].reindex(std_of_account).to_numpy()
    codes = np.array([f"{_PREFIX[c]}.{i:05d}" for i, c in enumerate(cls)], dtype=object)
    names = np.array([f"Account {i}" for i in range(accounts)], dtype=object)
    sign = np.where(np.isin(cls, _DEBIT_CLASSES), 1, -1)
    ids = np.array([f"E{i:04d}" for i in range(entities)], dtype=object)
    n = entities * accounts

    opening = rng.integers(0, 10_000_000, n) * np.tile(sign, entities)
    dormant = rng.choice(n, 2000, replace=False)  # no balance last month: some wake up this month
    opening[dormant] = 0
    moving = rng.random(n) < 0.6
    debit = np.where(moving, rng.integers(0, 1_000_000, n), 0)
    credit = np.where(moving, rng.integers(0, 1_000_000, n), 0)
    closing = opening + debit - credit
    # Balance each entity: its last account (an equity account's code) takes the difference.
    per_entity = closing.reshape(entities, accounts)
    last = np.arange(entities) * accounts + accounts - 1
    opening[last] -= opening.reshape(entities, accounts).sum(axis=1)
    shift = per_entity.sum(axis=1) - per_entity[:, -1] + opening[last]
    credit[last] = debit[last] + opening[last] + shift
    flow = debit.reshape(entities, accounts).sum(axis=1) - credit.reshape(entities, accounts).sum(axis=1)
    credit[last] += flow  # now Σdebits = Σcredits and the last line rolls to the balancing closing
    closing = opening + debit - credit
    negative = credit[last] < 0
    debit[last[negative]] -= credit[last[negative]]
    credit[last[negative]] = 0
    closing = opening + debit - credit

    entity_col = np.repeat(ids, accounts)
    currency = np.where(entity_col == ids[0], "USD", "BRL").astype(object)
    local = pd.DataFrame(
        {
            "entity": entity_col,
            "account": np.tile(codes, entities),
            "account_name": np.tile(names, entities),
            "std_account": np.tile(std_of_account, entities).astype(object),
            "counterparty": "",
            "cost_center": "",
            "department": "",
            "opening": opening,
            "debit": debit,
            "credit": credit,
            "closing": closing,
            "currency": currency,
        }
    )
    mapping = local[["entity", "account", "std_account"]].assign(source="entity")
    unmapped = rng.choice(n, 50, replace=False)
    mapping.loc[unmapped, "source"] = "unmapped"
    prior = local.assign(closing=local["opening"], opening=local["opening"], debit=0, credit=0)
    # Journal amounts spread log-uniformly over 1.00 .. 1,000,000.00, as real postings roughly are.
    journal = local.loc[moving, ["entity", "account"]].assign(
        amount=(10 ** rng.uniform(2, 8, int(moving.sum()))).astype(np.int64),
        date="2025-08-15",
        description="",
    )

    rate = Decimal("0.2")
    translated = _translated(local, chart, rate, ids[0])
    consolidated = translated.groupby("std_account", as_index=False)[
        ["translated", "translated_movement"]
    ].sum()
    consolidated = consolidated.rename(columns={"translated": "amount", "translated_movement": "movement"})
    prior_consolidated = consolidated.assign(amount=consolidated["amount"] - consolidated["movement"])
    cta = pd.DataFrame({"entity": ids, "plug": 0, "from_parts": 0, "difference": 0, "tolerance": 1})
    ic_pairs = pd.DataFrame(columns=list(IC_PAIR_COLUMNS))
    entity_configs = tuple(
        EntityConfig(
            id=str(e),
            name=str(e),
            currency="USD" if e == ids[0] else "BRL",
            connector="file",
            source={},
            parent=None if e == ids[0] else str(ids[0]),
        )
        for e in ids
    )
    return ValidationContext(
        period=PERIOD,
        presentation_currency="USD",
        chart=chart,
        entities=entity_configs,
        local=local,
        mapping=mapping,
        translated=translated,
        consolidated=consolidated,
        cta=cta,
        ic_pairs=ic_pairs,
        rates=(_rate(PERIOD, "closing", "0.2"), _rate(PERIOD, "average", "0.2")),
        prior_rates=(_rate(PRIOR, "closing", "0.21"), _rate(PRIOR, "average", "0.2")),
        prior_consolidated=prior_consolidated,
        prior_local=prior,
        budget=None,
        journal_lines=journal,
        settings=ValidationSettings(approval_limits=(Decimal(10000),)),
    )


def _translated(local: pd.DataFrame, chart: Chart, rate: Decimal, parent: str) -> pd.DataFrame:
    """Per entity and standard account at one rate (exact: amounts are multiples of 5 after ×0.2
    only by luck, so each entity's rounding goes to its CTA plug row to keep the TB at zero)."""
    sums = local.groupby(["entity", "std_account"], as_index=False)[["closing", "debit", "credit"]].sum()
    factor = np.where(sums["entity"] == parent, 10, int(rate * 10))
    sums["translated"] = sums["closing"].to_numpy() * factor // 10
    sums["translated_movement"] = (sums["debit"] - sums["credit"]).to_numpy() * factor // 10
    cta_code = chart.by_role(__import__("close.engine.chart", fromlist=["SystemRole"]).SystemRole.CTA)
    plugs = sums.groupby("entity", as_index=False)[["translated", "translated_movement"]].sum()
    plugs[["translated", "translated_movement"]] *= -1
    plugs["std_account"] = cta_code
    return pd.concat([sums.drop(columns=["closing", "debit", "credit"]), plugs], ignore_index=True)


def main(argv: list[str] | None = None) -> int:
    """Build the group, time ``run_checks`` and each check; print medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entities", type=int, default=1000)
    parser.add_argument("--accounts", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    ctx = synthetic_context(args.entities, args.accounts)
    print(
        f"synthetic group: {args.entities} entities x {args.accounts} accounts = {len(ctx.local):,} lines "
        f"(+ {len(ctx.prior_local):,} prior, {len(ctx.journal_lines):,} journal lines), built in "
        f"{time.perf_counter() - started:.1f} s"
    )
    # run_checks on a fresh copy each time: the integer keys of the big frames are built once per
    # context and shared by the checks, and a fresh context must pay for building them.
    totals, report = [], None
    for _ in range(args.repeat):
        fresh = replace(ctx)
        t = time.perf_counter()
        report = run_checks(fresh)
        totals.append(time.perf_counter() - t)
    per_check: dict[str, list[float]] = {c.__name__: [] for c in CHECKS}
    category: dict[str, str] = {}
    for _ in range(args.repeat):
        fresh = replace(ctx)
        for check in CHECKS:  # in CHECKS order: the first check to need a key pays for building it
            t = time.perf_counter()
            results = check(fresh)
            per_check[check.__name__].append(time.perf_counter() - t)
            category[check.__name__] = results[0].category
    diagnostics_alone = []
    for _ in range(args.repeat):
        fresh = replace(ctx)
        t = time.perf_counter()
        for check in CHECKS:
            if category[check.__name__] == "diagnostics":
                check(fresh)
        diagnostics_alone.append(time.perf_counter() - t)
    print("per check, median (keys built by the first check that needs them):")
    for name, times in sorted(per_check.items(), key=lambda kv: -statistics.median(kv[1])):
        print(f"  {statistics.median(times):7.3f} s  {category[name]:<14} {name}")
    print(
        f"diagnostics checks alone on a fresh context (building every key they need): median "
        f"{statistics.median(diagnostics_alone):.2f} s over {args.repeat} runs"
    )
    assert report is not None
    print(
        f"run_checks median {statistics.median(totals):.2f} s over {args.repeat} runs "
        f"(min {min(totals):.2f}, max {max(totals):.2f}); score {report.score} {report.light}, "
        f"{sum(r.severity != 'pass' for r in report.results)} findings"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
