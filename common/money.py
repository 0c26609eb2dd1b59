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


# --- Text for people: the active language's separators (1,234.50 / 1.234,50) --------------------


def finite_decimal(value) -> Decimal | None:
    """``value`` as a finite Decimal, or None when it is empty, a bool or not a number."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def amount_text(value, places: int = 2) -> str:
    """The number rounded to ``places`` and grouped as the active language writes it ("" if not a number)."""
    from django.utils import formats

    number = finite_decimal(value)
    if number is None:
        return ""
    quantum = AMOUNT_PLACES if places == 2 else Decimal(1).scaleb(-places)
    number = number.quantize(quantum, rounding=ROUND_HALF_EVEN)
    return formats.number_format(number, decimal_pos=places, use_l10n=True, force_grouping=True)


def quantity_text(value) -> str:
    """A quantity with the decimals it needs, at most 6, grouped (8760.000000 -> 8,760; 12.500000 -> 12.5);
    a value that is not a number is shown as it is."""
    number = finite_decimal(value)
    if number is None:
        return "" if value is None else str(value)
    number = number.quantize(Decimal("0.000001"), rounding=ROUND_HALF_EVEN).normalize()
    exponent = number.as_tuple().exponent
    return amount_text(number, max(0, -exponent) if isinstance(exponent, int) else 0)


def price_text(value) -> str:
    """A unit price with at least 2 and at most 6 decimals, no trailing zeros beyond 2
    (0.100000 -> 0.10, 0.123400 -> 0.1234); a value that is not a number is shown as it is."""
    number = finite_decimal(value)
    if number is None:
        return "" if value is None else str(value)
    number = number.quantize(PRICE_PLACES, rounding=ROUND_HALF_EVEN).normalize()
    exponent = number.as_tuple().exponent
    places = max(2, -exponent) if isinstance(exponent, int) else 2
    return amount_text(number, places)
