"""A rep in a store on the phone (375 px, WeChat): a real order from the dealer's catalogue at the
dealer's prices, with search, categories, steppers and the visit's cart; the stock/sales report
shows what was sent; the visit shows its shelf photos and the orders placed in it, the store's
page its latest orders."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from PIL import Image
from playwright.sync_api import expect

from app.core.models import Order
from app.field.models import StockSalesReport, Visit
from devkit.factories import STORE_AT, make_staff, make_store, make_style, place

LOADED = "img => img.complete && img.naturalWidth > 0"


def rep_in_store(wechat, shop, person: str):
    """A rep of a new store (no orders yet, so no suggestions), checked in there."""
    rep = make_staff("rep", shop.branch, username=person, name="业务员小赵")
    store = make_store(
        shop.branch,
        shop.warehouse,
        rep,
        "新开便利店",
        level=3,
        contact="孙店长",
        phone="13500002222",
        address="上海市静安区新闸路 100 号",
    )
    phone = wechat(person, geolocation=STORE_AT, permissions=["geolocation"])
    phone.bind_staff(rep)
    phone.go(f"/h5/rep/customers/{store.id}")
    phone.button("签到").click()
    phone.page.wait_for_url(f"{phone.base}/h5/rep/visits/*")
    return phone, rep, store


def test_a_rep_takes_an_order_at_a_new_store_from_the_dealers_catalogue(wechat, shop):
    phone, rep, store = rep_in_store(wechat, shop, "rep-catalogue")
    page = phone.page
    page.get_by_role("link", name="选商品").click()
    page.get_by_label("搜索商品").fill("花生油")
    page.get_by_role("button", name="搜索").click()
    oil = page.locator(".rep-product", has_text="花生油")
    assert "¥180.00" in oil.inner_text()  # this dealer's level-3 price, not the list price
    oil.get_by_role("button", name="增加数量").click()
    oil.get_by_role("button", name="加入 花生油").click()
    page.locator("#visit-cart-bar", has_text="¥360.00").wait_for()
    assert "已加入 2 箱" in oil.inner_text()

    page.get_by_label("搜索商品").fill("")  # the categories keep the words searched for
    page.get_by_role("button", name="搜索").click()
    page.get_by_role("link", name="茶饮料").click()
    tea = page.locator(".rep-product", has_text="茉莉绿茶")
    tea.get_by_role("button", name="加入 茉莉绿茶").click()
    page.locator("#visit-cart-bar", has_text="已选 2 种").wait_for()
    phone.shot("rep-catalogue")

    page.get_by_role("link", name="去下单").click()
    stepper = page.get_by_label("茉莉绿茶 数量")
    stepper.fill("3")
    stepper.blur()
    page.locator("#checkout-total", has_text="¥495.00").wait_for()  # 2 × 180 + 3 × 45
    assert "孙店长 13500002222" in page.locator("fieldset.delivery").inner_text()
    page.get_by_label("备注").fill("下周一前到货")
    phone.shot("rep-visit-cart")
    phone.button("提交订单").click()
    page.get_by_text("已为客户下单").wait_for()
    order = Order.get(Order.customer == store.id)
    assert sorted((ln.product.name, ln.qty, ln.price) for ln in order.lines) == [
        ("花生油", 2, Decimal("180.00")),
        ("茉莉绿茶", 3, Decimal("45.00")),
    ]
    assert (order.placed_by, order.source, order.remark) == (f"rep:{rep.id}", "rep", "下周一前到货")
    assert "上海市静安区新闸路 100 号" in order.address
    assert phone.errors == []


def test_the_report_shows_what_was_sent_and_keeps_it_to_correct(wechat, shop):
    phone, _, store = rep_in_store(wechat, shop, "rep-report")
    page = phone.page
    page.get_by_label("茉莉绿茶 库存").fill("12")
    page.get_by_label("茉莉绿茶 销量").fill("30")
    phone.button("上报进销存").click()
    page.get_by_text("已上报 1 种商品的进销存").wait_for()
    sent = page.locator("#report-sent").inner_text()
    # What was sent, in the products' units: a summary, not a second table like the form.
    assert "已上报 1 种商品" in sent and "库存 12 箱 · 销量 30 箱" in sent and "茉莉绿茶" in sent
    assert page.locator("#report-sent table").count() == 0
    form = page.get_by_role("form", name="更正进销存")
    assert "更正上报" in form.inner_text()
    assert page.get_by_label("茉莉绿茶 库存").input_value() == "12"  # kept to correct
    last_row = form.locator("tbody tr").last.bounding_box()
    again = form.get_by_role("button", name="重新上报").bounding_box()
    assert again["y"] >= last_row["y"] + last_row["height"]  # below the last row, not over it
    assert page.evaluate("document.documentElement.scrollWidth <= 375")
    assert StockSalesReport.select().where(StockSalesReport.customer == store.id).count() == 1
    phone.shot("rep-report-sent")
    assert phone.errors == []


def shelf_photo(tmp_path, name: str, colour, size=(1200, 900)) -> str:
    path = tmp_path / name
    Image.new("RGB", size, colour).save(path)
    return str(path)


def test_the_visit_shows_its_photos_and_orders_and_the_store_page_its_latest_orders(
    wechat, shop, tmp_path
):
    phone, rep, store = rep_in_store(wechat, shop, "rep-visit-record")
    page = phone.page
    visit = Visit.get(Visit.customer == store.id)
    # Before this visit the rep ordered for the store; during it the dealer ordered themselves.
    earlier = place(store, (shop.oil, 1), source="rep", placed_by=f"rep:{rep.id}")
    Order.update(created_at=visit.checkin_at - dt.timedelta(days=3)).where(
        Order.id == earlier.id
    ).execute()
    by_dealer = place(store, (shop.tea, 2), placed_by="wechat:1")

    for name, colour in (("shelf-1.jpg", (46, 139, 87)), ("shelf-2.png", (240, 200, 40))):
        page.get_by_label("拍摄货架照片").set_input_files(shelf_photo(tmp_path, name, colour))
        phone.button("上传照片").click()
        page.get_by_text("照片已上传").wait_for()
    thumbs = page.locator(".visit-photos img")
    assert thumbs.count() == 2
    assert "货架照片（2）" in page.get_by_role("region", name="货架照片").inner_text()
    for i in range(2):
        page.wait_for_function(LOADED, arg=thumbs.nth(i).element_handle())
        box = thumbs.nth(i).bounding_box()
        assert (box["width"], box["height"]) == (64, 64)  # small, however big the photo

    page.get_by_role("link", name="选商品").click()
    page.locator(".rep-product", has_text="茉莉绿茶").get_by_role(
        "button", name="加入 茉莉绿茶"
    ).click()
    page.locator("#visit-cart-bar", has_text="已选 1 种").wait_for()
    page.get_by_role("link", name="去下单").click()
    stepper = page.get_by_label("茉莉绿茶 数量")
    stepper.fill("30")
    stepper.blur()
    page.locator("#checkout-total", has_text="¥1,350.00").wait_for()
    assert page.locator("#visit-orders").count() == 0  # nothing ordered in this visit yet
    phone.button("提交订单").click()
    page.get_by_text("已为客户下单").wait_for()
    placed = Order.get(
        (Order.customer == store.id) & (Order.source == "rep") & (Order.id > by_dealer.id)
    )
    ordered = page.locator("#visit-orders")
    assert "本次下单（1）" in ordered.inner_text()
    row = ordered.locator(f"#order-{placed.id}").inner_text()
    assert placed.number in row and "¥1,350.00" in row and "待审核" in row
    assert earlier.number not in ordered.inner_text()  # another visit's
    assert by_dealer.number not in ordered.inner_text()  # the dealer's own
    phone.shot("rep-visit-photos-and-orders")

    # Shown on its own, a picture makes Chromium ask for the site's /favicon.ico (there is none).
    favicon: list[str] = []
    page.on(
        "console", lambda m: m.location["url"].endswith("/favicon.ico") and favicon.append(m.text)
    )
    page.get_by_role("link", name="货架照片 1").click()  # opens the photo itself
    page.wait_for_url(f"{phone.base}/h5/rep/visits/{visit.id}/photos/*")
    assert page.evaluate("document.contentType") == "image/jpeg"
    page.go_back()

    phone.go(f"/h5/rep/customers/{store.id}")
    recent = page.locator("#store-orders")
    rows = recent.locator(".weui-cell")
    assert [rows.nth(i).get_attribute("id") for i in range(rows.count())] == [
        f"order-{placed.id}",
        f"order-{by_dealer.id}",
        f"order-{earlier.id}",
    ]  # newest first, whoever placed them
    assert "¥1,350.00" in rows.nth(0).inner_text() and "我代下" in rows.nth(0).inner_text()
    assert "我代下" not in rows.nth(1).inner_text()
    assert "¥180.00" in rows.nth(2).inner_text() and "我代下" in rows.nth(2).inner_text()
    assert recent.evaluate("e => e.scrollWidth <= e.clientWidth")  # nothing runs off the phone
    phone.shot("rep-store-orders")

    phone.go(f"/h5/rep/visits/{visit.id}")
    phone.button("签退").click()
    page.wait_for_url(f"{phone.base}/h5/rep/")
    phone.go(f"/h5/rep/visits/{visit.id}")  # the visit, closed: what it did stays listed
    assert page.locator(".visit-photos img").count() == 2
    assert placed.number in page.locator("#visit-orders").inner_text()
    phone.shot("rep-visit-closed")
    errors = list(phone.errors)
    for each in favicon:
        errors.remove(each)
    assert errors == []


def test_far_away_is_said_in_kilometres(wechat, shop):
    rep = make_staff("rep", shop.branch, username="rep-far")
    store = make_store(shop.branch, shop.warehouse, rep, "苏州门店")
    suzhou = {"latitude": 31.2989, "longitude": 119.9}  # about 155 km west
    phone = wechat("rep-far", geolocation=suzhou, permissions=["geolocation"])
    phone.bind_staff(rep)
    phone.go(f"/h5/rep/customers/{store.id}")
    phone.button("签到").click()
    message = phone.page.get_by_role("alert").inner_text()
    assert re.fullmatch(r"距离门店 1\d\d\.\d 公里，超出签到范围 500 米", message), message
    phone.shot("rep-too-far-km")
    phone.errors = [e for e in phone.errors if "422" not in e]  # the refusal was the point
    assert phone.errors == []


def test_checking_out_far_from_the_store_warns_first_and_the_console_shows_the_same(
    wechat, desk, shop
):
    phone, _rep, store = rep_in_store(wechat, shop, "rep-leaves-early")
    visit = Visit.get(Visit.customer == store.id)
    Visit.update(checkin_at=visit.checkin_at - dt.timedelta(seconds=50)).where(
        Visit.id == visit.id
    ).execute()  # under a minute in the store
    three_km = {"latitude": STORE_AT["latitude"] + 0.027, "longitude": STORE_AT["longitude"]}
    phone.context.set_geolocation(three_km)
    page = phone.page
    phone.button("签退").click()
    page.wait_for_url("**#checkout")
    warning = page.locator("#checkout .far-warning")
    text = warning.inner_text()
    assert "您现在距离门店 3.0 公里，超出 500 米" in text and "记为异常" in text
    # Beside the buttons, on the screen the rep is looking at (not at the top of the page).
    expect(warning).to_be_in_viewport(ratio=1)
    expect(phone.button("仍在此签退（记为异常）")).to_be_in_viewport(ratio=1)
    assert page.locator(".flash-warning").count() == 0
    assert Visit.get_by_id(visit.id).checkout_at is None  # not yet
    phone.shot("rep-checkout-far-warning", full_page=False)
    phone.button("仍在此签退（记为异常）").click()
    page.get_by_text("已签退，本次拜访 1 分钟").wait_for()

    manager = desk(make_staff("admin", username="visits-admin").username)
    manager.go("/admin/visits")
    summary = manager.page.locator("#visit-summary").inner_text()
    assert "1 分钟" in summary and "签退地点离门店过远 3.0 公里" in summary
    detail = manager.page.locator("main table").last.inner_text()
    assert "3.0 公里" in detail and "1 分钟" in detail and "0 分钟" not in detail
    manager.shot("visits-far-checkout")
    assert phone.errors == [] and manager.errors == []


def test_a_rep_who_does_not_follow_is_asked_to_on_the_plan(wechat, shop):
    rep = make_staff("rep", shop.branch, username="rep-follow", name="业务员小钱")
    phone = wechat("rep-follow")
    phone.bind_staff(rep)
    prompt = phone.page.locator(".follow-prompt")
    assert "请关注公众号" in prompt.inner_text()
    assert prompt.get_by_role("img").evaluate("img => img.naturalWidth") > 0  # the QR code
    phone.shot("rep-follow-prompt")
    phone.follow_official_account()
    assert phone.page.locator(".follow-prompt").count() == 0
    assert phone.errors == []


def test_the_plan_counts_todays_visits_and_the_store_page_lists_its_visits(wechat, shop):
    phone, rep, store = rep_in_store(wechat, shop, "rep-progress")
    make_store(shop.branch, shop.warehouse, rep, "静安二号店")  # due today, not yet visited
    visit = Visit.get(Visit.customer == store.id)
    earlier = Visit.create(
        staff=rep.id,
        customer=store.id,
        checkin_at=visit.checkin_at - dt.timedelta(days=8),
        checkin_lat=0,
        checkin_lng=0,
        checkin_distance_m=0,
        checkout_at=visit.checkin_at - dt.timedelta(days=8) + dt.timedelta(minutes=20),
        duration_s=1200,
    )
    page = phone.page
    phone.go("/h5/rep/")
    assert "拜访中" in page.locator("#today-visits").inner_text()  # checked in, not yet out
    phone.go(f"/h5/rep/visits/{visit.id}")
    phone.button("签退").click()
    page.wait_for_url(f"{phone.base}/h5/rep/")
    plan = page.locator("#today-plan").inner_text()
    assert "已拜访 1/2 家" in plan and "静安二号店" in plan and "新开便利店" not in plan
    done = page.locator("#today-visits")
    row = done.locator(f"#visit-{visit.id}").inner_text()
    assert "今日已拜访（1 次）" in done.inner_text()
    assert "新开便利店" in row and "1 分钟" in row and "拜访中" not in row
    assert page.evaluate("document.documentElement.scrollWidth <= 375")
    phone.shot("rep-plan-progress")

    done.locator(f"#visit-{visit.id}").click()  # the finished visit, as it was
    page.wait_for_url(f"{phone.base}/h5/rep/visits/{visit.id}")
    assert "已签退" in page.locator(".hero").inner_text()
    phone.go(f"/h5/rep/customers/{store.id}")
    rows = page.locator("#store-visits .weui-cell")
    assert [rows.nth(i).get_attribute("id") for i in range(rows.count())] == [
        f"visit-{visit.id}",
        f"visit-{earlier.id}",
    ]  # newest first
    assert "20 分钟" in rows.nth(1).inner_text()
    phone.shot("rep-store-visits")
    assert phone.errors == []


def test_a_rep_opens_a_style_in_the_visit_catalogue_and_adds_a_sku(wechat, shop):
    group, made = make_style(
        "茶礼盒",
        [
            {"name": "口味", "values": ["茉莉", "乌龙"]},
            {"name": "规格", "values": ["小盒", "大盒"]},
        ],
        {
            ("茉莉", "小盒"): ("GB-01", "12.00", 50),
            ("茉莉", "大盒"): ("GB-02", "22.00", 50),
            ("乌龙", "大盒"): ("GB-04", "24.00", 3),
        },
        warehouse=shop.warehouse,
        category_id=shop.tea_cat.id,
    )
    phone, _rep, _store = rep_in_store(wechat, shop, "rep-style")
    page = phone.page
    page.get_by_role("link", name="选商品").click()
    style = page.locator(f"#style-{group.id}")
    expect(style).to_contain_text("共 3 款规格")
    big = style.locator(f"#p-{made[('茉莉', '大盒')].id}")
    expect(big).to_be_hidden()  # folded under the style
    style.locator("summary").click()
    expect(big).to_be_visible()
    big.get_by_role("button", name="加入 茶礼盒 茉莉 大盒").click()
    page.locator("#visit-cart-bar", has_text="已选 1 种").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth <= 375")
    phone.shot("rep-style-open", full_page=False)
    assert phone.errors == []
