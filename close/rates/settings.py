"""How rates are fetched (process settings) and which rates a group wants (group policy).

Both are frozen and built at the edge (CLI, worker start-up) from the environment and the group
TOML, then passed down; nothing here reads ``os.environ``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from close.config.types import Currency as TomlCurrency
from close.config.types import Flag, TomlTable, default_of, described
from close.engine.types import Currency
from close.errors import ConfigError
from close.rates.model import PtaxSide
from close.rates.routes import RouteChoice
from close.resilience import RetryPolicy

BCB_PTAX_BASE_URL = "https://olinda.bcb.gov.br/olinda/servico/PTAX/versao/v1/odata/"
ECB_DATA_BASE_URL = "https://data-api.ecb.europa.eu/service/"


@dataclass(frozen=True, slots=True)
class RateSourceSettings:
    """Where the quoting sources live and how hard to try them (seconds are not money: float)."""

    bcb_base_url: str = BCB_PTAX_BASE_URL  # Olinda PTAX OData root, ending in /odata/
    ecb_base_url: str = ECB_DATA_BASE_URL  # ECB Data Portal root, ending in /service/
    timeout_seconds: float = 30.0  # per request (connect + read); the ECB may stall ~30 s
    # 3 attempts per request, waits from 1 s doubling to 30 s; a Retry-After over 60 s leaves the
    # source down for this request (file fallback, or Celery later); 5 failed attempts in a row
    # open a source's breaker for 60 s.
    retry: RetryPolicy = RetryPolicy(attempts=3, wait_initial=1.0, wait_max=30.0, jitter=1.0,
                                     max_retry_after=60.0, breaker_fail_max=5,
                                     breaker_reset_timeout=60.0)


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


class RatesTable(TomlTable):
    """``[rates]`` of the group TOML: the choices of :class:`RatePolicy`, less the presentation currency."""

    ptax_side: PtaxSide = described("venda | compra", default_of(RatePolicy, "ptax_side"))
    sources: dict[TomlCurrency, RouteChoice] = described(
        'a table such as { BRL = "bcb_ptax", EUR = "ecb", ARS = "file" }', {})
    fallback_to_file: Flag = described("true or false: use the rates file when a source is down",
                                       default_of(RatePolicy, "fallback_to_file"))

    def policy(self, presentation_currency: Currency) -> RatePolicy:
        """Return the group's rate policy, sources in currency order."""
        return RatePolicy(presentation_currency, ptax_side=self.ptax_side,
                          sources=MappingProxyType(dict(sorted(self.sources.items()))),
                          fallback_to_file=self.fallback_to_file)
