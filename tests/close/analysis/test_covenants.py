"""Covenants (``close.analysis.covenants``), their finding (``close.checks.covenants``) and ``[covenants]``.

Worked example (the module's docstring): net debt 2,400,000 over LTM EBITDA 1,000,000 is 2.40x
against a 3.00x maximum: headroom 0.60x, 20 % of the limit, green with a 10 % amber threshold;
2.80x leaves 0.20x (6.7 %): amber; 3.10x: red.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from close.analysis.covenants import covenant_figures, evaluate_covenants
from close.checks.covenants import check_covenants
from close.config import load_group_config, parse_group_config
from close.config.covenants import CovenantSettings
from close.errors import ConfigError
from tests.close.validation.tbs import PRIOR_CONSOLIDATED, clean

D = Decimal
ACCOUNTS = [("1000", "asset", "cash", None, ("cash",)), ("2500", "liability", "debt", None, ("debt",)),
            ("4000", "revenue", "revenue", None, ()), ("6000", "expense", "opex", None, ()),
            ("7100", "expense", "finance_cost", None, ("interest",))]
DEMO = Path(__file__).parents[3] / "examples" / "demo" / "group.toml"


def _month(revenue: str, opex: str, interest: str = "0") -> dict[str, Decimal]:
    return {"4000": -D(revenue), "6000": D(opex), "7100": D(interest)}


YEAR = [_month("250000", "166666.67")] * 11 + [_month("250000", "166666.63")]  # EBITDA 1,000,000.00


def _leverage(net_debt: str) -> tuple[str, Decimal]:
    closing = {"2500": -(D(net_debt) + D(100000)), "1000": D(100000)}  # borrowings − cash = net_debt
    figures = covenant_figures(closing, YEAR, ACCOUNTS)
    test = evaluate_covenants(CovenantSettings(net_debt_to_ebitda_max=D("3.0")), figures).tests[0]
    return test.status, test.value


def test_the_worked_example() -> None:
    figures = covenant_figures({"2500": D("-2500000"), "1000": D("100000")}, YEAR, ACCOUNTS)
    assert (figures.net_debt, figures.ltm_ebitda, figures.months) == (D("2400000"), D("1000000.00"), 12)
    test = evaluate_covenants(CovenantSettings(net_debt_to_ebitda_max=D("3.0")), figures).tests[0]
    assert (test.value, test.headroom, test.headroom_pct, test.status) == (
        D("2.4"), D("0.6"), D("0.2"), "green")
    assert _leverage("2800000") == ("amber", D("2.8"))
    assert _leverage("3100000") == ("red", D("3.1"))


def test_fewer_than_twelve_months_are_said_and_not_annualised() -> None:
    figures = covenant_figures({"1000": D(10)}, [_month("100", "40", "6")] * 4, ACCOUNTS)
    assert (figures.ltm_ebitda, figures.ltm_interest, figures.months) == (D(240), D(24), 4)
    test = evaluate_covenants(CovenantSettings(interest_cover_min=D(4)), figures).tests[0]
    assert test.value == D(10) and "4 month(s) only" in (test.reason or "")


def test_no_positive_ebitda_breaks_a_leverage_covenant_with_net_debt() -> None:
    figures = covenant_figures({"2500": D(-50)}, [_month("10", "20")], ACCOUNTS)
    test = evaluate_covenants(CovenantSettings(net_debt_to_ebitda_max=D(3)), figures).tests[0]
    assert (test.value, test.status) == (None, "red")


def test_liquidity_adds_the_undrawn_facilities() -> None:
    figures = covenant_figures({"1000": D(700)}, [], ACCOUNTS, undrawn_facilities=D(300))
    test = evaluate_covenants(CovenantSettings(minimum_liquidity=D(900)), figures).tests[0]
    assert (figures.liquidity, test.headroom, test.status) == (D(1000), D(100), "green")


def test_the_check_fails_a_breach_and_warns_an_amber() -> None:
    """The clean close: cash 2,700.00 at month end; EBITDA 500.00 + 490.00 over two months."""
    unconfigured = check_covenants(clean())
    assert [(f.severity, f.message) for f in unconfigured] == [("pass", "no covenants configured")]
    ctx = clean(earlier_consolidated=(PRIOR_CONSOLIDATED,))
    breach = check_covenants(replace(ctx, covenants=CovenantSettings(minimum_liquidity=D(3000))))
    assert [(f.code, f.severity, f.actual, f.difference) for f in breach] == [
        ("COVENANT_HEADROOM", "fail", "2700.00", "-300.00")]
    assert "expected at least 3000 != actual 2700.00" in breach[0].message
    amber = check_covenants(replace(ctx, covenants=CovenantSettings(minimum_liquidity=D(3000),
                                                                      undrawn_facilities=D(400))))
    assert [(f.severity, f.actual) for f in amber] == [("warn", "3100.00")]
    fine = check_covenants(replace(ctx, covenants=CovenantSettings(minimum_liquidity=D(3000),
                                                                     undrawn_facilities=D(1000))))
    assert [f.severity for f in fine] == ["pass"]


def test_the_demo_configures_covenants() -> None:
    config = load_group_config(DEMO)
    assert config.covenants == CovenantSettings(
        net_debt_to_ebitda_max=D("2.5"), interest_cover_min=D("34.0"), minimum_liquidity=D("15000000"),
        undrawn_facilities=D("750000"), amber_headroom=D("0.25"))


@pytest.mark.parametrize(("table", "key", "words"), [
    ('net_debt_to_ebitda_mx = "3"', "covenants.net_debt_to_ebitda_mx",
     "did you mean 'net_debt_to_ebitda_max'"),
    ('amber_headroom = "0.2"', "covenants.net_debt_to_ebitda_max", "at least one of"),
    ("interest_cover_min = 4.0", "covenants.interest_cover_min", "quotes"),
    ('minimum_liquidity = "-1"', "covenants.minimum_liquidity", "zero or more"),
], ids=["misspelt", "no-limit", "float", "negative"])
def test_a_wrong_covenants_table_names_its_key(table: str, key: str, words: str) -> None:
    text = DEMO.read_text(encoding="utf-8")
    start, end = text.index("[covenants]"), text.index("[rates]")
    with pytest.raises(ConfigError) as refused:
        parse_group_config(text[:start] + f"[covenants]\n{table}\n\n" + text[end:], source="group.toml")
    assert refused.value.key == key and words in str(refused.value), str(refused.value)
