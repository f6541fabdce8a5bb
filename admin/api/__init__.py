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
from app.api import registrar

register = registrar(
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
)
