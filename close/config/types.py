"""The building blocks of the group TOML's pydantic models: a strict table base and exact types.

Every table of the group config is a :class:`TomlTable`: frozen, ``extra="forbid"`` (a misspelt key
is refused, with a guess, by ``close.config.errors``). Scalars use the strict types below, so
``"5"`` is not an integer, ``1`` is not ``true`` and an event's date must be a TOML date. A field's
``description`` says in plain words what it expects: the error messages quote it and the JSON
Schema (``close config schema``) shows it in an editor.
"""

from __future__ import annotations

from dataclasses import MISSING, fields
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StrictBool,
    StrictInt,
    StrictStr,
    StringConstraints,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from close.engine.money import D

CURRENCY_PATTERN = r"^[A-Z]{3}$"
ID_PATTERN = r"^[A-Za-z0-9_.-]{1,64}$"


class TomlTable(BaseModel):
    """One table of the group TOML."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def _exact(value: Any) -> Any:  # noqa: ANN401 - a raw TOML value
    """Read a quoted number or an integer exactly; a TOML float would already have lost cents."""
    if isinstance(value, float):
        raise PydanticCustomError(
            "float_amount", "got the float {value}; write amounts in quotes so they stay exact",
            {"value": repr(value), "expected": 'a quoted number such as "0.8"'})
    if isinstance(value, str | int) and not isinstance(value, bool):
        try:
            return D(value)
        except (TypeError, ValueError):
            pass
    if isinstance(value, Decimal):
        return value
    raise PydanticCustomError("exact_number", "got {value}",
                              {"value": repr(value), "expected": 'a quoted number such as "0.8"'})


#: An exact number: a quoted decimal (``"0.8"``) or an integer, never a TOML float.
Exact = Annotated[
    Decimal, BeforeValidator(_exact),
    WithJsonSchema({"type": ["string", "integer"], "pattern": r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*$",
                    "description": 'an exact number: quoted, such as "0.8", or an integer'}),
]
Text = StrictStr
Integer = StrictInt
Flag = StrictBool
#: A TOML date, unquoted (``2025-06-30``).
TomlDate = Annotated[date, Strict()]
Currency = Annotated[StrictStr, StringConstraints(pattern=CURRENCY_PATTERN)]
Identifier = Annotated[StrictStr, StringConstraints(pattern=ID_PATTERN)]


def described(description: str, default: Any = ..., **constraints: Any) -> Any:  # noqa: ANN401
    """Return a ``Field`` whose description is what the key expects (shown in errors and editors)."""
    return Field(default, description=description, **constraints)


def default_of(record: type, name: str) -> Any:  # noqa: ANN401 - any field's default
    """Return the default of a runtime dataclass's field, so a default is written in one place."""
    for f in fields(record):
        if f.name == name:
            if f.default is not MISSING:
                return f.default
            if f.default_factory is not MISSING:
                return f.default_factory()
    raise KeyError(f"{record.__name__}.{name} has no default")


def invalid(key: str, message: str, expected: str) -> PydanticCustomError:
    """Return a cross-key error of a model validator; ``key`` is relative to the table checked."""
    return PydanticCustomError("config_invalid", "{message}",
                               {"message": message, "key": key, "expected": expected})
