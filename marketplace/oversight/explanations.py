"""Red-flag explanations: stored as a code and its parameters, written in the reader's language.

A rule (``marketplace.oversight.services``) records *what it saw* as ``explanation_code`` and
``explanation_params`` (plain JSON values: amounts as decimal strings, ids, references, titles).
The sentence is only made when someone reads the flag, so an auditor reading in English and one
reading in Spanish each get their own language whatever language was active when the flag was
raised. Amounts are grouped as the reader's language writes them (1,500.00 / 1.500,00).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.money import amount_text


class Code:
    NOT_LOWEST = "not_lowest"
    SINGLE_QUOTE = "single_quote"
    REPEATED_DIRECT_AWARDS = "repeated_direct_awards"
    SPLIT_PURCHASES = "split_purchases"
    CAP_RAISED = "cap_raised"
    LATE_USAGE = "late_usage"
    PRICE_RAISED_BEFORE_AWARD = "price_raised_before_award"


SENTENCES = {
    Code.NOT_LOWEST: gettext_lazy(
        "The buyer chose an option costing %(chosen)s %(currency)s when the lowest was %(lowest)s: "
        "%(difference)s more. Read the reason given: \"%(reason)s\""
    ),
    Code.SINGLE_QUOTE: gettext_lazy(
        "Only one supplier quoted in the competition \"%(title)s\" (%(invited)s invited), so there was "
        "no real price competition."
    ),
    Code.REPEATED_DIRECT_AWARDS: gettext_lazy(
        "This buyer directly awarded the same supplier %(count)s times within %(days)s days "
        "(more than %(maximum)s). Repeated direct awards can hide a preferred supplier."
    ),
    Code.SPLIT_PURCHASES: gettext_lazy(
        "%(count)s orders from this buyer to the same supplier within %(days)s days each stay "
        "below %(threshold)s %(currency)s but together come to %(total)s (%(references)s). "
        "The purchase may have been split to stay under a limit."
    ),
    Code.CAP_RAISED: gettext_lazy(
        "The cap of order %(reference)s was raised from %(original)s to %(highest)s %(currency)s "
        "(%(percent)s%% more; red flag above %(limit)s%%). A large raise may amount to a new purchase "
        "without a new selection."
    ),
    Code.LATE_USAGE: gettext_lazy(
        "%(count)s usage records worth %(amount)s %(currency)s were posted within %(days)s days of the end "
        "of order %(reference)s (ends %(end)s), %(after)s of them after it ended. Late usage can be a way "
        "to use up the cap."
    ),
    Code.PRICE_RAISED_BEFORE_AWARD: gettext_lazy(
        "The supplier's price for \"%(title)s\" was %(before)s per %(unit)s (version %(old)s) within %(days)s "
        "days before the award and %(after)s (version %(new)s) when it was awarded."
    ),
}

# The parameters that are amounts of money: stored as decimal strings, shown grouped in the reader's language.
AMOUNTS = {
    Code.NOT_LOWEST: ("chosen", "lowest", "difference"),
    Code.SPLIT_PURCHASES: ("threshold", "total"),
    Code.CAP_RAISED: ("original", "highest"),
    Code.LATE_USAGE: ("amount",),
}


def _reason(value: Any) -> str:
    return str(value) if value else _("none recorded")


# Parameters whose shown text depends on the reader (beyond amounts): a missing reason reads "none recorded".
READERS: dict[str, dict[str, Callable[[Any], str]]] = {
    Code.NOT_LOWEST: {"reason": _reason},
}


def explanation_text(code: str, params: Mapping[str, Any] | None, *, fallback: str = "") -> str:
    """The explanation of ``code`` with ``params`` in the active language; ``fallback`` (the text stored
    before codes existed) when there is no code, or the code is unknown or its parameters do not fit."""
    sentence = SENTENCES.get(code or "")
    if sentence is None:
        return fallback
    values = dict(params or {})
    for name in AMOUNTS.get(code, ()):
        values[name] = amount_text(values.get(name))
    for name, read in READERS.get(code, {}).items():
        values[name] = read(values.get(name))
    try:
        return str(sentence) % values
    except (KeyError, TypeError, ValueError):  # a row written by another version of the rules
        return fallback
