"""Styles (款) and their SKUs (规格): a product group names its spec dimensions and their values
(颜色: 红, 蓝; 尺码: S, M, L); each of its products is one combination of them, one product per
combination. A product outside any group has no spec."""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal

from peewee import IntegrityError

from app.core.models import Category, Product, ProductGroup
from app.db import db, matching, utcnow
from app.errors import Conflict, NotFound, ValidationFailed
from app.events import CatalogueChanged, emit

MAX_DIMENSIONS = 4
MAX_VALUES = 50
MAX_COMBINATIONS = 500
MAX_SPEC_TEXT = 500  # the product's spec column


def spec_key(spec: Mapping[str, str]) -> str:
    """The stored form of a SKU's values: canonical JSON, so one combination is one string."""
    if not spec:
        return ""
    return json.dumps(dict(spec), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def spec_label(spec: Mapping[str, str], specs: Sequence[Mapping] | None = None) -> str:
    """颜色:红;尺码:L — in the group's dimension order when it is known."""
    order = [d["name"] for d in specs] if specs else list(spec)
    names = [n for n in order if n in spec] + [n for n in spec if n not in order]
    return ";".join(f"{n}:{spec[n]}" for n in names)


def parse_spec_label(text: str) -> dict[str, str]:
    """颜色:红;尺码:L (also with full-width ：；) back to {"颜色": "红", "尺码": "L"}.

    Raises: ValueError with what is wrong, in words."""
    spec: dict[str, str] = {}
    normalised = text.replace("；", ";").replace("：", ":")
    for part in normalised.split(";"):
        if not part.strip():
            continue
        name, sep, value = part.partition(":")
        if not sep or not name.strip() or not value.strip():
            raise ValueError(f"“{part.strip()}”须写成 规格名:值，如 颜色:红")
        if name.strip() in spec:
            raise ValueError(f"规格“{name.strip()}”写了两次")
        spec[name.strip()] = value.strip()
    return spec


def clean_specs(specs: Sequence[Mapping]) -> list[dict]:
    """A style's dimensions checked: at least one, names and values unique and non-empty.

    Raises: ValidationFailed."""
    cleaned: list[dict] = []
    problems: list[str] = []
    if not specs:
        problems.append("至少需要一个规格，如 颜色")
    if len(specs) > MAX_DIMENSIONS:
        problems.append(f"规格最多 {MAX_DIMENSIONS} 个")
    names: set[str] = set()
    for dim in specs:
        name = str(dim.get("name", "")).strip()
        values = [str(v).strip() for v in dim.get("values", [])]
        if not name:
            problems.append("规格名不能为空")
            continue
        if name in names:
            problems.append(f"规格“{name}”重复")
        names.add(name)
        if not values or not all(values):
            problems.append(f"规格“{name}”须有值，且值不能为空")
        if len(set(values)) != len(values):
            problems.append(f"规格“{name}”有重复的值")
        if len(values) > MAX_VALUES:
            problems.append(f"规格“{name}”最多 {MAX_VALUES} 个值")
        if any(c in name + "".join(values) for c in ":;：；"):
            problems.append(f"规格“{name}”的名称和值不能含冒号或分号")
        cleaned.append({"name": name, "values": values})
    combinations = 1
    for dim in cleaned:
        combinations *= max(len(dim["values"]), 1)
    if combinations > MAX_COMBINATIONS:
        problems.append(f"规格组合最多 {MAX_COMBINATIONS} 种，现有 {combinations} 种")
    if problems:
        raise ValidationFailed("；".join(problems), specs=problems)
    return cleaned


def combinations(specs: Sequence[Mapping]) -> list[dict[str, str]]:
    """Every combination of a style's values, in the order the dimensions and values are listed."""
    names = [d["name"] for d in specs]
    return [
        dict(zip(names, values, strict=True))
        for values in itertools.product(*(d["values"] for d in specs))
    ]


def spec_problem(specs: Sequence[Mapping], spec: Mapping[str, str]) -> str | None:
    """Why `spec` is not one combination of the style's values, in words; None when it is."""
    wanted = [d["name"] for d in specs]
    missing = [n for n in wanted if n not in spec]
    extra = [n for n in spec if n not in wanted]
    if missing or extra:
        parts = []
        if missing:
            parts.append("缺少规格 " + "、".join(missing))
        if extra:
            parts.append("该款式没有规格 " + "、".join(extra))
        return "；".join(parts) + f"（该款式的规格为 {'、'.join(wanted)}）"
    for dim in specs:
        value = spec[dim["name"]]
        if value not in dim["values"]:
            return f"规格“{dim['name']}”没有值“{value}”（可选：{'、'.join(dim['values'])}）"
    return None


def group(group_id: int) -> ProductGroup:
    found = ProductGroup.get_or_none(ProductGroup.id == group_id)
    if found is None:
        raise NotFound("款式不存在", group_id=group_id)
    return found


def groups_query(q: str | None = None, category_id: int | None = None, active: bool | None = None):
    query = matching(ProductGroup.select(), q, ProductGroup.name, ProductGroup.code)
    if category_id:
        query = query.where(ProductGroup.category == category_id)
    if active is not None:
        query = query.where(ProductGroup.active == active)
    return query.order_by(ProductGroup.id.desc())


def skus_of(group_ids: list[int], *, active_only: bool = False) -> dict[int, list[Product]]:
    """The products of each group, in the order their combinations are listed (one query)."""
    result: dict[int, list[Product]] = {gid: [] for gid in group_ids}
    if not group_ids:
        return result
    query = Product.select().where(Product.group << group_ids)
    if active_only:
        query = query.where(Product.active)
    for p in query.order_by(Product.id):
        result[p.group_id].append(p)
    return result


def sorted_skus(g: ProductGroup, products: list[Product]) -> list[Product]:
    order = {spec_key(c): i for i, c in enumerate(combinations(g.spec_list))}
    return sorted(products, key=lambda p: (order.get(p.spec, len(order)), p.id))


def _check_category(category_id: int | None) -> None:
    if category_id is not None and not Category.select().where(Category.id == category_id).exists():
        raise NotFound("分类不存在", category_id=category_id)


def create_group(
    *,
    name: str,
    specs: Sequence[Mapping],
    category_id: int | None = None,
    brand: str = "",
    code: str | None = None,
    active: bool = True,
) -> ProductGroup:
    """A new style; without a code (款号) it gets K and its id. Raises: ValidationFailed,
    NotFound (category), Conflict (code taken)."""
    cleaned = clean_specs(specs)
    with db.atomic():
        _check_category(category_id)
        emit(CatalogueChanged())
        try:
            with db.atomic():
                row = ProductGroup.create(
                    code=code or uuid.uuid4().hex[:32],
                    name=name,
                    category=category_id,
                    brand=brand or "",
                    specs=json.dumps(cleaned, ensure_ascii=False),
                    active=active,
                )
        except IntegrityError:
            raise Conflict(f"款号“{code}”已存在", code=code) from None
        if not code:
            row.code = f"K{row.id:06d}"
            ProductGroup.update(code=row.code).where(ProductGroup.id == row.id).execute()
        return row


def update_group(group_id: int, **fields) -> ProductGroup:
    """Change a style. Its specs may gain dimensions' values, and lose only values (or
    dimensions) no SKU of it uses. Raises: NotFound, ValidationFailed, Conflict."""
    with db.atomic():
        row = ProductGroup.get_or_none(ProductGroup.id == group_id)
        if row is None:
            raise NotFound("款式不存在", group_id=group_id)
        emit(CatalogueChanged())
        if "category_id" in fields:
            _check_category(fields["category_id"])
            row.category = fields.pop("category_id")
        if "specs" in fields:
            cleaned = clean_specs(fields.pop("specs"))
            for p in Product.select().where(Product.group == row.id):
                problem = spec_problem(cleaned, p.spec_values)
                if problem:
                    raise Conflict(
                        f"商品 {p.sku}（{spec_label(p.spec_values)}）仍属于该款式，"
                        f"修改后的规格不再包含它：{problem}",
                        product_id=p.id,
                    )
            row.specs = json.dumps(cleaned, ensure_ascii=False)
        for key in ("name", "brand", "active", "code"):
            if key in fields and fields[key] is not None:
                setattr(row, key, fields[key])
        row.updated_at = utcnow()
        try:
            with db.atomic():
                row.save()
        except IntegrityError:
            raise Conflict(f"款号“{row.code}”已存在", code=row.code) from None
        return row


def placement(
    group_id: int | None, spec: Mapping[str, str] | None, *, product_id: int | None = None
) -> tuple[int | None, str]:
    """Where a product goes: (group id, stored spec) after checking that the spec is one
    combination of the group's values not yet taken by another product.

    Raises: NotFound (group), ValidationFailed (spec), Conflict (combination taken)."""
    if group_id is None:
        if spec:
            raise ValidationFailed("不属于款式的商品没有规格", spec=["请先选择款式"])
        return None, ""
    g = ProductGroup.get_or_none(ProductGroup.id == group_id)
    if g is None:
        raise NotFound("款式不存在", group_id=group_id)
    problem = spec_problem(g.spec_list, spec or {})
    if problem:
        raise ValidationFailed(problem, spec=[problem])
    key = spec_key({d["name"]: spec[d["name"]] for d in g.spec_list})
    taken = Product.select(Product.id, Product.sku).where(
        (Product.group == group_id) & (Product.spec == key)
    )
    if product_id is not None:
        taken = taken.where(Product.id != product_id)
    other = taken.first()
    if other is not None:
        raise Conflict(
            f"款式“{g.name}”中规格 {spec_label(spec, g.spec_list)} 已有商品 {other.sku}",
            product_id=other.id,
        )
    return g.id, key


def is_combination_conflict(group_id: int | None, key: str, product_id: int | None) -> bool:
    """After an IntegrityError: was it the one-product-per-combination index (a race)?"""
    if group_id is None:
        return False
    query = Product.select().where((Product.group == group_id) & (Product.spec == key))
    if product_id is not None:
        query = query.where(Product.id != product_id)
    return query.exists()


def missing_combinations(group_id: int) -> list[dict[str, str]]:
    g = group(group_id)
    taken = {p.spec for p in Product.select(Product.spec).where(Product.group == g.id)}
    return [c for c in combinations(g.spec_list) if spec_key(c) not in taken]


def sku_plan(
    g: ProductGroup, sku_prefix: str, existing: set[str] | None = None
) -> list[tuple[str, str, dict[str, str]]]:
    """(sku, name, spec) for each combination without a product: the SKU is the prefix and the
    combination's number in the style's order (TS-01, TS-02 …), the name the style's name and
    the values."""
    taken = (
        existing
        if existing is not None
        else {p.spec for p in Product.select(Product.spec).where(Product.group == g.id)}
    )
    all_combinations = combinations(g.spec_list)
    width = max(2, len(str(len(all_combinations))))
    plan = []
    for number, combination in enumerate(all_combinations, start=1):
        if spec_key(combination) in taken:
            continue
        name = f"{g.name} {' '.join(combination.values())}"
        plan.append((f"{sku_prefix}-{number:0{width}d}", name[:200], combination))
    return plan


def generated_products(
    group_id: int, sku_prefix: str, list_price: Decimal, unit: str = "件"
) -> list[dict]:
    """The product bodies (as the product use case takes them) for every combination of a
    style that has no product yet. Raises: NotFound."""
    g = group(group_id)
    return [
        {
            "sku": sku,
            "name": name,
            "category_id": g.category_id,
            "brand": g.brand,
            "unit": unit,
            "list_price": list_price,
            "group_id": g.id,
            "spec": spec,
        }
        for sku, name, spec in sku_plan(g, sku_prefix)
    ]


def specs_text(specs: Sequence[Mapping]) -> str:
    """A style's dimensions as staff type them on one line: 颜色: 红, 蓝; 尺码: M, L."""
    return "; ".join(f"{d['name']}: {', '.join(d['values'])}" for d in specs)


def parse_specs_text(text: str) -> list[dict]:
    """颜色: 红, 蓝; 尺码: M, L (dimensions split by semicolons or lines; values by commas, 、 or
    spaces) as specs. Raises: ValidationFailed naming the part."""
    specs = []
    parts = text.replace("：", ":").replace("；", ";").replace("\n", ";").split(";")
    for number, line in enumerate(parts, start=1):
        if not line.strip():
            continue
        name, sep, rest = line.partition(":")
        values = [
            v for v in rest.replace("，", ",").replace("、", ",").replace(" ", ",").split(",")
        ]
        values = [v.strip() for v in values if v.strip()]
        if not sep or not name.strip() or not values:
            problem = f"第 {number} 个规格“{line.strip()}”须写成 规格名: 值1, 值2，如 颜色: 红, 蓝"
            raise ValidationFailed(problem, specs=[problem])
        specs.append({"name": name.strip(), "values": values})
    return specs


def groups_by_code(codes: list[str]) -> dict[str, ProductGroup]:
    if not codes:
        return {}
    return {g.code: g for g in ProductGroup.select().where(ProductGroup.code << codes)}


def attach_by_sku(sku: str) -> Product:
    """The product with this SKU code. Raises: NotFound."""
    found = Product.get_or_none(Product.sku == sku)
    if found is None:
        raise NotFound(f"SKU“{sku}”不存在", sku=sku)
    return found
