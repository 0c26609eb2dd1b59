"""Catalog search: one service, a PostgreSQL backend and a portable backend."""

from catalog.search.service import describe_query, search_hits_all, search_listings
from catalog.search.types import SearchHit, SearchResult

__all__ = ["SearchHit", "SearchResult", "describe_query", "search_hits_all", "search_listings"]
