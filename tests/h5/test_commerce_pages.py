"""The dealer's 收藏, 快速下单 and order search on the H5 pages, through the test client."""

from __future__ import annotations

import io
import time
import zipfile

from app.core.orders import LineRequest
from app.mall import favourites, ordering
from app.mall.models import CartItem, Favourite
from devkit.testing.clients import xlsx_file


def cart_of(shop) -> dict[int, int]:
    return {c.product_id: c.qty for c in CartItem.select()}


def test_the_heart_marks_a_favourite_and_the_list_shows_it(dealer_phone, shop):
    page = dealer_phone.open("/h5/products").get_data(as_text=True)
    assert f'aria-label="收藏 {shop.tea.name}"' in page
    done = dealer_phone.post(
        f"/h5/favourites/{shop.tea.id}", {"on": "1", "back": "products"}, from_page="/h5/products"
    )
    assert done.status_code == 302 and done.location.endswith(f"#product-{shop.tea.id}")
    assert Favourite.select().count() == 1
    page = dealer_phone.open("/h5/products").get_data(as_text=True)
    assert f'aria-label="取消收藏 {shop.tea.name}"' in page
    mine = dealer_phone.open("/h5/favourites").get_data(as_text=True)
    assert shop.tea.name in mine and "¥45.00" in mine and shop.oil.name not in mine
    dealer_phone.post(
        f"/h5/favourites/{shop.tea.id}",
        {"on": "0", "back": "favourites"},
        from_page="/h5/favourites",
    )
    assert "还没有收藏商品" in dealer_phone.open("/h5/favourites").get_data(as_text=True)


def test_the_product_page_has_the_heart(dealer_phone, shop):
    favourites.add(shop.customer.id, shop.oil.id)
    page = dealer_phone.open(f"/h5/products/{shop.oil.id}").get_data(as_text=True)
    assert 'aria-pressed="true"' in page and f"取消收藏 {shop.oil.name}" in page


def test_a_product_not_on_sale_is_not_a_favourite(dealer_phone, shop):
    r = dealer_phone.post(f"/h5/favourites/{shop.gone.id}", {"on": "1"}, from_page="/h5/products")
    assert r.status_code == 302
    assert "商品不存在或已下架" in dealer_phone.open(r.location).get_data(as_text=True)
    assert Favourite.select().count() == 0


def quick(dealer_phone, **data):
    return dealer_phone.post(
        "/h5/quick-order", data, from_page="/h5/quick-order", content_type="multipart/form-data"
    )


def test_a_pasted_list_goes_into_the_cart_and_says_what_happened(dealer_phone, shop):
    text = f"编码,数量\n{shop.tea.sku}，10\n{shop.boxed.sku}\t4\nNO-SUCH 1\n{shop.oil.sku}, 2, 托\n坏行\n{shop.oil.sku}, 两"
    r = quick(dealer_phone, skus=text)
    assert r.status_code == 200, r.get_data(as_text=True)
    page = r.get_data(as_text=True)
    assert cart_of(shop) == {shop.tea.id: 10, shop.boxed.id: 6}
    assert "已加入购物车 2 种" in page
    assert "饼干（" in page and "4 → 6，起订量 6 箱" in page
    assert "NO-SUCH：没有这个编码的在售商品" in page
    assert "花生油 没有单位“托”，可选：箱" in page
    assert "第 6 行“坏行”：缺少数量" in page
    assert "第 7 行" in page and "数量“两”须为 1 到 99999 的整数" in page


def test_an_excel_file_goes_into_the_cart(dealer_phone, shop):
    data = xlsx_file(
        [["编码", "数量", "单位"], [shop.tea.sku, 20, "箱"], [shop.oil.sku, 1.0, None]]
    )
    r = quick(dealer_phone, file=(data, "清单.xlsx"))
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    assert cart_of(shop) == {shop.tea.id: 20, shop.oil.id: 1}


def test_blank_rows_are_passed_over_and_a_long_file_refused(dealer_phone, shop):
    rows = [["编码", "数量"], [shop.tea.sku, 5], *([[None, None]] * 30), [shop.oil.sku, 1]]
    r = quick(dealer_phone, file=(xlsx_file(rows), "gaps.xlsx"))
    assert r.status_code == 200 and cart_of(shop) == {shop.tea.id: 5, shop.oil.id: 1}
    long = xlsx_file([[f"S{i}", 1] for i in range(401)])
    r = quick(dealer_phone, file=(long, "long.xlsx"))
    assert r.status_code == 422 and "文件最多 200 行商品" in r.get_data(as_text=True)


def test_a_csv_saved_by_excel_in_china_goes_into_the_cart(dealer_phone, shop):
    data = f"编码,数量\r\n{shop.tea.sku},5\r\n".encode("gb18030")
    r = quick(dealer_phone, file=(io.BytesIO(data), "list.csv"))
    assert r.status_code == 200 and cart_of(shop) == {shop.tea.id: 5}


def test_a_zip_bomb_is_refused_before_it_is_inflated(dealer_phone, shop):
    wb = xlsx_file([["编码", "数量"]])
    out = io.BytesIO()
    with zipfile.ZipFile(wb) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        dst.writestr(
            "xl/sharedStrings.xml",
            b"<sst>" + b" " * (100 * 1024 * 1024) + b"</sst>",
            compresslevel=9,
        )
    started = time.monotonic()
    r = quick(dealer_phone, file=(io.BytesIO(out.getvalue()), "bomb.xlsx"))
    assert r.status_code == 422
    assert "解压后过大" in r.get_data(as_text=True)
    assert time.monotonic() - started < 5
    assert cart_of(shop) == {}


def test_bad_quick_orders_are_refused_in_words(dealer_phone, shop):
    cases = [
        ({}, "请粘贴商品清单"),
        ({"skus": "只有一列"}, "没有可以加入购物车的行"),
        ({"file": (io.BytesIO(b"not a workbook"), "x.xlsx")}, "不是有效的 Excel"),
        ({"file": (io.BytesIO(b"%PDF-1.4"), "x.pdf")}, "请上传 Excel (.xlsx) 或 CSV 文件"),
        ({"skus": "\n".join(f"S{i}, 1" for i in range(201))}, "一次最多 200 行"),
    ]
    for data, words in cases:
        r = quick(dealer_phone, **data)
        assert r.status_code == 422, data
        assert words in r.get_data(as_text=True), (data, r.get_data(as_text=True)[-800:])
    assert cart_of(shop) == {}


def test_orders_are_searched_by_number_product_or_sku(dealer_phone, shop):
    tea = ordering.place_order(shop.customer, [LineRequest(shop.tea.id, 10)]).order
    oil = ordering.place_order(shop.customer, [LineRequest(shop.oil.id, 1)]).order
    page = dealer_phone.open("/h5/orders?q=花生油").get_data(as_text=True)
    assert oil.number in page and tea.number not in page
    page = dealer_phone.open(f"/h5/orders?q={tea.number}").get_data(as_text=True)
    assert tea.number in page and oil.number not in page
    page = dealer_phone.open("/h5/orders?q=没有的东西").get_data(as_text=True)
    assert "没有找到与“没有的东西”相关的订单" in page
    assert dealer_phone.open("/h5/orders?q=" + "x" * 65).status_code == 422


def test_a_bad_heart_form_is_refused_in_words(dealer_phone, shop):
    for data in ({}, {"on": "maybe"}, {"on": "1", "back": "elsewhere"}):
        r = dealer_phone.post(f"/h5/favourites/{shop.tea.id}", data, from_page="/h5/products")
        assert r.status_code == 422, data
        assert "提交的内容不正确" in r.get_data(as_text=True)
    assert Favourite.select().count() == 0
