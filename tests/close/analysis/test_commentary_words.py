"""Commentary in board language: natural signs, favourable/adverse, real drivers, en-US and pt-BR.

The expected sentences are what a group controller writes in a board pack (issue 17: "FX gain
of 5,139 improved by 38,972", not the trial balance's "-5,139.11 … down 38,972.43").
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from decimal import Decimal

import pytest

from close.analysis.commentary import (
    CLAUDE_RETRY,
    CommentarySettings,
    MemoryCache,
    comment_figures,
    data_only_text,
    generate_commentary,
    render_prompt,
)
from close.analysis.variances import AnalysisInputs, DriverFigures, Variance, compute_variances
from tests.close.analysis.frames import chart, entity_figures, figures
from tests.fakes.anthropic_server import FakeAnthropic

pytestmark = pytest.mark.filterwarnings(
    "ignore:The model 'claude-sonnet-4-5' is deprecated:DeprecationWarning")

EN = "Data only (no AI commentary): "
PT = "Somente dados (sem comentário de IA): "


def _consolidated(**kw: object) -> list[Variance]:
    found = compute_variances(AnalysisInputs(chart=chart(), period="2026-10", currency="USD",
                                             **kw))  # type: ignore[arg-type]
    return [v for v in found if v.entity is None]


def fx_variance() -> Variance:
    """The demo's October FX line: a 5,139.11 gain (TB −5,139.11) after a 33,833.32 loss."""
    (fx,) = _consolidated(current=figures("7200 | -5,139.11"),
                          prior_month=figures("7200 | 33,833.32"))
    assert (fx.delta, fx.favourable, fx.nature, fx.material) == (
        Decimal("-38972.43"), True, "loss", True)  # TB sign: "down 38,972.43" for a gain
    return fx


def offset_variance() -> Variance:
    """Revenue up 60,000: BR1 sold 100,000 more to the holding (eliminated), EU1 sold 60,000 more."""
    (rev,) = _consolidated(
        current=figures("4000 | -960,000.00"), prior_year=figures("4000 | -900,000.00"),
        drivers={"yoy": DriverFigures(
            current=entity_figures("BR1 | 4000 | | | -600,000.00\nEU1 | 4000 | | | -460,000.00"),
            comparison=entity_figures("BR1 | 4000 | | | -500,000.00\nEU1 | 4000 | | | -400,000.00"))})
    return rev


def test_a_gain_after_a_loss_reads_in_natural_signs() -> None:
    fx = comment_figures(fx_variance())
    assert data_only_text(fx) == EN + (
        "Foreign exchange gains and losses came to a gain of 5,139 USD against a loss of "
        "33,833 in the prior month, an improvement of 38,972: a favourable variance.")


def test_a_cost_above_budget_is_adverse_and_revenue_above_is_favourable() -> None:
    salaries, revenue = sorted(_consolidated(
        current=figures("6000 | 812,000.00\n4000 | -1,200,000.00"),
        budget=figures("6000 | 750,000.00\n4000 | -1,000,000.00")), key=lambda v: v.account,
        reverse=True)
    assert data_only_text(comment_figures(salaries)) == EN + (
        "Salaries and benefits came in at 812,000 USD, 62,000 (8.3%) above the budget of "
        "750,000: an adverse variance.")
    assert data_only_text(comment_figures(revenue)) == EN + (
        "Product revenue came in at 1,200,000 USD, 200,000 (20.0%) above the budget of "
        "1,000,000: a favourable variance.")


def test_drivers_leave_out_eliminations_and_the_entity_they_cancel() -> None:
    rev = offset_variance()
    assert [(d.key, d.delta) for d in rev.driver_table("entity")] == [
        ("(eliminations and group adjustments)", -100000), ("BR1", 100000), ("EU1", 60000)]
    assert data_only_text(comment_figures(rev)) == EN + (
        "Product revenue came in at 960,000 USD, 60,000 (6.7%) above the 900,000 of the same "
        "month last year: a favourable variance. The movement came mainly from EU1 (60,000).")
    prompt = render_prompt(comment_figures(rev))
    assert "Drivers by entity: EU1 +60,000\n" in prompt
    assert "BR1" not in prompt and "eliminations" not in prompt


def test_pt_br_text_uses_portuguese_words_names_and_numbers() -> None:
    fx = comment_figures(fx_variance(), locale="pt-BR", name="Ganhos e perdas cambiais")
    assert data_only_text(fx) == PT + (
        "Em Ganhos e perdas cambiais, o resultado foi ganho de 5.139 USD contra perda de "
        "33.833 no mês anterior, melhora de 38.972: variação favorável.")
    rev = comment_figures(offset_variance(), locale="pt-BR", name="Receita de produtos")
    assert data_only_text(rev) == PT + (
        "Em Receita de produtos, o total foi de 960.000 USD, 60.000 (6,7%) acima dos 900.000 "
        "do mesmo mês do ano anterior: variação favorável. A variação veio principalmente de "
        "EU1 (60.000).")


@pytest.fixture
def fake() -> Iterator[FakeAnthropic]:
    with FakeAnthropic(reply=lambda body: "Ganho cambial de 5.139 USD.") as server:
        yield server


def test_the_claude_prompt_gets_the_same_natural_sign_facts_and_the_locale(
        fake: FakeAnthropic) -> None:
    settings = CommentarySettings(locale="pt-BR", timeout_seconds=5.0,
                                  retry=dataclasses.replace(CLAUDE_RETRY, attempts=1, wait_initial=0.001,
                                                    wait_max=0.01, jitter=0.001))
    batch = generate_commentary([fx_variance()], settings=settings, cache=MemoryCache(),
                                api_key=fake.api_key, base_url=fake.url,
                                names={"7200": "Ganhos e perdas cambiais"})
    (body,) = fake.bodies
    prompt = body["messages"][0]["content"]
    assert "Account: 7200 Ganhos e perdas cambiais (consolidated group)\n" in prompt
    assert "Actual: ganho de 5.139 USD\nComparison: perda de 33.833 USD\n" in prompt
    assert "Variance: +38.972 USD, 115,2% (favourable to profit)" in prompt
    assert "Language: write in Brazilian Portuguese (pt-BR)" in prompt
    assert "-5" not in prompt  # no trial-balance sign anywhere
    assert "favourable or adverse" in body["system"]
    assert batch.comments[0].text == "Ganho cambial de 5.139 USD."


def test_importing_the_commentary_does_not_load_the_anthropic_sdk() -> None:
    # ANALYZING imports close.analysis.commentary on every run; the SDK is loaded only to call Claude.
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415
    code = ("import sys, close.run.stages.analyzing, close.analysis.commentary; "
            "print('anthropic' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_line_without_a_comparison_figure_says_nil() -> None:
    (fees,) = _consolidated(current=figures("6300 | 40,000.00"),
                                 prior_year=figures("6000 | 0.00"))[-1:]
    assert data_only_text(comment_figures(fees)) == EN + (
        "Professional fees came in at 40,000 USD against nil in the same month last year: an "
        "adverse variance.")
