"""Embeddings without a model: hand-made concepts, then hashed words.

A text counts the concepts its words belong to (food, diet, light, weather, family, ... named in
English and Chinese below), and each of its words again in a few signed hashed dimensions. So
"What should I cook?" lands near "Anna is vegetarian" (both food) and away from "Anna works at the
hospital" (work), while different sentences about one concept stay apart (their words differ).
The vector is L2-normalised and deterministic.
"""

from __future__ import annotations

import hashlib
import math
import re

from .words import STOPWORDS

DEFAULT_DIMENSIONS = 256
WORD_WEIGHT = 1.0
# Concept -> (English words, Chinese words); a word may belong to several concepts.
CONCEPTS: dict[str, tuple[str, str]] = {
    "food": (
        "food eat ate meal dinner lunch breakfast supper cook recipe dish menu hungry bake snack kitchen "
        "vegetable meat fish chicken beef pork cheese milk egg bread rice pasta pizza lasagna risotto salad "
        "soup curry tofu vegetarian vegan gluten dessert cake",
        "吃 饭 菜 做饭 烹饪 食谱 菜谱 晚饭 晚餐 午饭 早餐 饿 肉 鱼 鸡 牛奶 鸡蛋 面包 米饭 面条 豆腐 "
        "蔬菜 素 甜点 蛋糕",
    ),
    "diet": (
        "diet vegetarian vegan gluten coeliac celiac lactose dairy allergic allergy intolerant intolerance "
        "kosher halal keto meat nut peanut shellfish healthy",
        "素食 吃素 纯素 过敏 麸质 乳糖 忌口 饮食 花生 海鲜",
    ),
    "taste": (
        "like love hate favourite favorite prefer dislike enjoy fan",
        "喜欢 讨厌 最爱 爱吃 不喜欢 偏好",
    ),
    "light": ("light lamp bright brightness dim dark bulb lighting", "灯 亮 暗 灯光 台灯"),
    "power": ("turn switch power on off plug", "打开 关闭 开 关 插座"),
    "weather": (
        "weather rain rainy umbrella sunny sun cloud cloudy snow wind windy forecast storm outside",
        "天气 雨 下雨 雨伞 晴 云 雪 风 预报 外面",
    ),
    "climate": (
        "temperature heating heat thermostat warm cold hot cool degree",
        "温度 气温 暖气 空调 冷 热 度",
    ),
    "family": (
        "family wife husband partner son daughter mother mom mum father dad brother sister child "
        "children kid parent grandma grandpa baby married",
        "家人 家庭 妻子 老婆 丈夫 老公 儿子 女儿 妈妈 爸爸 孩子 哥哥 姐姐 弟弟 妹妹 结婚",
    ),
    "identity": ("name called named nickname birthday born age old", "名字 叫 生日 岁"),
    "work": (
        "work job office hospital doctor nurse teacher school company colleague boss shift career",
        "工作 上班 医院 医生 护士 公司 学校 老师 同事",
    ),
    "place": ("live house home city address moved town street country", "住 家 城市 地址 搬 国家"),
    "routine": (
        "morning evening night tonight today tomorrow daily weekday weekend wake sleep bedtime alarm "
        "always usually every",
        "早上 晚上 今晚 今天 明天 每天 周末 起床 睡觉 总是",
    ),
    "timer": ("timer minute second hour countdown remind reminder", "计时 定时 分钟 小时 秒 提醒"),
    "shopping": ("shop shopping buy grocery groceries list store supermarket", "购物 买 清单 超市"),
    "media": ("music song play radio tv television movie film podcast", "音乐 歌 播放 电视 电影"),
    "health": (
        "sport run gym football swim exercise sick medicine doctor pill",
        "运动 跑步 健身 足球 游泳 药 生病",
    ),
    "pet": ("dog cat pet puppy kitten walk vet", "狗 猫 宠物 遛狗"),
}
_INDEX = {name: i for i, name in enumerate(CONCEPTS)}
_ENGLISH: dict[str, list[int]] = {}
for _name, (_words, _) in CONCEPTS.items():
    for _word in _words.split():
        _ENGLISH.setdefault(_word, []).append(_INDEX[_name])
_CHINESE = [(word, _INDEX[name]) for name, (_, words) in CONCEPTS.items() for word in words.split()]
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


def _concepts_of(word: str) -> list[int]:
    """The concepts of an English word, also when inflected: cooking, vegetables, allergies."""
    for candidate in (word, word[:-1], word[:-2], word[:-3], word[:-3] + "y", word[:-1] + "e"):
        if len(candidate) >= 2 and candidate in _ENGLISH:
            return _ENGLISH[candidate]
    return []


def _bucket(word: str, size: int) -> tuple[int, float]:
    """A word's hashed dimension (of `size`) and sign."""
    number = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest())
    return number % size, 1.0 if number >> 63 else -1.0


def embed(text: str, dimensions: int = DEFAULT_DIMENSIONS) -> list[float]:
    """A unit vector for a text: its concepts first, then its words hashed."""
    vector = [0.0] * dimensions
    concepts = len(CONCEPTS)
    words_from, words_size = (
        (concepts, dimensions - concepts) if dimensions >= 2 * concepts else (0, dimensions)
    )
    lowered = text.casefold()
    words = [w for w in re.findall(r"[a-z0-9']+", lowered) if w not in STOPWORDS and len(w) > 1]
    for word in words:
        for concept in _concepts_of(word.replace("'", "")):
            vector[concept % dimensions] += 1.0
    for chinese, concept in _CHINESE:
        vector[concept % dimensions] += lowered.count(chinese)
    for word in words + _CJK.findall(lowered):
        index, sign = _bucket(word, words_size)
        vector[words_from + index] += sign * WORD_WEIGHT
    norm = math.sqrt(sum(value * value for value in vector))
    if norm == 0:
        return [1.0] + [0.0] * (dimensions - 1)
    return [value / norm for value in vector]
