"""Approval use cases for any document: rules (create, change, switch off) and signatures.

The document's own service locks the document and checks its status, then calls `sign`: the first
signature (the review) lays out the steps the first matching rule for that document type adds; each
later signature signs the next step, by its role only. `sign` says whether the document is now fully
approved; until it is, the role signing next hears of it (an ApprovalAwaited event). Each step is
signed once: two people signing at the same moment, one loses cleanly (InvalidState).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from peewee import IntegrityError, fn

from app.approval.models import ApprovalRule, ApprovalStep
from app.approval.rules import (
    APPROVER_ROLES,
    DOCUMENT_TYPES,
    DOCUMENTS,
    REVIEW_ROLES,
    Facts,
    condition_errors,
    steps_for,
)
from app.auth.permissions import ROLE_LABELS
from app.core.models import Order, Staff
from app.db import db, transaction, utcnow
from app.errors import Forbidden, InvalidState, NotFound, ValidationFailed
from app.events import ApprovalAwaited, emit

# --- rules ----------------------------------------------------------------------------------------


def _checked(condition: dict, steps: list[dict], document: str) -> dict:
    """A rule's document type, condition and steps as stored. Raises: ValidationFailed (unknown
    document or condition keys, bad values, steps by roles that do not approve)."""
    if document not in DOCUMENT_TYPES:
        raise ValidationFailed("单据类型无效", document=[f"须为 {', '.join(DOCUMENT_TYPES)} 之一"])
    errors = condition_errors(condition)
    if errors:
        raise ValidationFailed("审批条件不正确", condition=errors)
    roles = [s["role"] for s in steps]
    bad = [ROLE_LABELS.get(r, r) for r in roles if r not in APPROVER_ROLES]
    if bad:
        raise ValidationFailed("审批角色无效", steps=[f"{r} 不能审批" for r in bad])
    return {
        "document": document,
        "condition": json.dumps(condition),
        "steps": json.dumps([{"role": r} for r in roles]),
    }


def create_rule(
    name: str, condition: dict, steps: list[dict], priority: int = 100, document: str = "order"
) -> ApprovalRule:
    """A rule for one document type. Raises: ValidationFailed."""
    checked = _checked(condition, steps, document)
    with transaction():
        return ApprovalRule.create(name=name, priority=priority, **checked)


def update_rule(rule_id: int, **changes) -> ApprovalRule:
    """Change a rule's name, condition, steps, priority or document type; documents already
    reviewed keep the steps they were given. Raises: NotFound, ValidationFailed."""
    with transaction():
        rule = ApprovalRule.get_or_none(ApprovalRule.id == rule_id)
        if rule is None:
            raise NotFound("审批规则不存在", rule_id=rule_id)
        condition = changes.get("condition", json.loads(rule.condition))
        steps = changes.get("steps", json.loads(rule.steps))
        document = changes.get("document", rule.document)
        for key, value in _checked(condition, steps, document).items():
            setattr(rule, key, value)
        for key in ("name", "priority", "active"):
            if key in changes:
                setattr(rule, key, changes[key])
        rule.save()
        return rule


def set_rule_active(rule_id: int, active: bool) -> ApprovalRule:
    """Switch a rule off (or back on); documents already reviewed keep the steps they were given."""
    with transaction():
        if not ApprovalRule.update(active=active).where(ApprovalRule.id == rule_id).execute():
            raise NotFound("审批规则不存在", rule_id=rule_id)
        return ApprovalRule.get_by_id(rule_id)


def rules(document: str | None = None):
    """Every rule (of one document type), by priority."""
    query = ApprovalRule.select().order_by(ApprovalRule.priority, ApprovalRule.id)
    return query if document is None else query.where(ApprovalRule.document == document)


def active_rules(document: str) -> list[tuple[str, dict, list[str]]]:
    return [
        (r.name, json.loads(r.condition), [s["role"] for s in json.loads(r.steps)])
        for r in rules(document).where(ApprovalRule.active)
    ]


# --- steps ----------------------------------------------------------------------------------------


def steps_of(document: str, document_id: int) -> list[ApprovalStep]:
    return list(
        ApprovalStep.select()
        .where((ApprovalStep.document == document) & (ApprovalStep.document_id == document_id))
        .order_by(ApprovalStep.seq)
    )


def steps_by_document(document: str, ids: Iterable[int]) -> dict[int, list[ApprovalStep]]:
    """The steps of many documents of one type in one query, each list in signing order."""
    found: dict[int, list[ApprovalStep]] = {i: [] for i in ids}
    query = (
        ApprovalStep.select()
        .where((ApprovalStep.document == document) & (ApprovalStep.document_id << list(found)))
        .order_by(ApprovalStep.document_id, ApprovalStep.seq)
    )
    for step in query:
        found[step.document_id].append(step)
    return found


def withdraw(document: str, document_id: int) -> None:
    """Signatures given are void (what they approved changed): the document is reviewed again."""
    ApprovalStep.delete().where(
        (ApprovalStep.document == document) & (ApprovalStep.document_id == document_id)
    ).execute()


def awaiting(document: str, id_column, role: str):
    """A SQL condition: the document (whose id is `id_column`) waits for this role's signature
    next. Customer service: not reviewed yet; admins: both that and steps naming admin."""
    own = (ApprovalStep.document == document) & (ApprovalStep.document_id == id_column)
    unreviewed = ~fn.EXISTS(ApprovalStep.select().where(own))
    if role == "customer_service":
        return unreviewed
    earlier = ApprovalStep.alias()
    next_step = ApprovalStep.select().where(
        own
        & ApprovalStep.signed_by.is_null()
        & (ApprovalStep.role == role)
        & ~fn.EXISTS(
            earlier.select().where(
                (earlier.document == document)
                & (earlier.document_id == id_column)
                & earlier.signed_by.is_null()
                & (earlier.seq < ApprovalStep.seq)
            )
        )
    )
    return (unreviewed | fn.EXISTS(next_step)) if role == "admin" else fn.EXISTS(next_step)


@dataclass(frozen=True)
class Signature:
    """What one signature did: the step signed (seq 0 is the review), every step of the document
    now, and whether that was the last one."""

    step: ApprovalStep
    steps: list[ApprovalStep]

    @property
    def approved(self) -> bool:
        return all(s.signed_by_id is not None for s in self.steps)


def sign(
    document: str,
    document_id: int,
    order: Order | None,
    facts: Facts,
    staff: Staff,
    comment: str = "",
) -> Signature:
    """Sign the document's next step, in the caller's transaction (the caller has locked the
    document and checked it awaits signatures). The first signature is the review and lays out
    the steps of the first rule for this document type that matches `facts`.

    When the signature leaves a step unsigned, the role signing next hears of it (ApprovalAwaited;
    `order` is the order its message links to, None for a document of no order); when it was the
    last, the caller approves the
    document (`Signature.approved`).
    Raises: Forbidden (not this role's step), InvalidState (signed by someone else meanwhile).
    """
    steps = steps_of(document, document_id)
    if not steps:
        steps = _review(document, document_id, facts, staff, comment)
        signed = steps[0]
    else:
        signed = _sign_next(document, steps, staff, comment)
    unsigned = [s for s in steps if s.signed_by_id is None]
    if unsigned:
        emit(ApprovalAwaited(document, document_id, order, unsigned[0].role, unsigned[0].seq))
    return Signature(signed, steps)


def _label(document: str) -> str:
    found = DOCUMENTS.get(document)
    return found.label if found else "单据"


def submit(
    document: str, document_id: int, facts: Facts, staff: Staff, comment: str = ""
) -> Signature | None:
    """A document its creator submits for approval (stock transfers and receipts): when a rule for
    its type matches `facts`, the submission is its first step (seq 0, signed by the creator in
    their own role) and the rule's roles follow, the first of them hearing of it; when none
    matches, nothing is laid out and None says the document needs no signature."""
    rule_name, roles = steps_for(active_rules(document), facts)
    if not roles:
        return None
    steps = _lay_out(document, document_id, rule_name, roles, staff, comment, staff.role)
    emit(ApprovalAwaited(document, document_id, None, steps[1].role, steps[1].seq))
    return Signature(steps[0], steps)


def _review(
    document: str, document_id: int, facts: Facts, staff: Staff, comment: str
) -> list[ApprovalStep]:
    if staff.role not in REVIEW_ROLES:
        raise Forbidden(f"{_label(document)}需先由客服审核")
    rule_name, roles = steps_for(active_rules(document), facts)
    return _lay_out(document, document_id, rule_name, roles, staff, comment, "customer_service")


def _lay_out(document, document_id, rule_name, roles, staff, comment, first_role):
    """Step 0 signed by `staff` in `first_role`, then one unsigned step per role."""
    try:
        with db.atomic():  # a savepoint: a second reviewer at the same moment loses cleanly
            review = ApprovalStep.create(
                document=document,
                document_id=document_id,
                seq=0,
                role=first_role,
                rule_name=rule_name,
                signed_by=staff.id,
                signed_at=utcnow(),
                comment=comment,
            )
    except IntegrityError:
        raise InvalidState(f"该{_label(document)}已由他人审核，请刷新") from None
    later = [
        ApprovalStep.create(
            document=document, document_id=document_id, seq=seq, role=role, rule_name=rule_name
        )
        for seq, role in enumerate(roles, start=1)
    ]
    return [review, *later]


def _sign_next(
    document: str, steps: list[ApprovalStep], staff: Staff, comment: str
) -> ApprovalStep:
    unsigned = [s for s in steps if s.signed_by_id is None]
    if not unsigned:
        raise InvalidState(f"该{_label(document)}的审批已完成")
    step = unsigned[0]
    if staff.role != step.role:
        raise Forbidden(f"当前等待{ROLE_LABELS.get(step.role, step.role)}审批", next_role=step.role)
    now = utcnow()
    signed = (
        ApprovalStep.update(signed_by=staff.id, signed_at=now, comment=comment)
        .where((ApprovalStep.id == step.id) & ApprovalStep.signed_by.is_null())
        .execute()
    )
    if not signed:
        raise InvalidState("该审批步骤已由他人签署，请刷新")
    step.signed_by, step.signed_at = staff.id, now
    return step
