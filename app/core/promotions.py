"""Promotions, pure: what a promotion's rules may say, whom and when it applies to, and how a
basket is priced with the promotions open to its customer. No I/O.

Pricing order (API.md "Mall commerce"): each line's price is the lowest of the customer's own
price, an open special price (特价) and the tier its quantity reaches (阶梯价); then the largest
full reduction (满减) that applies, on its qualifying lines' amount after line prices; then gifts
(满赠/买赠), each a line at 0.00 — kept only when stock covers it (the caller decides, with
`grant_gifts`). A promotion counts only inside its window (starts_at ≤ now < ends_at), while
active, and only for the branches, price levels and customers it names (all when it names none).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from functools import cached_property

from app.money import ZERO, money, written

KINDS = {
    "special_price": "特价",
    "tiered_price": "阶梯价",
    "full_reduction": "满减",
    "gift": "满赠",
}
MAX_ITEMS = 500
MAX_MONEY = Decimal("99999999.99")
MAX_QTY = 9_999_999
MAX_ID = 2**31 - 1


# --- what a promotion is, as the engine sees it ----------------------------------------------


@dataclass(frozen=True)
class Offer:
    """A promotion, its rules already checked (`check_rules`)."""

    id: int
    name: str
    kind: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    active: bool
    rules: Mapping
    branch_ids: frozenset[int] = frozenset()
    price_levels: frozenset[int] = frozenset()
    customer_ids: frozenset[int] = frozenset()

    def open_at(self, now: dt.datetime) -> bool:
        return self.active and self.starts_at <= now < self.ends_at

    def targets(self, audience: Audience) -> bool:
        return (
            (not self.branch_ids or audience.branch_id in self.branch_ids)
            and (not self.price_levels or audience.price_level in self.price_levels)
            and (not self.customer_ids or audience.customer_id in self.customer_ids)
        )

    @cached_property
    def label(self) -> str:
        return label_of(self.kind, self.rules)

    @cached_property
    def title(self) -> str:
        """The promotion as the cart and the order name it, once: its name with its rule,
        订货会满减（每满1000减50）, or the rule alone when the name already says it."""
        name = (self.name or "").strip()
        return f"{name}（{self.label}）" if name and self.label not in name else self.label

    @cached_property
    def worth(self) -> Decimal:
        """A full reduction's yuan off per yuan spent (how labels rank them)."""
        return self.rules["reduction"] / self.rules["threshold"]

    @cached_property
    def counted(self) -> tuple[frozenset[int] | None, frozenset[int] | None]:
        """A full reduction's products and categories (None: not narrowed by them)."""
        products, categories = self.rules.get("product_ids"), self.rules.get("category_ids")
        return (
            None if products is None else frozenset(products),
            None if categories is None else frozenset(categories),
        )

    def counts(self, product_id: int, category_id: int | None) -> bool:
        """Whether a full reduction counts this product's line."""
        products, categories = self.counted
        if products is None and categories is None:
            return True
        return (products is not None and product_id in products) or (
            categories is not None and category_id in categories
        )

    @cached_property
    def special_prices(self) -> dict[int, Decimal]:
        """特价 by product id (empty for other kinds)."""
        if self.kind != "special_price":
            return {}
        return {item["product_id"]: item["price"] for item in self.rules["items"]}


@dataclass(frozen=True)
class Audience:
    """Who is buying, as targeting sees them."""

    customer_id: int
    branch_id: int | None
    price_level: int


def open_offers(offers: Iterable[Offer], audience: Audience, now: dt.datetime) -> list[Offer]:
    """The offers that apply to this customer now, by id (a stable order for ties).

    The same offers for the same audience are sorted out once (`_memo`); only their windows are
    checked against `now` on each call, and not even those while all of them are open. The list
    carries what pricing and labels work out from it, worked out once (`OpenOffers`)."""
    offers = tuple(offers)
    targeted = _memo(("targeted", audience), offers, lambda: Targeted(offers, audience))
    if targeted.latest_start <= now < targeted.earliest_end:
        return OpenOffers(targeted.offers, targeted)
    return OpenOffers(o for o in targeted.offers if o.open_at(now))


class Targeted:
    """The offers among a set that target one audience, by id, with what pricing (`shelf`) and
    labels (`labeller`) work out from them, each once."""

    def __init__(self, offers: Sequence[Offer], audience: Audience):
        self.offers = sorted(
            (o for o in offers if o.active and o.targets(audience)), key=lambda o: o.id
        )
        self.latest_start = max((o.starts_at for o in self.offers), default=dt.datetime.min)
        self.earliest_end = min((o.ends_at for o in self.offers), default=dt.datetime.max)

    @cached_property
    def shelf(self):
        return Shelf(self.offers)

    @cached_property
    def labeller(self) -> Labeller:
        return Labeller(self.offers)


class OpenOffers(list):
    """What `open_offers` answers: a list of offers, with the `Targeted` it is (all of them,
    none out of its window), if it is one."""

    def __init__(self, offers: Iterable[Offer] = (), targeted: Targeted | None = None):
        super().__init__(offers)
        self.targeted = targeted


# What is worked out from a set of offers (who they target, how they are indexed for pricing and
# labels), kept per set: a process sees the same open promotions call after call. Keyed by the
# offers' identities; the entry holds the offers, so an identity cannot be reused while it is kept.
_memos: dict[tuple, tuple[tuple[Offer, ...], object]] = {}
MAX_MEMOS = 1024


def _memo(kind, offers: Sequence[Offer], build):
    key = (kind, *map(id, offers))
    found = _memos.get(key)
    if found is not None:
        return found[1]
    value = build()
    if len(_memos) >= MAX_MEMOS:
        _memos.clear()
    _memos[key] = (tuple(offers), value)
    return value


# --- rules: shape and meaning ----------------------------------------------------------------


def _money(value, what: str, errors: list[str], *, positive: bool = False) -> Decimal | None:
    if value is None or value == "":
        errors.append(f"请填写{what}")
        return None
    if isinstance(value, int | float):  # JSON numbers: money travels as strings ("8.50")
        errors.append(f'{what} 须写成字符串形式的金额，如 "8.50"')
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors.append(f"{what} 须为金额")
        return None
    if not amount.is_finite() or amount < 0 or amount > MAX_MONEY:
        errors.append(f"{what} 须为 0 至 {MAX_MONEY} 的金额")
        return None
    if amount != amount.quantize(Decimal("0.01")):
        errors.append(f"{what} 最多两位小数")
        return None
    if positive and amount == 0:
        errors.append(f"{what} 须大于 0")
        return None
    return money(amount)


def _int(value, what: str, errors: list[str], *, low: int = 1, high: int = MAX_QTY) -> int | None:
    if value is None:
        errors.append(f"请填写{what}")
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        errors.append(f"{what} 须为 {low} 至 {high} 的整数")
        return None
    return value


def _id(value, what: str, errors: list[str]) -> int | None:
    return _int(value, what, errors, high=MAX_ID)


def _ids(value, what: str, errors: list[str]) -> list[int] | None:
    if not isinstance(value, list) or len(value) > MAX_ITEMS:
        errors.append(f"{what} 须为整数列表（最多 {MAX_ITEMS} 个）")
        return None
    if not all(isinstance(i, int) and not isinstance(i, bool) and 0 < i <= MAX_ID for i in value):
        errors.append(f"{what} 须为整数列表")
        return None
    return sorted(set(value))


@dataclass(frozen=True)
class _PriceList:
    """A rule's list of {key: …, "price": …} rows, one price per key, and how its errors read
    (`{n}` the row's number, `{key}` its key)."""

    key: str
    read_key: Callable[[object, str, list[str]], int | None]
    most: int
    bad_list: str
    bad_row: str
    key_name: str
    price_name: str
    repeated: str


_SPECIAL_PRICES = _PriceList(
    "product_id",
    _id,
    MAX_ITEMS,
    f"特价须有 1 至 {MAX_ITEMS} 个商品",
    "第 {n} 个特价商品须有商品和特价",
    "第 {n} 个特价商品",
    "第 {n} 个商品的特价",
    "第 {n} 个特价商品与前面的重复",
)
_TIERS = _PriceList(
    "min_qty",
    _int,
    20,
    "阶梯价须有 1 至 20 档",
    "第 {n} 档须有起订量和单价",
    "第 {n} 档的起订量",
    "第 {n} 档的价格",
    "起订量 {key} 重复",
)


def _price_list(rows, spec: _PriceList, errors: list[str]) -> list[dict]:
    """The rows checked and sorted by key (the last price of a repeated key kept)."""
    if not isinstance(rows, list) or not 1 <= len(rows) <= spec.most:
        errors.append(spec.bad_list)
        rows = []
    prices: dict[int, Decimal] = {}
    for n, row in enumerate(rows, 1):
        if not isinstance(row, dict) or set(row) != {spec.key, "price"}:
            errors.append(spec.bad_row.format(n=n))
            continue
        key = spec.read_key(row[spec.key], spec.key_name.format(n=n), errors)
        price = _money(row["price"], spec.price_name.format(n=n), errors)
        if key is not None and price is not None:
            if key in prices:
                errors.append(spec.repeated.format(n=n, key=key))
            prices[key] = price
    return [{spec.key: k, "price": v} for k, v in sorted(prices.items())]


def check_rules(kind: str, rules) -> tuple[dict, list[str]]:
    """The rules normalised (money as Decimal, ids sorted), and what is wrong with them in Chinese
    for the person who wrote them. Unknown keys are refused: a typo must not silently mean "all"."""
    errors: list[str] = []
    if kind not in KINDS:
        return {}, ["促销类型无效：须为特价、阶梯价、满减或满赠"]
    if not isinstance(rules, dict):
        return {}, ["促销规则格式不正确"]
    allowed = {
        "special_price": {"items"},
        "tiered_price": {"product_id", "tiers"},
        "full_reduction": {"threshold", "reduction", "repeat", "product_ids", "category_ids"},
        "gift": {"gift_product_id", "gift_qty", "product_id", "min_qty", "threshold", "repeat"},
    }[kind]
    errors += [f"无法识别的规则项“{key}”" for key in rules if key not in allowed]
    out: dict = {}
    if kind == "special_price":
        out["items"] = _price_list(rules.get("items"), _SPECIAL_PRICES, errors)
    elif kind == "tiered_price":
        out["product_id"] = _id(rules.get("product_id"), "阶梯价商品", errors)
        out["tiers"] = _price_list(rules.get("tiers"), _TIERS, errors)
    elif kind == "full_reduction":
        out["threshold"] = _money(rules.get("threshold"), "满减门槛", errors, positive=True)
        out["reduction"] = _money(rules.get("reduction"), "减免金额", errors, positive=True)
        threshold, reduction = out["threshold"], out["reduction"]
        if threshold is not None and reduction is not None and reduction > threshold:
            errors.append("减免金额不能大于门槛金额")
        out["repeat"] = _flag(rules.get("repeat", False), "每满", errors)
        for key, what in (("product_ids", "满减商品"), ("category_ids", "满减分类")):
            if rules.get(key) is not None:
                ids = _ids(rules[key], what, errors)
                if ids:  # an empty list narrows nothing, as an empty target names everyone
                    out[key] = ids
    else:  # gift
        out["gift_product_id"] = _id(rules.get("gift_product_id"), "赠品", errors)
        out["gift_qty"] = _int(rules.get("gift_qty"), "赠送数量", errors)
        if rules.get("product_id") is not None:
            out["product_id"] = _id(rules["product_id"], "购买商品", errors)
        if rules.get("min_qty") is not None:
            out["min_qty"] = _int(rules["min_qty"], "购买数量", errors)
            if rules.get("product_id") is None:
                errors.append("购买数量须与购买商品一起填写（买几件该商品）")
        if rules.get("threshold") is not None:
            out["threshold"] = _money(rules["threshold"], "满赠门槛", errors, positive=True)
        if rules.get("product_id") is None and rules.get("threshold") is None:
            errors.append("买赠须选择购买商品，满赠须填写满赠门槛")
        out["repeat"] = _flag(rules.get("repeat", False), "每满", errors)
    return out, errors


def _flag(value, what: str, errors: list[str]) -> bool:
    if not isinstance(value, bool):
        errors.append(f"{what}须为是或否")
        return False
    return value


def product_ids_named(kind: str, rules: Mapping) -> set[int]:
    """Every product a promotion's rules name (to check they exist)."""
    if kind == "special_price":
        return {item["product_id"] for item in rules["items"]}
    if kind == "tiered_price":
        return {rules["product_id"]}
    if kind == "full_reduction":
        return set(rules.get("product_ids") or ())
    return {rules["gift_product_id"]} | ({rules["product_id"]} if "product_id" in rules else set())


def rules_json(rules: Mapping) -> dict:
    """Rules as JSON holds them (money as strings with 2 decimals)."""

    def plain(value):
        if isinstance(value, Decimal):
            return f"{value:.2f}"
        if isinstance(value, list):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        return value

    return {k: plain(v) for k, v in rules.items() if v is not None}


# --- labels -----------------------------------------------------------------------------------


def yuan(amount: Decimal) -> str:
    """¥-less amount as people write it: 1000, 12.5, 12.05."""
    text = f"{money(amount):.2f}"
    return text.removesuffix(".00") if text.endswith(".00") else text.rstrip("0")


def label_of(kind: str, rules: Mapping) -> str:
    """How a promotion is shown beside a product: 特价, 阶梯价, 满1000减50, 买10赠1, 满500赠2."""
    if kind == "full_reduction":
        every = "每" if rules.get("repeat") else ""
        return f"{every}满{yuan(rules['threshold'])}减{yuan(rules['reduction'])}"
    if kind == "gift":
        if "product_id" in rules:
            return f"买{rules.get('min_qty', 1)}赠{rules['gift_qty']}"
        return f"满{yuan(rules['threshold'])}赠{rules['gift_qty']}"
    return KINDS[kind]


class Labeller:
    """The best promotion open to a dealer on each product of a page, as a label: a lower line
    price first (特价, then 阶梯价), then the full reduction worth most per yuan spent, then a gift.
    The offers are sorted out once per set of offers (`Labeller.of`), not once per product."""

    @classmethod
    def of(cls, offers: Sequence[Offer]) -> Labeller:
        """The labeller of these offers, built once for them."""
        targeted = getattr(offers, "targeted", None)
        if targeted is not None:
            return targeted.labeller
        return _memo("labeller", offers, lambda: cls(offers))

    def __init__(self, offers: Sequence[Offer]):
        self.special: dict[int, list[Offer]] = {}
        self.tiers: dict[int, Offer] = {}
        self.gifts: dict[int | None, Offer] = {}
        reductions = []
        for offer in offers:
            if offer.kind == "special_price":
                for pid in offer.special_prices:
                    self.special.setdefault(pid, []).append(offer)
            elif offer.kind == "tiered_price":
                self.tiers.setdefault(offer.rules["product_id"], offer)
            elif offer.kind == "full_reduction":
                reductions.append(offer)
            else:
                self.gifts.setdefault(offer.rules.get("product_id"), offer)
        self.reductions = sorted(reductions, key=lambda o: -o.worth)

    def special_price(self, product_id: int, price: Decimal) -> Decimal | None:
        """The lowest 特价 open on the product, when below the dealer's `price`; else None."""
        lower = [
            offer.special_prices[product_id]
            for offer in self.special.get(product_id, ())
            if offer.special_prices[product_id] < price
        ]
        return min(lower) if lower else None

    def label(self, product_id: int, category_id: int | None, price: Decimal) -> str | None:
        for offer in self.special.get(product_id, ()):
            if offer.special_prices[product_id] < price:
                return offer.label
        tier = self.tiers.get(product_id)
        if tier is not None and any(t["price"] < price for t in tier.rules["tiers"]):
            return tier.label
        for offer in self.reductions:
            if offer.counts(product_id, category_id):
                return offer.label
        gift = self.gifts.get(product_id) or self.gifts.get(None)
        return gift.label if gift else None


# --- pricing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """A basket line before promotions: the customer's own price for the product."""

    product_id: int
    qty: int
    price: Decimal
    category_id: int | None = None


@dataclass(frozen=True)
class PricedItem:
    item: Item
    price: Decimal  # after line promotions
    offer: Offer | None  # the promotion that set the price, if it is below the customer's own
    # Worked out as the item is priced: every line's amount is summed more than once, and a
    # cached_property takes a lock shared by all threads on its first read (docs/performance.md,
    # entry 22).
    amount: Decimal = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "amount", money(self.price * self.item.qty))

    @property
    def label(self) -> str:
        return self.offer.label if self.offer else ""


@dataclass(frozen=True)
class Discount:
    """What a promotion takes off a basket; it reads as an order's discount row does
    (`promotion_id`, `name`, `amount`)."""

    offer: Offer
    amount: Decimal
    product_ids: tuple[int, ...]  # the qualifying lines, which carry the discount

    @property
    def promotion_id(self) -> int:
        return self.offer.id

    @property
    def name(self) -> str:
        return self.offer.name


@dataclass(frozen=True)
class Gift:
    """A gift a promotion gives this basket: wanted (`Pricing.gifts`, before stock decides
    whether it can be given) or granted (`grant_gifts`: several of one product as one line, under
    the first one's promotion)."""

    offer: Offer
    product_id: int
    qty: int


@dataclass(frozen=True)
class Progress:
    """What a full reduction or gift does for the basket, and what it is short of for the next
    step: "已减 ¥50", "再买 ¥120 可减 ¥50"."""

    offer: Offer
    applied: bool
    message: str
    short: Decimal | None = None


@dataclass
class Pricing:
    lines: list[PricedItem]
    discount: Discount | None
    gifts: list[Gift]
    progress: list[Progress] = field(default_factory=list)

    @property
    def subtotal(self) -> Decimal:
        return money(sum((ln.amount for ln in self.lines), ZERO))

    @property
    def discount_total(self) -> Decimal:
        return self.discount.amount if self.discount else ZERO

    @property
    def total(self) -> Decimal:
        return money(self.subtotal - self.discount_total)


def _shelved(offers: Sequence[Offer]) -> Shelf:
    """The offers as pricing takes them (`Shelf`), sorted out once per set of offers."""
    targeted = getattr(offers, "targeted", None)
    if targeted is not None:
        return targeted.shelf
    return _memo("shelved", offers, lambda: Shelf(offers))


class Shelf:
    """A set of offers sorted out for pricing: line offers (特价, 阶梯价) by product id; full
    reductions in id order, each with its products, categories, threshold, reduction and whether
    it repeats; the same split for finding the best one alone (those narrowed by nothing by
    threshold, the others with the products they name together); gifts; and the gift products a
    basket may get (`always`: a 满赠's; `by_product`: a 买赠's, by the product to buy)."""

    def __init__(self, offers: Sequence[Offer]):
        self.line_offers: dict[int, list[Offer]] = {}
        self.reductions: list[tuple] = []
        self.gift_offers: list[Offer] = []
        for offer in offers:
            if offer.kind == "special_price":
                for pid in offer.special_prices:
                    self.line_offers.setdefault(pid, []).append(offer)
            elif offer.kind == "tiered_price":
                self.line_offers.setdefault(offer.rules["product_id"], []).append(offer)
            elif offer.kind == "full_reduction":
                rules = offer.rules
                self.reductions.append(
                    (offer, *offer.counted, rules["threshold"], rules["reduction"], rules["repeat"])
                )
            elif offer.kind == "gift":
                self.gift_offers.append(offer)
        # (threshold, place in id order, the rest) for those narrowed by nothing, lowest first
        self.unnarrowed = sorted(
            (r[3], n, r) for n, r in enumerate(self.reductions) if r[1] is None and r[2] is None
        )
        self.narrowed = [
            (n, r) for n, r in enumerate(self.reductions) if r[1] is not None or r[2] is not None
        ]
        named = [r[1] for _, r in self.narrowed]
        # every product the narrowed ones name, when none is narrowed by category (else None)
        self.narrowed_products = (
            frozenset().union(*named) if all(r[2] is None for _, r in self.narrowed) else None
        )
        self.always: set[int] = set()
        self.by_product: dict[int, set[int]] = {}
        for offer in self.gift_offers:
            if "product_id" in offer.rules:
                self.by_product.setdefault(offer.rules["product_id"], set()).add(
                    offer.rules["gift_product_id"]
                )
            else:
                self.always.add(offer.rules["gift_product_id"])


def possible_gifts(offers: Sequence[Offer], product_ids: Iterable[int]) -> set[int]:
    """The products the gifts among `offers` could give a basket of `product_ids`: a 买赠's when
    its product is in the basket, a 满赠's whatever the basket holds (its threshold is not known
    before pricing). Lets a caller read them with the basket's own products."""
    shelf = _shelved(offers)
    found = set(shelf.always)
    for pid in product_ids:
        found.update(shelf.by_product.get(pid, ()))
    return found


def _tier_price(offer: Offer, qty: int) -> Decimal | None:
    reached = [t["price"] for t in offer.rules["tiers"] if qty >= t["min_qty"]]
    return min(reached) if reached else None


def price_basket(offers: Sequence[Offer], items: Sequence[Item], words: bool = True) -> Pricing:
    """Price a basket with the offers open to its customer (`open_offers`); one pass over the
    offers for the line prices, then one per full reduction and gift. `words`: also say what each
    full reduction and gift did or is short of (`progress`, for the cart); an order needs none."""
    shelf = _shelved(offers)
    lines = []
    for item in items:
        best, by = money(item.price), None
        for offer in shelf.line_offers.get(item.product_id, ()):
            if offer.kind == "special_price":
                candidate = offer.special_prices[item.product_id]
            else:
                candidate = _tier_price(offer, item.qty)
            if candidate is not None and candidate < best:
                best, by = candidate, offer
        lines.append(PricedItem(item, best, by))

    whole = money(sum((ln.amount for ln in lines), ZERO)) if lines else ZERO
    basket = {ln.item.product_id for ln in lines}
    progress: list[Progress] = []
    if words:
        discount = _reductions_in_words(shelf, lines, whole, progress)
    else:
        discount = _best_reduction(shelf, lines, whole, basket)

    gifts = []
    for offer in shelf.gift_offers:
        bought = offer.rules.get("product_id")
        if bought is not None and bought not in basket:
            continue  # a 买赠 whose product is not bought: nothing given, nothing to say
        if not words and bought is None and whole < offer.rules["threshold"]:
            continue  # a 满赠 the basket does not reach, and no words wanted
        times, short = _gift_times(offer, lines)
        if times:
            gifts.append(
                Gift(offer, offer.rules["gift_product_id"], offer.rules["gift_qty"] * times)
            )
        if words and short is not None:
            progress.append(_gift_progress(offer, times, short))
    return Pricing(lines, discount, gifts, progress)


def _reduction(base: Decimal, threshold: Decimal, reduction: Decimal, repeat: bool):
    """How many times a full reduction applies to `base`, and what it takes off."""
    if base < threshold:
        return 0, ZERO
    times = int((base / threshold).to_integral_value(ROUND_DOWN)) if repeat else 1
    return times, min(reduction if times == 1 else money(reduction * times), base)


def _qualifying(lines: Sequence[PricedItem], products, categories) -> list[PricedItem]:
    return [
        ln
        for ln in lines
        if (products is not None and ln.item.product_id in products)
        or (categories is not None and ln.item.category_id in categories)
    ]


def _reductions_in_words(
    shelf: Shelf, lines: Sequence[PricedItem], whole: Decimal, progress: list[Progress]
) -> Discount | None:
    """The largest full reduction (the first in id order of equals), each one's progress said."""
    best: tuple | None = None  # (amount, offer, qualifying lines)
    for offer, products, categories, threshold, reduction, repeat in shelf.reductions:
        if products is None and categories is None:
            qualifying, base = lines, whole
        else:
            qualifying = _qualifying(lines, products, categories)
            if not qualifying:  # nothing in the basket it counts: no discount, nothing to say
                continue
            base = money(sum((ln.amount for ln in qualifying), ZERO))
        times, amount = _reduction(base, threshold, reduction, repeat)
        if amount > 0 and (best is None or amount > best[0]):
            best = amount, offer, qualifying
        progress.append(_reduction_progress(offer, base, times, amount))
    if best is None:
        return None
    amount, offer, qualifying = best
    return Discount(offer, amount, tuple(ln.item.product_id for ln in qualifying))


def _best_reduction(
    shelf: Shelf, lines: Sequence[PricedItem], whole: Decimal, basket: set[int]
) -> Discount | None:
    """The same discount as `_reductions_in_words` without the words: those narrowed by nothing
    only up to the first threshold the basket does not reach, the others only when the basket
    holds something they name."""
    best: tuple | None = None  # (amount, -place in id order, offer, qualifying lines)
    for threshold, place, (offer, _, _, _, reduction, repeat) in shelf.unnarrowed:
        if whole < threshold:
            break
        _, amount = _reduction(whole, threshold, reduction, repeat)
        if amount > 0 and (best is None or (amount, -place) > best[:2]):
            best = amount, -place, offer, lines
    named = shelf.narrowed_products
    if shelf.narrowed and (named is None or not basket.isdisjoint(named)):
        for place, (offer, products, categories, threshold, reduction, repeat) in shelf.narrowed:
            qualifying = _qualifying(lines, products, categories)
            if not qualifying:
                continue
            base = money(sum((ln.amount for ln in qualifying), ZERO))
            _, amount = _reduction(base, threshold, reduction, repeat)
            if amount > 0 and (best is None or (amount, -place) > best[:2]):
                best = amount, -place, offer, qualifying
    if best is None:
        return None
    amount, _, offer, qualifying = best
    return Discount(offer, amount, tuple(ln.item.product_id for ln in qualifying))


def _reduction_progress(offer: Offer, base: Decimal, times: int, amount: Decimal) -> Progress:
    rules = offer.rules
    if times and not rules["repeat"]:
        return Progress(offer, True, f"{offer.title}：已减 {written(amount)}")
    short = money(rules["threshold"] * (times + 1) - base)
    more = money(rules["reduction"] * (times + 1))
    if times:
        return Progress(
            offer,
            True,
            f"{offer.title}：已减 {written(amount)}，再买 {written(short)} 可减 {written(more)}",
            short,
        )
    return Progress(
        offer, False, f"{offer.title}：再买 {written(short)} 可减 {written(more)}", short
    )


def _gift_times(offer: Offer, lines: Sequence[PricedItem]) -> tuple[int, str | None]:
    """How many times a gift's conditions are met, and what is short of the next time in words
    (None when the basket holds nothing it counts)."""
    rules = offer.rules
    counted = [
        ln for ln in lines if rules.get("product_id", ln.item.product_id) == ln.item.product_id
    ]
    if not counted:
        return 0, None
    times: list[int] = []
    short = ""
    if "product_id" in rules:
        need = rules.get("min_qty", 1)
        have = sum(ln.item.qty for ln in counted)
        times.append(have // need)
        short = f"再买 {need * (have // need + 1) - have} 件"
    if "threshold" in rules:
        base = money(sum((ln.amount for ln in counted), ZERO))
        n = int((base / rules["threshold"]).to_integral_value(ROUND_DOWN))
        times.append(n)
        gap = money(rules["threshold"] * (n + 1) - base)
        if not short or n < times[0]:
            short = f"再买 {written(gap)}"
    reached = min(times)
    if not rules["repeat"]:
        reached = min(reached, 1)
    return reached, short


def _gift_progress(offer: Offer, times: int, short: str) -> Progress:
    each = offer.rules["gift_qty"]
    if times and not offer.rules["repeat"]:
        return Progress(offer, True, f"{offer.title}：已赠 {each * times} 件")
    if times:
        return Progress(
            offer, True, f"{offer.title}：已赠 {each * times} 件，{short}可再赠 {each} 件"
        )
    return Progress(offer, False, f"{offer.title}：{short}可赠 {each} 件")


def grant_gifts(
    wants: Sequence[Gift], available: Mapping[int, int], bought: Mapping[int, int]
) -> tuple[list[Gift], list[Gift]]:
    """Which gifts stock covers: a gift is given whole when what is available of its product,
    less what the basket buys of it and the gifts given before it, covers it; else it is left out
    (the caller warns). Several gifts of one product become one line."""
    used = dict(bought)
    given: dict[int, Gift] = {}
    left_out = []
    for want in wants:
        if available.get(want.product_id, 0) - used.get(want.product_id, 0) < want.qty:
            left_out.append(want)
            continue
        used[want.product_id] = used.get(want.product_id, 0) + want.qty
        before = given.get(want.product_id)
        given[want.product_id] = Gift(
            before.offer if before else want.offer,
            want.product_id,
            want.qty + (before.qty if before else 0),
        )
    return list(given.values()), left_out


def allocate(amount: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Split a discount over lines in proportion to their amounts, to the cent, summing exactly
    (largest remainders take the odd cents), never more than a line's own amount when the
    discount is at most their sum."""
    cents = [int(money(w) * 100) for w in weights]
    total, wanted = sum(cents), int(money(amount) * 100)
    if wanted <= 0 or total <= 0:
        return [ZERO for _ in weights]
    wanted = min(wanted, total)
    floors = [c * wanted // total for c in cents]
    order = sorted(range(len(cents)), key=lambda i: (-(cents[i] * wanted % total), i))
    for i in order[: wanted - sum(floors)]:
        floors[i] += 1
    return [Decimal(f) / 100 for f in floors]


def line_value(price: Decimal, qty: int, discount: Decimal, units: int) -> Decimal:
    """What `units` of a line are worth after its share of the order's discounts: the whole line
    is exactly price × qty − discount, and values of parts taken one after another sum to it
    (value(a + b) − value(a) for the next b)."""
    if units >= qty:
        return money(price * qty - discount)
    return money(price * units - discount * units / qty)
