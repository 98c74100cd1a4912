"""Validation of a consolidated close: checks that return evidence, and a score from them.

The rule (design.md "Validation"; conventions 4): every check is a pure function
``check_…(ctx) -> list[CheckResult]`` listed in :data:`CHECKS`. All of them run and every finding
is reported, passes included (a check that finds nothing returns one ``pass`` saying what it
checked). A check never raises for what it finds; it returns evidence — entity, account, expected,
actual, difference (amounts as exact decimals of their currency) and a beancount-style message,
``expected X != actual Y (Z too much)`` where ``Z = actual − expected``.

Categories and what a failure means:

* ``integrity`` (fail, never waivable: fixed by a top-side journal): debits = credits and every
  line rolls (closing = opening + debits − credits) per entity; the local, translated and
  consolidated trial balances sum to zero; the balance sheet balances; per entity the CTA plug
  equals the CTA from its parts within the tolerance.
* ``rollforward`` (fail, waivable): net income reconciles to the movement of retained earnings,
  the current-year result and dividends; opening balances equal the prior run's closing.
* ``mapping``: unmapped accounts with a balance (fail) or activity (warn); an account mapped to two
  standard accounts (fail); a standard account whose class contradicts the local code's prefix
  (warn, a heuristic: see :func:`check_mapping_class_prefix`).
* ``diagnostics`` (warn unless said): abnormal balance direction by class; suspense, clearing and
  transit accounts not cleared (the IC suspense account excepted: the intercompany check reports
  its plugs); duplicated lines (fail), names and accounts; dormant accounts suddenly active;
  with journal lines, round-number and just-under-limit entries and Benford's first-digit test.
* ``rates``: a missing closing or average rate (fail); a move beyond the threshold (warn).
* ``intercompany``: pairs left uneliminated (fail) or plugged to suspense (warn), both sides shown.
* ``reasonableness`` (warn): flux against the prior month and the budget beyond the analysis
  ``[thresholds]`` (per-class overrides in ``[validation.materiality.<class>]``); key ratios
  (current ratio, gross margin …) outside their ``[validation.ratio_bands]``; a configured
  ``[covenants]`` limit broken (fail) or with headroom under the amber threshold (warn).

Checks whose findings scale with the data (per line or per account) list at most
:data:`MAX_LISTED_PER_ENTITY` findings per entity, largest first, plus one finding summarising the
rest, so a systematic error (an ERP period off by one month) yields a readable report.

The score (:func:`score_of`), recomputable from the findings alone: start at 100; every ``fail``
and ``warn`` takes off its category's weight (``pass`` takes nothing); the points one check code
takes off are capped at its category's cap; the score is floored at 0 and rounded half-even to
two places. Default weights (``config.DEFAULT_SCORE_WEIGHTS``, overridable per category in
``[validation.weights.<category>]``)::

    category        fail  warn  cap per code
    integrity        25    5     100
    rollforward      15    3      30
    mapping          10    2      20
    rates            15    3      30
    intercompany      5    1      15
    diagnostics       5    1      10
    reasonableness    3    0.5     5

Light: green ≥ 95 continues; yellow 80 ≤ score < 95 continues with flags; red < 80 — or any
failed integrity check, whatever the score — stops the run at AWAITING_REVIEW (``blocking``).

Example: one unmapped account with a balance (mapping fail, 10) and three abnormal balances
(diagnostics warns, 3 × 1) give 100 − 13 = 87.00, yellow; a single failed debits = credits
check gives 75.00 and blocks.
"""

from __future__ import annotations

from collections.abc import Sequence

from close.checks.covenants import check_covenants
from close.checks.diagnostics import (
    check_abnormal_balances,
    check_benford_first_digit,
    check_dormant_accounts,
    check_duplicate_accounts,
    check_just_under_limit,
    check_round_number_entries,
    check_suspense_cleared,
)
from close.checks.integrity import (
    check_balance_sheet_balances,
    check_consolidated_tb_sums_to_zero,
    check_cta_reconciles,
    check_debits_equal_credits,
    check_lines_roll_forward,
    check_local_tb_sums_to_zero,
    check_translated_tb_sums_to_zero,
)
from close.checks.intercompany import check_intercompany_pairs
from close.checks.mapping import (
    check_accounts_mapped_twice,
    check_mapping_class_prefix,
    check_unmapped_accounts,
)
from close.checks.rates import check_rate_moves, check_rates_complete
from close.checks.reasonableness import (
    UNRECONCILED_ACCOUNT,
    check_ar_aging_reconciles,
    check_ecl_allowance_booked,
    check_flux_budget,
    check_flux_prior_month,
    check_key_ratios,
    check_unreconciled_explained,
)
from close.checks.result import (
    MAX_LISTED_PER_ENTITY,
    Category,
    Check,
    CheckResult,
    Light,
    Severity,
    ValidationContext,
    ValidationReport,
)
from close.checks.rollforward import check_net_income_to_retained_earnings, check_opening_equals_prior_closing
from close.checks.score import GREEN_FROM, YELLOW_FROM, light_of, score_of, waivable

__all__ = [
    "CHECKS",
    "Category",
    "Check",
    "CheckResult",
    "GREEN_FROM",
    "Light",
    "MAX_LISTED_PER_ENTITY",
    "Severity",
    "UNRECONCILED_ACCOUNT",
    "ValidationContext",
    "ValidationReport",
    "YELLOW_FROM",
    "check_abnormal_balances",
    "check_accounts_mapped_twice",
    "check_ar_aging_reconciles",
    "check_balance_sheet_balances",
    "check_benford_first_digit",
    "check_consolidated_tb_sums_to_zero",
    "check_covenants",
    "check_cta_reconciles",
    "check_debits_equal_credits",
    "check_dormant_accounts",
    "check_duplicate_accounts",
    "check_ecl_allowance_booked",
    "check_flux_budget",
    "check_flux_prior_month",
    "check_intercompany_pairs",
    "check_just_under_limit",
    "check_key_ratios",
    "check_lines_roll_forward",
    "check_local_tb_sums_to_zero",
    "check_mapping_class_prefix",
    "check_net_income_to_retained_earnings",
    "check_opening_equals_prior_closing",
    "check_rate_moves",
    "check_rates_complete",
    "check_round_number_entries",
    "check_suspense_cleared",
    "check_translated_tb_sums_to_zero",
    "check_unmapped_accounts",
    "check_unreconciled_explained",
    "light_of",
    "run_checks",
    "score_of",
    "waivable",
]

CHECKS: tuple[Check, ...] = (
    check_unreconciled_explained,
    check_debits_equal_credits,
    check_lines_roll_forward,
    check_local_tb_sums_to_zero,
    check_translated_tb_sums_to_zero,
    check_consolidated_tb_sums_to_zero,
    check_balance_sheet_balances,
    check_cta_reconciles,
    check_net_income_to_retained_earnings,
    check_opening_equals_prior_closing,
    check_unmapped_accounts,
    check_accounts_mapped_twice,
    check_mapping_class_prefix,
    check_abnormal_balances,
    check_suspense_cleared,
    check_duplicate_accounts,
    check_dormant_accounts,
    check_round_number_entries,
    check_just_under_limit,
    check_benford_first_digit,
    check_rates_complete,
    check_rate_moves,
    check_intercompany_pairs,
    check_flux_prior_month,
    check_flux_budget,
    check_key_ratios,
    check_ar_aging_reconciles,
    check_ecl_allowance_booked,
    check_covenants,
)


def run_checks(ctx: ValidationContext, checks: Sequence[Check] = CHECKS) -> ValidationReport:
    """Run every check and score the findings.

    Args:
        ctx: the run's consolidation and history.
        checks: the checks to run (``CHECKS``).

    Returns:
        The report: every finding, the score, the light and whether the run must stop for review.

    """
    results = tuple(r for check in checks for r in check(ctx))
    score = score_of(results, ctx.settings.weights)
    light = light_of(score)
    blocking = light == "red" or any(r.category == "integrity" and r.severity == "fail" for r in results)
    return ValidationReport(results=results, score=score, light=light, blocking=blocking)
