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
# Every unit price is below this: PRICE_FIELD leaves max_digits - decimal_places digits before the point.
MAX_PRICE = Decimal(10) ** (PRICE_FIELD["max_digits"] - PRICE_FIELD["decimal_places"])
MAX_QUANTITY = Decimal(10) ** (QUANTITY_FIELD["max_digits"] - QUANTITY_FIELD["decimal_places"])
# The largest amount (cap, total, spend) an AMOUNT_FIELD column holds.
MAX_AMOUNT = Decimal(10) ** (AMOUNT_FIELD["max_digits"] - AMOUNT_FIELD["decimal_places"]) - Decimal("0.01")

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
    """``value`` as a finite Decimal, or None when it is empty, a bool or not a number. Never raises."""
    try:
        if value is None or isinstance(value, bool) or (isinstance(value, str) and not value.strip()):
            return None
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
        return number if number.is_finite() else None
    except (ArithmeticError, ValueError, TypeError):
        return None


def _as_is(value) -> str:
    """The text of a value that cannot be formatted, shown as it is (never an error on a page)."""
    try:
        return "" if value is None else str(value)
    except Exception:  # a page must not fail because of how an odd object prints itself
        return ""


def amount_text(value, places: int = 2) -> str:
    """The number rounded to ``places`` and grouped as the active language writes it ("" if not a number).
    A number too large to round to ``places`` (beyond 28 significant digits) is shown as it is. Never raises."""
    from django.utils import formats

    number = finite_decimal(value)
    if number is None:
        return ""
    try:
        quantum = AMOUNT_PLACES if places == 2 else Decimal(1).scaleb(-places)
        number = number.quantize(quantum, rounding=ROUND_HALF_EVEN)
        return formats.number_format(number, decimal_pos=places, use_l10n=True, force_grouping=True)
    except (ArithmeticError, ValueError, TypeError):
        return _as_is(value)


def _trimmed_text(value, *, at_least: int) -> str:
    """The number with at most 6 decimals and at least ``at_least``, no trailing zeros beyond that;
    a value that is not a number, or cannot be rounded to 6 places (1e30), as it is. Never raises."""
    number = finite_decimal(value)
    if number is None:
        return _as_is(value)
    try:
        number = number.quantize(PRICE_PLACES, rounding=ROUND_HALF_EVEN).normalize()
    except ArithmeticError:
        return _as_is(value)
    exponent = number.as_tuple().exponent
    return amount_text(number, max(at_least, -exponent) if isinstance(exponent, int) else at_least)


def quantity_text(value) -> str:
    """A quantity with the decimals it needs (8760.000000 -> 8,760; 12.500000 -> 12.5)."""
    return _trimmed_text(value, at_least=0)


def price_text(value) -> str:
    """A unit price with at least 2 and at most 6 decimals (0.100000 -> 0.10, 0.123400 -> 0.1234)."""
    return _trimmed_text(value, at_least=2)
