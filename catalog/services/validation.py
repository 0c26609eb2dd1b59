"""The rules a listing's content must meet, shared by create, update, submit, publish and CSV import."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db.backends.base.operations import BaseDatabaseOperations
from django.utils.translation import gettext as _

from agreements.models import Admission, CeilingPrice, FrameworkAgreement, Lot, Organization
from catalog.models import AttributeDefinition, NeedCategory
from catalog.search.query import as_id
from common.errors import Forbidden, ValidationFailed
from common.money import MAX_PRICE, QUANTITY_FIELD, price_text, to_decimal
from common.parsing import FieldErrors, read_decimal, read_integer, read_price

MAX_LIST_ITEMS = 20
MAX_UNIT_PRICE = MAX_PRICE
# The whole numbers of a listing (stock, lead time in days) are PositiveIntegerField columns: an integer
# column on PostgreSQL. SQLite would take up to 2**63 - 1; the same limit holds on every database.
MAX_WHOLE_NUMBER = BaseDatabaseOperations.integer_field_ranges["PositiveIntegerField"][1]


class Errors(dict):
    def add(self, field: str, message: str) -> None:
        self.setdefault(field, []).append(str(message))


def require_admitted(*, supplier: Organization, lot: Lot) -> None:
    if not Admission.objects.filter(supplier=supplier, lot=lot, status=Admission.Status.ADMITTED).exists():
        raise Forbidden(_("Only suppliers admitted to the lot can publish listings in it."), code="not_admitted")


def require_framework_accepts_listings(framework: FrameworkAgreement) -> None:
    if framework.status not in (FrameworkAgreement.Status.OPEN, FrameworkAgreement.Status.LIVE):
        raise ValidationFailed(_("This framework does not accept listings now."), code="framework_closed",
                               fields={"framework": [_("The framework must be open or live.")]})


def clean_text_list(value, field: str, errors: Errors) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = [line for line in value.splitlines()]
    if not isinstance(value, list | tuple):
        errors.add(field, _("Give a list of short texts."))
        return []
    items = [str(item).strip() for item in value if str(item).strip()]
    if len(items) > MAX_LIST_ITEMS:
        errors.add(field, _("Give at most %(count)s items.") % {"count": MAX_LIST_ITEMS})
    if any(len(item) > 300 for item in items):
        errors.add(field, _("Each item must be at most 300 characters."))
    return items


def _read_into(errors: Errors, reader: Callable[..., Any], value: Any, **options: Any) -> Any:
    """``value`` read by one of common.parsing's readers; its refusal joins the listing's other errors."""
    collected = FieldErrors()
    result = reader(value, errors=collected, **options)
    for field, messages in collected.fields.items():
        for message in messages:
            errors.add(field, message)
    return result


def clean_price(value: Any, errors: Errors, field: str = "unit_price") -> Decimal | None:
    """A unit price as common.parsing reads one: more than 0, at most 6 decimals, below the column's limit."""
    return _read_into(errors, read_price, value, field=field)


def clean_quantity(value: Any, errors: Errors, field: str) -> Decimal:
    """A quantity of the pricing unit that may be 0 (a minimum commitment); empty is 0."""
    quantity = _read_into(errors, read_decimal, value, field=field, size=QUANTITY_FIELD, positive=False,
                          required=False, example="10")
    if quantity is None:
        return Decimal("0")
    if quantity < 0:
        errors.add(field, _("Give zero or more."))
    return quantity


def clean_optional_int(value: Any, errors: Errors, field: str, maximum: int = MAX_WHOLE_NUMBER) -> int | None:
    """A whole number from 0 to ``maximum`` (what the database column holds), or None when empty."""
    return _read_into(errors, read_integer, value, field=field, low=0, high=maximum, required=False)


def ceiling_for(*, lot: Lot, unit: str) -> CeilingPrice | None:
    return CeilingPrice.objects.filter(lot=lot, unit=unit).first()


def check_price_within_ceiling(*, lot: Lot, unit: str, unit_price: Decimal | None, errors: Errors) -> Decimal | None:
    """The lot's ceiling for the unit; a unit without a ceiling is refused."""
    ceiling = ceiling_for(lot=lot, unit=unit)
    if ceiling is None:
        units = ", ".join(lot.ceiling_prices.order_by("unit").values_list("unit", flat=True))
        errors.add("unit", _("This lot has no ceiling price for this unit. Use one of: %(units)s.") % {"units": units})
        return None
    if unit_price is not None and unit_price > ceiling.max_unit_price:
        errors.add("unit_price", _("The unit price %(price)s is above the lot's ceiling of %(ceiling)s per %(unit)s.")
                   % {"price": price_text(unit_price), "ceiling": price_text(ceiling.max_unit_price), "unit": unit})
    return ceiling.max_unit_price


def _number(value) -> int | str | None:
    try:
        number = to_decimal(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number == number.to_integral_value() else format(number.normalize(), "f")


def clean_attributes(*, lot: Lot, attributes, errors: Errors, require_all: bool) -> dict:
    """Attribute values that fit their definitions (kind, allowed choices); unknown keys refused."""
    if attributes in (None, ""):
        attributes = {}
    if not isinstance(attributes, dict):
        errors.add("attributes", _("Give the answers as an object of question key to value."))
        return {}
    definitions = {d.key: d for d in AttributeDefinition.objects.filter(lot=lot)}
    cleaned = {}
    for key, value in attributes.items():
        field = f"attributes.{key}"
        definition = definitions.get(key)
        if definition is None:
            errors.add(field, _("This lot has no question with this key."))
            continue
        if value in (None, "", []):
            continue
        allowed = [str(choice.get("value")) for choice in definition.choices or []]
        kind = definition.kind
        if kind == AttributeDefinition.Kind.BOOLEAN:
            if isinstance(value, bool):
                cleaned[key] = value
            elif str(value).strip().lower() in ("true", "yes", "1"):
                cleaned[key] = True
            elif str(value).strip().lower() in ("false", "no", "0"):
                cleaned[key] = False
            else:
                errors.add(field, _("Answer yes or no."))
        elif kind == AttributeDefinition.Kind.CHOICE:
            if str(value) not in allowed:
                errors.add(field, _("Choose one of: %(choices)s.") % {"choices": ", ".join(allowed)})
            else:
                cleaned[key] = str(value)
        elif kind == AttributeDefinition.Kind.MULTI_CHOICE:
            values = value if isinstance(value, list | tuple) else [v for v in str(value).split(";")]
            values = [str(v).strip() for v in values if str(v).strip()]
            wrong = [v for v in values if v not in allowed]
            if wrong:
                errors.add(field, _("Not a choice: %(wrong)s. Choose from: %(choices)s.")
                           % {"wrong": ", ".join(wrong), "choices": ", ".join(allowed)})
            else:
                cleaned[key] = sorted(set(values), key=allowed.index)
        elif kind == AttributeDefinition.Kind.NUMBER:
            number = _number(value) if not isinstance(value, bool | float) else None
            if number is None:
                errors.add(field, _("Give a number."))
            else:
                cleaned[key] = number
    if require_all:
        for key, definition in definitions.items():
            if definition.required and key not in cleaned:
                errors.add(f"attributes.{key}", _("Answer this question: %(label)s.") % {"label": definition.label})
    return cleaned


def clean_categories(*, lot: Lot, category_ids, errors: Errors) -> list[NeedCategory]:
    ids = []
    for value in category_ids or []:
        text = str(value).strip()
        if isinstance(value, bool) or not (text.isascii() and text.isdigit()):
            errors.add("categories", _("Give category ids."))
            return []
        # None for a number beyond any database key: no category has it (and the query must not overflow).
        ids.append(as_id(text))
    known_ids = [pk for pk in ids if pk is not None]
    categories = list(NeedCategory.objects.filter(pk__in=known_ids).prefetch_related("lots"))
    if len(categories) != len(set(ids)):
        errors.add("categories", _("One of the categories does not exist."))
    for category in categories:
        lots = list(category.lots.all())
        if lots and lot not in lots:
            errors.add("categories", _("The need “%(name)s” does not apply to this lot.") % {"name": category.name})
    return categories


def check_goods_fields(*, lot: Lot, lead_time_days: int | None, errors: Errors, require: bool) -> None:
    if not lot.is_goods:
        return
    if lead_time_days is None:
        if require:
            errors.add("lead_time_days", _("Give the delivery lead time in days for goods."))
        return
    if lot.max_delivery_days is not None and lead_time_days > lot.max_delivery_days:
        errors.add("lead_time_days", _("The lot allows at most %(days)s days for delivery.")
                   % {"days": lot.max_delivery_days})
