"""Rate checks: missing closing or average rates, moves beyond the threshold."""

from __future__ import annotations

from close.checks._evidence import _entity_currencies, _or_pass
from close.checks.result import CheckResult, ValidationContext
from close.engine.types import Currency, EntityId
from close.rates.plausibility import find_implausible_moves


def check_rates_complete(ctx: ValidationContext) -> list[CheckResult]:
    """Check every foreign functional currency has a positive closing and average rate."""
    code, category = "RATE_MISSING", "rates"
    pc = ctx.presentation_currency
    users: dict[Currency, list[EntityId]] = {}
    for entity, currency in sorted(_entity_currencies(ctx).items()):
        if currency != pc:
            users.setdefault(currency, []).append(entity)
    have = {
        (r.currency, r.rate_type)
        for r in ctx.rates
        if r.period == ctx.period and r.presentation_currency == pc and r.rate > 0
    }
    found = []
    for currency in sorted(users):
        for kind in ("closing", "average"):
            if (currency, kind) not in have:
                entities = ", ".join(users[currency])
                found.append(
                    CheckResult(
                        code,
                        category,
                        "fail",
                        users[currency][0],
                        None,
                        f"{kind} {currency}->{pc} {ctx.period}",
                        "missing",
                        None,
                        f"expected a positive {kind} rate {currency}->{pc} for {ctx.period} "
                        f"!= none found (entities {entities})",
                    )
                )
    return _or_pass(found, code, category, f"closing and average rates present for {len(users)} currencies")


def check_rate_moves(ctx: ValidationContext) -> list[CheckResult]:
    """Find closing and average rates that moved more than ``rate_move_threshold`` in a month."""
    code, category = "RATE_MOVED", "rates"
    moves = find_implausible_moves(ctx.rates, ctx.prior_rates, ctx.settings.rate_move_threshold)
    found = [
        CheckResult(
            code, category, "warn", None, None, str(m.expected), str(m.actual), str(m.difference), m.message
        )
        for m in moves
    ]
    return _or_pass(
        found,
        code,
        category,
        f"no rate moved more than {ctx.settings.rate_move_threshold * 100}% since last month",
    )
