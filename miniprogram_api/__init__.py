"""HTTP API for the mini-program and the official account's H5 pages: /api/mp/v1."""

from miniprogram_api import account, auth, catalog, messages, orders, payments, rep, returns

BLUEPRINTS = [
    auth.bp,
    catalog.bp,
    orders.bp,
    account.bp,
    messages.bp,
    rep.bp,
    returns.bp,
    payments.bp,
]


def register(api) -> None:
    for bp in BLUEPRINTS:
        api.register_blueprint(bp)
