"""Plugin: the one world builder. A `World` is a company under test, built through the services
by devkit.factories; three recipes name the parts tests know:

* `world` (build_world): one branch, one warehouse, tea and oil, one credit customer — the core
  services' tests.
* `shop` (build_shop): the mini-program's shop — categories, products with every ordering rule, a level-3
  customer with a special price, a second customer of another branch.
* `co` (build_company): two branches with a warehouse each, staff in every role, the demo approval
  rules — the admin API's, the console's and most cross-surface tests.

A test needing something else adds to one (`make_customer(shop.branch, shop.warehouse, ...)`)
or builds a `World` of its own.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.approval import services as approvals
from app.core import catalog
from devkit.factories import (
    make_branch,
    make_customer,
    make_product,
    make_staff,
    make_warehouse,
    place,
    put_stock,
)
from devkit.testing.clients import staff_headers


class World:
    """The rows of one company under test, named by the recipe that built them; staff by key."""

    def __init__(self):
        self.staff: dict = {}

    def add_staff(self, key: str, role: str, branch=None, **fields):
        self.staff[key] = make_staff(role, branch, **fields)
        return self.staff[key]

    def add_demo_approval_rules(self) -> None:
        """The demo's rules, for orders and for returns alike: over 10,000 the branch manager
        then HQ; over 5,000 the branch manager."""
        for document in ("order", "return"):
            approvals.create_rule(
                "万元以上：分公司经理+总部",
                {"min_amount": "10000"},
                [{"role": "branch_manager"}, {"role": "hq_approver"}],
                10,
                document=document,
            )
            approvals.create_rule(
                "五千以上：分公司经理",
                {"min_amount": "5000"},
                [{"role": "branch_manager"}],
                20,
                document=document,
            )

    def headers(self, key: str) -> dict:
        """The admin API's Authorization header of the staff member `key`."""
        return staff_headers(self.staff[key])

    def order(self, customer=None, *lines):
        """An order awaiting review: lines as (product, qty); by default 10 tea for the world's
        customer."""
        return place(customer or self.customer, *(lines or ((self.tea, 10),)))


def build_world() -> World:
    """A branch, a warehouse, two stocked products and a credit customer."""
    w = World()
    w.branch = make_branch()
    w.warehouse = make_warehouse(w.branch)
    w.tea = make_product("50.00", prices={3: "45.00"}, name="茉莉绿茶")
    w.oil = make_product("200.00", prices={3: "180.00"}, name="花生油")
    put_stock(w.warehouse, w.tea, 100)
    put_stock(w.warehouse, w.oil, 20)
    w.customer = make_customer(w.branch, w.warehouse, limit="5000.00", level=3)
    return w


def build_shop() -> World:
    """A small shop: a category tree, products with every ordering rule, a level-3 customer with
    a price of their own, and another branch's level-1 customer."""
    w = World()
    w.branch = make_branch("华东分公司")
    w.other_branch = make_branch("华南分公司")
    w.warehouse = make_warehouse(w.branch)
    w.drinks = catalog.create_category("饮料")
    w.tea_cat = catalog.create_category("茶饮料", w.drinks.id)
    w.food = catalog.create_category("食品")
    w.tea = make_product("50.00", prices={3: "45.00"}, name="茉莉绿茶", category_id=w.tea_cat.id)
    w.oil = make_product("200.00", prices={3: "180.00"}, name="花生油", category_id=w.food.id)
    w.boxed = make_product("10.00", name="饼干", min_qty=6, step=6, category_id=w.food.id)
    w.gone = make_product("9.00", name="停售商品", active=False)
    put_stock(w.warehouse, w.tea, 100)
    put_stock(w.warehouse, w.oil, 5)
    w.customer = make_customer(
        w.branch, w.warehouse, level=3, limit="5000.00", address="上海市浦东新区 1 号"
    )
    w.other = make_customer(w.other_branch, w.warehouse, level=1, limit="1000.00")
    catalog.set_customer_price(w.customer.id, w.oil.id, Decimal("170.00"))
    return w


def build_company() -> World:
    """A two-branch company: a warehouse and a customer each, staff in every role, the demo
    approval rules. `customer`, `branch` and `warehouse` are the east's."""
    w = World()
    w.east = make_branch("华东分公司")
    w.south = make_branch("华南分公司")
    w.sh = make_warehouse(w.east)
    w.gz = make_warehouse(w.south)
    w.tea = make_product("50.00", prices={3: "45.00"}, name="茉莉绿茶")
    w.oil = make_product("200.00", name="花生油")
    for warehouse in (w.sh, w.gz):
        put_stock(warehouse, w.tea, 1000)
        put_stock(warehouse, w.oil, 10)
    w.rep = make_staff("rep", w.east, username="rep_e")
    w.east_customer = make_customer(w.east, w.sh, level=3, limit="20000.00", rep_id=w.rep.id)
    w.south_customer = make_customer(w.south, w.gz, limit="20000.00")
    w.branch, w.warehouse, w.customer = w.east, w.sh, w.east_customer
    w.add_staff("admin", "admin", username="admin1")
    w.add_staff("cs", "customer_service", username="cs1")
    w.add_staff("cs_east", "customer_service", w.east, username="cs_e")
    w.add_staff("bm_east", "branch_manager", w.east, username="bm_e")
    w.add_staff("bm_south", "branch_manager", w.south, username="bm_s")
    w.add_staff("hq", "hq_approver", username="hq1")
    w.add_staff("wh", "warehouse", username="wh1")
    w.add_staff("fin", "finance", username="fin1")
    w.staff["rep"] = w.rep
    w.add_demo_approval_rules()
    return w


@pytest.fixture
def world(app):
    """The core services' world: see build_world."""
    return build_world()


@pytest.fixture
def shop(app):
    """The mini-program's shop: see build_shop."""
    return build_shop()


@pytest.fixture
def co(app, client):
    """The company (see build_company), with the app's context pushed: staff tokens are signed with
    the app's key."""
    with app.app_context():
        yield build_company()
