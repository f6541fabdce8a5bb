"""The demo has styles whose picker shows greyed values: a gift box with a combination never
made and one out of stock."""

from app.core.models import Customer, ProductGroup
from app.mall import styles
from devkit.demo import seed_demo


def test_the_demo_has_styles_with_missing_and_out_of_stock_skus(app_ctx):
    assert seed_demo()
    assert ProductGroup.select().count() == 1
    tea = ProductGroup.get(ProductGroup.code == "GB-TEA")
    dealer = Customer.select().order_by(Customer.id).first()
    view = styles.style_view(dealer, tea.id, 5)
    assert len(view.skus) == 5
    assert {v.product.sku: v.stock_status for v in view.skus}["GB-TEA-03"] == "out"
    puer = styles.picker(view, {"口味": "普洱"})
    sizes = {c.value: c.disabled for name, cs in puer.dimensions if name == "规格" for c in cs}
    assert sizes == {"250g": False, "500g": True}
    oolong = styles.picker(view, {"口味": "铁观音"})
    sizes = {c.value: c.disabled for name, cs in oolong.dimensions if name == "规格" for c in cs}
    assert sizes == {"250g": True, "500g": False}
