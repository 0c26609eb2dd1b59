"""Every page each role can reach, and the error state of every form: checked in Chromium for

- an accessible name on each form control (input other than hidden/submit/button/reset/image, select,
  textarea), from its <label>s, aria-label or aria-labelledby;
- exactly one h1;
- a skip link that is the first thing Tab reaches and moves focus to #main-content;
- no console error, uncaught script error or content-security-policy violation.

The pages are walked once per module (a seeded marketplace, one signed-in browser context per role,
its own live server); each page is then reported as its own test, so a known problem is an
xfail(strict=True) on that page alone and every other page stays strict.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django.core.management import call_command

from tests.browser.conftest import ARTIFACTS, sign_in
from tests.browser.world import PASSWORD

# The mark makes pytest-django create the test database (it only does for marked tests); each page's
# test itself reads nothing from it.
pytestmark = [pytest.mark.browser, pytest.mark.django_db]


@dataclass(frozen=True)
class Page:
    key: str
    user: str | None  # None: anonymous
    path: str  # formatted with the seeded ids
    submit: str = ""  # the name of the button that submits the page's form empty (its error state)
    error_expected: bool = True  # whether that empty submission must show an error


PAGES = [
    # anonymous
    Page("anonymous-home", None, "/"),
    Page("anonymous-search", None, "/search/"),
    Page("anonymous-search-keyword", None, "/search/?q=backup"),
    Page("anonymous-search-error", None, "/search/?price_max=cheap"),
    Page("anonymous-listing", None, "/listings/{backup_vault}/"),
    Page("anonymous-login-error", None, "/accounts/login/", submit="Sign in"),
    # supplier
    Page("supplier-home", "supplier", "/"),
    Page("supplier-my-listings", "supplier", "/supplier/listings/"),
    Page("supplier-choose-lot", "supplier", "/supplier/listings/new/"),
    Page("supplier-listing-new-error", "supplier", "/supplier/listings/new/?lot={lot}", submit="Save draft"),
    Page("supplier-listing-edit-error", "supplier", "/supplier/listings/{draft_listing}/edit/", submit="Save draft"),
    Page("supplier-listing-preview", "supplier", "/supplier/listings/{rejected_listing}/preview/"),
    Page("supplier-import-error", "supplier", "/supplier/listings/import/", submit="Import"),
    Page("supplier-orders", "supplier", "/orders/"),
    Page("supplier-order-upload-error", "supplier", "/orders/{active_order}/", submit="Upload"),
    Page("supplier-competitions", "supplier", "/competitions/"),
    Page("supplier-competition", "supplier", "/competitions/{published_competition}/"),
    Page("supplier-quote-error", "supplier", "/competitions/{published_competition}/quote/", submit="Submit quote"),
    Page("supplier-decline-error", "supplier", "/competitions/{published_competition}/decline/",
         submit="Decline"),
    # authority
    Page("authority-review", "authority", "/review/"),
    Page("authority-listing-preview", "authority", "/listings/{submitted_listing}/?preview=1"),
    # buyer (requester and approver who drafts)
    Page("buyer-home", "ana", "/"),
    Page("buyer-requirements", "ana", "/buyer/requirements/"),
    Page("buyer-requirement-new-error", "ana", "/buyer/requirements/new/", submit="Save and continue"),
    Page("buyer-requirement-open", "ana", "/buyer/requirements/{open_requirement}/"),
    Page("buyer-criterion-error", "ana", "/buyer/requirements/{open_requirement}/criteria/essential/add/",
         submit="Add requirement"),
    Page("buyer-estimate-error", "ana", "/buyer/requirements/{open_requirement}/estimates/add/", submit="Save estimate"),
    Page("buyer-requirement-no-award-error", "ana", "/buyer/requirements/{open_requirement}/no-award/",
         submit="Record no award"),
    Page("buyer-search-save-error", "ana", "/buyer/searches/save/?framework={framework}&lot={lot}&data_location=peru",
         submit="Save search"),
    Page("buyer-search-open", "ana", "/buyer/searches/{open_search}/"),
    Page("buyer-search-end-error", "ana", "/buyer/searches/{open_search}/end/", submit="End search"),
    Page("buyer-search-ended", "ana", "/buyer/searches/{ended_search}/"),
    Page("buyer-comparison", "ana", "/buyer/searches/{ended_search}/comparison/"),
    Page("buyer-award-error", "ana", "/buyer/searches/{ended_search}/award/", submit="Make the award"),
    Page("buyer-search-no-award-error", "ana", "/buyer/searches/{ended_search}/no-award/", submit="Record no award"),
    Page("buyer-requirement-awarded", "ana", "/buyer/requirements/{awarded_requirement}/"),
    Page("buyer-orders", "ana", "/orders/"),
    Page("buyer-order-drafted", "ana", "/orders/{draft_order}/"),
    Page("buyer-competitions", "ana", "/competitions/"),
    Page("buyer-competition-new-error", "ana", "/competitions/new/", submit="Save as draft"),
    Page("buyer-competition-draft", "ana", "/competitions/{draft_competition}/"),
    Page("buyer-competition-closed", "ana", "/competitions/{closed_competition}/"),
    Page("buyer-evaluate", "ana", "/competitions/{closed_competition}/evaluate/"),
    Page("buyer-competition-award-error", "ana", "/competitions/{evaluated_competition}/award/",
         submit="Award and create the draft order"),
    Page("buyer-competition-cancel-error", "ana", "/competitions/{draft_competition}/cancel/", submit="Cancel the competition"),
    # approver (not the drafter)
    Page("approver-order-draft-amend-error", "olga", "/orders/{draft_order}/", submit="Change the cap"),
    Page("approver-order-active-terminate-error", "olga", "/orders/{active_order}/", submit="Terminate the order"),
    # auditor
    Page("auditor-selection-log", "auditor", "/oversight/selections/"),
    Page("auditor-selection-log-error", "auditor", "/oversight/selections/?date_from=yesterday"),
    Page("auditor-trail-checked", "auditor", "/oversight/selections/{award}/", submit="Check this trail",
         error_expected=False),
    Page("auditor-flags", "auditor", "/oversight/flags/"),
    Page("auditor-export-error", "auditor", "/oversight/selections/export/?format=pdf"),
    Page("auditor-orders", "auditor", "/orders/"),
    Page("auditor-order", "auditor", "/orders/{active_order}/"),
    Page("auditor-requirements", "auditor", "/buyer/requirements/"),
    Page("auditor-requirement", "auditor", "/buyer/requirements/{awarded_requirement}/"),
    Page("auditor-competition", "auditor", "/competitions/{evaluated_competition}/"),
]

# Pages with a known problem, reported to the owners; strict: the test fails once a page is fixed,
# so that its entry is removed here.
KNOWN: dict[str, str] = {}

CONTROLS_WITHOUT_NAME = """() => {
  const text = element => (element.textContent || "").replace(/\\s+/g, " ").trim();
  const named = element => {
    if ((element.getAttribute("aria-label") || "").trim()) return true;
    const labelledBy = (element.getAttribute("aria-labelledby") || "").split(/\\s+/).filter(Boolean);
    if (labelledBy.some(id => document.getElementById(id) && text(document.getElementById(id)))) return true;
    return Array.from(element.labels || []).some(label => text(label));
  };
  const skipped = ["hidden", "submit", "button", "reset", "image"];
  return Array.from(document.querySelectorAll("input, select, textarea"))
    .filter(element => !(element.tagName === "INPUT" && skipped.includes((element.type || "").toLowerCase())))
    .filter(element => !named(element))
    .map(element => `${element.tagName.toLowerCase()}[name=${element.name || "?"}]#${element.id || "?"}`);
}"""


@dataclass
class Outcome:
    url: str = ""
    status: int | None = None
    problems: list[str] = field(default_factory=list)


def check_page(page, messages: list[str], outcome: Outcome) -> None:
    """The checks on the page as loaded now; ``messages`` holds what the console said while loading."""
    problems = outcome.problems
    if outcome.status is None or outcome.status >= 500:
        problems.append(f"status {outcome.status}")
    unnamed = page.evaluate(CONTROLS_WITHOUT_NAME)
    if unnamed:
        problems.append("form controls without an accessible name: " + ", ".join(unnamed))
    headings = page.locator("h1").count()
    if headings != 1:
        problems.append(f"{headings} h1 elements, expected 1")
    page.keyboard.press("Tab")
    first = page.evaluate("""() => {
      const element = document.activeElement;
      return element ? {tag: element.tagName.toLowerCase(), href: element.getAttribute("href") || "",
                        text: (element.textContent || "").trim()} : null;
    }""")
    if not first or first["href"] != "#main-content":
        problems.append(f"first Tab stop is {first}, not the skip link to #main-content")
    else:
        page.keyboard.press("Enter")
        focused = page.evaluate("document.activeElement && document.activeElement.id")
        if focused != "main-content":
            problems.append(f"the skip link moved focus to #{focused}, not #main-content")
    # On a phone (390 px wide) the page itself never scrolls sideways; wide tables scroll in their box.
    size = page.viewport_size
    page.set_viewport_size({"width": 390, "height": 844})
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > 390:
        problems.append(f"at 390 px wide the page is {width} px wide (scrolls sideways)")
    if size:
        page.set_viewport_size(size)
    problems.extend(messages)


class Visitor:
    """One signed-in browser page of one role, reused from page to page; collects console errors."""

    def __init__(self, page):
        self.page = page
        self.messages: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.messages.append(f"script error: {error}"))

    def _console(self, message) -> None:
        # An error state answers 400 on purpose, and Chromium logs that status of the document itself.
        document_status = message.text.startswith(
            "Failed to load resource: the server responded with a status of 4") and message.location.get(
            "url") == self.page.url
        if message.type == "error" and not document_status:
            where = message.location.get("url", "")
            self.messages.append(f"console {message.type}: {message.text}" + (f" [{where}]" if where else ""))

    def visit(self, base_url: str, spec: Page, ids: dict) -> Outcome:
        page = self.page
        self.messages = []
        outcome = Outcome(url=spec.path.format(**ids))
        try:
            response = page.goto(base_url + outcome.url)
            outcome.status = response.status if response else None
            if spec.submit:
                button = page.locator("main").get_by_role("button", name=spec.submit, exact=True).first
                button.evaluate("""button => button.form.querySelectorAll(
                    "textarea, input:not([type=hidden]):not([type=submit]):not([type=checkbox]):not([type=radio])"
                    + ":not([type=file])").forEach(control => { control.value = ""; })""")
                with page.expect_navigation():
                    button.click()
                outcome.url += f" (submitted “{spec.submit}” empty)"
                outcome.status = page.evaluate("performance.getEntriesByType('navigation')[0].responseStatus")
                if spec.error_expected and not page.locator(".error-summary, .error-message").count():
                    outcome.problems.append("the form submitted empty showed no error")
            check_page(page, self.messages, outcome)
        except Exception as error:  # noqa: BLE001 - every failure is a finding on this page
            outcome.problems.append(f"could not check the page: {type(error).__name__}: {error}".splitlines()[0])
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"accessibility-{spec.key}.png"), full_page=True)
        return outcome


@pytest.fixture(scope="module")
def outcomes(browser, django_db_setup, django_db_blocker):
    """Seed, start a live server of our own, walk every page once, then empty the database again."""
    from django.db import connection
    from django.test.utils import modify_settings
    from pytest_django.live_server_helper import LiveServer

    from tests.browser.seed import seed

    results: dict[str, Outcome] = {}
    with django_db_blocker.unblock():
        name = str(connection.settings_dict["NAME"])
        # Never seed, then flush, anything but a throw-away test database.
        assert name.startswith(("file:memorydb", "test_")) or "/test_" in name, name
        server = LiveServer("localhost")
        try:
            with modify_settings(ALLOWED_HOSTS={"append": "localhost"}):
                ids = seed()
                visitors: dict = {}
                for spec in PAGES:
                    if spec.user not in visitors:
                        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
                        page = context.new_page()
                        page.set_default_timeout(10_000)
                        if spec.user:
                            sign_in(page, server, spec.user, PASSWORD)
                        visitors[spec.user] = Visitor(page)
                    results[spec.key] = visitors[spec.user].visit(server.url, spec, ids)
                for visitor in visitors.values():
                    visitor.page.context.close()
        finally:
            server.stop()
            call_command("flush", verbosity=0, interactive=False)
    yield results


def _params():
    for spec in PAGES:
        marks = [pytest.mark.xfail(strict=True, reason=KNOWN[spec.key])] if spec.key in KNOWN else []
        yield pytest.param(spec.key, id=spec.key, marks=marks)


@pytest.mark.parametrize("key", _params())
def test_page_has_named_controls_one_h1_a_working_skip_link_and_no_console_errors(outcomes, key):
    outcome = outcomes[key]
    assert outcome.problems == [], f"{outcome.url}: " + "; ".join(outcome.problems)


def test_the_checks_find_unnamed_controls_extra_headings_and_a_missing_skip_link(page):
    """The checks themselves, on a page made to fail each of them."""
    page.set_content("""<a href="/elsewhere">Home</a><h1>One</h1><h1>Two</h1>
        <label for="named">Named</label><input id="named"><input id="bare" name="bare">
        <select name="choice"><option>a</option></select><textarea aria-label="Said"></textarea>
        <span id="caption">Caption</span><input name="by-id" aria-labelledby="caption">
        <input type="hidden" name="secret"><button type="submit">Go</button><main id="main-content"></main>""")
    outcome = Outcome(url="about:blank", status=200)

    check_page(page, ["console error: example"], outcome)

    assert outcome.problems == [
        "form controls without an accessible name: input[name=bare]#bare, select[name=choice]#?",
        "2 h1 elements, expected 1",
        "first Tab stop is {'tag': 'a', 'href': '/elsewhere', 'text': 'Home'}, not the skip link to #main-content",
        "console error: example",
    ]
