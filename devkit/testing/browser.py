"""Plugin: Debian's Chromium driven by Playwright against the app under gunicorn, as the people
who use each page see it — a phone in WeChat's browser at 375 px, the console on an office screen
at 1366 px. Screenshots go to test-artifacts/screenshots/ (the phone's to h5/) to be looked at."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from devkit.servers import ROOT
from devkit.testing.clients import PASSWORD

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(os.environ.get("TEST_ARTIFACTS", ROOT / "test-artifacts")) / "screenshots"
WECHAT_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49(0x18003129) NetType/WIFI "
    "Language/zh_CN"
)
PHONE = {"width": 375, "height": 812}
DESK = {"width": 1366, "height": 900}


@pytest.fixture(scope="session")
def browser():
    """One Chromium per test process (each test opens contexts of its own). Skipped on a
    machine without Chromium; never in CI, where .ci/run installs it."""
    if shutil.which(CHROMIUM) is None and os.environ.get("CI") != "true":
        pytest.skip("needs Chromium (apt-get install chromium), as .ci/run installs")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                # A camera that shows a test pattern, allowed without asking (barcode scanning).
                "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream",
            ],
        )
        yield instance
        instance.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


class Screen:
    """A browser context on the app: a page, its console errors and failed loads (a test ends
    with `assert screen.errors == []`), screenshots by name."""

    def __init__(self, browser, base: str, shots: Path, **options):
        self.base, self.shots = base, shots
        self.context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **options)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        # Content-Security-Policy violations and failed loads show up as console errors.
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))

    def go(self, path: str):
        return self.page.goto(f"{self.base}{path}")

    def shot(self, name: str, full_page: bool = True) -> None:
        """The whole page, or (full_page=False) the screen as the person sees it now."""
        self.shots.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(self.shots / f"{name}.png"), full_page=full_page)

    def button(self, name: str):
        return self.page.get_by_role("button", name=name, exact=True)

    def flash(self, kind: str = "success") -> str:
        return self.page.locator(f".flash-{kind}").first.inner_text()


class WeChatPhone(Screen):
    """One person's WeChat: a phone-sized context with WeChat's user agent, whose WeChat user
    the sandbox knows by the sandbox_openid cookie."""

    def __init__(self, browser, base, shots, sandbox, person: str, **options):
        super().__init__(
            browser,
            base,
            shots / "h5",
            viewport=PHONE,
            user_agent=WECHAT_UA,
            is_mobile=True,
            has_touch=True,
            **options,
        )
        self.oa_openid = f"sandbox-oa-{person}"
        self.context.add_cookies(
            [{"name": "sandbox_openid", "value": self.oa_openid, "url": sandbox.url}]
        )

    def bind(self, code: str, lands_on: str = "/h5/?bound=1") -> None:
        """Open the invitation link and bind, as the welcome message's link does."""
        self.go(f"/h5/bind?code={code}")
        self.button("绑定").click()
        self.page.wait_for_url(f"{self.base}{lands_on}")

    def bind_staff(self, staff, kind: str = "rep") -> None:
        """Bind as that staff member through an invitation of theirs: a "rep" invitation lands
        on the rep's pages (/h5/rep/), a "staff" one on the other staff's (/h5/staff/)."""
        from app.mall import accounts

        code = accounts.create_invitation(kind, staff_id=staff.id).code
        self.bind(code, f"/h5/{kind}/?bound=1")

    def follow_official_account(self) -> None:
        """They follow the official account (the subscribe event, as the callback records it)
        and reload the page they are on."""
        from app.mall.models import WechatUser

        WechatUser.update(follows_oa=True).where(WechatUser.oa_openid == self.oa_openid).execute()
        self.page.reload()


class Desk(Screen):
    """The console on an office screen, signed in as one staff member."""

    def __init__(self, browser, base, shots, username: str, viewport=DESK):
        super().__init__(browser, base, shots, viewport=viewport)
        self.go("/admin/login")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", PASSWORD)
        self.page.click("button[type=submit]")
        self.page.wait_for_url(f"{base}/admin/dashboard")


@pytest.fixture
def wechat(browser, gunicorn, sandbox, screenshots):
    """wechat("dealer-a", geolocation=...): that person's phone; closed after the test."""
    opened: list[WeChatPhone] = []

    def open_phone(person: str, **options) -> WeChatPhone:
        opened.append(WeChatPhone(browser, gunicorn.url, screenshots, sandbox, person, **options))
        return opened[-1]

    yield open_phone
    for phone in opened:
        phone.context.close()


@pytest.fixture
def desk(browser, gunicorn, screenshots):
    """desk("cs1"): the console signed in as that user; desk("hq1", viewport=...) on a phone."""
    opened: list[Desk] = []

    def sign_in(username: str, **options) -> Desk:
        opened.append(Desk(browser, gunicorn.url, screenshots, username, **options))
        return opened[-1]

    yield sign_in
    for each in opened:
        each.context.close()


@pytest.fixture
def dealer_on_phone(wechat, shop):
    """dealer_on_phone("person"): that person's phone in Chromium, bound as a dealer of the shop's
    customer through the invitation link; returns (phone, their WeChat user)."""
    from app.mall import accounts
    from app.mall.models import WechatUser

    def bind(person: str):
        phone = wechat(person)
        phone.bind(accounts.create_invitation("dealer", customer_id=shop.customer.id).code)
        return phone, WechatUser.get(WechatUser.oa_openid == f"sandbox-oa-{person}")

    return bind
