"""Devices found by meaning ("it's stuffy in here": the fan) with the service's embedding model.

Only when the user picked an embedding model. Each device is embedded once, in the background,
a while after the home last changed; a turn embeds only what was said (once, shared with the
memory's recall) and compares it with every device in one product. Words always come first:
these are the candidates after the ones the sentence names.
"""

from collections.abc import Awaitable, Callable
from datetime import datetime

import numpy as np

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later

from ..const import LOGGER
from ..memory.index import similarities
from .index import HomeEntity, HomeIndex

type Vector = np.ndarray
type Embed = Callable[[list[str]], Awaitable[list[Vector] | None]]

# Seconds of quiet after a change before the changed devices are embedded.
SETTLE = 10.0
BATCH = 64
LIMIT = 4
# A device must be about as close as the closest one, and close at all.
FLOOR = 0.3
MARGIN = 0.1


class HomeVectors:
    """The exposed devices' vectors, kept in step with the index."""

    def __init__(self, hass: HomeAssistant, index: HomeIndex, embed: Embed) -> None:
        """Embed with `embed`, which returns None while the endpoint is failing."""
        self.hass = hass
        self.index = index
        self._embed = embed
        self._texts: dict[str, str] = {}
        self._vectors: dict[str, Vector] = {}
        self._ids: list[str] = []
        self._matrix: np.ndarray | None = None
        self._timer: CALLBACK_TYPE | None = None
        self._syncing = False
        self.syncs = 0

    @property
    def ready(self) -> bool:
        """Whether any device has a vector."""
        return self._matrix is not None

    @callback
    def async_start(self) -> list[Callable[[], None]]:
        """Embed the home soon, and again after it changes; returns the unsubscribers."""
        self.async_schedule()
        return [self.index.async_listen(self.async_schedule), self._async_cancel]

    def nearest(self, vector: Vector | None) -> list[str]:
        """The devices closest in meaning to what was said, best first."""
        if self._matrix is None or vector is None or vector.shape[0] != self._matrix.shape[1]:
            return []
        norm = float(np.linalg.norm(vector))
        if not norm:
            return []
        scores = similarities(self._matrix, (vector / norm).astype(np.float32))
        top = np.argsort(-scores)[:LIMIT]
        least = max(FLOOR, float(scores[top[0]]) - MARGIN)
        return [self._ids[i] for i in top if scores[i] >= least and self._ids[i] in self.index.entities]

    async def async_sync(self) -> None:
        """Embed the devices that are new or changed, forget those gone."""
        self.syncs += 1
        self.index.async_refresh()
        wanted = {entity_id: _text(self.index, entity) for entity_id, entity in self.index.entities.items()}
        stale = [entity_id for entity_id, text in wanted.items() if self._texts.get(entity_id) != text]
        for start in range(0, len(stale), BATCH):
            batch = stale[start : start + BATCH]
            vectors = await self._embed([wanted[entity_id] for entity_id in batch])
            if vectors is None:  # the endpoint is resting: the next change tries again
                break
            for entity_id, vector in zip(batch, vectors, strict=True):
                if norm := float(np.linalg.norm(vector)):
                    self._vectors[entity_id] = vector / norm
                    self._texts[entity_id] = wanted[entity_id]
        for entity_id in [e for e in self._vectors if e not in wanted]:
            del self._vectors[entity_id]
            del self._texts[entity_id]
        self._ids = sorted(self._vectors)
        dimensions = {vector.shape[0] for vector in self._vectors.values()}
        self._matrix = (
            np.stack([self._vectors[e] for e in self._ids]).astype(np.float32)
            if self._ids and len(dimensions) == 1
            else None
        )

    @callback
    def async_schedule(self) -> None:
        """Embed what changed once the home has been quiet a while (again if it changes meanwhile)."""
        self._async_cancel()
        self._timer = async_call_later(self.hass, SETTLE, self._async_fire)

    @callback
    def _async_fire(self, _now: datetime) -> None:
        self._timer = None
        if self._syncing:  # one at a time: try again once this one is done
            self.async_schedule()
            return
        self.hass.async_create_background_task(self._async_run(), "aiassist embed devices")

    async def _async_run(self) -> None:
        self._syncing = True
        try:
            await self.async_sync()
        except Exception:  # noqa: BLE001 - by words alone until the next change; never a crash
            LOGGER.debug("Could not embed the home's devices", exc_info=True)
        finally:
            self._syncing = False

    @callback
    def _async_cancel(self) -> None:
        if self._timer is not None:
            self._timer()
            self._timer = None


def _text(index: HomeIndex, entity: HomeEntity) -> str:
    """What a device is, in words: its names, its kind and where it is."""
    area = index.area_of(entity)
    where = f" in {area.name}" if area else ""
    return f"{', '.join(entity.names)} ({entity.kind.replace('_', ' ')}){where}"
