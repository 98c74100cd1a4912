"""Intercompany check: pairs left uneliminated or plugged to suspense."""

from __future__ import annotations

import pandas as pd

from close.checks._evidence import _fmt, _mismatch, _or_pass, _passed
from close.checks.integrity import _minor
from close.checks.result import CheckResult, Severity, ValidationContext

_PAIR_KNOWN = frozenset(
    {
        "entity",
        "counterparty",
        "kind",
        "difference",
        "mismatch",
        "status",
        "explained",
        "tolerance",
        "account",
        "std_account",
        "counterparty_account",
    }
)


def _side_columns(pairs: pd.DataFrame) -> list[str]:
    """Find the two side-amount columns (the engine helper names them; we only need to find them)."""
    sides = [c for c in pairs.columns if c not in _PAIR_KNOWN and ("amount" in c or "side" in c)]
    return sides[:2]


def check_intercompany_pairs(ctx: ValidationContext) -> list[CheckResult]:
    """Intercompany pairs left uneliminated (fail) or plugged to IC suspense (warn), both sides shown.

    Expected is the counterparty's side negated (what this side should be to eliminate), actual this
    side; the message carries the part the rates do not explain (``mismatch``).
    """
    code, category = "INTERCOMPANY_MISMATCH", "intercompany"
    pairs, pc = ctx.ic_pairs, ctx.presentation_currency
    if pairs.empty:
        return _passed(code, category, "no intercompany pairs")
    if "status" not in pairs.columns:
        return [
            CheckResult(
                code,
                category,
                "warn",
                None,
                None,
                "status",
                "missing",
                None,
                "intercompany pairs carry no status column: cannot tell eliminated from not",
            )
        ]
    sides = _side_columns(pairs)
    found = []
    for row in pairs[pairs["status"].isin(["uneliminated", "plugged"])].to_dict("records"):
        severity: Severity = "fail" if row["status"] == "uneliminated" else "warn"
        subject = (
            f"{row['entity']} with {row.get('counterparty', '?')} {row.get('kind', '')} ({row['status']})"
        )
        mismatch = f", unexplained {_fmt(_minor(row['mismatch'], pc), pc)}" if "mismatch" in row else ""
        if len(sides) == 2:
            ours, theirs = _minor(row[sides[0]], pc), _minor(row[sides[1]], pc)
            found.append(
                _mismatch(
                    code,
                    category,
                    severity,
                    subject,
                    -theirs,
                    ours,
                    pc,
                    entity=str(row["entity"]),
                    account=str(row.get("account") or row.get("std_account") or "") or None,
                    note=mismatch,
                )
            )
        else:
            difference = _fmt(_minor(row.get("difference", 0), pc), pc)
            found.append(
                CheckResult(
                    code,
                    category,
                    severity,
                    str(row["entity"]),
                    None,
                    None,
                    None,
                    difference,
                    f"{subject}: difference {difference}{mismatch}",
                )
            )
    eliminated = int((pairs["status"] == "eliminated").sum())
    return _or_pass(found, code, category, f"all {eliminated} intercompany pairs eliminated")
