import pytest

from devkit.factories import make_branch, make_customer, make_product, make_warehouse, put_stock


class World:
    """A branch, a warehouse, two stocked products and a credit customer."""

    def __init__(self):
        self.branch = make_branch()
        self.warehouse = make_warehouse(self.branch)
        self.tea = make_product("50.00", prices={3: "45.00"}, name="茉莉绿茶")
        self.oil = make_product("200.00", prices={3: "180.00"}, name="花生油")
        put_stock(self.warehouse, self.tea, 100)
        put_stock(self.warehouse, self.oil, 20)
        self.customer = make_customer(self.branch, self.warehouse, limit="5000.00", level=3)


@pytest.fixture
def world(app):
    return World()
