"""Parsing a catalog search: web-search syntax for keywords, and the filter keys of GET /listings/.

Keyword syntax: all words must match by default; ``"quoted phrases"`` match words in order;
``-word`` or ``-"a phrase"`` excludes; ``OR`` (upper case) between two terms accepts either.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from common.errors import ValidationFailed
from common.money import MAX_PRICE, price_text, to_decimal

WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)
TOKEN_RE = re.compile(r'(-?)"([^"]*)"?|(\S+)')
RESERVED_KEYS = {"q", "framework", "lot", "category", "supplier", "price_max", "in_stock", "sort", "page",
                 "page_size", "format"}
SORTS = ("relevance", "price", "-price", "newest")
TRUE_VALUES = {"1", "true", "yes", "on"}
FALSE_VALUES = {"0", "false", "no", "off"}
MAX_TERMS = 12
MAX_ID = 2**63 - 1  # the largest primary key a database accepts
ID_KEYS = ("framework", "lot", "category", "supplier")


def words_of(text: str) -> list[str]:
    """Lower-cased words, split like PostgreSQL's 'simple' configuration does for plain words."""
    return WORD_RE.findall(unicodedata.normalize("NFC", text or "").lower())


@dataclass(frozen=True)
class Phrase:
    words: tuple[str, ...]

    def text(self) -> str:
        return self.words[0] if len(self.words) == 1 else '"' + " ".join(self.words) + '"'


@dataclass
class TextQuery:
    # Each clause is a list of alternatives (OR); clauses are AND-ed.
    clauses: list[list[Phrase]] = field(default_factory=list)
    excluded: list[Phrase] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.clauses and not self.excluded

    def positive_words(self) -> list[str]:
        seen: list[str] = []
        for clause in self.clauses:
            for phrase in clause:
                for word in phrase.words:
                    if word not in seen:
                        seen.append(word)
        return seen

    def text(self) -> str:
        parts = [" OR ".join(phrase.text() for phrase in clause) for clause in self.clauses]
        parts += ["-" + phrase.text() for phrase in self.excluded]
        return " ".join(parts)

    def replace_words(self, mapping: dict[str, str]) -> TextQuery:
        def fix(phrase: Phrase) -> Phrase:
            return Phrase(tuple(mapping.get(word, word) for word in phrase.words))

        return TextQuery([[fix(p) for p in clause] for clause in self.clauses], list(self.excluded))


def parse_text(raw: str) -> TextQuery:
    query = TextQuery()
    pending_or = False
    count = 0
    for match in TOKEN_RE.finditer(raw or ""):
        negated, quoted, bare = match.group(1), match.group(2), match.group(3)
        if bare is not None and bare == "OR":
            pending_or = bool(query.clauses)
            continue
        if bare is not None and bare.startswith("-") and len(bare) > 1:
            negated, bare = "-", bare[1:]
        words = tuple(words_of(quoted if quoted is not None else bare))
        if not words:
            continue
        count += 1
        if count > MAX_TERMS:
            break
        phrase = Phrase(words)
        if negated:
            query.excluded.append(phrase)
            pending_or = False
            continue
        if quoted is None and len(words) > 1:
            # "e-mail" or "ISO/27001" typed bare: its words must appear in order, like a phrase.
            phrase = Phrase(words)
        if pending_or and query.clauses:
            query.clauses[-1].append(phrase)
        else:
            query.clauses.append([phrase])
        pending_or = False
    return query


@dataclass
class SearchQuery:
    """A normalized search: the text plus every filter, ready for a backend."""

    text: TextQuery
    raw_text: str = ""
    frameworks: list[int] = field(default_factory=list)
    suppliers: list[int] = field(default_factory=list)
    price_max: Decimal | None = None
    in_stock: bool = False
    sort: str = "relevance"
    # Facet filters: facet key ("lot", "category", attribute key) -> selected values (strings).
    facet_filters: dict[str, list[str]] = field(default_factory=dict)


def _values(query: dict, key: str) -> list[str]:
    value = query.get(key)
    if value is None:
        return []
    if isinstance(value, list | tuple):
        items = value
    else:
        items = [value]
    result = []
    for item in items:
        text = str(item).strip()
        for part in (text.split(",") if key in ID_KEYS else [text]):
            part = part.strip()
            if part and part not in result:
                result.append(part)
    return result


def as_id(value: str) -> int | None:
    """The id written in ``value``, or None when it is not one (ASCII digits that fit a database key)."""
    value = str(value).strip()
    # Length first: int() of thousands of digits is refused (and slow) before any comparison.
    if not (value.isascii() and value.isdigit()) or len(value.lstrip("0")) > 19 or int(value) > MAX_ID:
        return None
    return int(value)


def _ids(query: dict, key: str) -> list[int]:
    ids = []
    for value in _values(query, key):
        number = as_id(value)
        if number is None:
            raise ValidationFailed(_("The filter is not valid."), fields={key: [_("Give a number (an id).")]})
        ids.append(number)
    return ids


def parse_query(query: dict, *, attribute_keys: set[str]) -> SearchQuery:
    """Turn the GET /listings/ keys (strings or lists of strings) into a ``SearchQuery``.

    Unknown keys are ignored; bad values raise ``ValidationFailed`` (a 400, never a 500).
    """
    query = dict(query or {})
    raw_text = " ".join(_values(query, "q"))
    parsed = SearchQuery(text=parse_text(raw_text), raw_text=raw_text)
    parsed.frameworks = _ids(query, "framework")
    parsed.suppliers = _ids(query, "supplier")
    lots = _ids(query, "lot")
    if lots:
        parsed.facet_filters["lot"] = [str(i) for i in lots]
    categories = _ids(query, "category")
    if categories:
        parsed.facet_filters["category"] = [str(i) for i in categories]
    price_values = _values(query, "price_max")
    if price_values:
        try:
            parsed.price_max = to_decimal(price_values[0])
        except (TypeError, ValueError):
            raise ValidationFailed(_("The maximum price is not a number."),
                                   fields={"price_max": [_("Give a number such as 0.20.")]}) from None
        if parsed.price_max < 0:
            raise ValidationFailed(_("The maximum price cannot be negative."),
                                   fields={"price_max": [_("Give zero or more.")]})
        if parsed.price_max >= MAX_PRICE:
            # No price reaches it (the price column's digits), and larger numbers cannot be rounded or shown.
            raise ValidationFailed(_("The maximum price is too large."), fields={"price_max": [
                _("Give a price below %(limit)s.") % {"limit": price_text(MAX_PRICE)}]})
    stock_values = _values(query, "in_stock")
    if stock_values:
        flag = stock_values[0].lower()
        if flag not in TRUE_VALUES | FALSE_VALUES:
            raise ValidationFailed(_("In stock must be true or false."), fields={"in_stock": [_("Use true or false.")]})
        parsed.in_stock = flag in TRUE_VALUES
    sort_values = _values(query, "sort")
    if sort_values:
        if sort_values[0] not in SORTS:
            raise ValidationFailed(_("Unknown sort order."),
                                   fields={"sort": [_("Use one of: %s.") % ", ".join(SORTS)]})
        parsed.sort = sort_values[0]
    for key in sorted(attribute_keys):
        if key in RESERVED_KEYS:
            continue
        values = [normalize_attribute_value(v) for v in _values(query, key)]
        if values:
            parsed.facet_filters[key] = values
    return parsed


def normalize_attribute_value(value) -> str:
    """How an attribute value is stored as a facet value: booleans as true/false, numbers plain."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal | int):
        return format(Decimal(value).normalize(), "f")
    text = str(value).strip()
    lowered = text.lower()
    if lowered in ("true", "yes"):
        return "true"
    if lowered in ("false", "no"):
        return "false"
    return text
