"""API fixtures: a small shop and dealers who logged in through the sandbox and bound by invitation."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.core import catalog
from app.mall import accounts
from devkit.factories import (
    make_branch,
    make_customer,
    make_product,
    make_staff,
    make_warehouse,
    put_stock,
)

MP = "/api/mp/v1"


def login(client, code: str) -> dict:
    response = client.post(f"{MP}/auth/login", json={"code": code})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def bind_dealer(client, customer, code: str) -> dict:
    """Log in as WeChat user `code`, bind to the customer, return auth headers."""
    token = login(client, code)["token"]
    invitation = accounts.create_invitation("dealer", customer_id=customer.id)
    response = client.post(
        f"{MP}/auth/bind", json={"invite_code": invitation.code}, headers=bearer(token)
    )
    assert response.status_code == 200, response.get_json()
    return bearer(response.get_json()["token"])


class Shop:
    def __init__(self):
        self.branch = make_branch("华东分公司")
        self.other_branch = make_branch("华南分公司")
        self.warehouse = make_warehouse(self.branch)
        self.drinks = catalog.create_category("饮料")
        self.tea_cat = catalog.create_category("茶饮料", self.drinks.id)
        self.food = catalog.create_category("食品")
        self.tea = make_product(
            "50.00", prices={3: "45.00"}, name="茉莉绿茶", category_id=self.tea_cat.id
        )
        self.oil = make_product(
            "200.00", prices={3: "180.00"}, name="花生油", category_id=self.food.id
        )
        self.boxed = make_product("10.00", name="饼干", min_qty=6, step=6, category_id=self.food.id)
        self.gone = make_product("9.00", name="停售商品", active=False)
        put_stock(self.warehouse, self.tea, 100)
        put_stock(self.warehouse, self.oil, 5)
        self.customer = make_customer(
            self.branch, self.warehouse, level=3, limit="5000.00", address="上海市浦东新区 1 号"
        )
        self.other = make_customer(self.other_branch, self.warehouse, level=1, limit="1000.00")
        catalog.set_customer_price(self.customer.id, self.oil.id, Decimal("170.00"))


@pytest.fixture
def shop(app):
    return Shop()


@pytest.fixture
def dealer(client, shop):
    return bind_dealer(client, shop.customer, "dealer-a")


@pytest.fixture
def other_dealer(client, shop):
    return bind_dealer(client, shop.other, "dealer-b")


@pytest.fixture
def rep_headers(client, shop):
    rep = make_staff("rep", shop.branch)
    token = login(client, "rep-1")["token"]
    invitation = accounts.create_invitation("rep", staff_id=rep.id)
    response = client.post(
        f"{MP}/auth/bind", json={"invite_code": invitation.code}, headers=bearer(token)
    )
    return bearer(response.get_json()["token"])
