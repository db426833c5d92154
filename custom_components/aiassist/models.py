"""Choosing a sensible chat model from what a server offers."""

# Ids that name models which cannot chat (embeddings, speech, images, moderation).
_NOT_CHAT = ("embed", "whisper", "tts", "dall-e", "gpt-image", "moderation", "rerank", "transcribe")
# Good voice-assistant models, best first, as the presets' servers name them.
_PREFERRED = (
    "gpt-4.1-mini",
    "gpt-4o-mini",
    "deepseek-chat",
    "qwen-plus",
    "qwen3:8b",
    "qwen2.5:7b",
    "llama3.1:8b",
    "llama3.2",
)


def is_chat_model(model_id: str) -> bool:
    """Tell whether a model id looks like one that can chat."""
    lowered = model_id.lower()
    return not any(marker in lowered for marker in _NOT_CHAT)


def recommended_model(models: list[str]) -> str:
    """Return the model to suggest first; empty when the server lists none."""
    for preferred in _PREFERRED:
        if preferred in models:
            return preferred
    chat = [model for model in models if is_chat_model(model)]
    return chat[0] if chat else (models[0] if models else "")


# What speech models' ids contain, by kind of subentry.
_SPEECH_MARKERS = {
    "tts": ("tts", "speech", "kokoro", "piper", "orpheus", "voice"),
    "stt": ("whisper", "transcribe", "stt", "asr", "parakeet", "sensevoice"),
}


def speech_models(models: list[str], kind: str) -> list[str]:
    """The server's models that look like speech models of `kind` ("tts" or "stt"), else all."""
    markers = _SPEECH_MARKERS[kind]
    matching = [model for model in models if any(marker in model.lower() for marker in markers)]
    return matching or list(models)
