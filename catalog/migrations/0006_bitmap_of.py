"""PostgreSQL only: ``catalog_bitmap_of(ids, capacity)`` turns the ids matching keywords or a price
limit into a bitmap, so facets are counted with bitmaps for every kind of search."""

from django.db import migrations

FORWARD = [
    """
    CREATE OR REPLACE FUNCTION catalog_bitmap_of(ids bigint[], capacity int) RETURNS varbit
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
    DECLARE
        flags text[];
        entry bigint;
    BEGIN
        IF capacity IS NULL THEN
            RETURN NULL;
        END IF;
        flags := array_fill('0'::text, ARRAY[capacity]);
        FOREACH entry IN ARRAY ids LOOP
            IF entry < capacity THEN
                flags[entry + 1] := '1';
            END IF;
        END LOOP;
        RETURN array_to_string(flags, '')::varbit;
    END $$
    """,
]
BACKWARD = ["DROP FUNCTION IF EXISTS catalog_bitmap_of(bigint[], int)"]


def _run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("catalog", "0005_facet_bitmaps")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
