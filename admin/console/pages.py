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


@console_page("/todo", "orders.view")
def todo_page():
    """待我处理: what waits for the signed-in staff member, oldest first."""
    return render_template("console/todo.html", todos=todo.todos(g.staff))
