"""The search results page: keywords, facets with counts, removable filters, pages of results."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agreements.models import FrameworkAgreement, Lot, Organization
from agreements.selectors import frameworks_visible_to
from catalog.models import AttributeDefinition, NeedCategory
from catalog.search.query import RESERVED_KEYS, as_id
from catalog.search.service import attribute_value_label
from catalog.selectors import describe_query, search_filters_known, search_listings
from common.errors import ValidationFailed
from common.form_errors import ErrorSummary
from common.forms import read_typed_decimal
from common.money import price_text
from common.parsing import MAX_ROW_ID, FieldErrors, read_integer

FACET_ORDER = ["lot", "category"]
GROUP_TITLES = {"lot": gettext_lazy("Lot"), "category": gettext_lazy("Need")}
UNORDERED = 99  # where a value or question without a position sorts: after the ordered ones

SEARCH_FIELD_LABELS = {
    "q": gettext_lazy("Keywords"), "price_max": gettext_lazy("Max price per unit"), "category": gettext_lazy("Need"),
    "lot": gettext_lazy("Lot"), "framework": gettext_lazy("Framework"), "supplier": gettext_lazy("Supplier"),
    "sort": gettext_lazy("Sort by"), "in_stock": gettext_lazy("In stock only"),
}

IGNORED_FILTER_NOTICES = {
    "framework": gettext_lazy("Ignored a filter that names no known framework: %(value)s."),
    "lot": gettext_lazy("Ignored a filter that names no known lot: %(value)s."),
    "category": gettext_lazy("Ignored a filter that names no known need category: %(value)s."),
    "supplier": gettext_lazy("Ignored a filter that names no known supplier: %(value)s."),
}


def _query_from(request) -> dict[str, list[str]]:
    return {key: [v for v in values if v != ""] for key, values in request.GET.lists()
            if key not in ("page",) and any(v != "" for v in values)}


def _url(query: dict) -> str:
    pairs = [(key, value) for key, values in query.items() for value in (values if isinstance(values, list) else [values])]
    return "?" + urlencode(pairs) if pairs else "?"


def _without(query: dict[str, list[str]], key: str, value: str) -> dict[str, list[str]]:
    """The query with one value of one filter removed (the link of its "Remove filter")."""
    rest = {k: [v for v in vs if not (k == key and v == value)] for k, vs in query.items()}
    return {k: vs for k, vs in rest.items() if vs}


# --- facets ----------------------------------------------------------------------------------------


@dataclass
class FacetNames:
    """What names the lots, needs and questions a facet counts, loaded once per page."""

    lots: dict[str, Lot]
    categories: dict[str, NeedCategory]
    definitions: dict[str, AttributeDefinition]

    @classmethod
    def load(cls) -> FacetNames:
        definitions: dict[str, AttributeDefinition] = {}
        for definition in AttributeDefinition.objects.order_by("position", "pk"):
            definitions.setdefault(definition.key, definition)  # the first lot's question names the key
        return cls(lots={str(lot.pk): lot for lot in Lot.objects.select_related("framework")},
                   categories={str(c.pk): c for c in NeedCategory.objects.all()}, definitions=definitions)

    def group_title(self, key: str) -> str:
        if key in GROUP_TITLES:
            return str(GROUP_TITLES[key])
        return self.definitions[key].label if key in self.definitions else key

    def value_label(self, key: str, value: str) -> str:
        if key == "lot":
            lot = self.lots.get(value)
            return f"{lot.framework.reference} · {lot}" if lot else value
        if key == "category":
            category = self.categories.get(value)
            return category.name if category else value
        return attribute_value_label(self.definitions.get(key), value)

    def facet_keys(self, facets: dict) -> list[str]:
        """Lot and need first, then the questions in their order on the lot."""
        questions = [key for key in facets if key not in FACET_ORDER]
        return FACET_ORDER + sorted(questions, key=lambda key: (
            self.definitions[key].position if key in self.definitions else UNORDERED, key))

    def sorted_values(self, key: str, values: list[str]) -> list[str]:
        """Needs in the tree's order, choices in the question's order, anything else by its text."""
        if key == "category":
            return sorted(values, key=lambda v: self.categories[v].path if v in self.categories else v)
        definition = self.definitions.get(key)
        if definition is not None and definition.choices:
            order = [str(choice["value"]) for choice in definition.choices]
            return sorted(values, key=lambda v: order.index(v) if v in order else UNORDERED)
        return sorted(values)

    def is_child_need(self, key: str, value: str) -> bool:
        return key == "category" and value in self.categories and self.categories[value].parent_id is not None


def _facet_options(names: FacetNames, key: str, counts: dict[str, int], selected: list[str]) -> list[dict]:
    """One checkbox per counted value, and per selected value that no longer counts (so it can be unticked)."""
    values = names.sorted_values(key, list(counts) + [v for v in selected if v not in counts])
    return [{"value": v, "label": names.value_label(key, v), "count": counts.get(v, 0), "checked": v in selected,
             "child": names.is_child_need(key, v)} for v in values]


def _facet_groups(names: FacetNames, result, query: dict[str, list[str]]) -> list[dict]:
    groups = []
    for key in names.facet_keys(result.facets):
        options = _facet_options(names, key, result.facets.get(key, {}), query.get(key, []))
        if options:
            groups.append({"key": key, "label": names.group_title(key), "options": options})
    return groups


def _named_row(model, value: str):
    row_id = as_id(value)
    return model.objects.filter(pk=row_id).first() if row_id else None


def _active_filter_label(names: FacetNames, key: str, value: str) -> str:
    if key == "q":
        return _("Keywords: %(q)s") % {"q": value}
    if key in FACET_ORDER or key not in RESERVED_KEYS:
        return f"{names.group_title(key)}: {names.value_label(key, value)}"
    if key == "price_max":
        return _("Max price per unit: %(price)s") % {"price": price_text(value)}
    if key == "in_stock":
        return _("In stock only")
    if key == "framework":
        framework = _named_row(FrameworkAgreement, value)
        return _("Framework: %(f)s") % {"f": framework.reference if framework else value}
    if key == "supplier":
        supplier = _named_row(Organization, value)
        return _("Supplier: %(name)s") % {"name": supplier.name if supplier else value}
    return f"{key}: {value}"


def _active_filters(names: FacetNames, query: dict[str, list[str]]) -> list[dict]:
    """Each filter in force, with the link that removes it (sorting is not a filter)."""
    return [{"label": _active_filter_label(names, key, value), "url": _url(_without(query, key, value))}
            for key, values in query.items() if key != "sort" for value in values]


# --- notices and errors ----------------------------------------------------------------------------


def _ignored_notices(ignored: list[tuple[str, str]]) -> list[str]:
    notices = []
    for key, value in ignored:
        if key in IGNORED_FILTER_NOTICES:
            notices.append(IGNORED_FILTER_NOTICES[key] % {"value": value})
        else:
            notices.append(_("Ignored a filter that names no known question or answer: %(value)s.")
                           % {"value": f"{key}={value}"})
    return notices


def _typed_price_max(query: dict) -> str:
    """The maximum price as the user typed it (shown back in the box); the query gets its canonical form
    (``0.2``), so that the search, the filter chips and a saved search read it the same in every language.
    Text that cannot be read stays as it is, and the search says what is wrong with it."""
    typed = (query.get("price_max") or [""])[0]
    if typed.strip():
        try:
            query["price_max"] = [str(read_typed_decimal(typed, example="0.20"))]
        except DjangoValidationError:
            pass
    return typed


def _error_summary(error: ValidationFailed | None) -> ErrorSummary:
    """A refused search, each problem named by what the page calls its box (or its question). The refused
    filters travel in the search form's hidden fields, so every line leads to its search box."""
    summary = ErrorSummary.from_error(error, labels={key: str(label) for key, label in SEARCH_FIELD_LABELS.items()})
    if error is not None:
        for definition in AttributeDefinition.objects.filter(key__in=list(error.fields)).only("key", "label"):
            summary.labels.setdefault(definition.key, definition.label)
        summary.anchors = dict.fromkeys(error.fields, "search-q")
    return summary


# --- the page --------------------------------------------------------------------------------------


def _page_number(request) -> int:
    """The page asked for; anything that is not a page number shows the first."""
    typed = request.GET.get("page") or ""
    return read_integer(typed, field="page", low=1, high=MAX_ROW_ID, errors=FieldErrors(), required=False) or 1


def _page_links(query: dict, page: int, pages: int) -> list[dict]:
    if pages <= 1:
        return []
    numbers = {1, max(1, page - 2), page - 1, page, page + 1, min(pages, page + 2), pages}
    return [{"number": number, "url": _url({**query, "page": [str(number)]}), "current": number == page}
            for number in sorted(numbers) if 1 <= number <= pages]


def _search(request, query: dict, page: int, notices: list[str]):
    """The result (and the page shown) or the refusal, with its description of the query."""
    try:
        result = search_listings(user=request.user, query=query, page=page)
        if page > result.pages:
            # Like Paginator.get_page: a page past the end shows the last one (the API answers it empty).
            notices.append(_("There is no page %(page)s; showing the last page.") % {"page": page})
            page = result.pages
            result = search_listings(user=request.user, query=query, page=page)
        return result, page, describe_query(query), None
    except ValidationFailed as error:
        return None, page, "", error


def search_page(request):
    query, ignored = search_filters_known(user=request.user, query=_query_from(request))
    typed_price_max = _typed_price_max(query)
    notices = _ignored_notices(ignored)
    result, page, description, error = _search(request, query, _page_number(request), notices)
    names = FacetNames.load() if result else None
    lots = {lot.pk: lot for lot in Lot.objects.select_related("framework")}
    context = {
        "query": query, "q": " ".join(query.get("q", [])), "sort": (query.get("sort") or ["relevance"])[0],
        "result": result, "errors": _error_summary(error), "notices": notices,
        "query_url": _url(query), "description": description,
        "groups": _facet_groups(names, result, query) if result else [],
        "active": _active_filters(names, query) if result else [],
        "lots": lots,
        # Each hit with its framework's currency, from the lots already read (no query per hit).
        "hits": [(hit, lots[hit.lot_id].framework.currency if hit.lot_id in lots else "")
                 for hit in (result.results if result else [])],
        "pages": _page_links(query, page, result.pages) if result else [], "price_max": typed_price_max,
        "in_stock": bool(query.get("in_stock")),
        "hidden": [(k, v) for k, vs in query.items() if k in ("framework", "supplier") for v in vs],
        "frameworks": [{"pk": f.pk, "label": f"{f.reference} {f.title}", "checked": str(f.pk) in query.get("framework", [])}
                       for f in frameworks_visible_to(user=request.user).order_by("reference")],
        "previous_url": _url({**query, "page": [str(page - 1)]}) if result and page > 1 else None,
        "next_url": _url({**query, "page": [str(page + 1)]}) if result and page < result.pages else None,
        "sorts": [("relevance", _("Best match")), ("price", _("Lowest price")), ("-price", _("Highest price")),
                  ("newest", _("Newest"))],
    }
    return render(request, "catalog/search.html", context, status=400 if error else 200)
