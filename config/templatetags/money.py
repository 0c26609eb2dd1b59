"""Locale-aware money and price formatting for templates: ``{% load money %}``.

``{{ order.cap|money:currency }}`` -> ``1,234.50 PEN`` in English, ``1.234,50 PEN`` in Spanish, with a
non-breaking space (U+00A0) between the number and the code so that a line never breaks inside an amount.
``{{ order.spent|money }}`` -> the amount alone. ``{{ line.unit_price|price }}`` -> a unit price with at
least 2 and at most 6 decimals (``0.1234``). Values that are not numbers are shown as they are, and an
empty value (``None`` or ``""``) becomes ``""`` so that ``|default:"–"`` can follow.
"""

from __future__ import annotations

from django import template

from common.money import amount_text, finite_decimal, price_text, quantity_text

register = template.Library()

# Between a number and its currency code: a non-breaking space, so "PEN" never wraps away from its number.
CURRENCY_SEPARATOR = "\u00a0"


def _shown(value, currency: str, number_text) -> str:
    """``number_text(value)`` with the currency after it; "" for an empty value, anything that is not
    a number as it is."""
    if value is None or value == "":
        return ""
    if finite_decimal(value) is None:
        return str(value)
    text = number_text(value)
    return f"{text}{CURRENCY_SEPARATOR}{currency}" if currency else text


@register.filter
def money(value, currency: str = "") -> str:
    """An amount with 2 decimals and, when given, its ISO 4217 currency code after it."""
    return _shown(value, currency, amount_text)


@register.filter
def price(value, currency: str = "") -> str:
    """A unit price: at least 2 decimals, up to 6, no trailing zeros beyond 2 (0.100000 -> 0.10)."""
    return _shown(value, currency, price_text)


@register.filter
def quantity(value) -> str:
    """A quantity with only the decimals it needs, grouped as the language writes it (8,760; 12.5)."""
    return _shown(value, "", quantity_text)
