import json
import unittest
from decimal import Decimal

from app.orders import Line
from app.receipt import parse_lines, receipt


class ReceiptTest(unittest.TestCase):
    def test_plain_receipt_is_json_with_the_total(self) -> None:
        doc = json.loads(receipt([Line("a", 2, Decimal("1.50"))], discount_percent=10, colour=False))
        self.assertEqual(doc["total"], "2.70")

    def test_colour_receipt_has_ansi_escapes(self) -> None:
        self.assertIn("\x1b[", receipt([Line("a", 1, Decimal("1"))]))

    def test_parse_lines(self) -> None:
        lines = parse_lines({"lines": [{"sku": "a", "quantity": "3", "unit_price": 0.5}]})
        self.assertEqual(lines, [Line("a", 3, Decimal("0.5"))])


if __name__ == "__main__":
    unittest.main()
