"""The usage benchmark command: every run it reports ends within its caps, with totals that add up."""

import re
from io import StringIO

import pytest
from django.core.management import call_command

from marketplace.orders.models import CallOffOrder, UsageRecord
from tests.conftest import requires_postgres

pytestmark = [requires_postgres, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_bench_usage_reports_four_runs_within_caps_and_removes_its_orders():
    out = StringIO()
    call_command("bench_usage", posts=300, threads=4, orders=2, stdout=out)
    text = out.getvalue()

    for label in ("baseline (plain inserts, no cap check)", "one hot order (service layer)",
                  "2 orders (service layer)", "one hot order, line with its own cap"):
        assert re.search(rf"^{re.escape(label)}\s+posts/s\s+\d+", text, re.M), label
    # Cap 80% of what is offered: the order runs stop at their caps; the line cap (90% of that) binds first.
    totals = re.findall(r"total accepted (\S+) vs cap (\S+); spent (\S+); overspend (\S+); "
                        r"spent minus sum of records (\S+)", text)
    assert len(totals) == 3
    for accepted, _cap, spent, overspend, mismatch in totals:
        assert accepted == spent and overspend == "0.00" and mismatch == "0.00"
    assert [cap for _a, cap, *_rest in totals] == ["240.00", "240.00", "240.00"]
    assert [accepted for accepted, *_rest in totals] == ["240.00", "240.00", "216.00"]
    line = re.search(r"line cap (\S+): line spent (\S+); line overspend (\S+); "
                     r"line spent minus sum of its records (\S+)", text)
    assert line.groups() == ("216.00", "216.00", "0.00", "0.00")
    assert "Removed 5 bench orders" in text
    assert not CallOffOrder.objects.filter(reference__startswith="BENCH-").exists()
    assert not UsageRecord.objects.exists()
