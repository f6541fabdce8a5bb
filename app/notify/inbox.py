"""The in-app inbox of a dealer's customer, or of a rep: list, unread count, mark read. Every read
and write is the owner's own (invariant 6)."""

from __future__ import annotations

from dataclasses import dataclass

from app.db import execute, transaction, utcnow
from app.errors import NotFound
from app.mall.models import WechatUser
from app.notify.models import InboxMessage


@dataclass(frozen=True)
class Owner:
    """Whose inbox: a dealer's customer, or a rep (staff)."""

    customer_id: int | None = None
    staff_id: int | None = None

    @classmethod
    def of(cls, user: WechatUser) -> Owner:
        if user.role == "dealer":
            return cls(customer_id=user.customer_id)
        return cls(staff_id=user.staff_id)

    def condition(self):
        if self.customer_id is not None:
            return InboxMessage.customer == self.customer_id
        return InboxMessage.staff == self.staff_id


def unread_count(owner: Owner) -> int:
    sql, params = unread_query(owner)
    return execute(sql, params).fetchone()[0]


# Read with every home screen: written once.
_UNREAD = "SELECT COUNT(*) FROM inbox_message WHERE {} = %s AND read_at IS NULL"
_UNREAD_OF_CUSTOMER = _UNREAD.format("customer_id")
_UNREAD_OF_STAFF = _UNREAD.format("staff_id")


def unread_query(owner: Owner) -> tuple[str, list]:
    """The query `unread_count` runs (one row, one count) and its parameters."""
    if owner.customer_id is not None:
        return _UNREAD_OF_CUSTOMER, [owner.customer_id]
    return _UNREAD_OF_STAFF, [owner.staff_id]


def unread_of_signed_in() -> str:
    """`unread_query` as a subquery of the sign-in's statement (the user is `u`): a dealer's
    customer's inbox, else the staff member's (a user bound to no one has none: 0)."""
    of_customer = _UNREAD_OF_CUSTOMER.replace("%s", "u.customer_id")
    of_staff = _UNREAD_OF_STAFF.replace("%s", "u.staff_id")
    return f"SELECT CASE WHEN u.role = 'dealer' THEN ({of_customer}) ELSE ({of_staff}) END"


def messages(owner: Owner, unread_only: bool, page: int, per_page: int):
    """Newest first; returns (items, total, unread)."""
    query = InboxMessage.select().where(owner.condition())
    if unread_only:
        query = query.where(InboxMessage.read_at.is_null())
    total = query.count()
    items = list(
        query.order_by(InboxMessage.created_at.desc(), InboxMessage.id.desc()).paginate(
            page, per_page
        )
    )
    return items, total, unread_count(owner)


def mark_read(owner: Owner, message_id: int) -> InboxMessage:
    """Raises: NotFound, also for someone else's message."""
    with transaction():
        InboxMessage.update(read_at=utcnow()).where(
            (InboxMessage.id == message_id) & owner.condition() & InboxMessage.read_at.is_null()
        ).execute()
        found = InboxMessage.get_or_none((InboxMessage.id == message_id) & owner.condition())
        if found is None:
            raise NotFound("消息不存在", message_id=message_id)
        return found


def mark_all_read(owner: Owner) -> int:
    with transaction():
        InboxMessage.update(read_at=utcnow()).where(
            owner.condition() & InboxMessage.read_at.is_null()
        ).execute()
    return 0
