"""The console in a real browser: Playwright drives Debian's Chromium against the app under gunicorn.

Customer service signs in, finds an order a dealer placed through the mini-program API in the
review queue (by keyboard), approves it; the order is approved in the database and the dealer's
WeChat message reaches the sandbox. Screenshots of the main pages go to test-artifacts/.
"""

from __future__ import annotations

from app import outbox
from app.approval.models import ApprovalStep
from app.core.models import Order
from app.notify.delivery import NOTIFICATIONS
from devkit.testing.clients import MP, HttpClient, bind_dealer, follow_official_account


def dealer_places_order(base: str, customer, product, qty: int) -> dict:
    """Over HTTP, as the mini-program does: log in with a wx.login code, bind, order."""
    http = HttpClient(base)
    headers = bind_dealer(http, customer, "browser-dealer")
    response = http.session.post(
        f"{base}{MP}/orders",
        json={"lines": [{"product_id": product.id, "qty": qty}]},
        headers={**headers, "Idempotency-Key": "browser-order-1"},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_customer_service_approves_an_api_order_in_the_browser(desk, gunicorn, co, sandbox, app):
    sandbox.state.reset()
    placed = dealer_places_order(gunicorn.url, co.east_customer, co.tea, 20)
    follow_official_account("browser-dealer")

    cs = desk(co.staff["cs"].username)
    page = cs.page
    cs.go("/admin/review")
    assert page.locator("table.queue").inner_text().count(placed["number"]) == 1
    cs.shot("review-queue")

    # Keyboard: j selects the first (oldest) order, Enter opens it.
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{gunicorn.url}/admin/orders/{placed['id']}")
    assert "可用库存" in page.content()
    cs.shot("order-review")

    page.keyboard.press("a")  # focuses the approval comment; Enter submits the form
    page.keyboard.type("已与经销商确认")
    page.keyboard.press("Enter")
    page.wait_for_selector(".flash-success")
    assert "订单已审核通过" in page.inner_text(".flash-success")
    cs.shot("order-approved")

    order = Order.get_by_id(placed["id"])
    assert order.status == "approved" and order.approved_at is not None
    review = ApprovalStep.get(
        (ApprovalStep.document == "order")
        & (ApprovalStep.document_id == order.id)
        & (ApprovalStep.seq == 0)
    )
    assert (review.signed_by_id, review.comment) == (co.staff["cs"].id, "已与经销商确认")
    with app.app_context():
        outbox.deliver_due(NOTIFICATIONS)
    (message,) = sandbox.messages(touser="sandbox-oa-browser-dealer")
    assert message["kind"] == "template"
    assert message["data"]["phrase2"]["value"] == "已审核" and "first" not in message["data"]
    assert placed["number"] in str(message["data"])


def test_screenshots_of_the_main_pages_and_charts_render(desk, gunicorn, co):
    co.order(co.east_customer, (co.tea, 5))
    admin = desk(co.staff["admin"].username)
    page = admin.page
    page.wait_for_selector("#chart-daily canvas")  # ECharts (vendored) drew the chart
    assert page.evaluate("typeof htmx") == "object"
    admin.shot("dashboard")
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
        response = admin.go(path)
        assert response.status == 200, path
        admin.shot(name)
    for chart in ("branches", "reps", "days", "targets", "customers", "products"):
        page.wait_for_selector(f"#chart-{chart} canvas")  # the report's charts drew
    page.select_option("#report-filters select[name=preset]", "last_month")  # submits at once
    page.wait_for_url("**preset=last_month**")
    assert "本期没有数据" in page.inner_text("#report-branch")
    admin.go(f"/admin/customers/{co.east_customer.id}")
    page.click("#invite")
    page.wait_for_selector(".qr svg")
    admin.shot("invitation")

    phone = desk(co.staff["hq"].username, viewport={"width": 390, "height": 844})
    phone.go("/admin/review")
    phone.shot("phone-review-queue")
    assert admin.errors == [] and phone.errors == []
