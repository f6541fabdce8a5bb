"""The official account's H5 pages under /h5: phone pages for dealers and reps inside WeChat's
browser, signed in through the official account's OAuth."""

from __future__ import annotations

from flask import Flask

from app.http import page_error_handler

# Every route module, listed: each attaches its routes to bp when imported.
from h5 import (  # noqa: F401
    addresses,
    auth,
    commerce,
    follow,
    payments,
    picking,
    rep,
    returns,
    session,
    shop,
    staff,
    visit_cart,
)
from h5.blueprint import bp


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    # An unknown /h5 path or a wrong method is answered before any H5 view runs: a page too.
    page_error_handler(app, bp.url_prefix, session.http_error_page)
