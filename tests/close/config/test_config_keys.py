"""Misspelt keys of the group TOML are named with the key they most likely meant (issue 14)."""

from __future__ import annotations

import pytest

from close.config import did_you_mean, parse_group_config
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


def _error(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as err:
        parse_group_config(text, source="group.toml")
    return err.value


def test_a_misspelt_required_key_gets_did_you_mean() -> None:
    err = _error(GROUP.replace("presentation_currency", "presentaton_currency"))
    assert (err.file, err.key) == ("group.toml", "group.presentaton_currency")
    assert "did you mean 'presentation_currency'?" in str(err)
    assert "ISO 4217" in str(err)  # what the meant key expects


def test_a_misspelt_optional_key_gets_did_you_mean() -> None:
    err = _error(GROUP + '\n[thresholds]\nmom_ab = "1"\n')
    assert err.key == "thresholds.mom_ab"
    assert "did you mean 'mom_abs'?" in str(err)


def test_a_misspelt_key_of_an_entity_gets_did_you_mean() -> None:
    err = _error(GROUP.replace('\ncurrency = "USD"', '\ncurency = "USD"'))  # the entity's key only
    assert err.key == "entities[0].curency" and "did you mean 'currency'?" in str(err)


def test_an_unknown_key_far_from_every_known_one_gets_no_guess() -> None:
    err = _error(GROUP + '\n[ai]\nflavour = "x"\n')
    assert err.key == "ai.flavour" and "unknown key" in str(err) and "did you mean" not in str(err)


def test_did_you_mean() -> None:
    assert did_you_mean("presentaton_currency", ["presentation_currency", "name"]) == "presentation_currency"
    assert did_you_mean("zzz", ["presentation_currency"]) is None


def test_rates_and_ai_are_read_once() -> None:
    config = parse_group_config(GROUP + '\n[rates]\nptax_side = "compra"\nsources = { BRL = "file" }\n')
    assert config.rate_policy.presentation_currency == "USD"
    assert (config.rate_policy.ptax_side, dict(config.rate_policy.sources)) == ("compra", {"BRL": "file"})
    from close.analysis.commentary import CommentarySettings
    ai = parse_group_config(GROUP).ai
    assert CommentarySettings.from_config(ai) == CommentarySettings()
