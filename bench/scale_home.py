"""Synthetic homes for bench/scale.py, and the labelled sentences that target them.

A home is a seeded sequence of areas (on floors, with English and Chinese aliases), each with
several devices: two near-twin lights, plugs, sensors, blinds, a thermostat device carrying
unexposed diagnostic sensors, a TV, a lock, a fan. A home of N exposed entities is the first N
of that sequence, so a bigger home extends a smaller one and the sentences written over the
smallest home keep their targets in every size.
"""

from dataclasses import dataclass, field
import random

from homeassistant.components.homeassistant.exposed_entities import async_expose_entity
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    area_registry as ar,
    device_registry as dr,
    entity_registry as er,
    floor_registry as fr,
)

SEED = 9
PLATFORM = "bench"
# English name, Chinese name, English alias.
ROOMS = (
    ("Kitchen", "厨房", "Galley"),
    ("Living room", "客厅", "Lounge"),
    ("Bedroom", "卧室", "Sleeping room"),
    ("Office", "书房", "Study"),
    ("Bathroom", "浴室", "Washroom"),
    ("Hallway", "走廊", "Corridor"),
    ("Dining room", "餐厅", "Dining area"),
    ("Kids room", "儿童房", "Nursery"),
    ("Guest room", "客房", "Spare room"),
    ("Laundry", "洗衣房", "Utility room"),
    ("Garage", "车库", "Carport"),
    ("Patio", "露台", "Terrace"),
)
FLOOR_SIZE = 6  # areas per floor


@dataclass(frozen=True)
class Kind:
    """One type of device an area can have."""

    key: str
    domain: str
    name: str  # "{area} ..."
    zh: str  # Chinese suffix after the area's Chinese name
    alias: str  # English alias "{area} ..."
    state: str
    attributes: dict[str, object] = field(default_factory=dict)
    always: bool = False


KINDS = (
    Kind(
        "ceiling",
        "light",
        "ceiling light",
        "吸顶灯",
        "big light",
        "off",
        {"supported_color_modes": ["brightness"]},
        True,
    ),
    Kind(
        "corner",
        "light",
        "corner light",
        "落地灯",
        "reading lamp",
        "on",
        {"supported_color_modes": ["brightness"]},
        True,
    ),
    Kind(
        "temperature",
        "sensor",
        "temperature",
        "温度",
        "thermometer",
        "21.5",
        {"device_class": "temperature", "unit_of_measurement": "°C", "state_class": "measurement"},
        True,
    ),
    Kind("plug", "switch", "plug", "插座", "socket", "on", {"device_class": "outlet"}),
    Kind("strip", "switch", "power strip", "排插", "extension lead", "off", {"device_class": "outlet"}),
    Kind(
        "humidity",
        "sensor",
        "humidity",
        "湿度",
        "hygrometer",
        "48",
        {"device_class": "humidity", "unit_of_measurement": "%", "state_class": "measurement"},
    ),
    Kind("motion", "binary_sensor", "motion", "人体感应", "presence", "off", {"device_class": "motion"}),
    Kind(
        "blinds",
        "cover",
        "blinds",
        "百叶窗",
        "shades",
        "open",
        {"device_class": "blind", "supported_features": 15},
    ),
    Kind(
        "thermostat",
        "climate",
        "thermostat",
        "温控器",
        "heating",
        "heat",
        {
            "hvac_modes": ["off", "heat"],
            "current_temperature": 20.5,
            "temperature": 21,
            "supported_features": 1,
        },
    ),
    Kind("tv", "media_player", "TV", "电视", "television", "off", {"supported_features": 152461}),
    Kind("lock", "lock", "door lock", "门锁", "deadbolt", "locked", {"supported_features": 0}),
    Kind("fan", "fan", "fan", "风扇", "ventilator", "off", {"supported_features": 48}),
)
DIAGNOSTICS = (("battery", "battery", "%", "87"), ("signal", "signal_strength", "dBm", "-61"))


@dataclass(frozen=True)
class Area:
    """An area of the generated home."""

    index: int
    name: str
    zh: str
    alias: str
    floor: int


@dataclass(frozen=True)
class Spec:
    """One exposed entity of the generated home."""

    entity_id: str
    kind: Kind
    area: Area

    @property
    def name(self) -> str:
        return f"{self.area.name} {self.kind.name}"

    @property
    def alias(self) -> str:
        return f"{self.area.alias} {self.kind.alias}"

    @property
    def zh(self) -> str:
        return f"{self.area.zh}{self.kind.zh}"


def slug(text: str) -> str:
    return text.lower().replace(" ", "_")


def areas() -> list[Area]:
    """Enough areas for the largest home, in order; names repeat with a number after a round."""
    result = []
    for index in range(600):
        english, chinese, alias = ROOMS[index % len(ROOMS)]
        round_ = index // len(ROOMS)
        suffix = f" {round_ + 1}" if round_ else ""
        result.append(
            Area(index, english + suffix, chinese + suffix.strip(), alias + suffix, index // FLOOR_SIZE)
        )
    return result


def area_kinds(area: Area) -> list[Kind]:
    """The devices of an area: the three every area has, and a seeded choice of the rest."""
    rng = random.Random(f"{SEED}-{area.index}")
    optional = [kind for kind in KINDS if not kind.always]
    chosen = set(rng.sample([kind.key for kind in optional], rng.randint(4, len(optional))))
    return [kind for kind in KINDS if kind.always or kind.key in chosen]


def specs(size: int) -> list[Spec]:
    """The first `size` exposed entities of the home."""
    result: list[Spec] = []
    for area in areas():
        for kind in area_kinds(area):
            if len(result) == size:
                return result
            result.append(Spec(f"{kind.domain}.{slug(area.name)}_{slug(kind.name)}", kind, area))
    return result


def floor_name(level: int) -> tuple[str, str]:
    return (f"Floor {level}", f"{level + 1}楼")


class Home:
    """Writes the generated home into a running Home Assistant, growing it on demand."""

    def __init__(self, hass: HomeAssistant, config_entry_id: str) -> None:
        self.hass = hass
        self.config_entry_id = config_entry_id
        self.entities: list[Spec] = []
        self.area_ids: dict[int, str] = {}
        self.satellites: dict[int, str] = {}  # area index -> satellite device id

    def grow(self, size: int) -> None:
        """Add entities until `size` are exposed."""
        for spec in specs(size)[len(self.entities) :]:
            self._add(spec)
            self.entities.append(spec)

    def _area_id(self, area: Area) -> str:
        if area.index in self.area_ids:
            return self.area_ids[area.index]
        floors = fr.async_get(self.hass)
        name, chinese = floor_name(area.floor)
        floor = floors.async_get_floor_by_name(name) or floors.async_create(
            name, aliases={chinese}, level=area.floor
        )
        entry = ar.async_get(self.hass).async_create(
            area.name, aliases={area.alias, area.zh}, floor_id=floor.floor_id
        )
        devices = dr.async_get(self.hass)
        satellite = devices.async_get_or_create(
            config_entry_id=self.config_entry_id,
            identifiers={(PLATFORM, f"satellite-{area.index}")},
            name=f"{area.name} satellite",
        )
        devices.async_update_device(satellite.id, area_id=entry.id)
        self.area_ids[area.index] = entry.id
        self.satellites[area.index] = satellite.id
        return entry.id

    def _add(self, spec: Spec) -> None:
        area_id = self._area_id(spec.area)
        registry = er.async_get(self.hass)
        device_id = None
        if spec.kind.key == "thermostat":
            # A device in the area, its entities without an area of their own, plus diagnostics.
            devices = dr.async_get(self.hass)
            device = devices.async_get_or_create(
                config_entry_id=self.config_entry_id, identifiers={(PLATFORM, spec.entity_id)}, name=spec.name
            )
            devices.async_update_device(device.id, area_id=area_id)
            device_id = device.id
            for key, device_class, unit, value in DIAGNOSTICS:
                entry = registry.async_get_or_create(
                    "sensor",
                    PLATFORM,
                    f"{spec.entity_id}-{key}",
                    suggested_object_id=f"{slug(spec.name)}_{key}",
                    original_name=f"{spec.name} {key}",
                    device_id=device_id,
                    entity_category=EntityCategory.DIAGNOSTIC,
                )
                self.hass.states.async_set(
                    entry.entity_id,
                    value,
                    {
                        "friendly_name": f"{spec.name} {key}",
                        "device_class": device_class,
                        "unit_of_measurement": unit,
                    },
                )
                async_expose_entity(self.hass, "conversation", entry.entity_id, False)
        domain, object_id = spec.entity_id.split(".")
        entry = registry.async_get_or_create(
            domain,
            PLATFORM,
            spec.entity_id,
            suggested_object_id=object_id,
            original_name=spec.name,
            device_id=device_id,
        )
        assert entry.entity_id == spec.entity_id, entry.entity_id
        registry.async_update_entity(
            spec.entity_id,
            aliases=[er.COMPUTED_NAME, spec.alias, spec.zh],
            area_id=None if device_id else area_id,
        )
        self.hass.states.async_set(
            spec.entity_id, spec.kind.state, {"friendly_name": spec.name, **spec.kind.attributes}
        )
        async_expose_entity(self.hass, "conversation", spec.entity_id, True)


# Sentence templates per domain: (kind, English, Chinese, English by alias); SWITCHING otherwise.
SWITCHING = ("name", "{verb} the {name}", "{zh_verb}{zh}", "{verb} the {alias}")
VERBS = (("Turn on", "打开"), ("Turn off", "关掉"), ("Switch off", "关闭"))
SENSOR = ("state", "What is the {name}?", "{zh}是多少？", "What does the {alias} say?")
TEMPLATES = {
    "sensor": SENSOR,
    "binary_sensor": SENSOR,
    "cover": ("name", "Close the {name}", "关上{zh}", "Open the {alias}"),
    "climate": ("name", "Set the {name} to 21 degrees", "把{zh}调到21度", "Turn the {alias} down a bit"),
    "lock": ("state", "Is the {name} locked?", "{zh}锁了吗？", "Lock the {alias}"),
}


def sentences() -> list[dict[str, object]]:
    """Labelled sentences over the smallest home's complete areas, English and Chinese."""
    home = specs(100)
    complete = {spec.area.index for spec in home} - {home[-1].area.index}
    by_area: dict[int, list[Spec]] = {}
    for spec in home:
        if spec.area.index in complete:
            by_area.setdefault(spec.area.index, []).append(spec)
    rng = random.Random(SEED)
    result: list[dict[str, object]] = []

    def add(kind: str, lang: str, text: str, targets: list[Spec], **extra: object) -> None:
        item = {"id": len(result), "kind": kind, "lang": lang, "text": text}
        result.append(item | {"targets": [spec.entity_id for spec in targets]} | extra)

    for specs_ in by_area.values():
        area = specs_[0].area
        lights = [spec for spec in specs_ if spec.kind.domain == "light"]
        for spec in specs_:
            label, english, chinese, alias = TEMPLATES.get(spec.kind.domain, SWITCHING)
            verb, zh_verb = rng.choice(VERBS)
            words = {"name": spec.name.lower(), "alias": spec.alias.lower(), "zh": spec.zh}
            words |= {"verb": verb, "zh_verb": zh_verb}
            add(label, "en", english.format(**words), [spec])
            add(label, "zh", chinese.format(**words), [spec])
            add("alias", "en", alias.format(**words), [spec])
            if spec.kind.domain not in TEMPLATES:
                add("follow-up", "en", "Turn it off", [spec], history=[f"Turn on the {words['name']}"])
                add("follow-up", "zh", "把它关了", [spec], history=[f"打开{spec.zh}"])
        add("area", "en", f"Turn off the lights in the {area.alias.lower()}", lights)
        add("area", "zh", f"关掉{area.zh}的灯", lights)
        satellite = {"satellite_area": area.index}
        add("satellite", "en", "Turn on the lights", lights, **satellite)
        add("satellite", "zh", "开灯", lights, **satellite)
        temperature = [spec for spec in specs_ if spec.kind.key == "temperature"]
        add("satellite", "en", "How warm is it in here?", temperature, **satellite)
        add("satellite", "zh", "这里多少度？", temperature, **satellite)
        if blinds := [spec for spec in specs_ if spec.kind.key == "blinds"]:
            add("satellite", "en", "Close the blinds", blinds, **satellite)
            add("satellite", "zh", "把百叶窗关上", blinds, **satellite)
    return result
