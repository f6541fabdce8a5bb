"""The one error hierarchy: every failure a client can cause is an AppError with a stable code and a Chinese message."""

from __future__ import annotations


class AppError(Exception):
    status = 400
    code = "bad_request"
    default_message = "请求有误"

    def __init__(self, message: str | None = None, **details):
        super().__init__(message or self.default_message)
        self.message = message or self.default_message
        self.details = details

    def to_dict(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


class ValidationFailed(AppError):
    status = 422
    code = "validation_error"
    default_message = "提交的数据不正确"


class BadRequest(ValidationFailed):
    """Malformed request (unparseable JSON, wrong content type): 400 with the validation code."""

    status = 400
    default_message = "请求格式不正确"


class Unauthorized(AppError):
    status = 401
    code = "unauthorized"
    default_message = "请先登录"


class Forbidden(AppError):
    status = 403
    code = "forbidden"
    default_message = "没有权限执行此操作"


class NotFound(AppError):
    status = 404
    code = "not_found"
    default_message = "未找到相应记录"


class Conflict(AppError):
    status = 409
    code = "conflict"
    default_message = "数据冲突，请刷新后重试"


class InvalidState(Conflict):
    code = "invalid_state"
    default_message = "当前状态下不能执行此操作"


class InsufficientStock(Conflict):
    code = "insufficient_stock"
    default_message = "库存不足"


class CreditExceeded(Conflict):
    code = "credit_exceeded"
    default_message = "超出信用额度"


class BelowMinQty(AppError):
    status = 422
    code = "below_min_qty"
    default_message = "低于最小起订量"


class BadStep(AppError):
    status = 422
    code = "bad_step"
    default_message = "订货数量须为订货倍数的整数倍"


class RateLimited(AppError):
    status = 429
    code = "rate_limited"
    default_message = "操作太频繁，请稍后再试"


class InvalidInvitation(AppError):
    status = 400
    code = "invalid_invitation"
    default_message = "邀请码无效或已过期"


class InvalidLoginCode(AppError):
    status = 400
    code = "invalid_code"
    default_message = "微信登录凭证无效或已过期，请重新登录"


class WeChatUnavailable(AppError):
    status = 502
    code = "wechat_unavailable"
    default_message = "微信服务暂时不可用，请稍后再试"


class TooFar(AppError):
    status = 422
    code = "too_far"
    default_message = "距离门店太远，无法签到"
