"""The in-app inbox (every notification meant for this dealer or rep, whatever WeChat or SMS did),
and which subscribe templates the mini-program should ask the dealer for."""

from __future__ import annotations

from app.api import Blueprint
from app.notify import inbox
from app.notify.settings import current as notify_settings
from miniprogram_api.schemas import (
    InboxMessageOut,
    InboxPageOut,
    InboxQueryIn,
    TemplateIdsOut,
    UnreadOut,
)
from miniprogram_api.security import current_user, login_required

bp = Blueprint("mp_messages", __name__, url_prefix="/api/mp/v1", description="站内消息")
bound = login_required("dealer", "rep")


def _owner() -> inbox.Owner:
    return inbox.Owner.of(current_user())


@bp.get("/messages")
@bound
@bp.arguments(InboxQueryIn, location="query")
@bp.response(200, InboxPageOut)
def list_messages(args):
    """Newest first, with the unread count."""
    items, total, unread = inbox.messages(
        _owner(), args["unread_only"], args["page"], args["per_page"]
    )
    return {
        "items": items,
        "page": args["page"],
        "per_page": args["per_page"],
        "total": total,
        "unread": unread,
    }


@bp.post("/messages/<id:message_id>/read")
@bound
@bp.response(200, InboxMessageOut)
def read_message(message_id):
    return inbox.mark_read(_owner(), message_id)


@bp.post("/messages/read-all")
@bound
@bp.response(200, UnreadOut)
def read_all():
    return {"unread": inbox.mark_all_read(_owner())}


@bp.get("/subscriptions/templates")
@bound
@bp.response(200, TemplateIdsOut)
def subscribe_templates():
    """The template ids to pass to wx.requestSubscribeMessage (order status and shipment); each
    accepted one allows one more message (POST /subscriptions)."""
    return {"template_ids": list(notify_settings().subscribe_templates.values())}
