"""The ``[validation]`` table of the group config: defaults, overrides, errors naming file and key."""

from __future__ import annotations

import pytest

from close.config import ClassMateriality, RatioBand, ValidationSettings, parse_group_config
from close.engine.money import D
from close.errors import ConfigError

GROUP = """
[group]
id = "g"
name = "G"
presentation_currency = "USD"

[[entities]]
id = "US1"
name = "US"
currency = "USD"
"""


def test_defaults_without_a_validation_table() -> None:
    assert parse_group_config(GROUP).validation == ValidationSettings()


def test_overrides() -> None:
    v = parse_group_config(GROUP + """
[validation]
contra_accounts = ["7200"]
rate_move_threshold = "0.15"
approval_limits = ["10000", "50000.00"]
benford_min_count = 500

[validation.materiality.expense]
mom_abs = "2000"

[validation.ratio_bands.quick_ratio]
low = "0.5"

[validation.weights.diagnostics]
warn = "2"
""").validation
    assert v.contra_accounts == ("7200",) and v.rate_move_threshold == D("0.15")
    assert v.approval_limits == (D(10000), D("50000.00")) and v.benford_min_count == 500
    assert v.materiality == (ClassMateriality("expense", mom_abs=D(2000)),)
    assert RatioBand("quick_ratio", low=D("0.5")) in v.ratio_bands
    assert RatioBand("current_ratio", low=D(1)) in v.ratio_bands  # defaults kept
    diagnostics = v.weight("diagnostics")
    assert (diagnostics.fail, diagnostics.warn, diagnostics.cap) == (D(5), D(2), D(10))


@pytest.mark.parametrize(("table", "key"), [
    ('[validation]\nbogus = 1', "validation.bogus"),
    ('[validation]\nrate_move_threshold = 0.1', "validation.rate_move_threshold"),
    ('[validation.materiality.cash]\nmom_abs = "1"', "validation.materiality.cash"),
    ('[validation.materiality.asset]\nmom_abs = "-1"', "validation.materiality.asset.mom_abs"),
    ('[validation.weights.rates]\nfail = "x"', "validation.weights.rates.fail"),
    ('[validation]\napproval_limits = ["ten"]', "validation.approval_limits[0]"),
    ('[validation]\nround_unit = "0"', "validation.round_unit"),
], ids=["unknown-key", "float", "unknown-class", "negative", "not-a-number", "bad-limit", "zero-unit"])
def test_errors_name_file_and_key(table: str, key: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_group_config(GROUP + table, source="group.toml")
    assert err.value.file == "group.toml" and err.value.key == key
