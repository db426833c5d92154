"""The conversation agents, one per subentry, that Assist and voice satellites talk to."""

from typing import Literal, override

from homeassistant.components import conversation
from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import CONF_LLM_HASS_API, CONF_PROMPT, MATCH_ALL
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .answers import async_answer_without_model
from .api import AIServiceError, InvalidAuth, ServiceUnreachable
from .const import DOMAIN, LOGGER, SUBENTRY_CONVERSATION
from .context import async_build_context
from .coordinator import AIAssistConfigEntry
from .entity import AIAssistEntity

# Turns run concurrently; the service, not Home Assistant, decides how many at once.
PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant, entry: AIAssistConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """Add an agent for each conversation subentry."""
    for subentry in entry.subentries.values():
        if subentry.subentry_type == SUBENTRY_CONVERSATION:
            async_add_entities(
                [AIAssistConversationEntity(entry, subentry)], config_subentry_id=subentry.subentry_id
            )


class AIAssistConversationEntity(conversation.ConversationEntity, AIAssistEntity):
    """An LLM agent that streams its answer, so a satellite starts speaking at once."""

    _attr_supports_streaming = True

    def __init__(self, entry: AIAssistConfigEntry, subentry: ConfigSubentry) -> None:
        """Offer home control when the agent may use an LLM API."""
        super().__init__(entry, subentry)
        if subentry.data.get(CONF_LLM_HASS_API):
            self._attr_supported_features = conversation.ConversationEntityFeature.CONTROL

    @property
    @override
    def supported_languages(self) -> list[str] | Literal["*"]:
        """Any language the model speaks."""
        return MATCH_ALL

    @override
    async def _async_handle_message(
        self, user_input: conversation.ConversationInput, chat_log: conversation.ChatLog
    ) -> conversation.ConversationResult:
        """Answer one turn; whatever goes wrong, the user hears a sentence, not a traceback."""
        options = self.subentry.data
        try:
            await chat_log.async_provide_llm_data(
                user_input.as_llm_context(DOMAIN),
                options.get(CONF_LLM_HASS_API),
                options.get(CONF_PROMPT),
                user_input.extra_system_prompt,
            )
        except conversation.ConverseError as err:
            return err.as_conversation_result()
        try:
            model_context = await async_build_context(self.hass, chat_log, user_input, self.instructions)
            await self._async_answer(chat_log, model_context)
        except AIServiceError as err:
            LOGGER.debug("%s could not answer: %s", self.entity_id, err.detail or err.key)
            if isinstance(err, ServiceUnreachable):
                self.coordinator.async_mark_down(err)
            elif isinstance(err, InvalidAuth):
                self.entry.async_start_reauth(self.hass)
            self.coordinator.last_error = f"{err.key}: {err.detail}"
            return await async_answer_without_model(self.hass, user_input, chat_log, self.entity_id, err)
        except Exception as err:  # noqa: BLE001 - the user must hear a sentence, not a traceback
            LOGGER.exception("Unexpected error answering %r", user_input.text)
            return await async_answer_without_model(
                self.hass, user_input, chat_log, self.entity_id, AIServiceError(str(err))
            )
        return conversation.async_get_result_from_chat_log(user_input, chat_log)
