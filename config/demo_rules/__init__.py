"""The demo model's rules: what it answers to a chat request, and its embeddings.

`respond` reads a request into a Turn and asks each rule in order; the first that has something
to say (words or tool calls) answers. A rule sees the results of the tools it called earlier in
the turn, so it is asked again after each round and then speaks about them.
"""

from __future__ import annotations

import re
from typing import Any

from .devices import control_devices, device_state
from .embeddings import DEFAULT_DIMENSIONS, embed
from .everyday import add_to_list, date_and_time, start_timer, weather
from .memory import cook, forget, learn, recall, remember
from .reminders import reminders
from .turn import Call, Reply, Turn, read_turn

__all__ = ["DEFAULT_DIMENSIONS", "RULES", "Call", "Reply", "embed", "respond"]

# First match wins: memory first ("remember that the kitchen light is broken"), reminders before
# remember ("remember to take the bins out at 8"), devices last
# ("is it going to rain on Saturday?" is about the weather, not a device that is on).
RULES = (
    learn,
    forget,
    recall,
    cook,
    reminders,
    remember,
    weather,
    date_and_time,
    add_to_list,
    start_timer,
    device_state,
    control_devices,
)

_GREETING = re.compile(
    r"^(?:hi|hello|hey|good (?:morning|afternoon|evening))\b|^(?:你好|您好|嗨)", re.IGNORECASE
)


def respond(body: dict[str, Any]) -> Reply:
    """The answer to a chat completions request body."""
    turn = read_turn(body)
    for rule in RULES:
        if (reply := rule(turn)) is not None:
            return reply
    return demo_help(turn)


def demo_help(turn: Turn) -> Reply:
    """Anything else: say what this is, and three things to try."""
    greeted = _GREETING.search(turn.said)
    hello = f"Hello{f' {turn.speaker}' if turn.speaker else ''}! " if greeted else ""
    hello_zh = f"你好{turn.speaker or ''}！" if greeted else ""
    return turn.say(
        f"{hello}I'm the demo model: a few rules, not a real AI. Try: turn on the kitchen light; "
        "remember that I am vegetarian; what should I cook tonight?",
        f"{hello_zh}我是演示模型：只有几条规则，不是真正的 AI。"
        "试试说：打开厨房的灯；记住我是素食者；今晚做什么菜？",
    )
