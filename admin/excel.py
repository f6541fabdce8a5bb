"""Excel (.xlsx) for staff: exports of orders, statements and AR aging; imports of products and
customers that check every row first and save all rows or none."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING
from urllib.parse import quote

from flask import Response
from marshmallow import Schema, ValidationError
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font, PatternFill
from openpyxl.utils.exceptions import InvalidFileException

from admin.console.forms import relax
from admin.schemas import CustomerIn, ProductIn
from app.backoffice import accounts, choices
from app.backoffice import catalog as staff_catalog
from app.core import styles, units
from app.db import db
from app.errors import AppError, ValidationFailed
from app.spreadsheets import check_archive
from app.timeutil import BUSINESS_TZ, to_local

if TYPE_CHECKING:
    from app.core.models import Staff


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_IMPORT_ROWS = 5000

SETTLEMENT_LABELS = {"prepaid": "预付款", "credit": "信用赊销", "cod": "货到付款"}


# --- export ------------------------------------------------------------------


def xlsx_response(filename: str, sheets: Sequence[tuple[str, list[str], Iterable[Sequence]]]):
    """A download of one workbook; each sheet is (title, header labels, rows)."""
    wb = Workbook()
    wb.remove(wb.active)
    for title, headers, rows in sheets:
        ws = wb.create_sheet(title)
        ws.append(headers)
        for cell in ws[1]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDEBF7")
        widths = [len(str(h)) * 2 for h in headers]
        for row in rows:
            ws.append([_cell(v) for v in row])
            for i, value in enumerate(row):
                if isinstance(value, Decimal):
                    ws.cell(ws.max_row, i + 1).number_format = "#,##0.00"
                widths[i] = max(widths[i], len(str(value or "")) + 2)
        for i, width in enumerate(widths, start=1):
            ws.column_dimensions[ws.cell(1, i).column_letter].width = min(max(width, 8), 50)
        ws.freeze_panes = "A2"
    buffer = io.BytesIO()
    wb.save(buffer)
    return Response(
        buffer.getvalue(),
        mimetype=XLSX,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )


# Text a spreadsheet would run as a formula (OWASP's formula injection): written with a leading
# apostrophe, so a remark like =HYPERLINK(...) stays the text the dealer typed.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value):
    """Amounts go in as numbers (Excel sums them); a double shows every two-place amount we store
    (under 10^13) exactly, and the cell is formatted with two places. Text never becomes a formula,
    and control characters a workbook cannot hold (text stored before the boundary refused them)
    show as U+FFFD instead of failing the whole export. Times are written in Beijing time, as the
    pages show them (the headers say so)."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
        if value.startswith(FORMULA_STARTS):
            return "'" + value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.datetime):  # stored in UTC; staff read Beijing time
        local = value.astimezone(BUSINESS_TZ) if value.tzinfo else to_local(value)
        return local.replace(tzinfo=None)
    return value


# --- import ------------------------------------------------------------------


@dataclass
class RowError:
    row: int
    column: str
    message: str


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)


@dataclass(frozen=True)
class Column:
    label: str
    key: str
    required: bool = False
    convert: Callable | None = None  # text → value for the schema, or raises ValueError(message)
    example: str = ""  # what the template's sample row shows
    hint: str = ""  # how to fill it, beside the sample


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format(Decimal(repr(value)).normalize(), "f")
    text = str(value).strip()
    return text or None


def _yes_no(text: str):
    if text in ("是", "启用", "true", "1", "TRUE", "True", "Y", "y"):
        return True
    if text in ("否", "停用", "false", "0", "FALSE", "False", "N", "n"):
        return False
    raise ValueError("须为 是 或 否")


def _settlement(text: str):
    for code, label in SETTLEMENT_LABELS.items():
        if text in (code, label):
            return code
    raise ValueError("须为 预付款、信用赊销 或 货到付款")


def _lookup(find, label: str):
    """A column's converter from a name (or code) to the id `find` gives for it."""

    def convert(text: str):
        found = find(text)
        if found is None:
            raise ValueError(f"{label}“{text}”不存在")
        return found

    return convert


_rep = _lookup(choices.rep_id_named, label="业务员账号")


def _named(label: str, key: str, find, what: str, example: str) -> Column:
    """A required column naming a record (`what`: a branch, a warehouse) by its code or name,
    read as the id `find` gives for it."""
    return Column(
        label,
        key,
        required=True,
        convert=_lookup(find, label=what),
        example=example,
        hint=f"{what}的编码或名称",
    )


UNIT_SEPARATORS = str.maketrans({"；": ";", ",": ";", "，": ";", "、": ";", "＝": "="})


def _units_cell(text: str) -> list[dict]:
    """单位换算 "箱=12; 袋=6" → [{"name": "箱", "factor": 12}, ...]; "无" is none."""
    if text == "无":
        return []
    rows = []
    for piece in (p.strip() for p in text.translate(UNIT_SEPARATORS).split(";")):
        if not piece:
            continue
        name, sep, factor = (x.strip() for x in piece.partition("="))
        if not sep or not name:
            raise ValueError(f"“{piece}”须写成 单位=换算数，如 箱=12")
        if not factor.isdigit():
            raise ValueError(f"单位“{name}”的换算数须为整数")
        rows.append({"name": name, "factor": int(factor)})
    return rows


def units_cell(product) -> str:
    """A product's named units as the 单位换算 column writes them: "箱=12; 袋=6" ("" for none)."""
    return "; ".join(f"{u.name}={u.factor}" for u in units.units_of(product))


PRODUCT_COLUMNS = [
    Column("SKU", "sku", required=True, example="TEA-500", hint="商品编码，已有的编码会被更新"),
    Column("名称", "name", required=True, example="茉莉绿茶 500ml"),
    Column(
        "分类",
        "category_id",
        convert=_lookup(choices.category_id_named, label="分类"),
        example="饮料",
        hint="系统中已有的分类名称",
    ),
    Column("单位", "unit", example="箱"),
    Column("包装数", "pack_size", example="12", hint="每单位含多少件"),
    Column("起订量", "min_qty", example="2"),
    Column("订货倍数", "step", example="2", hint="订货数量须为它的整数倍"),
    Column("标准价", "list_price", required=True, example="48.00", hint="元，两位小数"),
    *[
        Column(f"{level}级价", f"prices.{level}", example="45.00" if level == 1 else "")
        for level in range(1, 11)
    ],
    Column("启用", "active", convert=_yes_no, example="是", hint="是 或 否"),
    Column(
        "单位换算",
        "units",
        convert=_units_cell,
        example="板=20",
        hint="其他订货单位=含几个基本单位，多个用 ; 分隔（如 箱=12; 袋=6）；留空不变，填 无 清除",
    ),
]

CUSTOMER_COLUMNS = [
    Column("编码", "code", required=True, example="C0101", hint="已有的编码会被更新"),
    Column("名称", "name", required=True, example="静安便利店"),
    _named("分支机构", "branch_id", choices.branch_id_named, "分支机构", "华东分公司"),
    _named("默认仓库", "warehouse_id", choices.warehouse_id_named, "仓库", "上海仓"),
    Column("价格等级", "price_level", example="3", hint="1 到 10"),
    Column(
        "结算方式",
        "settlement_method",
        convert=_settlement,
        example="信用赊销",
        hint="预付款、信用赊销 或 货到付款",
    ),
    Column("信用额度", "credit_limit", example="20000.00", hint="元"),
    Column("业务员账号", "rep_id", convert=_rep, example="rep_zhang", hint="业务员的登录账号"),
    Column("联系人", "contact", example="王经理"),
    Column("电话", "phone", example="13800138000"),
    Column("地址", "address", example="上海市静安区南京西路 1601 号", hint="也作为默认收货地址"),
    Column("纬度", "lat", example="31.2304", hint="门店位置，用于业务员签到"),
    Column("经度", "lng", example="121.4737"),
    Column("拜访周期(天)", "visit_every_days", example="7"),
]


def template_response(filename: str, columns: list[Column]):
    """The sheet to fill (read on upload), and beside it a sample row with how to fill each
    column: the sample never gets imported by being left in."""
    labels = [c.label for c in columns]
    hints = ["必填" + (f"：{c.hint}" if c.hint else "") if c.required else c.hint for c in columns]
    return xlsx_response(
        filename,
        [("导入", labels, []), ("示例与说明", labels, [[c.example for c in columns], hints])],
    )


def _read_rows(data: bytes, columns: list[Column], result: ImportResult):
    """Yield (row number, {key: text}) for each non-empty row; header problems are errors."""
    check_archive(data)
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise ValidationFailed(
            "文件不是有效的 Excel (.xlsx) 文件", file=["请上传 .xlsx 文件"]
        ) from None
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header = [(_text(v) or "") for v in next(rows, ())]
    by_label = {c.label: c for c in columns}
    positions = {i: by_label[h] for i, h in enumerate(header) if h in by_label}
    missing = [c.label for c in columns if c.required and c not in positions.values()]
    for label in missing:
        result.errors.append(RowError(1, label, "缺少此列"))
    if missing:
        return
    count = 0
    for number, values in enumerate(rows, start=2):
        raw = {positions[i].key: _text(v) for i, v in enumerate(values) if i in positions}
        if not any(v is not None for v in raw.values()):
            continue
        count += 1
        if count > MAX_IMPORT_ROWS:
            result.errors.append(RowError(number, "", f"一次最多导入 {MAX_IMPORT_ROWS} 行"))
            return
        yield number, raw


def _leaves(messages) -> list[str]:
    if isinstance(messages, dict):
        return [m for value in messages.values() for m in _leaves(value)]
    if isinstance(messages, list | tuple):
        return [m for value in messages for m in _leaves(value)]
    return [str(messages)]


def _row_data(number, raw, columns, schema: Schema, existing: bool, result: ImportResult):
    """The row validated by the API schema (an update need not repeat required columns), and
    the fields the row actually gave."""
    labels = {c.key: c.label for c in columns}
    data: dict = {}
    ok = True
    for column in columns:
        text = raw.get(column.key)
        if text is None:
            continue
        value = text
        if column.convert:
            try:
                value = column.convert(text)
            except ValueError as exc:
                result.errors.append(RowError(number, column.label, str(exc)))
                ok = False
                continue
        if column.key.startswith("prices."):
            data.setdefault("prices", {})[column.key.split(".")[1]] = value
        else:
            data[column.key] = value
    try:
        loaded = schema.load(data, partial=existing)
    except ValidationError as exc:
        for key, messages in exc.messages_dict.items():
            if key == "prices" and isinstance(messages, dict):
                for level, inner in messages.items():
                    label = labels.get(f"prices.{level}", f"{level}级价")
                    result.errors.append(RowError(number, label, "；".join(_leaves(inner))))
            else:
                label = labels.get(key, key)
                result.errors.append(RowError(number, label, "；".join(_leaves(messages))))
        return None
    if ok and "units" in data and "unit" in loaded:  # else the base unit is the stored one
        try:
            units.checked(loaded["unit"], loaded["units"])
        except ValidationFailed as exc:
            result.errors.append(RowError(number, labels["units"], exc.message))
            return None
    return (loaded, set(data)) if ok else None


def _repeated(result: ImportResult, seen: dict, value, number: int, column: str) -> bool:
    """Whether an earlier row of the file had `value` (in `column`, which names a record): then
    that is row `number`'s error; else `seen` keeps which row had it."""
    if value in seen:
        result.errors.append(RowError(number, column, f"与第 {seen[value]} 行重复：{value}"))
        return True
    seen[value] = number
    return False


def _nothing_to_save(result: ImportResult, rows: list) -> bool:
    """Whether the import stops before writing anything: a row is wrong, or there is no row."""
    if not rows and not result.errors:
        result.errors.append(RowError(2, "", "文件中没有数据行"))
    return bool(result.errors)


@contextmanager
def _row_saving(result: ImportResult, number: int, column: str = ""):
    """One row's writes: a refusal is that row's error, and stops the import (`_all_or_none`)."""
    try:
        yield
    except AppError as exc:
        result.errors.append(RowError(number, column, exc.message))
        raise


def _all_or_none(result: ImportResult, save_rows: Callable[[], None]) -> ImportResult:
    """The import's writes in one transaction: the first failure rolls every row back, and
    nothing counts as created or updated."""
    try:
        with db.atomic():
            save_rows()
    except AppError:
        result.created = result.updated = 0
    return result


@dataclass(frozen=True)
class Keyed:
    """Records an import finds by a key column: `ids_of(keys)` gives the ids of those that exist
    already, which are `update(staff, id, changes)`d; the others are `create(staff, row)`d."""

    key: str
    ids_of: Callable[[list[str]], dict[str, int]]
    create: Callable
    update: Callable


PRODUCTS_BY_SKU = Keyed(
    "sku", choices.product_ids_by_sku, staff_catalog.create_product, staff_catalog.update_product
)
CUSTOMERS_BY_CODE = Keyed(
    "code", choices.customer_ids_by_code, accounts.create_customer, accounts.update_customer
)


def _import(data: bytes, staff: Staff, columns, schema_cls, records: Keyed) -> ImportResult:
    """Rows checked, then all saved in one transaction or none: each creates or updates one of
    the `records`, by the staff member."""
    key = records.key
    create, update = partial(records.create, staff), partial(records.update, staff)
    result = ImportResult()
    schema = relax(schema_cls())
    raw_rows = list(_read_rows(data, columns, result))
    existing = records.ids_of([raw[key] for _, raw in raw_rows if raw.get(key)])
    rows = []
    seen: dict[str, int] = {}
    for number, raw in raw_rows:
        checked = _row_data(number, raw, columns, schema, raw.get(key) in existing, result)
        if checked is None:
            continue
        loaded, given = checked
        label = next(c.label for c in columns if c.key == key)
        if _repeated(result, seen, loaded[key], number, label):
            continue
        rows.append((number, loaded, given))
    if _nothing_to_save(result, rows):
        return result

    def save_rows():
        for number, row, given in rows:
            with _row_saving(result, number):
                if row[key] in existing:
                    # An update changes only the columns the row filled in.
                    update(existing[row[key]], {k: v for k, v in row.items() if k in given})
                    result.updated += 1
                else:
                    create(row)
                    result.created += 1

    return _all_or_none(result, save_rows)


def import_products(data: bytes, staff: Staff) -> ImportResult:
    """Products by SKU: new SKUs are created, known ones updated (with the level prices given),
    by the same use cases and rules as one product at a time."""
    return _import(data, staff, PRODUCT_COLUMNS, ProductIn, PRODUCTS_BY_SKU)


def import_customers(data: bytes, staff: Staff) -> ImportResult:
    """Customers by code: new codes are created, known ones updated; every row within the
    caller's data scope (branch, warehouse, rep, and the customer itself when it exists)."""
    return _import(data, staff, CUSTOMER_COLUMNS, CustomerIn, CUSTOMERS_BY_CODE)


# --- styles (款) with their SKUs: one row per SKU ----------------------------------------------

STYLE_GROUP_COLUMNS = [
    Column("款号", "group_code", required=True, example="TS-2026", hint="同一款号的行属于同一款式"),
    Column("款名", "group_name", example="纯棉T恤", hint="新款式必填"),
    Column("品牌", "group_brand", example="棉语"),
    Column(
        "规格", "spec", required=True, example="颜色:红;尺码:L", hint="规格名:值，多个用 ; 分隔"
    ),
]
STYLE_COLUMNS = [*STYLE_GROUP_COLUMNS, *PRODUCT_COLUMNS]


def _style_rows(raw_rows, result: ImportResult):
    """The rows' style parts checked: (number, code, name, brand, spec) for the good ones."""
    checked = []
    for number, raw in raw_rows:
        code, spec_text = raw.get("group_code"), raw.get("spec")
        if code is None:
            result.errors.append(RowError(number, "款号", "必填"))
            continue
        if len(code) > 64:
            result.errors.append(RowError(number, "款号", "长度须在 1 到 64 之间"))
            continue
        if spec_text is None:
            result.errors.append(RowError(number, "规格", "必填，如 颜色:红;尺码:L"))
            continue
        try:
            spec = styles.parse_spec_label(spec_text)
        except ValueError as exc:
            result.errors.append(RowError(number, "规格", str(exc)))
            continue
        if not spec:
            result.errors.append(RowError(number, "规格", "必填，如 颜色:红;尺码:L"))
            continue
        checked.append((number, code, raw.get("group_name"), raw.get("group_brand"), spec))
    return checked


def _planned_specs(existing, rows) -> list[dict]:
    """A style's dimensions after the import: those it has, with the values the rows bring
    appended in the order they come (a new style: the first row's dimensions)."""
    specs = [dict(d, values=list(d["values"])) for d in (existing.spec_list if existing else [])]
    if not specs:
        specs = [{"name": name, "values": []} for name in rows[0][4]]
    for _, _, _, _, spec in rows:
        for d in specs:
            if spec.get(d["name"]) is not None and spec[d["name"]] not in d["values"]:
                d["values"].append(spec[d["name"]])
    return specs


def import_styles(data: bytes, staff: Staff) -> ImportResult:
    """Styles with their SKUs, one row per SKU: new 款号 are created with the dimensions and
    values their rows name, known ones gain the values they lack; SKUs are created or updated
    (the columns filled in) and put on their combination. Every row is checked first; with any
    error nothing is saved."""
    result = ImportResult()
    schema = relax(ProductIn())
    raw_rows = list(_read_rows(data, STYLE_COLUMNS, result))
    existing_products = choices.product_ids_by_sku([r["sku"] for _, r in raw_rows if r.get("sku")])
    style_rows = {number: row for number, *row in _style_rows(raw_rows, result)}
    groups = staff_catalog.groups_by_code(sorted({row[0] for row in style_rows.values()}))
    by_code: dict[str, list] = {}
    seen_sku: dict[str, int] = {}
    seen_spec: dict[tuple, int] = {}
    plans = []
    for number, raw in raw_rows:
        checked = _row_data(
            number, raw, PRODUCT_COLUMNS, schema, raw.get("sku") in existing_products, result
        )
        if checked is None or number not in style_rows:
            continue
        loaded, given = checked
        code, name, brand, spec = style_rows[number]
        if _repeated(result, seen_sku, loaded["sku"], number, "SKU"):
            continue
        first = by_code.setdefault(code, [])
        known = groups.get(code)
        dims = (
            [d["name"] for d in known.spec_list] if known else list(first[0][4]) if first else None
        )
        if dims is not None and sorted(dims) != sorted(spec):
            result.errors.append(
                RowError(number, "规格", f"款号 {code} 的规格须为 {'、'.join(dims)}，每个一个值")
            )
            continue
        if known is None and not first and not name:
            result.errors.append(RowError(number, "款名", f"新款式 {code} 须填写款名"))
            continue
        combo = (code, styles.spec_key(spec))
        if combo in seen_spec:
            result.errors.append(
                RowError(number, "规格", f"与第 {seen_spec[combo]} 行规格相同：{spec_text(spec)}")
            )
            continue
        seen_spec[combo] = number
        first.append((number, code, name, brand, spec))
        plans.append((number, code, loaded, given, spec))
    if _nothing_to_save(result, plans):
        return result

    def save_rows():
        group_ids = {}
        for code, rows in by_code.items():
            number = rows[0][0]
            known = groups.get(code)
            specs = _planned_specs(known, rows)
            name = next((r[2] for r in rows if r[2]), None)
            brand = next((r[3] for r in rows if r[3]), None)
            with _row_saving(result, number, "款号"):
                if known is None:
                    body = {"code": code, "name": name, "specs": specs, "brand": brand or ""}
                    category = next((p[2].get("category_id") for p in plans if p[1] == code), None)
                    if category:
                        body["category_id"] = category
                    group_ids[code] = staff_catalog.create_group(staff, body).id
                else:
                    changes = {"specs": specs}
                    changes |= {"name": name} if name else {}
                    changes |= {"brand": brand} if brand else {}
                    group_ids[code] = staff_catalog.update_group(staff, known.id, changes).id
        for number, code, loaded, given, spec in plans:
            row = {"group_id": group_ids[code], "spec": spec}
            with _row_saving(result, number):
                if loaded["sku"] in existing_products:
                    row |= {k: v for k, v in loaded.items() if k in given}
                    staff_catalog.update_product(staff, existing_products[loaded["sku"]], row)
                    result.updated += 1
                else:
                    staff_catalog.create_product(staff, {**loaded, **row})
                    result.created += 1

    return _all_or_none(result, save_rows)


def spec_text(spec: dict) -> str:
    return styles.spec_label(spec)


def _product_cells(p, categories: dict) -> list:
    """A product (with its level prices) in PRODUCT_COLUMNS' order."""
    return [
        p.sku,
        p.name,
        categories.get(p.category_id, ""),
        p.unit,
        p.pack_size,
        p.min_qty,
        p.step,
        p.list_price,
        *[p.prices.get(str(level), "") for level in range(1, 11)],
        "是" if p.active else "否",
        units_cell(p),
    ]


def products_export(products_query):
    """The products, a row each, in the columns the product import reads back."""
    categories = dict(choices.category_options())
    products = staff_catalog.with_level_prices(list(products_query))
    rows = [_product_cells(p, categories) for p in products]
    return xlsx_response("商品.xlsx", [("商品", [c.label for c in PRODUCT_COLUMNS], rows)])


def styles_export(groups_query):
    """The styles' SKUs, a row each, in the style import's columns (so it reads back)."""
    groups = staff_catalog.with_skus(list(groups_query))
    categories = dict(choices.category_options())
    rows = []
    for g in groups:
        for p in g.skus:
            rows.append(
                [
                    g.code,
                    g.name,
                    g.brand,
                    styles.spec_label(p.spec_values, g.spec_list),
                    *_product_cells(p, categories),
                ]
            )
    return xlsx_response("款式与SKU.xlsx", [("款式", [c.label for c in STYLE_COLUMNS], rows)])
