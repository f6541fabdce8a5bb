"""The admin console: server-rendered pages under /admin for staff, in Simplified Chinese.

Pages call the same services as the admin API; the session is a signed cookie that expires when
idle; every POST carries a CSRF token (form field or htmx header).
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask

HERE = Path(__file__).resolve().parent.parent

bp = Blueprint(
    "console",
    __name__,
    url_prefix="/admin",
    template_folder=str(HERE / "templates"),
    static_folder=str(HERE / "static"),
    static_url_path="/static",
)


def register(app: Flask) -> None:
    # The modules attach their routes to bp when imported.
    import datetime as dt

    from admin.console import (  # noqa: F401
        catalog,
        customers,
        field,
        finance,
        imports,
        orders,
        pages,
        session,
        settings,
    )
    from app.timeutil import to_local

    @bp.app_template_filter("local")
    def _local(value, fmt="%Y-%m-%d %H:%M"):
        """Stored UTC → the business time zone, as staff read times."""
        if value is None:
            return ""
        if isinstance(value, dt.datetime):
            return to_local(value).strftime(fmt)
        return str(value)

    @bp.app_template_filter("yuan")
    def _yuan(value):
        return "" if value is None else f"¥{value:,.2f}"

    app.permanent_session_lifetime = dt.timedelta(hours=app.config["CONSOLE_SESSION_HOURS"])
    app.register_blueprint(bp)
