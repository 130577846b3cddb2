"""Browser tests: Debian's Chromium, driven by Playwright, against the app served on 127.0.0.1.

Where no Chromium can be found the tests are skipped with the reason, never silently.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            # When the browser drops a connection mid-response (it navigated on), Werkzeug's
            # threaded test server leaves that static file for the garbage collector: a
            # ResourceWarning of the test server, not of the app.
            item.add_marker(pytest.mark.filterwarnings("ignore::ResourceWarning"))
            item.add_marker(
                pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
            )


def _chromium_path() -> str | None:
    configured = os.environ.get("CHROMIUM_PATH")
    if configured:
        return configured if Path(configured).exists() else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser():
    path = _chromium_path()
    if path is None:
        pytest.skip(
            "Browser tests skipped: no Chromium found (install Debian's 'chromium' package or "
            "set CHROMIUM_PATH); .ci/run installs it with apt-get where it can."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class _ServerThread(threading.Thread):
    def __init__(self, app):
        super().__init__(daemon=True)
        self.server = make_server("127.0.0.1", 0, app, threaded=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def run(self):
        self.server.serve_forever()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def live_server(app):
    """The test's app, served on a free port of 127.0.0.1 for the browser."""
    thread = _ServerThread(app)
    app.config["BASE_URL"] = thread.url
    thread.start()
    yield thread
    thread.stop()
    thread.join(timeout=5)


@pytest.fixture
def page(browser, live_server, request):
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.fixture
def page_in(browser, live_server):
    """Pages of a browser that asks for another language: page_in("sv-SE")."""
    contexts = []

    def _page(locale: str):
        context = browser.new_context(base_url=live_server.url, locale=locale)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield _page
    for context in contexts:
        context.close()


def translator(language: str):
    """The catalog's words for `language`: t("Log in") is what that language's page says."""
    from babel.support import Translations

    catalogs = Path(__file__).resolve().parents[2] / "adminapp" / "translations"
    translations = Translations.load(str(catalogs), [language])

    def t(message: str, **values) -> str:
        text = translations.gettext(message)
        return text % values if values else text

    return t


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def log_in(page, email: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
