"""European Central Bank reference rates through the ECB Data Portal SDMX API (apis.md 6.1).

The EXR dataflow quotes *units of a currency per one EUR* (``D.USD.EUR.SP00.A``: USD per EUR,
the 14:15 CET concertation). One request asks for every currency at once with an OR key
(``D.USD+GBP.EUR.SP00.A``). Two representations are read: ``csvdata`` (default; parsed by column
name with a real CSV parser, since titles hold quoted commas) and SDMX-JSON ``jsondata``.

Wire facts honoured: no rows for weekends and TARGET holidays; a range with no observation
answers **404** (read as "no data", not as a failure); the portal's throttle answers **400 with an
HTML body** (retried); a missing observation has an empty ``OBS_VALUE`` (skipped).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, Literal

import httpx

from close.engine.money import D
from close.errors import InputDataError, PermanentError
from close.rates.model import Quotation, Series
from close.rates.routes import ECB_BASE
from close.rates.transport import QuoteHttp, TransientResponse, raise_for_status

EcbFormat = Literal["csvdata", "jsondata"]
_ENDPOINT = "data/EXR"


def _quotation(currency: str, denom: str, day: str, value: Any, fields: dict[str, str],  # noqa: ANN401
               *, where: str) -> Quotation:
    try:
        return Quotation(Series(base=denom, quote=currency), date.fromisoformat(day), D(value),
                         tuple(fields.items()))
    except (TypeError, ValueError) as exc:
        raise InputDataError(f"unreadable observation {day!r} = {value!r} of {currency}",
                             endpoint=_ENDPOINT, field=where) from exc


def parse_sdmx_csv(body: str) -> list[Quotation]:
    """Parse an SDMX ``csvdata`` answer (full or ``detail=dataonly``) into quotations.

    Args:
        body: the CSV text with a header row.

    Returns:
        One quotation per row with a value (rows with an empty ``OBS_VALUE`` are missing data).

    Raises:
        InputDataError: a required column is missing or a value is not a number.

    """
    reader = csv.DictReader(io.StringIO(body))
    missing = {"CURRENCY", "CURRENCY_DENOM", "TIME_PERIOD", "OBS_VALUE"} - set(reader.fieldnames or ())
    if missing:
        raise InputDataError(f"SDMX CSV lacks columns {sorted(missing)}", endpoint=_ENDPOINT,
                             field=sorted(missing)[0])
    quotations = []
    for row in reader:
        if not (row["OBS_VALUE"] or "").strip():
            continue
        fields = {k: v for k, v in row.items() if k and v}
        quotations.append(_quotation(row["CURRENCY"], row["CURRENCY_DENOM"], row["TIME_PERIOD"],
                                     row["OBS_VALUE"].strip(), fields, where="OBS_VALUE"))
    return quotations


def parse_sdmx_json(body: str) -> list[Quotation]:
    """Parse an SDMX-JSON 1.0 ``jsondata`` answer into quotations.

    Series keys (``"0:0:0:0:0"``) index the series dimensions' values; observation keys index
    ``TIME_PERIOD``'s values; an observation's first element is its value.

    Args:
        body: the JSON text.

    Returns:
        One quotation per observation with a value.

    Raises:
        InputDataError: the document does not have the SDMX-JSON structure.

    """
    try:
        doc = json.loads(body, parse_float=Decimal)
        structure = doc["structure"]["dimensions"]
        dims = [d["id"] for d in structure["series"]]
        values = [[v["id"] for v in d["values"]] for d in structure["series"]]
        periods = [v["id"] for v in structure["observation"][0]["values"]]
        datasets = doc["dataSets"]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise InputDataError(f"not an SDMX-JSON data message: {exc}", endpoint=_ENDPOINT,
                             field="structure") from exc
    quotations = []
    for dataset in datasets:
        for series_key, series in dataset.get("series", {}).items():
            key = dict(zip(dims, (values[i][int(k)] for i, k in enumerate(series_key.split(":"))),
                           strict=True))
            for obs_key, obs in series.get("observations", {}).items():
                if not obs or obs[0] is None:
                    continue
                day = periods[int(obs_key)]
                fields = {**key, "TIME_PERIOD": day, "OBS_VALUE": str(obs[0])}
                quotations.append(_quotation(key["CURRENCY"], key["CURRENCY_DENOM"], day, obs[0],
                                             fields, where="observations"))
    return quotations


def _read(fmt: EcbFormat) -> Callable[[httpx.Response], list[Quotation]]:
    """Return the hook that classifies and parses one Data Portal answer."""

    def read(response: httpx.Response) -> list[Quotation]:
        if response.status_code == 404:
            return []  # the portal's "no results" (e.g. a range of only weekend days)
        if response.status_code == 400 and "html" in response.headers.get("content-type", ""):
            raise TransientResponse("HTTP 400 with an HTML body (the portal's rate limiter)",
                                    status=400)
        raise_for_status(response)
        return parse_sdmx_csv(response.text) if fmt == "csvdata" else parse_sdmx_json(response.text)
    return read


class EcbSource:
    """Daily ECB euro reference rates (units of each currency per EUR)."""

    name = "ecb"
    base = ECB_BASE
    label = "ECB reference rate"

    def __init__(self, http: QuoteHttp, fmt: EcbFormat = "csvdata") -> None:
        """Build the source.

        Args:
            http: retrying access to the Data Portal base URL (``.../service/``).
            fmt: ``csvdata`` or ``jsondata``.

        """
        self.http, self.fmt = http, fmt

    def quotations(self, series: Sequence[Series], start: date,
                   end: date) -> dict[Series, tuple[Quotation, ...]]:
        """Fetch the daily reference rates of every series in one request.

        Args:
            series: ECB series, each ``EUR -> X``.
            start: first date, inclusive.
            end: last date, inclusive.

        Returns:
            Per series, its quotations by day, oldest first (empty when the range has none).

        Raises:
            RateSourceUnavailable: the portal stayed down or kept throttling.
            PermanentError: the portal refused the request, or a series is not quoted per EUR.

        """
        if not series:
            return {}
        if any(s.base != "EUR" for s in series):
            raise PermanentError(f"the ECB quotes only per EUR, not {[s.direction for s in series]}")
        currencies = tuple(sorted({s.quote for s in series}))
        params = {"startPeriod": start.isoformat(), "endPeriod": end.isoformat(),
                  "format": self.fmt, "detail": "dataonly"}
        path = f"{_ENDPOINT}/D.{'+'.join(currencies)}.EUR.SP00.A"
        found = self.http.get(path, params, currencies=currencies, read=_read(self.fmt))
        by_series: dict[Series, dict[date, Quotation]] = {s: {} for s in series}
        for q in found:
            if q.series in by_series:
                by_series[q.series][q.day] = q
        return {s: tuple(days[d] for d in sorted(days)) for s, days in by_series.items()}
