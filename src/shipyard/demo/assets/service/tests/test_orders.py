import unittest
from decimal import Decimal

from app.orders import Line, total


class TotalTest(unittest.TestCase):
    def test_sums_lines(self) -> None:
        lines = [Line("a", 2, Decimal("1.50")), Line("b", 1, Decimal("0.25"))]
        self.assertEqual(total(lines), Decimal("3.25"))

    def test_discount(self) -> None:
        self.assertEqual(total([Line("a", 1, Decimal("10"))], discount_percent=15), Decimal("8.50"))

    def test_rejects_bad_discount(self) -> None:
        with self.assertRaises(ValueError):
            total([], discount_percent=101)


if __name__ == "__main__":
    unittest.main()
