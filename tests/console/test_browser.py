"""The console in a real browser: Playwright drives Debian's Chromium against the app under gunicorn.

Customer service signs in, finds an order a dealer placed through the mini-program API in the
review queue (by keyboard), approves it; the order is approved in the database and the dealer's
WeChat message reaches the sandbox. Screenshots of the main pages go to test-artifacts/.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import requests

from app.core.models import Order
from app.mall import accounts
from app.mall.models import ApprovalStep, WechatUser
from app.notify import delivery
from devkit.servers import ROOT
from tests.api.conftest import MP
from tests.console.conftest import PASSWORD

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", ROOT / "test-artifacts")) / "screenshots"

# Skipped on a machine without Chromium; never in CI, where .ci/run installs it.
pytestmark = pytest.mark.skipif(
    shutil.which(CHROMIUM) is None and os.environ.get("CI") != "true",
    reason="needs Chromium (apt-get install chromium), as .ci/run installs",
)


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield instance
        instance.close()


def dealer_places_order(base: str, customer, product, qty: int) -> dict:
    """Over HTTP, as the mini-program does: log in with a wx.login code, bind, order."""
    session = requests.Session()
    login = session.post(f"{base}{MP}/auth/login", json={"code": "browser-dealer"}, timeout=10)
    token = login.json()["token"]
    invitation = accounts.create_invitation("dealer", customer_id=customer.id)
    bound = session.post(
        f"{base}{MP}/auth/bind",
        json={"invite_code": invitation.code},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    headers = {"Authorization": f"Bearer {bound.json()['token']}"}
    response = session.post(
        f"{base}{MP}/orders",
        json={"lines": [{"product_id": product.id, "qty": qty}]},
        headers={**headers, "Idempotency-Key": "browser-order-1"},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return response.json()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/admin/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/admin/dashboard")


def test_customer_service_approves_an_api_order_in_the_browser(browser, gunicorn, co, sandbox, app):
    sandbox.state.reset()
    placed = dealer_places_order(gunicorn.url, co.east_customer, co.tea, 20)
    user = WechatUser.get(WechatUser.openid == "sandbox-browser-dealer")
    user.oa_openid, user.follows_oa = "sandbox-oa-browser-dealer", True
    user.save()

    page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    sign_in(page, gunicorn.url, co.staff["cs"].username)
    page.goto(f"{gunicorn.url}/admin/review")
    assert page.locator("table.queue").inner_text().count(placed["number"]) == 1
    shot(page, "review-queue")

    # Keyboard: j selects the first (oldest) order, Enter opens it.
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{gunicorn.url}/admin/orders/{placed['id']}")
    assert "可用库存" in page.content()
    shot(page, "order-review")

    page.keyboard.press("a")  # focuses the approval comment; Enter submits the form
    page.keyboard.type("已与经销商确认")
    page.keyboard.press("Enter")
    page.wait_for_selector(".flash-success")
    assert "订单已审核通过" in page.inner_text(".flash-success")
    shot(page, "order-approved")

    order = Order.get_by_id(placed["id"])
    assert order.status == "approved" and order.approved_at is not None
    review = ApprovalStep.get((ApprovalStep.order == order.id) & (ApprovalStep.seq == 0))
    assert (review.signed_by_id, review.comment) == (co.staff["cs"].id, "已与经销商确认")
    with app.app_context():
        delivery.deliver_due()
    (message,) = sandbox.messages(touser="sandbox-oa-browser-dealer")
    assert message["kind"] == "template"
    assert message["data"]["phrase2"]["value"] == "已审核" and "first" not in message["data"]
    assert placed["number"] in str(message["data"])


def test_screenshots_of_the_main_pages_and_charts_render(browser, gunicorn, co):
    co.order(co.east_customer, (co.tea, 5))
    page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # Content-Security-Policy violations and failed loads show up as console errors.
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    sign_in(page, gunicorn.url, co.staff["admin"].username)
    page.wait_for_selector("#chart-daily canvas")  # ECharts (vendored) drew the chart
    assert page.evaluate("typeof htmx") == "object"
    shot(page, "dashboard")
    for name, path in (
        ("orders", "/admin/orders"),
        ("customers", "/admin/customers"),
        ("customer", f"/admin/customers/{co.east_customer.id}"),
        ("products", "/admin/products"),
        ("stock", "/admin/stock"),
        ("ar-aging", "/admin/ar-aging"),
        ("visits", "/admin/visits"),
        ("field-reports", "/admin/field-reports"),
        ("approval-rules", "/admin/approval-rules"),
        ("staff", "/admin/staff"),
        ("announcements", "/admin/announcements"),
        ("notifications", "/admin/notifications"),
        ("organisation", "/admin/organisation"),
        ("products-import", "/admin/import/products"),
        ("returns", "/admin/returns"),
        ("integrations", "/admin/integrations"),
        ("reports", "/admin/reports"),
    ):
        response = page.goto(f"{gunicorn.url}{path}")
        assert response.status == 200, path
        shot(page, name)
    for chart in ("branches", "reps", "days", "targets", "customers", "products"):
        page.wait_for_selector(f"#chart-{chart} canvas")  # the report's charts drew
    page.select_option("#report-filters select[name=preset]", "last_month")  # submits at once
    page.wait_for_url("**preset=last_month**")
    assert "本期没有数据" in page.inner_text("#report-branch")
    page.goto(f"{gunicorn.url}/admin/customers/{co.east_customer.id}")
    page.click("#invite")
    page.wait_for_selector(".qr svg")
    shot(page, "invitation")

    phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    sign_in(phone, gunicorn.url, co.staff["hq"].username)
    phone.goto(f"{gunicorn.url}/admin/review")
    shot(phone, "phone-review-queue")
    assert errors == []
