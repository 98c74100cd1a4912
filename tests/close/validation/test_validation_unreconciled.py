"""A management trial balance's UNRECONCILED line: zero passes; else each item is named."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pandas as pd

from close.checks import check_unreconciled_explained
from tests.close.validation.tbs import LOCAL, clean, with_line

# BR1's cash (1.1.01) ends 20.00 higher than its titles explain: the connector puts the 20.00 on
# UNRECONCILED (credit), and names the movement. Fornecedores absorbs the other side.
UNRECONCILED = """
entity | account | account_name | std_account | opening | debit | credit | closing | currency
BR1 | UNRECONCILED | Diferença de conciliação gerencial | 1900 | 0.00 | 0.00 | 20.00 | -20.00 | BRL
BR1 | AP | Contas a pagar | 2000 | 0.00 | 20.00 | 0.00 | 20.00 | BRL
"""
ITEMS = pd.DataFrame([{"entity": "BR1", "side": "BANK:1001", "ref": "caixa 9012", "date": "2025-08-14",
                       "amount": -2000, "reason": "bank movement settling no title"}])


def test_no_management_trial_balance_passes() -> None:
    [r] = check_unreconciled_explained(clean())
    assert r.severity == "pass"


def test_a_zero_line_passes() -> None:
    zero = with_line(LOCAL, UNRECONCILED.replace("20.00", "0.00").replace("-0.00", "0.00"))
    [r] = check_unreconciled_explained(replace(clean(), local=zero))
    assert r.severity == "pass" and "UNRECONCILED zero" in r.message


def test_a_line_above_materiality_fails_naming_the_movements() -> None:
    ctx = replace(clean(), local=with_line(LOCAL, UNRECONCILED), unexplained=ITEMS)
    [r] = check_unreconciled_explained(ctx)
    assert (r.severity, r.entity, r.account, r.actual) == ("fail", "BR1", "UNRECONCILED", "-20.00")
    assert r.message == ("BR1 UNRECONCILED: expected 0.00 != actual -20.00 (20.00 too little); "
                         "unexplained: BANK:1001 caixa 9012 2025-08-14 -20.00 "
                         "(bank movement settling no title)")


def test_at_or_below_materiality_it_warns() -> None:
    ctx = replace(clean(), local=with_line(LOCAL, UNRECONCILED), unexplained=ITEMS)
    ctx = replace(ctx, settings=replace(ctx.settings, unreconciled_materiality=Decimal(100)))
    [r] = check_unreconciled_explained(ctx)
    assert r.severity == "warn" and "caixa 9012" in r.message


def test_the_materiality_is_read_from_the_validation_table() -> None:
    from close.config import parse_group_config
    group = ('[group]\nid = "g"\nname = "G"\npresentation_currency = "USD"\n\n'
             '[[entities]]\nid = "US1"\nname = "US"\ncurrency = "USD"\n')
    assert parse_group_config(group).validation.unreconciled_materiality == 0
    text = group + '\n[validation]\nunreconciled_materiality = "250.00"\n'
    assert parse_group_config(text).validation.unreconciled_materiality == Decimal("250.00")
