"""Product images in an S3-compatible bucket (STORAGE_BACKEND=s3): boto3 against moto's S3 server
over HTTP on 127.0.0.1, as it would talk to MinIO or a cloud bucket."""

import io
from urllib.parse import urlsplit

import boto3
import pytest
from PIL import Image

from app.core import product_images
from devkit.servers import free_port
from devkit.testing.clients import ADMIN

BUCKET = "dealer-mall-test"
KEYS = {"S3_ACCESS_KEY_ID": "test-key", "S3_SECRET_ACCESS_KEY": "test-secret"}


@pytest.fixture(scope="module")
def s3_server():
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def bucket(app, s3_server):
    client = boto3.client(
        "s3",
        endpoint_url=s3_server,
        region_name="us-east-1",
        aws_access_key_id=KEYS["S3_ACCESS_KEY_ID"],
        aws_secret_access_key=KEYS["S3_SECRET_ACCESS_KEY"],
    )
    client.create_bucket(Bucket=BUCKET)
    product_images.configure(
        {
            **app.config,
            "STORAGE_BACKEND": "s3",
            "S3_ENDPOINT_URL": s3_server,
            "S3_BUCKET": BUCKET,
            **KEYS,
        }
    )
    yield client
    product_images.configure(app.config)
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def jpeg(size=(900, 600)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(out, "JPEG")
    return out.getvalue()


def stored_keys(client) -> set[str]:
    return {o["Key"] for o in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])}


def test_pictures_go_to_the_bucket_are_served_from_it_and_leave_it(client, co, bucket):
    admin = co.headers("admin")
    r = client.post(
        f"{ADMIN}/products/{co.tea.id}/images",
        data={"file": (io.BytesIO(jpeg()), "p.jpg")},
        headers=admin,
        content_type="multipart/form-data",
    )
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    key = urlsplit(body["url"]).path.removeprefix("/media/")
    thumb_key = urlsplit(body["thumb_url"]).path.removeprefix("/media/")
    assert stored_keys(bucket) == {key, thumb_key}
    head = bucket.head_object(Bucket=BUCKET, Key=key)
    assert head["ContentType"] == "image/jpeg" and "immutable" in head["CacheControl"]

    served = client.get(f"/media/{thumb_key}")
    assert served.status_code == 200 and served.headers["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(served.get_data())).size == (400, 267)

    gone = client.delete(f"{ADMIN}/products/{co.tea.id}/images/{body['id']}", headers=admin)
    assert gone.status_code == 200
    assert stored_keys(bucket) == set()
    assert client.get(f"/media/{thumb_key}").status_code == 404


def test_a_refused_upload_leaves_nothing_in_the_bucket(client, co, bucket, monkeypatch):
    monkeypatch.setattr(product_images._settings, "max_images", 0)
    r = client.post(
        f"{ADMIN}/products/{co.tea.id}/images",
        data={"file": (io.BytesIO(jpeg((50, 50))), "p.jpg")},
        headers=co.headers("admin"),
        content_type="multipart/form-data",
    )
    assert r.status_code == 422
    assert stored_keys(bucket) == set()
