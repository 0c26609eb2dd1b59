"""PostgreSQL only: one bitmap per facet value, kept current by the database, for filter-only searches.

Bit ``i`` of value ``v``'s bitmap is set when the search entry with id ``i`` has that value.
Counting a facet under filters is then ``bit_count(bits & filters)``: microseconds per value,
whatever the number of matching listings. Pseudo values: 0 = every entry, -1 = in stock,
-(framework id + 1) = the framework. All bitmaps share one capacity (a multiple of 65,536 bits).

A row trigger on ``catalog_searchentry`` sets and clears bits, serialized by an advisory lock
(publishing is rare; searches never take the lock). Bulk loads set ``catalog.bulk = 'on'`` to skip
the trigger and call ``catalog_rebuild_facet_bitmaps()`` once at the end.
"""

from django.db import migrations

LOCK = 7310042
CHUNK = 65536

FORWARD = [
    "CREATE TABLE catalog_facetbitmap (value_id bigint PRIMARY KEY, bits varbit NOT NULL)",
    "ALTER TABLE catalog_facetbitmap ALTER COLUMN bits SET STORAGE EXTERNAL",
    f"""
    CREATE OR REPLACE FUNCTION catalog_entry_values(facets int[], framework bigint, in_stock boolean)
    RETURNS int[] LANGUAGE sql IMMUTABLE AS
    $$ SELECT facets || ARRAY[-(framework::int + 1), 0] || CASE WHEN in_stock THEN ARRAY[-1] ELSE '{{}}'::int[] END $$
    """,
    f"""
    CREATE OR REPLACE FUNCTION catalog_facetbitmap_sync() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        capacity int;
        value int;
    BEGIN
        IF current_setting('catalog.bulk', true) = 'on' THEN
            RETURN NULL;
        END IF;
        PERFORM pg_advisory_xact_lock({LOCK});
        IF TG_OP IN ('DELETE', 'UPDATE') THEN
            FOREACH value IN ARRAY catalog_entry_values(OLD.facet_array, OLD.framework_id, OLD.in_stock) LOOP
                UPDATE catalog_facetbitmap SET bits = set_bit(bits, OLD.id::int, 0)
                WHERE value_id = value AND length(bits) > OLD.id;
            END LOOP;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            SELECT length(bits) INTO capacity FROM catalog_facetbitmap LIMIT 1;
            capacity := coalesce(capacity, 0);
            IF NEW.id >= capacity THEN
                capacity := ((NEW.id / {CHUNK}) + 1) * {CHUNK};
                UPDATE catalog_facetbitmap SET bits = bits || repeat('0', capacity - length(bits))::varbit;
            END IF;
            FOREACH value IN ARRAY catalog_entry_values(NEW.facet_array, NEW.framework_id, NEW.in_stock) LOOP
                INSERT INTO catalog_facetbitmap (value_id, bits)
                VALUES (value, set_bit(repeat('0', capacity)::varbit, NEW.id::int, 1))
                ON CONFLICT (value_id) DO UPDATE SET bits = set_bit(catalog_facetbitmap.bits, NEW.id::int, 1);
            END LOOP;
        END IF;
        RETURN NULL;
    END $$
    """,
    "CREATE TRIGGER catalog_facetbitmap_sync AFTER INSERT OR UPDATE OR DELETE ON catalog_searchentry "
    "FOR EACH ROW EXECUTE FUNCTION catalog_facetbitmap_sync()",
    """
    CREATE OR REPLACE FUNCTION catalog_facetbitmap_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        TRUNCATE catalog_facetbitmap;
        RETURN NULL;
    END $$
    """,
    "CREATE TRIGGER catalog_facetbitmap_truncate AFTER TRUNCATE ON catalog_searchentry "
    "FOR EACH STATEMENT EXECUTE FUNCTION catalog_facetbitmap_truncate()",
    f"""
    CREATE OR REPLACE FUNCTION catalog_rebuild_facet_bitmaps() RETURNS void LANGUAGE plpgsql AS $$
    DECLARE
        capacity int;
        current_value int := NULL;
        flags text[];
        posting record;
    BEGIN
        PERFORM pg_advisory_xact_lock({LOCK});
        SELECT ((coalesce(max(id), 0) / {CHUNK}) + 1) * {CHUNK} INTO capacity FROM catalog_searchentry;
        DELETE FROM catalog_facetbitmap;
        FOR posting IN
            SELECT v, e.id FROM catalog_searchentry e,
                   unnest(catalog_entry_values(e.facet_array, e.framework_id, e.in_stock)) AS v
            ORDER BY v, e.id
        LOOP
            IF current_value IS DISTINCT FROM posting.v THEN
                IF current_value IS NOT NULL THEN
                    INSERT INTO catalog_facetbitmap VALUES (current_value, array_to_string(flags, '')::varbit);
                END IF;
                current_value := posting.v;
                flags := array_fill('0'::text, ARRAY[capacity]);
            END IF;
            flags[posting.id + 1] := '1';
        END LOOP;
        IF current_value IS NOT NULL THEN
            INSERT INTO catalog_facetbitmap VALUES (current_value, array_to_string(flags, '')::varbit);
        END IF;
    END $$
    """,
    "SELECT catalog_rebuild_facet_bitmaps()",
]

BACKWARD = [
    "DROP TRIGGER IF EXISTS catalog_facetbitmap_sync ON catalog_searchentry",
    "DROP TRIGGER IF EXISTS catalog_facetbitmap_truncate ON catalog_searchentry",
    "DROP FUNCTION IF EXISTS catalog_facetbitmap_sync()",
    "DROP FUNCTION IF EXISTS catalog_facetbitmap_truncate()",
    "DROP FUNCTION IF EXISTS catalog_rebuild_facet_bitmaps()",
    "DROP FUNCTION IF EXISTS catalog_entry_values(int[], bigint, boolean)",
    "DROP TABLE IF EXISTS catalog_facetbitmap",
]


def _run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("catalog", "0004_search_facet_rows")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
