"""Shopping items as people write them: a quantity and a name, merged when the same thing is added twice."""

from dataclasses import dataclass
import re

from ..memory.text import tokenize

_UNIT_ALIASES = {
    "gr": "g", "gram": "g", "grams": "g", "kilo": "kg", "kilos": "kg", "kilogram": "kg", "kilograms": "kg",
    "litre": "l", "litres": "l", "liter": "l", "liters": "l", "lbs": "lb", "pound": "lb", "pounds": "lb",
    "ounce": "oz", "ounces": "oz", "boxes": "box", "bunches": "bunch", "loaves": "loaf", "pcs": "piece",
    "x": "",
}  # fmt: skip
_UNITS = (
    r"kg|kilos?|kilograms?|grams?|gr|g|mg|litres?|liters?|ml|cl|dl|l|lbs?|pounds?|oz|ounces?|packs?|"
    r"packets?|packages?|bottles?|cans?|tins?|jars?|bags?|box(?:es)?|bunch(?:es)?|dozen|loaf|loaves|"
    r"cartons?|pieces?|pcs|slices?|heads?|cloves?|x"
)
_CJK_UNITS = "公斤|千克|毫升|个|瓶|袋|盒|包|升|斤|克|罐|把|块|条|根|颗|打"
_LEADING = re.compile(
    rf"^(?P<number>\d+(?:[.,]\d+)?)\s*(?:(?P<unit>{_UNITS})\b\.?|(?P<cjk>{_CJK_UNITS}))?\s*(?:of\s+)?(?P<name>[^\d\s].*)$",
    re.IGNORECASE,
)
_TRAILING = re.compile(r"^(?P<name>.+?)\s*(?:\((?P<paren>\d+(?:[.,]\d+)?)\)|[x×]\s*(?P<times>\d+))$")
# Words that name a list rather than tell lists apart ("the hardware list").
_LIST_WORDS = frozenset({"list", "lists", "todo", "to", "do"})
_CJK_LIST_WORDS = re.compile(r"(清单|列表)$")


@dataclass(frozen=True, slots=True)
class Quantity:
    """How much, as written ("2", "500 g", "3瓶"), comparable by its unit."""

    number: float
    unit: str = ""

    @property
    def unit_key(self) -> str:
        """The unit, spelled one way ("litres" and "l" add up)."""
        unit = self.unit.casefold()
        if unit in _UNIT_ALIASES:
            return _UNIT_ALIASES[unit]
        return unit[:-1] if len(unit) > 2 and unit.endswith("s") else unit

    def plus(self, other: Quantity) -> Quantity:
        """The sum, in the plural spelling of the unit if either has it."""
        plural = [unit for unit in (self.unit, other.unit) if len(unit) > 2 and unit.endswith("s")]
        return Quantity(self.number + other.number, next(iter(plural), self.unit))

    def text(self) -> str:
        """The quantity as it is written on the list."""
        return f"{self.number:g}{'' if not self.unit or _is_cjk(self.unit) else ' '}{self.unit}"


@dataclass(frozen=True, slots=True)
class Item:
    """A shopping item: a name and, when said, a quantity."""

    name: str
    quantity: Quantity | None = None

    @classmethod
    def parse(cls, text: str) -> Item:
        """Read "2 l oat milk", "500g flour", "3瓶牛奶", "eggs (12)", "milk x2", or just "milk"."""
        text = " ".join(text.split())
        if match := _LEADING.match(text):
            unit = match["unit"] or match["cjk"] or ""
            return cls(match["name"], Quantity(_number(match["number"]), "" if unit in "xX" else unit))
        if match := _TRAILING.match(text):
            return cls(match["name"], Quantity(_number(match["paren"] or match["times"])))
        return cls(text)

    def key(self, language: str) -> frozenset[str]:
        """What makes two items the same thing: "Milk" and "milks" are one, "oat milk" another."""
        return frozenset(tokenize(self.name, language)) or frozenset({self.name.casefold()})

    def text(self) -> str:
        """The item as it is written on the list."""
        if self.quantity is None:
            return self.name
        joined = _is_cjk(self.name) and (not self.quantity.unit or _is_cjk(self.quantity.unit))
        return f"{self.quantity.text()}{'' if joined else ' '}{self.name}"

    def merged(self, added: Item) -> Item:
        """The item with `added` merged in: a new quantity is set, quantities in one unit add up."""
        if added.quantity is None:
            return self
        if self.quantity is None:
            return Item(self.name, added.quantity)
        if self.quantity.unit_key == added.quantity.unit_key:
            return Item(self.name, self.quantity.plus(added.quantity))
        return Item(self.name, added.quantity)


def list_key(name: str, language: str) -> frozenset[str]:
    """The words that tell a list apart: "the hardware list" and "Hardware" are one list."""
    terms = frozenset(tokenize(_CJK_LIST_WORDS.sub("", name.strip()), language)) - _LIST_WORDS
    return terms or frozenset({name.casefold().strip()})


def _number(text: str) -> float:
    return float(text.replace(",", "."))


def _is_cjk(text: str) -> bool:
    return bool(re.search(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]", text))
