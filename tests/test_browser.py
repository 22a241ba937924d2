"""A real browser through the live stack: sign up, confirm, two-factor, admin and API pages.

Debian's headless Chromium, driven by Playwright's library (no browser download), talks to nginx
-> Gunicorn -> PostgreSQL as a visitor would, with a Celery worker delivering the emails into a
directory (EMAIL_URL=filemail://...). On every page the console must show no CSP violation, no
script error and no failed request. Screenshots of each step are kept under build/browser/.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import shutil
import struct
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .support import stack
from .support.options import DEFAULT_ANSWERS, TEMPLATE
from .support.production import HOST
from .support.services import missing, require_program
from .support.tools import run
from .test_stack import ADMIN_URL, PASSWORD, Stack, deployed

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = TEMPLATE / "build" / "browser"
EMAIL = "browser@example.com"
USERNAME = "browser"
CREDENTIALS = {"#id_login": USERNAME, "#id_password": PASSWORD}
SUBMIT = "main form button[type=submit]"
MAKE_STAFF = (
    "from django.contrib.auth import get_user_model\n"
    f"get_user_model().objects.filter(username={USERNAME!r})"
    ".update(is_staff=True, is_superuser=True)"
)
CONFIRMATION_LINK = re.compile(r"https://[^\s]+/accounts/confirm-email/[^\s/]+/")


def totp(secret: str) -> str:
    """The current six-digit code for a base32 secret (RFC 6238, as authenticator apps do)."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(time.time() // 30)), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


@pytest.fixture(scope="module")
def redis_of_our_own(tmp_path_factory) -> Iterator[str]:
    """A private Redis: the worker below must not take tasks queued by other tests' stacks."""
    program = require_program("redis-server", "install it with: apt-get install -y redis-server")
    port = stack.free_port()
    workdir = tmp_path_factory.mktemp("redis")
    command = [program, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    with stack.running(command, workdir, dict(os.environ), workdir / "redis.log"):
        stack.wait_until(lambda: stack.port_open(port), 10, "redis-server")
        yield f"redis://127.0.0.1:{port}/0"


@pytest.fixture(scope="module")
def site(installed_project, redis_of_our_own, tmp_path_factory) -> Iterator[tuple[Stack, Path]]:
    if not Path(CHROMIUM).exists():
        missing(f"{CHROMIUM} is not installed; install it with: apt-get install -y chromium")
    project = installed_project(DEFAULT_ANSWERS)
    outbox = tmp_path_factory.mktemp("outbox")
    database = f"keel_browser_{os.getpid()}"
    with deployed(project, database, redis_of_our_own, EMAIL_URL=f"filemail:///{outbox}") as live:
        worker = [".venv/bin/celery", "-A", "config.celery_app", "worker", "--pool", "solo"]
        with stack.running(worker, project, live.environ, outbox.parent / "worker.log"):
            yield live, outbox


def confirmation_link(outbox: Path) -> str:
    """The link from the confirmation email, once the worker has delivered it."""
    found: list[str] = []

    def delivered() -> bool:
        found[:] = [
            match.group(0).replace("=\n", "")
            for path in outbox.iterdir()
            for match in [CONFIRMATION_LINK.search(path.read_text().replace("=\n", ""))]
            if match
        ]
        return bool(found)

    stack.wait_until(delivered, 60, "the confirmation email")
    return found[0]


class Browser:
    """One page of a headless Chromium that records every problem the console would show."""

    def __init__(self, page, origin: str) -> None:
        self.page = page
        self.origin = origin
        self.problems: list[str] = []
        self.visited: list[str] = []
        page.on("console", self.console)
        page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))
        page.on("requestfailed", self.failed)
        page.on("requestfinished", self.finished)
        page.on("response", self.response)

    def console(self, message) -> None:
        if message.type in ("error", "warning"):
            source = message.location.get("url", "")
            self.problems.append(
                f"console {message.type} on {self.page.url}: {message.text} {source}"
            )

    def failed(self, request) -> None:
        # ERR_ABORTED is the browser dropping a load it no longer needs, such as the favicon of
        # a page it navigated away from; the server never failed it.
        if request.failure != "net::ERR_ABORTED":
            self.problems.append(f"failed: {request.url} {request.failure}")

    def finished(self, request) -> None:
        response = request.response()
        if response is not None and response.status >= 400:
            self.problems.append(f"HTTP {response.status}: {request.url}")

    def response(self, response) -> None:
        if response.status >= 400:
            self.problems.append(f"HTTP {response.status}: {response.url}")

    def goto(self, path: str) -> None:
        self.page.goto(self.origin + path, wait_until="networkidle")

    def shot(self, name: str) -> None:
        self.page.wait_for_load_state("networkidle")
        self.visited.append(f"{name}: {self.page.url.removeprefix(self.origin)}")
        self.page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)

    def submit(self, fields: dict[str, str], button: str) -> None:
        for selector, value in fields.items():
            self.page.fill(selector, value)
        with self.page.expect_navigation():
            self.page.click(button)


def test_sign_up_confirm_two_factor_admin_and_api_docs_in_a_real_browser(site):
    from playwright.sync_api import sync_playwright

    live, outbox = site
    origin = f"https://{HOST}:{live.site.https_port}"
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                # The site's name resolves to loopback only, inside this browser.
                f"--host-resolver-rules=MAP {HOST} 127.0.0.1",
            ],
        )
        try:
            context = chromium.new_context(ignore_https_errors=True)
            browser = Browser(context.new_page(), origin)
            walk_through(browser, live, outbox)
        finally:
            chromium.close()
    print("\n".join(["Pages visited:", *browser.visited]))
    assert browser.problems == [], "\n".join(browser.problems)


def add_a_passkey(browser: Browser) -> None:
    """Register a passkey with Chromium's virtual authenticator: allauth's scripts must run."""
    cdp = browser.page.context.new_cdp_session(browser.page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    browser.goto("/accounts/2fa/webauthn/add/")
    browser.page.fill("#id_name", "Test key")
    browser.page.check("#id_passwordless")  # a passkey: it can sign in on its own
    with browser.page.expect_navigation():
        browser.page.click("#mfa_webauthn_add")
    browser.goto("/accounts/2fa/webauthn/")
    assert "Test key" in browser.page.content()
    browser.shot("10-passkey-added")


def walk_through(browser: Browser, live: Stack, outbox: Path) -> None:
    page = browser.page
    browser.goto("/")
    browser.shot("01-home")

    browser.goto("/accounts/signup/")
    browser.shot("02-sign-up")
    browser.submit(
        {
            "#id_email": EMAIL,
            "#id_username": USERNAME,
            "#id_password1": PASSWORD,
            "#id_password2": PASSWORD,
        },
        "form[action='/accounts/signup/'] button[type=submit]",
    )
    assert page.url.endswith("/accounts/confirm-email/")
    browser.shot("03-verification-sent")

    page.goto(confirmation_link(outbox), wait_until="networkidle")
    browser.shot("04-confirm-email")
    with page.expect_navigation():
        page.click(SUBMIT)
    assert "/accounts/login/" in page.url

    browser.submit(CREDENTIALS, SUBMIT)
    assert page.url == browser.origin + "/"
    browser.shot("05-signed-in")

    browser.goto("/accounts/2fa/totp/activate/")
    assert "/accounts/reauthenticate/" in page.url
    browser.shot("06-reauthenticate")
    browser.submit({"#id_password": PASSWORD}, SUBMIT)
    browser.shot("07-totp-activate")
    secret = page.input_value("#authenticator_secret")
    browser.submit({"#id_code": totp(secret)}, SUBMIT)
    browser.shot("08-after-activation")
    browser.goto("/accounts/2fa/recovery-codes/")
    browser.shot("09-recovery-codes")
    add_a_passkey(browser)

    with page.expect_navigation():
        page.click("header form button[type=submit]")  # Log out
    browser.shot("11-signed-out")

    # Staff from here on, so the admin and the API docs open once the second factor is given.
    run([".venv/bin/python", "manage.py", "shell", "-c", MAKE_STAFF], live.project, **live.environ)

    browser.goto(f"/{ADMIN_URL}")  # the stack moves the admin (DJANGO_ADMIN_URL)
    assert "/accounts/login/" in page.url
    browser.submit(CREDENTIALS, SUBMIT)
    assert "/accounts/2fa/authenticate/" in page.url
    browser.shot("12-two-factor")
    browser.submit({"#id_code": totp(secret)}, SUBMIT)
    assert page.url == browser.origin + f"/{ADMIN_URL}"
    browser.shot("13-admin")

    browser.goto("/api/docs/")
    page.wait_for_selector(".swagger-ui .info", timeout=20_000)
    browser.shot("14-api-docs")
    browser.goto("/api/users/")
    browser.shot("15-api-browsable")

    browser.goto("/")
    with page.expect_navigation():
        page.click("header form button[type=submit]")  # Log out
    browser.goto("/accounts/login/")
    with page.expect_navigation():
        page.click("#passkey_login")  # the virtual authenticator answers
    assert page.url == browser.origin + "/"
    browser.shot("16-signed-in-with-passkey")
