"""API keys for systems (an ERP connector): made by admins with scopes and a data scope, shown
once, kept only as a hash, last use recorded, revocable. A key acts on the admin endpoints its
scopes allow, inside its data scope, and never with more than its creator holds."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets

from app.auth.permissions import DATA_SCOPES
from app.auth.scopes import permissions_of, require, require_grant
from app.core.models import Branch, Staff
from app.db import transaction, utcnow
from app.errors import Forbidden, NotFound, Unauthorized, ValidationFailed
from app.integrations.models import ApiKey

KEY_START = "dmk_"
# What each scope lets a key do, in the permissions of app/auth/permissions.py.
SCOPES = {
    "catalog.write": {"catalog.view", "catalog.manage"},
    "stock.write": {"stock.view", "stock.manage"},
    "customers.write": {"customers.view", "customers.manage"},
    "orders.read": {"orders.view"},
    "receipts.write": {"receipts.create"},
}


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(
    staff: Staff,
    name: str,
    scopes: list[str],
    data_scope: str = "all",
    branch_id: int | None = None,
) -> tuple[ApiKey, str]:
    """A new key and its plaintext (returned once, never stored).

    Raises: Forbidden (scopes or a data scope beyond the creator's), ValidationFailed.
    """
    require(staff, "staff.manage")
    unknown = sorted(set(scopes) - SCOPES.keys())
    if unknown or not scopes:
        raise ValidationFailed("权限范围无效", scopes=[f"须为 {', '.join(SCOPES)} 中的一个或多个"])
    if data_scope not in DATA_SCOPES or data_scope == "own":
        raise ValidationFailed("数据范围无效", data_scope=["须为 all 或 branch"])
    granted = set().union(*(SCOPES[s] for s in scopes))
    if not granted <= permissions_of(staff.role):
        raise Forbidden("不能授予高于自己的权限")
    require_grant(staff, staff.role, data_scope, branch_id)
    if data_scope == "branch":
        if branch_id is None:
            raise ValidationFailed("请选择分支机构", branch_id=["数据范围为分支机构时必填"])
        if not Branch.select().where(Branch.id == branch_id).exists():
            raise NotFound("分支机构不存在", branch_id=branch_id)
    prefix = secrets.token_hex(4)
    key = f"{KEY_START}{prefix}_{secrets.token_urlsafe(32)}"
    with transaction():
        row = ApiKey.create(
            name=name,
            prefix=prefix,
            key_hash=_hash(key),
            scopes=json.dumps(sorted(set(scopes))),
            data_scope=data_scope,
            branch=branch_id if data_scope == "branch" else None,
            created_by=staff.id,
            creator_version=staff.token_version,
        )
    return row, key


def keys_of(staff: Staff):
    require(staff, "staff.manage")
    query = ApiKey.select().order_by(ApiKey.id.desc())
    if staff.data_scope != "all":
        query = query.where(ApiKey.branch == staff.branch_id)
    return query


def revoke(staff: Staff, key_id: int) -> ApiKey:
    require(staff, "staff.manage")
    key = keys_of(staff).where(ApiKey.id == key_id).first()
    if key is None:
        raise NotFound("API 密钥不存在", key_id=key_id)
    with transaction():
        ApiKey.update(revoked_at=utcnow()).where(
            (ApiKey.id == key.id) & ApiKey.revoked_at.is_null()
        ).execute()
    return ApiKey.get_by_id(key.id)


def authenticate(token: str) -> ApiKey:
    """The live key a bearer token is. Raises: Unauthorized (unknown, wrong or revoked)."""
    prefix = token[len(KEY_START) :].split("_", 1)[0]
    key = ApiKey.get_or_none(ApiKey.prefix == prefix)
    if key is None or not hmac.compare_digest(key.key_hash, _hash(token)):
        raise Unauthorized("API 密钥无效")
    if key.revoked_at is not None:
        raise Unauthorized("API 密钥已吊销")
    ApiKey.update(last_used_at=utcnow()).where(ApiKey.id == key.id).execute()
    return key


def permits(key: ApiKey, permission: str) -> bool:
    return any(permission in SCOPES.get(s, ()) for s in json.loads(key.scopes))


def acting_staff(key: ApiKey) -> Staff:
    """Who a key acts as for the use cases: its maker, never more than the maker may do now (the
    maker's role; the narrower of the key's data scope and the maker's), named in every record
    it writes as the key (`apikey:<id>`).

    Raises: Unauthorized (the maker is gone, disabled, or has been re-enabled or changed their
    password since: a key ends with its maker's sessions and tokens), Forbidden (the key's
    branch is no longer in the maker's scope).
    """
    maker = Staff.get_or_none(Staff.id == key.created_by_id) if key.created_by_id else None
    if maker is None or not maker.active or maker.token_version != key.creator_version:
        raise Unauthorized("API 密钥已失效：创建它的账号已停用、重新启用或修改了密码")
    data_scope, branch_id = _narrower_scope(maker, key)
    staff = Staff(
        id=maker.id,
        username=f"apikey-{key.prefix}",
        name=f"API {key.name}",
        role=maker.role,
        data_scope=data_scope,
        branch=branch_id,
        active=True,
        token_version=maker.token_version,
    )
    staff.actor_name = f"apikey:{key.id}"
    return staff


def _narrower_scope(maker: Staff, key: ApiKey) -> tuple[str, int | None]:
    if maker.data_scope == "all":
        return key.data_scope, key.branch_id
    if maker.data_scope == "own":
        return "own", maker.branch_id
    if key.data_scope == "branch" and key.branch_id != maker.branch_id:
        raise Forbidden("API 密钥的分支机构已不在创建人的数据范围内")
    return "branch", maker.branch_id
