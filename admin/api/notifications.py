"""The notification outbox for staff: what went out by which channel, what is dead-lettered."""

from __future__ import annotations

from admin.schemas import NotificationOut, NotificationPageOut, NotificationQueryIn
from admin.security import BEARER, current_staff, staff_required
from app.api import Blueprint
from app.backoffice import queries
from app.notify import delivery
from app.validation import paged

bp = Blueprint("admin_notifications", __name__, url_prefix="/api/admin/v1", description="通知")


@bp.get("/notifications")
@staff_required("notifications.view")
@bp.arguments(NotificationQueryIn, location="query")
@bp.response(200, NotificationPageOut)
@bp.doc(security=BEARER)
def list_notifications(args):
    """Notifications in scope; `status=dead` lists the dead letters."""
    query = queries.notifications_query(current_staff(), args)
    total = query.count()
    items = query.paginate(args["page"], args["per_page"])
    return paged(items, args["page"], args["per_page"], total)


@bp.post("/notifications/<id:notification_id>/retry")
@staff_required("notifications.manage")
@bp.response(200, NotificationOut)
@bp.doc(security=BEARER)
def retry(notification_id):
    """Put a dead letter back in the queue."""
    return delivery.retry_dead(notification_id, current_staff())
