"""The PostgreSQL backend.

- Matching and ranking: the weighted tsvector (title A, summary B, body C, tags D) of a narrow,
  trigger-maintained copy of the search entries (migration 0004), GIN-indexed; ``ts_rank``.
- Facets and the total: per-value bitmaps kept by triggers (migration 0005). Questions are OR-ed
  within and AND-ed across with bit operations; each value's count is one ``bit_count`` of its
  bitmap AND the filters of every *other* question. Keywords, supplier and price limits become a
  bitmap of the matching rows first (migration 0006).
- ``_facets`` (one-scan unnest and GROUP BY) gives the same counts without bitmaps; the tests use
  it as the reference for the bitmap path.
"""

from __future__ import annotations

from django.db import connection

from catalog.search.query import Phrase, SearchQuery, TextQuery
from catalog.search.types import BackendPage

# A narrow, trigger-maintained copy of catalog_searchentry (see migration 0004).
TABLE = "catalog_searchfacets"
BITMAPS = "catalog_facetbitmap"


def _phrase_sql(phrase: Phrase) -> str:
    # Words only contain letters and digits (see query.WORD_RE), so quoting is enough.
    return "(" + " <-> ".join(f"'{word}'" for word in phrase.words) + ")"


def tsquery_text(text: TextQuery) -> str:
    parts = ["(" + " | ".join(_phrase_sql(p) for p in clause) + ")" for clause in text.clauses]
    parts += ["!" + _phrase_sql(p) for p in text.excluded]
    return " & ".join(parts)


def _common(query: SearchQuery) -> tuple[list[str], list]:
    where, params = [], []
    if not query.text.is_empty:
        where.append("search_vector @@ to_tsquery('simple'::regconfig, %s)")
        params.append(tsquery_text(query.text))
    # One value as "=" (not "= ANY"), so the planner can walk the (framework_id, tie_hash) index in order.
    for column, values in (("framework_id", query.frameworks), ("supplier_id", query.suppliers)):
        if len(values) == 1:
            where.append(f"{column} = %s")
            params.append(values[0])
        elif values:
            where.append(f"{column} = ANY(%s)")
            params.append(list(values))
    if query.price_max is not None:
        where.append("unit_price <= %s")
        params.append(query.price_max)
    if query.in_stock:
        where.append("in_stock")
    return where, params


ORDER = {
    "price": "unit_price ASC, tie_hash ASC",
    "-price": "unit_price DESC, tie_hash ASC",
    "newest": "published_at DESC, tie_hash ASC",
    "relevance": "rank DESC, tie_hash ASC",
    # Without keywords every rank is 0: order by the hash alone so the (framework, tie_hash) index serves it.
    "relevance-no-text": "tie_hash ASC",
}


def run(query: SearchQuery, *, selected: dict[str, set[int]], owner_of: dict[int, str], offset: int,
        limit: int | None, with_facets: bool) -> BackendPage:
    where, params = _common(query)
    keys = list(selected)
    match_sql = ["(facet_array && %s::int[])" for _ in keys]
    match_params = [sorted(selected[key]) for key in keys]

    if query.text.is_empty:
        rank_sql, rank_params = "0::float4", []
    else:
        rank_sql, rank_params = "ts_rank(search_vector, to_tsquery('simple'::regconfig, %s))", [tsquery_text(query.text)]
    page_where = where + match_sql
    sort_key = "relevance-no-text" if query.sort == "relevance" and query.text.is_empty else query.sort
    order = ORDER[sort_key]
    if sort_key == "relevance-no-text" and (keys or query.price_max is not None or query.suppliers):
        # Selective filters: sort the (index-found) matches rather than walk the hash index hoping to meet 20.
        order = "tie_hash + 0 ASC"
    sql = (f"SELECT entry_id, {rank_sql} AS rank FROM {TABLE}"
           + (" WHERE " + " AND ".join(page_where) if page_where else "")
           + f" ORDER BY {order}")
    page_params = rank_params + params + match_params
    if limit is not None:
        sql += " LIMIT %s"
        page_params.append(limit)
    if offset:
        sql += " OFFSET %s"
        page_params.append(offset)

    with connection.cursor() as cursor:
        cursor.execute(sql, page_params)
        entry_ranks = [(row[0], float(row[1])) for row in cursor.fetchall()]
        facet_counts = None
        if with_facets:
            count, facet_counts = _facets_from_bitmaps(cursor, query, keys, match_params, owner_of,
                                                       where=where, where_params=params)
        else:
            cursor.execute(f"SELECT count(*) FROM {TABLE}" + (" WHERE " + " AND ".join(page_where) if page_where else ""),
                           params + match_params)
            count = cursor.fetchone()[0]
    return BackendPage(count=count, entry_ranks=entry_ranks, facet_counts=facet_counts)


def _facets(cursor, where, params, keys, match_sql, match_params, owner_of):
    """Total and every facet count in one scan of the narrow table.

    Each row gets ``fail``: a bit per filtered question it does not pass. A row with ``fail = 0``
    counts for every value it has; a row failing exactly one question counts only for that
    question's values — looked up in O(1) from an array indexed by facet value id. The synthetic
    value -1 (appended to every row) counts the rows that pass everything: the total.
    """
    bits = {key: 1 << index for index, key in enumerate(keys)}
    fail_sql = " + ".join(f"(CASE WHEN {sql} THEN 0 ELSE {bits[key]} END)"
                          for sql, key in zip(match_sql, keys, strict=True)) or "0"
    base_where = list(where)
    base_params = list(params)
    if len(keys) > 1:
        # At most one question may fail: prune rows failing two or more before unnesting.
        base_where.append("(" + " + ".join(f"({sql})::int" for sql in match_sql) + f") >= {len(keys) - 1}")
        base_params += list(match_params)
    max_id = max(owner_of, default=0)
    owner_bits = [0] * (max_id + 1)
    for value_id, owner in owner_of.items():
        owner_bits[value_id] = bits.get(owner, 0)
    sql = (
        f"SELECT v, count(*) FILTER (WHERE b.fail = 0 OR b.fail = (%s::int[])[v + 1]) "
        f"FROM (SELECT facet_array, {fail_sql} AS fail FROM {TABLE}"
        + (" WHERE " + " AND ".join(base_where) if base_where else "")
        + " OFFSET 0) AS b, unnest(b.facet_array || -1) AS v GROUP BY v"
    )
    cursor.execute(sql, [owner_bits] + list(match_params) + base_params)
    total = 0
    counts = {}
    for value_id, count in cursor.fetchall():
        if value_id == -1:
            total = count
        elif count:
            counts[value_id] = count
    return total, counts


def _facets_from_bitmaps(cursor, query: SearchQuery, keys, match_params, owner_of, *, where=(), where_params=()):
    """AND/OR the per-value bitmaps (migration 0005), then one ``bit_count`` per value.

    Keywords, supplier and price limits have no bitmaps: the ids of the rows matching them are
    turned into one (``catalog_bitmap_of``), so the facet filters are still pure bit operations.
    """
    parts, params = [], []
    needs_rows = not query.text.is_empty or query.suppliers or query.price_max is not None
    for index, ids in enumerate(match_params):
        parts.append(f"(SELECT bit_or(bits) FROM {BITMAPS} WHERE value_id = ANY(%s::bigint[])) AS k{index}")
        params.append(list(ids))
    if needs_rows:
        parts.append(f"catalog_bitmap_of(ARRAY(SELECT entry_id FROM {TABLE} WHERE {' AND '.join(where)} "
                     "ORDER BY entry_id), "
                     f"(SELECT length(bits) FROM {BITMAPS} WHERE value_id = 0)) AS scope")
        params.extend(where_params)
    else:
        scope = [-(framework + 1) for framework in query.frameworks] or [0]
        parts.append(f"(SELECT bit_or(bits) FROM {BITMAPS} WHERE value_id = ANY(%s::bigint[])) AS scope")
        params.append(scope)
    common = "scope"
    if query.in_stock and not needs_rows:
        parts.append(f"(SELECT bits FROM {BITMAPS} WHERE value_id = -1) AS stock")
        common = "scope & stock"
    flags = [f"k{index}" for index in range(len(keys))]
    every = " & ".join([common] + flags)
    excepts = [" & ".join([common] + [f for j, f in enumerate(flags) if j != index]) for index in range(len(keys))]
    cases, case_params = [], []
    for index, key in enumerate(keys):
        cases.append(f"WHEN b.value_id = ANY(%s::bigint[]) THEN c.ex{index}")
        case_params.append(sorted(pk for pk, owner in owner_of.items() if owner == key))
    mask = f"CASE {' '.join(cases)} ELSE c.every END" if cases else "c.every"
    sql = (
        f"WITH m AS (SELECT {', '.join(parts)}), "
        f"c AS (SELECT {every} AS every"
        + "".join(f", {expression} AS ex{index}" for index, expression in enumerate(excepts))
        + " FROM m) "
        f"SELECT -1, bit_count(c.every) FROM c UNION ALL "
        f"SELECT b.value_id, bit_count(b.bits & {mask}) FROM {BITMAPS} b, c WHERE b.value_id > 0"
    )
    cursor.execute(sql, params + case_params)
    total, counts = 0, {}
    for value_id, count in cursor.fetchall():
        if value_id == -1:
            total = count or 0
        elif count:
            counts[value_id] = count
    return total, counts


def suggest(word: str) -> str | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT word FROM catalog_searchterm WHERE word %% %s ORDER BY similarity(word, %s) DESC, word LIMIT 1",
            [word, word],
        )
        row = cursor.fetchone()
    return row[0] if row else None
