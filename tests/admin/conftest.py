"""Admin API fixtures: a two-branch company, staff in every role, demo approval rules."""

from __future__ import annotations

import pytest

from app.approval import services as approvals
from app.auth.services import staff_token
from devkit.factories import (
    make_branch,
    make_customer,
    make_product,
    make_staff,
    make_warehouse,
    place,
    put_stock,
)

ADMIN = "/api/admin/v1"


def auth(staff) -> dict:
    return {"Authorization": f"Bearer {staff_token(staff)}"}


class Company:
    def __init__(self):
        self.east = make_branch("华东分公司")
        self.south = make_branch("华南分公司")
        self.sh = make_warehouse(self.east)
        self.gz = make_warehouse(self.south)
        self.tea = make_product("50.00", prices={3: "45.00"}, name="茉莉绿茶")
        self.oil = make_product("200.00", name="花生油")
        for w in (self.sh, self.gz):
            put_stock(w, self.tea, 1000)
            put_stock(w, self.oil, 10)
        self.rep = make_staff("rep", self.east, username="rep_e")
        self.east_customer = make_customer(
            self.east, self.sh, level=3, limit="20000.00", rep_id=self.rep.id
        )
        self.south_customer = make_customer(self.south, self.gz, limit="20000.00")
        self.staff = {
            "admin": make_staff("admin", username="admin1"),
            "cs": make_staff("customer_service", username="cs1"),
            "cs_east": make_staff("customer_service", self.east, username="cs_e"),
            "bm_east": make_staff("branch_manager", self.east, username="bm_e"),
            "bm_south": make_staff("branch_manager", self.south, username="bm_s"),
            "hq": make_staff("hq_approver", username="hq1"),
            "wh": make_staff("warehouse", username="wh1"),
            "fin": make_staff("finance", username="fin1"),
            "rep": self.rep,
        }
        # The demo's rules, for orders and for returns alike.
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
        return auth(self.staff[key])

    def order(self, customer=None, *lines):
        return place(customer or self.east_customer, *(lines or ((self.tea, 10),)))


@pytest.fixture
def co(app, client):
    with app.app_context():  # staff tokens are signed with the app's key
        yield Company()
