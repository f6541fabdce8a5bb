"""Pure rules of the online shops: the quantity a shop may sell, a line's quantity in words (our
units), merge keys, receivers masked as the platforms mask them, time windows split to what a
platform allows, status labels. No I/O."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from app.adapters.platforms.types import Receiver

PLATFORMS = {"taobao": "淘宝/天猫", "pdd": "拼多多", "doudian": "抖店", "youzan": "有赞"}

STATUS_LABELS = {
    "pending": "待发货",
    "exception": "异常",
    "waybilled": "已取单号",
    "shipped": "已发货",
    "cancelled": "已取消",
    "merged": "已合并",
}
# Orders still waiting to leave the warehouse: they may be merged, split, cancelled.
OPEN = ("pending", "exception", "waybilled")

CARRIERS = {
    "SF": "顺丰速运",
    "ZTO": "中通快递",
    "YTO": "圆通速递",
    "YD": "韵达速递",
    "STO": "申通快递",
    "JD": "京东物流",
    "EMS": "EMS",
}


def quantity_words(qty: int, base_qty: int, unit: str | None) -> str:
    """A shop order line's quantity as whoever picks, packs or reads it counts: in our
    product's unit, what the stock ledger takes, with the platform's count beside it when one
    platform unit holds several of ours — "2 袋（平台 1 件，每件 2 袋）", or "3 袋" when they
    are the same; "平台 2 件（未对应商品）" while the platform SKU is mapped to nothing."""
    if unit is None:
        return f"平台 {qty} 件（未对应商品）"
    if base_qty == qty:
        return f"{base_qty} {unit}"
    return f"{base_qty} {unit}（平台 {qty} 件，每件 {base_qty // qty} {unit}）"


def sellable_qty(available: int, safety_stock: int, share_pct: int, per_unit: int = 1) -> int:
    """What a shop is told it can sell of one platform SKU (invariant 11): its share of what is
    available above the safety stock, in platform units of `per_unit` of ours, never negative.

    max(0, floor((available − safety_stock) × share_pct / 100)) // per_unit — integers only, so
    a share never rounds up past what is there.
    """
    above = max(0, available - safety_stock)
    return (above * share_pct // 100) // max(1, per_unit)


def mask_name(name: str) -> str:
    """张三 → 张*; 欧阳娜娜 → 欧***: the first character kept, as the platforms show buyers."""
    name = name.strip()
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)


def mask_phone(phone: str) -> str:
    """13812345678 → 138****5678; anything shorter keeps its last four digits."""
    digits = phone.strip()
    if len(digits) >= 11:
        return digits[:3] + "****" + digits[-4:]
    if len(digits) > 4:
        return "*" * (len(digits) - 4) + digits[-4:]
    return "****"


def mask_address(_street: str) -> str:
    """The street and number are never shown: province, city and district are, then ***."""
    return "***"


def masked(receiver: Receiver) -> Receiver:
    """The receiver as the platforms show it to a seller's software."""
    return Receiver(
        mask_name(receiver.name),
        mask_phone(receiver.phone),
        receiver.province,
        receiver.city,
        receiver.district,
        mask_address(receiver.address),
    )


def merge_key(buyer: str, receiver: Receiver, address_key: str = "") -> str:
    """Orders of one shop with the same key go to the same door: same buyer, same receiver.
    Receivers come masked (张*, 138****5678), so the platform's opaque address id decides."""
    parts = (
        buyer,
        address_key,
        receiver.name,
        receiver.phone,
        receiver.province,
        receiver.city,
        receiver.district,
        receiver.address,
    )
    return "\x1f".join(p.strip() for p in parts)[:500]


def windows(start: dt.datetime, end: dt.datetime, widest: dt.timedelta) -> Iterator[tuple]:
    """[start, end) cut into consecutive windows no wider than the platform allows."""
    cursor = start
    while cursor < end:
        upper = min(cursor + widest, end)
        yield cursor, upper
        cursor = upper


def split_lines(lines: dict[int, int], moving: dict[int, int]) -> tuple[dict, dict]:
    """Quantities per line id kept and moved when `moving` leaves an order.

    Raises ValueError when a line is unknown, a quantity is not positive or more than the line
    has, or nothing would be left behind (a split keeps something on both sides)."""
    kept = dict(lines)
    for line_id, qty in moving.items():
        if line_id not in kept:
            raise ValueError(f"unknown line {line_id}")
        if qty <= 0 or qty > kept[line_id]:
            raise ValueError(f"line {line_id}: cannot move {qty} of {kept[line_id]}")
        kept[line_id] -= qty
    if not any(kept.values()) or not any(moving.values()):
        raise ValueError("a split must leave something on both orders")
    return {k: v for k, v in kept.items() if v}, {k: v for k, v in moving.items() if v}
