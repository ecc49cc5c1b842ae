"""Money in headlines: "$25M", "$1.2 billion", "€105mn", "₹18 Cr", "Rs 50 crore", "$505K".

Amounts are converted to USD with a **static** rate table (approximate mid-market
rates, early 2026). It exists so rules can compare rounds across currencies; it is not
an accounting rate. Change ``USD_PER_UNIT`` to update it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

USD_PER_UNIT: dict[str, Decimal] = {
    "USD": Decimal("1"),
    "EUR": Decimal("1.08"),
    "GBP": Decimal("1.27"),
    "INR": Decimal("0.012"),
    "CAD": Decimal("0.74"),
    "AUD": Decimal("0.66"),
    "SGD": Decimal("0.74"),
    "JPY": Decimal("0.0067"),
    "CNY": Decimal("0.14"),
    "CHF": Decimal("1.12"),
    "SEK": Decimal("0.095"),
    "BRL": Decimal("0.20"),
    "ILS": Decimal("0.27"),
    "HKD": Decimal("0.128"),
}

_SYMBOLS = {
    "us$": "USD",
    "$": "USD",
    "usd": "USD",
    "€": "EUR",
    "eur": "EUR",
    "£": "GBP",
    "gbp": "GBP",
    "₹": "INR",
    "rs.": "INR",
    "rs": "INR",
    "inr": "INR",
    "c$": "CAD",
    "ca$": "CAD",
    "cad": "CAD",
    "a$": "AUD",
    "au$": "AUD",
    "aud": "AUD",
    "s$": "SGD",
    "sgd": "SGD",
    "¥": "JPY",
    "jpy": "JPY",
    "cny": "CNY",
    "rmb": "CNY",
    "chf": "CHF",
    "sek": "SEK",
    "r$": "BRL",
    "brl": "BRL",
    "₪": "ILS",
    "hk$": "HKD",
}
_WORD_CURRENCIES = {"dollars": "USD", "euros": "EUR", "pounds": "GBP", "rupees": "INR"}
_MULTIPLIERS = {
    "k": 10**3,
    "thousand": 10**3,
    "lakh": 10**5,
    "lakhs": 10**5,
    "lac": 10**5,
    "m": 10**6,
    "mn": 10**6,
    "mm": 10**6,
    "mil": 10**6,
    "million": 10**6,
    "millions": 10**6,
    "cr": 10**7,
    "crore": 10**7,
    "crores": 10**7,
    "b": 10**9,
    "bn": 10**9,
    "billion": 10**9,
    "t": 10**12,
    "tn": 10**12,
    "trillion": 10**12,
}

_ABBREVIATIONS = frozenset({"k", "m", "mm", "mn", "b", "bn", "t", "tn", "cr"})
_INDIAN_MULTIPLIERS = frozenset({"lakh", "lakhs", "lac", "crore", "crores", "cr"})

_symbol = "|".join(re.escape(s) for s in sorted(_SYMBOLS, key=len, reverse=True))
_multiplier = "|".join(sorted(_MULTIPLIERS, key=len, reverse=True))
_number = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
AMOUNT = re.compile(
    rf"(?:(?<![\w$])(?P<symbol>{_symbol})\s?)?"
    rf"(?P<number>{_number})"
    rf"(?:[\s-]?(?P<multiplier>{_multiplier})\b\.?)?"
    rf"(?:\s?(?P<suffix>usd|eur|gbp|inr|dollars|euros|pounds|rupees)\b)?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str
    currency_stated: bool
    start: int
    end: int
    text: str

    @property
    def usd(self) -> int:
        return int(self.amount * USD_PER_UNIT[self.currency])


def find_amounts(text: str) -> list[Money]:
    """Every amount of money in ``text``: needs a currency or a multiplier."""
    found = []
    for match in AMOUNT.finditer(text):
        symbol, multiplier, suffix = (
            match.group("symbol"),
            match.group("multiplier"),
            match.group("suffix"),
        )
        if not (symbol or multiplier or suffix):
            continue  # a bare number is not money
        if not (symbol or suffix) and multiplier.lower() in _ABBREVIATIONS:
            continue  # "75MW", "10m": abbreviations need a stated currency to be money
        currency_word = (symbol or suffix or "").lower()
        currency = _SYMBOLS.get(currency_word) or _WORD_CURRENCIES.get(currency_word)
        if currency is None and multiplier and multiplier.lower() in _INDIAN_MULTIPLIERS:
            currency = "INR"
        amount = Decimal(match.group("number").replace(",", ""))
        if multiplier:
            amount *= _MULTIPLIERS[multiplier.lower()]
        stated = bool(symbol or suffix)
        found.append(
            Money(amount, currency or "USD", stated, match.start(), match.end(), match.group(0))
        )
    return found
