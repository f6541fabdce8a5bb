"""The console's front page: orders and amount per day, top products, the review backlog, aging."""

from __future__ import annotations

from flask import g, redirect, render_template, url_for

from admin.console.blueprint import bp
from admin.console.forms import console_page
from app.backoffice import alerts, queries, todo


@bp.get("/")
def index():
    return redirect(url_for("console.dashboard"))


@console_page("/dashboard", "orders.view")
def dashboard():
    return render_template(
        "console/dashboard.html",
        data=queries.dashboard(g.staff),
        alerts=alerts.alerts_for(g.staff),
    )


# Where each kind of document waiting (todo.Item.document) is dealt with: its own page, or the
# list it is signed or issued on, at its row.
WAITING_WORK_PAGES = {
    "order": lambda i: url_for("console.order_detail", order_id=i.id),
    "return": lambda i: url_for("console.return_detail", return_id=i.id),
    "shop_order": lambda i: url_for("console.shop_order", order_id=i.id),
    "transfer": lambda i: url_for("console.stock_transfer", transfer_id=i.id),
    "stock_receipt": lambda i: url_for("console.stock_receipt", receipt_id=i.id),
    "refund": lambda i: url_for("console.refunds_list", status=i.status) + f"#refund-{i.id}",
    "invoice": lambda i: url_for("console.invoices_list", status=i.status) + f"#invoice-{i.id}",
}


@console_page("/todo", "orders.view")
def todo_page():
    """待我处理: what waits for the signed-in staff member, oldest first, each linking to where
    it is done."""
    return render_template(
        "console/todo.html",
        todos=todo.todos(g.staff),
        href=lambda item: WAITING_WORK_PAGES[item.document](item),
    )
