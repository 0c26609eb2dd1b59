"""Locale-aware money and price formatting for templates: ``{% load money %}``.

``{{ order.cap|money:currency }}`` -> ``1,234.50 PEN`` in English, ``1.234,50 PEN`` in Spanish.
``{{ order.spent|money }}`` -> the amount alone. ``{{ line.unit_price|price }}`` -> a unit price with at
least 2 and at most 6 decimals (``0.1234``). Values that are not numbers are shown as they are, and an
empty value (``None`` or ``""``) becomes ``""`` so that ``|default:"–"`` can follow.
"""

from __future__ import annotations

from django import template

from common.money import amount_text, finite_decimal, price_text

register = template.Library()


@register.filter
def money(value, currency: str = "") -> str:
    """An amount with 2 decimals and, when given, its ISO 4217 currency code after it."""
    if value is None or value == "":
        return ""
    if finite_decimal(value) is None:
        return str(value)
    text = amount_text(value, 2)
    return f"{text} {currency}" if currency else text


@register.filter
def price(value, currency: str = "") -> str:
    """A unit price: at least 2 decimals, up to 6, no trailing zeros beyond 2 (0.100000 -> 0.10)."""
    if value is None or value == "":
        return ""
    text = price_text(value)
    return f"{text} {currency}" if currency and finite_decimal(value) is not None else text


@register.filter
def exact_price(value, currency: str = "") -> str:
    """A unit price with all 6 of its stored decimals (0.100000): the agreed price on an order line."""
    if value is None or value == "":
        return ""
    if finite_decimal(value) is None:
        return str(value)
    text = amount_text(value, 6)
    return f"{text} {currency}" if currency else text
