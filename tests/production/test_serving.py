"""What the production recipe leans on in the app: WeChat's domain verification files from a
setting, photos handed to nginx once the app has checked who may see them, and an environment
template (deploy/dealer-mall.env) that explains every setting production reads."""

from __future__ import annotations

import datetime as dt
import re
import socket

import pytest

from app import create_app
from app.adapters.storage import LocalStorage
from app.db import utcnow
from app.field.models import Visit, VisitPhoto
from devkit.servers import ROOT
from devkit.testing.clients import Console, png_bytes


@pytest.fixture
def site(app, app_config, tmp_path):
    """site(**settings): an app with these settings, its uploads in tmp_path."""

    def make(**settings):
        config = type("Config", (app_config,), {"UPLOAD_DIR": str(tmp_path), **settings})
        return create_app(config)

    return make


def test_wechat_verification_files_are_served_at_the_root_from_the_setting(site):
    client = site(
        WECHAT_VERIFY_FILES="MP_verify_AbC123.txt=AbC123 f1e2d3.txt=9a8b7c6d"
    ).test_client()
    served = client.get("/MP_verify_AbC123.txt")
    assert (served.status_code, served.mimetype, served.get_data()) == (
        200,
        "text/plain",
        b"AbC123",
    )
    assert client.get("/f1e2d3.txt").get_data() == b"9a8b7c6d"
    assert client.get("/MP_verify_other.txt").status_code == 404


def test_a_malformed_verification_setting_stops_the_app_at_start_up(site):
    with pytest.raises(ValueError, match="WECHAT_VERIFY_FILES"):
        site(WECHAT_VERIFY_FILES="../etc/passwd=x")


@pytest.fixture
def photo(co, tmp_path):
    visit = Visit.create(
        staff=co.rep.id,
        customer=co.east_customer.id,
        checkin_at=utcnow() - dt.timedelta(minutes=5),
        checkin_lat=31.2,
        checkin_lng=121.5,
        checkin_distance_m=12,
    )
    png = png_bytes()
    key = LocalStorage(tmp_path).save(png, "visits", "png")
    return VisitPhoto.create(
        visit=visit.id, storage_key=key, content_type="image/png", size=len(png)
    )


def test_behind_nginx_a_photo_is_sent_by_nginx_after_the_app_checked_the_viewer(site, co, photo):
    console = Console(site(UPLOADS_ACCEL_PREFIX="/_uploads/").test_client())
    assert console.login(co.staff["bm_east"].username).status_code == 302
    served = console.get(f"/admin/visits/photos/{photo.id}")
    assert served.status_code == 200 and served.get_data() == b""
    assert served.headers["X-Accel-Redirect"] == f"/_uploads/{photo.storage_key}"
    assert served.mimetype == "image/png"
    assert served.headers["Cache-Control"] == "private, max-age=86400"
    other_branch = Console(site(UPLOADS_ACCEL_PREFIX="/_uploads/").test_client())
    assert other_branch.login(co.staff["bm_south"].username).status_code == 302
    refused = other_branch.get(f"/admin/visits/photos/{photo.id}")
    assert refused.status_code == 404 and "X-Accel-Redirect" not in refused.headers


def test_without_nginx_the_app_sends_the_photo_itself(site, co, photo):
    console = Console(site().test_client())
    assert console.login(co.staff["bm_east"].username).status_code == 302
    served = console.get(f"/admin/visits/photos/{photo.id}")
    assert served.get_data() == png_bytes() and "X-Accel-Redirect" not in served.headers


def test_the_environment_template_explains_every_setting_production_reads():
    source = (ROOT / "config" / "settings.py").read_text()
    read = set(re.findall(r'env(?:_int)?\("([A-Z][A-Z0-9_]*)"', source))
    development_only = {name for name in read if name.startswith("TEST_")} | {"DEMO_PASSWORD"}
    units = "".join(p.read_text() for p in (ROOT / "deploy" / "systemd").glob("*.service"))
    set_by_a_unit = set(re.findall(r"^Environment=([A-Z][A-Z0-9_]*)=", units, re.M))
    template = (ROOT / "deploy" / "dealer-mall.env").read_text()
    listed = re.findall(r"^([A-Z][A-Z0-9_]*)=", template, re.M)
    assert read - development_only - set_by_a_unit - set(listed) == set()
    assert len(listed) == len(set(listed)), "a variable listed twice"
    # Each is explained: a comment line right above it.
    lines = template.splitlines()
    for i, line in enumerate(lines):
        if re.match(r"^[A-Z][A-Z0-9_]*=", line):
            assert i > 0 and lines[i - 1].startswith("#"), f"{line} is not explained"


def test_an_upload_refused_before_it_was_read_still_gets_the_apps_answer(gunicorn):
    """A photo sent with an expired token: the app answers 401 without reading the photo.
    Gunicorn would close the connection under the client still sending it, and nginx would
    answer 502 in place of the 401 the mini-program acts on."""
    size = 6 * 1024 * 1024
    with socket.create_connection(("127.0.0.1", gunicorn.port), timeout=10) as raw:
        raw.sendall(
            b"POST /api/mp/v1/rep/visits/1/photos HTTP/1.1\r\nHost: localhost\r\n"
            b"Content-Type: application/octet-stream\r\n"
            + f"Content-Length: {size}\r\n\r\n".encode()
        )
        raw.sendall(b"\0" * size)  # all of it, as nginx sends what it buffered
        answer = raw.recv(64)
    assert answer.startswith(b"HTTP/1.1 401")
