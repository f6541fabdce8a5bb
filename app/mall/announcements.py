"""Announcements from HQ: to every dealer, or to the dealers of one branch."""

from __future__ import annotations

from app.core.models import Branch
from app.db import transaction, utcnow
from app.errors import NotFound
from app.mall.models import Announcement


def publish(
    title: str, body: str, *, branch_id=None, pinned=False, expires_at=None, created_by=None
):
    """Raises: NotFound (branch)."""
    with transaction():
        if branch_id is not None and not Branch.select().where(Branch.id == branch_id).exists():
            raise NotFound("分支机构不存在", branch_id=branch_id)
        return Announcement.create(
            title=title,
            body=body,
            branch=branch_id,
            pinned=pinned,
            expires_at=expires_at,
            created_by=created_by,
        )


def for_branch(branch_id: int, page: int, per_page: int) -> tuple[list[Announcement], int]:
    """Published, unexpired announcements a dealer of this branch sees: pinned first, then newest."""
    now = utcnow()
    query = Announcement.select().where(
        (Announcement.published_at <= now)
        & (Announcement.expires_at.is_null() | (Announcement.expires_at > now))
        & (Announcement.branch.is_null() | (Announcement.branch == branch_id))
    )
    total = query.count()
    items = query.order_by(
        Announcement.pinned.desc(), Announcement.published_at.desc(), Announcement.id.desc()
    ).paginate(page, per_page)
    return list(items), total
