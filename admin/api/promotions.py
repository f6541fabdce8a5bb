"""Promotions (特价, 阶梯价, 满减, 满赠/买赠): create, list, change, end early, preview for a dealer."""

from __future__ import annotations

from admin.schemas import (
    PromotionIn,
    PromotionOut,
    PromotionPageOut,
    PromotionPatchIn,
    PromotionPreviewIn,
    PromotionPreviewOut,
    PromotionQueryIn,
)
from admin.security import current_staff, staff_required
from app.api import Blueprint, page_from
from app.backoffice import promotions

bp = Blueprint("admin_promotions", __name__, url_prefix="/api/admin/v1", description="促销")


@bp.post("/promotions")
@staff_required("promotions.manage")
@bp.arguments(PromotionIn)
@bp.response(201, PromotionOut)
def create_promotion(data):
    """A promotion with its kind's `rules`, window and targets (none named: everyone)."""
    return promotions.create_promotion(current_staff(), data)


@bp.get("/promotions")
@staff_required("promotions.view")
@bp.arguments(PromotionQueryIn, location="query")
@bp.response(200, PromotionPageOut)
def list_promotions(args):
    return page_from(promotions.promotions_page, args, current_staff(), args)


@bp.get("/promotions/<id:promotion_id>")
@staff_required("promotions.view")
@bp.response(200, PromotionOut)
def get_promotion(promotion_id):
    return promotions.promotion(current_staff(), promotion_id)


@bp.patch("/promotions/<id:promotion_id>")
@staff_required("promotions.manage")
@bp.arguments(PromotionPatchIn)
@bp.response(200, PromotionOut)
def update_promotion(data, promotion_id):
    """Change a promotion; placed orders keep what they were given. End early: `ends_at` now."""
    return promotions.update_promotion(current_staff(), promotion_id, data)


@bp.post("/promotions/<id:promotion_id>/end")
@staff_required("promotions.manage")
@bp.response(200, PromotionOut)
def end_promotion(promotion_id):
    """提前结束: an open promotion ends now; one not yet begun is switched off."""
    return promotions.end_promotion(current_staff(), promotion_id)


@bp.post("/promotions/preview")
@staff_required("promotions.view")
@bp.arguments(PromotionPreviewIn)
@bp.response(200, PromotionPreviewOut)
def preview(data):
    """What a dealer is offered now, and what `lines` would cost them (nothing is written)."""
    return promotions.preview(current_staff(), data["customer_id"], data["lines"])
