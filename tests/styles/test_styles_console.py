"""The console's 款式 pages: a style created with its specs typed on one line, SKUs generated
for the missing combinations or attached by SKU code, and styles with their SKUs exported to
Excel and imported back (new styles and SKUs, values added to known styles, rows with errors
reported in Chinese with nothing saved). Through the test client and at 1366 px in Chromium."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from app.core import catalog, styles
from app.core.models import Product, ProductGroup
from devkit.factories import make_product, make_style
from devkit.testing.clients import flashes, xlsx_file


def upload(session, rows: list[list]):
    return session.post(
        "/admin/import/styles",
        {"file": (xlsx_file(rows), "款式.xlsx")},
        content_type="multipart/form-data",
    )


def sheet(response) -> list[tuple]:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return list(
        load_workbook(io.BytesIO(response.get_data())).worksheets[0].iter_rows(values_only=True)
    )


def test_a_style_is_created_then_its_skus_generated_and_attached(signed_in, co):
    category = catalog.create_category("服装")
    admin = signed_in("admin")
    created = admin.post(
        "/admin/styles",
        {
            "name": "卫衣",
            "code": "WY-1",
            "category_id": str(category.id),
            "specs": "颜色：黑，灰；尺码: M L",
        },
    )
    assert ("success", "已创建款式") in flashes(created)
    group = ProductGroup.get(ProductGroup.code == "WY-1")
    assert group.spec_list == [
        {"name": "颜色", "values": ["黑", "灰"]},
        {"name": "尺码", "values": ["M", "L"]},
    ]
    page = admin.get(f"/admin/styles/{group.id}").get_data(as_text=True)
    assert "颜色:黑;尺码:M" in page and "还没有 SKU" in page
    loose = make_product("88.00", sku="OLD-GREY-L", name="灰卫衣 L")
    attached = admin.post(
        f"/admin/styles/{group.id}/attach", {"sku": "OLD-GREY-L", "spec": "颜色:灰;尺码:L"}
    )
    assert ("success", "已将 OLD-GREY-L 加入该款式") in flashes(attached)
    assert Product.get_by_id(loose.id).spec_values == {"颜色": "灰", "尺码": "L"}
    product_page = admin.get(f"/admin/products/{loose.id}").get_data(as_text=True)
    assert "卫衣</a> · 规格" in product_page and f"/admin/styles/{group.id}" in product_page
    wrong = admin.post(
        f"/admin/styles/{group.id}/attach", {"sku": "NOPE", "spec": "颜色:灰;尺码:M"}
    )
    assert ("error", "SKU“NOPE”不存在") in flashes(wrong)
    generated = admin.post(
        f"/admin/styles/{group.id}/skus", {"sku_prefix": "WY", "list_price": "99.00", "unit": "件"}
    )
    assert ("success", "已生成 3 个 SKU") in flashes(generated)
    page = generated.get_data(as_text=True)
    assert "WY-01" in page and "WY-03" in page and "OLD-GREY-L" in page
    bad = admin.post(
        f"/admin/styles/{group.id}", {"name": "卫衣", "code": "WY-1", "specs": "颜色 黑"}
    )
    assert any("须写成 规格名: 值1, 值2" in text for _, text in flashes(bad))
    listed = admin.get("/admin/styles").get_data(as_text=True)
    assert "卫衣" in listed and "颜色（黑、灰）" in listed


def test_staff_without_catalogue_rights_see_but_do_not_change_styles(signed_in, co):
    group, _ = make_style("T恤", [{"name": "颜色", "values": ["红"]}], {})
    cs = signed_in("cs")
    assert cs.get(f"/admin/styles/{group.id}").status_code == 200
    refused = cs.post(
        f"/admin/styles/{group.id}", {"name": "改名", "specs": "颜色: 红"}, follow=False
    )
    assert refused.status_code in (302, 303, 403)
    assert ProductGroup.get_by_id(group.id).name == "T恤"


def test_styles_round_trip_through_excel(signed_in, co):
    category = catalog.create_category("茶叶")
    specs = [{"name": "口味", "values": ["茉莉", "乌龙"]}, {"name": "规格", "values": ["小盒"]}]
    group, made = make_style(
        "茶礼盒",
        specs,
        {("茉莉", "小盒"): ("GB-01", "12.00", 0), ("乌龙", "小盒"): ("GB-02", "13.50", 0)},
        category_id=category.id,
    )
    catalog.update_product(made[("乌龙", "小盒")].id, prices={3: "12.00"})
    admin = signed_in("admin")
    rows = sheet(admin.get("/admin/styles/export.xlsx"))
    assert rows[0][:6] == ("款号", "款名", "品牌", "规格", "SKU", "名称")
    assert [r[3:5] for r in rows[1:]] == [
        ("口味:茉莉;规格:小盒", "GB-01"),
        ("口味:乌龙;规格:小盒", "GB-02"),
    ]
    # Everything removed, then imported from the export: the same styles and SKUs come back.
    Product.delete().where(Product.group.is_null(False)).execute()
    ProductGroup.delete().execute()
    back = upload(admin, [list(r) for r in rows])
    assert back.status_code == 200, back.get_data(as_text=True)[-800:]
    assert "导入完成：新增 2 条" in back.get_data(as_text=True)
    again = ProductGroup.get(ProductGroup.code == group.code)
    assert again.spec_list == specs and again.category_id == category.id
    oolong = Product.get(Product.sku == "GB-02")
    assert oolong.spec_values == {"口味": "乌龙", "规格": "小盒"} and oolong.group_id == again.id
    assert str(oolong.list_price) == "13.50"
    assert catalog.level_prices([oolong.id])[oolong.id] == {3: catalog.money("12.00")}
    # A second import adds a value to the known style and a new style.
    header = list(rows[0])
    more = upload(
        admin,
        [
            header,
            [
                group.code,
                None,
                None,
                "口味:普洱;规格:小盒",
                "GB-03",
                "茶礼盒 普洱 小盒",
                "茶叶",
                None,
                None,
                None,
                None,
                "15.00",
            ],
            [
                "SOCK",
                "棉袜",
                "棉语",
                "尺码:M",
                "SOCK-M",
                "棉袜 M",
                "茶叶",
                "双",
                None,
                None,
                None,
                "5.00",
            ],
        ],
    )
    assert "新增 2 条" in more.get_data(as_text=True)
    assert ProductGroup.get(ProductGroup.code == group.code).spec_list[0]["values"] == [
        "茉莉",
        "乌龙",
        "普洱",
    ]
    assert ProductGroup.get(ProductGroup.code == "SOCK").spec_list == [
        {"name": "尺码", "values": ["M"]}
    ]


def test_a_style_import_with_bad_rows_saves_nothing_and_says_why(signed_in, co):
    catalog.create_category("茶叶")
    make_style(
        "茶礼盒",
        [{"name": "口味", "values": ["茉莉"]}],
        {("茉莉",): ("GB-01", "12.00", 0)},
        category_id=None,
    )
    code = ProductGroup.get().code
    header = [
        "款号",
        "款名",
        "品牌",
        "规格",
        "SKU",
        "名称",
        "分类",
        "单位",
        "包装数",
        "起订量",
        "订货倍数",
        "标准价",
    ]
    response = upload(
        signed_in("admin"),
        [
            header,
            [
                "NEW",
                "新款",
                None,
                "颜色:红",
                "N-1",
                "新款 红",
                "茶叶",
                None,
                None,
                None,
                None,
                "9.00",
            ],
            ["NEW", None, None, "颜色:红", "N-2", "新款 红2", None, None, None, None, None, "9.00"],
            ["NEW", None, None, "尺码:L", "N-3", "新款 L", None, None, None, None, None, "9.00"],
            [code, None, None, "口味 茉莉", "N-4", "坏规格", None, None, None, None, None, "9.00"],
            ["NOPE", None, None, "颜色:蓝", "N-5", "无款名", None, None, None, None, None, "9.00"],
            ["NEW", None, None, "颜色:蓝", "N-1", "重复SKU", None, None, None, None, None, "9.00"],
            ["NEW", None, None, "颜色:绿", "N-7", "无价", None, None, None, None, None, None],
        ],
    )
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    for words in [
        "与第 2 行规格相同：颜色:红",
        "款号 NEW 的规格须为 颜色，每个一个值",
        "须写成 规格名:值",
        "新款式 NOPE 须填写款名",
        "与第 2 行重复：N-1",
        "未导入任何数据",
    ]:
        assert words in text, words
    assert (
        ProductGroup.select().count() == 1
        and not Product.select().where(Product.sku.startswith("N-")).exists()
    )


def test_the_styles_pages_at_1366(desk, co):
    category = catalog.create_category("服装")
    group, _ = make_style(
        "纯棉T恤",
        [{"name": "颜色", "values": ["白", "黑"]}, {"name": "尺码", "values": ["M", "L", "XL"]}],
        {("白", "M"): ("TS-01", "39.00", 0), ("黑", "L"): ("TS-05", "39.00", 0)},
        category_id=category.id,
    )
    admin = desk("admin1")
    page = admin.page
    admin.go("/admin/products")
    page.get_by_role("button", name="款式（多规格）").click()
    page.wait_for_url("**/admin/styles")
    admin.go("/admin/")
    page.locator("nav").get_by_role("link", name="款式", exact=True).click()
    page.wait_for_url("**/admin/styles")
    page.get_by_text("新建款式").click()
    form = page.locator("#style-form")
    form.get_by_label("款名").fill("茶礼盒")
    form.get_by_label("分类").select_option(label="服装")
    form.get_by_label("规格").fill("口味: 茉莉, 乌龙; 规格: 小盒, 大盒")
    admin.shot("styles-new", full_page=False)
    form.get_by_role("button", name="创建款式").click()
    page.get_by_text("已创建款式").wait_for()
    assert styles.combinations(ProductGroup.get(ProductGroup.name == "茶礼盒").spec_list)[3] == {
        "口味": "乌龙",
        "规格": "大盒",
    }
    gen = page.locator("#generate-skus")
    gen.get_by_label("SKU 前缀").fill("GB")
    gen.get_by_label("标准价").fill("12.00")
    gen.get_by_role("button", name="生成 SKU").click()
    page.get_by_text("已生成 4 个 SKU").wait_for()
    assert page.locator("#style-skus tbody tr").count() == 4
    admin.shot("style-generated")
    admin.go(f"/admin/styles/{group.id}")
    assert "未建的规格组合（4）" in page.locator("#style-missing").inner_text()
    admin.shot("style-with-missing")
    admin.go("/admin/styles")
    assert page.locator("#styles tbody tr").count() == 2
    admin.shot("styles-list", full_page=False)
    assert admin.errors == []
