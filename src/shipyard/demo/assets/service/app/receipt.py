"""A colourised JSON receipt of an order (Pygments' JSON lexer and its terminal formatter)."""

from __future__ import annotations

import json
from decimal import Decimal

from pygments import highlight
from pygments.formatters import TerminalFormatter
from pygments.lexers.data import JsonLexer

from app.orders import Line, total


def receipt(lines: list[Line], *, discount_percent: int = 0, colour: bool = True) -> str:
    doc = {
        "lines": [{"sku": x.sku, "quantity": x.quantity, "unit_price": str(x.unit_price)} for x in lines],
        "discount_percent": discount_percent,
        "total": str(total(lines, discount_percent=discount_percent)),
    }
    text = json.dumps(doc, indent=2, default=str)
    return highlight(text, JsonLexer(), TerminalFormatter()) if colour else text + "\n"


def parse_lines(body: dict[str, object]) -> list[Line]:
    items = body.get("lines", [])
    if not isinstance(items, list):
        raise ValueError("lines must be a list")
    return [Line(str(x["sku"]), int(x["quantity"]), Decimal(str(x["unit_price"]))) for x in items]
