"""The H5 pages through the test client: OAuth sign-in, binding, the dealer's pages, scoping,
CSRF, page weight and a fixed number of queries per page."""

import re

import pytest

from app.adapters.storage import LocalStorage
from app.core import orders as core_orders
from app.core.models import Order
from app.field import visits
from app.field.models import Visit
from app.mall import accounts
from app.mall.models import Invitation, WechatUser
from app.notify.models import Notification
from devkit.databases import statements
from devkit.factories import make_customer, make_staff
from devkit.testing.clients import bind_dealer, oauth_query, png_bytes


def test_a_page_without_a_session_goes_through_wechat_oauth_and_comes_back(phone, shop, app):
    p = phone("visitor")
    first = p.client.get("/h5/products?q=茶")
    assert first.status_code == 302
    assert first.location.startswith(
        app.config["WECHAT_OPEN_BASE_URL"] + "/connect/oauth2/authorize"
    )
    query = oauth_query(first.location.split("#")[0])
    assert query["scope"] == "snsapi_base" and query["appid"] == app.config["WECHAT_OA_APPID"]
    assert query["redirect_uri"].endswith("/h5/oauth") and query["state"]
    page = p.open("/h5/products?q=茶")  # the whole dance: not bound yet → the binding page
    assert page.status_code == 302 and page.location.endswith("/h5/bind")
    user = WechatUser.get(WechatUser.oa_openid == "sandbox-oa-visitor")
    assert user.unionid == "sandbox-union-visitor"


def test_an_oauth_answer_for_another_browser_is_not_taken(phone, app):
    p = phone("visitor")
    p.client.get("/h5/")
    forged = p.client.get("/h5/oauth?code=oauthdeadbeef&state=someone-elses")
    assert forged.status_code == 302 and "/connect/oauth2/authorize" in forged.location
    assert not WechatUser.select().where(WechatUser.oa_openid == "sandbox-oa-visitor").exists()


def test_binding_says_why_a_code_fails_and_keeps_what_was_typed(phone, shop):
    p = phone("binder")
    unknown = p.post("/h5/bind", {"code": "NOPE1234"})
    assert unknown.status_code == 422
    page = unknown.get_data(as_text=True)
    assert "邀请码不存在" in page and 'value="NOPE1234"' in page
    used = accounts.create_invitation("dealer", customer_id=shop.customer.id)
    assert p.post("/h5/bind", {"code": used.code}).status_code == 302
    again = phone("someone-else").post("/h5/bind", {"code": used.code})
    assert "该邀请码已被使用" in again.get_data(as_text=True)
    expired = accounts.create_invitation("dealer", customer_id=shop.customer.id)
    Invitation.update(expires_at=Invitation.created_at).where(Invitation.id == expired.id).execute()
    late = phone("late").post("/h5/bind", {"code": expired.code})
    assert "该邀请码已过期" in late.get_data(as_text=True)


def test_the_bind_link_is_prefilled(phone, shop):
    page = phone("linker").open("/h5/bind?code=ABCD2345").get_data(as_text=True)
    assert 'value="ABCD2345"' in page and ">绑定</button>" in page


def test_every_post_needs_the_csrf_token(dealer_phone, shop):
    refused = dealer_phone.client.post(f"/h5/cart/items/{shop.tea.id}", data={"qty": "5"})
    assert refused.status_code == 400
    assert dealer_phone.open("/h5/cart").get_data(as_text=True).count("cart-line") == 0


def test_catalogue_shows_the_dealers_prices_and_stock_status_never_quantities(dealer_phone, shop):
    page = dealer_phone.open("/h5/products").get_data(as_text=True)
    assert "¥45.00" in page  # the tea at the customer's level-3 price, not the list price
    assert "¥170.00" in page  # the oil from the customer's own price book
    assert "有货" in page and "库存紧张" in page
    product = dealer_phone.open(f"/h5/products/{shop.boxed.id}").get_data(as_text=True)
    assert 'min="6" step="6"' in product and "起订量 / 订货倍数" in product
    assert ">加入购物车</button>" in product


def test_cart_to_order_makes_one_order_for_a_resent_form(dealer_phone, shop):
    dealer_phone.post(f"/h5/cart/items/{shop.tea.id}", {"qty": "10"}, from_page="/h5/cart")
    cart = dealer_phone.open("/h5/cart").get_data(as_text=True)
    assert "¥450.00" in cart and ">提交订单</button>" in cart
    key = cart.split('name="idempotency_key" value="')[1].split('"')[0]
    first = dealer_phone.post(
        "/h5/orders", {"idempotency_key": key, "remark": "上午送"}, from_page="/h5/cart"
    )
    # The same form sent again (a double tap the page did not stop, or a re-sent form).
    again = dealer_phone.post(
        "/h5/orders", {"idempotency_key": key, "remark": "上午送"}, from_page="/h5/cart"
    )
    assert first.location == again.location
    assert Order.select().count() == 1
    order = Order.get()
    assert (order.remark, order.total) == ("上午送", order.total)


def test_a_refused_order_says_why_and_keeps_what_was_typed(dealer_phone, shop):
    empty = dealer_phone.post("/h5/orders", {"idempotency_key": "k" * 12}, from_page="/h5/cart")
    assert empty.status_code == 422 and "购物车是空的" in empty.get_data(as_text=True)
    dealer_phone.post(f"/h5/cart/items/{shop.tea.id}", {"qty": "10"}, from_page="/h5/cart")
    refused = dealer_phone.post(
        "/h5/orders",
        {"idempotency_key": "k" * 12, "address_id": "999999", "remark": "下午送到后门"},
        from_page="/h5/cart",
    )
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert "收货地址不存在" in text and 'value="下午送到后门"' in text
    assert Order.select().count() == 0


def test_another_wechat_user_sees_nothing_of_the_order(dealer_phone, phone, shop):
    dealer_phone.post(f"/h5/cart/items/{shop.tea.id}", {"qty": "10"}, from_page="/h5/cart")
    cart = dealer_phone.open("/h5/cart").get_data(as_text=True)
    key = cart.split('name="idempotency_key" value="')[1].split('"')[0]
    dealer_phone.post("/h5/orders", {"idempotency_key": key}, from_page="/h5/cart")
    order = Order.get()
    stranger = phone("stranger")
    invitation = accounts.create_invitation("dealer", customer_id=shop.other.id)
    stranger.post("/h5/bind", {"code": invitation.code})
    seen = stranger.open(f"/h5/orders/{order.id}")
    assert seen.status_code == 404, (seen.location, seen.get_data(as_text=True)[:200])
    assert order.number not in stranger.open("/h5/orders").get_data(as_text=True)
    assert order.number not in stranger.open("/h5/messages").get_data(as_text=True)
    cancelled = stranger.post(f"/h5/orders/{order.id}/cancel", from_page="/h5/orders")
    assert cancelled.status_code in (302, 404)
    assert Order.get_by_id(order.id).status == "pending_review"


def test_account_shows_position_and_a_statement_over_a_chosen_range(dealer_phone):
    page = dealer_phone.open("/h5/account").get_data(as_text=True)
    assert "信用额度" in page and "¥5,000.00" in page and "期初余额" in page
    bad = dealer_phone.open("/h5/account?from=2026-03-01&to=2026-01-01")
    assert bad.status_code == 422 and "开始日期不能晚于结束日期" in bad.get_data(as_text=True)


PAGES = [
    "/h5/",
    "/h5/products",
    "/h5/cart",
    "/h5/orders",
    "/h5/account",
    "/h5/messages",
    "/h5/favourites",
    "/h5/quick-order",
]


@pytest.mark.parametrize("path", [*PAGES, "order", "product"])
def test_each_page_runs_a_fixed_number_of_queries_and_stays_small(dealer_phone, shop, path):
    def make_orders(n):
        for _ in range(n):
            order = core_orders.create_order(
                shop.customer.id, [core_orders.LineRequest(shop.tea.id, 1)]
            )
        return order

    def resolve(p, order):
        return {"order": f"/h5/orders/{order.id}", "product": f"/h5/products/{shop.tea.id}"}.get(
            p, p
        )

    order = make_orders(1)
    dealer_phone.open(resolve(path, order))  # warm: the session is in place
    with statements() as few:
        page = dealer_phone.client.get(resolve(path, order))
    assert page.status_code == 200
    assert len(page.get_data()) < 60_000
    order = make_orders(8)
    with statements() as many:
        dealer_phone.client.get(resolve(path, order))
    assert len(many) == len(few) <= 16, (path, len(few), len(many))


def test_the_same_person_as_in_the_mini_program_is_the_same_account(client, phone, shop):

    bind_dealer(client, shop.customer, "both-ways")  # bound in the mini-program
    page = phone("both-ways").open("/h5/")  # WeChat gives the same unionid in the H5 pages
    assert page.status_code == 200 and shop.customer.name in page.get_data(as_text=True)
    assert WechatUser.select().where(WechatUser.unionid == "sandbox-union-both-ways").count() == 1


def test_an_idle_session_signs_in_again_through_wechat(dealer_phone, app):
    assert dealer_phone.client.get("/h5/orders").status_code == 200
    with dealer_phone.client.session_transaction() as session:
        session["h5_seen"] -= app.config["H5_IDLE_MINUTES"] * 60 + 1
    again = dealer_phone.client.get("/h5/orders")
    assert again.status_code == 302 and "/connect/oauth2/authorize" in again.location


def test_the_pages_own_css_and_js_are_small_and_make_no_outside_requests(dealer_phone):
    for asset in ("h5.css", "h5.js"):
        response = dealer_phone.client.get(f"/h5/static/{asset}")
        assert response.status_code == 200 and len(response.get_data()) < 60_000
    page = dealer_phone.open("/h5/")
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert "http://" not in page.get_data(as_text=True).replace("http://localhost", "")


def test_staff_bind_and_sign_on_the_phone_under_the_consoles_rules(phone, co, client):
    from app.backoffice import accounts as staff_accounts

    order = co.order(co.east_customer, (co.tea, 10))
    cs = phone("cs-phone")
    invitation = staff_accounts.invite_staff(co.staff["admin"], co.staff["cs_east"].id)
    bound = cs.post("/h5/bind", {"code": invitation.code})
    assert bound.location.endswith("/h5/staff/?bound=1")
    queue = cs.open("/h5/staff/").get_data(as_text=True)
    assert order.number in queue
    page = cs.open(f"/h5/staff/orders/{order.id}").get_data(as_text=True)
    assert ">通过</button>" in page and ">驳回</button>" in page and "可用库存" in page
    assert "信用与资金" in page
    approved = cs.post(
        f"/h5/staff/orders/{order.id}/approve", {"comment": "已核对"}, from_page="/h5/staff/"
    )
    assert approved.status_code == 302
    assert Order.get_by_id(order.id).status == "approved"

    wh = phone("wh-phone")
    wh.post(
        "/h5/bind", {"code": staff_accounts.invite_staff(co.staff["admin"], co.staff["wh"].id).code}
    )
    seen = wh.open(f"/h5/staff/orders/{order.id}").get_data(as_text=True)
    assert ">通过</button>" not in seen  # the warehouse does not sign

    south = phone("bm-south-phone")
    south.post(
        "/h5/bind",
        {"code": staff_accounts.invite_staff(co.staff["admin"], co.staff["bm_south"].id).code},
    )
    assert south.open(f"/h5/staff/orders/{order.id}").status_code == 404  # another branch's order
    refused = south.post(
        f"/h5/staff/orders/{order.id}/reject", {"reason": "x"}, from_page="/h5/staff/"
    )
    assert refused.status_code in (302, 404) and Order.get_by_id(order.id).status == "approved"


def test_the_dealers_inbox_page_marks_messages_read(dealer_phone, shop):
    order = core_orders.create_order(shop.customer.id, [core_orders.LineRequest(shop.tea.id, 1)])
    core_orders.approve_order(order.id, "staff:1")
    home = dealer_phone.open("/h5/").get_data(as_text=True)
    assert "1 条未读消息" in home  # the badge in the navigation
    page = dealer_phone.open("/h5/messages").get_data(as_text=True)
    assert "订单已审核通过" in page and "全部已读" in page
    message_id = int(re.search(r"/h5/messages/(\d+)", page).group(1))
    opened = dealer_phone.client.get(f"/h5/messages/{message_id}")
    assert opened.location.endswith(f"/h5/orders/{order.id}")
    assert "未读消息" not in dealer_phone.open("/h5/").get_data(as_text=True)


def test_a_rep_reads_the_news_of_orders_they_placed_in_their_own_inbox(phone, shop, dealer_phone):
    rep = make_staff("rep", shop.branch, username="h5-inbox-rep")
    store = make_customer(shop.branch, shop.warehouse, rep_id=rep.id, name="徐汇门店")
    rep_phone = phone("h5-inbox-rep")
    invitation = accounts.create_invitation("rep", staff_id=rep.id)
    assert rep_phone.post("/h5/bind", {"code": invitation.code}).status_code == 302
    placed = core_orders.create_order(
        store.id,
        [core_orders.LineRequest(shop.tea.id, 1)],
        source="rep",
        placed_by=f"rep:{rep.id}",
    )
    core_orders.approve_order(placed.id, "staff:1")

    home = rep_phone.open("/h5/rep/").get_data(as_text=True)
    assert "1 条未读消息" in home
    page = rep_phone.open("/h5/messages").get_data(as_text=True)
    assert "订单已审核通过" in page and "返回今日拜访" in page  # the rep's layout
    message_id = int(re.search(r"/h5/messages/(\d+)", page).group(1))
    opened = rep_phone.client.get(f"/h5/messages/{message_id}")
    assert opened.location.endswith(f"/h5/rep/customers/{store.id}")
    assert "未读消息" not in rep_phone.open("/h5/rep/").get_data(as_text=True)
    # Not the dealer's message, and the dealer cannot open it either.
    assert "订单已审核通过" not in dealer_phone.open("/h5/messages").get_data(as_text=True)
    assert dealer_phone.client.get(f"/h5/messages/{message_id}").status_code == 404


def test_an_order_a_rep_placed_says_who_on_the_dealers_pages_and_in_their_inbox(dealer_phone, shop):
    rep = make_staff("rep", shop.branch, username="h5-placing-rep", name="郑华东")
    placed = core_orders.create_order(
        shop.customer.id,
        [core_orders.LineRequest(shop.tea.id, 1)],
        source="rep",
        placed_by=f"rep:{rep.id}",
    )
    own = core_orders.create_order(shop.customer.id, [core_orders.LineRequest(shop.tea.id, 1)])

    page = dealer_phone.open(f"/h5/orders/{placed.id}").get_data(as_text=True)
    assert '<p class="placed-for">业务员 郑华东 代下单</p>' in page
    assert "代下单" not in dealer_phone.open(f"/h5/orders/{own.id}").get_data(as_text=True)
    listed = dealer_phone.open("/h5/orders").get_data(as_text=True)
    assert listed.count("业务员 郑华东 代下单") == 1
    inbox = dealer_phone.open("/h5/messages").get_data(as_text=True)
    assert "业务员 郑华东 已为您代下单" in inbox
    sent = Notification.get((Notification.order == placed.id) & (Notification.audience == "dealer"))
    assert sent.kind == "submit"  # and WeChat, where the dealer can be reached
    assert (
        not Notification.select()
        .where((Notification.order == own.id) & (Notification.audience == "dealer"))
        .exists()
    )  # the dealer's own order tells them nothing


def test_a_reps_store_page_gives_its_contact_with_a_number_to_call_and_its_address(phone, shop):
    rep = make_staff("rep", shop.branch, username="h5-contact-rep")
    store = make_customer(
        shop.branch,
        shop.warehouse,
        rep_id=rep.id,
        name="闵行门店",
        contact="孙店长",
        phone="135 0000 2222",
        address="上海市闵行区七莘路 88 号",
    )
    rep_phone = phone("h5-contact-rep")
    invitation = accounts.create_invitation("rep", staff_id=rep.id)
    assert rep_phone.post("/h5/bind", {"code": invitation.code}).status_code == 302
    page = rep_phone.open(f"/h5/rep/customers/{store.id}").get_data(as_text=True)
    contact = page[page.index('aria-label="门店联系"') : page.index("</section>")]
    assert '联系人</span></div><div class="weui-cell__bd">孙店长' in contact
    assert 'href="tel:13500002222"' in contact and "135 0000 2222" in contact
    assert "上海市闵行区七莘路 88 号" in contact


def test_a_visits_shelf_photos_are_shown_to_its_rep_only(phone, shop, app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path))
    reps = {}
    for name in ("h5-photo-rep", "h5-photo-other-rep"):
        staff = make_staff("rep", shop.branch, username=name)
        reps[name] = phone(name), staff
        code = accounts.create_invitation("rep", staff_id=staff.id).code
        assert reps[name][0].post("/h5/bind", {"code": code}).status_code == 302
    rep_phone, rep = reps["h5-photo-rep"]
    other_phone, _ = reps["h5-photo-other-rep"]
    store = make_customer(shop.branch, shop.warehouse, rep_id=rep.id, name="长宁门店")
    visit = Visit.create(
        staff=rep.id,
        customer=store.id,
        open_for_staff=rep.id,
        checkin_lat=0,
        checkin_lng=0,
        checkin_distance_m=0,
    )
    photo = visits.add_photo(rep, visit.id, png_bytes(), LocalStorage(tmp_path), 1024)
    url = f"/h5/rep/visits/{visit.id}/photos/{photo.id}"

    page = rep_phone.open(f"/h5/rep/visits/{visit.id}").get_data(as_text=True)
    assert f'<a href="{url}"><img src="{url}" alt="货架照片 1"' in page
    shown = rep_phone.open(url)
    assert shown.status_code == 200 and shown.mimetype == "image/png"
    assert shown.get_data() == png_bytes()
    assert shown.headers["Cache-Control"] == "private, max-age=86400"
    assert other_phone.open(url).status_code == 404  # another rep's visit
    assert rep_phone.open(f"/h5/rep/visits/{visit.id}/photos/{photo.id + 1}").status_code == 404


def test_an_order_paid_in_part_says_what_was_paid_beside_what_is_left(dealer_phone, shop):
    from decimal import Decimal

    from app.core.receivables import record_receipt

    order = core_orders.create_order(shop.customer.id, [core_orders.LineRequest(shop.tea.id, 4)])
    core_orders.approve_order(order.id, "test")
    line = Order.get_by_id(order.id).lines[0]
    core_orders.ship_order(order.id, [(line.id, 4)], "顺丰", "SF77", "test")
    record_receipt(shop.customer.id, Decimal("100.00"), "bank", "部分回款", recorded_by="test")
    page = dealer_phone.open(f"/h5/orders/{order.id}").get_data(as_text=True)
    pay = page.split('class="pay-order"')[1].split("</form>")[0]
    assert "¥80.00" in pay and "订单合计 ¥180.00，其中 ¥100.00 已付款或已冲抵" in pay


def test_a_wrong_h5_address_or_method_is_a_page_in_words_while_the_api_keeps_json(
    dealer_phone, client
):
    for response in (
        dealer_phone.open("/h5/nonexistent"),
        dealer_phone.open("/h5/orders/abc/nothing"),
        dealer_phone.client.put("/h5/orders"),
    ):
        assert response.mimetype == "text/html", response.get_data(as_text=True)[:200]
        page = response.get_data(as_text=True)
        assert "无法完成" in page and "返回首页" in page and '"error"' not in page
        assert "Content-Security-Policy" in response.headers
    assert dealer_phone.client.put("/h5/orders").status_code == 405
    assert "页面不存在" in dealer_phone.open("/h5/nonexistent").get_data(as_text=True)
    api = client.get("/api/nonexistent")
    assert api.status_code == 404 and api.get_json()["error"]["code"] == "not_found"


def test_every_amount_on_the_dealers_pages_is_written_one_way(dealer_phone, shop):
    dealer_phone.post(f"/h5/cart/items/{shop.tea.id}", {"qty": "40"}, from_page="/h5/cart")
    cart = dealer_phone.open("/h5/cart").get_data(as_text=True)
    assert "¥1,800.00" in cart and "¥1800.00" not in cart
    assert "可用信用额度 ¥5,000.00，提交后剩余 ¥3,200.00" in cart
    key = cart.split('name="idempotency_key" value="')[1].split('"')[0]
    placed = dealer_phone.post("/h5/orders", {"idempotency_key": key}, from_page="/h5/cart")
    for page in (dealer_phone.open(placed.location), dealer_phone.open("/h5/orders")):
        text = page.get_data(as_text=True)
        assert "¥1,800.00" in text and "¥1800.00" not in text
    statement = dealer_phone.open("/h5/statements").get_data(as_text=True)
    assert re.search(r'<td class="num">¥0\.00</td>', statement)
    assert not re.search(r'<td class="num">-?\d', statement)


def test_quantities_and_prices_say_their_unit(dealer_phone, shop):
    order = core_orders.create_order(shop.customer.id, [core_orders.LineRequest(shop.tea.id, 4)])
    core_orders.approve_order(order.id, "test")
    line = Order.get_by_id(order.id).lines[0]
    core_orders.ship_order(order.id, [(line.id, 4)], "顺丰", "SF78", "test")
    page = dealer_phone.open(f"/h5/orders/{order.id}").get_data(as_text=True)
    assert "茉莉绿茶 × 4 箱" in page  # the shipment
    assert "× 4 箱 · 已发 4 箱" in page  # the line
    catalogue = dealer_phone.open("/h5/products").get_data(as_text=True)
    assert '<span class="price">¥45.00/箱</span>' in catalogue
    home = dealer_phone.open("/h5/").get_data(as_text=True)
    recent = home.split('aria-label="最近订购"')[1].split("</section>")[0]
    assert '上次 4 箱 · <span class="">¥45.00/箱</span>' in recent


def test_recently_ordered_leaves_out_cancelled_and_rejected_orders(dealer_phone, shop):
    core_orders.create_order(shop.customer.id, [core_orders.LineRequest(shop.oil.id, 1)])
    cancelled = core_orders.create_order(
        shop.customer.id, [core_orders.LineRequest(shop.tea.id, 3)]
    )
    core_orders.cancel_order(cancelled.id, "test")
    rejected = core_orders.create_order(
        shop.customer.id, [core_orders.LineRequest(shop.boxed.id, 6)]
    )
    core_orders.reject_order(rejected.id, "test", "价格不对")
    home = dealer_phone.open("/h5/").get_data(as_text=True)
    recent = home.split('aria-label="最近订购"')[1].split("</section>")[0]
    assert "花生油" in recent and "茉莉绿茶" not in recent and "饼干" not in recent
