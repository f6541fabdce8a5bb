"""A person at a postal address, as the outside systems name one: a platform order's receiver
(收件人), a waybill's sender and receiver."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str
    province: str
    city: str
    district: str
    address: str
