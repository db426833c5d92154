"""script/develop's side of Home Assistant: prepare a config dir, seed it, check it.

Everything after boot goes through Home Assistant's public HTTP and websocket APIs (onboarding,
login flow, config flows, registries, pipelines, /api/conversation/process), the way the
frontend does it, so the same code works on every Home Assistant release we support. Only
`prepare` writes storage before the first boot: the HTTP server's bind address (which must be
right before the server starts) and the onboarding steps that would set up cloud integrations.

    python script/develop_api.py prepare CONFIG_DIR
    python script/develop_api.py seed CONFIG_DIR HA_URL MODEL_URL [--api-key K] [--model M] [--no-ai-entry]
    python script/develop_api.py check HA_URL

Run with the Python of the Home Assistant being developed against (aiohttp comes with it).
"""

import argparse
import asyncio
from collections.abc import Mapping
import ipaddress
import json
from pathlib import Path
import sys
from typing import Any

import aiohttp

# The owner script/develop creates; printed at every start.
OWNER_NAME = "Alex"
OWNER_USERNAME = "alex"
OWNER_PASSWORD = "aiassist"
HOST = "127.0.0.1"

# Template lights of configuration.yaml (unique_id -> area) and the weather entity to expose.
LIGHTS = {
    "develop_kitchen_ceiling_light": "Kitchen",
    "develop_living_room_ceiling_light": "Living Room",
    "develop_living_room_lamp": "Living Room",
}
WEATHER_UNIQUE_ID = "develop_weather"
DEMO_MODEL = "demo-model"
DEMO_EMBEDDING_MODEL = "demo-embed"
SEED_FILE = ".develop_seed.json"


def log(message: str) -> None:
    """Print a line as script/develop does."""
    print(f"[develop] {message}", flush=True)


# --- before the first boot -------------------------------------------------------------------


def prepare(config_dir: Path) -> None:
    """Bind HTTP to 127.0.0.1 as Home Assistant stores it, and skip onboarding's cloud steps.

    Since 2026.10 the HTTP settings live in `.storage/http`; `http:` in YAML is migrated as a
    pending trial (a dialog, a revert to 0.0.0.0 after 5 minutes, a repair on every boot). The
    store is written with the installed release's own schema and version. Onboarding's core
    config step sets up met, radio_browser and google_translate, which need the internet; the
    owner is created through onboarding's user step after boot.
    """
    from homeassistant.components.http import config as http_config
    from homeassistant.components.onboarding import (
        STORAGE_KEY as ONBOARDING_KEY,
        STORAGE_VERSION as ONBOARDING_VERSION,
        const as onboarding_const,
    )
    from homeassistant.helpers.json import JSONEncoder
    from homeassistant.util import dt as dt_util

    storage = config_dir / ".storage"
    storage.mkdir(parents=True, exist_ok=True)
    http_file = storage / http_config.STORAGE_KEY
    if not http_file.exists():
        stable = http_config.HTTP_STORAGE_SCHEMA({"server_host": [HOST], "server_port": 8123})
        stable |= {"created_at": dt_util.utcnow().isoformat(), "error": None, "error_message": None}
        _write_store(
            http_file,
            http_config.STORAGE_KEY,
            http_config.STORAGE_VERSION,
            http_config.STORAGE_MINOR_VERSION,
            {"stable": stable, "pending": None, "yaml_migration_done": True},
            JSONEncoder,
        )
        log(f"seed: HTTP binds {HOST} only (.storage/{http_config.STORAGE_KEY})")
    onboarding_file = storage / ONBOARDING_KEY
    if not onboarding_file.exists():
        done = [step for step in onboarding_const.STEPS if step != onboarding_const.STEP_USER]
        _write_store(onboarding_file, ONBOARDING_KEY, ONBOARDING_VERSION, 1, {"done": done}, JSONEncoder)


def _write_store(path: Path, key: str, version: int, minor: int, data: Any, encoder: Any) -> None:
    body = {"version": version, "minor_version": minor, "key": key, "data": data}
    path.write_text(json.dumps(body, cls=encoder, indent=2))


# --- after boot: the public APIs -----------------------------------------------------------------


class HomeAssistantAPI:
    """A logged-in client of one Home Assistant: REST and one websocket."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session = session
        self.url = url.rstrip("/")
        self.client_id = f"{self.url}/"
        self.token = ""
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._next_id = 1

    async def request(self, method: str, path: str, payload: Any = None, *, auth: bool = True) -> Any:
        """Call the REST API; an error status raises."""
        headers = {"Authorization": f"Bearer {self.token}"} if auth else {}
        async with self.session.request(method, f"{self.url}{path}", json=payload, headers=headers) as resp:
            if resp.status >= 400:
                raise RuntimeError(f"{method} {path}: HTTP {resp.status}: {await resp.text()}")
            return await resp.json(content_type=None)

    async def ensure_owner(self) -> bool:
        """Create the owner through onboarding's user step; False when it exists already."""
        steps = await self.request("GET", "/api/onboarding", auth=False)
        if any(step["step"] == "user" and step["done"] for step in steps):
            return False
        await self.request(
            "POST",
            "/api/onboarding/users",
            {
                "client_id": self.client_id,
                "name": OWNER_NAME,
                "username": OWNER_USERNAME,
                "password": OWNER_PASSWORD,
                "language": "en",
            },
            auth=False,
        )
        return True

    async def login(self) -> None:
        """Log in as the owner through the login flow, as the frontend does."""
        flow = await self.request(
            "POST",
            "/auth/login_flow",
            {"client_id": self.client_id, "handler": ["homeassistant", None], "redirect_uri": self.client_id},
            auth=False,
        )
        result = await self.request(
            "POST",
            f"/auth/login_flow/{flow['flow_id']}",
            {"client_id": self.client_id, "username": OWNER_USERNAME, "password": OWNER_PASSWORD},
            auth=False,
        )
        if result.get("type") != "create_entry":
            raise RuntimeError(f"could not log in as {OWNER_USERNAME}: {result.get('errors')}")
        form = aiohttp.FormData(
            {"grant_type": "authorization_code", "code": result["result"], "client_id": self.client_id}
        )
        async with self.session.post(f"{self.url}/auth/token", data=form) as resp:
            resp.raise_for_status()
            self.token = (await resp.json())["access_token"]

    async def wait_until_running(self, seconds: int = 300) -> None:
        """Wait until Home Assistant has started (its integrations are set up)."""
        for _ in range(seconds):
            if (await self.request("GET", "/api/config")).get("state") == "RUNNING":
                return
            await asyncio.sleep(1)
        raise RuntimeError(f"Home Assistant did not finish starting within {seconds} s")

    async def ws(self, command: str, **fields: Any) -> Any:
        """Send one websocket command and return its result."""
        if self._ws is None:
            self._ws = await self.session.ws_connect(f"{self.url}/api/websocket")
            await self._ws.receive_json()
            await self._ws.send_json({"type": "auth", "access_token": self.token})
            if (await self._ws.receive_json())["type"] != "auth_ok":
                raise RuntimeError("websocket authentication failed")
        message_id, self._next_id = self._next_id, self._next_id + 1
        await self._ws.send_json({"id": message_id, "type": command, **fields})
        while True:
            reply = await self._ws.receive_json()
            if reply.get("id") == message_id and reply.get("type") == "result":
                break
        if not reply["success"]:
            raise RuntimeError(f"{command}: {reply['error']}")
        return reply["result"]

    async def close(self) -> None:
        """Close the websocket."""
        if self._ws is not None:
            await self._ws.close()

    async def flow(self, path: str, start: Mapping[str, Any], *answers: Mapping[str, Any]) -> Any:
        """Run a data entry flow (config, subentry) with one answer per step."""
        result = await self.request("POST", path, dict(start))
        for answer in answers:
            if result["type"] != "form":
                break
            result = await self.request("POST", f"{path}/{result['flow_id']}", dict(answer))
        return result

    async def entries(self, domain: str) -> list[dict[str, Any]]:
        """The config entries of a domain, with their states."""
        result: list[dict[str, Any]] = await self.request(
            "GET", f"/api/config/config_entries/entry?domain={domain}"
        )
        return result

    async def entity_id(self, platform: str, unique_id: str | None = None, domain: str = "") -> str | None:
        """The first registered entity of a platform (by unique id, in a domain)."""
        for entity in await self.ws("config/entity_registry/list"):
            if (
                entity["platform"] == platform
                and (unique_id is None or entity.get("unique_id") == unique_id)
                and entity["entity_id"].startswith(domain)
            ):
                return str(entity["entity_id"])
        return None


def _suggested(schema: list[dict[str, Any]], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The answer to a form that keeps what it suggests, but for `overrides`."""
    answer: dict[str, Any] = {}
    for field in schema:
        name = field["name"]
        if field.get("type") == "expandable":
            answer[name] = _suggested(field["schema"], overrides)
        elif name in overrides:
            answer[name] = overrides[name]
        elif "suggested_value" in (field.get("description") or {}):
            answer[name] = field["description"]["suggested_value"]
        elif "default" in field:
            answer[name] = field["default"]
    return answer


async def seed(args: argparse.Namespace) -> None:
    """Seed what the demo needs, once; later runs keep what the user changed."""
    seed_file = Path(args.config_dir, SEED_FILE)
    done = _read_done(seed_file)
    async with aiohttp.ClientSession() as session:
        ha = HomeAssistantAPI(session, args.ha_url)
        try:
            if await ha.ensure_owner():
                log(f"seed: created the owner {OWNER_NAME}")
            await ha.login()
            await ha.wait_until_running()
            await _seed_home(ha, done)
            if not args.no_ai_entry:
                await _seed_ai_assist(ha, done, args.model_url, args.api_key, args.model)
        finally:
            await ha.close()
    _write_done(seed_file, done)


def _read_done(seed_file: Path) -> set[str]:
    """The seeding steps done on an earlier run (a short local file: read synchronously)."""
    return set(json.loads(seed_file.read_text())) if seed_file.exists() else set()


def _write_done(seed_file: Path, done: set[str]) -> None:
    seed_file.write_text(json.dumps(sorted(done)))


async def _seed_home(ha: HomeAssistantAPI, done: set[str]) -> None:
    if "areas" not in done:
        areas = {area["name"]: area["area_id"] for area in await ha.ws("config/area_registry/list")}
        for unique_id, area_name in LIGHTS.items():
            if area_name not in areas:
                areas[area_name] = (await ha.ws("config/area_registry/create", name=area_name))["area_id"]
            if entity_id := await ha.entity_id("template", unique_id):
                await ha.ws("config/entity_registry/update", entity_id=entity_id, area_id=areas[area_name])
                log(f"seed: put {entity_id} in {area_name}")
        done.add("areas")
    if "weather" not in done and (weather := await ha.entity_id("template", WEATHER_UNIQUE_ID)):
        await ha.ws(
            "homeassistant/expose_entity",
            assistants=["conversation"],
            entity_ids=[weather],
            should_expose=True,
        )
        log(f"seed: exposed {weather} to Assist")
        done.add("weather")
    if "shopping_list" not in done:
        if not await ha.entries("shopping_list"):
            await ha.flow("/api/config/config_entries/flow", {"handler": "shopping_list"}, {})
            await ha.request("POST", "/api/services/shopping_list/add_item", {"name": "Milk"})
            await ha.request("POST", "/api/services/shopping_list/add_item", {"name": "Eggs"})
            log("seed: added a shopping list with Milk and Eggs")
        done.add("shopping_list")


async def _seed_ai_assist(
    ha: HomeAssistantAPI, done: set[str], model_url: str, api_key: str, model: str | None
) -> None:
    entries = await ha.entries("aiassist")
    flow_path = "/api/config/config_entries/flow"
    if not entries:
        result = await ha.flow(
            flow_path,
            {"handler": "aiassist"},
            {"preset": "custom"},
            {"url": model_url, "api_key": api_key},
            {"model": model or DEMO_MODEL},
        )
        if result["type"] != "create_entry":
            raise RuntimeError(f"adding AI Assist failed: {result}")
        log(f"seed: added AI Assist ({model_url}, model {model or DEMO_MODEL})")
        entries = await ha.entries("aiassist")
    entry = entries[0]
    entry_id = entry["entry_id"]
    # The demo model's port may change between runs, and --url points elsewhere.
    reconfigure = await ha.request("POST", flow_path, {"handler": "aiassist", "entry_id": entry_id})
    current = _suggested(reconfigure.get("data_schema", []), {})
    if current.get("url") != model_url or (current.get("api_key") or "") != api_key:
        result = await ha.request(
            "POST", f"{flow_path}/{reconfigure['flow_id']}", {"url": model_url, "api_key": api_key}
        )
        log(f"seed: pointed AI Assist at {model_url} ({result.get('reason', result.get('errors'))})")
    else:
        await ha.request("DELETE", f"{flow_path}/{reconfigure['flow_id']}")
    agent = await _wait_for_agent(ha)
    if model:
        await _set_agent_model(ha, entry_id, model)
    elif "embeddings" not in done:
        # The demo model embeds related words near each other: memories are found by meaning.
        options_path = "/api/config/config_entries/options/flow"
        result = await ha.flow(options_path, {"handler": entry_id}, {"embedding_model": DEMO_EMBEDDING_MODEL})
        log(f"seed: memories are searched by meaning too ({DEMO_EMBEDDING_MODEL}: {result['type']})")
        done.add("embeddings")
    if "pipeline" not in done:
        pipelines = await ha.ws("assist_pipeline/pipeline/list")
        preferred = next(p for p in pipelines["pipelines"] if p["id"] == pipelines["preferred_pipeline"])
        fields = {key: value for key, value in preferred.items() if key != "id"}
        fields |= {"conversation_engine": agent, "conversation_language": "en", "prefer_local_intents": False}
        await ha.ws("assist_pipeline/pipeline/update", pipeline_id=preferred["id"], **fields)
        log(f"seed: the Assist pipeline '{preferred['name']}' talks to {agent}")
        done.add("pipeline")


async def _wait_for_agent(ha: HomeAssistantAPI) -> str:
    for _ in range(100):
        if agent := await ha.entity_id("aiassist", domain="conversation."):
            return agent
        await asyncio.sleep(0.2)
    raise RuntimeError("the AI Assist agent did not appear")


async def _set_agent_model(ha: HomeAssistantAPI, entry_id: str, model: str) -> None:
    """Give the first agent `model` through its reconfigure flow."""
    subentries = await ha.ws("config_entries/subentries/list", entry_id=entry_id)
    agent = next(sub for sub in subentries if sub["subentry_type"] == "conversation")
    path = "/api/config/config_entries/subentries/flow"
    form = await ha.request(
        "POST", path, {"handler": [entry_id, "conversation"], "subentry_id": agent["subentry_id"]}
    )
    current = _suggested(form.get("data_schema", []), {})
    if current.get("model") == model:
        await ha.request("DELETE", f"{path}/{form['flow_id']}")
        return
    answer = _suggested(form["data_schema"], {"model": model})
    result = await ha.request("POST", f"{path}/{form['flow_id']}", answer)
    log(f"seed: the agent uses model {model} ({result.get('reason', result.get('errors'))})")


async def check(ha_url: str) -> None:
    """The AI Assist entry is loaded and one turn through /api/conversation/process works."""
    async with aiohttp.ClientSession() as session:
        ha = HomeAssistantAPI(session, ha_url)
        try:
            await ha.login()
            await ha.wait_until_running()
            states: dict[str, str] = {}
            for _ in range(60):  # an entry reloads after its options change
                states = {entry["title"]: entry["state"] for entry in await ha.entries("aiassist")}
                if states and all(state == "loaded" for state in states.values()):
                    break
                await asyncio.sleep(0.5)
            else:
                raise RuntimeError(f"the AI Assist entry is not loaded: {states or 'no entry'}")
            log(f"check: AI Assist entries: {states}")
            agent = await _wait_for_agent(ha)
            light = await ha.entity_id("template", "develop_kitchen_ceiling_light")
            await ha.request("POST", "/api/services/light/turn_off", {"entity_id": light})
            reply = await ha.request(
                "POST",
                "/api/conversation/process",
                {"text": "turn on the kitchen light", "agent_id": agent, "language": "en"},
            )
            speech = reply["response"]["speech"]["plain"]["speech"]
            log(f"check: 'turn on the kitchen light' -> {reply['response']['response_type']}: {speech!r}")
            if reply["response"]["response_type"] == "error" or not speech:
                raise RuntimeError("the conversation turn failed")
            state = (await ha.request("GET", f"/api/states/{light}"))["state"]
            if state != "on":
                raise RuntimeError(f"{light} is {state} after the turn, not on")
            log(f"check: {light} is on")
            issues = (await ha.ws("repairs/list_issues"))["issues"]
            if http_issues := [issue["issue_id"] for issue in issues if issue["domain"] == "http"]:
                raise RuntimeError(f"Home Assistant reports HTTP configuration issues: {http_issues}")
            log(f"check: no HTTP repair issue ({len(issues)} issues in all)")
            if (listening := _listening_addresses(8123)) != {HOST}:
                raise RuntimeError(f"Home Assistant listens on {sorted(listening)}, not on {HOST} only")
            log(f"check: Home Assistant listens on {HOST} only")
        finally:
            await ha.close()


def _listening_addresses(port: int) -> set[str]:
    """The local IPv4/IPv6 addresses with a socket listening on `port` (Linux's /proc/net)."""
    addresses: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table, encoding="ascii") as rows:
            for row in list(rows)[1:]:
                local, state = row.split()[1], row.split()[3]
                address, port_hex = local.split(":")
                if state == "0A" and int(port_hex, 16) == port:  # 0A: LISTEN
                    addresses.add(_proc_address(address))
    return addresses


def _proc_address(hex_address: str) -> str:
    """An address as /proc/net prints it (little-endian words) in the usual notation."""
    raw = bytes.fromhex(hex_address)
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    return str(ipaddress.ip_address(words))


def main() -> None:
    """Run one command."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("prepare").add_argument("config_dir", type=Path)
    seed_parser = commands.add_parser("seed")
    for name in ("config_dir", "ha_url", "model_url"):
        seed_parser.add_argument(name)
    seed_parser.add_argument("--api-key", default="")
    seed_parser.add_argument("--model")
    seed_parser.add_argument("--no-ai-entry", action="store_true")
    commands.add_parser("check").add_argument("ha_url")
    args = parser.parse_args()
    try:
        if args.command == "prepare":
            prepare(args.config_dir)
        elif args.command == "seed":
            asyncio.run(seed(args))
        else:
            asyncio.run(check(args.ha_url))
    except (RuntimeError, aiohttp.ClientError) as err:
        print(f"[develop] error: {err}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
