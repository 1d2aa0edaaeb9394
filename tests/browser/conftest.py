"""Browser tests: Playwright driving Debian's Chromium against Django's live server.

Run with `make browser-test` (CI does); `make test` leaves them out. Nothing leaves the
machine: every request to another host is aborted (map tiles, share links).
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"No Chromium at {CHROMIUM}: run `make browser-test`, which installs it.")
    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # between page actions are plain synchronous calls. Only while the browser is open.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()
    del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


def _stay_local(route):
    if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
        route.continue_()
    else:
        route.abort()


def _new_page(browser, **options):
    options.setdefault("locale", "en-GB")
    context = browser.new_context(accept_downloads=True, **options)
    context.route("**/*", _stay_local)
    page = context.new_page()
    page.set_default_timeout(10_000)
    return context, page


@pytest.fixture
def page(browser):
    context, page = _new_page(browser, viewport={"width": 1280, "height": 900})
    yield page
    context.close()


@pytest.fixture
def page_for_axe(browser):
    """axe-core is injected as a script the page itself does not have: only this page
    bypasses the Content-Security-Policy; every other test runs under it."""
    context, page = _new_page(browser, viewport={"width": 1280, "height": 900}, bypass_csp=True)
    yield page
    context.close()


@pytest.fixture
def page_without_js(browser):
    context, page = _new_page(
        browser, viewport={"width": 1280, "height": 900}, java_script_enabled=False
    )
    yield page
    context.close()


@pytest.fixture
def phone_page(browser):
    context, page = _new_page(browser, viewport={"width": 375, "height": 812}, is_mobile=True)
    yield page
    context.close()


@pytest.fixture
def axe():
    """Runs axe-core in a page; returns the serious and critical violations."""
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `npm ci` (make browser-test does).")

    def scan(page) -> list[dict]:
        page.add_script_tag(path=str(AXE))
        result = page.evaluate(
            """async () => await axe.run(document, {
                runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa",
                                                 "wcag22aa", "best-practice"]}
            })"""
        )
        return [
            {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
            for v in result["violations"]
            if v["impact"] in {"serious", "critical"}
        ]

    return scan
