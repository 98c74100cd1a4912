"""Reading ERP JSON safely: every missing field or bad value names entity, endpoint and field.

Connectors read responses through a ``Payload`` bound to the entity, currency and endpoint, so a
malformed answer becomes ``InputDataError("entity BR1, endpoint financas/mf ListarMovimentos,
field 'movimentos[3].detalhes.nValorTitulo': not an amount: 'abc'")`` instead of a ``KeyError``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from close.engine.money import MAX_MINOR, exponent, quantize_cents, to_minor
from close.engine.types import Currency, EntityId
from close.errors import InputDataError


@dataclass(frozen=True, slots=True)
class Payload:
    """Typed access to one endpoint's JSON, with located errors."""

    entity: EntityId
    currency: Currency
    endpoint: str

    def error(self, field: str, message: str) -> InputDataError:
        """Build the error for ``field``."""
        return InputDataError(message, entity=self.entity, endpoint=self.endpoint, field=field)

    def get(self, obj: Any, key: str, where: str = "", *, required: bool = True) -> Any:
        """Return ``obj[key]``; a missing key (or a non-object) is an error when required.

        Args:
            obj: a decoded JSON object.
            key: the field name.
            where: the path of ``obj`` in the body (``movimentos[3]``), for the message.
            required: ``False`` returns ``None`` when the key is absent.

        Returns:
            The value.

        Raises:
            InputDataError: ``obj`` is not an object, or the key is missing and required.

        """
        path = f"{where}.{key}" if where else key
        if not isinstance(obj, Mapping):
            raise self.error(where or key, f"expected an object, got {type(obj).__name__}")
        if key not in obj or (required and obj[key] is None):
            if required:
                raise self.error(path, "missing")
            return None
        return obj[key]

    def items(self, obj: Any, key: str, where: str = "") -> Sequence[Any]:
        """Return the list at ``obj[key]`` (required)."""
        value = self.get(obj, key, where)
        if not isinstance(value, list):
            raise self.error(f"{where}.{key}" if where else key,
                             f"expected a list, got {type(value).__name__}")
        return value

    def text(self, obj: Any, key: str, where: str = "", *, required: bool = True) -> str:
        """Return a field as text (ids may arrive as numbers); ``""`` when optional and absent."""
        value = self.get(obj, key, where, required=required)
        text = "" if value is None else str(value).strip()
        if "\x00" in text:  # PostgreSQL text cannot hold it: refuse it here, where it is named
            raise self.error(f"{where}.{key}" if where else key, "contains a NUL character")
        return text

    def minor(self, obj: Any, key: str, where: str = "", *, required: bool = True) -> int:
        """Return an amount field in minor units of the entity currency.

        Args:
            obj: a decoded JSON object (numbers decoded as ``Decimal``).
            key: the field name.
            where: the path of ``obj``.
            required: absent → 0 when ``False``.

        Returns:
            Minor units.

        Raises:
            InputDataError: missing, not a number, or more decimals than the currency has.

        """
        path = f"{where}.{key}" if where else key
        value = self.get(obj, key, where, required=required)
        if value is None:
            return 0
        if isinstance(value, bool) or not isinstance(value, (int, Decimal, str)):
            raise self.error(path, f"not an amount: {value!r}")
        try:
            amount = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
        except InvalidOperation:
            raise self.error(path, f"not an amount: {value!r}") from None
        if not amount.is_finite():
            raise self.error(path, f"not an amount: {value!r}")
        if abs(amount) >= Decimal(MAX_MINOR).scaleb(-exponent(self.currency)):
            raise self.error(path, f"not an amount: {value!r} is too large")
        if quantize_cents(amount, exponent(self.currency)) != amount:
            raise self.error(path, f"{value} has more decimals than {self.currency}")
        return to_minor(amount, self.currency)

    def day(self, obj: Any, key: str, where: str = "", *, fmt: str = "%Y-%m-%d",
            required: bool = True) -> date | None:
        """Return a date field parsed with ``fmt`` (the time part of an ISO date-time is ignored).

        Raises:
            InputDataError: missing when required, or not a date in that format.

        """
        path = f"{where}.{key}" if where else key
        value = self.get(obj, key, where, required=required)
        if value in (None, ""):
            if required:
                raise self.error(path, "missing")
            return None
        text = str(value)
        if fmt == "%Y-%m-%d":
            text = text[:10]
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date, no zone
        except ValueError:
            raise self.error(path, f"not a date ({fmt}): {value!r}") from None
