"""Device rules: turn devices on and off, and say their state.

The model knows the home as AI Assist shows it: the devices that may matter in the request's
context block, one per line ("- Kitchen Ceiling Light, Big light | light | Kitchen | on"), the
same lines in find_devices' answers, and the satellite's area in the context block ("You are in
area Kitchen and all generic commands ..."). Home Assistant's own YAML overview ("- names: ... /
domain: light / areas: Kitchen"), which other agents put in the system prompt and in
GetLiveContext's answers, is read too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import re
from typing import Any

from .turn import Outcome, Reply, Turn
from .words import join, overlap, similar, tokens

CONTROLLABLE = frozenset({
    "light", "switch", "fan", "cover", "media_player", "climate", "lock", "input_boolean", "valve",
    "humidifier", "vacuum", "siren",
})  # fmt: skip
DOMAIN_WORDS = {
    "light": "light", "lamp": "light", "bulb": "light", "fan": "fan", "switch": "switch", "plug": "switch",
    "socket": "switch", "outlet": "switch", "tv": "media_player", "television": "media_player",
    "blind": "cover", "shade": "cover", "curtain": "cover", "shutter": "cover",
}  # fmt: skip
# Chinese words the rules understand, as the English words they match.
CHINESE_WORDS = {
    "厨房": "kitchen", "客厅": "living room", "卧室": "bedroom", "浴室": "bathroom", "卫生间": "bathroom",
    "车库": "garage", "餐厅": "dining room", "书房": "office", "花园": "garden", "台灯": "lamp",
    "吊灯": "ceiling light", "灯": "light", "风扇": "fan", "插座": "plug", "电视": "tv", "窗帘": "curtain",
    "所有": "all", "全部": "all", "购物": "shopping",
}  # fmt: skip
_EVERYTHING = {"all", "everything", "every"}
_STATE_WORDS = {"on": "开着", "off": "关着", "open": "开着", "closed": "关着", "unknown": "状态未知"}


@dataclass
class Entity:
    """An exposed entity as the Assist API describes it."""

    names: list[str]
    domain: str = ""
    areas: list[str] = field(default_factory=list)
    state: str | None = None
    attributes: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """Its name (the first of its names; the others are aliases)."""
        return self.names[0]


def _scalar(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1].replace("''", "'")
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


_LINE = re.compile(
    r"^- (?P<names>[^|\n]+) \| (?P<kind>[^|\n]*) \| (?P<area>[^|\n]*) \| (?P<state>[^\n]*)$", re.MULTILINE
)
# The tools that say devices' states: AI Assist's, and Home Assistant's own.
LIVE_TOOLS = ("find_devices", "GetLiveContext")


def entities_in(text: str) -> list[Entity]:
    """Read AI Assist's device lines, then the entities of Home Assistant's YAML overview."""
    found = [
        Entity(
            names=[name.strip() for name in line["names"].split(",") if name.strip()],
            domain=line["kind"].split(" ")[0],
            areas=[line["area"].strip()] if line["area"].strip() else [],
            state=line["state"].split(",")[0].strip() or None,
        )
        for line in _LINE.finditer(text)
    ]
    fields: dict[str, Any] = {}
    last = ""

    def flush() -> None:
        if fields.get("names"):
            attributes = fields.get("attributes")
            found.append(
                Entity(
                    names=[name.strip() for name in str(fields["names"]).split(",") if name.strip()],
                    domain=str(fields.get("domain", "")),
                    areas=[area.strip() for area in str(fields.get("areas", "")).split(",") if area.strip()],
                    state=fields.get("state"),
                    attributes=attributes if isinstance(attributes, dict) else {},
                )
            )

    for line in text.splitlines():
        if item := re.match(r"^- (\w+):\s*(.*)$", line):
            flush()
            fields, last = {item[1]: _scalar(item[2])}, item[1]
        elif not fields or not line.startswith("  "):
            flush()
            fields = {}
        elif key := re.match(r"^  (\w+):\s*(.*)$", line):
            last = key[1]
            fields[last] = _scalar(key[2]) if key[2].strip() else {}
        elif isinstance(fields.get(last), dict) and (sub := re.match(r"^    (\w+):\s*(.*)$", line)):
            fields[last][sub[1]] = _scalar(sub[2])
        elif isinstance(fields.get(last), str):  # a long value, wrapped
            fields[last] = f"{fields[last]} {_scalar(line)}"
    flush()
    return found


def live_text(outcome: Outcome) -> str:
    """The devices a live tool answered with, as text."""
    if outcome.failed or not isinstance(outcome.data, dict):
        return ""
    return "\n".join(outcome.data.get("devices", [])) or str(outcome.data.get("result", ""))


def live_outcome(turn: Turn) -> Outcome | None:
    """The latest answer of a live tool in this turn."""
    return next((outcome for name in LIVE_TOOLS if (outcome := turn.outcome(name))), None)


def live_tool(turn: Turn) -> str | None:
    """The offered tool that says devices' states."""
    return next((tool for name in LIVE_TOOLS if (tool := turn.tool(name))), None)


def known_entities(turn: Turn) -> list[Entity]:
    """The devices of the prompt and the request, updated by what live tools answered in this turn."""
    known = {(e.name, e.domain): e for e in entities_in(f"{turn.system}\n{turn.situation}")}
    for name in LIVE_TOOLS:
        for outcome in turn.outcomes_of(name):
            known.update({(e.name, e.domain): e for e in entities_in(live_text(outcome))})
    return list(known.values())


def english(text: str) -> str:
    """The Chinese words the rules know, replaced by English ones."""
    for word in sorted(CHINESE_WORDS, key=len, reverse=True):
        text = text.replace(word, f" {CHINESE_WORDS[word]} ")
    return text


def _area_named(turn: Turn, phrase: str, entities: list[Entity]) -> str | None:
    """The area the request names: 'in the living room', '厨房'."""
    areas = {area for entity in entities for area in entity.areas} | ({turn.area} if turn.area else set())
    said = tokens(phrase)
    for area in sorted(areas, key=len, reverse=True):
        wanted = tokens(area)
        if area in turn.said or (wanted and all(any(similar(w, s) for s in said) for w in wanted)):
            return area
    return None


def best_match(entities: list[Entity], said: list[str], here: str | None) -> Entity | list[Entity] | None:
    """The entity whose names fit the words best; a list when several fit equally well."""
    scored = [(max(overlap(said, tokens(name)) for name in e.names), e) for e in entities]
    top = max((score for score, _ in scored), default=0.0)
    if top <= 0:
        return None
    tied = [e for score, e in scored if score == top]
    if len(tied) > 1 and here:
        tied = [e for e in tied if here in e.areas] or tied
    return tied[0] if len(tied) == 1 else tied


def _unknown_words(words: list[str], entities: list[Entity]) -> bool:
    """Whether some of the words are in no name or area at all."""
    known = {word for e in entities for name in e.names + e.areas for word in tokens(name)}
    return any(not any(similar(w, k) for k in known) for w in words if w not in DOMAIN_WORDS)


def _target(turn: Turn, phrase: str, plural: bool) -> dict[str, Any] | Reply:
    """The intent slots for the devices a phrase means, or a question when it is unclear.

    'the kitchen light' -> the one light in the area Kitchen, by name; 'the lamp' -> the entity
    whose names fit best; 'the lights' -> the lights of the area named, or of the satellite's.
    """
    words = tokens(phrase)
    domain = next((DOMAIN_WORDS[w] for w in words if w in DOMAIN_WORDS), None)
    by_domain = {"domain": [domain]} if domain else {}
    entities = [e for e in known_entities(turn) if e.domain in CONTROLLABLE]
    if not entities:  # nothing known about the home: pass on what was said
        name = " ".join(w for w in words if w not in _EVERYTHING)
        if turn.area and (plural or not name or name in DOMAIN_WORDS):
            return {"area": turn.area, **by_domain}
        return {"name": name.title(), **by_domain} if name else by_domain
    pool = [e for e in entities if domain is None or e.domain == domain]
    area = _area_named(turn, phrase, entities)
    if area:
        pool = [e for e in pool if area in e.areas]
        words = [w for w in words if w not in tokens(area)]
    if not plural and words:
        best = best_match(pool, words, turn.area)
        if isinstance(best, Entity):
            return {"name": best.name, "domain": [best.domain]}
        if best and _unknown_words(words, entities):  # "the bedroom light", and there is no bedroom
            best = None
        if best and not (area and all(w in DOMAIN_WORDS for w in words)):
            names = join([e.name for e in best], turn.chinese, alternative=True)
            return turn.say(f"Which one do you mean: {names}?", f"你指的是哪一个：{names}？")
        if not best and not area:
            return turn.say(
                f"I don't know a device called {phrase.strip()}. I know {join([e.name for e in entities])}.",
                f"我不知道叫{phrase.strip()}的设备。我知道这些：{join([e.name for e in entities], True)}。",
            )
    if len(pool) == 1:
        return {"name": pool[0].name, "domain": [pool[0].domain]}
    if where := area or turn.area:
        return {"area": where, **by_domain}
    rooms = sorted({area for e in pool for area in e.areas})
    if len(rooms) > 1 and not _EVERYTHING & set(words):
        rooms_said = join(rooms, turn.chinese, alternative=True)
        return turn.say(f"In which room: {rooms_said}?", f"在哪个房间：{rooms_said}？")
    return by_domain or {"name": phrase.strip()}


_SWITCH_EN = re.compile(r"\b(?:turn|switch|power)\b(.*?)\b(on|off)\b(.*)", re.IGNORECASE)
_SWITCH_ZH = re.compile(r"(关掉|关闭|关上|关|打开|开启|开)")


def control_devices(turn: Turn) -> Reply | None:
    """Turn devices on or off with HassTurnOn / HassTurnOff."""
    if found := _SWITCH_EN.search(turn.said):
        on, phrase = found[2].lower() == "on", f"{found[1]} {found[3]}"
        plural = bool(re.search(r"\b(?:lights|lamps|all|everything|devices)\b", turn.said, re.IGNORECASE))
    elif found := _SWITCH_ZH.search(turn.said):
        on, phrase = found[1].startswith(("打", "开")), english(_SWITCH_ZH.sub("", turn.said, count=1))
        plural = bool(re.search("所有|全部|都", turn.said))
    else:
        return None
    if not tokens(phrase):  # "turn it on": nothing to go by
        return None
    intent = "HassTurnOn" if on else "HassTurnOff"
    if outcome := turn.outcome(intent):
        return _switched(turn, outcome, on)
    if not (tool := turn.tool(intent)):
        return None
    if not known_entities(turn) and (live := live_tool(turn)) and not turn.outcomes:
        # No overview in the prompt: look the devices up first.
        domains = [DOMAIN_WORDS[w] for w in tokens(phrase) if w in DOMAIN_WORDS]
        return turn.call(live, **({"domain": domains[0]} if domains else {}))
    target = _target(turn, phrase, plural)
    return target if isinstance(target, Reply) else turn.call(tool, **target)


def _switched(turn: Turn, outcome: Outcome, on: bool) -> Reply:
    what = outcome.arguments.get("name") or outcome.arguments.get("area") or "that"
    en, zh = ("on", "打开") if on else ("off", "关闭")
    if outcome.failed:
        return turn.say(
            f"Sorry, I couldn't turn {en} {what}: {outcome.error}.",
            f"抱歉，没能{zh}{what}：{outcome.error}。",
        )
    results = outcome.data.get("data", {}) if isinstance(outcome.data, dict) else {}
    names = [t["name"] for t in results.get("success", []) if t.get("type") == "entity"] or [what]
    failed = [t["name"] for t in results.get("failed", [])]
    text = f"Done: I turned {en} {join([f'the {n}' for n in names])}."
    text_zh = f"好的，已{zh}{join(names, True)}。"
    if failed:
        text += f" {join(failed)} did not respond."
        text_zh += f"{join(failed, True)}没有响应。"
    return turn.say(text, text_zh)


_STATE_EN = re.compile(r"^(?:is|are)\s+(.+?)\s+(?:turned\s+)?(?:on|off|open|closed)\b(.*)", re.IGNORECASE)
_STATE_ZH = re.compile(r"(.+?)(?:是)?(?:开着|关着|亮着|开了|关了)")


def device_state(turn: Turn) -> Reply | None:
    """'Is the kitchen light on?': GetLiveContext for the devices meant, then their states."""
    if found := _STATE_EN.search(turn.said):
        phrase = f"{found[1]} {found[2]}"
        plural = bool(re.search(r"\b(?:lights|lamps|all)\b", phrase, re.IGNORECASE))
    elif (found := _STATE_ZH.search(turn.said)) and re.search("吗|没|？|\\?", turn.said):
        phrase, plural = english(found[1]), bool(re.search("所有|全部|都", turn.said))
    else:
        return None
    if outcome := live_outcome(turn):
        if outcome.failed:
            return turn.say(f"I couldn't find that: {outcome.error}.", f"我没找到：{outcome.error}。")
        states = [(e.name, e.state or "unknown") for e in entities_in(live_text(outcome))]
        return turn.say(
            join([f"{name} is {state}" for name, state in states]) + ".",
            "，".join(f"{name}现在{_STATE_WORDS.get(state, state)}" for name, state in states) + "。",
        )
    if not (tool := live_tool(turn)):
        return None
    target = _target(turn, phrase, plural)
    return target if isinstance(target, Reply) else turn.call(tool, **target)
