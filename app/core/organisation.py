"""Organisation use cases: branches, warehouses and customers (the dealers' accounts at HQ)."""

from __future__ import annotations

from decimal import Decimal

from peewee import IntegrityError

from app.core.models import Branch, Customer, CustomerAddress, Staff, Warehouse
from app.core.rules import SettlementMethod
from app.db import db
from app.errors import Conflict, NotFound, ValidationFailed
from app.money import money


def create_branch(code: str, name: str) -> Branch:
    with db.atomic():
        try:
            with db.atomic():
                return Branch.create(code=code, name=name)
        except IntegrityError:
            raise Conflict("分支机构编码已存在", code=code) from None


def create_warehouse(code: str, name: str, branch_id: int | None = None, address: str = ""):
    with db.atomic():
        if branch_id is not None and Branch.get_or_none(Branch.id == branch_id) is None:
            raise NotFound("分支机构不存在", branch_id=branch_id)
        try:
            with db.atomic():
                return Warehouse.create(code=code, name=name, branch=branch_id, address=address)
        except IntegrityError:
            raise Conflict("仓库编码已存在", code=code) from None


def _check_references(fields: dict) -> None:
    if "branch_id" in fields and Branch.get_or_none(Branch.id == fields["branch_id"]) is None:
        raise NotFound("分支机构不存在", branch_id=fields["branch_id"])
    if "warehouse_id" in fields and not Warehouse.get_or_none(
        Warehouse.id == fields["warehouse_id"]
    ):
        raise NotFound("仓库不存在", warehouse_id=fields["warehouse_id"])
    rep_id = fields.get("rep_id")
    if rep_id is not None:
        rep = Staff.get_or_none(Staff.id == rep_id)
        if rep is None or rep.role != "rep":
            raise NotFound("业务员不存在", rep_id=rep_id)
    method = fields.get("settlement_method")
    if method is not None and method not in {m.value for m in SettlementMethod}:
        raise ValidationFailed("结算方式无效", settlement_method=["须为 prepaid、credit 或 cod"])
    if "credit_limit" in fields:
        fields["credit_limit"] = money(fields["credit_limit"])
        if fields["credit_limit"] < 0:
            raise ValidationFailed("信用额度不能为负数", credit_limit=["不能为负数"])


def _columns(fields: dict) -> dict:
    renames = {"branch_id": "branch", "warehouse_id": "warehouse", "rep_id": "rep"}
    return {renames.get(k, k): v for k, v in fields.items()}


def create_customer(**fields) -> Customer:
    """Open a customer account; its address becomes the default delivery address.

    Raises: Conflict (duplicate code), NotFound, ValidationFailed.
    """
    fields.setdefault("credit_limit", Decimal("0"))
    with db.atomic():
        _check_references(fields)
        try:
            with db.atomic():
                customer = Customer.create(**_columns(fields))
        except IntegrityError:
            raise Conflict("客户编码已存在", code=fields.get("code")) from None
        if customer.address:
            CustomerAddress.create(
                customer=customer.id,
                contact=customer.contact or customer.name,
                phone=customer.phone,
                address=customer.address,
                is_default=True,
            )
        return customer


def update_customer(customer_id: int, **fields) -> Customer:
    with db.atomic():
        customer = Customer.get_or_none(Customer.id == customer_id)
        if customer is None:
            raise NotFound("客户不存在", customer_id=customer_id)
        _check_references(fields)
        for key, value in _columns(fields).items():
            setattr(customer, key, value)
        try:
            with db.atomic():
                # Only the fields asked for: never write back ar_balance/held read a moment ago.
                customer.save(only=[getattr(Customer, k) for k in _columns(fields)] or None)
        except IntegrityError:
            raise Conflict("客户编码已存在", code=customer.code) from None
        return Customer.get_by_id(customer_id)
