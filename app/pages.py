"""One way for a page's form to run a service call (the console's and the H5 pages'): POST, then
redirect to a page that says how it went (a flash message), whether it worked or not."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect

from app.errors import AppError


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
    message the action returned (a string) or `success`, and go to `then(result)` or `back`.
    An empty message is not shown."""
    try:
        result = action()
    except AppError as exc:
        message = describe(exc)
        if message:
            flash(message, "error")
        return redirect(back, code=code)
    message = result if isinstance(result, str) else success
    if message:
        flash(message, "success")
    return redirect(then(result) if then else back, code=code)
