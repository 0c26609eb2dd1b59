"""PostgreSQL-only search structures, kept current by the database itself.

- ``search_vector``: a generated, weighted tsvector (title A, summary B, body C, tags D), GIN-indexed.
- ``facet_array``: a generated ``int[]`` copy of ``facet_ids``, GIN-indexed, for filters and facet counts.
- pg_trgm trigram indexes on the vocabulary and on titles, for typo tolerance.

On SQLite this migration does nothing: the portable backend reads ``document`` and ``facet_ids``.
"""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    """
    CREATE OR REPLACE FUNCTION catalog_int_array(jsonb) RETURNS int[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
    $$ SELECT coalesce(array_agg(x::int), '{}'::int[]) FROM jsonb_array_elements_text($1) AS x $$
    """,
    """
    ALTER TABLE catalog_searchentry ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple'::regconfig, coalesce(title, '')), 'A') ||
        setweight(to_tsvector('simple'::regconfig, coalesce(summary, '')), 'B') ||
        setweight(to_tsvector('simple'::regconfig, coalesce(body, '')), 'C') ||
        setweight(to_tsvector('simple'::regconfig, coalesce(tags, '')), 'D')
    ) STORED
    """,
    "ALTER TABLE catalog_searchentry ADD COLUMN facet_array int[] "
    "GENERATED ALWAYS AS (catalog_int_array(facet_ids)) STORED",
    "CREATE INDEX catalog_searchentry_vector_gin ON catalog_searchentry USING gin (search_vector)",
    "CREATE INDEX catalog_searchentry_facets_gin ON catalog_searchentry USING gin (facet_array)",
    "CREATE INDEX catalog_searchentry_title_trgm ON catalog_searchentry USING gin (title gin_trgm_ops)",
    "CREATE INDEX catalog_searchterm_word_trgm ON catalog_searchterm USING gin (word gin_trgm_ops)",
]

BACKWARD = [
    "DROP INDEX IF EXISTS catalog_searchterm_word_trgm",
    "DROP INDEX IF EXISTS catalog_searchentry_title_trgm",
    "DROP INDEX IF EXISTS catalog_searchentry_facets_gin",
    "DROP INDEX IF EXISTS catalog_searchentry_vector_gin",
    "ALTER TABLE catalog_searchentry DROP COLUMN IF EXISTS facet_array",
    "ALTER TABLE catalog_searchentry DROP COLUMN IF EXISTS search_vector",
    "DROP FUNCTION IF EXISTS catalog_int_array(jsonb)",
]


def _run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_search_entry")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
