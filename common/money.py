"""Money and quantities: ``Decimal`` only, one rounding rule (ROUND_HALF_EVEN), one place.

Amounts have 2 decimal places (max 14 digits); unit prices up to 6; quantities up to 6.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

AMOUNT_PLACES = Decimal("0.01")
PRICE_PLACES = Decimal("0.000001")
QUANTITY_PLACES = Decimal("0.000001")

AMOUNT_FIELD = {"max_digits": 14, "decimal_places": 2}
PRICE_FIELD = {"max_digits": 18, "decimal_places": 6}
QUANTITY_FIELD = {"max_digits": 18, "decimal_places": 6}

ZERO = Decimal("0.00")


def to_decimal(value: object) -> Decimal:
    """Convert a string, int or Decimal to Decimal; floats are refused to avoid binary error."""
    if isinstance(value, float):
        raise TypeError("Use strings or Decimal for money, never float.")
    try:
        result = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"Not a decimal number: {value!r}") from exc
    if not result.is_finite():
        raise ValueError(f"Not a finite number: {value!r}")
    return result


def round_amount(value: Decimal) -> Decimal:
    """The one rounding helper for amounts: 2 places, banker's rounding."""
    return value.quantize(AMOUNT_PLACES, rounding=ROUND_HALF_EVEN)


def round_price(value: Decimal) -> Decimal:
    return value.quantize(PRICE_PLACES, rounding=ROUND_HALF_EVEN)


def line_amount(*, quantity: Decimal, unit_price: Decimal) -> Decimal:
    """Quantity times unit price, rounded once."""
    return round_amount(quantity * unit_price)
