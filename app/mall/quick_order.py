"""快速下单: a list of (SKU, quantity, unit) into the cart at once — from the API, a pasted list or an
Excel/CSV file. Unknown SKUs are reported, quantities below the minimum or off the order multiple
are raised to the nearest orderable one and reported, and whatever cannot be ordered is said in
words; the rest goes into the cart in one statement."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from peewee import EXCLUDED, fn

from app.core import units
from app.core.models import Customer, Product
from app.db import transaction, utcnow
from app.errors import ValidationFailed
from app.mall import cart
from app.mall.models import CartItem
from app.spreadsheets import check_archive
from app.validation import MAX_LINES

MAX_QTY = cart.MAX_LINE_QTY  # a cart line's most, and a line's most in a list


@dataclass(frozen=True)
class WantedItem:
    sku: str
    qty: int
    unit: str | None = None


@dataclass(frozen=True)
class LineError:
    """A line of a pasted list or file that says no order: where, what it said, why."""

    line: int
    text: str
    reason: str


@dataclass(frozen=True)
class BulkResult:
    cart: cart.Cart
    added: list[dict] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)
    adjusted: list[dict] = field(default_factory=list)
    refused: list[dict] = field(default_factory=list)

    def __getattr__(self, name: str):
        """The cart's own fields (lines, gifts, discounts, totals, funds): the answer is the cart
        plus what happened to the list."""
        if name == "cart":  # not yet set (copying): no cart to ask
            raise AttributeError(name)
        return getattr(self.cart, name)


def _find(skus: list[str]) -> dict[str, Product]:
    """Products on sale by SKU, as typed or in another case (one query)."""
    lowered = sorted({s.lower() for s in skus})
    found = list(Product.select().where(Product.active & (fn.LOWER(Product.sku) << lowered)))
    exact = {p.sku: p for p in found}
    folded = {}
    for p in found:
        folded.setdefault(p.sku.lower(), p)
    return {
        s: exact.get(s) or folded.get(s.lower())
        for s in skus
        if exact.get(s) or folded.get(s.lower())
    }


def add_skus(
    user_id: int, customer: Customer, items: list[WantedItem], low_threshold: int
) -> BulkResult:
    """Put each wanted SKU into this user's cart, adding to what it holds.

    A line's quantity counts its unit (one of the product's units; none: the base unit). The same
    SKU twice counts once with the base quantities summed. A unit the product has not is refused
    in words; so is a line the cart could not hold.
    Raises: ValidationFailed (no items, or more than MAX_LINES).
    """
    if not items:
        raise ValidationFailed("请至少填写一行商品编码和数量", items=["至少一行"])
    if len(items) > MAX_LINES:
        raise ValidationFailed(f"一次最多 {MAX_LINES} 行", items=[f"最多 {MAX_LINES} 行"])
    products = _find([i.sku for i in items])
    not_found: list[str] = []
    refused: list[dict] = []
    wanted: dict[int, int] = {}  # product id → base units, in the order first listed
    asked: dict[int, str] = {}
    unit_of: dict[int, str] = {}  # the unit last asked in
    for item in items:
        product = products.get(item.sku)
        if product is None:
            if item.sku not in not_found:
                not_found.append(item.sku)
            continue
        try:
            factor = units.factor_of(product, item.unit)
        except ValidationFailed as exc:
            refused.append({"sku": item.sku, "reason": exc.message})
            continue
        wanted[product.id] = wanted.get(product.id, 0) + item.qty * factor
        asked.setdefault(product.id, item.sku)
        unit_of[product.id] = item.unit or product.unit
    by_id = {p.id: p for p in products.values()}
    with transaction():
        in_cart = (
            dict(
                CartItem.select(CartItem.product, CartItem.qty)
                .where((CartItem.wechat_user == user_id) & (CartItem.product << list(wanted)))
                .tuples()
            )
            if wanted
            else {}
        )
        added, adjusted, rows = [], [], []
        for product_id, qty in wanted.items():
            product = by_id[product_id]
            orderable = cart.orderable_qty(qty, product.min_qty, product.step)
            unit = unit_of[product_id]
            if in_cart.get(product_id, 0) + orderable > MAX_QTY:
                refused.append(
                    {
                        "sku": asked[product_id],
                        "reason": f"{product.name} 购物车中最多 {MAX_QTY} {product.unit}",
                    }
                )
                continue
            if orderable != qty:
                adjusted.append(
                    {
                        "sku": product.sku,
                        "product_id": product.id,
                        "name": product.name,
                        "requested": qty,
                        "qty": orderable,
                        "reason": _why(product, qty, unit),
                    }
                )
            name, count = units.in_unit(product, orderable, unit)
            added.append(
                {
                    "sku": product.sku,
                    "product_id": product.id,
                    "name": product.name,
                    "qty": orderable,
                    "unit": name,
                    "unit_qty": count,
                    "base_unit": product.unit,
                }
            )
            # The line as it will be: what the cart held plus this, in a unit the sum fills.
            shown = units.in_unit(product, in_cart.get(product_id, 0) + orderable, unit)
            rows.append(
                {
                    "wechat_user": user_id,
                    "product": product_id,
                    "qty": orderable,
                    "unit": shown[0],
                    "unit_qty": shown[1],
                    "updated_at": utcnow(),
                }
            )
        if rows:
            (
                CartItem.insert_many(rows)
                .on_conflict(
                    conflict_target=[CartItem.wechat_user, CartItem.product],
                    update={
                        CartItem.qty: CartItem.qty + EXCLUDED.qty,
                        CartItem.unit: EXCLUDED.unit,
                        CartItem.unit_qty: EXCLUDED.unit_qty,
                        CartItem.updated_at: EXCLUDED.updated_at,
                    },
                )
                .execute()
            )
    return BulkResult(
        cart.view_cart(user_id, customer, low_threshold), added, not_found, adjusted, refused
    )


def _why(product: Product, qty: int, unit: str | None = None) -> str:
    """Why a quantity was raised, said in the unit asked in where it divides exactly."""
    if qty < product.min_qty:
        return f"起订量 {units.amount_words(product, product.min_qty, unit)}"
    if unit and unit != product.unit:
        return f"须按 {units.amount_words(product, product.step, unit)}的整数倍订购"
    return f"须按 {product.step} 的整数倍订购"


# --- a pasted list, a CSV or an Excel file ---------------------------------------------------------

SEPARATORS = re.compile(r"[,，;；\t]+|\s+")
QTY = re.compile(r"\d{1,6}(\.0+)?")
HEADER_WORDS = {"sku", "编码", "商品编码", "数量", "单位", "qty", "unit"}


def parse_rows(rows: list[tuple[int, list[str]]]) -> tuple[list[WantedItem], list[LineError]]:
    """(line number, cells) → wanted items, and the lines that say no order, in words.
    Blank lines and a header line (SKU, 数量, 单位) are passed over."""
    items, errors = [], []
    first = True
    for number, cells in rows:
        cells = [str(c).strip() for c in cells if c is not None and str(c).strip()]
        if not cells:
            continue
        text = ", ".join(cells)
        # A header names its columns (a SKU may be spelt like one: "SKU, 10" is an order line).
        named = cells[0].lower() in HEADER_WORDS
        header = first and named and not (len(cells) > 1 and QTY.fullmatch(cells[1]))
        first = False
        if header:
            continue
        if len(cells) < 2:
            errors.append(LineError(number, text, "缺少数量：每行写 编码, 数量[, 单位]"))
            continue
        if len(cells) > 3:
            errors.append(LineError(number, text, "多余的内容：每行写 编码, 数量[, 单位]"))
            continue
        sku, qty_text = cells[0], cells[1]
        qty = int(qty_text.split(".")[0]) if QTY.fullmatch(qty_text) else None
        if qty is None or not 1 <= qty <= MAX_QTY:
            errors.append(LineError(number, text, f"数量“{qty_text}”须为 1 到 {MAX_QTY} 的整数"))
            continue
        if len(sku) > 64:
            errors.append(LineError(number, text, "商品编码太长"))
            continue
        items.append(WantedItem(sku, qty, cells[2] if len(cells) == 3 else None))
    if len(items) > MAX_LINES:
        raise ValidationFailed(
            f"一次最多 {MAX_LINES} 行，请分几次下单", items=[f"最多 {MAX_LINES} 行"]
        )
    return items, errors


def parse_text(text: str) -> tuple[list[WantedItem], list[LineError]]:
    """A pasted list: one `SKU, 数量[, 单位]` a line, separated by commas (either width),
    semicolons, tabs (cells copied from a spreadsheet) or spaces."""
    lines = text.splitlines()
    if len(lines) > MAX_LINES * 2:
        raise ValidationFailed(f"一次最多 {MAX_LINES} 行，请分几次下单", skus=["行数太多"])
    return parse_rows([(n, SEPARATORS.split(line.strip())) for n, line in enumerate(lines, 1)])


MAX_FILE_ROWS = MAX_LINES * 2  # lines with something in them, a header and bad lines too
MAX_SHEET_ROWS = 2000  # rows of a sheet read at most


def parse_file(filename: str, data: bytes) -> tuple[list[WantedItem], list[LineError]]:
    """An uploaded .xlsx (first sheet) or .csv (UTF-8, or GBK as Excel saves it in China) with
    the columns 编码, 数量[, 单位]. Raises: ValidationFailed (another kind of file, or unreadable)."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        return parse_rows(_xlsx_rows(data))
    if name.endswith(".csv") or name.endswith(".txt"):
        return parse_rows(_csv_rows(data))
    raise ValidationFailed("请上传 Excel (.xlsx) 或 CSV 文件", file=["文件类型不支持"])


def _xlsx_rows(data: bytes) -> list[tuple[int, list[str]]]:
    check_archive(data)  # before openpyxl inflates anything (zip bombs)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        # Only the columns and rows a list can use: a sheet as wide or long as Excel allows is
        # never read whole (blank rows between the lines are passed over, up to a point).
        cells = sheet.iter_rows(max_row=MAX_SHEET_ROWS + 1, max_col=4, values_only=True)
        rows = [(n, [_cell_text(v) for v in values]) for n, values in enumerate(cells, 1)]
        workbook.close()
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError, IndexError):
        raise ValidationFailed(
            "文件不是有效的 Excel (.xlsx) 文件", file=["请上传 .xlsx 文件"]
        ) from None
    filled = [row for row in rows if any(cell.strip() for cell in row[1])]
    if len(filled) > MAX_FILE_ROWS or (filled and filled[-1][0] > MAX_SHEET_ROWS):
        raise ValidationFailed(f"文件最多 {MAX_LINES} 行商品，请分几次下单", file=["行数太多"])
    return filled


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _csv_rows(data: bytes) -> list[tuple[int, list[str]]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValidationFailed("CSV 文件的编码无法识别，请另存为 UTF-8", file=["编码无法识别"])
    lines = text.splitlines()
    if sum(1 for line in lines if line.strip(" ,;\t")) > MAX_FILE_ROWS:
        raise ValidationFailed(f"文件最多 {MAX_LINES} 行商品，请分几次下单", file=["行数太多"])
    try:
        return [(n, row) for n, row in enumerate(csv.reader(lines), 1)]
    except csv.Error:
        raise ValidationFailed("CSV 文件格式有误", file=["格式有误"]) from None
