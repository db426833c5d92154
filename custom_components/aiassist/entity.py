"""The agent's base entity: one device per agent, and the loop that talks to the model."""

from openai import omit
from openai.types.chat import (
    ChatCompletionAssistantMessageParam,
    ChatCompletionFunctionToolParam,
    ChatCompletionMessageFunctionToolCallParam,
    ChatCompletionMessageParam,
)

from homeassistant.components import conversation
from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import CONF_MODEL, CONF_PROMPT
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.json import json_dumps
from homeassistant.helpers.template import Template
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .api import AIServiceError, translate_errors
from .const import (
    CONF_MAX_TOKENS,
    CONF_MAX_TOOL_ITERATIONS,
    CONF_TEMPERATURE,
    DEFAULT_MAX_TOKENS,
    DEFAULT_MAX_TOOL_ITERATIONS,
    DEFAULT_PROMPT,
    DEFAULT_TEMPERATURE,
    DOMAIN,
)
from .context import ModelContext
from .coordinator import AIAssistCoordinator
from .runtime import AIAssistConfigEntry
from .stream import transform_stream
from .tool_calls import format_tool


class AIAssistEntity(CoordinatorEntity[AIAssistCoordinator]):
    """An agent: available while its service answers."""

    _attr_has_entity_name = True
    _attr_name: str | None = None

    def __init__(self, entry: AIAssistConfigEntry, subentry: ConfigSubentry) -> None:
        """Set up the agent's device, named after the agent."""
        super().__init__(entry.runtime_data.coordinator)
        self.entry = entry
        self.subentry = subentry
        self.model: str = subentry.data[CONF_MODEL]
        self._attr_unique_id = subentry.subentry_id
        self._attr_device_info = dr.DeviceInfo(
            identifiers={(DOMAIN, subentry.subentry_id)},
            name=subentry.title,
            manufacturer="AI Assist",
            model=self.model,
            entry_type=dr.DeviceEntryType.SERVICE,
        )
        self._instructions: Template | None = None

    @property
    def instructions(self) -> Template:
        """The agent's instructions, compiled once."""
        if self._instructions is None:
            self._instructions = Template(self.subentry.data.get(CONF_PROMPT) or DEFAULT_PROMPT, self.hass)
        return self._instructions

    def _turn_held(self, chat_log: conversation.ChatLog) -> bool:
        """Whether this turn held a call that waits for the user's confirmation."""
        return False

    async def _async_answer(self, chat_log: conversation.ChatLog, model_context: ModelContext) -> None:
        """Ask the model until it has answered in words, running the tools it calls.

        On the last allowed round no tools are offered, so the model must answer.
        """
        options = self.subentry.data
        tools: list[ChatCompletionFunctionToolParam] = []
        if chat_log.llm_api:
            tools = [format_tool(tool, chat_log.llm_api.custom_serializer) for tool in chat_log.llm_api.tools]
        rounds = max(1, int(options.get(CONF_MAX_TOOL_ITERATIONS, DEFAULT_MAX_TOOL_ITERATIONS)))
        client = self.coordinator.client
        if not self.coordinator.last_update_success:
            # Known to be down: one quick try, then the fallback, without a retry's wait.
            client = client.with_options(max_retries=0)
        for round_number in range(1, rounds + 1):
            offer_tools = bool(tools) and round_number < rounds
            with translate_errors(self.model):
                stream = await client.chat.completions.create(
                    model=self.model,
                    messages=build_messages(chat_log, model_context),
                    tools=tools if offer_tools else omit,
                    max_tokens=int(options.get(CONF_MAX_TOKENS, DEFAULT_MAX_TOKENS)),
                    temperature=float(options.get(CONF_TEMPERATURE, DEFAULT_TEMPERATURE)),
                    stream=True,
                )
                async with stream:
                    async for _content in chat_log.async_add_delta_content_stream(
                        self.entity_id,
                        transform_stream(stream, allow_tools=offer_tools, language=model_context.language),
                    ):
                        pass
            self.coordinator.async_mark_up()
            if self._turn_held(chat_log):
                # A risky call is held: the turn ends with our question, not the model's words.
                return
            if not chat_log.unresponded_tool_results:
                break
        last = chat_log.content[-1]
        if not isinstance(last, conversation.AssistantContent) or not (last.content or "").strip():
            # Said nothing (or only thought): HA would answer "Unable to get response".
            raise AIServiceError("the model returned no answer")


def build_messages(
    chat_log: conversation.ChatLog, model_context: ModelContext
) -> list[ChatCompletionMessageParam]:
    """Build the request: the stable system prompt, the history, the situation last."""
    messages: list[ChatCompletionMessageParam] = [{"role": "system", "content": model_context.system_prompt}]
    # A conversation continued from another satellite: its last turns come first.
    for said, answer in model_context.carried:
        messages.append({"role": "user", "content": said})
        messages.append({"role": "assistant", "content": answer})
    last_user = max(
        (
            index
            for index, content in enumerate(chat_log.content)
            if isinstance(content, conversation.UserContent)
        ),
        default=-1,
    )
    for index, content in enumerate(chat_log.content):
        if isinstance(content, conversation.UserContent):
            text = content.content
            if index == last_user and model_context.situation:
                text = f"<context>\n{model_context.situation}\n</context>\n{text}"
            messages.append({"role": "user", "content": text})
        elif isinstance(content, conversation.AssistantContent):
            messages.append(_assistant_message(content))
        elif isinstance(content, conversation.ToolResultContent):
            messages.append(
                {
                    "role": "tool",
                    "tool_call_id": content.tool_call_id,
                    "content": json_dumps(content.result.data),
                }
            )
    return messages


def _assistant_message(content: conversation.AssistantContent) -> ChatCompletionAssistantMessageParam:
    """Convert the model's own turn; its thinking is not sent back (reasoning servers refuse it)."""
    message = ChatCompletionAssistantMessageParam(role="assistant", content=content.content)
    if content.tool_calls:
        message["tool_calls"] = [
            ChatCompletionMessageFunctionToolCallParam(
                type="function",
                id=call.id,
                function={"name": call.tool_name, "arguments": json_dumps(call.tool_args)},
            )
            for call in content.tool_calls
        ]
    return message
