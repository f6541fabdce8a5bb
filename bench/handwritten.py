"""The floor for the stack benchmarks: the same jobs as Dealer Mall's hot paths, hand-written.

A minimal Flask app on PostgreSQL (psycopg2, a connection per thread from a pool, SQL strings
written once), served by gunicorn with the same flags as the app. It does what the job cannot
skip and nothing else: the caller is still bound, prices are resolved on the server, and an
order is order + lines (one multi-row insert) + event + idempotency key + outbox row, with the
ordered products out of the cart, in one transaction. It validates just enough not to write
nonsense; it has no rate limiter, no schemas, no cache.

    DATABASE_URL=postgresql://... SECRET_KEY=... WECHAT_API_BASE_URL=http://sandbox \
        gunicorn -w 2 -k gthread --threads 4 'bench.handwritten:create_app()'
"""

from __future__ import annotations

import datetime as dt
import json
import os
from contextlib import contextmanager
from decimal import ROUND_HALF_UP, Decimal

import jwt
import psycopg2
import psycopg2.errors
import requests
from flask import Flask, Response, request
from psycopg2.pool import ThreadedConnectionPool

TZ = dt.timezone(dt.timedelta(hours=8))
CENT = Decimal("0.01")

BOUND = (
    "SELECT c.id, c.price_level, c.warehouse_id, c.code, c.name"
    " FROM wechat_user u JOIN customer c ON c.id = u.customer_id"
    " WHERE u.id = %s AND u.role = 'dealer' AND c.active"
)
PRICES = (
    "SELECT p.id, p.sku, p.name, p.unit, p.image, p.min_qty, p.step, p.list_price,"
    " COALESCE(b.price, l.price, p.list_price)"
    " FROM product p"
    " LEFT JOIN product_price l ON l.product_id = p.id AND l.level = %s"
    " LEFT JOIN customer_price b ON b.product_id = p.id AND b.customer_id = %s"
    " WHERE p.id = ANY(%s) AND p.active"
)
INSERT_ORDER = (
    "WITH n AS (SELECT nextval(pg_get_serial_sequence('sales_order', 'id')) AS id)"
    " INSERT INTO sales_order (id, number, customer_id, warehouse_id, status, source, placed_by,"
    " total, discount_total, held_amount, remark, address, reject_reason, created_at, updated_at)"
    " SELECT n.id, 'SO' || to_char(now() AT TIME ZONE 'UTC', 'YYYYMMDD') || lpad(n.id::text, 6, '0'),"
    " %s, %s, 'pending_review', 'mall', %s, %s, 0, 0, %s,"
    " COALESCE((SELECT a.contact || ' ' || a.phone || ' ' || a.province"
    " || CASE WHEN a.city = a.province THEN '' ELSE a.city END || a.district || a.address"
    "  FROM customer_address a WHERE a.customer_id = %s ORDER BY a.is_default DESC, a.id LIMIT 1), ''),"
    " '', now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC' FROM n"
    " RETURNING id, number, address, created_at"
)
INSERT_EVENT = (
    "INSERT INTO order_event (order_id, action, from_status, to_status, actor, note, created_at)"
    " VALUES (%s, 'submit', NULL, 'pending_review', %s, '', now() AT TIME ZONE 'UTC')"
    " RETURNING id, created_at"
)
INSERT_KEY = (
    "INSERT INTO idempotency_key (customer_id, key, order_id, created_at)"
    " VALUES (%s, %s, %s, now() AT TIME ZONE 'UTC')"
)
INSERT_OUTBOX = (
    "INSERT INTO notification (order_id, event_id, audience, kind, payload, dedup_key, status,"
    " channel, attempts, next_attempt_at, last_error, created_at)"
    " VALUES (%s, %s, 'customer_service', 'submit', %s, %s, 'pending', '', 0,"
    " now() AT TIME ZONE 'UTC', '', now() AT TIME ZONE 'UTC')"
)
CLEAR_CART = "DELETE FROM cart_item WHERE wechat_user_id = %s AND product_id = ANY(%s)"
FIND_KEY = "SELECT order_id FROM idempotency_key WHERE customer_id = %s AND key = %s"
PAGE = (
    "SELECT p.id, p.sku, p.name, p.unit, p.pack_size, p.min_qty, p.step,"
    " COALESCE(b.price, l.price, p.list_price), COALESCE(s.on_hand - s.reserved, 0), p.image,"
    " p.category_id"
    " FROM product p"
    " LEFT JOIN product_price l ON l.product_id = p.id AND l.level = %s"
    " LEFT JOIN customer_price b ON b.product_id = p.id AND b.customer_id = %s"
    " LEFT JOIN stock s ON s.product_id = p.id AND s.warehouse_id = %s"
    " WHERE p.active ORDER BY p.category_id, p.id LIMIT %s OFFSET %s"
)
COUNT = "SELECT count(*) FROM product WHERE active"
UNREAD = "SELECT count(*) FROM inbox_message WHERE customer_id = %s AND read_at IS NULL"
LOGIN = (
    "INSERT INTO wechat_user (openid, unionid, session_key, follows_oa, nickname, created_at,"
    " last_login_at) VALUES (%s, %s, %s, false, '', now() AT TIME ZONE 'UTC',"
    " now() AT TIME ZONE 'UTC')"
    " ON CONFLICT (openid) DO UPDATE SET session_key = EXCLUDED.session_key,"
    " last_login_at = EXCLUDED.last_login_at RETURNING id, role, customer_id"
)
PRODUCT = "SELECT min_qty, step FROM product WHERE id = %s AND active"
PUT_CART = (
    "INSERT INTO cart_item (wechat_user_id, product_id, qty, updated_at)"
    " VALUES (%s, %s, %s, now() AT TIME ZONE 'UTC')"
    " ON CONFLICT (wechat_user_id, product_id) DO UPDATE SET qty = EXCLUDED.qty,"
    " updated_at = EXCLUDED.updated_at"
)
CART = (
    "SELECT p.id, p.sku, p.name, p.unit, p.image, p.min_qty, p.step, ci.qty,"
    " COALESCE(b.price, l.price, p.list_price), COALESCE(s.on_hand - s.reserved, 0)"
    " FROM cart_item ci JOIN product p ON p.id = ci.product_id AND p.active"
    " LEFT JOIN product_price l ON l.product_id = p.id AND l.level = %s"
    " LEFT JOIN customer_price b ON b.product_id = p.id AND b.customer_id = %s"
    " LEFT JOIN stock s ON s.product_id = p.id AND s.warehouse_id = %s"
    " WHERE ci.wechat_user_id = %s ORDER BY ci.id"
)


def _money(fen: int) -> str:
    return str((Decimal(fen) / 100).quantize(CENT, ROUND_HALF_UP))


def _status(available: int) -> str:
    return "out" if available <= 0 else "low" if available <= 10 else "in_stock"


def _local(value: dt.datetime) -> str:
    return value.replace(tzinfo=dt.UTC).astimezone(TZ).isoformat(timespec="seconds")


def _json(body, status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status, mimetype="application/json")


def _error(status: int, code: str, message: str) -> Response:
    return _json({"error": {"code": code, "message": message, "details": {}}}, status)


def create_app() -> Flask:
    app = Flask(__name__)
    secret = os.environ["SECRET_KEY"]
    wechat = os.environ.get("WECHAT_API_BASE_URL", "")
    pool = ThreadedConnectionPool(
        1, int(os.environ.get("DATABASE_POOL_SIZE", "8")), os.environ["DATABASE_URL"]
    )
    http = requests.Session()

    @contextmanager
    def cursor():
        conn = pool.getconn()
        try:
            with conn, conn.cursor() as cur:  # one transaction, committed on leaving
                yield cur
        finally:
            pool.putconn(conn)

    def caller() -> int | None:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        try:
            payload = jwt.decode(token, secret, algorithms=["HS256"])
        except jwt.InvalidTokenError:
            return None
        return int(payload["sub"]) if payload.get("typ") == "mp" else None

    def bound(cur, user_id):
        cur.execute(BOUND, (user_id,))
        return cur.fetchone()

    @app.get("/healthz")
    def healthz():
        return _json({"status": "ok"})

    @app.post("/api/mp/v1/auth/login")
    def login():
        code = (request.get_json(silent=True) or {}).get("code")
        if not isinstance(code, str) or not code:
            return _error(422, "validation_error", "缺少 code")
        wx = http.get(f"{wechat}/sns/jscode2session", params={"js_code": code}, timeout=5).json()
        if "openid" not in wx:
            return _error(400, "invalid_login_code", "登录失败")
        with cursor() as cur:
            cur.execute(LOGIN, (wx["openid"], wx.get("unionid"), wx["session_key"]))
            user_id, role, customer_id = cur.fetchone()
            customer = None
            if role == "dealer":
                cur.execute("SELECT id, code, name FROM customer WHERE id = %s", (customer_id,))
                cid, ccode, cname = cur.fetchone()
                customer = {"id": cid, "code": ccode, "name": cname}
        now = dt.datetime.now(dt.UTC)
        token = jwt.encode(
            {
                "typ": "mp",
                "sub": str(user_id),
                "iat": now,
                "exp": now + dt.timedelta(days=7),
                "role": role,
            },
            secret,
            algorithm="HS256",
        )
        return _json(
            {"token": token, "bound": role is not None, "role": role, "customer": customer}
        )

    @app.get("/api/mp/v1/me")
    def me():
        user_id = caller()
        if user_id is None:
            return _error(401, "unauthorized", "请先登录")
        with cursor() as cur:
            row = bound(cur, user_id)
            if row is None:
                return _error(401, "unauthorized", "账号已停用")
            cur.execute(UNREAD, (row[0],))
            (unread,) = cur.fetchone()
        customer = {"id": row[0], "code": row[3], "name": row[4]}
        return _json(
            {"role": "dealer", "bound": True, "customer": customer, "staff": None, "unread": unread}
        )

    @app.get("/api/mp/v1/catalog/products")
    def products():
        user_id = caller()
        if user_id is None:
            return _error(401, "unauthorized", "请先登录")
        try:
            page = int(request.args.get("page", 1))
            per_page = int(request.args.get("per_page", 20))
        except ValueError:
            return _error(422, "validation_error", "分页参数无效")
        if page < 1 or not 1 <= per_page <= 100:
            return _error(422, "validation_error", "分页参数无效")
        with cursor() as cur:
            row = bound(cur, user_id)
            if row is None:
                return _error(401, "unauthorized", "账号已停用")
            customer_id, level, warehouse_id = row[:3]
            cur.execute(COUNT)
            (total,) = cur.fetchone()
            cur.execute(PAGE, (level, customer_id, warehouse_id, per_page, (page - 1) * per_page))
            rows = cur.fetchall()
        items = [
            {
                "id": r[0],
                "sku": r[1],
                "name": r[2],
                "unit": r[3],
                "pack_size": r[4],
                "min_qty": r[5],
                "step": r[6],
                "price": _money(r[7]),
                "stock_status": _status(r[8]),
                "image": r[9],
                "category_id": r[10],
            }
            for r in rows
        ]
        return _json({"items": items, "page": page, "per_page": per_page, "total": total})

    @app.put("/api/mp/v1/cart/items/<int:product_id>")
    def put_cart(product_id):
        user_id = caller()
        if user_id is None:
            return _error(401, "unauthorized", "请先登录")
        qty = (request.get_json(silent=True) or {}).get("qty")
        if not isinstance(qty, int) or qty < 1:
            return _error(422, "validation_error", "数量无效")
        with cursor() as cur:
            row = bound(cur, user_id)
            if row is None:
                return _error(401, "unauthorized", "账号已停用")
            customer_id, level, warehouse_id = row[:3]
            cur.execute(PRODUCT, (product_id,))
            product = cur.fetchone()
            if product is None:
                return _error(404, "not_found", "商品不存在或已下架")
            if qty < product[0] or qty % product[1]:
                return _error(422, "below_min_qty", "数量不符合起订量或倍数")
            cur.execute(PUT_CART, (user_id, product_id, qty))
            cur.execute(CART, (level, customer_id, warehouse_id, user_id))
            rows = cur.fetchall()
        items = [
            {
                "product_id": r[0],
                "sku": r[1],
                "name": r[2],
                "unit": r[3],
                "image": r[4],
                "min_qty": r[5],
                "step": r[6],
                "stock_status": _status(r[9]),
                "price": _money(r[8]),
                "qty": r[7],
                "amount": _money(r[8] * r[7]),
            }
            for r in rows
        ]
        total = _money(sum(r[8] * r[7] for r in rows))
        return _json({"items": items, "total": total, "count": len(items), "skipped": []})

    @app.post("/api/mp/v1/orders")
    def create_order():
        user_id = caller()
        if user_id is None:
            return _error(401, "unauthorized", "请先登录")
        body = request.get_json(silent=True) or {}
        lines = body.get("lines")
        key = request.headers.get("Idempotency-Key")
        if not isinstance(lines, list) or not lines or not key:
            return _error(422, "validation_error", "订单至少需要一个商品")
        try:
            wanted = {int(ln["product_id"]): int(ln["qty"]) for ln in lines}
        except (KeyError, TypeError, ValueError):
            return _error(422, "validation_error", "商品行无效")
        placed_by = f"wechat:{user_id}"
        try:
            with cursor() as cur:
                row = bound(cur, user_id)
                if row is None:
                    return _error(401, "unauthorized", "账号已停用")
                customer_id, level, warehouse_id = row[:3]
                cur.execute(PRICES, (level, customer_id, list(wanted)))
                products = {r[0]: r for r in cur.fetchall()}
                if len(products) != len(wanted):
                    return _error(404, "not_found", "商品不存在或已下架")
                priced = []
                for product_id, qty in wanted.items():
                    p = products[product_id]
                    if qty < p[5] or qty % p[6]:
                        return _error(422, "below_min_qty", "数量不符合起订量或倍数")
                    priced.append((p, qty, p[8], p[8] * qty))
                total = sum(amount for *_, amount in priced)
                cur.execute(
                    INSERT_ORDER,
                    (
                        customer_id,
                        warehouse_id,
                        placed_by,
                        total,
                        body.get("remark", ""),
                        customer_id,
                    ),
                )
                order_id, number, address, created_at = cur.fetchone()
                values = ",".join(
                    ["(%s, %s, %s, %s, %s, %s, %s, 0, 0, 0, '', false, 0)"] * len(priced)
                )
                cur.execute(
                    "INSERT INTO sales_order_line (order_id, product_id, qty, price, base_price,"
                    " list_price, amount, shipped_qty, reserved_qty, returned_qty,"
                    f" promotion_label, gift, discount) VALUES {values}"
                    " RETURNING id",
                    [
                        v
                        for p, qty, price, amount in priced
                        for v in (order_id, p[0], qty, price, price, p[7], amount)
                    ],
                )
                line_ids = [r[0] for r in cur.fetchall()]
                cur.execute(INSERT_EVENT, (order_id, placed_by))
                event_id, event_at = cur.fetchone()
                cur.execute(INSERT_KEY, (customer_id, key, order_id))
                payload = json.dumps(
                    {
                        "order_id": order_id,
                        "number": number,
                        "total": _money(total),
                        "status": "pending_review",
                    },
                    ensure_ascii=False,
                )
                cur.execute(
                    INSERT_OUTBOX,
                    (order_id, event_id, payload, f"event:{event_id}:customer_service"),
                )
                cur.execute(CLEAR_CART, (user_id, list(wanted)))
        except psycopg2.errors.UniqueViolation:
            with cursor() as cur:
                cur.execute(FIND_KEY, (customer_id, key))
                found = cur.fetchone()
            return _json({"id": found[0]}, 200)
        order = {
            "id": order_id,
            "number": number,
            "status": "pending_review",
            "status_label": "待审核",
            "source": "mall",
            "lines": [
                {
                    "id": line_id,
                    "product_id": p[0],
                    "sku": p[1],
                    "name": p[2],
                    "unit": p[3],
                    "image": p[4],
                    "qty": qty,
                    "price": _money(price),
                    "amount": _money(amount),
                    "shipped_qty": 0,
                }
                for line_id, (p, qty, price, amount) in zip(line_ids, priced, strict=True)
            ],
            "total": _money(total),
            "remark": body.get("remark", ""),
            "address": address,
            "reject_reason": "",
            "created_at": _local(created_at),
            "approved_at": None,
            "events": [
                {
                    "action": "submit",
                    "from_status": None,
                    "to_status": "pending_review",
                    "label": "待审核",
                    "note": "",
                    "at": _local(event_at),
                }
            ],
            "shipments": [],
            "warnings": [],
        }
        return _json(order, 201)

    return app
