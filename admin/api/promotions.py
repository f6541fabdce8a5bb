"""Promotions (特价, 阶梯价, 满减, 满赠/买赠): create, list, change, end early, preview for a dealer."""

from __future__ import annotations

from admin.api.blueprint import StaffBlueprint
from admin.schemas import (
    PromotionIn,
    PromotionOut,
    PromotionPageOut,
    PromotionPatchIn,
    PromotionPreviewIn,
    PromotionPreviewOut,
    PromotionQueryIn,
)
from admin.security import current_staff
from app.api import page_from
from app.backoffice import promotions

bp = StaffBlueprint("admin_promotions", __name__, "促销")


@bp.post("/promotions")
@bp.staff("promotions.manage", body=PromotionIn, status=201, out=PromotionOut)
def create_promotion(data):
    """A promotion with its kind's `rules`, window and targets (none named: everyone)."""
    return promotions.create_promotion(current_staff(), data)


@bp.get("/promotions")
@bp.staff("promotions.view", query=PromotionQueryIn, out=PromotionPageOut)
def list_promotions(args):
    return page_from(promotions.promotions_page, args, current_staff(), args)


bp.detail(
    "get_promotion",
    "/promotions/<id:promotion_id>",
    "promotions.view",
    PromotionOut,
    promotions.promotion,
)


@bp.patch("/promotions/<id:promotion_id>")
@bp.staff("promotions.manage", body=PromotionPatchIn, out=PromotionOut)
def update_promotion(data, promotion_id):
    """Change a promotion; placed orders keep what they were given. End early: `ends_at` now."""
    return promotions.update_promotion(current_staff(), promotion_id, data)


@bp.post("/promotions/<id:promotion_id>/end")
@bp.staff("promotions.manage", out=PromotionOut)
def end_promotion(promotion_id):
    """提前结束: an open promotion ends now; one not yet begun is switched off."""
    return promotions.end_promotion(current_staff(), promotion_id)


@bp.post("/promotions/preview")
@bp.staff("promotions.view", body=PromotionPreviewIn, out=PromotionPreviewOut)
def preview(data):
    """What a dealer is offered now, and what `lines` would cost them (nothing is written)."""
    return promotions.preview(current_staff(), data["customer_id"], data["lines"])
