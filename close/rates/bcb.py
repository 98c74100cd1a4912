"""Banco Central do Brasil PTAX through the Olinda OData API (apis.md section 5.1).

PTAX quotes *BRL per one unit* of a currency, buying (``cotacaoCompra``) and selling
(``cotacaoVenda``); the group chooses the side (selling by default). ``CotacaoDolarPeriodo``
returns one closing row per business day for USD; for other currencies ``CotacaoMoedaPeriodo``
returns every bulletin of the day, of which only ``tipoBoletim = 'Fechamento'`` is the PTAX.

Wire facts the parser honours: dates in the parameters are quoted ``'MM-DD-YYYY'`` (an ISO date
silently returns ``[]``); the query is percent-encoded with ``%20`` for spaces (``+`` is a literal
plus in an OData URL, RFC 3986 and OData URL conventions §2, so ``tipoBoletim+eq+...`` is not the
filter it looks like); weekends and holidays have no row; numbers carry trailing zeros, so the
JSON is parsed with Decimal; ``dataHoraCotacao`` is the publication instant (BRT) with 1 to 6
fractional digits, and its date is the quotation date; duplicate rows of one day exist, so each
day keeps its last published row. Field map with sources: ``close/rates/bcb.md``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from urllib.parse import quote, urlencode

import httpx

from close.engine.money import D
from close.errors import InputDataError
from close.rates.model import PtaxSide, Quotation, Series
from close.rates.routes import BCB_BASE
from close.rates.transport import QuoteHttp, TransientResponse, raise_for_status

_FIELDS = {"venda": "cotacaoVenda", "compra": "cotacaoCompra"}


def _olinda_date(d: date) -> str:
    return f"'{d.month:02d}-{d.day:02d}-{d.year:04d}'"


def olinda_query(params: Mapping[str, str]) -> str:
    """Percent-encode an Olinda query: spaces as ``%20``, OData's ``@ $ ' , ( )`` kept as they are.

    Args:
        params: parameter aliases and system query options with their values.

    Returns:
        The query string, without the leading ``?``.

    """
    return urlencode(params, quote_via=quote, safe="@$',()")


def parse_ptax(body: str, series: Series, side: PtaxSide, *, endpoint: str) -> tuple[Quotation, ...]:
    """Parse an Olinda PTAX JSON answer into one closing quotation per day.

    Args:
        body: the response text (``{"value": [...]}``).
        series: the series asked for (``X`` -> ``BRL``).
        side: ``venda`` or ``compra``.
        endpoint: the resource name, for error messages.

    Returns:
        The closing quotations, one per day, oldest first.

    Raises:
        TransientResponse: the body is not the JSON document expected (an error page).
        InputDataError: a row lacks the chosen rate or its timestamp.

    """
    try:
        rows = json.loads(body, parse_float=Decimal)["value"]
    except (ValueError, KeyError, TypeError) as exc:
        raise TransientResponse(f"unreadable PTAX answer from {endpoint}: {body[:120]!r}",
                                status=None) from exc
    field = _FIELDS[side]
    latest: dict[date, tuple[str, Quotation]] = {}
    for i, row in enumerate(rows):
        if row.get("tipoBoletim", "Fechamento") != "Fechamento":
            continue  # opening and intermediate bulletins are not the PTAX
        try:
            stamp = str(row["dataHoraCotacao"])
            value = D(row[field])
            day = date.fromisoformat(stamp[:10])
        except (KeyError, TypeError, ValueError) as exc:
            raise InputDataError(f"row {i} of {series.direction} unreadable: {row!r}",
                                 endpoint=endpoint, field=field) from exc
        quotation = Quotation(series, day, value, tuple((k, str(v)) for k, v in row.items()))
        # Duplicate rows of one day: keep the one published last (timestamps sort as text).
        if day not in latest or stamp >= latest[day][0]:
            latest[day] = (stamp, quotation)
    return tuple(latest[d][1] for d in sorted(latest))


class BcbPtaxSource:
    """Daily PTAX closing quotations (BRL per unit of each currency) from Olinda."""

    name = "bcb_ptax"
    base = BCB_BASE

    def __init__(self, http: QuoteHttp, side: PtaxSide = "venda") -> None:
        """Build the source.

        Args:
            http: retrying access to the Olinda base URL.
            side: which PTAX figure the group uses.

        """
        self.http, self.side = http, side

    @property
    def label(self) -> str:
        """What one quotation is, for methods: ``"PTAX venda"``."""
        return f"PTAX {self.side}"

    def quotations(self, series: Sequence[Series], start: date,
                   end: date) -> dict[Series, tuple[Quotation, ...]]:
        """Fetch the closing quotations of each series between two dates (one request each).

        Args:
            series: PTAX series, each ``X -> BRL``.
            start: first date, inclusive.
            end: last date, inclusive.

        Returns:
            Per series, its quotations by day (empty when the range has none).

        Raises:
            RateSourceUnavailable: the API stayed down.
            PermanentError: the API refused the request.

        """
        result: dict[Series, tuple[Quotation, ...]] = {}
        for s in series:
            currency = s.base
            params = {"@dataInicial": _olinda_date(start), "@dataFinalCotacao": _olinda_date(end),
                      "$format": "json"}
            if currency == "USD":
                resource = "CotacaoDolarPeriodo"
                path = f"{resource}(dataInicial=@dataInicial,dataFinalCotacao=@dataFinalCotacao)"
            else:
                resource = "CotacaoMoedaPeriodo"
                path = f"{resource}(moeda=@moeda,dataInicial=@dataInicial,dataFinalCotacao=@dataFinalCotacao)"
                params |= {"@moeda": f"'{currency}'", "$filter": "tipoBoletim eq 'Fechamento'"}

            def read(response: httpx.Response, s: Series = s,
                     resource: str = resource) -> tuple[Quotation, ...]:
                raise_for_status(response)
                return parse_ptax(response.text, s, self.side, endpoint=resource)

            result[s] = self.http.get(f"{path}?{olinda_query(params)}", None,
                                      currencies=(currency,), read=read)
        return result
