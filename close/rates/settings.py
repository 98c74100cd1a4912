"""How rates are fetched (process settings) and which rates a group wants (group policy).

Both are frozen and built at the edge (CLI, worker start-up) from the environment and the group
TOML, then passed down; nothing here reads ``os.environ``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from close.engine.types import Currency
from close.errors import ConfigError
from close.rates.model import PtaxSide
from close.rates.routes import RouteChoice

BCB_PTAX_BASE_URL = "https://olinda.bcb.gov.br/olinda/servico/PTAX/versao/v1/odata/"
ECB_DATA_BASE_URL = "https://data-api.ecb.europa.eu/service/"


@dataclass(frozen=True, slots=True)
class RateSourceSettings:
    """Where the quoting sources live and how hard to try them (seconds are not money: float)."""

    bcb_base_url: str = BCB_PTAX_BASE_URL  # Olinda PTAX OData root, ending in /odata/
    ecb_base_url: str = ECB_DATA_BASE_URL  # ECB Data Portal root, ending in /service/
    timeout_seconds: float = 30.0  # per request (connect + read); the ECB may stall ~30 s
    max_attempts: int = 3  # HTTP attempts per request before the source counts as down
    backoff_initial_seconds: float = 1.0  # first wait between attempts, doubled each time
    backoff_max_seconds: float = 30.0  # cap of one wait, Retry-After included
    breaker_fail_max: int = 5  # consecutive failed attempts that open a source's breaker
    breaker_reset_seconds: float = 60.0  # how long an open breaker refuses calls


@dataclass(frozen=True, slots=True)
class RatePolicy:
    """A group's rate choices (the ``[rates]`` table of the group config).

    The plausibility threshold is not here: it is ``[validation] rate_move_threshold``.

    Attributes:
        presentation_currency: the currency the package is presented in.
        ptax_side: PTAX selling (``venda``, default) or buying (``compra``) rate.
        sources: per functional currency, a pinned source (``bcb_ptax``, ``ecb`` or ``file``);
            unpinned pairs follow ``routes.choose_route``.
        fallback_to_file: when a source is down after retries, use the rates file's figure for
            the same period, currency and rate type (marked ``source = 'file'``).

    """

    presentation_currency: Currency
    ptax_side: PtaxSide = "venda"
    sources: Mapping[Currency, RouteChoice] = field(default_factory=lambda: MappingProxyType({}))
    fallback_to_file: bool = True

    def __post_init__(self) -> None:
        """Refuse values the close cannot honour, naming the key."""
        if self.ptax_side not in ("venda", "compra"):
            raise ConfigError(f"got {self.ptax_side!r}", key="rates.ptax_side", expected="venda | compra")
        for currency, choice in self.sources.items():
            if choice not in ("bcb_ptax", "ecb", "file"):
                raise ConfigError(f"got {choice!r}", key=f"rates.sources.{currency}",
                                  expected="bcb_ptax | ecb | file")
