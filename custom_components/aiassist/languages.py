"""The languages the service's speech models are offered for.

OpenAI's speech models, Whisper and most servers that copy their API take any of these; the
list only decides which Assist pipelines may pick the entities.
"""

SPEECH_LANGUAGES = (
    "af", "ar", "az", "be", "bg", "bs", "ca", "cs", "cy", "da", "de", "el", "en", "en-AU", "en-GB",
    "en-US", "es", "es-MX", "et", "fa", "fi", "fr", "fr-CA", "gl", "he", "hi", "hr", "hu", "hy", "id",
    "is", "it", "ja", "kk", "kn", "ko", "lt", "lv", "mi", "mk", "mr", "ms", "nb", "ne", "nl", "no",
    "pl", "pt", "pt-BR", "ro", "ru", "sk", "sl", "sr", "sv", "sw", "ta", "th", "tl", "tr", "uk", "ur",
    "vi", "zh", "zh-CN", "zh-HK", "zh-Hans", "zh-Hant", "zh-TW",
)  # fmt: skip
