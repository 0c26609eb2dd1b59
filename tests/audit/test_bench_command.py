from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from audit.models import AuditEvent
from audit.verify import verify_chain


@pytest.mark.django_db(transaction=True)
def test_bench_appends_verifies_prints_figures_and_drops_its_scratch_table():
    out = StringIO()
    call_command("bench_audit", events=12, threads=2 if connection.vendor == "postgresql" else 1, stdout=out)

    text = out.getvalue()
    assert "baseline: 12 rows in" in text
    assert "append: 12 rows in" in text
    assert "verify: 12 events in" in text and "ok=True" in text
    assert "appends / plain inserts:" in text
    assert "baseline: scratch table audit_bench_plain_insert dropped" in text
    assert AuditEvent.objects.count() == 12
    assert verify_chain().ok
    assert "audit_bench_plain_insert" not in connection.introspection.table_names()
