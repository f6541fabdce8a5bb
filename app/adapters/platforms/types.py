"""The shape of a receiver (收件人) as every platform gives it, before or after masking."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Receiver:
    name: str
    phone: str
    province: str
    city: str
    district: str
    address: str

    def as_dict(self) -> dict:
        return asdict(self)
