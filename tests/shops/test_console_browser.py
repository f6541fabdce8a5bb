"""网店管理 in Chromium at 1366 px: authorise a shop, download, map an unmapped SKU, work the
order queue (取单号 and 发货 for many orders with a progress bar, a failure in words), find an
order by scanning its tracking number, split an exception. Screenshots in test-artifacts/."""

import time
import uuid

import requests

from app.shops.models import ShopOrder
from devkit.testing.shops import RECEIVER


def _sell(controls, sku, qty, name):
    body = {
        "buyer": name,
        "receiver": {**RECEIVER, "name": name},
        "lines": [{"sku": sku, "qty": qty, "price": "39.90"}],
    }
    requests.post(f"{controls}/orders", json=body, timeout=10).raise_for_status()


def test_an_operator_works_a_shop_from_authorising_to_shipping(desk, gunicorn, co, sandbox):
    app_key = f"console-{uuid.uuid4().hex[:8]}"
    controls = f"{sandbox.url}/_sandbox/shops/taobao/{app_key}"
    for i, name in enumerate(["赵一", "钱二", "孙三", "李四"]):
        _sell(controls, co.tea.sku, i + 1, name)
    _sell(controls, "GIFT-BOX", 1, "周五")  # no product has this code
    _sell(controls, co.oil.sku, 30, "吴六")  # 10 on hand
    time.sleep(1.02 - time.time() % 1)

    admin = desk(co.staff["admin"].username)
    page = admin.page
    admin.go("/admin/shops")
    page.get_by_text("授权新店铺").click()
    page.fill("#shop-form input[name=name]", "茶叶天猫旗舰店")
    page.select_option("#shop-form select[name=platform]", "taobao")
    page.select_option("#shop-form select[name=warehouse_id]", str(co.sh.id))
    page.fill("#shop-form input[name=app_key]", app_key)
    page.fill("#shop-form input[name=app_secret]", f"secret-{app_key}")
    page.fill("#shop-form input[name=access_token]", "token")
    page.fill("#shop-form input[name=stock_share_pct]", "80")
    page.click("#shop-form button[type=submit]")
    assert "已授权" in admin.flash()
    admin.button("测试连接").click()
    assert "连接正常" in admin.flash()
    admin.button("立即下载").click()
    assert "新订单 6 单" in admin.flash()
    admin.shot("shops")

    page.get_by_role("link", name="SKU 对应").click()
    assert "GIFT-BOX" in page.locator("#unmapped").inner_text()
    admin.shot("shop-skus")

    admin.go("/admin/shop-orders?status=exception")
    exceptions = page.locator("#shop-orders").inner_text()
    assert "缺货" in exceptions and "GIFT-BOX" in exceptions
    admin.shot("shop-orders-exceptions")

    admin.go("/admin/shop-orders?status=pending")
    page.check("#select-all")
    page.select_option("#carrier", "ZTO")
    page.click("#do-waybills")
    page.wait_for_selector("#batch-status:has-text('取单号完成')")
    assert "成功 4 单" in page.locator("#batch-status").inner_text()
    admin.go("/admin/shop-orders?status=waybilled")
    admin.shot("shop-orders-waybilled")

    # One order in the selection is not waybilled: it fails in words, the others ship.
    exception_order = ShopOrder.get(ShopOrder.status == "exception")
    admin.go("/admin/shop-orders")
    page.check("#select-all")
    page.click("#do-ship")
    page.wait_for_selector("#batch-status:has-text('发货完成')")
    assert "成功 4 单" in page.locator("#batch-status").inner_text()
    failures = page.locator("#batch-failures").inner_text()
    assert exception_order.number in failures and "不能发货" in failures
    admin.shot("shop-orders-shipped", full_page=False)

    # A scanner types the tracking number and Enter.
    shipped = ShopOrder.get(ShopOrder.status == "shipped")
    admin.go("/admin/shop-orders")
    page.fill("#scan", shipped.tracking_no)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**q={shipped.tracking_no}**")
    assert page.locator("#shop-orders tbody tr").count() == 1

    short = ShopOrder.get(
        (ShopOrder.status == "exception") & ShopOrder.exception.startswith("缺货")
    )
    admin.go(f"/admin/shop-orders/{short.id}")
    page.locator("#split-form input[type=number]").first.fill("20")
    page.click("#split-form button[type=submit]")
    assert "已拆分" in admin.flash()
    admin.shot("shop-order-split")

    admin.go("/admin/reports")
    channels = page.locator("#channels").inner_text()
    assert "茶叶天猫旗舰店（淘宝/天猫）" in channels and "业务员" not in channels
    assert "淘宝/天猫" in page.locator("#platform-days").inner_text()
    page.locator("#channels").scroll_into_view_if_needed()
    admin.shot("reports-channels", full_page=False)
    assert admin.errors == []


def test_a_packer_reads_a_pack_in_our_units_and_a_merged_order_once(
    desk, gunicorn, co, platform_shop
):
    shop = platform_shop("taobao", name="茶叶淘宝店")
    shop.map_skus(("TEA-2PACK", co.tea, 2))
    shop.sell(("TEA-2PACK", 1, "88.00"), (co.oil.sku, 2, "13.00"))
    shop.sell((co.tea.sku, 3, "45.00"))  # the same door: merged into the first on download
    shop.sync()
    (holder,) = shop.orders(status="pending")
    (gone,) = shop.orders(status="merged")

    clerk = desk(co.staff["wh"].username, viewport={"width": 1366, "height": 768})
    page = clerk.page
    clerk.go("/admin/shop-orders")
    row = page.locator(f"#shop-orders tr[data-href$='/shop-orders/{holder['id']}']")
    goods = row.locator("td").nth(5).inner_text()
    assert "TEA-2PACK 茉莉绿茶 × 2 箱（平台 1 件，每件 2 箱）" in goods
    assert f"{co.oil.sku} 花生油 × 2 箱" in goods
    merged = page.locator(f"#shop-orders tr[data-href$='/shop-orders/{gone['id']}']")
    assert merged.locator("td").nth(6).inner_text() == f"已合并至 {holder['number']}"
    clerk.shot("shop-orders-in-our-units", full_page=False)

    clerk.go(f"/admin/shop-orders/{holder['id']}")
    quantities = page.locator("#split-form td.line-qty").all_inner_texts()
    assert "2 箱（平台 1 件，每件 2 箱）" in quantities
    clerk.shot("shop-order-in-our-units", full_page=False)
    assert clerk.errors == []


def test_the_operator_maps_a_sku_by_the_products_name_and_takes_a_wrong_one_away(
    desk, gunicorn, co, platform_shop
):
    shop = platform_shop("youzan", name="有赞微商城")
    shop.sell(("TEA-6PACK", 1, "88.00"))
    shop.sync()
    shop.map_skus(("OIL-X", co.tea))  # a mistake: OIL-X is the oil on the platform

    operator = desk(co.staff["cs"].username, viewport={"width": 1366, "height": 768})
    page = operator.page
    operator.go(f"/admin/shops/{shop.id}/skus")
    options = page.locator("datalist#products option")
    assert f"{co.tea.name}（{co.tea.unit}）" in options.all_text_contents()
    row = page.locator("#unmapped tr", has_text="TEA-6PACK")
    row.locator("input[name=sku]").fill(co.tea.sku)  # what picking 茉莉绿茶 from the list types
    row.locator("input[name=qty]").fill("6")
    with page.expect_navigation():
        row.get_by_role("button", name="对应").click()
    assert operator.flash() == f"平台 SKU TEA-6PACK 已对应到 {co.tea.name}"
    assert "没有未对应的 SKU" in page.locator("#unmapped").inner_text()

    asked = []
    page.once("dialog", lambda d: (asked.append(d.message), d.accept()))
    with page.expect_navigation():  # the page before it still shows the mapping's message
        page.get_by_role("button", name="取消 OIL-X 的对应").click()
    assert operator.flash() == f"已取消平台 SKU OIL-X 与 {co.tea.name} 的对应"
    assert asked and asked[0].startswith(f"取消平台 SKU OIL-X 与 {co.tea.name} 的对应吗")
    mapped = page.locator("#mapping").inner_text()
    assert "TEA-6PACK" in mapped and "OIL-X" not in mapped
    operator.shot("shop-skus-by-operator", full_page=False)
    assert shop.orders()[0]["status"] == "pending"
    assert operator.errors == []
