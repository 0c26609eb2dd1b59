"""Numbers typed on web pages, read the way the active language writes them (docs/i18n.md, "Numbers typed
into pages"): Spanish ``0,10``, ``1.234,5``, ``1234,5``; English ``0.10``, ``1,234.5``, ``1234.5``.

The API, CSV files and query strings built by code keep canonical dot decimals and never come through here.
"""

from __future__ import annotations

import re
from decimal import Decimal, DecimalException

from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.translation import gettext as _

from common.errors import ValidationFailed

DECIMAL_INPUT = {"class": "input", "inputmode": "decimal"}


def _written(number: str) -> str:
    return formats.number_format(Decimal(number), use_l10n=True, force_grouping=True)


def read_typed_decimal(value, *, example: str = "1234.50") -> Decimal:
    """``value`` as typed in the active language, as a finite Decimal; ``ValidationError`` otherwise.

    Django's ``sanitize_separators`` swaps the decimal separator. Thousands separators are checked here first
    and mean thousands only in whole groups of three ("1.234.567,5"; Spanish "1.500" is 1500). A number
    without the language's decimal separator and with one other separator that cannot group thousands
    ("0.25", "1.5", "0.125" in Spanish; "0,25" in English) can only mean a decimal point, and is read so,
    as many users type it. Anything else is refused (code ``ambiguous``) rather than guessed. ``example``
    (canonical) is shown in the error.
    """
    text = str(value).strip()
    decimal_separator = formats.get_format("DECIMAL_SEPARATOR")
    thousands_separator = formats.get_format("THOUSAND_SEPARATOR")
    whole, has_decimals, decimals = text.partition(decimal_separator)
    if thousands_separator and thousands_separator != decimal_separator:
        groups = rf"[+-]?[1-9]\d{{0,2}}(?:{re.escape(thousands_separator)}\d{{3}})+"
        if not has_decimals and whole.count(thousands_separator) == 1 and not re.fullmatch(groups, whole):
            whole, has_decimals, decimals = whole.partition(thousands_separator)  # the other notation's point
        if thousands_separator in decimals or (thousands_separator in whole and not re.fullmatch(groups, whole)):
            raise ValidationError(
                _("Write decimals with “%(decimal)s” and group thousands with “%(thousands)s”, as in %(example)s."),
                code="ambiguous",
                params={"decimal": decimal_separator, "thousands": thousands_separator, "example": _written("1234.5")},
            )
        whole = whole.replace(thousands_separator, "")
    try:
        number = Decimal(formats.sanitize_separators(whole + (decimal_separator + decimals if has_decimals else "")))
    except DecimalException:
        number = None
    if number is None or not number.is_finite():
        raise ValidationError(_("Give a number such as %(example)s."), code="invalid",
                              params={"example": _written(example)})
    return number


class LocalizedDecimalField(forms.DecimalField):
    """A ``forms.DecimalField(localize=True)`` that reads input with ``read_typed_decimal`` and shows values back
    in the active language (``0,25``)."""

    def __init__(self, *, example: str = "1234.50", **kwargs) -> None:
        kwargs["localize"] = True
        kwargs.setdefault("widget", forms.TextInput(attrs=DECIMAL_INPUT))
        self.example = example
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            return read_typed_decimal(value, example=self.example) if value.strip() else None
        return super().to_python(value)


class TypedNumbers:
    """Numbers typed into a page without a Django form: each one read with ``read_typed_decimal``, each error kept
    under its input's name, so that the page can show it next to the field before calling a service."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def read(self, name: str, value, *, example: str = "1234.50"):
        """The Decimal, or ``value`` unchanged when it is empty (the service says what is missing)."""
        if value is None or not str(value).strip():
            return value
        try:
            return read_typed_decimal(value, example=example)
        except ValidationError as error:
            self.errors[name] = list(error.messages)
            return None

    def raise_errors(self) -> None:
        """Raise ``ValidationFailed`` with every number that could not be read, if any (before calling a service)."""
        if self.errors:
            raise ValidationFailed(_("Check the numbers you entered."), fields=self.errors)
