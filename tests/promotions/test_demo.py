"""The demo shows promotions: a 满减 and a 买赠 open to every dealer, a 特价 for 华东, a 阶梯价
scheduled for next week; a demo dealer's cart gets them."""

from app.backoffice import promotions
from app.core.models import Customer, Product, Promotion, Staff
from app.core.orders import LineRequest, price_lines
from devkit.demo import seed_demo


def test_the_demo_has_a_promotion_of_each_kind_and_a_dealer_gets_them(app_ctx):
    assert seed_demo()
    admin = Staff.get(Staff.username == "admin")
    rows, total = promotions.promotions_page(admin, {}, 1, 20)
    assert total == 4 and {p.kind for p in rows} == {
        "full_reduction",
        "gift",
        "special_price",
        "tiered_price",
    }
    assert [p.status for p in rows if p.kind == "tiered_price"] == ["scheduled"]
    tea = Product.get(Product.sku == "TEA-GRN")
    east = Customer.get(Customer.code == "C001")  # 华东, level 3 (unordered, PostgreSQL picks any)
    quote = price_lines(east, [LineRequest(tea.id, 30)])
    assert [ln.qty for ln in quote.lines if ln.gift] == [3]  # 买十赠一, three times
    assert quote.discounts and quote.total == quote.subtotal - quote.discount_total
    assert Promotion.select().count() == 4
