"""Headless Chromium (Debian's package) driven by Playwright against pytest-django's live server.

The browser tests run unless `SKIP_BROWSER=1` is set; without Chromium (or Playwright) they fail with
a message saying how to get it, so a run that should have driven the pages cannot pass without them.

Playwright's sync API runs an event loop in the test thread; Django refuses ORM calls from such a
thread unless told it is safe, which it is here (one test thread, no concurrent coroutines).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Mapping
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

BROWSER_DIR = Path(__file__).resolve().parent
ARTIFACTS = BROWSER_DIR.parents[1] / "test-artifacts"
SKIP_REASON = "SKIP_BROWSER=1 is set: the browser tests are not run"


def find_chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def browser_refusal(environ: Mapping[str, str], *, chromium: str | None, playwright: bool) -> tuple[str, str] | None:
    """("skip", why) when asked to skip, ("fail", why and how to fix) when the tools are missing, else None."""
    if environ.get("SKIP_BROWSER") == "1":
        return "skip", SKIP_REASON
    missing = [name for name, present in (("Chromium", chromium), ("Playwright", playwright)) if not present]
    if missing:
        return "fail", (
            f"{' and '.join(missing)} not installed, so the browser tests cannot run. Run scripts/ensure-chromium "
            "as root (it installs Debian's chromium package; Playwright is in requirements-dev.txt), or set "
            "SKIP_BROWSER=1 to skip the browser tests."
        )
    return None


def _playwright_installed() -> bool:
    return importlib.util.find_spec("playwright") is not None


def pytest_collection_modifyitems(config, items):
    """Every test under tests/browser carries the `browser` marker; with SKIP_BROWSER=1 each is skipped."""
    skipping = os.environ.get("SKIP_BROWSER") == "1"
    for item in items:
        if BROWSER_DIR not in Path(str(item.path)).parents:
            continue
        item.add_marker(pytest.mark.browser)
        if skipping:
            item.add_marker(pytest.mark.skip(reason=SKIP_REASON))


@pytest.fixture(scope="session")
def browser():
    refusal = browser_refusal(os.environ, chromium=find_chromium(), playwright=_playwright_installed())
    if refusal is not None:
        action, message = refusal
        if action == "skip":
            pytest.skip(message)
        pytest.fail(message, pytrace=False)
    chromium = find_chromium()
    from playwright import sync_api  # here, so that a missing Playwright fails with the message above

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium,
            headless=True,
            args=[
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def sign_in(page, live_server, username: str, password: str = "secret-pass-123") -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


@pytest.fixture
def open_page(browser, request):
    """Open more pages, each in its own browser context (its own cookies: one signed-in person each).

    Every page opened this way is screenshotted when the test fails, named after the test and its
    position (``<test>-2.png`` for the second one)."""
    contexts = []

    def open_one():
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
        contexts.append(context)
        new_page = context.new_page()
        new_page.set_default_timeout(15_000)
        return new_page

    yield open_one
    failed = getattr(request.node, "rep_call", None)
    for number, context in enumerate(contexts, start=2):
        if failed is not None and failed.failed:
            ARTIFACTS.mkdir(exist_ok=True)
            for opened in context.pages:
                opened.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{number}.png"), full_page=True)
        context.close()
