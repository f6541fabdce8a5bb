"""The notification outbox for staff: what went out by which channel, what is dead-lettered."""

from __future__ import annotations

from admin.api.blueprint import StaffBlueprint
from admin.schemas import NotificationOut, NotificationPageOut, NotificationQueryIn
from admin.security import current_staff
from app.backoffice import queries
from app.notify import delivery

bp = StaffBlueprint("admin_notifications", __name__, "通知")


@bp.listing("/notifications", "notifications.view", NotificationQueryIn, NotificationPageOut)
def list_notifications(args):
    """Notifications in scope; `status=dead` lists the dead letters."""
    return queries.notifications_query(current_staff(), args)


@bp.post("/notifications/<id:notification_id>/retry")
@bp.staff("notifications.manage", out=NotificationOut)
def retry(notification_id):
    """Put a dead letter back in the queue."""
    return delivery.retry_dead(notification_id, current_staff())
