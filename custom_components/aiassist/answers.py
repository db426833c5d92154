"""What the user hears when the model cannot answer: the home first, then a clear sentence."""

from collections.abc import AsyncGenerator

from homeassistant.components import conversation
from homeassistant.core import HomeAssistant
from homeassistant.helpers import intent
from homeassistant.helpers.translation import async_get_translations

from .api import AIServiceError, InvalidAuth, ModelNotFound, RateLimited, ServiceUnreachable
from .confirm import Check, Guard
from .const import DOMAIN, LOGGER


async def async_answer_without_model(
    hass: HomeAssistant,
    user_input: conversation.ConversationInput,
    chat_log: conversation.ChatLog,
    agent_id: str,
    err: AIServiceError,
    guard: Guard,
) -> conversation.ConversationResult | None:
    """Answer a turn the model could not: Home Assistant's own agent, or a translated reason.

    When the service is unreachable, the built-in agent gets the sentence: "turn on the
    kitchen light" keeps working without the AI. Its answer, or ours, joins the chat log so
    that the conversation history stays whole. None: the guard held the sentence, which
    runs only when the user confirms.
    """
    check = await guard.async_sentence(user_input) if isinstance(err, ServiceUnreachable) else None
    if check is Check.HELD:
        return None
    if check is Check.SAFE and (result := await _async_home_assistant_agent(hass, user_input)):
        response = result.response
    else:
        response = intent.IntentResponse(language=user_input.language)
        response.async_set_error(
            intent.IntentResponseErrorCode.UNKNOWN,
            await async_speech(hass, user_input.language, _speech_key(err), **err.placeholders),
        )
    await async_say(chat_log, agent_id, spoken(response))
    return conversation.ConversationResult(response=response, conversation_id=chat_log.conversation_id)


async def async_say(chat_log: conversation.ChatLog, agent_id: str, text: str) -> None:
    """Add our own sentence to the chat log as streamed content.

    A pipeline that already streams the answer to its TTS speaks only streamed deltas, so a
    sentence added any other way after the model began would never reach the satellite.
    """

    async def deltas() -> AsyncGenerator[conversation.AssistantContentDeltaDict]:
        yield {"role": "assistant"}
        yield {"content": text}

    async for _content in chat_log.async_add_delta_content_stream(agent_id, deltas()):
        pass


def spoken(response: intent.IntentResponse) -> str:
    """What the user hears from a response."""
    return str(response.speech.get("plain", {}).get("speech", ""))


async def _async_home_assistant_agent(
    hass: HomeAssistant, user_input: conversation.ConversationInput
) -> conversation.ConversationResult | None:
    """Let the built-in agent try; None when it did not understand or could not act."""
    try:
        result = await conversation.async_converse(
            hass,
            user_input.text,
            None,
            user_input.context,
            language=user_input.language,
            agent_id=conversation.HOME_ASSISTANT_AGENT,
            device_id=user_input.device_id,
            satellite_id=user_input.satellite_id,
        )
    except Exception:  # noqa: BLE001 - the fallback must never be the thing that fails
        LOGGER.exception("Home Assistant's built-in agent failed on %r", user_input.text)
        return None
    if result.response.response_type is intent.IntentResponseType.ERROR:
        return None
    return result


def _speech_key(err: AIServiceError) -> str:
    if isinstance(err, ServiceUnreachable):
        return "speech_unavailable"
    if isinstance(err, InvalidAuth):
        return "speech_invalid_auth"
    if isinstance(err, ModelNotFound):
        return "speech_model_not_found"
    if isinstance(err, RateLimited):
        return "speech_busy"
    return "speech_error"


async def async_speech(hass: HomeAssistant, language: str, key: str, **placeholders: str) -> str:
    """Return a sentence in the user's language from our translations, English if we have none."""
    name = f"component.{DOMAIN}.exceptions.{key}.message"
    text = (await async_get_translations(hass, language, "exceptions", [DOMAIN])).get(name)
    if text is None:
        text = (await async_get_translations(hass, "en", "exceptions", [DOMAIN]))[name]
    return text.format(**placeholders) if placeholders else text
