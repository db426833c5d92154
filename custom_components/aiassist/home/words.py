"""The words people use for their devices, and how a sentence is cut into words to match names.

Latin words are lower-cased with their plural dropped ("lights" is "light"); Chinese,
Japanese and Korean runs become character bigrams (a one-character run stays whole), so
"厨房吸顶灯" matches inside "关掉厨房吸顶灯" without a word segmenter.
"""

import re

_WORD = re.compile(r"[^\W_]+")
_CJK = r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_RUNS = re.compile(f"[{_CJK}]+|[^{_CJK}]+")
_IS_CJK = re.compile(f"[{_CJK}]")

# Everyday words for kinds of device, as (domain, device class or None), in every language we
# translate. Latin entries are matched as words (plural-insensitive), CJK ones as substrings.
KIND_WORDS: dict[str, tuple[str, str | None]] = {
    # English
    "light": ("light", None), "lamp": ("light", None), "bulb": ("light", None),
    "lighting": ("light", None), "chandelier": ("light", None), "led": ("light", None),
    "switch": ("switch", None), "plug": ("switch", "outlet"), "socket": ("switch", "outlet"),
    "outlet": ("switch", "outlet"), "fan": ("fan", None), "ventilator": ("fan", None),
    "blind": ("cover", None), "shade": ("cover", None), "curtain": ("cover", None),
    "shutter": ("cover", None), "awning": ("cover", None), "garage": ("cover", "garage"),
    "gate": ("cover", "gate"), "window": ("cover", "window"), "cover": ("cover", None),
    "tv": ("media_player", "tv"), "television": ("media_player", "tv"), "telly": ("media_player", "tv"),
    "speaker": ("media_player", "speaker"), "music": ("media_player", None),
    "radio": ("media_player", None), "volume": ("media_player", None), "player": ("media_player", None),
    "heating": ("climate", None), "heater": ("climate", None), "thermostat": ("climate", None),
    "ac": ("climate", None), "aircon": ("climate", None), "air conditioning": ("climate", None),
    "hvac": ("climate", None), "radiator": ("climate", None),
    "lock": ("lock", None), "deadbolt": ("lock", None), "door": ("lock", None),
    "temperature": ("sensor", "temperature"), "warm": ("sensor", "temperature"),
    "cold": ("sensor", "temperature"), "hot": ("sensor", "temperature"), "degree": ("sensor", "temperature"),
    "humidity": ("sensor", "humidity"), "humid": ("sensor", "humidity"),
    "power": ("sensor", "power"), "energy": ("sensor", "energy"), "battery": ("sensor", "battery"),
    "motion": ("binary_sensor", "motion"), "presence": ("binary_sensor", "occupancy"),
    "occupied": ("binary_sensor", "occupancy"), "open": ("binary_sensor", "opening"),
    "leak": ("binary_sensor", "moisture"), "smoke": ("binary_sensor", "smoke"),
    "vacuum": ("vacuum", None), "hoover": ("vacuum", None), "robot": ("vacuum", None),
    "mower": ("lawn_mower", None), "humidifier": ("humidifier", None),
    "dehumidifier": ("humidifier", None), "valve": ("valve", None), "sprinkler": ("valve", None),
    "alarm": ("alarm_control_panel", None), "siren": ("siren", None), "camera": ("camera", None),
    "scene": ("scene", None), "weather": ("weather", None), "forecast": ("weather", None),
    # Simplified Chinese
    "灯": ("light", None), "台灯": ("light", None), "灯泡": ("light", None), "照明": ("light", None),
    "开关": ("switch", None), "插座": ("switch", "outlet"), "插头": ("switch", "outlet"),
    "风扇": ("fan", None), "电扇": ("fan", None), "排气扇": ("fan", None),
    "窗帘": ("cover", None), "百叶窗": ("cover", None), "卷帘": ("cover", None),
    "遮阳": ("cover", None), "车库": ("cover", "garage"), "大门": ("cover", "gate"),
    "窗": ("cover", "window"), "电视": ("media_player", "tv"), "音箱": ("media_player", "speaker"),
    "音响": ("media_player", "speaker"), "音乐": ("media_player", None), "音量": ("media_player", None),
    "暖气": ("climate", None), "空调": ("climate", None), "温控": ("climate", None),
    "地暖": ("climate", None), "锁": ("lock", None), "门": ("lock", None),
    "温度": ("sensor", "temperature"), "多少度": ("sensor", "temperature"), "冷": ("sensor", "temperature"),
    "热": ("sensor", "temperature"), "湿度": ("sensor", "humidity"), "功率": ("sensor", "power"),
    "电量": ("sensor", "battery"), "用电": ("sensor", "energy"), "有人": ("binary_sensor", "occupancy"),
    "人体": ("binary_sensor", "motion"), "漏水": ("binary_sensor", "moisture"),
    "烟雾": ("binary_sensor", "smoke"), "扫地": ("vacuum", None), "吸尘": ("vacuum", None),
    "割草": ("lawn_mower", None), "加湿": ("humidifier", None), "除湿": ("humidifier", None),
    "阀": ("valve", None), "警报": ("alarm_control_panel", None), "报警": ("alarm_control_panel", None),
    "摄像": ("camera", None), "场景": ("scene", None), "天气": ("weather", None),
}  # fmt: skip

# Words that speak of more than one kind: "the temperature" is a sensor's or a thermostat's.
_ALSO: dict[str, tuple[tuple[str, str | None], ...]] = {
    "temperature": (("climate", None),), "warm": (("climate", None),), "cold": (("climate", None),),
    "hot": (("climate", None),), "degree": (("climate", None),), "温度": (("climate", None),),
    "多少度": (("climate", None),), "冷": (("climate", None),), "热": (("climate", None),),
    "door": (("binary_sensor", "door"), ("cover", "door")),
    "门": (("binary_sensor", "door"), ("cover", "door")),
    "window": (("binary_sensor", "window"),), "窗": (("binary_sensor", "window"),),
    "garage": (("binary_sensor", "garage_door"),), "车库": (("binary_sensor", "garage_door"),),
    "humidity": (("humidifier", None),), "湿度": (("humidifier", None),),
    "play": (("media_player", None),), "pause": (("media_player", None),), "song": (("media_player", None),),
    "track": (("media_player", None),), "播放": (("media_player", None),), "暂停": (("media_player", None),),
}  # fmt: skip

# Words that say "every one of them", so a kind of device is meant in the whole home.
EVERYWHERE = frozenset({"all", "every", "everything", "house", "home", "所有", "全部", "全屋", "家里"})


def stem(word: str) -> str:
    """The word without its English plural: lights, batteries, switches."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def words(text: str) -> list[str]:
    """The words of `text` to match: stems for Latin runs, bigrams for CJK runs."""
    found: list[str] = []
    for run in _WORD.findall(text.lower()):
        for part in _RUNS.findall(run):
            if not _IS_CJK.match(part):
                found.append(stem(part))
            elif len(part) == 1:
                found.append(part)
            else:
                found.extend(part[i : i + 2] for i in range(len(part) - 1))
    return found


def is_cjk(text: str) -> bool:
    """Whether the text has Chinese, Japanese or Korean characters."""
    return bool(_IS_CJK.search(text))


_ALL_KINDS = {word: (kind, *_ALSO.get(word, ())) for word, kind in KIND_WORDS.items()} | {
    word: kinds for word, kinds in _ALSO.items() if word not in KIND_WORDS
}
_LATIN_KINDS = {
    tuple(stem(part) for part in word.split()): kinds
    for word, kinds in _ALL_KINDS.items()
    if not is_cjk(word)
}
_CJK_KINDS = {word: kinds for word, kinds in _ALL_KINDS.items() if is_cjk(word)}


# The words of the kinds: saying only these names a kind of device, not one device.
KIND_TOKENS = frozenset(token for word in _ALL_KINDS for token in words(word))


def kinds_in(text: str, said: set[str]) -> set[tuple[str, str | None]]:
    """The kinds of device a sentence speaks of; `said` is `set(words(text))`."""
    found = {
        kind
        for phrase, kinds in _LATIN_KINDS.items()
        if all(word in said for word in phrase)
        for kind in kinds
    }
    if is_cjk(text):
        found.update(kind for word, kinds in _CJK_KINDS.items() if word in text for kind in kinds)
    return found


def says_everywhere(text: str, said: set[str]) -> bool:
    """Whether the sentence speaks of the whole home ("all the lights", "所有的灯")."""
    return bool(said & EVERYWHERE) or any(word in text for word in EVERYWHERE if is_cjk(word))
