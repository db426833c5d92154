"""Home Assistant's LLM APIs, asked once per home and kept until the home changes.

Core's Assist API walks every state of the home for each of its tool platforms on every turn.
What it returns changes only when the home does (registries, exposure, entities coming and
going, integrations and services loading), so it is kept per caller and situation and dropped
on those events. Its overview of the whole home is left out of the prompt: each request
carries its own selection instead.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.homeassistant.llm import (
    NO_ENTITIES_PROMPT,
    async_get_tools as async_get_overview,
)
from homeassistant.components.intent.timers import async_device_supports_timers
from homeassistant.const import EVENT_COMPONENT_LOADED, EVENT_SERVICE_REGISTERED, EVENT_SERVICE_REMOVED
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import llm

from ..tool_group import group_tools
from .index import HomeIndex

# Core's live-context tool returns every exposed entity; find_devices replaces it.
_WHOLE_HOME_TOOL = "GetLiveContext"

type _Key = tuple[tuple[str, ...], str | None, str | None, str | None, str | None, bool]


@dataclass(frozen=True, slots=True)
class PickedAPIs:
    """What the picked APIs offer in one situation: tools, prompt, and how to describe the tools."""

    tools: list[llm.Tool]
    prompt: str
    custom_serializer: Callable[[Any], Any] | None


class APICache:
    """The picked APIs' tools and prompt, per situation, valid until the home changes."""

    def __init__(self, hass: HomeAssistant, index: HomeIndex) -> None:
        """Empty until asked."""
        self.hass = hass
        self.index = index
        self._picked: dict[_Key, PickedAPIs] = {}
        self.builds = 0

    @callback
    def async_start(self) -> list[Callable[[], None]]:
        """Forget all when the home, its integrations or its services change; returns the unsubscribers."""
        return [
            self.index.async_listen(self.async_clear),
            *(
                self.hass.bus.async_listen(event, self._async_clear_on)
                for event in (EVENT_COMPONENT_LOADED, EVENT_SERVICE_REGISTERED, EVENT_SERVICE_REMOVED)
            ),
        ]

    @callback
    def async_clear(self) -> None:
        """Drop what was kept."""
        self._picked.clear()

    @callback
    def _async_clear_on(self, _event: object) -> None:
        self._picked.clear()

    async def async_get(self, api_ids: list[str], llm_context: llm.LLMContext) -> PickedAPIs:
        """The APIs' tools and prompt for this situation, built only when the home has changed."""
        key: _Key = (
            tuple(api_ids),
            llm_context.assistant,
            llm_context.language,
            llm_context.device_id,
            llm_context.context.user_id if llm_context.context else None,
            _supports_timers(self.hass, llm_context.device_id),
        )
        if (picked := self._picked.get(key)) is None:
            picked = self._picked[key] = await self._async_build(api_ids, llm_context)
        return picked

    async def _async_build(self, api_ids: list[str], llm_context: llm.LLMContext) -> PickedAPIs:
        self.builds += 1
        instance = await llm.async_get_api(self.hass, api_ids, llm_context)
        prompt = instance.api_prompt
        if overview := _whole_home_prompt(self.hass, llm_context):
            prompt = prompt.replace(overview, "")
        return PickedAPIs(
            tools=group_tools([tool for tool in instance.tools if not tool.name.endswith(_WHOLE_HOME_TOOL)]),
            prompt=prompt.strip(),
            custom_serializer=instance.custom_serializer,
        )


def _supports_timers(hass: HomeAssistant, device_id: str | None) -> bool:
    """Whether the satellite takes timers now: it registers when it connects, with no event."""
    return device_id is not None and async_device_supports_timers(hass, device_id)


def _whole_home_prompt(hass: HomeAssistant, llm_context: llm.LLMContext) -> str | None:
    """The overview of every exposed entity that core's Assist API puts in its prompt.

    Its advice to expose entities, when none are, stays.
    """
    overview = async_get_overview(hass, llm_context, llm.LLM_API_ASSIST)
    if overview is None or not overview.prompt or overview.prompt == NO_ENTITIES_PROMPT:
        return None
    return overview.prompt
