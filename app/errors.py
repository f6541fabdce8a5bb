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


def _error(
    name: str, code: str, message: str, *, status: int | None = None, base: type = AppError
) -> type[AppError]:
    """One class of the hierarchy, one row each below: its code and default message, and its
    status where it is not its base's."""
    attrs = {"code": code, "default_message": message, "__module__": __name__}
    if status is not None:
        attrs["status"] = status
    return type(name, (base,), attrs)


ValidationFailed = _error("ValidationFailed", "validation_error", "提交的数据不正确", status=422)


class BadRequest(ValidationFailed):
    """Malformed request (unparseable JSON, wrong content type): 400 with the validation code."""

    status = 400
    default_message = "请求格式不正确"


Unauthorized = _error("Unauthorized", "unauthorized", "请先登录", status=401)
Forbidden = _error("Forbidden", "forbidden", "没有权限执行此操作", status=403)
NotFound = _error("NotFound", "not_found", "未找到相应记录", status=404)
Conflict = _error("Conflict", "conflict", "数据冲突，请刷新后重试", status=409)
InvalidState = _error("InvalidState", "invalid_state", "当前状态下不能执行此操作", base=Conflict)
InsufficientStock = _error("InsufficientStock", "insufficient_stock", "库存不足", base=Conflict)
CreditExceeded = _error("CreditExceeded", "credit_exceeded", "超出信用额度", base=Conflict)
BelowMinQty = _error("BelowMinQty", "below_min_qty", "低于最小起订量", status=422)
BadStep = _error("BadStep", "bad_step", "订货数量须为订货倍数的整数倍", status=422)
RateLimited = _error("RateLimited", "rate_limited", "操作太频繁，请稍后再试", status=429)
InvalidInvitation = _error("InvalidInvitation", "invalid_invitation", "邀请码无效或已过期")
InvalidLoginCode = _error(
    "InvalidLoginCode", "invalid_code", "微信登录凭证无效或已过期，请重新登录"
)
WeChatUnavailable = _error(
    "WeChatUnavailable", "wechat_unavailable", "微信服务暂时不可用，请稍后再试", status=502
)
SmsUnavailable = _error("SmsUnavailable", "sms_unavailable", "短信发送失败，请稍后再试", status=502)
TooFar = _error("TooFar", "too_far", "距离门店太远，无法签到", status=422)


class AccountLocked(AppError):
    status, code = 429, "account_locked"
    default_message = "密码错误次数过多，账号已临时锁定，请稍后再试或联系管理员解锁"

    def __init__(self, retry_after: int, **details):
        super().__init__(retry_after=retry_after, **details)
        self.headers = {"Retry-After": str(retry_after)}


class PlatformError(AppError):
    """An online platform (淘宝, 拼多多, 抖店, 有赞) was down or refused the call; the message
    says which and why. A 502, as when WeChat is down: the platform behind us failed, nothing
    here did, and nothing was changed (a 409 would tell a client its request conflicted)."""

    status, code = 502, "platform_error"
    default_message = "电商平台暂时无法处理请求，请稍后再试"
