"""What every test starts from: the tables the last test wrote emptied, and on PostgreSQL every
id restarting at 1, as `TRUNCATE … RESTART IDENTITY` left them (devkit.testing.database)."""

from app.core.models import Branch, Order
from app.db import db
from devkit.factories import (
    make_branch,
    make_customer,
    make_product,
    make_warehouse,
    place,
    put_stock,
)
from devkit.testing.database import empty_tables


def test_emptying_leaves_no_row_and_restarts_every_id(app, database_url):
    branch = make_branch()
    warehouse = make_warehouse(branch)
    product = make_product()
    put_stock(warehouse, product, 10)
    place(make_customer(branch, warehouse), (product, 2))
    # A rolled-back insert takes an id from its sequence and leaves no row behind.
    with db.atomic() as transaction:
        make_branch("撤销的分公司")
        transaction.rollback()
    assert Branch.select().count() == 1

    empty_tables(database_url)

    tables = db.get_tables()
    left = {
        t: n for t in tables if (n := db.execute_sql(f'SELECT count(*) FROM "{t}"').fetchone()[0])
    }
    assert set(left) <= {"schema_migration"}, left
    assert make_branch().id == 1
    assert make_warehouse(Branch.get_by_id(1)).id == 1
    again = make_product()
    assert again.id == 1
    assert Order.select().count() == 0
