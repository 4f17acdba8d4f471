"""Money: a Decimal amount with an ISO 4217 currency. Pure, stdlib only."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# Minor units for the currencies we meet; anything else defaults to 2 (ISO 4217 majority).
_MINOR_UNITS: dict[str, int] = {
    "JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "UGX": 0, "XAF": 0, "XOF": 0,
    "BHD": 3, "KWD": 3, "OMR": 3, "JOD": 3, "TND": 3, "LYD": 3, "IQD": 3,
}  # fmt: skip


class MoneyError(ValueError):
    """An amount or currency that cannot be money."""


def minor_units(currency: str) -> int:
    """Digits after the decimal point for a currency."""
    return _MINOR_UNITS.get(currency.upper(), 2)


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise MoneyError("amount must be a Decimal")
        if not self.amount.is_finite():
            raise MoneyError("amount must be a finite number")
        code = self.currency
        # isalpha/isupper alone accept any script ("ÄÖÜ"); ISO 4217 codes are A–Z only.
        if len(code) != 3 or not (code.isascii() and code.isalpha() and code.isupper()):
            raise MoneyError(f"currency {self.currency!r} is not an ISO 4217 code")

    @classmethod
    def of(cls, amount: str | int | Decimal, currency: str = "USD") -> Money:
        """Build from a decimal string or int (never a float)."""
        if isinstance(amount, float):  # pragma: no cover - guarded for callers
            raise MoneyError("floats are not accepted for money")
        try:
            value = Decimal(str(amount))
        except InvalidOperation as exc:
            raise MoneyError(f"{amount!r} is not a decimal amount") from exc
        return cls(value, currency.upper())

    @classmethod
    def zero(cls, currency: str = "USD") -> Money:
        return cls(Decimal(0), currency)

    def quantize(self) -> Money:
        """Round half-up to the currency's minor unit."""
        exp = Decimal(1).scaleb(-minor_units(self.currency))
        return Money(self.amount.quantize(exp, rounding=ROUND_HALF_UP), self.currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise MoneyError(f"cannot combine {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        return Money(self.amount * Decimal(factor), self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.amount >= other.amount

    def as_json(self) -> dict[str, str]:
        """The wire shape: amount as a decimal string, never a float."""
        return {"amount": str(self.quantize().amount), "currency": self.currency}
