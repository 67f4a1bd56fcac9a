"""Fixtures of the real-browser tests: Debian's Chromium driven by Playwright's sync API.

pytest applies this conftest to tests below tests/browser/; a browser test elsewhere imports
the fixtures it uses (``from browser.conftest import browser, browser_page, screens``).

The Playwright driver and the browser are module-scoped: Playwright's sync API runs one event
loop per thread, so two modules must not hold two drivers at once.
"""
import os

import pytest

from browser.lab import (
    SCREENSHOT_ROOT,
    VIEWPORT,
    ChromiumMissing,
    Screens,
    chromium_executable,
    launch_chromium,
    slug,
)


@pytest.fixture(scope="module")
def chromium_path():
    try:
        return chromium_executable()
    except ChromiumMissing as missing:
        # As root (CI, the course's containers) `make system` installs Chromium, so its absence
        # is a broken setup and fails the test. A user without root cannot install a Debian
        # package; for them the browser tests are skipped, saying what to run.
        if os.geteuid() == 0:
            raise
        pytest.skip(f"{missing} (not root: `sudo make system` installs it)")


@pytest.fixture(scope="module")
def playwright_driver(chromium_path):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as missing:
        raise RuntimeError("the browser tests need the Python package playwright (a test "
                           "dependency): make env, or pip install -c constraints.txt -e "
                           "'.[test]'") from missing

    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright_driver):
    chromium = launch_chromium(playwright_driver)
    yield chromium
    chromium.close()


@pytest.fixture
def screenshot_dir(request):
    """build/browser-screenshots/<test name>/ under the repository root."""
    return SCREENSHOT_ROOT / slug(request.node.name)


@pytest.fixture
def browser_page(browser):
    """A fresh page of a fresh context, 1400x900, 30 s default timeouts."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


@pytest.fixture
def screens(request, browser_page, screenshot_dir):
    """Numbered screenshots of ``browser_page`` in ``screenshot_dir``; its console messages are
    written there (console-errors.txt, console.txt) when the test ends, passed or failed, and
    a failed test gets a last screenshot of the page as it was."""
    failed_before = request.session.testsfailed
    shots = Screens(browser_page, screenshot_dir)
    yield shots
    if request.session.testsfailed > failed_before:
        try:
            shots.shot("failed")
        except Exception:  # noqa: BLE001 - a failed test's last screenshot is a courtesy
            pass
    shots.write_console()
