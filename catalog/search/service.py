"""The one search service. It parses, corrects typos, picks the backend for the database in use,
and shapes hits, facets and highlighting the same way for both backends."""

from __future__ import annotations

from django.db import connection
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from agreements.models import FrameworkAgreement, Lot, Organization
from catalog.models import AttributeDefinition, NeedCategory, SearchEntry, SearchFacetValue, SearchTerm
from catalog.search import portable, postgres
from catalog.search.query import WORD_RE, SearchQuery, parse_query
from catalog.search.types import SearchHit, SearchResult
from common.money import price_text

MAX_PAGE_SIZE = 100
HIT_FIELDS = ("listing", "version__number", "version__category_ids", "title", "summary", "supplier",
              "supplier_name", "framework", "lot", "unit", "unit_price", "in_stock")


def backend():
    return postgres if connection.vendor == "postgresql" else portable


def attribute_keys() -> set[str]:
    # order_by(): the default ordering (lot, position) would join the lot and widen the DISTINCT.
    return set(AttributeDefinition.objects.order_by().values_list("key", flat=True).distinct())


def correct_typos(query: SearchQuery) -> dict[str, str]:
    """Words that are in no published listing, mapped to the closest word that is."""
    words = [w for w in query.text.positive_words() if len(w) >= 3 and not w.isdigit()]
    if not words:
        return {}
    known = set(SearchTerm.objects.filter(word__in=words).values_list("word", flat=True))
    corrections = {}
    for word in words:
        if word in known:
            continue
        suggestion = backend().suggest(word)
        if suggestion and suggestion != word:
            corrections[word] = suggestion
    return corrections


def highlight(text: str, words: set[str]) -> str:
    """HTML-escaped ``text`` with each matched word wrapped in <mark>."""
    if not words:
        return mark_safe(escape(text))
    out, last = [], 0
    for match in WORD_RE.finditer(text):
        if match.group(0).lower() in words:
            out.append(escape(text[last:match.start()]))
            out.append(f"<mark>{escape(match.group(0))}</mark>")
            last = match.end()
    out.append(escape(text[last:]))
    return mark_safe("".join(out))


def _prepare(query: dict) -> tuple[SearchQuery, str | None]:
    parsed = parse_query(query, attribute_keys=attribute_keys())
    suggestion = None
    corrections = correct_typos(parsed)
    if corrections:
        parsed.text = parsed.text.replace_words(corrections)
        suggestion = parsed.text.text()
    return parsed, suggestion


def _selection(parsed: SearchQuery) -> tuple[dict[str, set[int]], dict[int, str], dict[int, tuple[str, str]]]:
    dictionary = {pk: (facet, value) for pk, facet, value in SearchFacetValue.objects.values_list("pk", "facet", "value")}
    index = {pair: pk for pk, pair in dictionary.items()}
    selected = {key: {index[(key, v)] for v in values if (key, v) in index}
                for key, values in parsed.facet_filters.items()}
    owner_of = {pk: facet for pk, (facet, _value) in dictionary.items()}
    return selected, owner_of, dictionary


def _hits(entry_ranks: list[tuple[int, float]], words: set[str]) -> list[SearchHit]:
    if not entry_ranks:
        return []
    # Only what a hit shows: the entry's and version's texts and JSON are large.
    entries = (SearchEntry.objects.select_related("version")
               .only(*HIT_FIELDS).in_bulk([pk for pk, _rank in entry_ranks]))
    category_ids = {c for e in entries.values() for c in e.version.category_ids}
    names = dict(NeedCategory.objects.filter(pk__in=category_ids).values_list("pk", "name"))
    hits = []
    for pk, rank in entry_ranks:
        entry = entries[pk]
        hits.append(SearchHit(
            listing_id=entry.listing_id, version_id=entry.version_id, version=entry.version.number,
            title=entry.title, summary=entry.summary, highlighted_summary=highlight(entry.summary, words),
            supplier_id=entry.supplier_id, supplier_name=entry.supplier_name, framework_id=entry.framework_id,
            lot_id=entry.lot_id, unit=entry.unit, unit_price=entry.unit_price,
            categories=[{"id": c, "name": names.get(c, "")} for c in entry.version.category_ids],
            in_stock=entry.in_stock, rank=round(rank, 6),
        ))
    return hits


def search_listings(*, user, query: dict, page: int = 1, page_size: int = 20, with_facets: bool = True) -> SearchResult:
    """Search published listings. ``query`` has the keys of GET /api/v1/listings/.

    Every user searches the same published catalog (the read model holds published versions only).
    """
    page = max(1, int(page or 1))
    page_size = max(1, min(MAX_PAGE_SIZE, int(page_size or 20)))
    parsed, suggestion = _prepare(query)
    selected, owner_of, dictionary = _selection(parsed)
    result_page = backend().run(parsed, selected=selected, owner_of=owner_of, offset=(page - 1) * page_size,
                                limit=page_size, with_facets=with_facets)
    facets: dict[str, dict[str, int]] = {}
    if with_facets:
        for value_id, count in sorted(result_page.facet_counts.items()):
            facet, value = dictionary.get(value_id, (None, None))
            if facet is not None:
                facets.setdefault(facet, {})[value] = count
        for key in ("lot", "category"):
            facets.setdefault(key, {})
    return SearchResult(
        count=result_page.count, results=_hits(result_page.entry_ranks, set(parsed.text.positive_words())),
        # Corrected only when the corrected words found something: otherwise nothing is shown "for" them.
        facets=facets, suggestion=suggestion, corrected=suggestion is not None and result_page.count > 0,
        page=page, page_size=page_size,
    )


def search_hits_all(*, query: dict, limit: int) -> tuple[int, list[SearchHit]]:
    """The total and the first ``limit`` hits in result order (published content only)."""
    parsed, _suggestion = _prepare(query)
    selected, owner_of, _dictionary = _selection(parsed)
    result_page = backend().run(parsed, selected=selected, owner_of=owner_of, offset=0, limit=limit,
                                with_facets=False)
    return result_page.count, _hits(result_page.entry_ranks, set(parsed.text.positive_words()))


def describe_query(query: dict) -> str:
    """The search in plain words, e.g. 'Keywords “backup” in Cloud Services, lot 1; data location: Peru'."""
    parsed = parse_query(query, attribute_keys=attribute_keys())
    parts = []
    scope = []
    if parsed.frameworks:
        scope.append(", ".join(FrameworkAgreement.objects.filter(pk__in=parsed.frameworks)
                               .order_by("reference").values_list("title", flat=True)))
    lots = parsed.facet_filters.get("lot", [])
    if lots:
        lot_rows = Lot.objects.filter(pk__in=[int(v) for v in lots]).select_related("framework").order_by("number")
        if not parsed.frameworks:
            scope.append(", ".join(sorted({lot.framework.title for lot in lot_rows})))
        scope.append(" or ".join(_("lot %(number)s") % {"number": lot.number} for lot in lot_rows))
    head = _("Keywords “%(words)s”") % {"words": parsed.raw_text.strip()} if parsed.raw_text.strip() else _("All listings")
    if scope:
        head += " " + _("in %(scope)s") % {"scope": ", ".join(s for s in scope if s)}
    parts.append(head)
    categories = parsed.facet_filters.get("category", [])
    if categories:
        names = NeedCategory.objects.filter(pk__in=[int(v) for v in categories]).values_list("name", flat=True)
        parts.append(_("category %(names)s") % {"names": _(" or ").join(names)})
    if parsed.suppliers:
        names = Organization.objects.filter(pk__in=parsed.suppliers).values_list("name", flat=True)
        parts.append(_("supplier %(names)s") % {"names": _(" or ").join(names)})
    definitions = {}
    for definition in AttributeDefinition.objects.filter(key__in=list(parsed.facet_filters)).order_by("pk"):
        definitions.setdefault(definition.key, definition)
    for key, values in parsed.facet_filters.items():
        if key in ("lot", "category"):
            continue
        definition = definitions.get(key)
        label = definition.label if definition else key
        shown = [attribute_value_label(definition, v) for v in values]
        parts.append(f"{label}: {_(' or ').join(shown)}")
    if parsed.price_max is not None:
        parts.append(_("max price %(price)s per unit") % {"price": price_text(parsed.price_max)})
    if parsed.in_stock:
        parts.append(_("in stock only"))
    return "; ".join(parts)


def attribute_value_label(definition, value: str) -> str:
    if definition is None:
        return value
    if definition.kind == AttributeDefinition.Kind.BOOLEAN:
        return _("Yes") if value == "true" else _("No")
    for choice in definition.choices or []:
        if str(choice.get("value")) == value:
            return str(choice.get("label", value))
    return f"{value} {definition.unit}".strip() if definition.kind == AttributeDefinition.Kind.NUMBER else value
