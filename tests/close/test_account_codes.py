"""One account-class-by-code rule (close/engine/account_codes.py) for the mapping check and the suggester."""

from __future__ import annotations

import pytest

from close.engine.account_codes import classes_by_code


@pytest.mark.parametrize(("code", "classes"), [
    ("1.1.01", ("asset",)),                           # ativo / assets in all three numberings
    ("2.1.01", ("liability", "equity")),              # Brazilian 2 holds patrimônio líquido
    ("3.1.01", ("revenue", "equity", "expense")),     # receitas (BR), PL (SPED), equity (US)
    ("4.1", ("expense", "revenue")),                  # custos (BR), resultado (SPED), revenue (US)
    ("5000", ("expense", "revenue")),
    ("8-100", ("expense", "revenue")),
])
def test_each_digit_allows_what_every_numbering_gives_it(code: str, classes: tuple[str, ...]) -> None:
    assert classes_by_code(code) == classes


@pytest.mark.parametrize("code", ["9.1", "0100", "AR", "BANK:1001", "", "1A"])
def test_memorandum_zero_and_lettered_codes_are_not_judged(code: str) -> None:
    assert classes_by_code(code) is None


def test_the_check_and_the_suggester_share_the_rule() -> None:
    import close.checks.mapping as validation
    import connectors.suggest as suggest

    assert {d: set(c) for d, c in validation._PREFIX_CLASSES.items()} == {  # noqa: SLF001
        d: set(classes_by_code(d) or ()) for d in "12345678"}
    assert suggest.classes_by_code is classes_by_code
