"""China's provinces, cities and districts (省/市/区), as the address pickers offer them: the data
vendored by tools/vendor_regions.sh. A delivery address names one of each."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from app.errors import ValidationFailed

DATA = Path(__file__).with_name("regions.json")


@cache
def regions() -> dict[str, dict[str, list[str]]]:
    """province → city → districts, in the official order."""
    return json.loads(DATA.read_text(encoding="utf-8"))


def check(province: str, city: str, district: str) -> None:
    """Raises: ValidationFailed naming the part that is not a real province, city or district."""
    cities = regions().get(province)
    if cities is None:
        raise ValidationFailed("请选择正确的省份", province=["不是有效的省份"])
    if city not in cities:
        raise ValidationFailed(f"{province}没有“{city}”，请重新选择城市", city=["不是该省的城市"])
    if district not in cities[city]:
        raise ValidationFailed(
            f"{city}没有“{district}”，请重新选择区县", district=["不是该市的区县"]
        )
