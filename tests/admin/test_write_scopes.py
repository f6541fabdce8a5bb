"""Branch scope binds writes as it binds reads: no one names a branch, warehouse, customer or staff
member outside their scope, grants a role or scope above their own, or changes what applies to
every branch without scope `all` (invariant 6)."""

import pytest

from app.backoffice import accounts
from app.core.models import Customer, Staff
from app.errors import NotFound
from app.mall.models import Announcement
from devkit.factories import make_staff
from devkit.testing.clients import ADMIN, staff_headers


@pytest.fixture
def east_admin(co):
    """An admin whose data scope is the east branch only."""
    return make_staff("admin", co.east, username="admin_e", data_scope="branch")


def post(client, path, staff, body, method="post"):
    return getattr(client, method)(f"{ADMIN}{path}", json=body, headers=staff_headers(staff))


def staff_body(**overrides):
    return {"username": "new1", "password": "correct-horse-2", "role": "admin", **overrides}


def test_a_branch_admin_cannot_create_staff_above_their_scope_or_in_another_branch(
    client, co, east_admin
):
    wide = post(client, "/staff", east_admin, staff_body(branch_id=co.east.id, data_scope="all"))
    assert (wide.status_code, wide.get_json()["error"]["code"]) == (403, "forbidden")
    south = post(client, "/staff", east_admin, staff_body(branch_id=co.south.id))
    assert south.status_code == 403
    hq = post(client, "/staff", east_admin, staff_body())  # no branch: scope `all` by default
    assert hq.status_code == 403
    ok = post(client, "/staff", east_admin, staff_body(role="rep", branch_id=co.east.id))
    assert ok.status_code == 201 and ok.get_json()["data_scope"] == "own"
    assert Staff.select().where(Staff.username == "new1").count() == 1


def test_nobody_grants_a_role_that_may_do_more_than_their_own(client, co):
    cs = co.staff["cs"]  # customer service cannot manage staff at all
    assert post(client, "/staff", cs, staff_body(role="rep")).status_code == 403


def test_customer_writes_name_only_the_branch_warehouse_and_rep_in_scope(client, co, east_admin):
    body = {
        "code": "E-NEW",
        "name": "东区新客户",
        "branch_id": co.east.id,
        "warehouse_id": co.sh.id,
        "price_level": 1,
        "settlement_method": "credit",
    }
    assert (
        post(client, "/customers", east_admin, {**body, "branch_id": co.south.id}).status_code
        == 403
    )
    assert (
        post(client, "/customers", east_admin, {**body, "warehouse_id": co.gz.id}).status_code
        == 403
    )
    south_rep = make_staff("rep", co.south, username="rep_s")
    assert (
        post(client, "/customers", east_admin, {**body, "rep_id": south_rep.id}).status_code == 404
    )
    assert post(client, "/customers", east_admin, body).status_code == 201
    moved = post(
        client,
        f"/customers/{co.east_customer.id}",
        east_admin,
        {"warehouse_id": co.gz.id},
        method="patch",
    )
    assert moved.status_code == 403
    assert Customer.get_by_id(co.east_customer.id).warehouse_id == co.sh.id


def test_another_branchs_staff_cannot_be_disabled_or_bound(client, co, east_admin):
    response = post(
        client, f"/staff/{co.staff['bm_south'].id}", east_admin, {"active": False}, "patch"
    )
    assert response.status_code == 404
    assert Staff.get_by_id(co.staff["bm_south"].id).active
    south_rep = make_staff("rep", co.south, username="rep_s")
    with pytest.raises(NotFound):
        accounts.invite_staff(east_admin, south_rep.id)
    assert accounts.invite_staff(east_admin, co.rep.id).code  # their own branch's rep: fine


def test_announcements_to_other_branches_or_everyone_need_scope_all(client, co, east_admin):
    body = {"title": "通知", "body": "内容", "pinned": False}
    assert (
        post(client, "/announcements", east_admin, {**body, "branch_id": co.south.id}).status_code
        == 403
    )
    assert (
        post(client, "/announcements", east_admin, {**body, "branch_id": None}).status_code == 403
    )
    cs_east = co.staff["cs_east"]
    assert post(client, "/announcements", cs_east, {**body, "branch_id": None}).status_code == 403
    assert (
        post(client, "/announcements", cs_east, {**body, "branch_id": co.east.id}).status_code
        == 201
    )
    assert (
        post(client, "/announcements", co.staff["cs"], {**body, "branch_id": None}).status_code
        == 201
    )
    assert Announcement.select().count() == 2


def test_settings_that_apply_to_everyone_need_scope_all(client, co, east_admin):
    default = {"customer_id": None, "method": "sell_one", "window_days": 30}
    bm = co.staff["bm_east"]
    assert post(client, "/replenishment-settings", bm, default, method="put").status_code == 403
    own = {**default, "customer_id": co.east_customer.id}
    assert post(client, "/replenishment-settings", bm, own, method="put").status_code == 200
    product = {"sku": "NEW-1", "name": "新品", "unit": "箱", "list_price": "10.00"}
    assert post(client, "/products", east_admin, product).status_code == 403
    rule = {"name": "r", "condition": {}, "steps": [{"role": "branch_manager"}]}
    assert post(client, "/approval-rules", east_admin, rule).status_code == 403
    assert (
        post(client, "/branches", east_admin, {"code": "XB", "name": "新分公司"}).status_code == 403
    )
    warehouse = {"code": "W9", "name": "南区仓", "branch_id": co.south.id}
    assert post(client, "/warehouses", east_admin, warehouse).status_code == 403
    assert (
        post(client, "/warehouses", east_admin, {**warehouse, "branch_id": co.east.id}).status_code
        == 201
    )
