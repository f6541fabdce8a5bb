"""What the console's forms and filters choose from, and the names its pages show for ids:
branches, warehouses, products, categories, reps, customers and staff, each in one order."""

from __future__ import annotations

from collections.abc import Iterable

from app.auth.scopes import scoped, warehouses_in_scope
from app.core.models import Branch, Category, Customer, Product, Staff, Warehouse


def branches() -> list[Branch]:
    return list(Branch.select().order_by(Branch.code))


def branch_options(*, with_code: bool = False) -> list[tuple[int, str]]:
    """(id, name) of every branch by code; `with_code`: "code name"."""
    return [(b.id, f"{b.code} {b.name}" if with_code else b.name) for b in branches()]


def branch_names() -> dict[int, str]:
    return {b.id: b.name for b in Branch.select(Branch.id, Branch.name)}


def branches_seen_by(staff: Staff) -> list[Branch]:
    """Every branch for a head-office person, their own for a branch-scoped one."""
    query = Branch.select().order_by(Branch.code)
    if staff.data_scope != "all":
        query = query.where(Branch.id == staff.branch_id)
    return list(query)


def warehouses(staff: Staff | None = None) -> list[Warehouse]:
    """Warehouses by code; given a staff member, those in their scope."""
    query = Warehouse.select().order_by(Warehouse.code)
    if staff is not None:
        query = query.where(Warehouse.id << warehouses_in_scope(staff))
    return list(query)


def own_warehouse_id(staff: Staff) -> int | None:
    """The warehouse a staff member works from: the first (by code) of their branch's in their
    scope, else the first in their scope by code; None when they have none."""
    seen = warehouses(staff)
    own = [w for w in seen if staff.branch_id and w.branch_id == staff.branch_id]
    return (own or seen)[0].id if seen else None


def warehouse_options(staff: Staff | None = None, *, with_code: bool = True):
    return [(w.id, f"{w.code} {w.name}" if with_code else w.name) for w in warehouses(staff)]


def product_options() -> list[tuple[int, str]]:
    """(id, "SKU name") of every product by SKU."""
    return [(p.id, f"{p.sku} {p.name}") for p in Product.select().order_by(Product.sku)]


def products_for_picking() -> list[tuple[str, str]]:
    """(SKU, "name（unit）") of every active product by SKU: a picker's suggestions where a
    product is named by its code."""
    rows = Product.select(Product.sku, Product.name, Product.unit).where(Product.active)
    return [(p.sku, f"{p.name}（{p.unit}）") for p in rows.order_by(Product.sku)]


def products_by_id(ids: Iterable[int]) -> dict[int, Product]:
    ids = [i for i in set(ids) if i]
    return {p.id: p for p in Product.select().where(Product.id << ids)} if ids else {}


def product_by_sku(sku: str) -> Product | None:
    return Product.get_or_none(Product.sku == sku)


def categories() -> list[Category]:
    return list(Category.select().order_by(Category.sort, Category.id))


def category_options() -> list[tuple[int, str]]:
    return [(c.id, c.name) for c in categories()]


def rep_options() -> list[tuple[int, str]]:
    """Active reps, as a customer's rep is chosen."""
    reps = Staff.select().where((Staff.role == "rep") & Staff.active).order_by(Staff.id)
    return [(s.id, s.name or s.username) for s in reps]


def staff_names(ids: Iterable[int]) -> dict[int, str]:
    ids = [i for i in set(ids) if i]
    if not ids:
        return {}
    return {s.id: s.name or s.username for s in Staff.select().where(Staff.id << ids)}


def customer_labels() -> dict[int, str]:
    """id → "code name" of every customer, by code."""
    return {c.id: f"{c.code} {c.name}" for c in Customer.select().order_by(Customer.code)}


def active_customers(staff: Staff):
    """Active customers in the caller's scope, by code."""
    return scoped(Customer.select().where(Customer.active), staff).order_by(Customer.code)


def _id_where(model, columns, text: str) -> int | None:
    for column in columns:
        found = model.get_or_none(column == text)
        if found is not None:
            return found.id
    return None


def category_id_named(text: str) -> int | None:
    return _id_where(Category, (Category.name,), text)


def branch_id_named(text: str) -> int | None:
    """The branch with this code, else with this name."""
    return _id_where(Branch, (Branch.code, Branch.name), text)


def warehouse_id_named(text: str) -> int | None:
    """The warehouse with this code, else with this name."""
    return _id_where(Warehouse, (Warehouse.code, Warehouse.name), text)


def rep_id_named(username: str) -> int | None:
    rep = Staff.get_or_none((Staff.username == username) & (Staff.role == "rep"))
    return rep.id if rep else None


def product_ids_by_sku(skus: list[str]) -> dict[str, int]:
    return {p.sku: p.id for p in Product.select(Product.id, Product.sku).where(Product.sku << skus)}


def customer_ids_by_code(codes: list[str]) -> dict[str, int]:
    found = Customer.select(Customer.id, Customer.code).where(Customer.code << codes)
    return {c.code: c.id for c in found}
