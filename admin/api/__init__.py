"""The admin JSON API, /api/admin/v1."""

from admin.api import (
    catalog,
    customers,
    field,
    integrations,
    inventory,
    notifications,
    orders,
    orgs,
    payments,
    promotions,
    reports,
    returns,
    session,
    shops,
    stock,
)

BLUEPRINTS = [
    session.bp,
    catalog.bp,
    customers.bp,
    orders.bp,
    stock.bp,
    orgs.bp,
    notifications.bp,
    field.bp,
    returns.bp,
    integrations.bp,
    reports.bp,
    shops.bp,
    inventory.bp,
    payments.bp,
    promotions.bp,
]


def register(api) -> None:
    for bp in BLUEPRINTS:
        api.register_blueprint(bp)
