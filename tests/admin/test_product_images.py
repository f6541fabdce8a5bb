"""Product images through the admin API: uploads checked by Pillow (decoded, upright, stripped of
EXIF), thumbnails, the first picture as the product's `image`, deletion promoting the next, who may
do it; served at /media/ and shown in the mini-program's catalogue."""

import io
from urllib.parse import urlsplit

import pytest
from PIL import ExifTags, Image

from app.core.models import Product, ProductImage
from devkit.factories import make_staff
from devkit.testing.clients import ADMIN, MP, staff_headers


def picture(fmt="JPEG", size=(1200, 800), colour=(200, 40, 40), **save) -> bytes:
    out = io.BytesIO()
    mode = "RGBA" if fmt == "PNG" else "RGB"
    Image.new(mode, size, colour).save(out, fmt, **save)
    return out.getvalue()


def with_gps_and_rotation() -> bytes:
    """A phone's photo: taken sideways (Orientation 6) with where it was taken (GPS)."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (31.0, 14.0, 2.5),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (121.0, 28.0, 4.5),
    }
    return picture("JPEG", (1200, 800), exif=exif)


def upload(client, product_id, data, headers, name="p.jpg"):
    return client.post(
        f"{ADMIN}/products/{product_id}/images",
        data={"file": (io.BytesIO(data), name)},
        headers=headers,
        content_type="multipart/form-data",
    )


def fetched(client, url: str) -> bytes:
    response = client.get(urlsplit(url).path)
    assert response.status_code == 200, url
    assert "immutable" in response.headers["Cache-Control"]
    return response.get_data()


@pytest.fixture
def admin(co):
    return co.headers("admin")


@pytest.mark.parametrize(
    "fmt, name, content_type",
    [
        ("JPEG", "a.jpg", "image/jpeg"),
        ("PNG", "a.png", "image/png"),
        ("WEBP", "a.webp", "image/webp"),
    ],
)
def test_a_jpeg_png_or_webp_is_stored_with_a_small_thumbnail(
    client, co, admin, fmt, name, content_type
):
    r = upload(client, co.tea.id, picture(fmt), admin, name)
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert set(body) >= {"id", "url", "thumb_url"}
    assert body["url"].startswith("http") and body["thumb_url"].endswith(".thumb.jpg")
    stored = Image.open(io.BytesIO(fetched(client, body["url"])))
    assert stored.format == fmt and stored.size == (1200, 800)
    assert client.get(urlsplit(body["url"]).path).headers["Content-Type"] == content_type
    thumb = Image.open(io.BytesIO(fetched(client, body["thumb_url"])))
    assert thumb.format == "JPEG" and max(thumb.size) == 400 and thumb.size == (400, 267)
    product = client.get(f"{ADMIN}/products?q={co.tea.sku}", headers=admin).get_json()["items"][0]
    assert product["image"] == body["url"]
    assert [i["id"] for i in product["images"]] == [body["id"]]


def test_exif_and_gps_are_stripped_and_the_photo_stands_upright(client, co, admin):
    original = with_gps_and_rotation()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    body = upload(client, co.tea.id, original, admin).get_json()
    stored_bytes = fetched(client, body["url"])
    stored = Image.open(io.BytesIO(stored_bytes))
    assert stored.size == (800, 1200)  # turned as the phone was held
    assert not stored.getexif()  # no orientation, camera or GPS left
    assert b"Exif" not in stored_bytes and b"PhoneMaker" not in stored_bytes
    thumb_bytes = fetched(client, body["thumb_url"])
    assert b"Exif" not in thumb_bytes and Image.open(io.BytesIO(thumb_bytes)).size == (267, 400)


def test_too_large_not_an_image_or_corrupt_is_refused_in_chinese(client, co, admin, app):
    limit = app.config["PRODUCT_IMAGE_MAX_BYTES"]
    big = b"\xff\xd8\xff" + b"\0" * limit
    cases = {
        "too_large": (big, "不能超过"),
        "text": (b"just some text, not a picture", "只能上传 JPEG、PNG 或 WebP 图片"),
        "corrupt": (picture("JPEG")[:400], "图片文件已损坏"),
        "png_header_only": (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "图片文件已损坏"),
    }
    for what, (data, words) in cases.items():
        r = upload(client, co.tea.id, data, admin)
        assert r.status_code == 422, what
        assert words in r.get_json()["error"]["message"], (what, r.get_json())
    no_file = client.post(
        f"{ADMIN}/products/{co.tea.id}/images",
        data={"other": "x"},
        headers=admin,
        content_type="multipart/form-data",
    )
    assert no_file.status_code == 422
    assert ProductImage.select().count() == 0
    assert Product.get_by_id(co.tea.id).image == ""


def test_a_decompression_bomb_is_refused(client, co, admin):
    # A few KB of PNG that would decode to 10,000 × 10,000 pixels (100 megapixels).
    bomb = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(bomb, "PNG", optimize=True)
    assert len(bomb.getvalue()) < 100_000
    r = upload(client, co.tea.id, bomb.getvalue(), admin, "bomb.png")
    assert r.status_code == 422 and "像素过多" in r.get_json()["error"]["message"]
    # Over the 40 megapixels allowed, under twice that (where Pillow only warns): refused too.
    big = io.BytesIO()
    Image.new("1", (7_000, 7_000)).save(big, "PNG", optimize=True)
    r = upload(client, co.tea.id, big.getvalue(), admin, "big.png")
    assert r.status_code == 422 and "像素过多" in r.get_json()["error"]["message"]


def test_deleting_the_first_promotes_the_next_and_the_last_clears_the_image(client, co, admin, app):
    first = upload(client, co.tea.id, picture(colour=(255, 0, 0)), admin).get_json()
    second = upload(client, co.tea.id, picture(colour=(0, 255, 0)), admin).get_json()
    stored = ProductImage.get_by_id(first["id"])
    path = urlsplit(first["url"]).path
    assert Product.get_by_id(co.tea.id).image == path  # the site's own URL, absolute in the API

    gone = client.delete(f"{ADMIN}/products/{co.tea.id}/images/{first['id']}", headers=admin)
    assert gone.status_code == 200 and gone.get_json()["id"] == first["id"]
    assert Product.get_by_id(co.tea.id).image == urlsplit(second["url"]).path
    assert client.get(path).status_code == 404  # its files are gone
    assert client.get(f"/media/{stored.thumb_key}").status_code == 404

    other = client.delete(f"{ADMIN}/products/{co.oil.id}/images/{second['id']}", headers=admin)
    assert other.status_code == 404  # not that product's picture
    client.delete(f"{ADMIN}/products/{co.tea.id}/images/{second['id']}", headers=admin)
    assert Product.get_by_id(co.tea.id).image == ""
    again = client.delete(f"{ADMIN}/products/{co.tea.id}/images/{second['id']}", headers=admin)
    assert again.status_code == 404


def test_a_product_has_at_most_the_configured_number_of_pictures(client, co, admin, monkeypatch):
    from app.core import product_images

    monkeypatch.setattr(product_images._settings, "max_images", 2)  # PRODUCT_IMAGES_MAX
    for _ in range(2):
        assert upload(client, co.tea.id, picture(size=(40, 40)), admin).status_code == 201
    third = upload(client, co.tea.id, picture(size=(40, 40)), admin)
    assert third.status_code == 422 and "最多 2 张图片" in third.get_json()["error"]["message"]
    assert ProductImage.select().count() == 2


def test_only_staff_who_edit_products_for_every_branch_may(client, co, admin):
    body = upload(client, co.tea.id, picture(size=(40, 40)), admin).get_json()
    branch_admin = make_staff("admin", co.east, username="admin_east")
    for headers in (co.headers("cs"), co.headers("wh"), staff_headers(branch_admin)):
        assert upload(client, co.tea.id, picture(size=(40, 40)), headers).status_code == 403
        r = client.delete(f"{ADMIN}/products/{co.tea.id}/images/{body['id']}", headers=headers)
        assert r.status_code == 403
    assert upload(client, co.tea.id, picture(size=(40, 40)), {}).status_code == 401
    assert upload(client, 999999, picture(size=(40, 40)), admin).status_code == 404
    assert ProductImage.select().count() == 1


def test_only_product_pictures_are_served_at_media(client, co, admin, app):
    from app.adapters.storage import LocalStorage

    body = upload(client, co.tea.id, picture(size=(40, 40)), admin).get_json()
    assert client.get(urlsplit(body["url"]).path).status_code == 200
    private = LocalStorage(app.config["UPLOAD_DIR"]).save(b"\xff\xd8\xffsecret", "returns", "jpg")
    assert client.get(f"/media/{private}").status_code == 404
    assert client.get("/media/products/../returns/x.jpg").status_code == 404
    assert client.get("/media/products/2026/12/" + "0" * 32 + ".jpg").status_code == 404


def test_the_mini_program_catalogue_and_product_carry_the_pictures(client, shop, dealer, app):
    from app.backoffice import catalog as staff_catalog

    admin = make_staff("admin", username="img-admin")
    product = shop.tea
    first = staff_catalog.add_product_image(admin, product.id, picture(size=(300, 300)))
    staff_catalog.add_product_image(admin, product.id, picture("PNG", (300, 200)))
    page = client.get(f"{MP}/catalog/products?per_page=50", headers=dealer).get_json()
    item = next(i for i in page["items"] if i["id"] == product.id)
    base = app.config["PUBLIC_BASE_URL"]
    assert item["image"] == f"{base}/media/{first.storage_key}"
    assert item["images"][0]["url"] == item["image"]
    assert item["images"][0]["thumb_url"] == f"{base}/media/{first.thumb_key}"
    assert len(item["images"]) == 2
    others = [i for i in page["items"] if i["id"] != product.id]
    assert others and all(i["images"] == [] and i["image"] == "" for i in others)
    one = client.get(f"{MP}/catalog/products/{product.id}", headers=dealer).get_json()
    assert one["image"] == item["image"] and len(one["images"]) == 2

    staff_catalog.make_first_product_image(admin, product.id, item["images"][1]["id"])
    again = client.get(f"{MP}/catalog/products/{product.id}", headers=dealer).get_json()
    assert again["image"] == item["images"][1]["url"]
    assert [i["id"] for i in again["images"]] == [item["images"][1]["id"], first.id]
    client.put(f"{MP}/cart/items/{product.id}", json={"qty": product.min_qty}, headers=dealer)
    cart = client.get(f"{MP}/cart", headers=dealer).get_json()
    assert cart["items"][0]["image"] == again["image"]


def test_a_cdn_names_the_pictures_and_the_pages_allow_it(client, co, admin, app, monkeypatch):
    from app.core import product_images

    monkeypatch.setitem(app.config, "MEDIA_BASE_URL", "https://img.example.com")
    monkeypatch.setattr(product_images._settings, "media_base", "https://img.example.com")
    body = upload(client, co.tea.id, picture(size=(40, 40)), admin).get_json()
    assert body["url"].startswith("https://img.example.com/products/")
    assert Product.get_by_id(co.tea.id).image == body["url"]
    assert product_images.thumb_of(body["url"]) == body["thumb_url"]
    policy = client.get("/admin/login").headers["Content-Security-Policy"]
    assert "img-src 'self' data: https://img.example.com;" in policy


def test_mangled_pictures_are_refused_or_kept_clean_never_a_crash():
    """Bytes flipped and files cut short in JPEG, PNG and WebP files with EXIF (broken EXIF made
    Pillow's exif_transpose raise SyntaxError and TypeError): each is refused in words or stored
    without any EXIF."""
    import random

    from app.adapters import images
    from app.errors import ValidationFailed

    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.IFD.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "N"}
    bases = [picture(fmt, (64, 48), exif=exif) for fmt in ("JPEG", "PNG", "WEBP")]
    rng = random.Random(20261201)
    kept = refused = 0
    for _ in range(1500):
        data = bytearray(rng.choice(bases))
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        if rng.random() < 0.2:
            data = data[: rng.randrange(len(data))]
        try:
            made = images.prepared(bytes(data), 5 * 1024 * 1024)
        except ValidationFailed:
            refused += 1
            continue
        kept += 1
        assert b"Exif" not in made.data and b"Exif" not in made.thumb
    assert kept > 100 and refused > 100
