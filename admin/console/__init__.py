"""The admin console: server-rendered pages under /admin for staff, in Simplified Chinese.

Pages call the same staff use cases as the admin API (`app/backoffice`); the session is kept on
the server and expires when idle; every POST carries a CSRF token (form field or htmx header).
"""

from __future__ import annotations

import datetime as dt

from flask import Flask

# Every route module, listed: each attaches its routes to bp when imported.
from admin.console import (  # noqa: F401
    catalog,
    customers,
    field,
    finance,
    imports,
    integrations,
    inventory,
    orders,
    pages,
    payments,
    promotions,
    receipts,
    reports,
    returns,
    session,
    settings,
    shops,
    signin,
    staff_orders,
    styles,
)
from admin.console.blueprint import bp


def register(app: Flask) -> None:
    app.permanent_session_lifetime = dt.timedelta(hours=app.config["CONSOLE_SESSION_HOURS"])
    app.register_blueprint(bp)
