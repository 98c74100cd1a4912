"""A local fake of BCB's Olinda PTAX OData API, speaking its wire format (apis.md 5.1).

Serves ``CotacaoDolarPeriodo``/``CotacaoDolarDia`` (one closing row per business day, no
``tipoBoletim``) and ``CotacaoMoedaPeriodo``/``CotacaoMoedaDia`` (every bulletin of the day as BCB
publishes it — Circular 3.506 (http://lucianolans.blogspot.com/2010/09/circular-no-3506.html, via
apis.md 5.1): four dealer consultations at 10h, 11h, 12h and 13h, published as Abertura and three
Intermediário bulletins, then the Fechamento, whose rate (the PTAX) is the simple average of the
four; ``tipoBoletim`` values from code#70559750536; ``$filter=tipoBoletim eq 'Fechamento'``
honoured). A ``+`` in the query is refused with 400, as OData reads it as a literal plus (RFC
3986; OData v4 URL conventions §2): a client must send spaces as ``%20``,
under ``/olinda/servico/PTAX/versao/v1/odata/``, with the real quirks: quoted ``'MM-DD-YYYY'``
parameters (an ISO date answers ``200 {"value": []}``), nothing on weekends and Brazilian
holidays, numbers with trailing zeros, 1/3/6 fractional digits in ``dataHoraCotacao``, a
duplicated row on 2025-08-14, and errors as a comment-wrapped JSON body.

Seeded quotations (a deterministic walk, realistic levels) cover 2024-01-02..2024-04-30 and
2025-06-02..2025-09-30 for USD, EUR and GBP. Calendar facts used by the tests: Carnival
2024-02-12/13 and Good Friday 2024-03-29 have no PTAX (so March 2024 ends on Thursday the 28th:
holiday, Saturday, Sunday); August 2025 ends on a weekend (last business day Friday the 29th).

``FakeBcb`` (a ``connectors.fakes.server.FakeServer``) counts requests and can be told to fail the
next N requests (``fail_next``) or all of them (``fail_always``).
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import unquote

from connectors.fakes.server import FakeRequest, FakeServer, Reply

ODATA_PREFIX = "/olinda/servico/PTAX/versao/v1/odata/"
BR_HOLIDAYS: frozenset[date] = frozenset({
    date(2024, 1, 1), date(2024, 2, 12), date(2024, 2, 13), date(2024, 3, 29),
    date(2024, 4, 21), date(2025, 6, 19), date(2025, 9, 7),
})
SEEDED_RANGES: tuple[tuple[date, date], ...] = (
    (date(2024, 1, 2), date(2024, 4, 30)), (date(2025, 6, 2), date(2025, 9, 30)),
)
DUPLICATED_DAY = date(2025, 8, 14)


def business_days(start: date, end: date, holidays: Iterable[date]) -> list[date]:
    """Weekdays between two dates, inclusive, that are not holidays."""
    off = set(holidays)
    days, d = [], start
    while d <= end:
        if d.weekday() < 5 and d not in off:
            days.append(d)
        d += timedelta(days=1)
    return days


def seeded_walk(seed: int, starts: tuple[str, ...], places: int, step: int,
                holidays: Iterable[date]) -> dict[date, Decimal]:
    """A deterministic random walk per seeded range: realistic, reproducible quotations.

    Args:
        seed: the walk's seed.
        starts: the level at the start of each seeded range.
        places: decimal places of the quotation.
        step: the largest daily move, in units of the last place.
        holidays: days without a quotation.
    """
    rng = random.Random(seed)  # noqa: S311 - test data, not cryptography
    quantum = Decimal(1).scaleb(-places)
    walk: dict[date, Decimal] = {}
    for (start, end), level in zip(SEEDED_RANGES, starts, strict=True):
        value = Decimal(level)
        for d in business_days(start, end, holidays):
            value += rng.randint(-step, step) * quantum
            walk[d] = value
    return walk


@dataclass(frozen=True)
class PtaxDay:
    """One day's PTAX (Fechamento) of a currency: BRL per unit, buying and selling."""

    day: date
    compra: Decimal
    venda: Decimal


def _ptax_days(seed: int, starts: tuple[str, ...]) -> tuple[PtaxDay, ...]:
    venda = seeded_walk(seed, starts, 4, 350, BR_HOLIDAYS)
    return tuple(PtaxDay(d, v - Decimal("0.0006"), v) for d, v in venda.items())


# BRL per unit of each currency, one Fechamento per business day.
DEFAULT_PTAX: dict[str, tuple[PtaxDay, ...]] = {
    "USD": _ptax_days(11, ("4.9150", "5.4700")),
    "EUR": _ptax_days(12, ("5.3380", "6.3900")),
    "GBP": _ptax_days(13, ("6.2410", "7.3620")),
}


def _stamp(d: date, hour: int, fraction: str | None = None) -> str:
    """A publication instant with 1, 3 or 6 fractional digits, as Olinda varies them."""
    n = d.toordinal()
    fraction = fraction or ("4", "461", "150278")[n % 3]
    return f"{d.isoformat()} {hour:02d}:{(7 + n) % 60:02d}:{(31 + 3 * n) % 60:02d}.{fraction}"


def _num(x: Decimal, places: int) -> str:
    return str(x.quantize(Decimal(1).scaleb(-places)))


class QuoteFake(FakeServer):
    """What the BCB and ECB fakes add to ``FakeServer``: a request count and failure switches."""

    @property
    def request_count(self) -> int:
        """How many requests reached the fake."""
        return len(self.hits())

    def fail_always(self, status: int = 503, body: str = "Service Unavailable",
                    content_type: str = "text/plain") -> None:
        """Answer every request with an error until ``reset()``."""
        self.fail_next(10**9, status, body.encode(), headers={"Content-Type": content_type})

    def reset(self) -> None:
        """Stop failing and forget the requests seen (to share one server between tests)."""
        with self._lock:
            self._faults.clear()
            self.requests.clear()


_RESOURCE = re.compile(r"^(?P<name>\w+)\((?P<bindings>[^)]*)\)$")
_OLINDA_DATE = re.compile(r"^'(\d{2})-(\d{2})-(\d{4})'$")


def _error(code: int, message: str) -> Reply:
    """Olinda's real error: JSON wrapped in a comment (sent as plain text here)."""
    body = "/*" + json.dumps({"codigo": code, "mensagem": message}, ensure_ascii=False) + "*/"
    return Reply(code, body.encode(), {"Content-Type": "text/plain"})


class FakeBcb(QuoteFake):
    """The fake Olinda PTAX service; use as a context manager, read ``base_url``."""

    def __init__(self, ptax: dict[str, tuple[PtaxDay, ...]] | None = None) -> None:
        """Serve the given PTAX days per currency (default: ``DEFAULT_PTAX``)."""
        super().__init__()
        self.ptax = DEFAULT_PTAX if ptax is None else ptax

    @property
    def base_url(self) -> str:
        """The OData root, as configured in ``RateSourceSettings.bcb_base_url``."""
        return self.url + ODATA_PREFIX

    def handle(self, request: FakeRequest) -> Reply:
        """Answer one Olinda function-import call."""
        path = unquote(request.path)
        if not path.startswith(ODATA_PREFIX):
            return _error(404, "Recurso não encontrado")
        match = _RESOURCE.match(path[len(ODATA_PREFIX):])
        if not match:
            return _error(400, f"Requisição inválida: {path}")
        if "+" in request.raw_query:
            return _error(400, f"Requisição inválida: expressão OData com '+': {request.raw_query}")
        query = {k: v[-1] for k, v in request.query.items()}
        bound = dict(b.split("=@", 1) for b in match["bindings"].split(",") if "=@" in b)
        args = {}
        for name, alias in bound.items():
            if "@" + alias not in query:
                return _error(400, f"Parâmetro '{alias}' não informado")
            args[name] = query["@" + alias]
        rows = self.rows(match["name"], args, query.get("$filter"))
        if rows is None:
            return _error(404, f"Recurso {match['name']} não encontrado")
        if "$select" in query:
            keep = query["$select"].split(",")
            rows = [{k: v for k, v in r.items() if k in keep} for r in rows]
        body = ('{"@odata.context":"https://was-p.bcnet.bcb.gov.br/olinda/servico/PTAX/versao/v1/'
                f'odata$metadata#_{match["name"]}","value":['
                + ",".join("{" + ",".join(f'"{k}":{v}' for k, v in r.items()) + "}" for r in rows)
                + "]}")
        return Reply(200, body.encode(), {"Content-Type": "application/json;odata.metadata=minimal"})

    def _days(self, currency: str, start: date, end: date) -> Iterator[PtaxDay]:
        return (p for p in self.ptax.get(currency, ()) if start <= p.day <= end)

    def rows(self, resource: str, args: dict[str, str],
             odata_filter: str | None) -> list[dict[str, str]] | None:
        """Rows of one resource call, values as JSON literals (``None``: unknown resource)."""
        dates = {}
        for name in ("dataCotacao", "dataInicial", "dataFinalCotacao"):
            if name in args:
                m = _OLINDA_DATE.match(args[name])
                if not m:
                    return []  # the real service answers an ISO or unquoted date with 200 []
                dates[name] = date(int(m[3]), int(m[1]), int(m[2]))
        start = dates.get("dataCotacao", dates.get("dataInicial"))
        end = dates.get("dataCotacao", dates.get("dataFinalCotacao"))
        if resource in ("CotacaoDolarPeriodo", "CotacaoDolarDia"):
            rows = []
            for p in self._days("USD", start, end):
                row = {"cotacaoCompra": _num(p.compra, 5), "cotacaoVenda": _num(p.venda, 5),
                       "dataHoraCotacao": json.dumps(_stamp(p.day, 13))}
                if p.day == DUPLICATED_DAY:  # the live service published this day twice, 27 ms apart
                    rows.append({**row, "dataHoraCotacao": json.dumps(_stamp(p.day, 13, "461"))})
                    row["dataHoraCotacao"] = json.dumps(_stamp(p.day, 13, "488"))
                rows.append(row)
            return rows
        if resource in ("CotacaoMoedaPeriodo", "CotacaoMoedaDia"):
            currency = args.get("moeda", "").strip("'")
            only_closing = odata_filter is not None and "Fechamento" in odata_filter
            usd = {p.day: p.venda for p in self.ptax.get("USD", ())}
            rows = []
            for p in self._days(currency, start, end):
                # Type B currencies (EUR, GBP) carry their parity as USD per unit.
                parity = _num(p.venda / usd[p.day], 4) if p.day in usd else "1.0000"
                # Four consultations; the Fechamento is their mean (deltas sum to zero).
                bulletins = [("Abertura", 10, Decimal("0.0030")),
                             ("Intermediário", 11, Decimal("-0.0020")),
                             ("Intermediário", 12, Decimal("0.0010")),
                             ("Intermediário", 13, Decimal("-0.0020")),
                             ("Fechamento", 13, Decimal(0))]
                for kind, hour, delta in bulletins:
                    if only_closing and kind != "Fechamento":
                        continue
                    rows.append({"paridadeCompra": parity, "paridadeVenda": parity,
                                 "cotacaoCompra": _num(p.compra + delta, 4),
                                 "cotacaoVenda": _num(p.venda + delta, 4),
                                 "dataHoraCotacao": json.dumps(_stamp(p.day, hour)),
                                 "tipoBoletim": json.dumps(kind, ensure_ascii=False)})
            return rows
        return None
