"""Which fields of a connector's field map an answer of its source lacks.

Each connector documents, per endpoint, the fields it reads and where they were taken from
(``connectors/<erp>.md``). ``close connectors check`` samples each endpoint and reports the
fields of that map the source did not send, so a changed or older API shows up before a close
fails on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def unread_fields(endpoint: str, sample: Any, fields: Iterable[str]) -> tuple[str, ...]:
    """Return ``"endpoint: field"`` for each field absent from ``sample``.

    Args:
        endpoint: the endpoint's name, as the field map writes it.
        sample: one item the endpoint returned (a decoded JSON object), or ``None`` when it
            returned none (then nothing can be judged and nothing is reported).
        fields: the field names read from such an item; dotted for nested objects
            (``detalhes.dDtEmissao``).

    Returns:
        The missing fields, in the order given.

    Example:
        >>> unread_fields("Branches", {"Code": "1"}, ["Code", "Description"])
        ('Branches: Description',)

    """
    if sample is None:
        return ()
    missing = []
    for name in fields:
        node: Any = sample
        for part in name.split("."):
            node = node.get(part) if isinstance(node, Mapping) else None
            if node is None:
                missing.append(f"{endpoint}: {name}")
                break
    return tuple(missing)
