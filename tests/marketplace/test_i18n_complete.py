"""Every message the code and templates can show is in the Spanish catalog, translated.

``makemessages`` runs on a copy of the sources (the repository's catalog is never touched), and
every message it extracts must already be in ``locale/es/LC_MESSAGES/django.po`` with a Spanish
text: a new English string cannot reach a Spanish reader untranslated.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings

SOURCES = ("agreements", "audit", "catalog", "common", "config", "marketplace")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> polib.POFile:
    if shutil.which("xgettext") is None:
        pytest.fail("GNU gettext (xgettext) is needed to extract the messages: apt-get install gettext")
    base = Path(settings.BASE_DIR)
    copy = tmp_path_factory.mktemp("sources")
    for name in SOURCES:
        shutil.copytree(base / name, copy / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "migrations"))
    shutil.copy(base / "manage.py", copy / "manage.py")
    (copy / "locale").mkdir()
    subprocess.run([sys.executable, "manage.py", "makemessages", "--locale", "es", "--no-obsolete", "--verbosity", "0"],
                   cwd=copy, check=True, env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings_test",
                                              "PYTHONPATH": str(copy)})
    return polib.pofile(str(copy / "locale" / "es" / "LC_MESSAGES" / "django.po"))


def test_every_extracted_message_has_a_spanish_translation(extracted):
    catalog = {(entry.msgctxt, entry.msgid): entry for entry in polib.pofile(
        str(Path(settings.BASE_DIR) / "locale" / "es" / "LC_MESSAGES" / "django.po"))}

    missing = sorted(f"{entry.msgctxt + ' | ' if entry.msgctxt else ''}{entry.msgid}" for entry in extracted
                     if (entry.msgctxt, entry.msgid) not in catalog or not catalog[(entry.msgctxt, entry.msgid)].translated())

    assert len(extracted) > 1000
    assert missing == []


def test_the_catalog_holds_no_message_the_code_no_longer_has(extracted):
    used = {(entry.msgctxt, entry.msgid) for entry in extracted}
    catalog = polib.pofile(str(Path(settings.BASE_DIR) / "locale" / "es" / "LC_MESSAGES" / "django.po"))

    assert sorted(entry.msgid for entry in catalog if (entry.msgctxt, entry.msgid) not in used) == []
