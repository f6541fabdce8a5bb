"""Excel against hostile data: exports survive control characters already stored (written to
the database directly, as text saved before the boundary refused them), and an import's archive
is judged by its directory before openpyxl inflates anything (a zip bomb)."""

from __future__ import annotations

import io
import time
import zipfile
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from app.core import orders as core_orders
from app.core import returns as core_returns
from app.core.models import Customer, Order, ReturnRequest, Staff
from app.core.receivables import record_receipt
from devkit.factories import place

BROKEN = "经销商\x0b甲\x01\x1f"


def _workbook_text(response) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    wb = load_workbook(io.BytesIO(response.get_data()))
    return "".join(
        str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v
    )


@pytest.fixture
def stored_control_characters(co):
    """An order, a receivable, a return and a receipt whose texts hold control characters."""
    order = place(co.east_customer, (co.tea, 4), remark="备注\x0b第二行")
    core_orders.approve_order(order.id, "test")
    line = Order.get_by_id(order.id).lines[0]
    core_orders.ship_order(order.id, [(line.id, 4)], "顺丰", "SF\x0b1", "test")
    core_returns.request_return(co.east_customer.id, order.id, [(line.id, 1)], "破损", "test")
    record_receipt(co.east_customer.id, Decimal("10.00"), "transfer", "转账\x0b1", "test")
    Customer.update(name=BROKEN).where(Customer.id == co.east_customer.id).execute()
    ReturnRequest.update(reason="破\x0b损").execute()
    Staff.update(name="业务员\x0b乙").where(Staff.id == co.rep.id).execute()
    return order


@pytest.mark.parametrize(
    "path",
    [
        "/admin/orders/export.xlsx",
        "/admin/ar-aging.xlsx",
        "/admin/returns.xlsx",
        "/admin/reports.xlsx?table=customer",
        "/admin/reports.xlsx?table=rep",
    ],
)
def test_exports_survive_control_characters_already_stored(
    signed_in, co, stored_control_characters, path
):
    text = _workbook_text(signed_in("admin").get(path))
    assert "\ufffd" in text and "\x0b" not in text


def test_a_statement_export_survives_control_characters_already_stored(
    signed_in, co, stored_control_characters
):
    path = f"/admin/customers/{co.east_customer.id}/statement.xlsx"
    assert "\x0b" not in _workbook_text(signed_in("admin").get(path))


# --- the zip bomb -----------------------------------------------------------------------------


def _bomb(inflated_mib: int) -> bytes:
    """A real workbook whose sharedStrings part inflates to `inflated_mib` MiB of padding."""
    wb = Workbook()
    wb.active.append(["SKU", "名称"])
    plain = io.BytesIO()
    wb.save(plain)
    out = io.BytesIO()
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        padding = b"<si><t>" + b" " * (inflated_mib * 1024 * 1024) + b"</t></si>"
        dst.writestr(
            "xl/sharedStrings.xml",
            b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            + padding
            + b"</sst>",
            compresslevel=9,
        )
    return out.getvalue()


def test_an_xlsx_zip_bomb_is_refused_in_words_before_it_is_inflated(signed_in, co):
    bomb = _bomb(200)
    assert len(bomb) < 400 * 1024
    started = time.monotonic()
    response = signed_in("admin").post(
        "/admin/import/products",
        {"file": (io.BytesIO(bomb), "bomb.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "解压后过大" in response.get_data(as_text=True)
    assert time.monotonic() - started < 5  # refused from the directory, not after reading it


def test_a_workbook_with_too_many_parts_is_refused(signed_in, co):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for i in range(1001):
            archive.writestr(f"xl/media/{i}.bin", b"")
    response = signed_in("admin").post(
        "/admin/import/products",
        {"file": (io.BytesIO(out.getvalue()), "many.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "部件过多" in response.get_data(as_text=True)


def test_a_console_form_refuses_a_control_character_whichever_view_reads_it(signed_in, co):
    response = signed_in("admin").post("/admin/branches", {"code": "B9", "name": "华北\x0b分公司"})
    assert response.status_code == 422
    assert "控制字符" in response.get_data(as_text=True)
