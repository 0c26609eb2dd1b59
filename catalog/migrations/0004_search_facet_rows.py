"""PostgreSQL only: a narrow copy of each search entry's searchable and filter columns, kept by triggers.

Counting facets reads ``facet_array`` of every row that matches; ranking reads ``search_vector``
of every row that matches. Reading them from the wide search entries (texts, JSON, tsvector:
~1.7 kB a row) costs about twice the pages of this copy (~0.9 kB). The database keeps it current:
AFTER INSERT/UPDATE/DELETE/TRUNCATE triggers on ``catalog_searchentry``. No foreign key, so that
Django's TRUNCATE-based test flush keeps working. Django never reads or writes it directly.
"""

from django.db import migrations

COLUMNS = "framework_id, supplier_id, unit_price, in_stock, published_at, tie_hash, facet_array, search_vector"

FORWARD = [
    """
    CREATE TABLE catalog_searchfacets (
        entry_id bigint PRIMARY KEY,
        framework_id bigint NOT NULL,
        supplier_id bigint NOT NULL,
        unit_price numeric(18, 6) NOT NULL,
        in_stock boolean NOT NULL,
        published_at timestamptz NOT NULL,
        tie_hash bigint NOT NULL,
        facet_array int[] NOT NULL,
        search_vector tsvector NOT NULL
    )
    """,
    f"""
    CREATE OR REPLACE FUNCTION catalog_searchfacets_sync() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO catalog_searchfacets (entry_id, {COLUMNS})
        VALUES (NEW.id, NEW.framework_id, NEW.supplier_id, NEW.unit_price, NEW.in_stock, NEW.published_at,
                NEW.tie_hash, NEW.facet_array, NEW.search_vector)
        ON CONFLICT (entry_id) DO UPDATE SET
            framework_id = EXCLUDED.framework_id, supplier_id = EXCLUDED.supplier_id,
            unit_price = EXCLUDED.unit_price, in_stock = EXCLUDED.in_stock, published_at = EXCLUDED.published_at,
            tie_hash = EXCLUDED.tie_hash, facet_array = EXCLUDED.facet_array, search_vector = EXCLUDED.search_vector;
        RETURN NEW;
    END $$
    """,
    "CREATE TRIGGER catalog_searchfacets_sync AFTER INSERT OR UPDATE ON catalog_searchentry "
    "FOR EACH ROW EXECUTE FUNCTION catalog_searchfacets_sync()",
    """
    CREATE OR REPLACE FUNCTION catalog_searchfacets_delete() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM catalog_searchfacets WHERE entry_id = OLD.id;
        RETURN OLD;
    END $$
    """,
    "CREATE TRIGGER catalog_searchfacets_delete AFTER DELETE ON catalog_searchentry "
    "FOR EACH ROW EXECUTE FUNCTION catalog_searchfacets_delete()",
    """
    CREATE OR REPLACE FUNCTION catalog_searchfacets_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        TRUNCATE catalog_searchfacets;
        RETURN NULL;
    END $$
    """,
    "CREATE TRIGGER catalog_searchfacets_truncate AFTER TRUNCATE ON catalog_searchentry "
    "FOR EACH STATEMENT EXECUTE FUNCTION catalog_searchfacets_truncate()",
    f"INSERT INTO catalog_searchfacets (entry_id, {COLUMNS}) SELECT id, {COLUMNS} FROM catalog_searchentry",
    "CREATE INDEX catalog_searchfacets_gin ON catalog_searchfacets USING gin (facet_array)",
    "CREATE INDEX catalog_searchfacets_vector ON catalog_searchfacets USING gin (search_vector)",
    "CREATE INDEX catalog_searchfacets_framework ON catalog_searchfacets (framework_id, tie_hash)",
    "CREATE INDEX catalog_searchfacets_price ON catalog_searchfacets (unit_price)",
    "CREATE INDEX catalog_searchfacets_newest ON catalog_searchfacets (published_at DESC)",
    "ANALYZE catalog_searchfacets",
]

BACKWARD = [
    "DROP TRIGGER IF EXISTS catalog_searchfacets_sync ON catalog_searchentry",
    "DROP TRIGGER IF EXISTS catalog_searchfacets_delete ON catalog_searchentry",
    "DROP TRIGGER IF EXISTS catalog_searchfacets_truncate ON catalog_searchentry",
    "DROP FUNCTION IF EXISTS catalog_searchfacets_sync()",
    "DROP FUNCTION IF EXISTS catalog_searchfacets_delete()",
    "DROP FUNCTION IF EXISTS catalog_searchfacets_truncate()",
    "DROP TABLE IF EXISTS catalog_searchfacets",
]


def _run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("catalog", "0003_search_postgres")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
