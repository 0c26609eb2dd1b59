from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def unit_price(value) -> str:
    """A unit price with at least two decimals and no trailing zeros beyond: 0.100000 -> 0.10, 0.012500 -> 0.0125."""
    if value in (None, ""):
        return ""
    number = Decimal(str(value)).normalize()
    exponent = number.as_tuple().exponent
    places = max(2, -exponent if isinstance(exponent, int) else 2)
    return f"{number:.{places}f}"
