"""Limits that hold under racing clients against gunicorn (several worker processes): the
lockout is claimed before a password is checked, invitation SMS are counted per number (E.164,
however it is spelt) by one guarded write, return photos per return likewise."""

from __future__ import annotations

import re
import threading

import pytest
import requests

from app.auth import tokens
from app.core import orders
from app.core.models import Order, ReturnPhoto
from app.core.returns import request_return
from app.mall.models import Invitation, WechatUser
from app.mall.returns import MAX_PHOTOS
from app.notify import reach
from devkit.factories import make_staff
from devkit.testing.clients import ADMIN, MP, PASSWORD, png_bytes


def race(n: int, call) -> list[int]:
    """`call(i)` from n threads released together; their status codes."""
    statuses, barrier = [], threading.Barrier(n)

    def run(i):
        barrier.wait()
        statuses.append(call(i))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses


@pytest.mark.parametrize("racers", [20, 40])
def test_racing_wrong_passwords_check_at_most_the_limit(gunicorn, co, racers):
    make_staff("finance", username=f"guessed-{racers}")

    def guess(i):
        return requests.post(
            f"{gunicorn.url}{ADMIN}/auth/login",
            json={"username": f"guessed-{racers}", "password": f"wrong-{i}"},
            timeout=30,
        ).status_code

    statuses = race(racers, guess)
    checked = statuses.count(401)  # a wrong password was checked; 429: refused unchecked
    assert checked <= 10, statuses
    assert statuses.count(429) == racers - checked


def console_session(base: str, username: str) -> tuple[requests.Session, str]:
    session = requests.Session()
    page = session.get(f"{base}/admin/login", timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = session.post(
        f"{base}/admin/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
        timeout=10,
    )
    assert r.status_code == 302, r.text[:300]
    page = session.get(f"{base}/admin/dashboard", timeout=10).text
    return session, re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)


def test_eight_racing_invitation_sms_to_one_number_send_at_most_three(gunicorn, co):
    sessions = [console_session(gunicorn.url, co.staff["cs"].username) for _ in range(8)]
    spellings = ["13912345678", "+8613912345678", "8613912345678", "008613912345678"]

    def send(i):
        session, token = sessions[i]
        return session.post(
            f"{gunicorn.url}/admin/customers/{co.east_customer.id}/invitation-sms",
            data={"phone": spellings[i % 4], "csrf_token": token},
            allow_redirects=False,
            timeout=30,
        ).status_code

    statuses = race(8, send)
    assert set(statuses) == {303}, statuses
    sent = Invitation.select().where(Invitation.sms_phone == "+8613912345678").count()
    assert sent == 3


@pytest.mark.parametrize(
    "spelling",
    [
        "13912345678",
        "+8613912345678",
        "8613912345678",
        "0086 139 1234 5678",
        "+0086139-1234-5678",
        "１３９１２３４５６７８",
    ],
)
def test_every_spelling_of_a_number_is_one_number(spelling):
    assert reach.mobile_number(spelling) == "+8613912345678"


@pytest.mark.parametrize("text", ["12345", "021-12345678", "+86 139", "not a number", "1" * 40])
def test_what_is_not_a_mobile_number_is_refused(text):
    from app.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        reach.mobile_number(text)


def test_one_number_spelt_five_ways_gets_three_invitations_a_day(co):
    spellings = ["139 1234 5678", "+8613912345678", "8613912345678", "008613912345678"]
    spellings += ["+008613912345678", "１３９１２３４５６７８"]
    outcomes = []
    for spelling in spellings:
        try:
            reach.send_invitation_sms(co.east_customer, spelling, co.staff["cs"].id)
            outcomes.append("sent")
        except Exception as exc:
            outcomes.append(type(exc).__name__)
    assert outcomes == ["sent"] * 3 + ["RateLimited"] * 3


def test_eight_racing_photo_uploads_store_at_most_the_limit(gunicorn, co):
    order = co.order(co.east_customer, (co.tea, 4))
    orders.approve_order(order.id, "test")
    line = Order.get_by_id(order.id).lines[0]
    orders.ship_order(order.id, [(line.id, 4)], "顺丰", "SF1", "test")
    asked = request_return(co.east_customer.id, order.id, [(line.id, 1)], "破损", "test")
    user = WechatUser.create(openid="photo-racer", role="dealer", customer=co.east_customer.id)
    headers = {"Authorization": f"Bearer {tokens.issue('mp', user.id, role='dealer')}"}
    png = png_bytes()

    def upload(i):
        return requests.post(
            f"{gunicorn.url}{MP}/returns/{asked.id}/photos",
            files={"file": (f"{i}.png", png, "image/png")},
            headers=headers,
            timeout=30,
        ).status_code

    statuses = race(8, upload)
    assert statuses.count(201) == MAX_PHOTOS, statuses
    assert ReturnPhoto.select().where(ReturnPhoto.request == asked.id).count() == MAX_PHOTOS
