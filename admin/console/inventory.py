"""库存成本 pages: stock receipts (入库), transfers (调拨: send, receive, sign), counts (盘点, with
a scan-friendly entry), the stock ledger (库存流水) and customer fees (客户费用). Each form goes
through the admin API's schemas and the same inventory services."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from flask import g, render_template, request, url_for
from marshmallow import fields, validate
from werkzeug.datastructures import MultiDict

from admin import excel
from admin.console.blueprint import bp
from admin.console.forms import (
    console_page,
    filtered,
    form_post,
    list_page,
    load_form,
    load_query,
    perform,
    record_page,
)
from admin.console.reports import PRESETS, ReportQuery, report_window
from admin.console.session import console_login, may
from admin.inventory_schemas import (
    CountQueryIn,
    DocumentQueryIn,
    FeeIn,
    FeeVoidIn,
    LocationIn,
    MovementQueryIn,
    RejectDocumentIn,
    SignIn,
    StockCountIn,
    StockReceiptIn,
    TransferIn,
    TransferReceiveIn,
)
from app.approval.rules import Document, allowed_actions
from app.approval.services import steps_of
from app.auth.permissions import ROLE_LABELS
from app.backoffice import choices, reports
from app.backoffice.queries import actor_names, customers_query
from app.core.stock import KIND_LABELS, ON_HAND_KINDS
from app.errors import ValidationFailed
from app.http import pdf_response
from app.inventory import printing, queries, services
from app.inventory.rules import ACTION_LABELS, FEE_KINDS, RECEIPT_LABELS, TRANSFER_LABELS
from app.money import written
from app.validation import PageIn, business_date, id_field

PER_PAGE = 30
BLANK_LINES = 8  # empty line rows a new receipt or transfer form offers


def _warehouses(scope_only: bool = True):
    return choices.warehouse_options(g.staff if scope_only else None)


def _products():
    return choices.product_options()


def _lines(*names: str) -> list[dict]:
    """Line rows of a form (parallel inputs named `names`), the blank ones left out."""
    columns = [request.form.getlist(name) for name in names]
    rows = []
    for values in zip(*columns, strict=False):
        if any(v.strip() for v in values):
            rows.append({n: v.strip() for n, v in zip(names, values, strict=True) if v.strip()})
    return rows


def _lines_form(schema, *line_names: str) -> dict:
    """A stock document's form (its fields, and line rows of `line_names`) through `schema`."""
    data = {k: v for k, v in request.form.items() if k not in line_names}
    data["lines"] = _lines(*line_names)
    return load_form(schema, data)


def _shown(details, in_scope, document_id: int):
    """One stock document in the caller's scope, with what its page shows (`details`)."""
    return details([in_scope(g.staff, document_id)])[0]


def _signing(document: str, row) -> dict:
    """What the page shows of a stock document's signatures and what the caller may do."""
    steps = steps_of(document, row.id)
    signers = [s.signed_by_id for s in steps if s.signed_by_id]
    names = choices.staff_names(signers)
    actions = allowed_actions(Document(document, row.status, steps), g.staff)
    return {"steps": steps, "signers": names, "actions": actions, "roles": ROLE_LABELS}


def _document_page(template: str, document: str, row, labels: dict, **context):
    """A receipt's or a transfer's page: its status, history and signatures, people named."""
    people = actor_names({row.created_by, *(event.actor for event in row.events)})
    return render_template(
        template,
        statuses=labels,
        action_labels=ACTION_LABELS,
        warehouse_names=queries.warehouse_names(),
        made_by=people[row.created_by],
        actors=people,
        **_signing(document, row),
        **context,
    )


def _documents_page(template: str, query, rows, labels: dict, typed=None, **context):
    """The receipts' or the transfers' list (`query(staff, filters)`), filtered by status,
    warehouse or mine, with the form for a new one (holding what was `typed`, after a refused
    submission)."""
    args = load_query(DocumentQueryIn, request.args)
    return list_page(
        template,
        query(g.staff, args),
        args["page"],
        PER_PAGE,
        rows=rows,
        status=args.get("status", ""),
        warehouse_id=args.get("warehouse_id", ""),
        mine=args["mine"],
        statuses=labels,
        warehouse_options=_warehouses(),
        warehouse_names=queries.warehouse_names(),
        product_options=_products(),
        blank_lines=range(BLANK_LINES),
        typed=typed if typed is not None else MultiDict(),
        **context,
    )


# --- receipts ---------------------------------------------------------------------------------


@console_page("/stock/receipts", "stock.view")
def stock_receipts(typed=None):
    return _documents_page(
        "console/stock_receipts.html",
        queries.receipts_query,
        queries.receipt_details,
        RECEIPT_LABELS,
        typed,
    )


@form_post(
    "/stock/receipts",
    "stock.manage",
    "入库单已保存",
    "console.stock_receipts",
    then="console.stock_receipt",
    again=stock_receipts,
)
def create_stock_receipt():
    return services.create_receipt(
        g.staff, _lines_form(StockReceiptIn, "product_id", "qty", "unit_cost")
    )


@console_page("/stock/receipts/<int:receipt_id>", "stock.view")
def stock_receipt(receipt_id: int):
    receipt = _shown(queries.receipt_details, services.receipt_in_scope, receipt_id)
    return _document_page(
        "console/stock_receipt.html", "stock_receipt", receipt, RECEIPT_LABELS, receipt=receipt
    )


# --- transfers --------------------------------------------------------------------------------


@console_page("/stock/transfers", "stock.view")
def stock_transfers(typed=None):
    return _documents_page(
        "console/stock_transfers.html",
        queries.transfers_query,
        queries.transfer_details,
        TRANSFER_LABELS,
        typed,
        all_warehouse_options=_warehouses(scope_only=False),
    )


@form_post(
    "/stock/transfers",
    "stock.manage",
    "调拨单已保存",
    "console.stock_transfers",
    then="console.stock_transfer",
    again=stock_transfers,
)
def create_stock_transfer():
    return services.create_transfer(g.staff, _lines_form(TransferIn, "product_id", "qty"))


@console_page("/stock/transfers/<int:transfer_id>", "stock.view")
def stock_transfer(transfer_id: int, typed=None):
    transfer = _shown(queries.transfer_details, services.transfer_in_scope, transfer_id)
    receiving = transfer.to_warehouse_id in {w for w, _ in _warehouses()}
    return _document_page(
        "console/stock_transfer.html",
        "transfer",
        transfer,
        TRANSFER_LABELS,
        transfer=transfer,
        receiving=receiving and may("stock.manage"),
        # After a refused receipt, the quantities as typed, a row each (None: as in transit).
        typed_qty=typed.getlist("qty") if typed is not None else None,
    )


@form_post(
    "/stock/transfers/<int:transfer_id>/receive",
    "stock.manage",
    "已到货",
    "console.stock_transfer",
    again=stock_transfer,
)
def receive_stock_transfer(transfer_id: int):
    transfer = services.receive_transfer(g.staff, transfer_id, _arriving())
    return "已全部到货" if transfer.status == "received" else "已部分到货，其余仍在途"


def _none_now(qty: str) -> bool:
    """A receive form's quantity that brings none of its line now: left empty, or 0."""
    return qty == "" or (qty.isascii() and qty.isdigit() and int(qty) == 0)


def _arriving() -> list[dict]:
    """The lines a transfer's receive form brings in now, through the API's schema: a row a
    table row of the page (a line all received has an empty one), those left empty or 0 left
    out; none left is refused in words, and a wrong entry names its row as the table numbers it."""
    rows = zip(request.form.getlist("product_id"), request.form.getlist("qty"), strict=False)
    given = [
        (number, {"product_id": product_id.strip(), "qty": qty.strip()})
        for number, (product_id, qty) in enumerate(rows)
        if not _none_now(qty.strip())
    ]
    if not given:
        raise ValidationFailed("请填写本次到货数量：至少一行大于 0")
    try:
        return load_form(TransferReceiveIn, {"lines": [row for _, row in given]})["lines"]
    except ValidationFailed as exc:
        wrong = exc.details.get("lines")
        if isinstance(wrong, dict):  # keyed by the rows given: the table's numbers instead
            wrong = {given[int(key)][0]: messages for key, messages in wrong.items()}
        raise ValidationFailed(exc.message, lines=wrong) from None


# --- signing a receipt or a transfer ----------------------------------------------------------


@dataclass(frozen=True)
class Signed:
    """A stock document staff sign on its page (审批): the page, the services that sign and
    refuse one, and what the page says of the statuses that end the signing."""

    page: str
    approve: Callable
    reject: Callable
    said: dict[str, str]


SIGNED = {
    "receipts": Signed(
        "console.stock_receipt",
        services.approve_receipt,
        services.reject_receipt,
        {"received": "已入库", "rejected": "入库单已驳回"},
    ),
    "transfers": Signed(
        "console.stock_transfer",
        services.approve_transfer,
        services.reject_transfer,
        {"in_transit": "已发出，在途", "rejected": "调拨单已驳回"},
    ),
}
SIGNED_RULE = "/stock/<any(receipts, transfers):kind>/<int:document_id>"


def _signed_page(kind: str, document_id: int) -> str:
    return record_page(SIGNED[kind].page, document_id)


@form_post(f"{SIGNED_RULE}/approve", "stock.view", "已签字", _signed_page)
def approve_stock_document(kind: str, document_id: int):
    signed = SIGNED[kind]
    document = signed.approve(g.staff, document_id, load_form(SignIn, request.form)["comment"])
    return signed.said.get(document.status, "已签字，等待下一步审批")


@form_post(f"{SIGNED_RULE}/reject", "stock.view", "", _signed_page)
def reject_stock_document(kind: str, document_id: int):
    signed = SIGNED[kind]
    document = signed.reject(
        g.staff, document_id, load_form(RejectDocumentIn, request.form)["reason"]
    )
    return signed.said[document.status]


# --- counts -----------------------------------------------------------------------------------


@console_page("/stock/counts", "stock.view")
def stock_counts(typed=None):
    args = load_query(CountQueryIn, request.args)
    typed = typed if typed is not None else MultiDict()
    warehouses = _warehouses()
    chosen = (
        args.get("warehouse_id")
        or _digits(typed.get("warehouse_id", ""))
        or choices.own_warehouse_id(g.staff)
    )
    sheet = queries.count_sheet(g.staff, chosen)
    return list_page(
        "console/stock_counts.html",
        queries.counts_query(g.staff, args),
        args["page"],
        PER_PAGE,
        rows=_counts_with_names,
        warehouse_options=warehouses,
        warehouse_id=chosen or "",
        warehouse_names=queries.warehouse_names(),
        # The scan box looks SKUs up in the page: sku → id, name, unit and the book quantity.
        catalogue_json=json.dumps(sheet, ensure_ascii=False),
        counted=_counted(sheet, typed),
        note=typed.get("note", ""),
    )


def _digits(value: str) -> int | None:
    value = value.strip()
    return int(value) if value.isascii() and value.isdigit() else None


def _counted(sheet: dict[str, dict], typed) -> list[dict]:
    """The lines of a refused count as they were typed, in their order, each with what its
    row shows of the product (a product the sheet does not have is left out)."""
    by_id = {str(p["id"]): {"sku": sku, **p} for sku, p in sheet.items()}
    rows = zip(typed.getlist("product_id"), typed.getlist("counted_qty"), strict=False)
    return [
        {**by_id[product_id.strip()], "counted_qty": qty}
        for product_id, qty in rows
        if product_id.strip() in by_id
    ]


@form_post(
    "/stock/counts",
    "stock.manage",
    "盘点已过账",
    lambda: url_for("console.stock_counts", warehouse_id=request.form.get("warehouse_id") or None),
    then="console.stock_count",
    again=stock_counts,
)
def create_stock_count():
    return services.create_count(g.staff, _lines_form(StockCountIn, "product_id", "counted_qty"))


@console_page("/stock/counts/<int:count_id>", "stock.view")
def stock_count(count_id: int):
    count = _shown(_counts_with_names, services.count_in_scope, count_id)
    return render_template(
        "console/stock_count.html", count=count, warehouse_names=queries.warehouse_names()
    )


def _counts_with_names(found) -> list:
    """Counts with what their pages show, and who counted (`actor_name`) as staff read it."""
    return _with_actor_names(queries.count_details(found), key="counted_by")


# --- the ledger and locations -----------------------------------------------------------------


def _with_actor_names(found, key: str = "actor") -> list:
    """Rows (movements, fees), each with `actor_name`: who moved the stock or recorded the fee
    (the actor key in the row's `key` field), as staff read it."""
    rows = list(found)
    names = actor_names({getattr(row, key) for row in rows})
    for row in rows:
        row.actor_name = names[getattr(row, key)]
    return rows


@console_page("/stock/movements", "stock.view")
def stock_movements():
    args = load_query(MovementQueryIn, request.args)
    filters = {
        k: request.args[k]
        for k in ("warehouse_id", "product_id", "kind", "from", "to")
        if request.args.get(k)
    }
    return list_page(
        "console/stock_movements.html",
        queries.movements_query(g.staff, args),
        args["page"],
        PER_PAGE,
        rows=_with_actor_names,
        filters=filters,
        kinds=[(k, KIND_LABELS[k]) for k in ON_HAND_KINDS],
        kind_labels=KIND_LABELS,
        warehouse_options=_warehouses(),
        product_options=_products(),
    )


@form_post("/stock/location", "stock.manage", "库位已保存", filtered("console.stock"))
def set_stock_location():
    data = load_form(LocationIn, request.form)
    services.set_location(g.staff, data["warehouse_id"], data["product_id"], data["location"])


# --- customer fees ----------------------------------------------------------------------------


class FeeFilter(PageIn):
    customer_id = id_field(strict=False)
    kind = fields.String(validate=validate.OneOf(list(FEE_KINDS)))
    date_from = business_date()
    date_to = business_date()


def _fees_with_names(found) -> list:
    """Fees with `actor_name` (who recorded each) and `voided_by_name` (who voided it)."""
    rows = _with_actor_names(found, key="recorded_by")
    names = actor_names({row.voided_by for row in rows if row.voided_by})
    for row in rows:
        row.voided_by_name = names.get(row.voided_by, "")
    return rows


@console_page("/fees", "customers.view")
def customer_fees():
    args = load_query(FeeFilter, request.args)
    query = queries.fees_query(g.staff, args)
    customers = customers_query(g.staff)
    return list_page(
        "console/fees.html",
        query,
        args["page"],
        PER_PAGE,
        rows=_fees_with_names,
        args=args,
        fee_total=queries.fees_total(query),
        voided_count=queries.voided_fees(query),
        kinds=FEE_KINDS,
        customer_options=[(c.id, f"{c.code} {c.name}") for c in customers],
    )


@bp.post("/fees")
@console_login("fees.manage")
def record_customer_fee():
    form = request.form.to_dict()
    customer_id = form.pop("customer_id", "")

    def action():
        if not customer_id.isdigit():
            raise ValidationFailed("请选择客户", customer_id=["请选择客户"])
        fee = load_form(FeeIn, form)
        services.record_fee(g.staff, int(customer_id), fee)
        return f"已记录{FEE_KINDS.get(form.get('kind'), '费用')} {written(fee['amount'])}"

    return perform(action, "费用已记录", url_for("console.customer_fees"))


@form_post(
    "/customers/<int:customer_id>/fees/<int:fee_id>/void",
    "fees.manage",
    "已作废",
    filtered("console.customer_fees"),
)
def void_customer_fee(customer_id: int, fee_id: int):
    reason = load_form(FeeVoidIn, request.form)["reason"]
    fee = services.void_fee(g.staff, customer_id, fee_id, reason)
    kind = FEE_KINDS.get(fee.kind, "费用")
    return f"已作废 {fee.customer.name} {fee.date} 的{kind} {written(fee.amount)}"


# --- profit (利润核算) --------------------------------------------------------------------------

PROFIT_GROUPS = {"branch": "分支机构", "rep": "业务员", "customer": "客户", "brand": "品牌"}


class ProfitQuery(ReportQuery):
    class Meta:
        exclude = ("rep_id", "table")

    group_by = fields.String(load_default="branch", validate=validate.OneOf(list(PROFIT_GROUPS)))


def _profit():
    args, start, end = report_window(ProfitQuery)
    found = reports.profit_report(g.staff, start, end, args["group_by"], args.get("branch_id"))
    return args, start, end, found


@console_page("/reports/profit", "reports.ar")
def profit_report():
    args, start, end, found = _profit()
    figures = ("net_sales", "cost", "fees", "profit", "gross_margin")
    chart = [
        [r["name"], *(None if r[f] is None else str(r[f]) for f in figures)]
        for r in found["items"][:20]
    ]
    return render_template(
        "console/profit.html",
        args=args,
        start=start,
        end=end,
        report=found,
        groups=PROFIT_GROUPS,
        presets=PRESETS,
        branch_options=choices.branch_options(),
        chart_json=json.dumps({"rows": chart}, ensure_ascii=False),
    )


@console_page("/reports/profit.xlsx", "reports.ar")
def profit_report_export():
    args, start, end, found = _profit()
    label = PROFIT_GROUPS[args["group_by"]]
    headers = [label, "净销售额", "成本", "毛利", "毛利率(%)", "客户费用", "利润"]
    fields_ = ("net_sales", "cost", "gross_profit", "gross_margin", "fees", "profit")
    rows = [(r["name"], *(r[f] for f in fields_)) for r in found["items"]]
    rows.append(("合计", *(found["totals"][f] for f in fields_)))
    return excel.xlsx_response(f"利润核算-{label}-{start}-{end}.xlsx", [(label, headers, rows)])


# --- printed papers ---------------------------------------------------------------------------


@console_page("/orders/<int:order_id>/picking-list.pdf", "orders.view")
def picking_list_pdf(order_id: int):
    return pdf_response(*printing.picking_list(g.staff, order_id))


@console_page("/shipments/<int:shipment_id>/delivery-note.pdf", "orders.view")
def delivery_note_pdf(shipment_id: int):
    return pdf_response(*printing.delivery_note(g.staff, shipment_id))
