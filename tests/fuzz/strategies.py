"""Hypothesis strategies for the inputs a close reads: trial-balance files, group configs, payloads.

A generated trial balance starts honest — balanced, in one of the export dialects the file
connector documents (plain numbers, Brazilian ``1.234,56`` with D/C suffixes, parentheses,
grouping accounts) — and is then damaged the way files get damaged: a character inserted or
deleted (NUL, quote, delimiter, newline, non-ASCII), a cell replaced by junk, a line duplicated
or cut, an oversized field, the wrong encoding, or plain random bytes.
"""

from __future__ import annotations

from hypothesis import strategies as st

from tests.close.run.small_group import CONFIG

_HEADERS = {
    "plain": ("account,name,counterparty,cost_center,department,opening,debit,credit,closing", ","),
    "pt": ("Conta;Descrição;Saldo Anterior;Débito;Crédito;Saldo Atual", ";"),
    "en-closing": ("Account\tName\tOpening\tClosing", "\t"),
    "pt-dc": ("Conta|Descrição|Saldo Anterior|D/C|Débito|Crédito|Saldo Atual|D/C", "|"),
}
_JUNK = st.sampled_from(["\x00", '"', ",", ";", "\n", "\r", "\t", "|", "-", ".", "(", "D", "C", "é", "€",
                         "\ufeff", "Total", "abc", "1e9", "NaN", "∞", "１２", "9" * 25])


def _money(minor: int, style: str) -> str:
    sign, units, cents = ("-" if minor < 0 else ""), abs(minor) // 100, abs(minor) % 100
    if style == "plain":
        return f"{sign}{units}.{cents:02d}"
    grouped = f"{units:,}".replace(",", ".")
    if style == "pt":
        return f"{sign}{grouped},{cents:02d}"
    return f"({units:,}.{cents:02d})" if minor < 0 else f"{units:,}.{cents:02d}"


@st.composite
def trial_balance_text(draw: st.DrawFn) -> str:
    """A balanced trial balance in one dialect (grouping accounts included, sometimes)."""
    dialect = draw(st.sampled_from(sorted(_HEADERS)))
    header, sep = _HEADERS[dialect]
    n = draw(st.integers(1, 8))
    opening = draw(st.lists(st.integers(-10**9, 10**9), min_size=n, max_size=n))
    debit = draw(st.lists(st.integers(0, 10**8), min_size=n, max_size=n))
    credit = draw(st.lists(st.integers(0, 10**8), min_size=n, max_size=n))
    opening.append(-sum(opening))
    flow = sum(debit) - sum(credit)
    debit.append(max(-flow, 0))
    credit.append(max(flow, 0))
    lines = [header]
    grouped = draw(st.booleans())
    if grouped:
        closing = sum(opening) + sum(debit) - sum(credit)
        lines.append(_line(dialect, sep, "1", "GRUPO", sum(opening), sum(debit), sum(credit), closing))
    for i, (o, d, c) in enumerate(zip(opening, debit, credit, strict=True)):
        code = f"1.{i:02d}" if grouped else f"{i + 1}.1"
        lines.append(_line(dialect, sep, code, f"Conta {i}", o, d, c, o + d - c))
    return "\n".join(lines) + "\n"


def _line(dialect: str, sep: str, code: str, name: str, o: int, d: int, c: int, closing: int) -> str:
    if dialect == "plain":
        cells = [code, name, "", "", "", *(_money(v, "plain") for v in (o, d, c, closing))]
    elif dialect == "pt":
        cells = [code, name, *(_money(v, "pt") for v in (o, d, c, closing))]
    elif dialect == "en-closing":
        cells = [code, name, _money(o, "en"), _money(closing, "en")]
    else:
        cells = [code, name, _money(abs(o), "pt"), "D" if o >= 0 else "C", _money(d, "pt"), _money(c, "pt"),
                 _money(abs(closing), "pt"), "D" if closing >= 0 else "C"]
    return sep.join(cells)


@st.composite
def damaged(draw: st.DrawFn, text: st.SearchStrategy[str]) -> bytes:
    """Damage a text document the ways real files are damaged, and encode it."""
    doc = draw(text)
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["insert", "delete", "junk-cell", "dup-line", "cut", "huge"]))
        at = draw(st.integers(0, len(doc)))
        if kind == "insert":
            doc = doc[:at] + draw(_JUNK) + doc[at:]
        elif kind == "delete":
            doc = doc[:at] + doc[at + draw(st.integers(1, 4)):]
        elif kind == "junk-cell":
            doc = doc[:at] + draw(st.text(max_size=12)) + doc[at + draw(st.integers(0, 8)):]
        elif kind == "dup-line":
            lines = doc.splitlines(keepends=True)
            if lines:
                i = draw(st.integers(0, len(lines) - 1))
                doc = "".join(lines[:i + 1] + lines[i:])
        elif kind == "cut":
            doc = doc[:at]
        else:
            doc = doc[:at] + draw(st.sampled_from(["x", '"x'])) * 140_000 + doc[at:]
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16", "utf-16-le"]))
    return doc.encode(encoding, errors="replace")


trial_balance_files = st.one_of(damaged(trial_balance_text()), st.binary(max_size=300))

_TOML_VALUES = st.one_of(
    st.text(max_size=8).map(lambda s: '"' + s.replace("\\", "").replace('"', "") + '"'),
    st.integers(-5, 5).map(str),
    st.sampled_from(["true", "[]", "{}", '["a", 1]', "1.5", '"../../etc/passwd"', '"/etc/hostname"']))
_KEYS = st.sampled_from(["apikey", "passwd", "token", "colour", "currency", "parent", "ownership"])


@st.composite
def group_configs(draw: st.DrawFn) -> str:
    """The small group's config with keys dropped, duplicated, retyped, added, or its text damaged."""
    lines = CONFIG.splitlines()
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(lines) - 1))
        kind = draw(st.sampled_from(["drop", "dup", "retype", "add", "junk"]))
        if kind == "drop":
            del lines[i]
        elif kind == "dup":
            lines.insert(i, lines[i])
        elif kind == "retype" and "=" in lines[i]:
            lines[i] = lines[i].split("=", 1)[0] + "= " + draw(_TOML_VALUES)
        elif kind == "add":
            lines.insert(i, f"{draw(_KEYS)} = {draw(_TOML_VALUES)}")
        else:
            at = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:at] + draw(_JUNK) + lines[i][at:]
        if not lines:
            break
    return "\n".join(lines) + "\n"


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.text(max_size=10),
              st.sampled_from(["1e400", "NaN", "-0.001", "12.34", "2026-01-31", "31/01/2026", "\x00"]),
              st.decimals(allow_nan=True, allow_infinity=True, places=None)),
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(st.sampled_from(
        ["movimentos", "detalhes", "nValorTitulo", "dDtRegistro", "cCodCateg", "items", "value"]),
        children, max_size=4)),
    max_leaves=12)
