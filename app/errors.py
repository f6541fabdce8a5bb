"""The one error hierarchy: every failure a client can cause is an AppError with a stable code and a Chinese message."""

from __future__ import annotations


class AppError(Exception):
    status, code, default_message = 400, "bad_request", "请求有误"

    def __init__(self, message: str | None = None, **details):
        super().__init__(message or self.default_message)
        self.message = message or self.default_message
        self.details = details
        self.headers: dict[str, str] = {}  # e.g. Retry-After

    def to_dict(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


class ValidationFailed(AppError):
    status, code, default_message = 422, "validation_error", "提交的数据不正确"


class BadRequest(ValidationFailed):
    """Malformed request (unparseable JSON, wrong content type): 400 with the validation code."""

    status = 400
    default_message = "请求格式不正确"


class Unauthorized(AppError):
    status, code, default_message = 401, "unauthorized", "请先登录"


class Forbidden(AppError):
    status, code, default_message = 403, "forbidden", "没有权限执行此操作"


class NotFound(AppError):
    status, code, default_message = 404, "not_found", "未找到相应记录"


class Conflict(AppError):
    status, code, default_message = 409, "conflict", "数据冲突，请刷新后重试"


class InvalidState(Conflict):
    code, default_message = "invalid_state", "当前状态下不能执行此操作"


class InsufficientStock(Conflict):
    code, default_message = "insufficient_stock", "库存不足"


class CreditExceeded(Conflict):
    code, default_message = "credit_exceeded", "超出信用额度"


class BelowMinQty(AppError):
    status, code, default_message = 422, "below_min_qty", "低于最小起订量"


class BadStep(AppError):
    status, code, default_message = 422, "bad_step", "订货数量须为订货倍数的整数倍"


class RateLimited(AppError):
    status, code, default_message = 429, "rate_limited", "操作太频繁，请稍后再试"


class InvalidInvitation(AppError):
    status, code, default_message = 400, "invalid_invitation", "邀请码无效或已过期"


class InvalidLoginCode(AppError):
    status, code, default_message = 400, "invalid_code", "微信登录凭证无效或已过期，请重新登录"


class WeChatUnavailable(AppError):
    status, code, default_message = 502, "wechat_unavailable", "微信服务暂时不可用，请稍后再试"


class SmsUnavailable(AppError):
    status, code, default_message = 502, "sms_unavailable", "短信发送失败，请稍后再试"


class TooFar(AppError):
    status, code, default_message = 422, "too_far", "距离门店太远，无法签到"


class AccountLocked(AppError):
    status, code = 429, "account_locked"
    default_message = "密码错误次数过多，账号已临时锁定，请稍后再试或联系管理员解锁"

    def __init__(self, retry_after: int, **details):
        super().__init__(retry_after=retry_after, **details)
        self.headers = {"Retry-After": str(retry_after)}


class PlatformError(Conflict):
    """An online platform (淘宝, 拼多多, 抖店, 有赞) was down or refused the call; the message
    says which and why. A 409, not a 5xx: nothing is wrong here, and nothing was changed."""

    code, default_message = "platform_error", "电商平台暂时无法处理请求，请稍后再试"
