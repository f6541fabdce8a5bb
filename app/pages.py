"""One way for a page's form to run a service call (the console's and the H5 pages'): POST, then
redirect to a page that says how it went (a flash message), whether it worked or not."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import Blueprint, flash, redirect, request

from app.errors import AppError
from app.extensions import csrf
from app.validation import reject_unstorable_form


def page_blueprint(name: str, import_name: str, url_prefix: str, root: Path) -> Blueprint:
    """A surface of pages: its templates and static files in `root`, the static ones served
    under the surface's own prefix; every request checked by `check_form_request` before the
    surface's own `before_request` functions run."""
    bp = Blueprint(
        name,
        import_name,
        url_prefix=url_prefix,
        template_folder=str(root / "templates"),
        static_folder=str(root / "static"),
        static_url_path="/static",
    )
    bp.before_request(check_form_request)
    return bp


def check_form_request() -> None:
    """Before any page view runs: CSRF on every unsafe method, and no value in the form or the
    query string that the database could not store."""
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()
    reject_unstorable_form(request.args, request.form)


class Unmet(str):
    """What an action that went through says when the outside world did not do what was asked
    (a refund WeChat Pay refused, recorded as failed): said as an error, not a success."""


def perform(
    action: Callable[[], object],
    success: str,
    back: str,
    then: Callable[[object], str] | None = None,
    *,
    describe: Callable[[AppError], str] = lambda exc: exc.message,
    code: int = 302,
):
    """Run `action`; on an AppError say `describe(error)` and go `back`; on success say the
    message the action returned (a string; an `Unmet` one as an error) or `success`, and go to
    `then(result)` or `back`. An empty message is not shown."""
    try:
        result = action()
    except AppError as exc:
        message = describe(exc)
        if message:
            flash(message, "error")
        return redirect(back, code=code)
    message = result if isinstance(result, str) else success
    if message:
        flash(message, "error" if isinstance(message, Unmet) else "success")
    return redirect(then(result) if then else back, code=code)
