"""Locale-aware money and price formatting for templates: ``{% load money %}``.

``{{ order.cap|money:currency }}`` -> ``1,234.50 PEN`` in English, ``1.234,50 PEN`` in Spanish.
``{{ order.spent|money }}`` -> the amount alone. ``{{ line.unit_price|price }}`` -> a unit price with at
least 2 and at most 6 decimals (``0.1234``). Values that are not numbers are shown as they are, and an
empty value (``None`` or ``""``) becomes ``""`` so that ``|default:"–"`` can follow.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from django import template
from django.utils import formats

from common.money import AMOUNT_PLACES, PRICE_PLACES

register = template.Library()


def _decimal(value) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def format_amount(value, places: int = 2) -> str:
    """The number grouped and separated as the active language writes it."""
    number = _decimal(value)
    if number is None:
        return ""
    quantum = AMOUNT_PLACES if places == 2 else Decimal(1).scaleb(-places)
    number = number.quantize(quantum, rounding=ROUND_HALF_EVEN)
    return formats.number_format(number, decimal_pos=places, use_l10n=True, force_grouping=True)


@register.filter
def money(value, currency: str = "") -> str:
    """An amount with 2 decimals and, when given, its ISO 4217 currency code after it."""
    if value is None or value == "":
        return ""
    if _decimal(value) is None:
        return str(value)
    text = format_amount(value, 2)
    return f"{text} {currency}" if currency else text


@register.filter
def price(value, currency: str = "") -> str:
    """A unit price: at least 2 decimals, up to 6, no trailing zeros beyond 2 (0.100000 -> 0.10)."""
    if value is None or value == "":
        return ""
    number = _decimal(value)
    if number is None:
        return str(value)
    number = number.quantize(PRICE_PLACES, rounding=ROUND_HALF_EVEN).normalize()
    exponent = number.as_tuple().exponent
    places = max(2, -exponent) if isinstance(exponent, int) else 2
    text = format_amount(number, places)
    return f"{text} {currency}" if currency else text


@register.filter
def exact_price(value, currency: str = "") -> str:
    """A unit price with all 6 of its stored decimals (0.100000): the agreed price on an order line."""
    if value is None or value == "":
        return ""
    if _decimal(value) is None:
        return str(value)
    text = format_amount(value, 6)
    return f"{text} {currency}" if currency else text
