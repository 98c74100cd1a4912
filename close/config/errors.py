"""Turn pydantic's validation of the group TOML into one ``ConfigError`` a person can act on.

The message names the file, the dotted key (``entities[0].currency``) and what was expected in
plain words: the field's description when it has one, else a phrase for the error's kind. An
unknown key close to a known one is reported as "did you mean …": a misspelt key is the likelier
mistake than a forgotten one, so it comes before the "missing" error of the key it meant.
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, Tag, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from close.errors import ConfigError

# Plain words for pydantic's error kinds when a field has no description of its own.
_KIND_EXPECTED = {
    "string_type": "text", "bool_type": "true or false", "int_type": "an integer",
    "date_type": "a TOML date such as 2025-06-30 (unquoted)", "date_from_datetime_inexact":
    "a TOML date such as 2025-06-30", "date_parsing": "a date such as 2025-06-30",
    "model_type": "a table", "model_attributes_type": "a table", "dict_type": "a table",
    "list_type": "a list", "tuple_type": "a list", "missing": "a value",
}


def did_you_mean(key: str, known: Iterable[str], cutoff: float = 0.8) -> str | None:
    """Return the known key a misspelt ``key`` most likely meant, or None when none is close."""
    matches = difflib.get_close_matches(key, list(known), n=1, cutoff=cutoff)
    return matches[0] if matches else None


def dotted(loc: Iterable[int | str]) -> str:
    """Return a TOML key path: ``entities[0].acquisition.date`` (``[key]`` markers dropped)."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part != "[key]":
            out += f".{part}" if out else str(part)
    return out


def _unwrap(annotation: Any) -> Any:  # noqa: ANN401 - a typing form
    """Strip ``Annotated`` and ``X | None`` down to the type that holds the keys."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            annotation = next(a for a in get_args(annotation) if a is not type(None))
        else:
            return annotation


def _members(annotation: Any) -> dict[str, Any] | None:  # noqa: ANN401 - a typing form
    """Return a tagged union's members by tag (``Annotated[A | B, Discriminator]``), else None."""
    if get_origin(annotation) is not Annotated:
        return None
    inner = get_args(annotation)[0]
    if get_origin(inner) not in (Union, types.UnionType):
        return None
    members = {}
    for member in get_args(inner):
        tags = [m.tag for m in get_args(member)[1:] if isinstance(m, Tag)] \
            if get_origin(member) is Annotated else []
        if tags:
            members[tags[0]] = get_args(member)[0]
    return members or None


def _resolve(model: type[BaseModel], loc: tuple[int | str, ...]
             ) -> tuple[type[BaseModel] | None, FieldInfo | None, tuple[int | str, ...]]:
    """Walk ``loc`` through the models.

    Returns the table holding the last key, that key's field, and ``loc`` without the tags of
    tagged unions (pydantic puts the chosen member's tag in the location: ``entities.0.omie.source``
    is the key ``entities[0].source`` a person wrote).
    """
    table: Any = model
    holder: type[BaseModel] | None = None
    info: FieldInfo | None = None
    kept: list[int | str] = []
    for part in loc:
        members = _members(table) if table is not None else None
        if members is not None and part in members:
            table = members[part]
            continue
        kept.append(part)
        if part == "[key]" or table is None:
            continue
        table = _unwrap(table)
        origin = get_origin(table)
        if isinstance(table, type) and issubclass(table, BaseModel):
            holder, info = table, table.model_fields.get(str(part))
            table = info.annotation if info is not None else None
        elif origin in (tuple, list):  # an array: step into its element
            table = get_args(table)[0]
        elif origin in (dict, Mapping):  # a table of named sub-tables: step into the value
            table = get_args(table)[1]
        else:
            holder, info, table = None, None, None
    return holder, info, tuple(kept)


def _field_at(model: type[BaseModel],
              loc: tuple[int | str, ...]) -> tuple[type[BaseModel] | None, FieldInfo | None]:
    """Return the table holding the last key of ``loc`` and that key's field."""
    holder, info, _ = _resolve(model, loc)
    return holder, info


def _key(model: type[BaseModel], loc: tuple[int | str, ...]) -> str:
    """Return the dotted key a person wrote for a pydantic location."""
    return dotted(_resolve(model, loc)[2])


def _expected(model: type[BaseModel], error: ErrorDetails) -> str:
    ctx = error.get("ctx") or {}
    if error["type"] == "float_amount":  # the fix is to quote it, whatever the key
        return str(ctx["expected"])
    _, info = _field_at(model, tuple(error["loc"]))
    if info is not None and info.description:
        return info.description
    if "expected" in ctx and error["type"] != "literal_error":
        return str(ctx["expected"])
    if error["type"] == "literal_error":
        return str(ctx.get("expected", "")).replace("'", "").replace(" or ", " | ").replace(", ", " | ")
    if "ge" in ctx or "gt" in ctx or "le" in ctx or "lt" in ctx:
        return error["msg"].lower().removeprefix("input should be ")
    return _KIND_EXPECTED.get(error["type"], error["msg"].lower().removeprefix("input should be "))


def _misspelt(model: type[BaseModel], errors: list[ErrorDetails]) -> tuple[str, str, str] | None:
    """Report the first unknown key that looks like a known one, with the meant key's expectation."""
    for error in errors:
        if error["type"] != "extra_forbidden":
            continue
        loc = tuple(error["loc"])
        table, _ = _field_at(model, (*loc[:-1], "__probe__"))
        if table is None:
            continue
        guess = did_you_mean(str(loc[-1]), table.model_fields)
        if guess is not None:
            info = table.model_fields[guess]
            return (f"unknown key; did you mean {guess!r}?", _key(model, loc),
                    f"{guess}: {info.description or 'a value'}")
    return None


def explain(model: type[BaseModel], exc: ValidationError) -> tuple[str, str, str]:
    """Return what went wrong, the dotted key and what was expected, in plain words.

    Args:
        model: the model validated (its fields give descriptions and known keys).
        exc: pydantic's error.

    Returns:
        ``(message, key, expected)``; the key is ``""`` for an error of the whole document.

    """
    errors = exc.errors()
    typo = _misspelt(model, errors)
    if typo is not None:
        return typo
    first = errors[0]
    loc = tuple(first["loc"])
    ctx = first.get("ctx") or {}
    if first["type"] == "config_invalid":  # a cross-key check of a model validator
        return str(ctx["message"]), _key(model, (*loc, *([ctx["key"]] if ctx.get("key") else []))), \
            str(ctx["expected"])
    if first["type"] == "extra_forbidden":
        table, _ = _field_at(model, (*loc[:-1], "__probe__"))
        known = ", ".join(sorted(table.model_fields)) if table is not None else "a known key"
        return "unknown key", _key(model, loc), f"one of {known}"
    if first["type"] == "missing":
        return "missing", _key(model, loc), _expected(model, first)
    if loc and loc[-1] == "[key]":
        return "unknown name", _key(model, loc), _expected(model, first)
    shown = ctx.get("value") if first["type"] in ("float_amount", "exact_number") else repr(first["input"])
    message = first["msg"] if first["type"] == "float_amount" else f"got {shown}"
    return message, _key(model, loc), _expected(model, first)


def config_error(model: type[BaseModel], exc: ValidationError, source: str) -> ConfigError:
    """Turn a validation of the group TOML into a ``ConfigError`` naming file, key and expectation.

    Args:
        model: the document model validated (its fields give descriptions and known keys).
        exc: pydantic's error.
        source: the file name.

    """
    message, key, expected = explain(model, exc)
    return ConfigError(message, file=source, key=key or None, expected=expected)
