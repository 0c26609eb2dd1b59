from decimal import Decimal

import pytest

from catalog.selectors import describe_query, search_hits_all, search_listings

pytestmark = pytest.mark.django_db


def titles(result):
    return sorted(hit.title for hit in result.results)


def search(query, **kwargs):
    return search_listings(user=None, query=query, **kwargs)


def test_no_query_lists_every_published_listing_with_facets(corpus):
    result = search({})
    assert result.count == 6
    lot, lot2 = corpus["lot"], corpus["lot2"]
    assert result.facets["lot"] == {str(lot.pk): 4, str(lot2.pk): 2}
    assert result.facets["data_location"] == {"peru": 3, "eu": 2, "usa": 1}
    assert result.facets["free_trial"] == {"true": 3, "false": 2}


def test_values_of_one_question_are_ored_and_questions_anded(corpus):
    result = search({"data_location": ["peru", "usa"]})
    assert titles(result) == ["Backup vault", "Secure chat", "Static site hosting", "Website hosting"]
    result = search({"data_location": ["peru", "usa"], "free_trial": "true"})
    assert titles(result) == ["Backup vault", "Static site hosting"]


def test_facet_counts_apply_every_filter_but_their_own(corpus):
    result = search({"data_location": "peru", "lot": str(corpus["lot"].pk)})
    assert result.count == 2
    # data_location counts: lot filter only (4 listings of lot 1).
    assert result.facets["data_location"] == {"peru": 2, "eu": 1, "usa": 1}
    # lot counts: data_location=peru only (3 listings over both lots).
    assert result.facets["lot"] == {str(corpus["lot"].pk): 2, str(corpus["lot2"].pk): 1}
    # other facets: both filters.
    assert result.facets["free_trial"] == {"true": 1, "false": 1}


def test_category_filter_includes_descendants(corpus):
    result = search({"category": str(corpus["store"].pk)})
    assert titles(result) == ["Backup vault", "Cold storage archive"]
    assert result.facets["category"][str(corpus["store"].pk)] == 2
    assert result.facets["category"][str(corpus["backup"].pk)] == 1
    assert titles(search({"category": str(corpus["backup"].pk)})) == ["Backup vault"]


def test_keywords_all_words_phrase_exclusion_and_or(corpus):
    assert titles(search({"q": "backup"})) == ["Backup vault", "Cold storage archive", "Secure chat"]
    assert titles(search({"q": "backup servers"})) == ["Backup vault"]
    assert titles(search({"q": '"static website"'})) == ["Static site hosting"]
    assert titles(search({"q": '"website static"'})) == []
    assert titles(search({"q": "backup -chat"})) == ["Backup vault", "Cold storage archive"]
    # "Secure chat" matches through its category name "Collaborate and email".
    assert titles(search({"q": "email OR website"})) == [
        "Secure chat", "Static site hosting", "Team email", "Website hosting"]


def test_supplier_and_category_names_are_searchable(corpus):
    assert titles(search({"q": "collaborate"})) == ["Secure chat", "Team email"]


def test_title_match_outranks_description_match(corpus):
    result = search({"q": "backup"})
    assert result.results[0].title == "Backup vault"
    assert result.results[0].rank > result.results[-1].rank


def test_misspelt_word_still_finds_the_listing_and_says_so(corpus):
    result = search({"q": "websiet"})
    assert result.corrected is True
    assert result.suggestion == "website"
    assert titles(result) == ["Static site hosting", "Website hosting"]


def test_a_correction_that_finds_nothing_either_is_not_reported_as_the_results(corpus):
    result = search({"q": "backupp website"})

    assert (result.count, result.suggestion, result.corrected) == (0, "backup website", False)


def test_highlighting_marks_matched_words_and_escapes_html(corpus):
    result = search({"q": "nightly"})
    assert result.results[0].highlighted_summary == "<mark>Nightly</mark> backup of servers in Lima."


def test_price_max_in_stock_and_sorting(corpus):
    result = search({"price_max": "0.15", "lot": str(corpus["lot"].pk), "sort": "price"})
    assert [hit.title for hit in result.results] == ["Static site hosting", "Backup vault", "Website hosting"]
    assert result.results[0].unit_price == Decimal("0.050000")
    result = search({"lot": str(corpus["lot"].pk), "sort": "-price"})
    assert [hit.title for hit in result.results][0] == "Cold storage archive"


def test_relevance_ties_follow_the_stable_hash_not_insertion_order(corpus):
    first = [hit.listing_id for hit in search({}).results]
    second = [hit.listing_id for hit in search({}).results]
    assert first == second
    from catalog.search.index import tie_hash_of

    assert first == sorted(first, key=tie_hash_of)


def test_pagination(corpus):
    page1 = search({"sort": "price"}, page=1, page_size=4)
    page2 = search({"sort": "price"}, page=2, page_size=4)
    assert page1.count == page2.count == 6
    assert len(page1.results) == 4 and len(page2.results) == 2
    assert not {h.listing_id for h in page1.results} & {h.listing_id for h in page2.results}


def test_search_hits_all_and_describe_query(corpus):
    count, hits = search_hits_all(query={"q": "backup"}, limit=2)
    assert count == 3 and len(hits) == 2
    text = describe_query({"q": "backup", "lot": str(corpus["lot"].pk), "data_location": "peru",
                           "price_max": "0.20", "in_stock": "true"})
    assert text == (f"Keywords “backup” in {corpus['lot'].framework.title}, lot 1; Data location: Peru; "
                    "max price 0.20 per unit; in stock only")


def test_bad_filter_values_are_validation_errors(corpus):
    from common.errors import ValidationFailed

    for query in ({"price_max": "cheap"}, {"lot": "x"}, {"sort": "random"}, {"in_stock": "maybe"}):
        with pytest.raises(ValidationFailed):
            search(query)


@pytest.mark.parametrize("query", [{"lot": "²"}, {"framework": str(10**30)}, {"supplier": "9" * 5000},
                                   {"category": "abc"}])
def test_api_answers_a_malformed_id_with_a_400_never_a_500(corpus, api_client, query):
    response = api_client.get("/api/v1/listings/", query)

    key = next(iter(query))
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {key: ["Give a number (an id)."]}


@pytest.mark.parametrize("query", [{"category": "999"}, {"framework": "999"}, {"data_location": "mars"}])
def test_api_finds_nothing_for_an_id_or_answer_that_names_nothing(corpus, api_client, query):
    body = api_client.get("/api/v1/listings/", query).json()

    assert (body["count"], body["results"]) == (0, [])
