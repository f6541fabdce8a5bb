"""The application shell: config, CLI commands, health check and the error envelope."""

import re

import pytest
from werkzeug.security import check_password_hash

from app import create_app
from app.core.models import Customer, Order, Product, ProductPrice, Staff, Stock
from app.notify.models import InboxMessage
from app.shops.models import Shop, ShopOrder, ShopOrderLine
from config.settings import ProductionConfig, get_config


def test_production_refuses_to_start_without_its_secrets(monkeypatch):
    for name in ProductionConfig.REQUIRED:
        monkeypatch.setattr(ProductionConfig, name, None)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig)


def test_unknown_environment_name_is_refused():
    with pytest.raises(RuntimeError, match="unknown APP_ENV"):
        get_config("staging-typo")


def test_health_check_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["components"]["database"] == "ok"
    assert body["components"]["redis"] in ("ok", "not_configured")


def test_unknown_route_gets_the_error_envelope(client):
    response = client.get("/no/such/thing")
    assert response.status_code == 404
    body = response.get_json()
    assert body["error"]["code"] == "not_found"
    assert body["error"]["message"]


def test_wrong_method_gets_the_error_envelope(client):
    response = client.post("/healthz")
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"


def test_create_staff_command_hashes_the_password(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "create-staff",
            "--username",
            "zhang",
            "--password",
            "s3cret-pass",
            "--role",
            "finance",
        ]
    )
    assert result.exit_code == 0, result.output
    staff = Staff.get(Staff.username == "zhang")
    assert staff.password_hash != "s3cret-pass"
    assert check_password_hash(staff.password_hash, "s3cret-pass")
    assert (staff.role, staff.data_scope) == ("finance", "all")


def test_create_staff_command_reports_bad_input_without_a_traceback(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["create-staff", "--username", "li", "--password", "short", "--role", "finance"]
    )
    assert result.exit_code != 0
    assert "密码至少 8 位" in result.output
    result = runner.invoke(
        args=["create-staff", "--username", "li", "--password", "long-enough", "--role", "cto"]
    )
    assert "角色无效" in result.output
    assert not Staff.select().where(Staff.username == "li").exists()


def test_seed_demo_builds_a_believable_company_once(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "demo logins" in result.output and "kefu" in result.output
    assert 35 <= Product.select().count() <= 45
    assert ProductPrice.select().count() == Product.select().count() * 10
    assert Customer.select().count() == 10
    shop_orders = {o.status for o in ShopOrder.select()}
    assert (
        Shop.select().count() == 4
        and {"pending", "merged", "exception", "cancelled"} <= shop_orders
    )
    # An order short of stock is short by a few, as a real one is: the channel report's figures
    # (which count every paid platform order) stay those of a real shop.
    assert max(line.qty for line in ShopOrderLine.select()) < 100
    # Every message names orders by the numbers they carry (backdated orders were renumbered).
    numbers = {o.number for o in Order.select(Order.number)}
    named = {n for m in InboxMessage.select() for n in re.findall(r"SO\d{14}", m.title + m.body)}
    assert named and named <= numbers, named - numbers
    # So does the statement, and a receipt's number carries the day it was received.
    from app.core.models import AccountEntry, Receipt
    from app.timeutil import local_date

    noted = {n for e in AccountEntry.select() for n in re.findall(r"SO\d{14}", e.note)}
    assert noted and noted <= numbers, noted - numbers
    receipts = list(Receipt.select())
    assert len({local_date(r.received_at).month for r in receipts}) == 2  # last month's too
    for receipt in receipts:
        assert receipt.number[2:10] == f"{local_date(receipt.received_at):%Y%m%d}", receipt.number
    assert {c.settlement_method for c in Customer.select()} == {"credit", "prepaid", "cod"}
    # Every default address has its region, so its edit form opens with the pickers set.
    from app.core.models import CustomerAddress
    from app.mall import regions

    defaults = list(CustomerAddress.select().where(CustomerAddress.is_default))
    assert len(defaults) == 10
    for a in defaults:
        regions.check(a.province, a.city, a.district)
    roles = {s.role for s in Staff.select()}
    assert roles == {
        "admin",
        "customer_service",
        "branch_manager",
        "hq_approver",
        "warehouse",
        "finance",
        "rep",
    }
    assert Stock.select().where(Stock.on_hand > 0).count() > 40
    assert {o.status for o in Order.select()} >= {"pending_review", "shipped"}
    from app.approval.models import ApprovalRule
    from app.mall.models import Favourite

    assert Favourite.select().count() == 8  # 收藏 of the two dealers with demo invitations
    (phoned,) = Order.select().where(Order.source == "staff")  # 代下单 by customer service
    assert InboxMessage.select().where(InboxMessage.order == phoned.id).count() == 1

    order_rules = ApprovalRule.select().where(ApprovalRule.document == "order")
    assert [r.priority for r in order_rules.order_by(ApprovalRule.priority)] == [10, 20]
    # A picture for every product, its name's first characters on a tile, served at /media/.
    assert all(p.image.startswith("/media/products/") for p in Product.select())
    tile = app.test_client().get(Product.select().first().image)
    assert tile.status_code == 200 and tile.headers["Content-Type"] == "image/jpeg"
    again = runner.invoke(args=["seed-demo", "--if-empty"])
    assert "seed skipped" in again.output
    assert Customer.select().count() == 10


def test_db_status_lists_the_applied_migration(app):
    result = app.test_cli_runner().invoke(args=["db-status"])
    assert "[x] 0001_initial" in result.output


def test_env_example_lists_every_variable_the_config_reads():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    source = (root / "config" / "settings.py").read_text()
    read = set(re.findall(r'env(?:_int)?\("([A-Z_]+)"', source))
    listed = set(re.findall(r"^([A-Z_]+)=", (root / "config" / ".env.example").read_text(), re.M))
    assert read - listed == set()


def test_two_apps_in_one_process_both_serve(app, app_config, client):
    """create_app may run again in a process (a second app, a worker, a test): blueprints are
    complete at import and process-wide services are set idempotently."""
    second = create_app(app_config)
    for c in (client, second.test_client()):
        assert c.get("/healthz").status_code == 200
        assert c.get("/admin/login").status_code == 200  # the console, with its template filters
        assert c.post("/api/mp/v1/auth/login", json={"code": "twice-1"}).status_code == 200
    assert second.jinja_env.filters["yuan"](1234.5) == "¥1,234.50"


def test_each_hook_is_asked_once_whether_it_is_a_coroutine(client, monkeypatch):
    """Flask asks of every view and hook, on every request, whether it is a coroutine; the app
    asks once per function (DealerMallFlask.ensure_sync): a request after the first asks nothing,
    and an async function is still told apart (Flask wraps it or says what it needs)."""
    import flask.app

    client.get("/healthz"), client.get("/no-such-page")
    asked = []
    real = flask.app.iscoroutinefunction
    monkeypatch.setattr(flask.app, "iscoroutinefunction", lambda f: asked.append(f) or real(f))
    assert client.get("/healthz").status_code == 200
    assert client.get("/no-such-page").status_code == 404
    assert asked == []

    async def view():
        return "async"

    try:
        assert client.application.ensure_sync(view) is not view
    except RuntimeError as refused:  # asgiref not installed: Flask says so
        assert "async" in str(refused)
    assert asked == [view]
