"""The notification outbox for staff: what went out by which channel, what is dead-lettered."""

from __future__ import annotations

from admin.schemas import NotificationOut, NotificationPageOut, NotificationQueryIn
from admin.security import current_staff, staff_required
from app.api import Blueprint
from app.backoffice import queries
from app.notify import delivery
from app.validation import page_of_query

bp = Blueprint("admin_notifications", __name__, url_prefix="/api/admin/v1", description="通知")


@bp.get("/notifications")
@staff_required("notifications.view")
@bp.arguments(NotificationQueryIn, location="query")
@bp.response(200, NotificationPageOut)
def list_notifications(args):
    """Notifications in scope; `status=dead` lists the dead letters."""
    return page_of_query(queries.notifications_query(current_staff(), args), args)


@bp.post("/notifications/<id:notification_id>/retry")
@staff_required("notifications.manage")
@bp.response(200, NotificationOut)
def retry(notification_id):
    """Put a dead letter back in the queue."""
    return delivery.retry_dead(notification_id, current_staff())
