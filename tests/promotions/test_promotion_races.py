"""A repeated submission racing itself against gunicorn (several worker processes), with
promotions applying: one order, its discount and gift once."""

from __future__ import annotations

import datetime as dt

import requests

from app.backoffice import promotions
from app.core.models import Order, OrderDiscount, OrderLine
from app.db import utcnow
from devkit.testing.clients import MP, dealer_token_over_http
from devkit.testing.concurrency import all_at_once


def test_the_same_key_sent_at_once_makes_one_order_with_one_discount_and_one_gift(gunicorn, co):
    window = {
        "starts_at": utcnow() - dt.timedelta(hours=1),
        "ends_at": utcnow() + dt.timedelta(days=1),
    }
    admin = co.staff["admin"]
    promotions.create_promotion(
        admin,
        {
            "name": "满减",
            "kind": "full_reduction",
            "rules": {"threshold": "100", "reduction": "10"},
            **window,
        },
    )
    promotions.create_promotion(
        admin,
        {
            "name": "买赠",
            "kind": "gift",
            "rules": {
                "product_id": co.tea.id,
                "min_qty": 5,
                "gift_product_id": co.oil.id,
                "gift_qty": 1,
            },
            **window,
        },
    )
    dealer = dealer_token_over_http(gunicorn.url, co.east_customer.id, "promo-racer")

    def submit():
        r = requests.post(
            f"{gunicorn.url}{MP}/orders",
            json={"lines": [{"product_id": co.tea.id, "qty": 5}]},
            headers={"Authorization": f"Bearer {dealer}", "Idempotency-Key": "race-promo"},
            timeout=30,
        )
        return r.status_code, r.json()

    results = all_at_once([submit] * 6)
    statuses = sorted(status for status, _ in results)
    assert statuses.count(201) == 1 and set(statuses) <= {200, 201}, results
    assert len({body["id"] for _, body in results}) == 1
    assert all(body["total"] == "215.00" for _, body in results)  # 225 − 10, oil given
    assert Order.select().count() == 1
    assert OrderDiscount.select().count() == 1
    assert OrderLine.select().where(OrderLine.gift).count() == 1
