"""``[covenants]`` of the group TOML: the limits of the facilities (see ``close.analysis.covenants``)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from pydantic import model_validator

from close.config.types import Exact, TomlTable, default_of, described, invalid
from close.engine.money import ZERO


@dataclass(frozen=True, slots=True)
class CovenantSettings:
    """The limits of ``[covenants]``; a limit left out is not tested."""

    net_debt_to_ebitda_max: Decimal | None = None
    interest_cover_min: Decimal | None = None
    minimum_liquidity: Decimal | None = None
    undrawn_facilities: Decimal = ZERO
    amber_headroom: Decimal = Decimal("0.10")


class CovenantsTable(TomlTable):
    """``[covenants]`` of the group TOML."""

    net_debt_to_ebitda_max: Exact | None = described(
        'a quoted ratio above 0 such as "3.0": net debt ÷ LTM EBITDA, at most', None, gt=0)
    interest_cover_min: Exact | None = described(
        'a quoted ratio above 0 such as "4.0": LTM EBITDA ÷ LTM interest expense, at least', None, gt=0)
    minimum_liquidity: Exact | None = described(
        'a quoted amount of zero or more such as "5000000": cash + undrawn facilities, at least', None, ge=0)
    undrawn_facilities: Exact = described(
        'a quoted amount of zero or more: committed credit lines not drawn (presentation currency)',
        default_of(CovenantSettings, "undrawn_facilities"), ge=0)
    amber_headroom: Exact = described(
        'a quoted fraction 0 <= x < 1 such as "0.10": amber when the headroom is under it × the limit',
        default_of(CovenantSettings, "amber_headroom"), ge=0, lt=1)

    @model_validator(mode="after")
    def _some_limit(self) -> CovenantsTable:
        limits = (self.net_debt_to_ebitda_max, self.interest_cover_min, self.minimum_liquidity)
        if limits == (None, None, None):
            raise invalid("net_debt_to_ebitda_max", "[covenants] sets no limit",
                          "at least one of net_debt_to_ebitda_max, interest_cover_min, minimum_liquidity")
        return self

    def settings(self) -> CovenantSettings:
        """Return the runtime settings."""
        return CovenantSettings(**dict(self))
