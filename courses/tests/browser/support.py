"""Browser tests: Debian's Chromium, headless, driven by Playwright, against a live server.

Playwright's own browser download cannot work on these hosts; the tests launch the system's
``/usr/bin/chromium`` (Debian's ``chromium`` package, which ``.ci/run`` and ``make test``
install). Without it the tests skip, except under ``COURSES_REQUIRE_BROWSER=1`` (CI), where they
fail. Each test gets a fresh browser context: empty cookies and storage.

Every page a test visits can be checked with axe-core (from the axe-playwright-python package):
``assert_accessible`` fails on any violation. ``screenshot`` saves a PNG of the page under
``build/screenshots/`` (``docs/screenshots/`` with ``COURSES_UPDATE_SCREENSHOTS=1``).
"""

from __future__ import annotations

import os
import shutil
import unittest
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.testing import StaticLiveServerTestCase

# Playwright's sync API keeps an event loop in this thread; the test's own ORM calls are still
# synchronous and safe (Django's documented switch for this case).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
#: Flags for a closed network and a root user (the probe's, in the machine notes).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
UPDATE_DOCS = os.environ.get("COURSES_UPDATE_SCREENSHOTS") == "1"
SCREENSHOTS = Path(settings.BASE_DIR) / ("docs/screenshots" if UPDATE_DOCS else "build/screenshots")
#: How long one browser action may wait (ms): generous, for a loaded 2-core host.
TIMEOUT_MS = 15_000


def browser_available() -> str | None:
    """Why browser tests cannot run here, or ``None`` when they can."""
    if not os.path.exists(CHROMIUM):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[dev]')"
    return None


class BrowserTestCase(StaticLiveServerTestCase):
    """A live server on a free port and a headless Chromium page per test (``self.page``)."""

    @classmethod
    def setUpClass(cls):
        reason = browser_available()
        if reason is not None:
            if os.environ.get("COURSES_REQUIRE_BROWSER") == "1":
                raise RuntimeError(f"browser tests required but cannot run: {reason}")
            raise unittest.SkipTest(reason)
        super().setUpClass()
        from playwright.sync_api import sync_playwright

        cls._playwright = sync_playwright().start()
        cls.browser = cls._playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )

    @classmethod
    def tearDownClass(cls):
        cls.browser.close()
        cls._playwright.stop()
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        self.context = self.browser.new_context(viewport={"width": 1280, "height": 900})
        self.context.set_default_timeout(TIMEOUT_MS)
        self.page = self.context.new_page()
        self.console_errors: list[str] = []
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda error: self.console_errors.append(str(error)))
        self.addCleanup(self.context.close)

    def _on_console(self, message) -> None:
        """Collect the page's errors. A page that answers a refused form with its 4xx status (as
        the API would) makes Chromium log "Failed to load resource" for the document itself: that
        is the status doing its job, not a script error, so only that one is left out."""
        if message.type != "error":
            return
        refused_document = (
            message.text.startswith(
                "Failed to load resource: the server responded with a status of 4"
            )
            and message.location.get("url") == self.page.url
        )
        if not refused_document:
            self.console_errors.append(message.text)

    def url(self, path: str) -> str:
        return f"{self.live_server_url}{path}"

    def open(self, path: str):
        response = self.page.goto(self.url(path))
        self.assertIsNotNone(response)
        self.assertLess(response.status, 400, f"{path} answered {response.status}")
        return response

    def log_in(self, username: str, password: str) -> None:
        """Through the login page, as a person does."""
        self.open("/accounts/login/")
        self.page.get_by_label("Username").fill(username)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Log in").click()
        self.page.wait_for_load_state()

    def assert_accessible(self) -> None:
        """axe-core finds no violation on the current page, and it logged no script error."""
        from axe_playwright_python.sync_playwright import Axe

        results = Axe().run(self.page)
        violations = results.response["violations"]
        self.assertEqual(
            [],
            [
                f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']]}"
                for v in violations
            ],
            f"accessibility violations on {self.page.url}",
        )
        self.assertEqual(self.console_errors, [], f"script errors on {self.page.url}")

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path
