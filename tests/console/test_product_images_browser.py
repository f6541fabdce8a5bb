"""Product pictures in the console at 1366 px: an admin uploads two on the product page, puts the
second first, deletes one; a file that is not a picture is refused in words; customer service
sees the pictures but no buttons."""

from __future__ import annotations

import io

from PIL import Image

from app.core.models import Product, ProductImage

LOADED = "img => img.complete && img.naturalWidth > 0"


def photo_file(tmp_path, name, colour, size=(800, 600)):
    path = tmp_path / name
    Image.new("RGB", size, colour).save(path)
    return str(path)


def test_an_admin_uploads_orders_and_deletes_product_pictures(desk, co, tmp_path):
    admin = desk(co.staff["admin"].username)
    page = admin.page
    admin.go(f"/admin/products/{co.tea.id}")
    section = page.locator("#images")
    assert "还没有图片" in section.inner_text()
    section.get_by_label("选择图片").set_input_files(
        [
            photo_file(tmp_path, "green.jpg", (46, 139, 87)),
            photo_file(tmp_path, "yellow.png", (240, 200, 40), (600, 900)),
        ]
    )
    section.get_by_role("button", name="上传图片").click()
    assert admin.flash() == "已上传 2 张图片"
    thumbs = page.locator("#images .image-grid img")
    assert thumbs.count() == 2
    for i in range(2):
        page.wait_for_function(LOADED, arg=thumbs.nth(i).element_handle())
    first, second = list(
        ProductImage.select().where(ProductImage.product == co.tea.id).order_by(ProductImage.id)
    )
    assert Product.get_by_id(co.tea.id).image == f"/media/{first.storage_key}"
    assert "首图" in page.locator("#images li").first.inner_text()
    admin.shot("product-images")

    page.locator("#images li").nth(1).get_by_role("button", name="设为首图").click()
    assert admin.flash() == "已设为首图"
    assert Product.get_by_id(co.tea.id).image == f"/media/{second.storage_key}"
    assert page.locator("#images li img").first.get_attribute("src").endswith(second.thumb_key)

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="删除图片 1").click()
    assert admin.flash() == "图片已删除"
    assert Product.get_by_id(co.tea.id).image == f"/media/{first.storage_key}"
    assert page.locator("#images li").count() == 1

    text = tmp_path / "notes.jpg"
    text.write_bytes(b"not a picture at all")
    page.locator("#images").get_by_label("选择图片").set_input_files(str(text))
    page.locator("#images").get_by_role("button", name="上传图片").click()
    assert "只能上传 JPEG、PNG 或 WebP 图片" in admin.flash("error")
    assert ProductImage.select().count() == 1
    admin.shot("product-images-refused")
    assert admin.errors == []

    cs = desk(co.staff["cs"].username)
    cs.go(f"/admin/products/{co.tea.id}")
    assert cs.page.locator("#images .image-grid img").count() == 1
    assert cs.page.locator("#images button").count() == 0
    assert cs.page.locator("#image-upload").count() == 0
    assert cs.errors == []


def test_the_file_a_browser_sends_keeps_no_exif(desk, co, tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 8  # Orientation: rotated 90° counter-clockwise
    path = tmp_path / "phone.jpg"
    Image.new("RGB", (400, 200), (10, 10, 200)).save(path, exif=exif)
    admin = desk(co.staff["admin"].username)
    admin.go(f"/admin/products/{co.oil.id}")
    admin.page.locator("#images").get_by_label("选择图片").set_input_files(str(path))
    admin.page.locator("#images").get_by_role("button", name="上传图片").click()
    assert admin.flash() == "已上传 1 张图片"
    image = ProductImage.get(ProductImage.product == co.oil.id)
    assert (image.width, image.height) == (200, 400)
    from app.core import product_images

    stored = Image.open(io.BytesIO(product_images.storage().read(image.storage_key)))
    assert not stored.getexif() and stored.size == (200, 400)
