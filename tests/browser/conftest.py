"""Browser tests: Debian's Chromium, driven by Playwright, against the app served on 127.0.0.1.

Where no Chromium can be found the tests are skipped with the reason, never silently.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from ..live_server import ServerThread

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


@pytest.fixture
def live_server(app):
    """The test's app, served on a free port of 127.0.0.1 for the browser."""
    thread = ServerThread(app)
    app.config["BASE_URL"] = thread.url
    thread.start()
    yield thread
    thread.stop()
    thread.join(timeout=5)


# Every page of every browser test reports what the Content-Security-Policy blocked: an inline
# script, handler or style attribute that the portal's policy refuses is a broken page.
_REPORT_CSP_VIOLATIONS = """
document.addEventListener('securitypolicyviolation', function (e) {
  window.__cspViolation([e.violatedDirective, e.blockedURI, e.sourceFile + ':' + e.lineNumber,
                         (e.sample || ''), document.location.pathname].join(' | '));
});
"""


@pytest.fixture
def csp_violations():
    """What the browser's CSP blocked during the test; checked to be nothing afterwards."""
    violations: list[str] = []
    yield violations
    assert violations == [], "Content-Security-Policy violations:\n" + "\n".join(violations)


def _new_context(browser, live_server, locale: str, violations: list[str]):
    context = browser.new_context(base_url=live_server.url, locale=locale)
    context.set_default_timeout(10_000)
    context.expose_function("__cspViolation", lambda line: violations.append(line))
    context.add_init_script(_REPORT_CSP_VIOLATIONS)
    return context


@pytest.fixture
def page(browser, live_server, request, csp_violations):
    context = _new_context(browser, live_server, "en-GB", csp_violations)
    page = context.new_page()
    yield page
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.fixture
def page_in(browser, live_server, csp_violations):
    """Pages of a browser that asks for another language: page_in("sv-SE")."""
    contexts = []

    def _page(locale: str):
        context = _new_context(browser, live_server, locale, csp_violations)
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
    page.get_by_role("button", name="Log in", exact=True).click()
