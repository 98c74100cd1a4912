"""What the first digit of a numeric local account code says about the account's class.

One rule for the mapping check (``close.checks``) and the mapping suggester
(``connectors.suggest``). Three numberings meet in a Brazilian group:

========  ==============================  ==========================  ======================
digit     Brazilian charts (ITG 2000,     SPED referential chart      US charts
          TOTVS and most ERPs)            (ECD plano referencial)
========  ==============================  ==========================  ======================
1         ativo                           ativo                       assets
2         passivo, patrimônio líquido     passivo                     liabilities
3         receitas / resultado            patrimônio líquido          equity
4         custos e despesas               resultado                   revenue
5–8       custos, despesas, outros        —                           costs, other income
========  ==============================  ==========================  ======================

So a leading 3 means equity, revenue or expense: the code alone never decides between them, and
the check judges only what every numbering agrees on. Each digit's classes are listed most likely
first in a Brazilian chart, the product's home, which is the one guess the suggester makes when a
name gives no evidence. 9 (memorandum, closing or "other" depending on the chart) and codes with
letters are not judged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

PREFIX_CLASSES: Mapping[str, tuple[str, ...]] = {
    "1": ("asset",),
    "2": ("liability", "equity"),
    "3": ("revenue", "equity", "expense"),
    **{d: ("expense", "revenue") for d in "45678"},
}
NUMERIC_CODE = re.compile(r"^[0-9][0-9.\-/ ]*$")


def classes_by_code(code: str) -> tuple[str, ...] | None:
    """Return the classes an account with this local code may have, or ``None`` if not judged.

    Example: ``classes_by_code("3.1.01")`` is ``("revenue", "equity", "expense")``;
    ``classes_by_code("9.1")`` and ``classes_by_code("AR")`` are ``None``.
    """
    code = code.strip()
    return PREFIX_CLASSES.get(code[:1]) if NUMERIC_CODE.match(code) else None
