"""The tools an agent offers: the LLM APIs the user picked, plus AI Assist's memory and own tools."""

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, override

from homeassistant.core import HomeAssistant
from homeassistant.helpers import llm

from .confirm import Guard
from .const import DOMAIN, LOGGER, TOOL_FAMILIES
from .home import HOME_PROMPT, FindDevicesTool, Home
from .memory import SOURCE_CONVERSATION, MemoryStore
from .memory.tools import MEMORY_PROMPT, memory_tools
from .reminders import ReminderStore
from .speaker import Speaker
from .tools import family_tools

# HA's device control prompt says this when it is built without a device; whether a
# satellite can start timers belongs to the request's situation, not to the shared prompt.
NO_TIMERS = "This device is not able to start timers."


@dataclass(slots=True, kw_only=True)
class AgentAPI(llm.API):
    """Passed to the chat log: memory tools never reach other integrations' agents."""

    api_ids: list[str]
    store: MemoryStore
    speaker: Speaker
    source: str
    families: Collection[str] = TOOL_FAMILIES
    settings: Mapping[str, Any] = field(default_factory=dict)
    reminders: ReminderStore | None = None
    home: Home
    guard: Guard | None = None

    @override
    async def async_get_api_instance(self, llm_context: llm.LLMContext) -> llm.APIInstance:
        """Merge the picked APIs (honouring what the user exposed) with the memory and own tools."""
        tools: list[llm.Tool] = []
        prompts: list[str] = []
        serializer = None
        known = {api.id for api in llm.async_get_apis(self.hass)}
        if missing := [api_id for api_id in self.api_ids if api_id not in known]:
            # Its integration was removed: the agent keeps working with what is left.
            LOGGER.warning("LLM API %s is not available; the agent goes on without it", ", ".join(missing))
        if api_ids := [api_id for api_id in self.api_ids if api_id in known]:
            picked = await self.home.apis.async_get(api_ids, llm_context)
            # The prompt as if no particular satellite spoke: the same on every one of them.
            shared = await self.home.apis.async_get(api_ids, replace(llm_context, device_id=None))
            tools.extend(picked.tools)
            prompts.append(shared.prompt.replace(NO_TIMERS, "").strip())
            serializer = picked.custom_serializer
            if llm.LLM_API_ASSIST in api_ids:
                tools.append(FindDevicesTool(self.home.index))
                prompts.append(HOME_PROMPT)
        tools.extend(memory_tools(self.store, self.speaker, self.source))
        prompts.append(MEMORY_PROMPT)
        tools.extend(family_tools(self.families, self.settings, self.store, self.speaker, self.reminders))
        if self.guard is not None:
            tools = self.guard.wrap(tools)
        return llm.APIInstance(
            api=self,
            api_prompt="\n".join(prompt for prompt in prompts if prompt),
            llm_context=llm_context,
            tools=tools,
            custom_serializer=serializer,
        )


def agent_api(
    hass: HomeAssistant,
    api_ids: list[str],
    store: MemoryStore,
    speaker: Speaker,
    conversation_id: str,
    home: Home,
    families: Collection[str] = TOOL_FAMILIES,
    settings: Mapping[str, Any] | None = None,
    reminders: ReminderStore | None = None,
    guard: Guard | None = None,
) -> AgentAPI:
    """The API of one turn: `families` from the agent's options, `settings` the entry's options."""
    return AgentAPI(
        hass=hass,
        id=f"{DOMAIN}-agent",
        name="AI Assist",
        api_ids=api_ids,
        store=store,
        speaker=speaker,
        source=f"{SOURCE_CONVERSATION} {conversation_id}",
        families=families,
        settings=settings or {},
        reminders=reminders,
        home=home,
        guard=guard,
    )
