"""The score: recomputable from the findings alone (through JSON), documented weights, lights."""

from __future__ import annotations

import dataclasses
import json

import pytest

from close.checks import CheckResult, light_of, run_checks, score_of, waivable
from close.config import DEFAULT_SCORE_WEIGHTS, ScoreWeight
from close.engine.money import D
from tests.close.validation.tbs import LOCAL, clean, edit, mapping_of, with_line


def finding(code: str, category: str, severity: str) -> CheckResult:
    return CheckResult(code, category, severity, None, None, None, None, None, "m")  # type: ignore[arg-type]


def test_score_recomputed_from_json_findings_equals_the_report() -> None:
    local = with_line(
        edit(LOCAL, {"entity": "BR1", "account": "2.1.01"}, closing="-1400.00", credit="400.00"),
        """
entity | account | account_name | std_account | opening | debit | credit | closing | currency
BR1 | 1.9.99 | Conta nova | 1900 | 0.00 | 0.00 | 100.00 | -100.00 | BRL
""",
    )
    mapping = mapping_of(local)
    mapping.loc[mapping["account"] == "1.9.99", "source"] = "unmapped"
    report = run_checks(clean(local=local, mapping=mapping))
    stored = json.dumps([dataclasses.asdict(r) for r in report.results])
    again = [CheckResult(**row) for row in json.loads(stored)]
    assert score_of(again) == report.score
    # By hand: unmapped with a balance (mapping fail 10) and, new this month, dormant until now
    # (diagnostics warn 1); its credit on suspense is left to the unmapped check.
    assert sorted((r.code, r.severity) for r in again if r.severity != "pass") == [
        ("DORMANT_ACCOUNT_ACTIVE", "warn"),
        ("UNMAPPED_ACCOUNT", "fail"),
    ]
    assert report.score == D("89.00")
    assert (report.light, report.blocking) == ("yellow", False)


def test_weights_per_finding_and_cap_per_code() -> None:
    # 30 diagnostics warnings of one code: 30 × 1 capped at 10; two codes are capped separately.
    many = [finding("ABNORMAL_BALANCE", "diagnostics", "warn")] * 30
    assert score_of(many) == D("90.00")
    assert score_of([*many, *[finding("SUSPENSE_NOT_CLEARED", "diagnostics", "warn")] * 3]) == D("87.00")
    assert score_of([finding("X", "reasonableness", "warn")]) == D("99.50")
    assert score_of([finding("X", "integrity", "pass")] * 100) == D("100.00")
    assert score_of([finding(f"C{i}", "integrity", "fail") for i in range(5)]) == D("0.00")


def test_custom_weights() -> None:
    weights = (ScoreWeight("rates", D("40"), D("3"), D("40")),)
    assert score_of([finding("RATE_MISSING", "rates", "fail")], weights) == D("60.00")
    # A category the given weights leave out keeps its default.
    assert score_of([finding("X", "mapping", "fail")], weights) == D("90.00")


@pytest.mark.parametrize(
    ("score", "light"),
    [
        ("100", "green"),
        ("95", "green"),
        ("94.99", "yellow"),
        ("80", "yellow"),
        ("79.99", "red"),
        ("0", "red"),
    ],
)
def test_lights(score: str, light: str) -> None:
    assert light_of(D(score)) == light


def test_waivable() -> None:
    assert not waivable(finding("X", "integrity", "fail"))
    assert waivable(finding("X", "integrity", "warn"))
    assert waivable(finding("X", "rollforward", "fail"))
    assert not waivable(finding("X", "mapping", "pass"))


def test_default_weights_cover_every_category() -> None:
    assert {w.category for w in DEFAULT_SCORE_WEIGHTS} == {
        "integrity",
        "rollforward",
        "mapping",
        "diagnostics",
        "rates",
        "intercompany",
        "reasonableness",
    }
