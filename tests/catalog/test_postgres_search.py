import pytest
from django.db import connection

from catalog.models import SearchEntry
from catalog.selectors import search_listings
from tests.conftest import requires_postgres

pytestmark = [pytest.mark.django_db, requires_postgres]


def test_the_database_keeps_the_weighted_tsvector_current(corpus):
    entry = SearchEntry.objects.get(title="Backup vault")
    SearchEntry.objects.filter(pk=entry.pk).update(title="Zanzibar vault")
    with connection.cursor() as cursor:
        cursor.execute("SELECT search_vector::text FROM catalog_searchentry WHERE id = %s", [entry.pk])
        vector = cursor.fetchone()[0]
    assert "'zanzibar':1A" in vector
    assert "'nightly':3B" in vector
    assert [hit.title for hit in search_listings(user=None, query={"q": "zanzibar"}).results] == ["Zanzibar vault"]


def test_search_indexes_exist(corpus):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename IN ('catalog_searchentry', 'catalog_searchterm')")
        names = {row[0] for row in cursor.fetchall()}
    assert {"catalog_searchentry_vector_gin", "catalog_searchentry_facets_gin", "catalog_searchentry_title_trgm",
            "catalog_searchterm_word_trgm"} <= names


def test_weighted_rank_puts_title_above_summary_above_description(corpus):
    result = search_listings(user=None, query={"q": "backup"})
    assert [hit.title for hit in result.results] == ["Backup vault", "Secure chat", "Cold storage archive"]
    assert result.results[0].rank > result.results[1].rank > result.results[2].rank


@pytest.mark.parametrize("query", [
    {}, {"data_location": ["peru", "usa"]}, {"data_location": "peru", "free_trial": "true"},
    {"in_stock": "true", "lot": "LOT"}, {"category": "STORE", "data_location": "eu"},
])
def test_bitmap_facets_equal_scanned_facets_before_and_after_a_rebuild(corpus, query):
    from catalog.bulk import rebuild_facet_bitmaps
    from catalog.search import service
    from catalog.search.postgres import _bitmap_counts, _common, _facets

    query = {k: (str(corpus["lot"].pk) if v == "LOT" else str(corpus["store"].pk) if v == "STORE" else v)
             for k, v in query.items()}
    parsed, _suggestion = service._prepare(query)
    selected, owner_of, _dictionary = service._selection(parsed)
    keys = list(selected)
    match_sql = ["(facet_array && %s::int[])" for _ in keys]
    match_params = [sorted(selected[key]) for key in keys]
    where, params = _common(parsed)
    with connection.cursor() as cursor:
        scanned = _facets(cursor, where, params, keys, match_sql, match_params, owner_of)
        from_bitmaps = _bitmap_counts(cursor, parsed, keys, match_params, owner_of)[:2]
        rebuild_facet_bitmaps()
        rebuilt = _bitmap_counts(cursor, parsed, keys, match_params, owner_of)[:2]
    assert scanned == from_bitmaps == rebuilt
    assert scanned[0] == search_listings(user=None, query=query).count


@pytest.mark.parametrize("query", [
    {"q": "backup"}, {"q": "backup", "data_location": ["peru", "eu"]}, {"q": "backup OR website", "lot": "LOT"},
    {"q": "hosting", "data_location": "peru", "free_trial": "false"}, {"q": "backup -chat", "sort": "price"},
    {"q": "email OR website", "sort": "-price", "price_max": "1"}, {"q": "website", "sort": "newest"},
    {"q": "zeppelin"}, {"q": "backup", "in_stock": "true"}, {"q": "backup", "category": "STORE"},
    {"data_location": "peru"}, {"data_location": ["peru", "usa"], "price_max": "0.15"}, {"price_max": "0.1"},
    {"lot": "LOT", "free_trial": "true", "framework": "FRAMEWORK"}, {"framework": "FRAMEWORK", "data_location": "eu"},
    {"framework": "FRAMEWORK", "price_max": "0.12"}, {"framework": "FRAMEWORK"},
])
@pytest.mark.parametrize("offset,limit", [(0, 20), (0, 2), (1, 2), (3, 20), (10, 5)])
def test_page_total_and_facets_with_facets_equal_the_separate_queries(corpus, query, offset, limit):
    """Keyword searches with facets run as one statement; filter searches pick how to find their page
    from the bitmap counts. Both give what the page query, COUNT and the scanning ``_facets`` give."""
    from catalog.search import postgres, service

    framework = corpus["lot"].framework_id
    query = {k: (str(corpus["lot"].pk) if v == "LOT" else str(corpus["store"].pk) if v == "STORE"
                 else str(framework) if v == "FRAMEWORK" else v) for k, v in query.items()}
    parsed, _suggestion = service._prepare(query)
    selected, owner_of, _dictionary = service._selection(parsed)
    combined = postgres.run(parsed, selected=selected, owner_of=owner_of, offset=offset, limit=limit,
                            with_facets=True)
    separate = postgres.run(parsed, selected=selected, owner_of=owner_of, offset=offset, limit=limit,
                            with_facets=False)
    keys = list(selected)
    where, params = postgres._common(parsed)
    with connection.cursor() as cursor:
        total, counts = postgres._facets(cursor, where, params, keys, ["(facet_array && %s::int[])" for _ in keys],
                                         [sorted(selected[key]) for key in keys], owner_of)
    assert combined.entry_ranks == separate.entry_ranks
    assert combined.count == separate.count == total
    assert combined.facet_counts == counts


def test_a_filter_search_walks_the_hash_index_only_when_its_matches_are_dense(corpus, monkeypatch):
    from catalog.search import postgres

    framework = str(corpus["lot"].framework_id)
    orders = []
    real_execute = connection.cursor().__class__.execute

    def spy(self, sql, params=None):
        if sql.startswith("SELECT entry_id"):
            orders.append(sql.split(" ORDER BY ")[1].split(" LIMIT")[0])
        return real_execute(self, sql, params)

    monkeypatch.setattr(connection.cursor().__class__, "execute", spy)
    dense = search_listings(user=None, query={"framework": framework, "data_location": "peru"})
    monkeypatch.setattr(postgres, "WALK_MAX_ROWS", 1)
    sparse = search_listings(user=None, query={"framework": framework, "data_location": "peru"})
    assert orders == ["tie_hash ASC", "tie_hash + 0 ASC"]
    assert [hit.listing_id for hit in dense.results] == [hit.listing_id for hit in sparse.results]
    assert dense.count == sparse.count == 3
