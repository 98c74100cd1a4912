"""A local fake of the ECB Data Portal SDMX REST API for EXR, in its wire formats (apis.md 6.1).

``GET /service/data/EXR/{key}`` (also ``ECB,EXR,1.0``) with keys such as ``D.USD.EUR.SP00.A`` or
``D.USD+GBP.EUR.SP00.A``, ``startPeriod``/``endPeriod``, ``format=csvdata`` (32 columns, or the
short ``detail=dataonly`` form) or ``format=jsondata`` (SDMX-JSON 1.0). Real quirks: no rows on
weekends and TARGET holidays (Good Friday 2024-03-29, Easter Monday 2024-04-01), **404** for a
range without observations, a missing observation as an empty ``OBS_VALUE`` with status ``H``
(GBP on 2024-03-15), and the throttle as **400 with an HTML body** (``throttle_next``).

Seeded rates (units per EUR, deterministic walk, realistic levels) cover the same ranges as the
BCB fake for USD, GBP, BRL and JPY. ``FakeEcb`` counts requests and can fail on demand.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from decimal import Decimal
from urllib.parse import unquote

from connectors.fakes.server import FakeRequest, Reply
from tests.fakes.bcb import QuoteFake, seeded_walk

TARGET_HOLIDAYS: frozenset[date] = frozenset({
    date(2024, 1, 1), date(2024, 3, 29), date(2024, 4, 1), date(2025, 12, 25),
})
MISSING_OBSERVATION = ("GBP", date(2024, 3, 15))
_TITLES = {"USD": "US dollar", "GBP": "UK pound sterling", "BRL": "Brazilian real", "JPY": "Japanese yen"}

# Units of each currency per EUR, one reference rate per TARGET business day.
DEFAULT_ECB: dict[str, dict[date, Decimal]] = {
    "USD": seeded_walk(21, ("1.0940", "1.1650"), 4, 60, TARGET_HOLIDAYS),
    "GBP": seeded_walk(22, ("0.86140", "0.86150"), 5, 250, TARGET_HOLIDAYS),
    "BRL": seeded_walk(23, ("5.3520", "6.3400"), 4, 350, TARGET_HOLIDAYS),
    "JPY": seeded_walk(24, ("161.20", "170.40"), 2, 90, TARGET_HOLIDAYS),
}
FULL_COLUMNS = ("KEY,FREQ,CURRENCY,CURRENCY_DENOM,EXR_TYPE,EXR_SUFFIX,TIME_PERIOD,OBS_VALUE,OBS_STATUS,"
                "OBS_CONF,OBS_PRE_BREAK,OBS_COM,TIME_FORMAT,BREAKS,COLLECTION,COMPILING_ORG,DISS_ORG,"
                "DOM_SER_IDS,PUBL_ECB,PUBL_MU,PUBL_PUBLIC,UNIT_INDEX_BASE,COMPILATION,COVERAGE,DECIMALS,"
                "NAT_TITLE,SOURCE_AGENCY,SOURCE_PUB,TITLE,TITLE_COMPL,UNIT,UNIT_MULT").split(",")
DATAONLY_COLUMNS = FULL_COLUMNS[:8]
_NUM = "~num~"
_KEY = re.compile(r"^D\.(?P<currencies>[A-Z+]*)\.EUR\.SP00\.A$")


def _observations(rates: dict[str, dict[date, Decimal]], currencies: list[str], start: date,
                  end: date) -> list[tuple[str, date, Decimal | None]]:
    rows = []
    for currency in currencies:
        for day, value in sorted(rates.get(currency, {}).items()):
            if start <= day <= end:
                rows.append((currency, day, None if (currency, day) == MISSING_OBSERVATION else value))
    return rows


def _csv(observations: list[tuple[str, date, Decimal | None]], dataonly: bool) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    columns = DATAONLY_COLUMNS if dataonly else FULL_COLUMNS
    writer.writerow(columns)
    for currency, day, value in observations:
        title = f"{_TITLES.get(currency, currency)}/Euro"
        full = {
            "KEY": f"EXR.D.{currency}.EUR.SP00.A", "FREQ": "D", "CURRENCY": currency,
            "CURRENCY_DENOM": "EUR", "EXR_TYPE": "SP00", "EXR_SUFFIX": "A",
            "TIME_PERIOD": day.isoformat(), "OBS_VALUE": "" if value is None else str(value),
            "OBS_STATUS": "H" if value is None else "A", "OBS_CONF": "F", "TIME_FORMAT": "P1D",
            "COLLECTION": "A", "DECIMALS": "4", "SOURCE_AGENCY": "4F0", "TITLE": title,
            "TITLE_COMPL": f"ECB reference exchange rate, {title}, 2:15 pm (C.E.T.)",
            "UNIT": currency, "UNIT_MULT": "0",
        }
        writer.writerow([full.get(c, "") for c in columns])
    return out.getvalue()


def _sdmx_json(observations: list[tuple[str, date, Decimal | None]], currencies: list[str]) -> str:
    periods = sorted({day for _, day, _ in observations})
    index = {d: i for i, d in enumerate(periods)}
    present = [c for c in currencies if any(o[0] == c for o in observations)]
    series: dict[str, dict[str, object]] = {}
    for currency, day, value in observations:
        key = f"0:{present.index(currency)}:0:0:0"
        obs = series.setdefault(key, {"attributes": [None, None, 0], "observations": {}})
        # A marked string, unquoted after encoding: the real API sends numbers with their
        # published decimals, which json.dumps of a float would not keep.
        obs["observations"][str(index[day])] = [  # type: ignore[index]
            None if value is None else f"{_NUM}{value}{_NUM}", 0, None, None, None]
    doc = {
        "header": {"id": "fake-ecb", "test": False, "prepared": "2025-09-01T16:00:00.000+02:00",
                   "sender": {"id": "ECB"}},
        "dataSets": [{"action": "Replace", "validFrom": "2025-09-01T16:00:00.000+02:00",
                      "series": series}],
        "structure": {"name": "Exchange Rates", "dimensions": {
            "series": [
                {"id": "FREQ", "values": [{"id": "D", "name": "Daily"}]},
                {"id": "CURRENCY", "values": [{"id": c, "name": _TITLES.get(c, c)} for c in present]},
                {"id": "CURRENCY_DENOM", "values": [{"id": "EUR", "name": "Euro"}]},
                {"id": "EXR_TYPE", "values": [{"id": "SP00", "name": "Spot"}]},
                {"id": "EXR_SUFFIX", "values": [{"id": "A", "name": "Average"}]},
            ],
            "observation": [{"id": "TIME_PERIOD", "role": "time", "values": [
                {"id": d.isoformat(), "name": d.isoformat(),
                 "start": f"{d.isoformat()}T00:00:00.000+01:00",
                 "end": f"{d.isoformat()}T23:59:59.999+01:00"} for d in periods]}],
        }, "attributes": {"observation": [{"id": "OBS_STATUS", "values": [
            {"id": "A", "name": "Normal value"}]}]}},
    }
    return re.sub(f'"{_NUM}([-0-9.]+){_NUM}"', r"\1", json.dumps(doc))


def _text(status: int, body: str, content_type: str = "text/plain") -> Reply:
    return Reply(status, body.encode(), {"Content-Type": content_type})


class FakeEcb(QuoteFake):
    """The fake Data Portal; use as a context manager, read ``base_url``."""

    def __init__(self, rates: dict[str, dict[date, Decimal]] | None = None) -> None:
        """Serve the given reference rates per currency (default: ``DEFAULT_ECB``)."""
        super().__init__()
        self.rates = DEFAULT_ECB if rates is None else rates

    @property
    def base_url(self) -> str:
        """The service root, as configured in ``RateSourceSettings.ecb_base_url``."""
        return self.url + "/service/"

    def throttle_next(self, count: int) -> None:
        """Answer the next requests as the portal's rate limiter does: 400 with an HTML body."""
        self.fail_next(count, 400, b"<html><body><h1>Too many requests</h1></body></html>",
                       headers={"Content-Type": "text/html"})

    def handle(self, request: FakeRequest) -> Reply:
        """Answer ``GET /service/data/{flowRef}/{key}``."""
        parts = unquote(request.path).split("/")
        if len(parts) != 5 or parts[1:3] != ["service", "data"] or parts[3] not in ("EXR", "ECB,EXR,1.0"):
            return _text(404, json.dumps({"status": 404, "title": "Not Found"}), "application/problem+json")
        match = _KEY.match(parts[4])
        if not match:
            return _text(400, "Syntax error in the key")
        query = {k: v[-1] for k, v in request.query.items()}
        try:
            start = date.fromisoformat(query.get("startPeriod", "1999-01-04"))
            end = date.fromisoformat(query.get("endPeriod", "2099-12-31"))
        except ValueError:
            return _text(400, "Invalid period")
        currencies = match["currencies"].split("+")
        observations = _observations(self.rates, currencies, start, end)
        if not observations:
            return _text(404, "No results found.")
        fmt = query.get("format", "csvdata")
        if fmt == "jsondata":
            return _text(200, _sdmx_json(observations, currencies),
                         "application/vnd.sdmx.data+json;version=1.0.0")
        if fmt == "csvdata":
            return _text(200, _csv(observations, query.get("detail") == "dataonly"), "text/csv")
        return _text(406, "Not Acceptable")
