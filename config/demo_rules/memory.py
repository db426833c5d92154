"""Memory rules: remember, say what is remembered, forget, and dinner ideas that fit the memories.

AI Assist puts the memories relevant to a request in its context block ("- [id] (Anna) Anna is
vegetarian") and offers the tools aiassist__remember, aiassist__search_memories and
aiassist__forget. When the context holds nothing useful, the rules search before answering.
"""

from __future__ import annotations

import json
import re

from .turn import Memory, Outcome, Reply, Turn
from .words import tokens

REMEMBER, SEARCH, FORGET = "aiassist__remember", "aiassist__search_memories", "aiassist__forget"

_REMEMBER_EN = re.compile(
    r"^(?:please\s+)?(?:remember|note|keep in mind|don't forget)\s+(?:that\s+)?(?P<fact>.+)$", re.IGNORECASE
)
_REMEMBER_ZH = re.compile(r"^(?:请)?(?:记住|记得|记一下)[，,：:\s]*(?P<fact>.+)$")
# Lasting things people say about themselves without "remember".
_STATEMENT_EN = re.compile(
    r"^(?:i am|i'm|im|i (?:really )?(?:like|love|hate|prefer|dislike|enjoy|don't like|don't eat|can't eat"
    r"|never eat|work|live)|my \w+(?: \w+)? (?:is|are)|we (?:always|usually|never|often) \w+"
    r"|our \w+(?: \w+)? (?:is|are))\b",
    re.IGNORECASE,
)
_STATEMENT_ZH = re.compile(r"^我(?:是|喜欢|不喜欢|讨厌|爱吃|不吃|对.+过敏|住在|在.+工作)")
_PASSING = frozenset({
    "hungry", "tired", "bored", "back", "home", "here", "ready", "done", "fine", "ok", "okay", "good",
    "great", "sorry", "sure", "cold", "hot", "busy", "late", "awake", "sleepy", "leaving", "going", "off",
    "just", "not", "so", "very",
})  # fmt: skip
_HOUSEHOLD = re.compile(
    r"^(?:we|our|the family|everyone|everybody|the household)\b|^(?:我们|我家|全家|家里)", re.IGNORECASE
)
_REMINDER = re.compile(r"^(?:please\s+)?(?:remember|remind me|don't forget)\s+to\b", re.IGNORECASE)
_FIRST_PERSON = (
    (r"^(?:i am|i'm|im)\b", "{name} is"),
    (r"^i was\b", "{name} was"),
    (r"^(?:i have|i've)\b", "{name} has"),
    (r"^i (?:don't|do not)\b", "{name} doesn't"),
    (r"^i (?:can't|cannot)\b", "{name} can't"),
    (r"^my\b", "{name}'s"),
)


def _third_person(verb: str) -> str:
    """Like -> likes, watch -> watches, study -> studies."""
    if verb in ("have", "do", "go"):
        return {"have": "has", "do": "does", "go": "goes"}[verb]
    if verb.endswith(("s", "sh", "ch", "x", "z", "o")):
        return f"{verb}es"
    if verb.endswith("y") and verb[-2:-1] not in "aeiou":
        return f"{verb[:-1]}ies"
    return f"{verb}s"


def as_memory(fact: str, name: str | None) -> tuple[str, str]:
    """The sentence to save and whom it is about: 'I am vegetarian' -> ('Anna is vegetarian', 'speaker')."""
    fact = fact.strip().rstrip(".!。！")
    if _HOUSEHOLD.search(fact):
        return fact[:1].upper() + fact[1:], "household"
    if not name:
        return fact[:1].upper() + fact[1:], "speaker"
    if fact.startswith("我"):
        return name + fact[1:].replace("我的", f"{name}的"), "speaker"
    for pattern, replacement in _FIRST_PERSON:
        if re.match(pattern, fact, re.IGNORECASE):
            fact = re.sub(pattern, replacement.format(name=name), fact, count=1, flags=re.IGNORECASE)
            break
    else:
        if found := re.match(r"^i (?:(really|never|always|usually) )?(\w+)\b", fact, re.IGNORECASE):
            adverb = f"{found[1]} " if found[1] else ""
            fact = f"{name} {adverb}{_third_person(found[2].lower())}{fact[found.end() :]}"
    fact = re.sub(r"\bmy\b", "their", fact, flags=re.IGNORECASE)
    return fact[:1].upper() + fact[1:], "speaker"


def _kind(text: str) -> str:
    """The memory's kind, from its words: routine, preference, relationship, or else fact."""
    if re.search(
        r"\b(?:every|always|usually|each|daily|weekly|at \d)|每天|每周|总是|通常", text, re.IGNORECASE
    ):
        return "routine"
    if re.search(
        r"\b(?:like|love|hate|prefer|favou?rite|dislike|enjoy|vegetarian|vegan|gluten|eat)|喜欢|讨厌|最爱|素|不吃",
        text,
        re.IGNORECASE,
    ):
        return "preference"
    if re.search(
        r"\b(?:wife|husband|partner|son|daughter|mother|father|mom|mum|dad|brother|sister|friend|married"
        r"|children)\b|妻子|老婆|丈夫|老公|儿子|女儿|妈妈|爸爸|朋友|孩子",
        text,
        re.IGNORECASE,
    ):
        return "relationship"
    return "fact"


def _fact(turn: Turn) -> str | None:
    """What the person asked to remember, or a lasting thing they said about themselves."""
    if found := _REMEMBER_EN.match(turn.said) or _REMEMBER_ZH.match(turn.said):
        return found["fact"]
    if _STATEMENT_EN.match(turn.said):
        rest = re.sub(r"^(?:i am|i'm|im)\s+", "", turn.said, flags=re.IGNORECASE).rstrip(".!")
        first = rest.split()[0] if rest.split() else ""
        if rest == turn.speaker or (rest[:1].isupper() and " " not in rest) or first.lower() in _PASSING:
            return None  # "I'm Anna", "I'm hungry": not a memory
        return turn.said
    if _STATEMENT_ZH.match(turn.said) and turn.said.removeprefix("我是").rstrip("。！") != turn.speaker:
        return turn.said
    return None


def remember(turn: Turn) -> Reply | None:
    """'Remember that I am vegetarian', 'I'm vegetarian', '记住我是素食者': aiassist__remember."""
    if _REMINDER.match(turn.said):  # "remember to turn off the lights" is not a memory, nor a command
        return turn.say(
            "I can't set reminders. Try a timer instead, or tell me something to remember about you.",
            "我还不能设置提醒。可以试试计时器，或者告诉我一些关于你的事情让我记住。",
        )
    if not (fact := _fact(turn)):
        return None
    if outcome := turn.outcome(REMEMBER):
        return _remembered(turn, outcome)
    if not (tool := turn.tool(REMEMBER)):
        return None
    text, about = as_memory(fact, turn.speaker)
    return turn.call(tool, text=text, about=about, kind=_kind(text))


def _remembered(turn: Turn, outcome: Outcome) -> Reply:
    if outcome.failed and "unknown" in outcome.error.lower():
        return turn.say(
            "I don't know who you are yet, so I can't save that for you. Tell me your name, like: it's Anna.",
            "我还不知道你是谁，所以没法帮你记住。请告诉我你的名字，比如：我是小明。",
        )
    if outcome.failed:
        return turn.say(
            f"Sorry, I couldn't save that: {outcome.error}.", f"抱歉，没能记住：{outcome.error}。"
        )
    data = outcome.data if isinstance(outcome.data, dict) else {}
    saved = data.get("updated") or data.get("saved") or {}
    text = str(saved.get("text") or outcome.arguments.get("text", "")).rstrip(".")
    # "The family eats ..." goes on mid-sentence; "Anna is ..." keeps its capital.
    inline = re.sub(r"^(The|Our|We|Everyone|Everybody)\b", lambda m: m[1].lower(), text)
    if "updated" in data:
        return turn.say(f"Got it, I updated what I remember: {text}.", f"好的，我更新了记忆：{text}。")
    return turn.say(f"Got it, I'll remember that {inline}.", f"好的，我记住了：{text}。")


_RECALL = re.compile(
    r"\bwhat do you (?:remember|know) about (?:me|us|my family|the family)\b|\bwhat do you remember\b"
    r"|你(?:还)?(?:记得|知道)(?:关于)?我(?:们)?(?:的)?(?:什么|哪些)|你记得什么",
    re.IGNORECASE,
)


def recall(turn: Turn) -> Reply | None:
    """'What do you remember about me?': the memories in the context, after a search if there are none."""
    if not _RECALL.search(turn.said):
        return None
    memories = turn.memories
    if not memories and not turn.outcome(SEARCH) and (tool := turn.tool(SEARCH)):
        return turn.call(tool, query=turn.speaker or turn.said)
    if not memories:
        return turn.say(
            "I don't remember anything about you yet. "
            "Tell me something, like: remember that I am vegetarian.",
            "我还没有关于你的记忆。你可以说：记住我是素食者。",
        )
    texts = [m.text.rstrip(".。") for m in memories[:6]]
    more = len(memories) - len(texts)
    return turn.say(
        "Here is what I remember: " + ". ".join(texts) + (f". And {more} more." if more > 0 else "."),
        "我记得这些：" + "；".join(texts) + (f"；还有{more}条。" if more > 0 else "。"),
    )


_FORGET = re.compile(
    r"^(?:please\s+)?forget\s+(?:that\s+|about\s+)?(?P<what>.+)$|^(?:请)?(?:忘记|忘掉|忘了|删除)(?:关于)?(?P<zh>.+)$",
    re.IGNORECASE,
)


def _terms(text: str) -> set[str]:
    return set(tokens(text)) | {char for char in text if "\u4e00" <= char <= "\u9fff"}


def _closest(memories: list[Memory], said: str, speaker: str | None) -> Memory | None:
    """The memory that shares the most words (or, in Chinese, characters) with what was said.

    The speaker's name is in all their memories, so it does not count.
    """
    words = _terms(said) - _terms(speaker or "")
    scored = [(len(words & _terms(m.text)), m) for m in memories]
    score, best = max(scored, key=lambda item: item[0], default=(0, None))
    return best if score > 0 else None


def forget(turn: Turn) -> Reply | None:
    """'Forget that I hate coriander': aiassist__forget with the id of the memory meant."""
    if not (found := _FORGET.match(turn.said)):
        return None
    if outcome := turn.outcome(FORGET):
        if outcome.failed:
            return turn.say("I couldn't find that memory.", "我找不到这条记忆。")
        forgotten = outcome.data.get("forgotten", "") if isinstance(outcome.data, dict) else ""
        return turn.say(f"Okay, I've forgotten that {forgotten}.", f"好的，我已经忘记：{forgotten}。")
    if not (tool := turn.tool(FORGET)):
        return None
    what, _about = as_memory(found["what"] or found["zh"], turn.speaker)
    if memory := _closest(turn.memories, what, turn.speaker):
        return turn.call(tool, memory_id=memory.id)
    if not turn.outcome(SEARCH) and (search := turn.tool(SEARCH)):
        return turn.call(search, query=what)
    return turn.say("I don't remember anything like that.", "我不记得有这样的事。")


_COOK = re.compile(
    r"\bwhat (?:should|shall|can|could) (?:i|we) (?:cook|make|eat|have)\b"
    r"|\bwhat(?:'s| is) for (?:dinner|lunch|supper)\b"
    r"|\bdinner ideas?\b|\brecipe\b|\bwhat to cook\b|做什么菜|做什么饭|吃什么|晚饭|晚餐|午饭|菜谱|食谱",
    re.IGNORECASE,
)
# Looked for when the context recalled nothing about food.
_DIET_QUERY = "vegetarian vegan gluten allergic allergy dislikes hates diet food 素食 过敏 不吃 讨厌 不喜欢"
# What a diet rules out.
_DIETS = {
    r"\bvegan|纯素|严格素食": {"meat", "fish", "shellfish", "dairy", "egg"},
    r"vegetarian|doesn't eat meat|does not eat meat|素食|吃素|不吃肉": {"meat", "fish", "shellfish"},
    r"gluten|c(?:o)?eliac|麸质": {"gluten"},
    r"lactose|dairy-free|乳糖": {"dairy"},
}
_AVOIDING = re.compile(
    r"allerg|hate|dislike|doesn't like|does not like|can't stand|doesn't eat|过敏|不喜欢|讨厌|不吃"
)
_INGREDIENTS = {
    "nut": r"nut|peanut|almond|cashew|walnut|花生|坚果|核桃",
    "mushroom": r"mushroom|蘑菇",
    "fish": r"\bfish|salmon|tuna|鱼",
    "shellfish": r"shellfish|shrimp|prawn|crab|虾|蟹|海鲜",
    "egg": r"\beggs?\b|鸡蛋",
    "dairy": r"dairy|cheese|milk|lactose|奶",
    "tomato": r"tomato|番茄|西红柿",
    "meat": r"meat|beef|pork|chicken|肉",
    "gluten": r"gluten|wheat|小麦|麸质",
}
# (English, Chinese, ingredients); the first dish that fits is suggested.
_DISHES = (
    ("spaghetti bolognese", "意大利肉酱面", {"meat", "gluten", "tomato"}),
    ("a vegetable lasagna", "蔬菜千层面", {"gluten", "dairy", "tomato"}),
    ("a mushroom risotto", "蘑菇烩饭", {"mushroom", "dairy"}),
    ("a chickpea and spinach curry with rice", "鹰嘴豆菠菜咖喱饭", {"tomato"}),
    ("a roast chicken with potatoes", "烤鸡配土豆", {"meat"}),
    ("a lentil soup with rice", "扁豆汤配米饭", set()),
)


def _constraints(memories: list[Memory]) -> tuple[set[str], list[str]]:
    """The ingredients the memories rule out, and the memories that said so."""
    avoid: set[str] = set()
    reasons: list[str] = []
    for memory in memories:
        ruled_out = set().union(
            *(ruled for diet, ruled in _DIETS.items() if re.search(diet, memory.text, re.I))
        )
        if _AVOIDING.search(memory.text.lower()):
            ruled_out |= {
                name for name, pattern in _INGREDIENTS.items() if re.search(pattern, memory.text, re.I)
            }
        if ruled_out:
            avoid |= ruled_out
            reasons.append(memory.text.rstrip(".。"))
    return avoid, reasons


def cook(turn: Turn) -> Reply | None:
    """'What should I cook tonight?': a dish that fits the diets, allergies and dislikes remembered."""
    if not _COOK.search(turn.said):
        return None
    avoid, reasons = _constraints(turn.memories)
    if not reasons and not turn.outcome(SEARCH) and (tool := turn.tool(SEARCH)):
        return turn.call(tool, query=_DIET_QUERY)
    english, chinese, _ = next((dish for dish in _DISHES if not dish[2] & avoid), _DISHES[-1])
    if not reasons:
        return turn.say(
            f"How about {english} tonight? Tell me about any diets or allergies and I'll keep them in mind.",
            f"今晚做{chinese}怎么样？如果有忌口或过敏，告诉我，我会记住。",
        )
    return turn.say(
        f"How about {english} tonight? It suits what I remember: {'; '.join(reasons)}.",
        f"今晚做{chinese}怎么样？这符合我记得的：{'；'.join(reasons)}。",
    )


_TRANSCRIPT_LINE = re.compile(r"^(?P<who>[^:\n]+): (?P<said>.+)$", re.MULTILINE)


def learn(turn: Turn) -> Reply | None:
    """AI Assist's learning call (a transcript, JSON asked for): the lasting things people said."""
    if '{"memories": [' not in turn.system:
        return None
    found: list[dict[str, str]] = []
    for line in _TRANSCRIPT_LINE.finditer(turn.written):
        if line["who"] == "Assistant":
            continue
        name = None if line["who"].startswith("a member of") else line["who"]
        said = Turn(said=line["said"], situation=f"The person speaking is {name}." if name else "")
        if fact := _fact(said):
            text, about = as_memory(fact, name)
            found.append({"text": text, "about": about, "kind": _kind(text)})
    return Reply(text=json.dumps({"memories": found}, ensure_ascii=False))
