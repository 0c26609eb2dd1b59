"""PostgreSQL only: a covering price index, and build a row bitmap in time proportional to the matching rows, not the capacity.

``ids`` must be sorted ascending. The bitmap text is the matching ids in order, each as "0" repeated for the gap since the previous
id then "1", padded with "0" to the capacity and cast to varbit.
"""

from django.db import migrations

FORWARD = [
    # Price-limited searches find their rows from this index alone (index-only scan).
    "CREATE INDEX IF NOT EXISTS catalog_searchfacets_framework_price ON catalog_searchfacets "
    "(framework_id, unit_price) INCLUDE (entry_id)",
    """
    CREATE OR REPLACE FUNCTION catalog_bitmap_of(ids bigint[], capacity int) RETURNS varbit
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT rpad(coalesce(string_agg(repeat('0', (ids[i] - coalesce(ids[i - 1], -1) - 1)::int) || '1', ''), ''),
                    capacity, '0')::varbit
        FROM generate_subscripts(ids, 1) AS i
    $$
    """,
]


def _run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("catalog", "0006_bitmap_of")]

    operations = [migrations.RunPython(_run(FORWARD), migrations.RunPython.noop)]
