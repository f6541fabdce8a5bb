"""Picking lists and delivery notes as Chinese PDFs with barcodes, and the SKU check while
picking: a wrong SKU is refused in words."""

import io
import re

import pytest
from pypdf import PdfReader

from app.core import catalog, orders
from app.core.models import Order
from app.core.orders import LineRequest
from app.errors import InvalidState, ValidationFailed
from app.inventory import services as inventory
from devkit.testing.clients import ADMIN


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def approved(co, *lines):
    order = co.order(co.east_customer, *lines)
    orders.approve_order(order.id, "staff:1")
    return Order.get_by_id(order.id)


def test_the_picking_list_prints_what_is_left_to_ship_by_location(client, co):
    inventory.set_location(co.staff["wh"], co.sh.id, co.oil.id, "A-01-02")
    order = approved(co, (co.tea, 10), (co.oil, 3))
    tea_line = next(ln for ln in order.lines if ln.product_id == co.tea.id)
    orders.ship_order(order.id, [(tea_line.id, 4)], "顺丰", "SF1", "wh")
    r = client.get(f"{ADMIN}/orders/{order.id}/picking-list.pdf", headers=co.headers("wh"))
    assert r.status_code == 200
    assert r.mimetype == "application/pdf"
    text = text_of(r.data)
    assert "拣货单" in text and order.number in text and co.east_customer.name in text
    assert co.tea.sku in text and co.oil.sku in text and "A-01-02" in text
    assert "订 10，已发 4" in text  # 6 of the tea still to pick
    assert text.index("A-01-02") < text.index(co.tea.sku)  # located lines first


def test_the_delivery_note_lists_the_shipment_for_the_receivers_signature(client, co):
    order = approved(co, (co.tea, 5))
    shipment = orders.ship_order(order.id, [(order.lines[0].id, 5)], "德邦", "DB77", "wh")
    r = client.get(f"{ADMIN}/shipments/{shipment.id}/delivery-note.pdf", headers=co.headers("cs"))
    assert r.status_code == 200
    text = text_of(r.data)
    assert "送货单" in text and shipment.number in text and "德邦 DB77" in text
    assert "收货人签字" in text and co.tea.sku in text


def test_papers_say_a_line_in_the_unit_it_was_ordered_in(client, co):
    catalog.update_product(co.tea.id, unit="盒", units=[{"name": "箱", "factor": 12}])
    placed = orders.create_order(
        co.east_customer.id, [LineRequest(co.tea.id, 3, "箱"), LineRequest(co.oil.id, 2)]
    )
    orders.approve_order(placed.id, "staff:1")
    order = Order.get_by_id(placed.id)
    tea_line = next(ln for ln in order.lines if ln.product_id == co.tea.id)
    assert (tea_line.qty, tea_line.unit, tea_line.unit_qty) == (36, "箱", 3)
    shipment = orders.ship_order(order.id, [(tea_line.id, 12)], "顺丰", "SF2", "wh")
    picking = text_of(
        client.get(f"{ADMIN}/orders/{order.id}/picking-list.pdf", headers=co.headers("wh")).data
    )
    assert "2 箱（24 盒）" in picking  # what is left, in 箱
    assert "订 3 箱（36 盒），已发 12" in picking
    note = text_of(
        client.get(
            f"{ADMIN}/shipments/{shipment.id}/delivery-note.pdf", headers=co.headers("cs")
        ).data
    )
    assert "1 箱（12 盒）" in note and "订 3 箱（36 盒）" in note  # shipped in part
    assert "箱（" not in note.replace("1 箱（12 盒）", "").replace("订 3 箱（36 盒）", "")
    # Not a whole number of 箱 left: said in the base unit.
    orders.ship_order(order.id, [(tea_line.id, 5)], "顺丰", "SF3", "wh")
    left = text_of(
        client.get(f"{ADMIN}/orders/{order.id}/picking-list.pdf", headers=co.headers("wh")).data
    )
    assert "19" in left and "箱（" not in left.replace("订 3 箱（36 盒）", "")


def test_papers_of_another_branchs_orders_are_not_found(client, co):
    order = approved(co, (co.tea, 5))
    r = client.get(f"{ADMIN}/orders/{order.id}/picking-list.pdf", headers=co.headers("bm_south"))
    assert r.status_code == 404


def test_scanning_each_picked_sku_counts_up_to_what_is_left(co):
    order = approved(co, (co.oil, 2))
    keeper = co.staff["wh"]
    line, picked = inventory.check_pick(keeper, order.id, co.oil.sku)
    assert (line.product_id, picked) == (co.oil.id, 1)
    assert inventory.check_pick(keeper, order.id, f" {co.oil.sku.lower()} ")[1] == 2
    with pytest.raises(InvalidState, match="已拣够 2"):
        inventory.check_pick(keeper, order.id, co.oil.sku)


def test_a_wrong_sku_is_refused_in_words(co):
    order = approved(co, (co.oil, 2))
    with pytest.raises(ValidationFailed) as wrong:
        inventory.check_pick(co.staff["wh"], order.id, co.tea.sku)
    assert wrong.value.message == f"拣错货了：茉莉绿茶（{co.tea.sku}）不在订单 {order.number} 中"
    with pytest.raises(ValidationFailed, match="不是本系统的商品编码"):
        inventory.check_pick(co.staff["wh"], order.id, "6901234567890")


def test_the_barcodes_read_back_as_the_order_number_and_each_sku(client, co, tmp_path):
    """Printed at 200 dpi and read by zbar (poppler-utils and zbar-tools, which .ci/run installs),
    as a scanner reads the paper."""
    import shutil
    import subprocess

    order = approved(co, (co.tea, 10), (co.oil, 3))
    r = client.get(f"{ADMIN}/orders/{order.id}/picking-list.pdf", headers=co.headers("wh"))
    (tmp_path / "list.pdf").write_bytes(r.data)
    subprocess.run(
        [
            shutil.which("pdftoppm"),
            "-png",
            "-r",
            "200",
            str(tmp_path / "list.pdf"),
            str(tmp_path / "page"),
        ],
        check=True,
    )
    found = subprocess.run(
        [shutil.which("zbarimg"), "-q", "--raw", *map(str, sorted(tmp_path.glob("page*.png")))],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert sorted(found) == sorted([order.number, co.tea.sku, co.oil.sku])


def test_the_delivery_note_totals_its_quantity_and_says_what_a_partial_line_ordered(client, co):
    order = approved(co, (co.tea, 10), (co.oil, 3))
    tea_line = next(ln for ln in order.lines if ln.product_id == co.tea.id)
    oil_line = next(ln for ln in order.lines if ln.product_id == co.oil.id)
    shipment = orders.ship_order(order.id, [(tea_line.id, 4), (oil_line.id, 3)], "顺丰", "S", "wh")
    note = text_of(
        client.get(
            f"{ADMIN}/shipments/{shipment.id}/delivery-note.pdf", headers=co.headers("cs")
        ).data
    )
    assert re.search(r"合计\s*箱\s*7\b", note), note  # both lines in 箱: 4 + 3
    assert "订 10" in note  # the tea, shipped in part
    assert "订 3" not in note  # the oil went whole

    # Lines in different units are not added up: the note counts its lines.
    catalog.update_product(co.oil.id, unit="桶")
    order = approved(co, (co.tea, 2), (co.oil, 1))
    shipment = orders.ship_order(
        order.id, [(ln.id, ln.qty) for ln in order.lines], "顺丰", "T", "wh"
    )
    note = text_of(
        client.get(
            f"{ADMIN}/shipments/{shipment.id}/delivery-note.pdf", headers=co.headers("cs")
        ).data
    )
    assert re.search(r"合计\s*共 2 行", note), note
    assert "订 " not in note
