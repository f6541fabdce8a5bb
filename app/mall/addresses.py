"""A customer's delivery addresses (收货地址): the dealer's address book, kept by the dealer, their
rep or staff alike. Orders are sent to one of them (the default when none is chosen) and keep a
copy of its text, so editing or deleting an address never changes an order already placed."""

from __future__ import annotations

from app.core.models import Customer, CustomerAddress
from app.db import transaction
from app.errors import NotFound, ValidationFailed
from app.mall import regions

MAX_ADDRESSES = 30
FIELDS = ("contact", "phone", "province", "city", "district", "address")


def addresses_of(customer_id: int) -> list[CustomerAddress]:
    """The default first, then oldest first."""
    return list(
        CustomerAddress.select()
        .where(CustomerAddress.customer == customer_id)
        .order_by(CustomerAddress.is_default.desc(), CustomerAddress.id)
    )


def address_of(customer_id: int, address_id: int) -> CustomerAddress:
    """One address of this customer. Raises: NotFound, also for another customer's address."""
    found = CustomerAddress.get_or_none(
        (CustomerAddress.id == address_id) & (CustomerAddress.customer == customer_id)
    )
    if found is None:
        raise NotFound("收货地址不存在", address_id=address_id)
    return found


def add(customer_id: int, data: dict) -> CustomerAddress:
    """A new address ({contact, phone, province, city, district, address, is_default?}); the
    customer's first address, or one marked default, becomes the default.

    Raises: NotFound (no such customer), ValidationFailed (a region that does not exist, too many).
    """
    regions.check(data["province"], data["city"], data["district"])
    with transaction():
        if not Customer.select().where(Customer.id == customer_id).exists():
            raise NotFound("客户不存在", customer_id=customer_id)
        count = CustomerAddress.select().where(CustomerAddress.customer == customer_id).count()
        if count >= MAX_ADDRESSES:
            raise ValidationFailed(f"最多保存 {MAX_ADDRESSES} 个收货地址，请先删除不用的地址")
        default = bool(data.get("is_default")) or count == 0
        if default:
            _clear_default(customer_id)
        return CustomerAddress.create(
            customer=customer_id, is_default=default, **{k: data[k] for k in FIELDS}
        )


def update(customer_id: int, address_id: int, data: dict) -> CustomerAddress:
    """Change some fields of an address; `is_default: true` makes it the default (the default
    cannot be unset except by making another one the default).

    Raises: NotFound, ValidationFailed.
    """
    with transaction():
        found = address_of(customer_id, address_id)
        changes = {k: data[k] for k in FIELDS if k in data}
        for key, value in changes.items():
            setattr(found, key, value)
        if any(k in changes for k in ("province", "city", "district")):
            regions.check(found.province, found.city, found.district)
        if data.get("is_default") and not found.is_default:
            _clear_default(customer_id)
            found.is_default = True
        elif data.get("is_default") is False and found.is_default:
            raise ValidationFailed("请把另一个地址设为默认，这个地址就不再是默认地址")
        found.save()
        return found


def delete(customer_id: int, address_id: int) -> CustomerAddress:
    """Remove an address; when it was the default, the oldest remaining one becomes the default.
    Raises: NotFound."""
    with transaction():
        found = address_of(customer_id, address_id)
        found.delete_instance()
        if found.is_default:
            successor = (
                CustomerAddress.select(CustomerAddress.id)
                .where(CustomerAddress.customer == customer_id)
                .order_by(CustomerAddress.id)
                .first()
            )
            if successor is not None:
                CustomerAddress.update(is_default=True).where(
                    CustomerAddress.id == successor.id
                ).execute()
        return found


def _clear_default(customer_id: int) -> None:
    CustomerAddress.update(is_default=False).where(
        (CustomerAddress.customer == customer_id) & CustomerAddress.is_default
    ).execute()
