"""The portable backend (SQLite and any database): filters in SQL, text and facets in Python.

Exact for the web-search syntax; made for the embedded mode and small catalogs (thousands of
listings). Ranking: per query word, 1.0 for a title match, else 0.4 summary, else 0.2 elsewhere.
"""

from __future__ import annotations

import difflib

from catalog.models import SearchEntry, SearchTerm
from catalog.search.query import Phrase, SearchQuery, TextQuery, words_of
from catalog.search.types import BackendPage


def _phrase_in(phrase: Phrase, padded_document: str) -> bool:
    return f" {' '.join(phrase.words)} " in padded_document


def text_matches(text: TextQuery, padded_document: str) -> bool:
    for clause in text.clauses:
        if not any(_phrase_in(phrase, padded_document) for phrase in clause):
            return False
    return not any(_phrase_in(phrase, padded_document) for phrase in text.excluded)


def text_rank(text: TextQuery, title: str, summary: str) -> float:
    title_words, summary_words = set(words_of(title)), set(words_of(summary))
    rank = 0.0
    for word in text.positive_words():
        rank += 1.0 if word in title_words else 0.4 if word in summary_words else 0.2
    return rank


def base_queryset(query: SearchQuery):
    queryset = SearchEntry.objects.all()
    if query.frameworks:
        queryset = queryset.filter(framework_id__in=query.frameworks)
    if query.suppliers:
        queryset = queryset.filter(supplier_id__in=query.suppliers)
    if query.price_max is not None:
        queryset = queryset.filter(unit_price__lte=query.price_max)
    if query.in_stock:
        queryset = queryset.filter(in_stock=True)
    return queryset


def run(query: SearchQuery, *, selected: dict[str, set[int]], owner_of: dict[int, str], offset: int,
        limit: int | None, with_facets: bool) -> BackendPage:
    """``selected``: per filtered question, the ids of the chosen values (OR-ed); questions are AND-ed.

    A facet value is counted over the rows that pass every filter except its own question's.
    """
    keys = list(selected)
    rows = base_queryset(query).values_list(
        "pk", "title", "summary", "document", "facet_ids", "unit_price", "published_at", "tie_hash"
    )
    matched = []
    facet_counts: dict[int, int] = {}
    for pk, title, summary, document, facet_ids, unit_price, published_at, tie_hash in rows.iterator():
        if not query.text.is_empty and not text_matches(query.text, f" {document} "):
            continue
        own = set(facet_ids)
        failed = [key for key in keys if not (own & selected[key])]
        if len(failed) > 1:
            continue
        if with_facets:
            for facet_id in own:
                if not failed or owner_of.get(facet_id) == failed[0]:
                    facet_counts[facet_id] = facet_counts.get(facet_id, 0) + 1
        if failed:
            continue
        rank = text_rank(query.text, title, summary) if not query.text.is_empty else 0.0
        matched.append((pk, rank, unit_price, published_at, tie_hash))
    if query.sort == "price":
        matched.sort(key=lambda r: (r[2], r[4]))
    elif query.sort == "-price":
        matched.sort(key=lambda r: (-r[2], r[4]))
    elif query.sort == "newest":
        matched.sort(key=lambda r: (-r[3].timestamp(), r[4]))
    else:
        matched.sort(key=lambda r: (-r[1], r[4]))
    window = matched[offset:] if limit is None else matched[offset:offset + limit]
    return BackendPage(count=len(matched), entry_ranks=[(r[0], r[1]) for r in window],
                       facet_counts=facet_counts if with_facets else None)


def suggest(word: str) -> str | None:
    vocabulary = list(SearchTerm.objects.filter(word__startswith=word[:1]).values_list("word", flat=True))
    matches = difflib.get_close_matches(word, vocabulary, n=1, cutoff=0.75)
    if not matches:
        matches = difflib.get_close_matches(word, list(SearchTerm.objects.values_list("word", flat=True)),
                                            n=1, cutoff=0.8)
    return matches[0] if matches else None
