"""Order totals, the demo service's one piece of business logic."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Line:
    sku: str
    quantity: int
    unit_price: Decimal


def total(lines: list[Line], *, discount_percent: int = 0) -> Decimal:
    if not 0 <= discount_percent <= 100:
        raise ValueError("discount_percent must be between 0 and 100")
    gross = sum((line.unit_price * line.quantity for line in lines), Decimal("0"))
    return (gross * (100 - discount_percent) / 100).quantize(Decimal("0.01"))
