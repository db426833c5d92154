"""The shopping tools: any to-do list, items merged not doubled, meals that respect the home's diets."""

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, cast, override

import probatio

from homeassistant.components.homeassistant.exposed_entities import async_should_expose
from homeassistant.components.todo.const import DOMAIN as TODO_DOMAIN, TodoItemStatus, TodoServices
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, Unauthorized
from homeassistant.helpers import entity_registry as er, llm
from homeassistant.util.json import JsonObjectType

from ..const import CONF_SHOPPING_LIST, DOMAIN, LOGGER
from ..memory import MemoryStore
from ..speaker import Speaker
from ..tool_base import AIAssistTool, tool_error
from .groceries import Item, list_key

# Items read back in full; beyond this the model hears how many more there are.
READ_LIMIT = 12
FOOD_MEMORY_LIMIT = 8
# What food-related memories say, for a search that also works without embeddings.
_FOOD_WORDS = (
    "food diet eat eats cook meal dinner lunch breakfast allergy allergic intolerant intolerance "
    "coeliac celiac gluten wheat lactose dairy milk cheese egg nut nuts peanut fish shellfish meat "
    "pork beef chicken vegetarian vegan halal kosher keto sugar diabetic spicy dislikes hates likes "
    "loves favourite favorite 饮食 过敏 素食 不吃 喜欢吃 忌口"
)
_ACTIONS = ("check", "uncheck", "remove", "move", "clear_done")
_LIST = "Default: the shopping list"


@dataclass(slots=True)
class _TodoList:
    """A to-do list and its items, as `todo.get_items` gives them."""

    entity_id: str
    name: str
    items: list[dict[str, Any]]

    def open(self) -> list[dict[str, Any]]:
        return [item for item in self.items if item["status"] == TodoItemStatus.NEEDS_ACTION]

    def done(self) -> list[dict[str, Any]]:
        return [item for item in self.items if item["status"] == TodoItemStatus.COMPLETED]


class ShoppingError(Exception):
    """Something the model should say or correct; the message tells it which."""


class _ShoppingTool(AIAssistTool, ABC):
    def __init__(self, settings: Mapping[str, Any], store: MemoryStore, speaker: Speaker) -> None:
        """Use the entry's default list; read food memories as the speaker may."""
        self.settings = settings
        self.store = store
        self.speaker = speaker

    @override
    async def async_call(
        self, hass: HomeAssistant, tool_input: llm.ToolInput, llm_context: llm.LLMContext
    ) -> llm.ToolResult:
        try:
            args: dict[str, Any] = self.parameters(tool_input.tool_args)
        except probatio.Invalid as err:
            return tool_error(f"Invalid arguments ({err}). Call again as the schema says.")
        try:
            data = await self._async_run(_Lists(hass, llm_context, self.settings), args)
        except ShoppingError as err:
            return tool_error(str(err))
        return llm.ToolResult(data=data)

    @abstractmethod
    async def _async_run(self, lists: _Lists, args: dict[str, Any]) -> JsonObjectType:
        """Do what the tool does with the validated arguments; raise ShoppingError to explain."""


class ShoppingListTool(_ShoppingTool):
    """Read a list back briefly; for meals, with the food the speaker and household remember."""

    name = f"{DOMAIN}__shopping_list"
    description = (
        "Read a shopping or to-do list; `meal` (a dish or 'any') adds the diets, allergies and "
        "dislikes to respect."
    )
    parameters = probatio.Schema(
        {
            probatio.Optional("list", description=_LIST): str,
            probatio.Optional("meal"): str,
        }
    )
    annotations = llm.ToolAnnotations(read_only=True, destructive=False, idempotent=True, open_world=False)

    @override
    async def _async_run(self, lists: _Lists, args: dict[str, Any]) -> JsonObjectType:
        todo = await lists.async_get(args.get("list"))
        items = [str(item["summary"]) for item in todo.open()]
        data: JsonObjectType = {"list": todo.name, "count": len(items)}
        meal = str(args.get("meal") or "").strip()
        if meal:
            data["items"] = cast(list[Any], items)
            data["food_memories"] = cast(list[Any], await self._async_food_memories(meal))
            data["next"] = f"To add ingredients: only those missing, all in one {AddTool.name} call."
        else:
            data["items"] = cast(list[Any], items[:READ_LIMIT])
            if len(items) > READ_LIMIT:
                data["more"] = len(items) - READ_LIMIT
        if done := len(todo.done()):
            data["done"] = done
        return data

    async def _async_food_memories(self, meal: str) -> list[str]:
        """The speaker's and the household's food memories, never anyone else's."""
        found = await self.store.async_search(
            f"{meal} {_FOOD_WORDS}", self.speaker.readable, FOOD_MEMORY_LIMIT
        )
        return [memory.text for memory in found]


class AddTool(_ShoppingTool):
    """Add items; one already on the list is merged, a done one is put back."""

    name = f"{DOMAIN}__shopping_add"
    description = "Add items to a shopping list; an item already on it gets its quantity updated."
    parameters = probatio.Schema(
        {
            probatio.Required("items", description="Quantity first: '2 l oat milk'."): [str],
            probatio.Optional("list", description=_LIST): str,
        }
    )
    annotations = llm.ToolAnnotations(read_only=False, destructive=False, idempotent=False, open_world=False)

    @override
    async def _async_run(self, lists: _Lists, args: dict[str, Any]) -> JsonObjectType:
        texts = [text for text in args["items"] if text.strip()]
        if not texts:
            raise ShoppingError("No items given. Pass `items`, e.g. ['2 l oat milk'].")
        todo = await lists.async_get(args.get("list"))
        changes = await lists.async_add(todo, [Item.parse(text) for text in texts])
        return {"list": todo.name, **changes, "count": len((await lists.async_read(todo.entity_id)).open())}


class EditTool(_ShoppingTool):
    """Check off, put back, remove or move items; clear what is done."""

    name = f"{DOMAIN}__shopping_edit"
    description = "Check off, uncheck, remove or move (to `to_list`) items, or clear the done ones."
    parameters = probatio.Schema(
        {
            probatio.Required("action"): probatio.In(list(_ACTIONS)),
            probatio.Optional("items"): [str],
            probatio.Optional("list", description=_LIST): str,
            probatio.Optional("to_list"): str,
        }
    )
    annotations = llm.ToolAnnotations(read_only=False, destructive=True, idempotent=False, open_world=False)

    @override
    async def _async_run(self, lists: _Lists, args: dict[str, Any]) -> JsonObjectType:
        action = args["action"]
        todo = await lists.async_get(args.get("list"))
        if action == "clear_done":
            done = todo.done()
            if done:
                await lists.async_call(todo, TodoServices.REMOVE_COMPLETED_ITEMS, {})
            return {"list": todo.name, "cleared": len(done), "count": len(todo.open())}
        names = [text for text in args.get("items") or [] if text.strip()]
        if not names:
            raise ShoppingError(f"No items given. Pass `items` to {action}.")
        if action == "move":
            if not args.get("to_list"):
                raise ShoppingError("Pass `to_list`, the list to move the items to.")
            target = await lists.async_get(args["to_list"])
            if target.entity_id == todo.entity_id:
                raise ShoppingError(f"The items are already on {todo.name}.")
        pool = todo.done() if action == "uncheck" else todo.open() if action == "check" else todo.items
        found, missing = lists.find(pool, names)
        if not found:
            raise ShoppingError(
                f"Not found on {todo.name}: {', '.join(missing)}. Read the list for exact names."
            )
        summaries = [str(item["summary"]) for item in found]
        data: JsonObjectType = {"list": todo.name}
        if action in ("check", "uncheck"):
            status = TodoItemStatus.COMPLETED if action == "check" else TodoItemStatus.NEEDS_ACTION
            for item in found:
                await lists.async_call(
                    todo, TodoServices.UPDATE_ITEM, {"item": item["uid"], "status": status}
                )
            data["checked" if action == "check" else "unchecked"] = cast(list[Any], summaries)
        else:
            if action == "move":
                data["to_list"] = target.name
                data.update(await lists.async_add(target, [Item.parse(summary) for summary in summaries]))
            await lists.async_call(todo, TodoServices.REMOVE_ITEM, {"item": [item["uid"] for item in found]})
            data["moved" if action == "move" else "removed"] = cast(list[Any], summaries)
        if missing:
            data["not_found"] = cast(list[Any], missing)
        data["count"] = len((await lists.async_read(todo.entity_id)).open())
        return data


class _Lists:
    """The to-do lists a turn may use, read and changed through Home Assistant's todo services."""

    def __init__(self, hass: HomeAssistant, llm_context: llm.LLMContext, settings: Mapping[str, Any]) -> None:
        self.hass = hass
        self.context = llm_context
        self.settings = settings
        self.language = llm_context.language or hass.config.language

    def usable(self) -> dict[str, str]:
        """Entity id -> name of the lists exposed to Assist; AI Assist's own lists never."""
        return {
            state.entity_id: state.name
            for state in self.hass.states.async_all(TODO_DOMAIN)
            if not self._ours(state.entity_id)
            and async_should_expose(self.hass, self.context.assistant or "conversation", state.entity_id)
        }

    def resolve(self, name: str | None) -> str:
        """The entity id of the list named, else of the default shopping list."""
        usable = self.usable()
        if name and name.strip():
            wanted = list_key(name, self.language)
            keys = {entity_id: list_key(title, self.language) for entity_id, title in usable.items()}
            matches = [entity_id for entity_id, key in keys.items() if key == wanted] or [
                entity_id for entity_id, key in keys.items() if wanted < key
            ]
            if len(matches) == 1:
                return matches[0]
            if matches:
                raise ShoppingError(
                    f"Several lists match {name!r}: {_names(usable[m] for m in matches)}. Ask which."
                )
            raise ShoppingError(f"No list called {name!r}. Lists: {_names(usable.values())}. Ask which.")
        configured = self.settings.get(CONF_SHOPPING_LIST)
        if configured and self.hass.states.get(configured) is not None and not self._ours(configured):
            return str(configured)
        if "todo.shopping_list" in usable:
            return "todo.shopping_list"
        if len(usable) == 1:
            return next(iter(usable))
        if not usable:
            raise ShoppingError("There is no to-do list to use. Say so: one can be added in Home Assistant.")
        raise ShoppingError(f"Which list? Lists: {_names(usable.values())}. Ask, or pass `list`.")

    def _ours(self, entity_id: str) -> bool:
        """AI Assist's memory and reminder lists: private, never a shopping list."""
        entry = er.async_get(self.hass).async_get(entity_id)
        return entry is not None and entry.platform == DOMAIN

    async def async_get(self, name: str | None) -> _TodoList:
        """A list, by name or the default, and its items."""
        return await self.async_read(self.resolve(name))

    async def async_read(self, entity_id: str) -> _TodoList:
        """A list's items as they are now."""
        state = self.hass.states.get(entity_id)
        title = state.name if state else entity_id
        response = await self._async_service(title, TodoServices.GET_ITEMS, {"entity_id": entity_id}, True)
        if (listed := cast(dict[str, Any], response or {}).get(entity_id)) is None:
            raise ShoppingError(f"{title} is not available now. Say so.")
        return _TodoList(entity_id, title, list(listed["items"]))

    async def async_call(self, todo: _TodoList, service: str, data: dict[str, Any]) -> None:
        """Change a list."""
        await self._async_service(todo.name, service, {"entity_id": todo.entity_id, **data}, False)

    async def _async_service(self, title: str, service: str, data: dict[str, Any], response: bool) -> Any:
        try:
            return await self.hass.services.async_call(
                TODO_DOMAIN,
                service,
                data,
                blocking=True,
                context=self.context.context,
                return_response=response,
            )
        except Unauthorized as err:
            raise ShoppingError(f"The person speaking may not use {title}. Say so.") from err
        except HomeAssistantError as err:
            LOGGER.warning("To-do list %s refused %s: %s", data["entity_id"], service, err)
            message = f"{title} did not answer ({err}). Say the list could not be read or changed."
            raise ShoppingError(message) from err

    async def async_add(self, todo: _TodoList, added: list[Item]) -> JsonObjectType:
        """Add items, merging each with the same thing already on the list (or said twice)."""
        wanted: dict[frozenset[str], Item] = {}
        for item in added:
            key = item.key(self.language)
            wanted[key] = wanted[key].merged(item) if key in wanted else item
        by_key: dict[frozenset[str], dict[str, Any]] = {}
        # An open item wins over a done one of the same name.
        for listed in sorted(todo.items, key=lambda listed: listed["status"] == TodoItemStatus.NEEDS_ACTION):
            by_key[Item.parse(listed["summary"]).key(self.language)] = listed
        changes: dict[str, list[str]] = {}
        for key, item in wanted.items():
            if (existing := by_key.get(key)) is None:
                await self.async_call(todo, TodoServices.ADD_ITEM, {"item": item.text()})
                changes.setdefault("added", []).append(item.text())
                continue
            reopen = existing["status"] == TodoItemStatus.COMPLETED
            merged = item if reopen else Item.parse(existing["summary"]).merged(item)
            update: dict[str, Any] = {"item": existing["uid"]}
            if merged.text() != existing["summary"]:
                update["rename"] = merged.text()
            if reopen:
                update["status"] = TodoItemStatus.NEEDS_ACTION
            if len(update) == 1:
                changes.setdefault("already_there", []).append(existing["summary"])
                continue
            await self.async_call(todo, TodoServices.UPDATE_ITEM, update)
            change = f"{merged.text()} (was {existing['summary']})" if "rename" in update else merged.text()
            changes.setdefault("put_back" if reopen else "updated", []).append(change)
        return cast(JsonObjectType, changes)

    def find(self, pool: list[dict[str, Any]], names: list[str]) -> tuple[list[dict[str, Any]], list[str]]:
        """The items named (same words, else the one item containing them), and the names not found."""
        found: list[dict[str, Any]] = []
        missing: list[str] = []
        keyed = [(Item.parse(item["summary"]).key(self.language), item) for item in pool]
        for name in names:
            wanted = Item.parse(name).key(self.language)
            partial = [item for key, item in keyed if wanted < key]
            if matches := [item for key, item in keyed if key == wanted] or partial[: len(partial) == 1]:
                found.extend(item for item in matches if item not in found)
            else:
                missing.append(name)
        return found, missing


def _names(titles: Iterable[str]) -> str:
    return ", ".join(sorted(titles))


def shopping_tools(settings: Mapping[str, Any], store: MemoryStore, speaker: Speaker) -> list[llm.Tool]:
    """The shopping tools of one turn: the entry's options, the speaker's memories."""
    return [tool(settings, store, speaker) for tool in (ShoppingListTool, AddTool, EditTool)]
