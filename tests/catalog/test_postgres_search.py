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
