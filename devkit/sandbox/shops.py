"""The platforms' shared test double: one store of shops' orders, write-backs and stock per
platform and app key, and the test controls API.md lists under "Sandbox additions".

Each platform's wire format lives in a module of its own (taobao, pdd, doudian, youzan), which
reads and writes this store. Any app key is accepted, its secret is "secret-" + app_key, and any
non-empty access token is valid. Receivers are stored as the buyer gave them and masked when
listed, as the platforms mask them.

Listings: on a platform every SKU (the merchant's code of it) belongs to a listing (item,
goods, product) and has the platform's id; stock updates address them. The sandbox's merchant
has listed every code it is asked about — a SKU first seen on an order or in a look-up gets a
listing of its own — and `POST …/items` lists several codes together as one listing's SKUs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from flask import Blueprint, jsonify, request

MAX_SKEW = 600  # seconds: a timestamp further than this from the platform's clock is refused
PLATFORMS = ("taobao", "pdd", "doudian", "youzan")
GMT8 = dt.timezone(dt.timedelta(hours=8))  # the platforms' clocks


def gmt8_seconds(text: str) -> float:
    """ "yyyy-MM-dd HH:mm:ss" on the platforms' clock → UNIX seconds (ValueError if malformed)."""
    return dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=GMT8).timestamp()


def gmt8_text(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, GMT8).strftime("%Y-%m-%d %H:%M:%S")


def is_stale(timestamp: str, parse: Callable[[str], float]) -> bool:
    """Whether a request's timestamp, read by `parse`, is further than MAX_SKEW from the
    platform's clock; one `parse` cannot read counts as stale."""
    try:
        return abs(time.time() - parse(timestamp)) > MAX_SKEW
    except ValueError:
        return True


def order_number(platform: str, seq: int, when: float) -> str:
    """An order id in the platform's own format, the `seq`th of the day `when` falls on."""
    day = dt.datetime.fromtimestamp(when, GMT8)
    return {
        "taobao": f"{3000000000000 + seq}",
        "pdd": f"{day:%y%m%d}-{100000000000 + seq}",
        "doudian": f"{6900000000000000000 + seq}",
        "youzan": f"E{day:%Y%m%d}{seq:012d}",
    }[platform]


def secret_of(app_key: str) -> str:
    return f"secret-{app_key}"


def address_id(receiver: dict) -> str:
    """The platforms' opaque id of a full address (oaid / open_address_id): equal for one door."""
    text = "|".join(
        str(receiver.get(k, ""))
        for k in ("name", "phone", "province", "city", "district", "address")
    )
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def mask_receiver(receiver: dict) -> dict:
    """张三 → 张*, 13812345678 → 138****5678, the street → ***, as the platforms list them."""
    name, phone = receiver.get("name", ""), receiver.get("phone", "")
    return {
        **receiver,
        "name": (name[:1] + "*" * max(1, len(name) - 1)) if name else "",
        "phone": f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 11 else "****",
        "address": "***",
    }


@dataclass
class ShopState:
    orders: dict = field(default_factory=dict)  # platform_order_id → order
    shipments: list = field(default_factory=list)
    stock: dict = field(default_factory=dict)  # sku → {"qty", "at"}
    listings: dict = field(default_factory=dict)  # sku code → (item id, sku id)
    codes: dict = field(default_factory=dict)  # sku id → sku code
    down_until: float = 0.0
    calls: int = 0


@dataclass
class ShopsStore:
    lock: threading.Lock = field(default_factory=threading.Lock)
    shops: dict = field(default_factory=dict)  # (platform, app_key) → ShopState
    ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    waybills: dict = field(default_factory=dict)  # (business id, order code) → waybill

    def shop(self, platform: str, app_key: str) -> ShopState:
        return self.shops.setdefault((platform, app_key), ShopState())

    def is_down(self, platform: str, app_key: str) -> bool:
        with self.lock:
            state = self.shop(platform, app_key)
            state.calls += 1
            return time.time() < state.down_until

    def changed_between(self, platform: str, app_key: str, start: float, end: float) -> list:
        """Orders changed in [start, end), oldest change first (then by id): pages are stable."""
        with self.lock:
            orders = list(self.shop(platform, app_key).orders.values())
        found = [o for o in orders if start <= o["modified"] < end]
        return sorted(found, key=lambda o: (o["modified"], o["seq"]))

    def add_order(self, platform: str, app_key: str, body: dict) -> tuple[str, bool]:
        """A paid order as the platform lists it → (its id, whether it is new). Seeding may
        name the order (`platform_order_id`, in the platform's format), its `status` (paid,
        shipped, cancelled) and when it was paid and last changed (`paid_at`, `modified_at`,
        UNIX seconds): an order the platform already has is kept as it is."""
        now = time.time()
        with self.lock:
            state = self.shop(platform, app_key)
            order_id = str(body.get("platform_order_id") or "")
            if order_id in state.orders:
                return order_id, False
            seq = next(self.ids)
            while not order_id or order_id in state.orders:
                order_id = order_number(platform, seq, now)
                seq = next(self.ids)
            lines = [
                {"sku": ln["sku"], "qty": int(ln["qty"]), "price": str(Decimal(str(ln["price"])))}
                for ln in body.get("lines") or []
            ]
            total = sum(Decimal(ln["price"]) * ln["qty"] for ln in lines)
            for ln in lines:
                ln["item_id"], ln["sku_id"] = self._listing(state, ln["sku"])
            paid = float(body.get("paid_at") or now)
            state.orders[order_id] = {
                "id": order_id,
                "seq": seq,
                "buyer": body.get("buyer", ""),
                "receiver": dict(body.get("receiver") or {}),
                "lines": lines,
                "total": str(total),
                "status": body.get("status") or "paid",
                "created": paid,
                "paid": paid,
                "modified": float(body.get("modified_at") or paid),
            }
        return order_id, True

    def record_shipment(self, platform, app_key, order_id, company_code, tracking_no) -> bool:
        with self.lock:
            state = self.shop(platform, app_key)
            order = state.orders.get(order_id)
            if order is None or order["status"] == "cancelled":
                return False
            order["status"], order["modified"] = "shipped", time.time()
            state.shipments.append(
                {
                    "platform_order_id": order_id,
                    "company_code": str(company_code),
                    "tracking_no": tracking_no,
                }
            )
            return True

    def set_stock(self, platform: str, app_key: str, sku: str, qty: int) -> None:
        with self.lock:
            self.shop(platform, app_key).stock[sku] = {"qty": int(qty), "at": time.time()}

    def _listing(self, state: ShopState, sku: str) -> tuple[str, str]:
        """The listing of a code (lock held): one of its own if it has none yet."""
        if sku not in state.listings:
            self._list(state, sku, self._new_item_id(state))
        return state.listings[sku]

    def _new_item_id(self, state: ShopState) -> str:
        """An item id no listing has (seeded listings keep theirs); lock held."""
        taken = {item_id for item_id, _ in state.listings.values()}
        item_id = str(10**11 + next(self.ids))
        while item_id in taken:
            item_id = str(10**11 + next(self.ids))
        return item_id

    def _list(self, state: ShopState, sku: str, item_id: str, sku_id: str | None = None) -> None:
        while sku_id is None or sku_id in state.codes:
            sku_id = str(10**12 + next(self.ids))
        state.listings[sku] = (item_id, sku_id)
        state.codes[sku_id] = sku

    def listing(self, platform: str, app_key: str, sku: str) -> tuple[str, str]:
        """(item id, sku id) of a SKU code."""
        with self.lock:
            return self._listing(self.shop(platform, app_key), sku)

    def list_together(
        self,
        platform: str,
        app_key: str,
        skus: list[str],
        item_id: str | None = None,
        sku_ids: list[str] | None = None,
    ) -> dict:
        """List the codes as the SKUs of one new listing: {"item_id", "skus": [{"sku",
        "sku_id"}]}. Seeding names the listing's ids (`item_id`, `sku_ids`, the codes' in
        order); a code already listed keeps its listing."""
        with self.lock:
            state = self.shop(platform, app_key)
            item_id = item_id or self._new_item_id(state)
            new = False
            for sku, sku_id in zip(skus, sku_ids or [None] * len(skus), strict=True):
                if sku_ids is None or sku not in state.listings:
                    self._list(state, sku, item_id, sku_id)
                    new = True
            listed = [{"sku": sku, "sku_id": state.listings[sku][1]} for sku in skus]
            return {"item_id": item_id, "skus": listed, "new": new}

    def set_stocks(self, platform: str, app_key: str, item_id: str, levels: list) -> list[str]:
        """Set the quantity of SKUs of one listing, all or nothing: levels are (sku code or
        None, platform sku id or None, qty). Returns what is not a SKU of that listing (and
        sets nothing then)."""
        with self.lock:
            state = self.shop(platform, app_key)
            codes, wrong = [], []
            for code, sku_id, qty in levels:
                if code is None:
                    code = state.codes.get(str(sku_id))
                if code is None or state.listings.get(code, ("",))[0] != str(item_id) or qty < 0:
                    wrong.append(str(code if code is not None else sku_id))
                codes.append((code, qty))
            if wrong:
                return wrong
            now = time.time()
            for code, qty in codes:
                state.stock[code] = {"qty": int(qty), "at": now}
            return []


def controls(store: ShopsStore) -> Blueprint:
    """/_sandbox/shops/{platform}/{app_key}/…: make orders, cancel them, read what was written
    back and pushed, take a platform down for a while."""
    bp = Blueprint("sandbox_shops", __name__, url_prefix="/_sandbox/shops")

    def known(platform: str):
        if platform not in PLATFORMS:
            return jsonify({"error": f"platform must be one of {', '.join(PLATFORMS)}"}), 404
        return None

    @bp.post("/<platform>/<app_key>/orders")
    def add_orders(platform, app_key):
        """A paid order as the platform lists it; `repeat` makes that many alike (benchmarks).
        Seeding names an order and its state (ShopsStore.add_order)."""
        refused = known(platform)
        if refused:
            return refused
        body = request.get_json(silent=True) or {}
        if not body.get("lines"):
            return jsonify({"error": "lines required"}), 400
        if body.get("status", "paid") not in ("paid", "shipped", "cancelled"):
            return jsonify({"error": "status is paid, shipped or cancelled"}), 400
        repeat = max(1, min(int(body.get("repeat", 1)), 100000))
        if repeat == 1:  # one order, perhaps named: one the platform has is kept (200)
            order_id, new = store.add_order(platform, app_key, body)
            answer = {"platform_order_id": order_id, "platform_order_ids": [order_id]}
            return jsonify(answer), 201 if new else 200
        # As many buyers and receivers as orders: none of them go to the same door.
        buyer, receiver = body.get("buyer", ""), body.get("receiver") or {}
        ids = [
            store.add_order(
                platform,
                app_key,
                {
                    **body,
                    "platform_order_id": None,
                    "buyer": f"{buyer}{n}",
                    "receiver": {**receiver, "name": f"{receiver.get('name', '')}{n}"},
                },
            )[0]
            for n in range(repeat)
        ]
        return jsonify({"platform_order_id": ids[0], "platform_order_ids": ids}), 201

    @bp.post("/<platform>/<app_key>/items")
    def list_items(platform, app_key):
        """`{"items": [{"skus": [code, …]}]}`: each entry one listing with those SKUs →
        `{"items": [{"item_id", "skus": [{"sku", "sku_id"}]}]}`. Seeding names the listing's
        ids: `{"item_id", "skus": [code, …], "sku_ids": [id, …]}` (a code listed is kept)."""
        refused = known(platform)
        if refused:
            return refused
        entries = (request.get_json(silent=True) or {}).get("items") or []
        answer = []
        for entry in entries:
            skus = [str(s) for s in entry.get("skus") or []]
            if not skus:
                return jsonify({"error": "skus required"}), 400
            sku_ids = entry.get("sku_ids")
            if sku_ids is not None and (not entry.get("item_id") or len(sku_ids) != len(skus)):
                return jsonify({"error": "item_id and one sku_id per sku required"}), 400
            answer.append(
                store.list_together(
                    platform,
                    app_key,
                    skus,
                    str(entry["item_id"]) if entry.get("item_id") else None,
                    [str(i) for i in sku_ids] if sku_ids is not None else None,
                )
            )
        new = [item.pop("new") for item in answer]
        return jsonify({"items": answer}), 201 if any(new) or not answer else 200  # all kept

    @bp.post("/<platform>/<app_key>/orders/<order_id>/cancel")
    def cancel(platform, app_key, order_id):
        with store.lock:
            order = store.shop(platform, app_key).orders.get(order_id)
            if order is None:
                return jsonify({"error": "no such order"}), 404
            if order["status"] == "shipped":
                return jsonify({"error": "already shipped"}), 409
            order["status"], order["modified"] = "cancelled", time.time()
        return jsonify({"platform_order_id": order_id, "status": "cancelled"})

    @bp.get("/<platform>/<app_key>/shipments")
    def shipments(platform, app_key):
        with store.lock:
            items = list(store.shop(platform, app_key).shipments)
        return jsonify({"items": items})

    @bp.get("/<platform>/<app_key>/stock")
    def stock(platform, app_key):
        with store.lock:
            found = store.shop(platform, app_key).stock
            items = [{"sku": sku, **entry} for sku, entry in sorted(found.items())]
        return jsonify({"items": items})

    @bp.post("/<platform>/<app_key>/down")
    def down(platform, app_key):
        seconds = float((request.get_json(silent=True) or {}).get("seconds", 0))
        with store.lock:
            store.shop(platform, app_key).down_until = time.time() + max(0.0, seconds)
        return jsonify({"down_for": seconds})

    @bp.get("/<platform>/<app_key>/calls")
    def calls(platform, app_key):
        with store.lock:
            return jsonify({"calls": store.shop(platform, app_key).calls})

    return bp
