"""Browser tests are skipped only when SKIP_BROWSER=1 is set; otherwise a missing Chromium fails the run
(tests/browser/conftest.py) and scripts/ensure-chromium exits non-zero saying why."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser.conftest import SKIP_REASON, browser_refusal

BASE_DIR = Path(__file__).resolve().parents[1]
ENSURE_CHROMIUM = BASE_DIR / "scripts" / "ensure-chromium"
ONE_BROWSER_TEST = "tests/browser/test_layout.py::test_wrong_password_shows_error_summary_linked_to_field"
MISSING_MESSAGE = (
    "Chromium not installed, so the browser tests cannot run. Run scripts/ensure-chromium as root (it installs "
    "Debian's chromium package; Playwright is in requirements-dev.txt), or set SKIP_BROWSER=1 to skip the "
    "browser tests."
)


def test_skip_browser_1_skips_whatever_is_installed():
    assert browser_refusal({"SKIP_BROWSER": "1"}, chromium=None, playwright=False) == ("skip", SKIP_REASON)
    assert browser_refusal({"SKIP_BROWSER": "1"}, chromium="/usr/bin/chromium", playwright=True) == (
        "skip", SKIP_REASON)


@pytest.mark.parametrize("environ", [{}, {"SKIP_BROWSER": "0"}, {"SKIP_BROWSER": ""}, {"SKIP_BROWSER": "yes"}])
def test_without_skip_browser_1_a_missing_chromium_fails(environ):
    assert browser_refusal(environ, chromium=None, playwright=True) == ("fail", MISSING_MESSAGE)


def test_a_missing_playwright_fails_too():
    assert browser_refusal({}, chromium="/usr/bin/chromium", playwright=False) == (
        "fail", MISSING_MESSAGE.replace("Chromium not", "Playwright not"))
    assert browser_refusal({}, chromium=None, playwright=False)[1].startswith("Chromium and Playwright not installed")


def test_with_both_installed_the_browser_tests_run():
    assert browser_refusal({}, chromium="/usr/bin/chromium", playwright=True) is None


def _without_chromium(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment with a PATH on which no chromium (nor anything else) is found."""
    empty = tmp_path / "empty-path"
    empty.mkdir(exist_ok=True)
    env = {key: value for key, value in os.environ.items()
           if key not in {"DATABASE_URL", "CELERY_BROKER_URL", "SKIP_BROWSER"}}
    env.update(PATH=str(empty), **extra)
    return env


def _pytest(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", ONE_BROWSER_TEST],
        cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=300,
    )


def test_a_run_without_chromium_fails_with_the_message(tmp_path):
    completed = _pytest(_without_chromium(tmp_path))

    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert MISSING_MESSAGE in completed.stdout
    assert "1 error" in completed.stdout


def test_a_run_without_chromium_and_skip_browser_1_skips_with_the_reason(tmp_path):
    completed = _pytest(_without_chromium(tmp_path, SKIP_BROWSER="1"))

    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert f"SKIPPED [1] tests/browser/test_layout.py: {SKIP_REASON}" in completed.stdout
    assert "1 skipped" in completed.stdout


def _stub(folder: Path, name: str, script: str) -> None:
    path = folder / name
    path.write_text("#!/bin/sh\n" + script + "\n")
    path.chmod(0o755)


def _ensure_chromium(tmp_path: Path, *, uid: int, apt_get: str | None = None, chromium: bool = False,
                     **extra: str) -> subprocess.CompletedProcess:
    """Run the script with a PATH of stubs only: `id -u` answers ``uid``, `apt-get` runs ``apt_get``."""
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    _stub(stubs, "id", f"echo {uid}")
    (stubs / "tail").symlink_to("/usr/bin/tail")
    if apt_get is not None:
        _stub(stubs, "apt-get", apt_get)
    if chromium:
        _stub(stubs, "chromium", "exit 0")
    env = {"PATH": str(stubs), "HOME": str(tmp_path), **extra}
    return subprocess.run(["/bin/bash", str(ENSURE_CHROMIUM)], env=env, capture_output=True, text=True, timeout=60)


def test_ensure_chromium_with_chromium_there_does_nothing(tmp_path):
    completed = _ensure_chromium(tmp_path, uid=1000, apt_get="echo apt-get ran; exit 1", chromium=True)

    assert (completed.returncode, completed.stdout, completed.stderr) == (0, "", "")


def test_ensure_chromium_that_cannot_install_says_why_and_fails(tmp_path):
    completed = _ensure_chromium(tmp_path, uid=1000, apt_get="echo apt-get ran; exit 1")

    assert completed.returncode == 1
    assert completed.stdout == ""
    assert completed.stderr.splitlines() == [
        "ensure-chromium: Chromium is missing and installing it needs root (this is uid 1000).",
        "ensure-chromium: the browser tests need it: run this script as root on Debian/Ubuntu to install the "
        "chromium package, or set SKIP_BROWSER=1 to skip the browser tests.",
    ]


def test_ensure_chromium_without_apt_get_says_so_and_fails(tmp_path):
    completed = _ensure_chromium(tmp_path, uid=0)

    assert completed.returncode == 1
    assert completed.stderr.splitlines()[0] == (
        "ensure-chromium: Chromium is missing and there is no apt-get here to install it with.")


def test_ensure_chromium_whose_install_fails_prints_apt_get_and_fails(tmp_path):
    apt_get = 'if [ "$1" = install ]; then echo "E: Unable to locate package chromium" >&2; exit 100; fi'

    completed = _ensure_chromium(tmp_path, uid=0, apt_get=apt_get)

    assert completed.returncode == 1
    assert completed.stdout == "ensure-chromium: installing Debian's chromium package for the browser tests…\n"
    assert completed.stderr.splitlines()[:2] == [
        "E: Unable to locate package chromium",
        "ensure-chromium: Chromium is missing and apt-get install chromium failed (its last lines are above).",
    ]


def test_ensure_chromium_installs_it_as_root(tmp_path):
    apt_get = f'if [ "$1" = install ]; then printf "#!/bin/sh\\n" > "{tmp_path}/stubs/chromium"; ' \
              f'/bin/chmod +x "{tmp_path}/stubs/chromium"; fi'

    completed = _ensure_chromium(tmp_path, uid=0, apt_get=apt_get)

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.splitlines() == [
        "ensure-chromium: installing Debian's chromium package for the browser tests…",
        f"ensure-chromium: installed {tmp_path}/stubs/chromium.",
    ]


def test_ensure_chromium_missing_with_skip_browser_1_passes_without_installing(tmp_path):
    completed = _ensure_chromium(tmp_path, uid=0, apt_get=f': > "{tmp_path}/apt-get-ran"', SKIP_BROWSER="1")

    assert completed.returncode == 0
    assert completed.stderr == (
        "ensure-chromium: Chromium is missing; SKIP_BROWSER=1 is set, so the browser tests will be skipped.\n")
    assert not (tmp_path / "apt-get-ran").exists()
