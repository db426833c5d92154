"""The config flow: presets, validation errors, reauth, reconfigure and agent subentries."""

import json
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.aiassist.const import (
    BUILTIN_EMBEDDINGS,
    CONF_CONTINUATION_WINDOW,
    CONF_EMBEDDING_MODEL,
    CONF_HOME_BUDGET,
    CONF_LEARN,
    CONF_MAX_TOKENS,
    CONF_MAX_TOOL_ITERATIONS,
    CONF_PRESET,
    CONF_RECALL_BUDGET,
    CONF_TEMPERATURE,
    CONF_TOOLS,
    DEFAULT_PROMPT,
    DOMAIN,
    PRESETS,
    SUBENTRY_CONVERSATION,
)
from homeassistant import config_entries
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_API_KEY, CONF_LLM_HASS_API, CONF_MODEL, CONF_NAME, CONF_PROMPT, CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResult, FlowResultType, InvalidData, section
from homeassistant.helpers import entity_registry as er

from .conftest import API_KEY, Home, People
from .model_server import Fault, ModelList, ModelServer

STRINGS = json.loads(
    (Path(__file__).parent.parent / "custom_components" / DOMAIN / "strings.json").read_text(encoding="utf-8")
)
ABORTS = {
    "config": STRINGS["config"]["abort"],
    "options": STRINGS["options"]["abort"],
    "agent": STRINGS["config_subentries"][SUBENTRY_CONVERSATION]["abort"],
}


def _aborted(result: FlowResult[Any, Any], flow: str) -> str:
    """The reason a flow ended, which must be one of our own strings so the user reads our words."""
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] in ABORTS[flow], f"{result['reason']} has no string in {flow}"
    return str(result["reason"])


def _suggested(result: FlowResult[Any, Any], field: str) -> Any:
    """The value a form pre-fills for a field."""
    for key in result["data_schema"].schema:
        if key == field:
            return (key.description or {}).get("suggested_value")
    raise AssertionError(f"{field} is not in the form")


async def _start(hass: HomeAssistant, preset: str = "custom") -> FlowResult[Any, Any]:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": config_entries.SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_PRESET: preset})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "connection"
    return result


@pytest.mark.parametrize("preset", list(PRESETS))
async def test_each_preset_fills_its_url_and_creates_an_entry_with_one_agent(
    hass: HomeAssistant, model_server: ModelServer, preset: str
) -> None:
    model_server.models = ["nomic-embed-text", "qwen3:8b", "llama3.1:8b"]
    result = await _start(hass, preset)
    assert _suggested(result, CONF_URL) == PRESETS[preset]

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: model_server.url + "/", CONF_API_KEY: API_KEY}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "model"
    # A chat model is suggested, never the embedding model listed first.
    assert _suggested(result, CONF_MODEL) == "qwen3:8b"

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_MODEL: "llama3.1:8b"})
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {CONF_URL: model_server.url, CONF_API_KEY: API_KEY}
    entry = result["result"]
    assert entry.state is ConfigEntryState.LOADED
    (agent,) = entry.subentries.values()
    assert agent.subentry_type == SUBENTRY_CONVERSATION
    assert agent.data[CONF_MODEL] == "llama3.1:8b"
    assert agent.data[CONF_LLM_HASS_API] == ["assist"]
    assert agent.data[CONF_TOOLS] == ["weather", "shopping", "reminders"]
    assert agent.data[CONF_PROMPT] == DEFAULT_PROMPT
    # Memories are found by meaning from the start, with the built-in model and no endpoint.
    assert entry.options == {CONF_EMBEDDING_MODEL: BUILTIN_EMBEDDINGS}


async def test_local_server_needs_no_api_key(hass: HomeAssistant, socket_enabled: None) -> None:
    async with ModelServer() as open_server:
        result = await _start(hass, "ollama")
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_URL: open_server.url}
        )
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_MODEL: "test-model"})
        await hass.async_block_till_done()
        assert result["type"] is FlowResultType.CREATE_ENTRY
        assert result["data"] == {CONF_URL: open_server.url, CONF_API_KEY: ""}
        assert await hass.config_entries.async_unload(result["result"].entry_id)


async def test_cloud_preset_requires_a_key(hass: HomeAssistant) -> None:
    result = await _start(hass, "openai")
    with pytest.raises(InvalidData, match="api_key"):
        await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_URL: PRESETS["openai"]})


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (Fault(status=401), "invalid_auth"),
        (Fault(status=403), "invalid_auth"),
        (Fault(status=404), "cannot_connect"),
        (Fault(status=500), "cannot_connect"),
        (Fault(status=503), "cannot_connect"),
        (Fault(status=400, body={"error": {"message": "odd request"}}), "unknown"),
        (Fault(status=200, body="this is not json"), "unknown"),
    ],
)
async def test_server_errors_are_shown_and_the_input_is_kept(
    hass: HomeAssistant, model_server: ModelServer, fault: Fault, error: str
) -> None:
    model_server.models_queue.add(fault)
    result = await _start(hass)
    user_input = {CONF_URL: model_server.url, CONF_API_KEY: API_KEY}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}
    assert _suggested(result, CONF_URL) == model_server.url

    # The same input works once the server does.
    result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input)
    assert result["step_id"] == "model"


async def test_wrong_key_is_invalid_auth(hass: HomeAssistant, model_server: ModelServer) -> None:
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: model_server.url, CONF_API_KEY: "wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}


async def test_unreachable_server_is_cannot_connect(hass: HomeAssistant, model_server: ModelServer) -> None:
    await model_server.down()
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: model_server.url, CONF_API_KEY: API_KEY}
    )
    assert result["errors"] == {"base": "cannot_connect"}


async def test_slow_server_is_timeout(
    hass: HomeAssistant, model_server: ModelServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("custom_components.aiassist.api.PROBE_TIMEOUT", 0.2)
    model_server.models_queue.add(ModelList(["test-model"], delay=2))
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: model_server.url, CONF_API_KEY: API_KEY}
    )
    assert result["errors"] == {"base": "timeout"}


@pytest.mark.parametrize("url", ["localhost:11434/v1", "ftp://example.com/v1", "http://"])
async def test_malformed_url_is_refused_without_a_request(
    hass: HomeAssistant, model_server: ModelServer, url: str
) -> None:
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_URL: url})
    assert result["errors"] == {CONF_URL: "invalid_url"}
    assert model_server.requests == []


async def test_unexpected_error_is_unknown(
    hass: HomeAssistant, model_server: ModelServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def explode(*_: Any) -> list[str]:
        raise RuntimeError("boom")

    monkeypatch.setattr("custom_components.aiassist.config_flow.async_list_models", explode)
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: model_server.url, CONF_API_KEY: API_KEY}
    )
    assert result["errors"] == {"base": "unknown"}


async def test_same_url_and_key_twice_can_be_corrected_in_the_form(
    hass: HomeAssistant, config_entry: MockConfigEntry, model_server: ModelServer
) -> None:
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: model_server.url + "/", CONF_API_KEY: API_KEY}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "connection"
    assert result["errors"] == {"base": "already_configured"}
    assert model_server.requests == []

    async with ModelServer() as other:
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_URL: other.url})
        assert result["step_id"] == "model"


async def test_rejected_key_at_setup_starts_reauth_which_stores_the_new_key(
    hass: HomeAssistant, model_server: ModelServer, config_entry: MockConfigEntry
) -> None:
    model_server.api_key = "sk-new-key"
    assert not await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_ERROR
    (flow,) = hass.config_entries.flow.async_progress()
    assert flow["context"]["source"] == config_entries.SOURCE_REAUTH
    assert flow["step_id"] == "reauth_confirm"

    result = await hass.config_entries.flow.async_configure(flow["flow_id"], {CONF_API_KEY: "still-wrong"})
    assert result["errors"] == {"base": "invalid_auth"}

    result = await hass.config_entries.flow.async_configure(flow["flow_id"], {CONF_API_KEY: "sk-new-key"})
    await hass.async_block_till_done()
    assert _aborted(result, "config") == "reauth_successful"
    assert config_entry.data[CONF_API_KEY] == "sk-new-key"
    assert config_entry.state is ConfigEntryState.LOADED


async def test_reconfigure_changes_url_and_key(
    hass: HomeAssistant, setup_integration: MockConfigEntry, socket_enabled: None
) -> None:
    async with ModelServer(api_key="other-key") as other:
        result = await setup_integration.start_reconfigure_flow(hass)
        assert result["step_id"] == "reconfigure"
        assert _suggested(result, CONF_URL) == setup_integration.data[CONF_URL]

        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_URL: other.url, CONF_API_KEY: "bad"}
        )
        assert result["errors"] == {"base": "invalid_auth"}

        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_URL: other.url, CONF_API_KEY: "other-key"}
        )
        await hass.async_block_till_done()
        assert _aborted(result, "config") == "reconfigure_successful"
        assert setup_integration.data == {CONF_URL: other.url, CONF_API_KEY: "other-key"}
        assert setup_integration.state is ConfigEntryState.LOADED
        assert await hass.config_entries.async_unload(setup_integration.entry_id)


async def test_reconfigure_keeping_the_same_connection_is_allowed(
    hass: HomeAssistant, setup_integration: MockConfigEntry
) -> None:
    result = await setup_integration.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], dict(setup_integration.data))
    assert _aborted(result, "config") == "reconfigure_successful"


async def test_reconfigure_onto_another_entry_is_shown_on_the_form(
    hass: HomeAssistant, setup_integration: MockConfigEntry
) -> None:
    other = MockConfigEntry(domain=DOMAIN, data={CONF_URL: "http://127.0.0.1:1/v1", CONF_API_KEY: ""})
    other.add_to_hass(hass)
    result = await other.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], dict(setup_integration.data))
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert result["errors"] == {"base": "already_configured"}
    assert _suggested(result, CONF_URL) == setup_integration.data[CONF_URL]


async def test_agent_can_be_added_with_its_own_settings(
    hass: HomeAssistant, setup_integration: MockConfigEntry
) -> None:
    result = await hass.config_entries.subentries.async_init(
        (setup_integration.entry_id, SUBENTRY_CONVERSATION), context={"source": config_entries.SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert _suggested(result, CONF_MODEL) == "test-model"

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            CONF_NAME: "Kids",
            CONF_MODEL: "my-custom-model",
            CONF_PROMPT: "Talk like a pirate to {{ 'the kids' }}.",
            CONF_LLM_HASS_API: [],
            CONF_TOOLS: ["weather"],
            CONF_TEMPERATURE: 1.2,
            CONF_MAX_TOKENS: 300.0,
            CONF_MAX_TOOL_ITERATIONS: 4.0,
            CONF_RECALL_BUDGET: 200.0,
            CONF_HOME_BUDGET: 900.0,
            CONF_CONTINUATION_WINDOW: 10.0,
            CONF_LEARN: True,
        },
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    kids = next(s for s in setup_integration.subentries.values() if s.title == "Kids")
    assert kids.data == {
        CONF_MODEL: "my-custom-model",
        CONF_PROMPT: "Talk like a pirate to {{ 'the kids' }}.",
        CONF_LLM_HASS_API: [],
        CONF_TOOLS: ["weather"],
        CONF_TEMPERATURE: 1.2,
        CONF_MAX_TOKENS: 300,
        CONF_MAX_TOOL_ITERATIONS: 4,
        CONF_RECALL_BUDGET: 200,
        CONF_HOME_BUDGET: 900,
        CONF_CONTINUATION_WINDOW: 10,
        CONF_LEARN: True,
    }
    assert setup_integration.state is ConfigEntryState.LOADED


async def test_agent_with_a_broken_template_is_refused_until_fixed(
    hass: HomeAssistant, setup_integration: MockConfigEntry
) -> None:
    result = await hass.config_entries.subentries.async_init(
        (setup_integration.entry_id, SUBENTRY_CONVERSATION), context={"source": config_entries.SOURCE_USER}
    )
    user_input = {
        CONF_NAME: "Broken",
        CONF_MODEL: "test-model",
        CONF_PROMPT: "Hello {{ unclosed",
        CONF_TEMPERATURE: 0.5,
        CONF_MAX_TOKENS: 500,
        CONF_MAX_TOOL_ITERATIONS: 3,
    }
    # The template selector refuses it; the UI shows the error on the field and keeps the form.
    with pytest.raises(InvalidData, match="prompt"):
        await hass.config_entries.subentries.async_configure(result["flow_id"], user_input)
    assert len(setup_integration.subentries) == 1
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**user_input, CONF_PROMPT: "Hello {{ 'there' }}"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_agent_can_be_reconfigured(hass: HomeAssistant, setup_integration: MockConfigEntry) -> None:
    (agent,) = setup_integration.subentries.values()
    result = await setup_integration.start_subentry_reconfigure_flow(hass, agent.subentry_id)
    assert result["step_id"] == "reconfigure"
    assert _suggested(result, CONF_MODEL) == "test-model"

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**agent.data, CONF_MODEL: "test-model-2", CONF_TEMPERATURE: 0.1}
    )
    await hass.async_block_till_done()
    assert _aborted(result, "agent") == "reconfigure_successful"
    agent = setup_integration.subentries[agent.subentry_id]
    assert agent.data[CONF_MODEL] == "test-model-2"
    assert agent.data[CONF_TEMPERATURE] == 0.1
    assert setup_integration.state is ConfigEntryState.LOADED


async def test_agent_can_be_removed(hass: HomeAssistant, setup_integration: MockConfigEntry) -> None:
    (agent,) = setup_integration.subentries.values()
    assert hass.config_entries.async_remove_subentry(setup_integration, agent.subentry_id)
    await hass.async_block_till_done()
    assert setup_integration.subentries == {}
    assert setup_integration.state is ConfigEntryState.LOADED


async def test_agents_cannot_be_changed_while_the_service_is_down(
    hass: HomeAssistant, model_server: ModelServer, config_entry: MockConfigEntry
) -> None:
    await model_server.down()
    await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_RETRY
    result = await hass.config_entries.subentries.async_init(
        (config_entry.entry_id, SUBENTRY_CONVERSATION), context={"source": config_entries.SOURCE_USER}
    )
    assert _aborted(result, "agent") == "entry_not_loaded"


async def test_memory_options_pick_an_embedding_model_that_works(
    hass: HomeAssistant, model_server: ModelServer, setup_integration: MockConfigEntry
) -> None:
    result = await hass.config_entries.options.async_init(setup_integration.entry_id)
    assert result["step_id"] == "init"

    model_server.embeddings.add(Fault(status=404, body={"error": {"message": "not an embedding model"}}))
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"embedding_model": "test-model"}
    )
    assert result["errors"] == {"embedding_model": "embedding_failed"}

    await _save_embedding_model(hass, result["flow_id"], setup_integration, "test-embed")


async def _save_embedding_model(
    hass: HomeAssistant, flow_id: str, entry: MockConfigEntry, model: str
) -> None:
    """Pick `model` in the options form: saved, and the reloaded memory embeds with it."""
    result = await hass.config_entries.options.async_configure(flow_id, {"embedding_model": model})
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {"embedding_model": model}
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.memory.embedder is not None
    assert entry.runtime_data.memory.embedder.model == model


async def test_memory_options_offer_the_built_in_model_and_check_that_it_loads(
    hass: HomeAssistant, model_server: ModelServer, setup_integration: MockConfigEntry
) -> None:
    result = await hass.config_entries.options.async_init(setup_integration.entry_id)
    selector = next(value for key, value in result["data_schema"].schema.items() if key == "embedding_model")
    # Offered first, named in the user's language (the selector's translation key).
    assert selector.config["options"][0] == "aiassist_builtin"
    assert selector.config["translation_key"] == "embedding_model"

    with patch("custom_components.aiassist.memory.builtin._load", side_effect=OSError("disk full")):
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], {"embedding_model": "aiassist_builtin"}
        )
    assert result["errors"] == {"embedding_model": "embedding_failed"}

    await _save_embedding_model(hass, result["flow_id"], setup_integration, "aiassist_builtin")
    assert model_server.embedding_requests == []


async def test_memory_options_without_a_model_search_by_words(
    hass: HomeAssistant, setup_integration: MockConfigEntry
) -> None:
    result = await hass.config_entries.options.async_init(setup_integration.entry_id)
    result = await hass.config_entries.options.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert setup_integration.options == {}


async def test_memory_options_wait_for_the_service(
    hass: HomeAssistant, model_server: ModelServer, config_entry: MockConfigEntry
) -> None:
    await model_server.down()
    await hass.config_entries.async_setup(config_entry.entry_id)
    result = await hass.config_entries.options.async_init(config_entry.entry_id)
    assert _aborted(result, "options") == "entry_not_loaded"


def _give_satellites_their_entities(hass: HomeAssistant, home: Home) -> None:
    """Make the home's satellite devices voice satellites, as their integration would."""
    entities = er.async_get(hass)
    for key, device_id in (("kitchen", home.kitchen_satellite), ("bedroom", home.bedroom_satellite)):
        entities.async_get_or_create("assist_satellite", "test", key, device_id=device_id)


def _satellites_section(result: FlowResult[Any, Any]) -> section | None:
    return next((value for key, value in result["data_schema"].schema.items() if key == "satellites"), None)


async def test_satellites_are_asked_only_in_a_home_with_satellites(
    hass: HomeAssistant, people: People, home: Home, setup_integration: MockConfigEntry
) -> None:
    (agent,) = setup_integration.subentries.values()
    hass.config_entries.async_update_subentry(
        setup_integration, agent, data={**agent.data, "satellites": {"ben": [home.bedroom_satellite]}}
    )
    await hass.async_block_till_done()
    agent = setup_integration.subentries[agent.subentry_id]

    # People, but no voice satellites: nothing to ask, one Submit, and the assignment is kept.
    result = await setup_integration.start_subentry_reconfigure_flow(hass, agent.subentry_id)
    assert _satellites_section(result) is None
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {key: value for key, value in agent.data.items() if key != "satellites"}
    )
    await hass.async_block_till_done()
    assert _aborted(result, "agent") == "reconfigure_successful"
    assert setup_integration.subentries[agent.subentry_id].data["satellites"] == {
        "ben": [home.bedroom_satellite]
    }

    _give_satellites_their_entities(hass, home)
    result = await setup_integration.start_subentry_reconfigure_flow(hass, agent.subentry_id)
    satellites = _satellites_section(result)
    assert satellites is not None
    assert satellites.options["collapsed"] is True
    # Labelled by the people's names, never by their ids.
    assert [str(key) for key in satellites.schema.schema] == ["Anna", "Ben"]


async def test_satellites_are_assigned_by_name_in_the_same_form(
    hass: HomeAssistant, people: People, home: Home, setup_integration: MockConfigEntry
) -> None:
    _give_satellites_their_entities(hass, home)
    result = await hass.config_entries.subentries.async_init(
        (setup_integration.entry_id, SUBENTRY_CONVERSATION), context={"source": config_entries.SOURCE_USER}
    )
    agent_input = {
        CONF_NAME: "Bedroom",
        CONF_MODEL: "test-model",
        CONF_TEMPERATURE: 0.5,
        CONF_MAX_TOKENS: 500,
        CONF_MAX_TOOL_ITERATIONS: 3,
    }
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**agent_input, "satellites": {"Ben": [home.bedroom_satellite]}}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    bedroom = next(s for s in setup_integration.subentries.values() if s.title == "Bedroom")
    assert bedroom.data["satellites"] == {"ben": [home.bedroom_satellite]}

    result = await setup_integration.start_subentry_reconfigure_flow(hass, bedroom.subentry_id)
    satellites = _satellites_section(result)
    assert satellites is not None
    ben = next(key for key in satellites.schema.schema if key == "Ben")
    assert ben.description == {"suggested_value": [home.bedroom_satellite]}

    changed = {key: value for key, value in bedroom.data.items() if key != "satellites"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {**changed, "satellites": {"Anna": [home.kitchen_satellite], "Ben": [home.bedroom_satellite]}},
    )
    await hass.async_block_till_done()
    assert _aborted(result, "agent") == "reconfigure_successful"
    assert setup_integration.subentries[bedroom.subentry_id].data["satellites"] == {
        "anna": [home.kitchen_satellite],
        "ben": [home.bedroom_satellite],
    }


async def test_two_services_have_distinct_agents_and_memory_lists(
    hass: HomeAssistant, model_server: ModelServer, people: People
) -> None:
    async with ModelServer() as other:
        other.models = ["other-model"]
        for server, key, model in ((model_server, API_KEY, "test-model"), (other, "", "other-model")):
            result = await _start(hass, "ollama")
            result = await hass.config_entries.flow.async_configure(
                result["flow_id"], {CONF_URL: server.url, CONF_API_KEY: key}
            )
            result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_MODEL: model})
            await hass.async_block_till_done()
            assert result["type"] is FlowResultType.CREATE_ENTRY

        entries = hass.config_entries.async_entries(DOMAIN)
        registry = er.async_get(hass)

        def names(entry: config_entries.ConfigEntry, domain: str) -> list[str]:
            return sorted(
                hass.states.get(item.entity_id).name  # type: ignore[union-attr]
                for item in er.async_entries_for_config_entry(registry, entry.entry_id)
                if item.domain == domain
            )

        first, second = (
            [entry.title, *names(entry, "conversation"), *names(entry, "todo")] for entry in entries
        )
        # Two local servers on one machine differ by port; each agent also says its model.
        assert first[0] == f"AI Assist (127.0.0.1:{model_server.port})"
        assert first[1] == f"AI Assist (test-model, 127.0.0.1:{model_server.port})"
        assert second[1] == f"AI Assist (other-model, 127.0.0.1:{other.port})"
        assert f"{first[0]} Memory — Anna" in first
        assert f"{second[0]} Memory — Anna" in second
        assert not set(first) & set(second)
        for entry in entries:
            assert await hass.config_entries.async_unload(entry.entry_id)
