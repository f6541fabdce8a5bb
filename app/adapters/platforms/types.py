"""The shape of a receiver (收件人) as every platform gives it, before or after masking."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from app.adapters.contacts import Contact


@dataclass(frozen=True)
class Receiver(Contact):
    def as_dict(self) -> dict:
        return asdict(self)
