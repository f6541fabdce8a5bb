"""HTTP API for the mini-program and the official account's H5 pages: /api/mp/v1."""

from app.api import registrar
from miniprogram_api import account, auth, catalog, messages, orders, payments, rep, returns

register = registrar(
    auth.bp,
    catalog.bp,
    orders.bp,
    account.bp,
    messages.bp,
    rep.bp,
    returns.bp,
    payments.bp,
)
