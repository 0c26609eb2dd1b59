"""The `postgres` marker means what it says: `pytest -m postgres` selects exactly the tests that skip on
SQLite because they need PostgreSQL, and no test skips on its own on the database vendor.

One collection of the whole suite in a subprocess (no database is touched), on the SQLite default, with a
small plugin that writes down every item's skip reason, split into what `-m postgres` kept and dropped.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import POSTGRES_ONLY_REASON, postgres_skip_reason

BASE_DIR = Path(__file__).resolve().parents[1]
TESTS_DIR = BASE_DIR / "tests"

PROBE = '''
import json, os
import pytest
from _pytest.skipping import evaluate_skip_marks

deselected = []

def pytest_deselected(items):
    deselected.extend(items)

def _reason(item):
    skip = evaluate_skip_marks(item)
    return None if skip is None else skip.reason

@pytest.hookimpl(hookwrapper=True)
def pytest_collection_modifyitems(session, config, items):
    yield
    result = {
        "selected": {item.nodeid: _reason(item) for item in items},
        "deselected": {item.nodeid: _reason(item) for item in deselected},
    }
    with open(os.environ["MARKER_PROBE_OUTPUT"], "w") as output:
        json.dump(result, output)
'''


@pytest.fixture(scope="module")
def postgres_selection(tmp_path_factory):
    """{"selected": {node id: skip reason on SQLite}, "deselected": {...}} for `pytest -m postgres`."""
    folder = tmp_path_factory.mktemp("marker-probe")
    (folder / "marker_probe.py").write_text(PROBE)
    output = folder / "result.json"
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "CELERY_BROKER_URL"}}
    env.update(MARKER_PROBE_OUTPUT=str(output), PYTHONPATH=os.pathsep.join([str(folder), str(BASE_DIR)]))
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "-p", "marker_probe",
         "-m", "postgres", str(TESTS_DIR)],
        cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=300,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    return json.loads(output.read_text())


def test_minus_m_postgres_selects_only_tests_that_skip_on_sqlite_for_needing_postgresql(postgres_selection):
    selected = postgres_selection["selected"]
    not_skipped_for_postgres = sorted(node for node, reason in selected.items() if reason != POSTGRES_ONLY_REASON)

    assert len(selected) >= 100, "the PostgreSQL-only tests went missing from `-m postgres`"
    assert not_skipped_for_postgres == [], "\n".join(
        f"{node}: {selected[node]!r}" for node in not_skipped_for_postgres)


def test_every_test_that_skips_on_sqlite_for_postgresql_is_in_minus_m_postgres(postgres_selection):
    """The rest of the suite: nothing skips for the PostgreSQL reason, nor with any reason naming PostgreSQL."""
    left_out = sorted(
        f"{node}: {reason!r}" for node, reason in postgres_selection["deselected"].items()
        if reason is not None and (reason == POSTGRES_ONLY_REASON or "postgres" in reason.lower())
    )

    assert len(postgres_selection["deselected"]) >= 500
    assert left_out == [], "skip on SQLite without the postgres marker:\n" + "\n".join(left_out)


def test_the_postgres_skip_applies_off_postgresql_only():
    assert postgres_skip_reason("postgresql") is None
    assert postgres_skip_reason("sqlite") == POSTGRES_ONLY_REASON


VENDOR_WORDS = ("vendor", "is_postgres", "postgres", "DATABASE_URL")


def _inline_vendor_skips(path: Path, root: Path = BASE_DIR) -> list[str]:
    """`pytest.skip(...)` under an `if` that looks at the database: a PostgreSQL-only test hiding from `-m`."""
    source = path.read_text()
    offenders = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.If):
            continue
        condition = ast.get_source_segment(source, node.test) or ""
        if not any(word in condition for word in VENDOR_WORDS):
            continue
        for inner in ast.walk(node):
            if (isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute) and inner.func.attr == "skip"
                    and isinstance(inner.func.value, ast.Name) and inner.func.value.id == "pytest"):
                offenders.append(f"{path.relative_to(root)}:{inner.lineno}: pytest.skip under `if {condition}`")
    return offenders


def test_no_test_skips_inline_on_the_database_vendor():
    offenders = [line for path in sorted(TESTS_DIR.rglob("*.py")) for line in _inline_vendor_skips(path)]

    assert offenders == [], "use the postgres marker (tests.conftest.requires_postgres) instead:\n" + "\n".join(
        offenders)


def test_the_inline_skip_finder_finds_a_vendor_skip(tmp_path):
    planted = tmp_path / "sample.py"
    planted.write_text("import pytest\n\n\ndef test_x(connection):\n    if connection.vendor != 'postgresql':\n"
                       "        pytest.skip('needs PostgreSQL')\n    if not ok:\n        pytest.skip('other')\n")

    assert _inline_vendor_skips(planted, root=tmp_path) == [
        "sample.py:6: pytest.skip under `if connection.vendor != 'postgresql'`"]
