"""The floor for the stack benchmarks: the same jobs as Dealer Mall's hot paths, hand-written.

A minimal Flask app on PostgreSQL, served by gunicorn with the same flags as the app, written to
be the fastest honest implementation of each job, so that a ratio against it means something:

* one psycopg2 connection per thread, opened once and kept (no pool check-out per request), in
  autocommit: a statement that must be atomic is one statement;
* SQL strings written once; the sequence behind an order's id named once per process, not looked
  up in every insert;
* an order is two round trips: one read (the caller still bound and active, their price level,
  warehouse, credit position and any order their Idempotency-Key already made, with the prices
  and available stock of the lines), then one write (order numbered with the default address,
  its lines in one multi-row insert, the event, the idempotency key, the outbox row and the
  ordered products out of the cart: a data-modifying WITH, one transaction);
* a replayed Idempotency-Key is found by that read and answered from the stored order (one more
  query), without writing anything;
* a catalogue page is one statement (the caller, the page and its total), plus a check of the
  caller only when the page comes back empty; search and the category filter (with the
  category's descendants) in SQL;
* a product's price for the caller and its available stock are subqueries by unique indexes,
  not joins: PostgreSQL plans a statement of four tables' joins fewer in about half the time;
* no object built that is not sent; money formatted from integer fen.

It validates just enough not to write nonsense; it has no rate limiter, no schemas, no cache, no
promotions (the bench has none open).

    DATABASE_URL=postgresql://... SECRET_KEY=... WECHAT_API_BASE_URL=http://sandbox \
        gunicorn -w 2 -k gthread --threads 4 'bench.handwritten:create_app()'
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading

import jwt
import psycopg2
import psycopg2.errors
import requests
from flask import Flask, Response, request

TZ = dt.timezone(dt.timedelta(hours=8))
STATUS_LABELS = {
    "pending_review": "待审核",
    "approved": "已审核",
    "partially_shipped": "部分发货",
    "shipped": "已发货",
    "completed": "已完成",
    "rejected": "已驳回",
    "cancelled": "已取消",
}

# A product's price for a customer (price book, else their level's, else the list price) and its
# available stock in their warehouse: subqueries by unique indexes, which PostgreSQL plans in
# about half the time of the same tables joined (docs/performance.md, entry 22).
PRICE = (
    "COALESCE((SELECT b.price FROM customer_price b"
    " WHERE b.product_id = p.id AND b.customer_id = {customer}),"
    " (SELECT l.price FROM product_price l WHERE l.product_id = p.id AND l.level = {level}),"
    " p.list_price)"
)
AVAILABLE = (
    "COALESCE((SELECT s.on_hand - s.reserved FROM stock s"
    " WHERE s.product_id = p.id AND s.warehouse_id = {warehouse}), 0)"
)
BOUND = (
    "SELECT c.id, c.price_level, c.warehouse_id, c.code, c.name"
    " FROM wechat_user u JOIN customer c ON c.id = u.customer_id"
    " WHERE u.id = %s AND u.role = 'dealer' AND c.active"
)
# The caller (bound, active), their position, the order their key already made, and each line's
# product with its price and available stock: one row per product found (one with NULL product
# columns when none is), none when the caller is not a bound, active dealer.
ORDER_READ = (
    "SELECT c.id, c.price_level, c.warehouse_id, c.name, c.settlement_method, c.credit_limit,"
    " c.ar_balance, c.held,"
    " (SELECT k.order_id FROM idempotency_key k WHERE k.customer_id = c.id AND k.key = %s),"
    " p.id, p.sku, p.name, p.unit, p.image, p.min_qty, p.step, p.list_price,"
    f" {PRICE.format(customer='c.id', level='c.price_level')},"
    f" {AVAILABLE.format(warehouse='c.warehouse_id')}, c.address"
    " FROM wechat_user u JOIN customer c ON c.id = u.customer_id AND c.active"
    " LEFT JOIN product p ON p.id = ANY(%s) AND p.active"
    " WHERE u.id = %s AND u.role = 'dealer'"
)
# Everything an order writes, in one statement (one transaction in autocommit). {seq}: the
# sequence's name, read once; {lines}: one VALUES row per line.
ORDER_WRITE = (
    "WITH n AS (SELECT nextval('{seq}') AS id),"
    " o AS (INSERT INTO sales_order (id, number, customer_id, warehouse_id, status, source,"
    " placed_by, total, discount_total, held_amount, remark, address, reject_reason, created_at,"
    " updated_at)"
    " SELECT n.id, %(prefix)s || lpad(n.id::text, greatest(6, length(n.id::text)), '0'),"
    " %(customer)s, %(warehouse)s, 'pending_review', 'mall', %(actor)s, %(total)s, 0, 0,"
    " %(remark)s,"
    " COALESCE((SELECT a.contact || ' ' || a.phone || ' ' || a.province"
    " || CASE WHEN a.city = a.province THEN '' ELSE a.city END || a.district || a.address"
    " FROM customer_address a WHERE a.customer_id = %(customer)s"
    " ORDER BY a.is_default DESC, a.id LIMIT 1), %(fallback)s),"
    " '', %(now)s, %(now)s FROM n RETURNING id, number, address),"
    " l AS (INSERT INTO sales_order_line (order_id, product_id, qty, price, base_price,"
    " list_price, amount, shipped_qty, reserved_qty, returned_qty, promotion_label, gift,"
    " discount, unit, unit_qty)"
    " SELECT o.id, v.product_id, v.qty, v.price, v.price, v.list_price, v.amount, 0, 0, 0, '',"
    " false, 0, v.unit, v.qty"
    " FROM o, (VALUES {lines}) AS v (product_id, qty, price, list_price, amount, unit)"
    " RETURNING id),"
    " e AS (INSERT INTO order_event (order_id, action, from_status, to_status, actor, note,"
    " created_at)"
    " SELECT o.id, 'submit', NULL, 'pending_review', %(actor)s, '', %(now)s FROM o RETURNING id),"
    " k AS (INSERT INTO idempotency_key (customer_id, key, order_id, created_at)"
    " SELECT %(customer)s, %(key)s, o.id, %(now)s FROM o),"
    " x AS (INSERT INTO notification (order_id, event_id, audience, kind, payload, dedup_key,"
    " status, channel, attempts, next_attempt_at, last_error, created_at)"
    " SELECT o.id, e.id, 'customer_service', 'submit',"
    " json_build_object('order_id', o.id, 'order_number', o.number, 'customer_id', %(customer)s,"
    " 'customer_name', %(name)s, 'status', 'pending_review', 'status_label', '待审核',"
    " 'total', %(total_text)s, 'note', '', 'at', %(at)s)::text,"
    " 'event:' || e.id || ':customer_service', 'pending', '', 0, %(now)s, '', %(now)s FROM o, e),"
    " d AS (DELETE FROM cart_item WHERE wechat_user_id = %(user)s AND product_id = ANY(%(ids)s))"
    " SELECT o.id, o.number, o.address, ARRAY(SELECT id FROM l ORDER BY id) FROM o"
)
# A stored order, whole, as the dealer sees it: one statement.
STORED_ORDER = (
    "SELECT o.id, o.number, o.status, o.source, o.total, o.discount_total, o.remark, o.address,"
    " o.reject_reason, o.created_at, o.approved_at,"
    " (SELECT json_agg(json_build_array(ln.id, ln.product_id, p.sku, p.name, ln.unit, ln.unit_qty,"
    " p.unit, p.image, ln.qty, ln.price, ln.amount, ln.shipped_qty, ln.promotion_label,"
    " ln.promotion_id, ln.base_price, ln.gift, ln.discount) ORDER BY ln.id)"
    " FROM sales_order_line ln JOIN product p ON p.id = ln.product_id WHERE ln.order_id = o.id),"
    " (SELECT json_agg(json_build_array(e.action, e.from_status, e.to_status, e.note,"
    " e.created_at) ORDER BY e.id) FROM order_event e WHERE e.order_id = o.id),"
    " (SELECT json_agg(json_build_array(d.promotion_id, d.name, d.amount) ORDER BY d.id)"
    " FROM sales_order_discount d WHERE d.order_id = o.id),"
    " (SELECT json_agg(json_build_array(s.id, s.number, s.carrier, s.tracking_no, s.amount,"
    " s.shipped_at, (SELECT json_agg(json_build_array(sl.order_line_id, ol.product_id, sp.name,"
    " sl.qty) ORDER BY sl.id) FROM shipment_line sl"
    " JOIN sales_order_line ol ON ol.id = sl.order_line_id JOIN product sp ON sp.id = ol.product_id"
    " WHERE sl.shipment_id = s.id)) ORDER BY s.id) FROM shipment s WHERE s.order_id = o.id)"
    " FROM sales_order o WHERE o.id = %s AND o.customer_id = %s"
)
FIND_KEY = "SELECT order_id FROM idempotency_key WHERE customer_id = %s AND key = %s"
# One catalogue page and its total for the caller (bound and active), in one statement: the page
# is cut from the products before their prices and stock are joined, and the total counted on the
# products alone. A category filter takes the category's descendants too. No row: an empty page,
# or a caller no longer bound.
PAGE = (
    "WITH me AS (SELECT c.id, c.price_level, c.warehouse_id"
    " FROM wechat_user u JOIN customer c ON c.id = u.customer_id AND c.active"
    " WHERE u.id = %(user)s AND u.role = 'dealer'),"
    " pg AS (SELECT p.id, p.sku, p.name, p.unit, p.pack_size, p.min_qty, p.step, p.list_price,"
    " p.image, p.category_id FROM product p WHERE p.active{where}"
    " ORDER BY p.category_id, p.id LIMIT %(limit)s OFFSET %(offset)s)"
    " SELECT p.id, p.sku, p.name, p.unit, p.image, p.min_qty, p.step,"
    f" {PRICE.format(customer='c.id', level='c.price_level')},"
    f" {AVAILABLE.format(warehouse='c.warehouse_id')}, p.pack_size,"
    " p.category_id, (SELECT count(*) FROM product p WHERE p.active{where})"
    " FROM me c CROSS JOIN pg p"
    " ORDER BY p.category_id, p.id"
)
SEARCH = " AND (p.name ILIKE %(q)s OR p.sku ILIKE %(q)s)"
IN_CATEGORY = (
    " AND p.category_id IN (WITH RECURSIVE d(id) AS (SELECT %(category)s::bigint UNION ALL"
    " SELECT k.id FROM category k JOIN d ON k.parent_id = d.id) SELECT id FROM d)"
)
_SHAPES = [(q, cat) for q in (False, True) for cat in (False, True)]
PAGES = {
    (q, cat): PAGE.format(where=(SEARCH if q else "") + (IN_CATEGORY if cat else ""))
    for q, cat in _SHAPES
}
COUNTS = {
    (q, cat): "SELECT count(*) FROM product p WHERE p.active"
    + (SEARCH if q else "")
    + (IN_CATEGORY if cat else "")
    for q, cat in _SHAPES
}
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
    "SELECT p.id, p.sku, p.name, p.unit, p.image, p.min_qty, p.step,"
    f" {PRICE.format(customer='%s', level='%s')}, {AVAILABLE.format(warehouse='%s')}, ci.qty"
    " FROM cart_item ci JOIN product p ON p.id = ci.product_id AND p.active"
    " WHERE ci.wechat_user_id = %s ORDER BY ci.id"
)


def _money(fen: int) -> str:
    """Integer fen as yuan with two places, without a Decimal."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


def _status(available: int) -> str:
    return "out" if available <= 0 else "low" if available <= 10 else "in_stock"


# PAGE's and CART's columns 1-6, as the answer names them.
_PRODUCT_COLUMNS = ("sku", "name", "unit", "image", "min_qty", "step")


def _product(r) -> dict:
    """What a catalogue item and a cart line say of the product: PAGE's and CART's columns 1-8."""
    return dict(
        zip(_PRODUCT_COLUMNS, r[1:7], strict=True), price=_money(r[7]), stock_status=_status(r[8])
    )


def _local(value: dt.datetime) -> str:
    return value.replace(tzinfo=dt.UTC).astimezone(TZ).isoformat(timespec="seconds")


def _local_text(value: str | None) -> str | None:
    """A timestamp as json_agg writes it (ISO, naive UTC), in local time."""
    return value and _local(dt.datetime.fromisoformat(value))


def _json(body, status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status, mimetype="application/json")


def _error(status: int, code: str, message: str) -> Response:
    return _json({"error": {"code": code, "message": message, "details": {}}}, status)


def _funds_warning(settlement: str, limit: int, ar: int, held: int, total: int) -> dict | None:
    """The credit (or prepaid) warning for an order of `total` fen, as the app words it."""
    if settlement == "credit":
        available = max(limit - ar - held, 0)
    elif settlement == "prepaid":
        available = max(-ar - held, 0)
    else:
        return None
    short = total - available
    if short <= 0:
        return None
    if settlement == "prepaid":
        message = f"预付款可用余额 ¥{_money(available)}，本单还差 ¥{_money(short)}，请及时打款"
    else:
        message = f"本单超出可用信用额度 ¥{_money(short)}（可用 ¥{_money(available)}），审核时可能需要特批"
    return {
        "code": "credit_exceeded",
        "message": message,
        "available_credit": _money(available),
        "total": _money(total),
    }


def _stored_order(row) -> dict:
    """The answer for an order read by STORED_ORDER."""
    (oid, number, status, source, total, discount_total, remark, address, reject_reason) = row[:9]
    created_at, approved_at, lines, events, discounts, shipments = row[9:]
    return {
        "id": oid,
        "number": number,
        "status": status,
        "status_label": STATUS_LABELS.get(status, status),
        "source": source,
        "lines": [
            {
                "id": ln[0],
                "product_id": ln[1],
                "sku": ln[2],
                "name": ln[3],
                "unit": ln[4] or ln[6],
                "unit_qty": ln[8] if ln[5] is None else ln[5],
                "base_unit": ln[6],
                "image": ln[7],
                "qty": ln[8],
                "price": _money(ln[9]),
                "amount": _money(ln[10]),
                "shipped_qty": ln[11],
                "promotion": ln[12] or None,
                "promotion_id": ln[13],
                "original_price": _money(ln[14]),
                "gift": ln[15],
                "discount": _money(ln[16]),
            }
            for ln in lines or ()
        ],
        "subtotal": _money(total + discount_total),
        "discounts": [
            {"promotion_id": d[0], "name": d[1], "amount": _money(d[2])} for d in discounts or ()
        ],
        "discount_total": _money(discount_total),
        "total": _money(total),
        "remark": remark,
        "address": address,
        "reject_reason": reject_reason,
        "created_at": _local(created_at),
        "approved_at": approved_at and _local(approved_at),
        "events": [
            {
                "action": e[0],
                "from_status": e[1],
                "to_status": e[2],
                "label": STATUS_LABELS.get(e[2], e[2]),
                "note": e[3],
                "at": _local_text(e[4]),
            }
            for e in events or ()
        ],
        "shipments": [
            {
                "id": s[0],
                "number": s[1],
                "carrier": s[2],
                "tracking_no": s[3],
                "amount": _money(s[4]),
                "shipped_at": _local_text(s[5]),
                "lines": [
                    {"order_line_id": sl[0], "product_id": sl[1], "name": sl[2], "qty": sl[3]}
                    for sl in s[6] or ()
                ],
            }
            for s in shipments or ()
        ],
    }


def create_app() -> Flask:
    app = Flask(__name__)
    secret = os.environ["SECRET_KEY"]
    wechat = os.environ.get("WECHAT_API_BASE_URL", "")
    url = os.environ["DATABASE_URL"]
    http = requests.Session()
    local = threading.local()

    def connection():
        """This thread's connection, opened on its first request and kept (autocommit)."""
        conn = getattr(local, "conn", None)
        if conn is None or conn.closed:
            conn = psycopg2.connect(url)
            conn.autocommit = True
            local.conn = conn
        return conn

    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT pg_get_serial_sequence('sales_order', 'id')")
        (sequence,) = cur.fetchone()
    conn.close()

    def cursor():
        return connection().cursor()

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
        args = request.args
        try:
            page = int(args.get("page", 1))
            per_page = int(args.get("per_page", 20))
            category = int(args["category_id"]) if args.get("category_id") else None
        except ValueError:
            return _error(422, "validation_error", "分页参数无效")
        if page < 1 or not 1 <= per_page <= 100:
            return _error(422, "validation_error", "分页参数无效")
        q = (args.get("q") or "").strip()
        shape = (bool(q), category is not None)
        params = {
            "user": user_id,
            "limit": per_page,
            "offset": (page - 1) * per_page,
            "q": f"%{q}%",
            "category": category,
        }
        with cursor() as cur:
            cur.execute(PAGES[shape], params)
            rows = cur.fetchall()
            if rows:
                total = rows[0][11]
            else:  # an empty page, or a caller no longer bound: tell which
                if bound(cur, user_id) is None:
                    return _error(401, "unauthorized", "账号已停用")
                cur.execute(COUNTS[shape], params)
                (total,) = cur.fetchone()
        items = [{"id": r[0], **_product(r), "pack_size": r[9], "category_id": r[10]} for r in rows]
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
            cur.execute(CART, (customer_id, level, warehouse_id, user_id))
            rows = cur.fetchall()
        items = [
            {"product_id": r[0], **_product(r), "qty": r[9], "amount": _money(r[7] * r[9])}
            for r in rows
        ]
        total = _money(sum(r[7] * r[9] for r in rows))
        return _json({"items": items, "total": total, "count": len(items), "skipped": []})

    def replay(cur, order_id: int, customer_id: int) -> Response:
        cur.execute(STORED_ORDER, (order_id, customer_id))
        return _json(_stored_order(cur.fetchone()), 200)

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
        if len(wanted) != len(lines):
            return _error(422, "validation_error", "同一商品请合并为一行")
        remark = body.get("remark", "")
        with cursor() as cur:
            cur.execute(ORDER_READ, (key, list(wanted), user_id))
            rows = cur.fetchall()
            if not rows:
                return _error(401, "unauthorized", "账号已停用")
            customer_id, _level, warehouse_id, name, settlement, limit, ar, held, done = rows[0][:9]
            if done is not None:  # this key already made an order: answer with it
                return replay(cur, done, customer_id)
            products = {r[9]: r for r in rows if r[9] is not None}
            if len(products) != len(wanted):
                return _error(404, "not_found", "商品不存在或已下架")
            priced = []
            for product_id, qty in wanted.items():
                p = products[product_id]
                if qty < p[14] or qty % p[15]:
                    return _error(422, "below_min_qty", "数量不符合起订量或倍数")
                priced.append((p, qty, p[17] * qty))
            total = sum(amount for *_, amount in priced)
            now = dt.datetime.now(dt.UTC)
            local_now = now.astimezone(TZ)
            params = {
                "prefix": f"SO{local_now:%Y%m%d}",
                "customer": customer_id,
                "warehouse": warehouse_id,
                "actor": f"wechat:{user_id}",
                "total": total,
                "total_text": _money(total),
                "remark": remark,
                "fallback": rows[0][19],
                "now": now.replace(tzinfo=None),
                "key": key,
                "name": name,
                "at": f"{local_now:%Y-%m-%d %H:%M}",
                "user": user_id,
                "ids": list(wanted),
            }
            values = []
            for i, (p, qty, amount) in enumerate(priced):
                names = [f"%(l{i}{c})s" for c in "pqrlau"]
                values.append(f"({', '.join(names)})")
                params.update(
                    {
                        f"l{i}p": p[9],
                        f"l{i}q": qty,
                        f"l{i}r": p[17],
                        f"l{i}l": p[16],
                        f"l{i}a": amount,
                        f"l{i}u": p[12],
                    }
                )
            sql = ORDER_WRITE.format(seq=sequence, lines=", ".join(values))
            try:
                cur.execute(sql, params)
            except psycopg2.errors.UniqueViolation:  # the same key, at the same moment
                cur.execute(FIND_KEY, (customer_id, key))
                return replay(cur, cur.fetchone()[0], customer_id)
            order_id, number, address, line_ids = cur.fetchone()
        warnings = [
            {
                "code": "insufficient_stock",
                "message": f"{p[11]} 缺货，审核后可能无法发货"
                if p[18] <= 0
                else f"{p[11]} 库存不足，可能无法足量发货",
                "product_id": p[9],
            }
            for p, qty, _ in priced
            if p[18] < qty
        ]
        funds = _funds_warning(settlement, limit, ar, held, total)
        if funds:
            warnings.append(funds)
        created = _local(now.replace(tzinfo=None))
        order = {
            "id": order_id,
            "number": number,
            "status": "pending_review",
            "status_label": "待审核",
            "source": "mall",
            "lines": [
                {
                    "id": line_id,
                    "product_id": p[9],
                    "sku": p[10],
                    "name": p[11],
                    "unit": p[12],
                    "unit_qty": qty,
                    "base_unit": p[12],
                    "image": p[13],
                    "qty": qty,
                    "price": _money(p[17]),
                    "amount": _money(amount),
                    "shipped_qty": 0,
                    "promotion": None,
                    "promotion_id": None,
                    "original_price": _money(p[17]),
                    "gift": False,
                    "discount": "0.00",
                }
                for line_id, (p, qty, amount) in zip(line_ids, priced, strict=True)
            ],
            "subtotal": _money(total),
            "discounts": [],
            "discount_total": "0.00",
            "total": _money(total),
            "remark": remark,
            "address": address,
            "reject_reason": "",
            "created_at": created,
            "approved_at": None,
            "events": [
                {
                    "action": "submit",
                    "from_status": None,
                    "to_status": "pending_review",
                    "label": "待审核",
                    "note": "",
                    "at": created,
                }
            ],
            "shipments": [],
            "warnings": warnings,
        }
        return _json(order, 201)

    return app
