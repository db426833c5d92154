"""Constants for AI Assist."""

import logging
from typing import Final

DOMAIN: Final = "aiassist"
LOGGER = logging.getLogger(__package__)

SUBENTRY_CONVERSATION: Final = "conversation"
DEFAULT_AGENT_NAME: Final = "AI Assist"

# Speech on the same service: a text-to-speech or speech-to-text subentry.
SUBENTRY_TTS: Final = "tts"
SUBENTRY_STT: Final = "stt"
CONF_VOICE: Final = "voice"
# The voices the server listed when the subentry was saved (not an option the user sets).
CONF_VOICES: Final = "voices"
CONF_SPEED: Final = "speed"
CONF_AUDIO_FORMAT: Final = "audio_format"
CONF_LANGUAGE: Final = "language"
DEFAULT_TTS_NAME: Final = "AI Assist speech"
DEFAULT_STT_NAME: Final = "AI Assist transcription"
DEFAULT_VOICE: Final = "alloy"
DEFAULT_SPEED: Final = 1.0
AUDIO_FORMATS: Final = ("wav", "mp3")
# OpenAI's voices: offered when the server does not list its own.
OPENAI_VOICES: Final = (
    "alloy", "ash", "ballad", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer", "verse",
)  # fmt: skip
# A TTS request says one sentence; the whole answer may take longer than a chat turn's wait.
SPEECH_TIMEOUT: Final = 30.0

# Config flow only: which preset filled the URL.
CONF_PRESET: Final = "preset"
# Conversation subentry options; model, prompt and llm_hass_api use HA's standard keys.
CONF_TEMPERATURE: Final = "temperature"
CONF_MAX_TOKENS: Final = "max_tokens"
CONF_MAX_TOOL_ITERATIONS: Final = "max_tool_iterations"

DEFAULT_TEMPERATURE: Final = 0.6
DEFAULT_MAX_TOKENS: Final = 1024
DEFAULT_MAX_TOOL_ITERATIONS: Final = 10

# Servers that run on the user's own machine need no API key.
PLACEHOLDER_API_KEY: Final = "no-key"
# The openai SDK waits 10 minutes by default; a speaker cannot.
REQUEST_TIMEOUT: Final = 60.0
PROBE_TIMEOUT: Final = 10.0

PRESET_CUSTOM: Final = "custom"
# Preset id -> base URL; the order is the order shown in the UI.
PRESETS: Final[dict[str, str]] = {
    "openai": "https://api.openai.com/v1",
    "ollama": "http://localhost:11434/v1",
    "lm_studio": "http://localhost:1234/v1",
    "llama_cpp": "http://localhost:8080/v1",
    "vllm": "http://localhost:8000/v1",
    "deepseek": "https://api.deepseek.com/v1",
    "qwen_intl": "https://dashscope-intl.aliyuncs.com/compatible-mode/v1",
    "qwen_cn": "https://dashscope.aliyuncs.com/compatible-mode/v1",
    "openrouter": "https://openrouter.ai/api/v1",
    PRESET_CUSTOM: "",
}
# Presets whose service always needs a key.
PRESETS_NEEDING_KEY: Final = frozenset({"openai", "deepseek", "qwen_intl", "qwen_cn", "openrouter"})

# Instructions for a voice-first agent; a template, editable per agent. Nothing here changes
# from turn to turn, so the server can cache the prompt.
DEFAULT_PROMPT: Final = (
    "You are a friendly voice assistant for a home, talking through Home Assistant.\n"
    "Answer in one or two short spoken sentences unless asked for detail,\n"
    "in the language you were spoken to.\n"
    "Write plain text only: no markdown, lists, emoji or links, because your answer is read aloud.\n"
    "When you need something only the person can tell you, ask one short question.\n"
    "Use the tools to control or look up the home; never claim you did something a tool did not do."
)

# Entry options: the memory's embedding model (none: lexical search only).
CONF_EMBEDDING_MODEL: Final = "embedding_model"
# The embedding model that runs in Home Assistant itself, offline (memory/builtin.py).
BUILTIN_EMBEDDINGS: Final = "aiassist_builtin"
# Agent options for memory and continuity.
CONF_RECALL_BUDGET: Final = "recall_budget"
# Agent option: how much of the home (devices and their state) a request may show the model.
CONF_HOME_BUDGET: Final = "home_budget"
CONF_CONTINUATION_WINDOW: Final = "continuation_window"
CONF_LEARN: Final = "learn"
CONF_SATELLITES: Final = "satellites"
# Confirmation before risky actions: the section of the agent's form, what it holds.
CONF_CONFIRMATION: Final = "confirmation"
CONF_SENSITIVE: Final = "sensitive"
CONF_PIN: Final = "pin"

DEFAULT_RECALL_BUDGET: Final = 400
DEFAULT_HOME_BUDGET: Final = 400
DEFAULT_CONTINUATION_WINDOW: Final = 5
# Learning waits until a conversation has been quiet this long.
LEARN_AFTER_IDLE: Final = 600.0

# Agent option: the families of AI Assist's own tools the agent offers (all by default).
CONF_TOOLS: Final = "tools"
TOOLS_WEATHER: Final = "weather"
TOOLS_SHOPPING: Final = "shopping"
TOOLS_REMINDERS: Final = "reminders"
TOOL_FAMILIES: Final = (TOOLS_WEATHER, TOOLS_SHOPPING, TOOLS_REMINDERS)

# Entry options for the weather tools: the default weather entity and Open-Meteo's servers.
CONF_WEATHER_ENTITY: Final = "weather_entity"
CONF_GEOCODING_URL: Final = "geocoding_url"
CONF_FORECAST_URL: Final = "forecast_url"
DEFAULT_GEOCODING_URL: Final = "https://geocoding-api.open-meteo.com"
DEFAULT_FORECAST_URL: Final = "https://api.open-meteo.com"

# Entry option for the shopping tools: the list meant when none is named.
CONF_SHOPPING_LIST: Final = "shopping_list"

# Entry options for reminders: where they are said when their satellite cannot, and how late
# one missed while Home Assistant was down is still said at start-up (minutes).
CONF_REMINDER_FALLBACK: Final = "reminder_fallback"
CONF_REMINDER_MISSED_AGE: Final = "reminder_missed_age"
DEFAULT_REMINDER_MISSED_AGE: Final = 120
