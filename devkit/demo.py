"""A believable demo company: two branches, two warehouses, ~40 products, 10 customers, staff, orders."""

from __future__ import annotations

import datetime as dt
import io
import random
import secrets
import time
from decimal import Decimal
from pathlib import Path

from flask import current_app

from app.adapters.wechatpay import wechat_pay
from app.approval import services as approvals
from app.auth.services import create_staff
from app.backoffice import orders as staff_orders
from app.backoffice import promotions as staff_promotions
from app.core import catalog, orders, organisation, product_images, receivables, stock, styles
from app.core.models import (
    AccountEntry,
    Customer,
    HoldMovement,
    Order,
    OrderEvent,
    Product,
    Receipt,
    ReceiptAllocation,
    Receivable,
    Shipment,
    StockMovement,
)
from app.core.orders import LineRequest
from app.db import db, utcnow
from app.inventory import services as inventory
from app.mall import accounts, addresses, favourites
from app.mall.models import WechatUser
from app.money import money, to_fen
from app.notify.models import InboxMessage, Notification
from app.numbering import document_number
from app.payments import invoices, payments, statements
from app.payments import rules as payment_rules
from app.payments import settings as payment_settings
from app.payments.models import Payment
from app.timeutil import local_today
from devkit.sandbox.shops import order_number

DEMO_INVITE_TTL = dt.timedelta(days=365)

# The catalogue's products as (sku, name, unit, pack_size, list_price), by (category, subcategory).
PRODUCT_COLUMNS = ("sku", "name", "unit", "pack_size", "list_price")
CATALOGUE = {
    ("饮料", "矿泉水"): [
        ("WTR-550", "山泉水 550ml×24", "箱", 24, Decimal("28.80")),
        ("WTR-1500", "山泉水 1.5L×12", "箱", 12, Decimal("31.20")),
        ("WTR-5000", "桶装饮用水 5L×4", "箱", 4, Decimal("26.00")),
        ("WTR-380", "天然矿泉水 380ml×24", "箱", 24, Decimal("45.60")),
        ("WTR-SPK", "苏打气泡水 480ml×15", "箱", 15, Decimal("52.50")),
    ],
    ("饮料", "茶饮料"): [
        ("TEA-GRN", "茉莉绿茶 500ml×15", "箱", 15, Decimal("39.00")),
        ("TEA-RED", "冰红茶 500ml×15", "箱", 15, Decimal("39.00")),
        ("TEA-OOL", "无糖乌龙茶 500ml×15", "箱", 15, Decimal("57.00")),
        ("TEA-MLK", "原味奶茶 500ml×15", "箱", 15, Decimal("63.00")),
        ("TEA-LMN", "柠檬红茶 250ml×24", "箱", 24, Decimal("43.20")),
    ],
    ("饮料", "果汁"): [
        ("JCE-ORG", "100%橙汁 1L×6", "箱", 6, Decimal("69.00")),
        ("JCE-APL", "苹果汁 1L×6", "箱", 6, Decimal("66.00")),
        ("JCE-GRP", "葡萄汁 300ml×12", "箱", 12, Decimal("54.00")),
        ("JCE-MNG", "芒果汁 450ml×15", "箱", 15, Decimal("60.00")),
        ("JCE-COC", "椰子汁 245ml×24", "箱", 24, Decimal("72.00")),
    ],
    ("休闲食品", "饼干"): [
        ("BIS-SOD", "苏打饼干 400g", "袋", 1, Decimal("8.50")),
        ("BIS-WAF", "威化饼干 200g", "袋", 1, Decimal("4.80")),
        ("BIS-CRK", "全麦消化饼 300g×12", "箱", 12, Decimal("78.00")),
        ("BIS-SND", "夹心饼干 380g×12", "箱", 12, Decimal("82.80")),
        ("BIS-EGG", "鸡蛋卷 250g×16", "箱", 16, Decimal("112.00")),
    ],
    ("休闲食品", "坚果炒货"): [
        ("NUT-MIX", "每日坚果 25g×30", "盒", 1, Decimal("59.00")),
        ("NUT-CSH", "盐焗腰果 500g×10", "箱", 10, Decimal("268.00")),
        ("NUT-PST", "开心果 500g×10", "箱", 10, Decimal("298.00")),
        ("NUT-SUN", "五香瓜子 260g×20", "箱", 20, Decimal("120.00")),
        ("NUT-PNT", "花生米 400g×20", "箱", 20, Decimal("132.00")),
    ],
    ("粮油调味", "酱油"): [
        ("SOY-LGT", "特级生抽 500ml×12", "箱", 12, Decimal("106.80")),
        ("SOY-DRK", "老抽王 500ml×12", "箱", 12, Decimal("94.80")),
        ("SOY-LSD", "减盐生抽 500ml×12", "箱", 12, Decimal("130.80")),
        ("SOY-1L9", "酿造酱油 1.9L×6", "箱", 6, Decimal("113.40")),
        ("SOY-OYS", "蚝油 700g×12", "箱", 12, Decimal("118.80")),
    ],
    ("粮油调味", "食用油"): [
        ("OIL-PNT", "压榨花生油 5L×4", "箱", 4, Decimal("556.00")),
        ("OIL-SFL", "葵花籽油 5L×4", "箱", 4, Decimal("396.00")),
        ("OIL-RPS", "菜籽油 5L×4", "箱", 4, Decimal("312.00")),
        ("OIL-BLD", "食用调和油 5L×4", "箱", 4, Decimal("236.00")),
        ("OIL-SES", "芝麻香油 400ml×12", "箱", 12, Decimal("286.80")),
    ],
    ("粮油调味", "醋"): [
        ("VIN-AGD", "陈醋 420ml×12", "箱", 12, Decimal("58.80")),
        ("VIN-RIC", "香醋 500ml×12", "箱", 12, Decimal("55.20")),
        ("VIN-WHT", "白米醋 500ml×12", "箱", 12, Decimal("42.00")),
        ("VIN-DMP", "饺子醋 400ml×12", "箱", 12, Decimal("46.80")),
        ("VIN-APL", "苹果醋饮 300ml×15", "箱", 15, Decimal("67.50")),
    ],
}

# Units besides the base one (箱 = 10 袋): dealers order these in bags or in cases.
UNITS = {
    "BIS-SOD": [{"name": "箱", "factor": 10}],
    "BIS-WAF": [{"name": "箱", "factor": 20}],
    "NUT-MIX": [{"name": "箱", "factor": 12}],
}

# code, name, branch, level, method, credit limit, lat, lng, contact,
# (province, city, district, street): the default delivery address
CUSTOMERS = [
    (
        "C001",
        "上海浦东惠民批发部",
        "HD",
        3,
        "credit",
        80000,
        31.221,
        121.544,
        "王建国",
        ("上海市", "上海市", "浦东新区", "张杨路 1200 号"),
    ),
    (
        "C002",
        "杭州西湖副食品商行",
        "HD",
        5,
        "credit",
        50000,
        30.259,
        120.130,
        "李秀英",
        ("浙江省", "杭州市", "西湖区", "文三路 88 号"),
    ),
    (
        "C003",
        "苏州工业园区佳润超市",
        "HD",
        2,
        "prepaid",
        0,
        31.299,
        120.739,
        "张伟",
        ("江苏省", "苏州市", "苏州工业园区", "星湖街 328 号"),
    ),
    (
        "C004",
        "南京鼓楼万家便利",
        "HD",
        6,
        "cod",
        0,
        32.066,
        118.779,
        "刘洋",
        ("江苏省", "南京市", "鼓楼区", "中山北路 45 号"),
    ),
    (
        "C005",
        "宁波海曙粮油经营部",
        "HD",
        4,
        "credit",
        30000,
        29.874,
        121.541,
        "陈静",
        ("浙江省", "宁波市", "海曙区", "中山西路 19 号"),
    ),
    (
        "C006",
        "广州天河优选商贸",
        "HN",
        3,
        "credit",
        100000,
        23.135,
        113.329,
        "黄志强",
        ("广东省", "广州市", "天河区", "天河北路 233 号"),
    ),
    (
        "C007",
        "深圳南山鑫源批发",
        "HN",
        2,
        "credit",
        120000,
        22.533,
        113.930,
        "周敏",
        ("广东省", "深圳市", "南山区", "南海大道 2000 号"),
    ),
    (
        "C008",
        "佛山禅城日日鲜超市",
        "HN",
        7,
        "prepaid",
        0,
        23.021,
        113.121,
        "吴磊",
        ("广东省", "佛山市", "禅城区", "季华五路 12 号"),
    ),
    (
        "C009",
        "东莞莞城永盛副食",
        "HN",
        5,
        "credit",
        40000,
        23.043,
        113.752,
        "郑丽",
        ("广东省", "东莞市", "莞城街道", "东城路 66 号"),
    ),
    (
        "C010",
        "珠海香洲百佳便利店",
        "HN",
        8,
        "cod",
        0,
        22.271,
        113.577,
        "孙浩",
        ("广东省", "珠海市", "香洲区", "凤凰北路 101 号"),
    ),
]

# username, role, branch code, display name (a person's name: pages say the role beside it)
STAFF = [
    ("admin", "admin", None, "何平"),
    ("kefu", "customer_service", None, "林晓"),  # gets SMS for new orders (console)
    ("hd_manager", "branch_manager", "HD", "赵强"),
    ("hn_manager", "branch_manager", "HN", "钱芳"),
    ("hq_vp", "hq_approver", None, "孙立"),
    ("warehouse", "warehouse", "HD", "周勇"),  # 上海总仓's clerk
    ("warehouse_hn", "warehouse", "HN", "陈刚"),  # 广州仓's clerk
    ("finance", "finance", None, "吴敏"),
    ("rep_east", "rep", "HD", "郑华东"),
    ("rep_south", "rep", "HN", "冯华南"),
]


def _demo_password() -> str:
    configured = current_app.config.get("DEMO_PASSWORD")
    if configured:
        return configured
    path = Path(current_app.config["INSTANCE_DIR"]) / "demo_password"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(9))
        path.chmod(0o600)
    return path.read_text().strip()


def demo_logins() -> list[tuple[str, str, str]]:
    from app.core.models import Staff

    usernames = [u for u, *_ in STAFF]
    with db.connection_context():
        present = {s.username: s.role for s in Staff.select().where(Staff.username << usernames)}
    password = _demo_password()
    return [(u, password, present[u]) for u in usernames if u in present]


def demo_invitations() -> list[tuple[str, str]]:
    """Unused, unexpired invitations, for binding a WeChat user in development."""
    from app.db import utcnow
    from app.mall.models import Invitation

    with db.connection_context():
        query = Invitation.select().where(
            Invitation.used_at.is_null() & (Invitation.expires_at > utcnow())
        )
        rows = []
        for inv in query.order_by(Invitation.id).limit(10):
            who = inv.customer.name if inv.customer_id else inv.staff.name
            rows.append((inv.code, f"{inv.role}: {who}"))
        return rows


def level_price_table(list_price: Decimal) -> dict[int, Decimal]:
    """Level 1 is 2% under list, each further level 2% more (level 10: 20% under list)."""
    return {level: money(list_price * (1 - Decimal("0.02") * level)) for level in range(1, 11)}


DEMO_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")  # Debian's fonts-wqy-microhei
TILE_COLOURS = [
    (46, 125, 50),
    (2, 119, 189),
    (198, 40, 40),
    (239, 108, 0),
    (106, 27, 154),
    (0, 121, 107),
    (93, 64, 55),
    (69, 90, 100),
]


def demo_picture(name: str, colour: tuple[int, int, int], side: int = 600) -> bytes:
    """A product's picture for the demo: a coloured tile with the name's first characters on it
    (the tile alone where the CJK font is not installed)."""
    from PIL import Image, ImageDraw, ImageFont

    tile = Image.new("RGB", (side, side), colour)
    draw = ImageDraw.Draw(tile)
    label = name.split(" ")[0][:4]
    try:
        font = ImageFont.truetype(str(DEMO_FONT), side // (len(label) + 1), index=0)
    except OSError:
        font = None
    if font is not None:
        draw.text((side / 2, side / 2), label, fill=(255, 255, 255), font=font, anchor="mm")
    out = io.BytesIO()
    tile.save(out, "JPEG", quality=85)
    return out.getvalue()


def _seed_pictures(products) -> None:
    """One picture per product, coloured by category, so the catalogue shows pictures at once."""
    colours: dict[int, tuple[int, int, int]] = {}
    for product in products:
        colour = colours.setdefault(
            product.category_id, TILE_COLOURS[len(colours) % len(TILE_COLOURS)]
        )
        product_images.add(product.id, demo_picture(product.name, colour))


def seed_demo(if_empty: bool = False) -> bool:
    if if_empty and Customer.select().exists():
        return False
    with db.atomic():
        _seed_everything()
    return True


def _seed_everything() -> None:
    rng = random.Random(20261124)
    password = _demo_password()
    branches = {
        "HD": organisation.create_branch("HD", "华东分公司"),
        "HN": organisation.create_branch("HN", "华南分公司"),
    }
    warehouses = {
        "HD": organisation.create_warehouse("SH01", "上海总仓", branches["HD"].id, "上海市嘉定区"),
        "HN": organisation.create_warehouse("GZ01", "广州仓", branches["HN"].id, "广州市白云区"),
    }
    staff = {}
    for username, role, branch_code, name in STAFF:
        branch_id = branches[branch_code].id if branch_code else None
        phone = "13800138000" if role == "customer_service" else ""
        staff[username] = create_staff(
            username, password, role, name=name, branch_id=branch_id, phone=phone
        )

    products = []
    parents = {}
    for (parent_name, child_name), items in CATALOGUE.items():
        if parent_name not in parents:
            parents[parent_name] = catalog.create_category(parent_name, sort=len(parents))
        child = catalog.create_category(child_name, parents[parent_name].id)
        for item in items:
            fields = dict(zip(PRODUCT_COLUMNS, item, strict=True))
            price = fields["list_price"]
            min_qty, step = (5, 5) if price < 50 else (1, 1)
            products.append(
                catalog.create_product(
                    category_id=child.id,
                    min_qty=min_qty,
                    step=step,
                    prices=level_price_table(price),
                    units=UNITS.get(fields["sku"], []),
                    **fields,
                )
            )
    style_lines = _seed_styles()
    _seed_pictures(list(Product.select().order_by(Product.id)))  # the styles' SKUs too
    _seed_stock_at_cost(rng, warehouses, products, staff, style_lines)

    customers = []
    for code, name, branch, level, method, limit, lat, lng, contact, region in CUSTOMERS:
        province, city, district, street = region
        rep = staff["rep_east" if branch == "HD" else "rep_south"]
        customer = organisation.create_customer(
            code=code,
            name=name,
            branch_id=branches[branch].id,
            price_level=level,
            settlement_method=method,
            credit_limit=Decimal(limit),
            rep_id=rep.id,
            lat=Decimal(str(lat)),
            lng=Decimal(str(lng)),
            warehouse_id=warehouses[branch].id,
            contact=contact,
            phone=f"138{rng.randrange(10**8):08d}",
            address=f"{province}{'' if city == province else city}{district}{street}",
        )
        # The default delivery address, with its region, as a dealer would have entered it.
        (default,) = addresses.addresses_of(customer.id)
        addresses.update(
            customer.id,
            default.id,
            {"province": province, "city": city, "district": district, "address": street},
        )
        customers.append(customer)
    for customer in customers[:6]:
        for product in rng.sample(products, 3):
            special = money(level_price_table(product.list_price)[10] * Decimal("0.98"))
            catalog.set_customer_price(customer.id, product.id, special)
    approvals.create_rule(
        "万元以上：分公司经理、总部副总依次审批",
        {"min_amount": "10000"},
        [{"role": "branch_manager"}, {"role": "hq_approver"}],
        priority=10,
    )
    approvals.create_rule(
        "五千元以上：分公司经理审批",
        {"min_amount": "5000"},
        [{"role": "branch_manager"}],
        priority=20,
    )
    approvals.create_rule(
        "退货五千元以上：分公司经理审批",
        {"min_amount": "5000"},
        [{"role": "branch_manager"}],
        priority=20,
        document="return",
    )
    _seed_orders(rng, customers, products, staff)
    _seed_inventory(rng, warehouses, products, customers, staff)
    _seed_money(customers, products, staff)
    _seed_commerce(customers, products, staff)
    for customer in (customers[0], customers[5]):
        accounts.create_invitation(
            "dealer", customer_id=customer.id, created_by=staff["admin"].id, ttl=DEMO_INVITE_TTL
        )
    accounts.create_invitation(
        "rep", staff_id=staff["rep_east"].id, created_by=staff["admin"].id, ttl=DEMO_INVITE_TTL
    )
    _seed_shops(rng, warehouses["HD"], products, staff["admin"])
    # After the demo's orders: they were placed at plain prices, as their figures say.
    _seed_promotions(products, branches, staff["admin"])


# Styles (款) with their SKUs: values → (SKU, list price, opening stock per warehouse); a
# combination left out has no SKU, a stock of 0 is out of stock: the H5 picker greys both out.
DEMO_STYLES = (
    (
        "GB-TEA",
        "茗香茶礼盒",
        "茗香",
        [
            {"name": "口味", "values": ["茉莉花茶", "铁观音", "普洱"]},
            {"name": "规格", "values": ["250g", "500g"]},
        ],
        {
            ("茉莉花茶", "250g"): ("GB-TEA-01", "68.00", 40),
            ("茉莉花茶", "500g"): ("GB-TEA-02", "128.00", 25),
            ("铁观音", "250g"): ("GB-TEA-03", "88.00", 0),
            ("铁观音", "500g"): ("GB-TEA-04", "168.00", 12),
            ("普洱", "250g"): ("GB-TEA-05", "98.00", 30),
        },
    ),
)


def _seed_styles() -> list[dict]:
    """A gift-box style in a 礼盒 category, with a missing and an out-of-stock SKU; returns the
    opening stock lines of its SKUs (the opening receipts take them)."""
    category = catalog.create_category("礼盒", sort=99)
    lines = []
    for code, name, brand, specs, skus in DEMO_STYLES:
        group = styles.create_group(
            code=code, name=name, brand=brand, specs=specs, category_id=category.id
        )
        names = [d["name"] for d in specs]
        for values, (sku, price, qty) in skus.items():
            product = catalog.create_product(
                sku=sku,
                name=f"{name} {' '.join(values)}",
                category_id=category.id,
                brand=brand,
                unit="盒",
                list_price=Decimal(price),
                prices=level_price_table(Decimal(price)),
                group_id=group.id,
                spec=dict(zip(names, values, strict=True)),
            )
            if qty:
                cost = money(Decimal(price) * Decimal("0.6"))
                lines.append({"product_id": product.id, "qty": qty, "unit_cost": cost})
    return lines


def _seed_promotions(products, branches, admin) -> None:
    """A promotion of each kind a dealer meets in the cart: 满减 for everyone, 买赠 on 茉莉绿茶,
    特价 on 无糖乌龙茶 for 华东, and 阶梯价 on 橙汁 starting next week (scheduled)."""
    by_sku = {p.sku: p for p in products}
    now = utcnow()
    month = {"starts_at": now - dt.timedelta(days=1), "ends_at": now + dt.timedelta(days=30)}
    oolong = by_sku["TEA-OOL"]
    for data in (
        {
            "name": "订货会满减",
            "kind": "full_reduction",
            "rules": {"threshold": "1000.00", "reduction": "50.00", "repeat": True},
        },
        {
            "name": "茉莉绿茶买十赠一",
            "kind": "gift",
            "rules": {
                "product_id": by_sku["TEA-GRN"].id,
                "min_qty": 10,
                "gift_product_id": by_sku["TEA-GRN"].id,
                "gift_qty": 1,
                "repeat": True,
            },
        },
        {
            "name": "华东乌龙茶特价",
            "kind": "special_price",
            "rules": {
                "items": [
                    {
                        "product_id": oolong.id,
                        "price": str(money(oolong.list_price * Decimal("0.75"))),
                    }
                ]
            },
            "branch_ids": [branches["HD"].id],
        },
    ):
        staff_promotions.create_promotion(admin, {**month, **data})
    juice = by_sku["JCE-ORG"]
    staff_promotions.create_promotion(
        admin,
        {
            "name": "橙汁阶梯价",
            "kind": "tiered_price",
            "rules": {
                "product_id": juice.id,
                "tiers": [
                    {"min_qty": 20, "price": str(money(juice.list_price * Decimal("0.85")))},
                    {"min_qty": 50, "price": str(money(juice.list_price * Decimal("0.80")))},
                ],
            },
            "starts_at": now + dt.timedelta(days=7),
            "ends_at": now + dt.timedelta(days=37),
        },
    )


def _seed_commerce(customers, products, staff) -> None:
    """收藏 for the two dealers with demo invitations, and an order customer service took on the
    phone for another dealer (代下单), so that dealer's inbox says so."""
    picker = random.Random(27)  # its own: the seeds after this one keep their numbers
    for customer in (customers[0], customers[5]):
        for product in picker.sample(products, 4):
            favourites.add(customer.id, product.id)
    product = products[0]
    staff_orders.place_for_dealer(
        staff["kefu"],
        customers[1].id,
        [{"product_id": product.id, "qty": max(product.min_qty, 10 - 10 % product.step)}],
        idempotency_key="demo-phone-order",
        remark="电话订货（客服代下单）",
    )


DEMO_SHOPS = (
    ("taobao", "好茶天猫旗舰店", 100, 5),
    ("pdd", "好茶拼多多店", 60, 10),
    ("doudian", "好茶抖音小店", 50, 10),
    ("youzan", "好茶有赞微商城", 30, 0),
)
DEMO_ORDER_SEQ = 900000  # the demo's platform order ids: the sandbox's own count far below
DEMO_BUYERS = (
    ("张伟", "13812345678", "浙江省", "杭州市", "西湖区"),
    ("王芳", "13922223333", "江苏省", "南京市", "鼓楼区"),
    ("李娜", "13700001111", "上海市", "上海市", "浦东新区"),
    ("刘洋", "13655556666", "广东省", "深圳市", "南山区"),
)


def _seed_shops(rng, warehouse, products, admin) -> None:
    """A shop on each platform (app keys the sandbox knows: its secret is "secret-" + key),
    each with orders as if downloaded: waiting to ship, merged (two to one door), short of
    stock, an unmapped SKU, and one refunded before shipping. Their ids are in the platform's
    format; `tell_sandbox` gives the sandbox's platforms the same orders."""
    from app.adapters.platforms import Line, PlatformOrder
    from app.adapters.platforms.types import Receiver
    from app.db import utcnow
    from app.shops import download
    from app.shops import shops as shop_service

    stocked = [p for p in products if stock.availability(warehouse.id, [p.id])[p.id] > 0]
    seeded_at = time.time()
    for n, (platform, name, share, safety) in enumerate(DEMO_SHOPS, 1):
        shop = shop_service.create_shop(
            admin,
            {
                "name": name,
                "platform": platform,
                "app_key": f"demo-{platform}",
                "app_secret": f"secret-demo-{platform}",
                "access_token": f"demo-token-{platform}",
                "warehouse_id": warehouse.id,
                "stock_share_pct": share,
                "safety_stock": safety,
            },
        )

        def order(seq, lines, buyer_index, status="paid", platform=platform):
            who = DEMO_BUYERS[buyer_index % len(DEMO_BUYERS)]
            paid = utcnow() - dt.timedelta(hours=rng.randrange(1, 48))
            return PlatformOrder(
                platform_order_id=order_number(platform, DEMO_ORDER_SEQ + seq, seeded_at),
                status=status,
                buyer=f"buyer-{who[0]}",
                receiver=Receiver(
                    who[0][0] + "*", who[1][:3] + "****" + who[1][-4:], *who[2:], "***"
                ),
                lines=tuple(Line(sku, qty, price) for sku, qty, price in lines),
                total=sum((price * qty for _, qty, price in lines), Decimal("0")),
                paid_at=paid,
                modified_at=paid,
            )

        # The 异常 order asks a few more than the warehouse holds of its least stocked product:
        # one a clerk can make sense of, and the channel report's figures stay a real shop's.
        available = stock.availability(warehouse.id, [p.id for p in stocked])
        scarce = min(stocked, key=lambda p: (available[p.id], p.id))
        picks = [scarce, *rng.sample([p for p in stocked if p.id != scarce.id], 2)]
        short = available[scarce.id] + 5
        listed = [
            order(1, [(picks[0].sku, 2, picks[0].list_price)], n),
            order(2, [(picks[1].sku, 1, picks[1].list_price)], n + 1),
            order(3, [(picks[2].sku, 1, picks[2].list_price)], n + 1),  # merged with 2
            order(4, [(picks[0].sku, short, picks[0].list_price)], n + 2),  # short of stock
            order(5, [(f"{platform.upper()}-GIFT", 1, Decimal("9.90"))], n + 3),  # unmapped
            order(6, [(picks[1].sku, 1, picks[1].list_price)], n + 3),
        ]
        download.store_page(shop, listed, download.Downloaded())
        refunded = order(6, [(picks[1].sku, 1, picks[1].list_price)], n + 3, status="cancelled")
        download.store_page(shop, [refunded], download.Downloaded())


def _seed_orders(rng, customers, products, staff) -> None:
    """A few orders in every state, with shipments aged into every AR bucket."""
    actor = f"staff:{staff['kefu'].id}"
    for customer in customers:
        if customer.settlement_method == "prepaid":
            receivables.record_receipt(customer.id, Decimal("20000"), "bank", "期初预付款", "seed")
    stocked = {
        s.product_id
        for s in stock.Stock.select().where(stock.Stock.on_hand >= 60)
        if s.warehouse_id == customers[0].warehouse_id
    }
    east = [c for c in customers if c.warehouse_id == customers[0].warehouse_id][:4]
    for days_ago, customer in zip((95, 70, 40, 10), east, strict=True):
        picks = rng.sample([p for p in products if p.id in stocked], 2)
        lines = [LineRequest(p.id, max(p.min_qty, 10 - 10 % p.step)) for p in picks]
        order = orders.create_order(customer.id, lines, placed_by="seed")
        orders.approve_order(order.id, actor)
        ship_lines = [(ln.id, ln.qty) for ln in order.lines]
        shipment = orders.ship_order(order.id, ship_lines, "顺丰速运", f"SF{order.id:010d}", "seed")
        _backdate(order.id, shipment, days_ago)
    for customer in customers[:3]:
        picks = rng.sample(products, 2)
        lines = [LineRequest(p.id, p.min_qty * 2) for p in picks]
        orders.create_order(customer.id, lines, placed_by="seed", remark="请尽快安排发货")
    cases = [p for p in products if p.sku in UNITS]  # ordered by the case (箱)
    orders.create_order(
        customers[0].id, [LineRequest(p.id, 2, "箱") for p in cases], placed_by="seed"
    )
    receivables.record_receipt(east[0].id, Decimal("500"), "bank", "部分回款", "seed")


def _backdate(order_id: int, shipment: Shipment, days_ago: int) -> None:
    """Seed only: move a shipped order's whole history back in time, so the aging report has depth
    and every date tells one story: placed two days before it shipped, approved the day before,
    shipped `days_ago` days ago; its numbers carry those dates, and every posting, movement,
    event and message moves with it."""
    shipped = shipment.shipped_at - dt.timedelta(days=days_ago)
    placed, approved = shipped - dt.timedelta(days=2), shipped - dt.timedelta(days=1)
    order = Order.get_by_id(order_id)
    order_no = document_number("SO", placed, order.id)
    ship_no = document_number("SH", shipped, shipment.id)
    at = {"submit": placed, "approve": approved}
    with db.atomic():
        Order.update(
            created_at=placed, approved_at=approved, updated_at=shipped, number=order_no
        ).where(Order.id == order.id).execute()
        for event in OrderEvent.select().where(OrderEvent.order == order.id):
            when = at.get(event.action, shipped)
            note = event.note.replace(shipment.number, ship_no)
            OrderEvent.update(created_at=when, note=note).where(OrderEvent.id == event.id).execute()
            for sent in Notification.select().where(Notification.event == event.id):
                payload = sent.payload.replace(order.number, order_no)
                payload = payload.replace(shipment.number, ship_no)
                Notification.update(created_at=when, payload=payload).where(
                    Notification.id == sent.id
                ).execute()
            for message in InboxMessage.select().where(
                InboxMessage.notification
                << Notification.select(Notification.id).where(Notification.event == event.id)
            ):  # what the dealer reads names the order and shipment by their numbers now
                title, body = (
                    text.replace(order.number, order_no).replace(shipment.number, ship_no)
                    for text in (message.title, message.body)
                )
                InboxMessage.update(created_at=when, title=title, body=body).where(
                    InboxMessage.id == message.id
                ).execute()
        HoldMovement.update(created_at=approved).where(
            (HoldMovement.order == order.id) & (HoldMovement.kind == "hold")
        ).execute()
        HoldMovement.update(created_at=shipped).where(
            (HoldMovement.order == order.id) & (HoldMovement.kind != "hold")
        ).execute()
        StockMovement.update(created_at=approved, ref=order_no).where(
            StockMovement.ref == order.number
        ).execute()
        StockMovement.update(created_at=shipped, ref=ship_no).where(
            StockMovement.ref == shipment.number
        ).execute()
        Shipment.update(shipped_at=shipped, number=ship_no).where(
            Shipment.id == shipment.id
        ).execute()
        Receivable.update(posted_at=shipped).where(Receivable.shipment == shipment.id).execute()
        for entry in AccountEntry.select().where(AccountEntry.ref == shipment.number):
            note = entry.note.replace(order.number, order_no)  # "订单 SO… 发货" on the statement
            AccountEntry.update(created_at=shipped, ref=ship_no, note=note).where(
                AccountEntry.id == entry.id
            ).execute()
        ReceiptAllocation.update(created_at=shipped).where(
            ReceiptAllocation.receivable
            << Receivable.select(Receivable.id).where(Receivable.shipment == shipment.id)
        ).execute()


# --- inventory at cost (issue 25) -------------------------------------------------------------

BRANDS = {"WTR": "山泉", "TEA": "茗香", "JCE": "果园", "BIS": "麦香", "NUT": "坚果铺"}
BRANDS |= {"SOY": "鲜味", "OIL": "金鼎", "VIN": "老坊"}


CLERKS = {"HD": "warehouse", "HN": "warehouse_hn"}  # branch code → its warehouse's clerk


def _seed_stock_at_cost(rng, warehouses, products, staff, extra_lines=()) -> None:
    """Opening stock as a receipt per warehouse at a cost of 55-70% of list price (and
    `extra_lines` as given); brands, safety stock on a few products, bin locations for the
    first aisle."""
    for product in products:
        catalog.update_product(
            product.id,
            brand=BRANDS[product.sku[:3]],
            safety_stock=rng.choice([0, 0, 20, 50]),
        )
    for code, warehouse in warehouses.items():
        keeper = staff[CLERKS[code]]  # each warehouse's own clerk receives its opening stock
        lines = []
        for product in products:
            qty = rng.choice([0, 8, 15, 60, 120, 200, 300, 500])
            if qty:
                unit_cost = money(product.list_price * Decimal(rng.randint(55, 70)) / 100)
                lines.append({"product_id": product.id, "qty": qty, "unit_cost": unit_cost})
        lines.extend(extra_lines)
        inventory.create_receipt(
            keeper,
            {
                "warehouse_id": warehouse.id,
                "supplier": "期初库存",
                "reference": f"OPEN-{code}",
                "lines": lines,
                "note": "期初库存（按进价）",
            },
        )
        for i, product in enumerate(products[:10]):
            inventory.set_location(keeper, warehouse.id, product.id, f"A-01-{i + 1:02d}")


def _seed_inventory(rng, warehouses, products, customers, staff) -> None:
    """A newcomer's view of inventory at cost: two more receipts (the average moves), a transfer
    still in transit from 上海 to 广州, a month-end count with variances, customer fees."""
    keeper, east, south = staff["warehouse"], warehouses["HD"], warehouses["HN"]
    for reference, supplier, picks in (
        ("CG-1101", "顺心饮料厂", products[:5]),
        ("CG-1102", "金鼎粮油", products[30:35]),
    ):
        inventory.create_receipt(
            keeper,
            {
                "warehouse_id": east.id,
                "supplier": supplier,
                "reference": reference,
                "lines": [
                    {
                        "product_id": p.id,
                        "qty": 60,
                        "unit_cost": money(p.list_price * Decimal("0.62")),
                    }
                    for p in picks
                ],
            },
        )
    available = {
        s.product_id: s.on_hand - s.reserved
        for s in stock.Stock.select().where(stock.Stock.warehouse == east.id)
    }
    moving = [p for p in products if available.get(p.id, 0) >= 30][:3]
    inventory.create_transfer(
        keeper,
        {
            "from_warehouse_id": east.id,
            "to_warehouse_id": south.id,
            "lines": [{"product_id": p.id, "qty": 20} for p in moving],
            "note": "华南促销备货",
        },
    )
    counted = [p for p in products if available.get(p.id, 0) >= 60][3:6]
    inventory.create_count(
        keeper,
        {
            "warehouse_id": east.id,
            "lines": [
                {"product_id": p.id, "counted_qty": available[p.id] + delta}
                for p, delta in zip(counted, (-2, 0, 1), strict=False)
            ],
            "note": "月末盘点：1 箱破损报废",
        },
    )
    finance, today = staff["finance"], dt.date.today()
    for customer, kind, amount, brand in (
        (customers[0], "listing", "2000.00", "茗香"),
        (customers[1], "promotion", "800.00", ""),
        (customers[0], "display", "300.00", "山泉"),
        (customers[5], "rebate", "1200.00", ""),
    ):
        inventory.record_fee(
            finance,
            customer.id,
            {"kind": kind, "amount": Decimal(amount), "date": today, "brand": brand},
        )


# The demo dealer of the money pages: in development, /_sandbox/as?openid=sandbox-oa-demo-dealer
# then /h5/account shows their top-up, paid order, invoice and confirmed statement.
DEMO_PAYER = "sandbox-oa-demo-dealer"


def _seed_money(customers, products, staff) -> None:
    """WeChat Pay for a prepaid dealer: a paid top-up and a paid order (settled as WeChat Pay's
    notification settles them), an issued invoice, and last month's statement confirmed. Only
    with WeChat Pay configured (make run makes the sandbox's keys first)."""
    if not wechat_pay.gateway.configured:
        return
    approvals.create_rule(
        "退款五千元以上：总部审批",
        {"min_amount": "5000"},
        [{"role": "hq_approver"}],
        priority=20,
        document="refund",
    )
    customer = next(c for c in customers if c.settlement_method == "prepaid")
    user = WechatUser.create(oa_openid=DEMO_PAYER, follows_oa=True, nickname="演示经销商")
    invitation = accounts.create_invitation("dealer", customer_id=customer.id)
    user = accounts.bind(user.id, invitation.code)
    stocked = [p for p in products if p.min_qty == 1][:2]
    order = orders.create_order(customer.id, [LineRequest(stocked[0].id, 2)], placed_by="seed")
    _paid(customer, user, "topup", Decimal("5000.00"))
    # Paid whole, as before the balance was there (now the balance would pay it by itself).
    _paid(customer, user, "order", payments.order_dues(order).owed, order)
    shipped = orders.create_order(customer.id, [LineRequest(stocked[1].id, 1)], placed_by="seed")
    orders.approve_order(shipped.id, f"staff:{staff['kefu'].id}")
    line = shipped.lines[0]
    orders.ship_order(shipped.id, [(line.id, 1)], "顺丰速运", f"SF{shipped.id:010d}", "seed")
    invoice = invoices.request(
        customer.id,
        {
            "kind": "special",
            "title": customer.name,
            "tax_no": "91310000MA1FL8XQ3K",
            "order_ids": [shipped.id],
            "email": "caiwu@example.com",
        },
        f"wechat:{user.id}",
    )
    invoices.issue(staff["finance"], invoice.id, "26312000000000000001")
    # The opening prepayment came last month, so last month's statement has a line to confirm.
    last_month = local_today().replace(day=1) - dt.timedelta(days=1)
    opening = (
        AccountEntry.select().where(AccountEntry.customer == customer.id).order_by(AccountEntry.id)
    )
    when = dt.datetime.combine(last_month.replace(day=5), dt.time(2, 0))
    entry = opening.first()
    receipt = Receipt.get(Receipt.number == entry.ref)
    number = document_number("RC", when, receipt.id)  # its number carries its date, as any's
    AccountEntry.update(created_at=when, ref=number).where(AccountEntry.id == entry.id).execute()
    Receipt.update(received_at=when, number=number).where(Receipt.id == receipt.id).execute()
    statements.answer(user, f"{last_month:%Y-%m}", True)


def _paid(customer, user, purpose: str, amount: Decimal, order=None) -> None:
    """A payment placed and paid, settled by what WeChat Pay's notification would say."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    payment = Payment.create(
        customer=customer.id,
        wechat_user=user.id,
        purpose=purpose,
        order=order.id if order else None,
        out_trade_no=secrets.token_hex(8),
        amount=amount,
        status="pending",
        channel="h5",
        appid=payment_settings.current().oa_appid,
        openid=user.oa_openid,
        expires_at=now,
        next_query_at=now + dt.timedelta(days=3650),
    )
    payment.out_trade_no = payment_rules.out_number("WP", now, payment.id)
    payment.save()
    payments.settle(
        {
            "mchid": wechat_pay.gateway.settings.mchid,
            "appid": payment.appid,
            "out_trade_no": payment.out_trade_no,
            "transaction_id": f"42000{now:%Y%m%d}{payment.id:015d}",
            "trade_state": "SUCCESS",
            "success_time": now.replace(tzinfo=dt.UTC).isoformat(),
            "attach": f"customer:{customer.id}",
            "payer": {"openid": user.oa_openid},
            "amount": {"total": to_fen(amount), "currency": "CNY"},
        }
    )


# --- the sandbox hears of what the database holds ----------------------------------------------


def tell_sandbox(shops_url: str, pay_url: str | None) -> dict[str, int]:
    """Development only: tell the sandbox (in memory, so empty after every start) of the listings
    and orders the database has from its platforms, the waybills it was issued, and the payments and
    refunds it has through its WeChat Pay, as the real platforms, courier and WeChat Pay would
    know them: the demo's seeded ones, and any made in an earlier run. What the sandbox already
    has it keeps. Without this, writing a tracking number back to a platform and refunding a
    payment are refused there, a tracking number is issued twice, and stock pushes name listings
    the platform does not have. `pay_url`: None when
    WeChat Pay is not configured. Returns how many of each the sandbox learnt."""
    import requests

    from app.shops import settings as shop_settings
    from app.shops.models import ShopOrder

    learnt = {"listings": 0, "orders": 0, "waybills": 0, "payments": 0}
    for shop, body in _listings():  # first: the orders' lines are of these listings
        url = f"{shops_url}/_sandbox/shops/{shop.platform}/{shop.app_key}/items"
        answer = requests.post(url, json={"items": [body]}, timeout=10)
        answer.raise_for_status()
        learnt["listings"] += answer.status_code == 201
    for shop, body in _platform_orders():
        url = f"{shops_url}/_sandbox/shops/{shop.platform}/{shop.app_key}/orders"
        answer = requests.post(url, json=body, timeout=10)
        answer.raise_for_status()
        learnt["orders"] += answer.status_code == 201
    waybills = shop_settings.current()
    if waybills.waybill_base_url and waybills.waybill_business_id:
        for order in ShopOrder.select().where(ShopOrder.tracking_no != "").order_by(ShopOrder.id):
            body = {
                "business_id": waybills.waybill_business_id,
                "order_code": order.number,
                "carrier": order.carrier,
                "tracking_no": order.tracking_no,
            }
            url = f"{waybills.waybill_base_url}/_sandbox/waybills"
            answer = requests.post(url, json=body, timeout=10)
            answer.raise_for_status()
            learnt["waybills"] += answer.status_code == 201
    if pay_url is not None:
        for body in _paid_transactions():
            answer = requests.post(f"{pay_url}/_sandbox/pay/transactions", json=body, timeout=10)
            answer.raise_for_status()
            learnt["payments"] += answer.status_code == 201
    return learnt


def _seconds(moment: dt.datetime) -> float:
    return moment.replace(tzinfo=dt.UTC).timestamp()


def _listings():
    """(shop, the sandbox's seeding body) of every listing a mapped SKU was found on: its item id
    with its SKUs' codes and ids."""
    from app.shops.models import Shop, ShopSku

    for shop in Shop.select().order_by(Shop.id):
        listed: dict[str, list[ShopSku]] = {}
        found = ShopSku.select().where((ShopSku.shop == shop.id) & (ShopSku.platform_item_id != ""))
        for sku in found.order_by(ShopSku.id):
            listed.setdefault(sku.platform_item_id, []).append(sku)
        for item_id, skus in listed.items():
            yield (
                shop,
                {
                    "item_id": item_id,
                    "skus": [s.platform_sku for s in skus],
                    "sku_ids": [s.platform_sku_id for s in skus],
                },
            )


def _platform_orders():
    """(shop, the sandbox's seeding body) of every order downloaded: its lines
    gathered back from the shop orders they went to (merged, split), shipped on the platform
    once our write-back got there."""
    from app.shops.models import PlatformOrder, Shop, ShopOrder, ShopOrderLine, WriteBack

    for shop in Shop.select().order_by(Shop.id):
        rows = PlatformOrder.select().where(PlatformOrder.shop == shop.id)
        for row in rows.order_by(PlatformOrder.id):
            lines = list(
                ShopOrderLine.select()
                .where(ShopOrderLine.platform_order == row.id)
                .order_by(ShopOrderLine.id)
            )
            if not lines:
                continue  # never a shop order (unpaid when downloaded)
            qty: dict[tuple[str, str], int] = {}
            for line in lines:
                key = (line.platform_sku, str(line.price))
                qty[key] = qty.get(key, 0) + line.qty
            first = ShopOrder.get_by_id(lines[0].order_id)
            status = row.status
            written = WriteBack.select().where(
                (WriteBack.platform_order == row.id) & (WriteBack.status == "delivered")
            )
            if status == "paid" and written.exists():
                status = "shipped"
            yield (
                shop,
                {
                    "platform_order_id": row.platform_order_id,
                    "status": status,
                    "buyer": first.buyer,
                    "receiver": {
                        "name": first.receiver_name,
                        "phone": first.receiver_phone,
                        "province": first.province,
                        "city": first.city,
                        "district": first.district,
                        "address": first.address,
                    },
                    "lines": [
                        {"sku": sku, "qty": n, "price": price} for (sku, price), n in qty.items()
                    ],
                    "paid_at": _seconds(first.paid_at or row.modified_at),
                    "modified_at": _seconds(row.modified_at),
                },
            )


REFUND_STATES = {
    "processing": "PROCESSING",
    "succeeded": "SUCCESS",
    "failed": "CLOSED",
    "abnormal": "ABNORMAL",
}


def _paid_transactions():
    """The sandbox's WeChat Pay seeding body of every payment paid, with the refunds WeChat Pay
    took on it."""
    from app.payments.models import Refund

    paid = Payment.select().where(Payment.transaction_id.is_null(False)).order_by(Payment.id)
    for payment in paid:
        taken = Refund.select().where(
            (Refund.payment == payment.id) & Refund.refund_id.is_null(False)
        )
        yield {
            "out_trade_no": payment.out_trade_no,
            "transaction_id": payment.transaction_id,
            "appid": payment.appid,
            "openid": payment.openid,
            "amount": to_fen(payment.amount),
            "success_time": (payment.paid_at or payment.created_at)
            .replace(tzinfo=dt.UTC)
            .isoformat(),
            "attach": f"customer:{payment.customer_id}",
            "notify_url": current_app.config.get("WECHATPAY_NOTIFY_URL") or "",
            "refunds": [
                {
                    "out_refund_no": refund.out_refund_no,
                    "refund_id": refund.refund_id,
                    "refund": to_fen(refund.amount),
                    "status": REFUND_STATES.get(refund.status, "PROCESSING"),
                    "created_at": refund.created_at.replace(tzinfo=dt.UTC).isoformat(),
                }
                for refund in taken.order_by(Refund.id)
            ],
        }
