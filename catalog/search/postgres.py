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


# Without keywords and with filters, the first page is found either by walking the
# (framework, tie_hash) index and skipping the rows that fail the filters, or by collecting every
# match and sorting. Walking wins while it reads few rows: about (offset + limit) / density of them.
WALK_MAX_ROWS = 4000


def _rank_sql(query: SearchQuery) -> tuple[str, list]:
    if query.text.is_empty:
        return "0::float4", []
    return "ts_rank(search_vector, to_tsquery('simple'::regconfig, %s))", [tsquery_text(query.text)]


def _limit_sql(offset: int, limit: int | None) -> tuple[str, list]:
    sql, params = "", []
    if limit is not None:
        sql += " LIMIT %s"
        params.append(limit)
    if offset:
        sql += " OFFSET %s"
        params.append(offset)
    return sql, params


def run(query: SearchQuery, *, selected: dict[str, set[int]], owner_of: dict[int, str], offset: int,
        limit: int | None, with_facets: bool) -> BackendPage:
    where, params = _common(query)
    keys = list(selected)
    match_sql = ["(facet_array && %s::int[])" for _ in keys]
    match_params = [sorted(selected[key]) for key in keys]
    if with_facets and not query.text.is_empty:
        return _run_text_with_facets(query, keys, match_params, owner_of, where, params, offset, limit)

    rank_sql, rank_params = _rank_sql(query)
    page_where = where + match_sql
    sort_key = "relevance-no-text" if query.sort == "relevance" and query.text.is_empty else query.sort
    order = ORDER[sort_key]
    filtered = bool(keys or query.price_max is not None or query.suppliers)
    if sort_key == "relevance-no-text" and filtered:
        # Selective filters: sort the (index-found) matches rather than walk the hash index hoping to meet 20.
        order = "tie_hash + 0 ASC"
    with connection.cursor() as cursor:
        facet_counts = count = None
        if with_facets:
            walkable = sort_key == "relevance-no-text" and filtered and len(query.frameworks) == 1
            count, facet_counts, universe = _bitmap_counts(cursor, query, keys, match_params, owner_of, where=where,
                                                           where_params=params, with_universe=walkable)
            if walkable and limit is not None and count and universe \
                    and (offset + limit) * universe <= WALK_MAX_ROWS * count:
                # Dense matches (known exactly from the bitmaps): the index walk meets a page quickly.
                order = ORDER["relevance-no-text"]
        if count == 0 or (count is not None and offset >= count):
            entry_ranks = []
        else:
            limit_sql, limit_params = _limit_sql(offset, limit)
            cursor.execute(f"SELECT entry_id, {rank_sql} AS rank FROM {TABLE}"
                           + (" WHERE " + " AND ".join(page_where) if page_where else "")
                           + f" ORDER BY {order}" + limit_sql, rank_params + params + match_params + limit_params)
            entry_ranks = [(row[0], float(row[1])) for row in cursor.fetchall()]
        if not with_facets:
            cursor.execute(f"SELECT count(*) FROM {TABLE}" + (" WHERE " + " AND ".join(page_where) if page_where else ""),
                           params + match_params)
            count = cursor.fetchone()[0]
    return BackendPage(count=count, entry_ranks=entry_ranks, facet_counts=facet_counts)


def _run_text_with_facets(query: SearchQuery, keys, match_params, owner_of, where, params, offset,
                          limit) -> BackendPage:
    """Keywords with facets in one statement that reads the matching rows once.

    ``h`` holds every keyword match (with its rank, sort columns and one flag per filtered
    question); the facet bitmaps take their scope from it and the page is sorted from it.
    """
    rank_sql, rank_params = _rank_sql(query)
    order = ORDER[query.sort]
    flags = [f"(facet_array && %s::int[]) AS f{index}" for index in range(len(keys))]
    rows_sql = (f"SELECT entry_id, {rank_sql} AS rank, tie_hash, unit_price, published_at"
                + "".join(", " + flag for flag in flags)
                + f" FROM {TABLE} WHERE {' AND '.join(where)}")
    rows_params = rank_params + list(match_params) + list(params)
    ctes, cte_params, facet_sql, facet_params = _bitmap_sql(
        query, keys, match_params, owner_of, scope_ids_sql="SELECT entry_id FROM h ORDER BY entry_id", scope_params=[])
    limit_sql, limit_params = _limit_sql(offset, limit)
    page_where = " AND ".join(f"f{index}" for index in range(len(keys))) or "true"
    sql = (
        f"WITH h AS MATERIALIZED ({rows_sql}), {ctes}, "
        f"p AS (SELECT entry_id, rank, tie_hash, unit_price, published_at FROM h WHERE {page_where} "
        f"ORDER BY {order}{limit_sql}) "
        f"SELECT -1, bit_count(c.every), (SELECT array_agg(entry_id ORDER BY {order}) FROM p), "
        f"(SELECT array_agg(rank ORDER BY {order}) FROM p) FROM c "
        f"UNION ALL SELECT value_id, count, NULL::bigint[], NULL::real[] FROM ({facet_sql}) AS f"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, rows_params + cte_params + limit_params + facet_params)
        rows = cursor.fetchall()
    total, counts, entry_ranks = 0, {}, []
    for value_id, count, ids, ranks in rows:
        if value_id == -1:
            total = count or 0
            entry_ranks = [(pk, float(rank)) for pk, rank in zip(ids or [], ranks or [], strict=True)]
        elif count:
            counts[value_id] = count
    return BackendPage(count=total, entry_ranks=entry_ranks, facet_counts=counts)


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


def _bitmap_sql(query: SearchQuery, keys, match_params, owner_of, *, scope_ids_sql: str | None, scope_params):
    """The CTEs ``m`` and ``c`` (the filter bitmaps) and a SELECT of ``(value_id, count)`` per facet value.

    ``scope_ids_sql`` selects the ids (ascending) of the rows matching keywords, supplier or price
    limits; ``None`` when there are none (the scope is then the framework bitmaps).
    """
    parts, params = [], []
    for index, ids in enumerate(match_params):
        parts.append(f"(SELECT bit_or(bits) FROM {BITMAPS} WHERE value_id = ANY(%s::bigint[])) AS k{index}")
        params.append(list(ids))
    if scope_ids_sql is not None:
        parts.append(f"catalog_bitmap_of(ARRAY({scope_ids_sql}), "
                     f"(SELECT length(bits) FROM {BITMAPS} WHERE value_id = 0)) AS scope")
        params.extend(scope_params)
    else:
        scope = [-(framework + 1) for framework in query.frameworks] or [0]
        parts.append(f"(SELECT bit_or(bits) FROM {BITMAPS} WHERE value_id = ANY(%s::bigint[])) AS scope")
        params.append(scope)
    common = "scope"
    if query.in_stock and scope_ids_sql is None:
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
    ctes = (
        # MATERIALIZED: ``every`` and each ``ex`` read ``scope``; inlined, its subquery (the rows
        # matching keywords or a price limit) would run once per expression.
        f"m AS MATERIALIZED (SELECT {', '.join(parts)}), "
        f"c AS (SELECT {every} AS every"
        + "".join(f", {expression} AS ex{index}" for index, expression in enumerate(excepts))
        + " FROM m)"
    )
    facet_sql = f"SELECT b.value_id, bit_count(b.bits & {mask}) AS count FROM {BITMAPS} b, c WHERE b.value_id > 0"
    return ctes, params, facet_sql, case_params


def _bitmap_counts(cursor, query: SearchQuery, keys, match_params, owner_of, *, where=(), where_params=(),
                   with_universe=False):
    """The total, the count of every facet value, and (``with_universe``) the entries of the frameworks."""
    needs_rows = not query.text.is_empty or query.suppliers or query.price_max is not None
    ctes, params, facet_sql, case_params = _bitmap_sql(
        query, keys, match_params, owner_of,
        scope_ids_sql=f"SELECT entry_id FROM {TABLE} WHERE {' AND '.join(where)} ORDER BY entry_id" if needs_rows else None,
        scope_params=list(where_params))
    universe_sql, universe_params = "", []
    if with_universe and query.frameworks:
        universe_sql = (f"SELECT -2, (SELECT bit_count(bit_or(bits)) FROM {BITMAPS} "
                        "WHERE value_id = ANY(%s::bigint[])) UNION ALL ")
        universe_params = [[-(framework + 1) for framework in query.frameworks]]
    cursor.execute(f"WITH {ctes} {universe_sql}SELECT -1, bit_count(c.every) FROM c UNION ALL {facet_sql}",
                   params + universe_params + case_params)
    total, counts, universe = 0, {}, None
    for value_id, count in cursor.fetchall():
        if value_id == -1:
            total = count or 0
        elif value_id == -2:
            universe = count
        elif count:
            counts[value_id] = count
    return total, counts, universe


def suggest(word: str) -> str | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT word FROM catalog_searchterm WHERE word %% %s ORDER BY similarity(word, %s) DESC, word LIMIT 1",
            [word, word],
        )
        row = cursor.fetchone()
    return row[0] if row else None
