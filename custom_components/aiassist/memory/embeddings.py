"""Embeddings from the service's /embeddings endpoint; optional, and never required."""

from typing import Protocol

import numpy as np
import openai

from ..api import translate_errors
from .index import Vector

# Recall runs before every answer: a slow embeddings endpoint must not hold it up long.
EMBED_TIMEOUT = 5.0


class EmbeddingModel(Protocol):
    """What turns memories into vectors: the service's model, or the built-in one."""

    model: str

    @property
    def ready(self) -> bool:
        """Whether it can embed now, without an install or a load to wait for."""

    async def async_prepare(self) -> bool:
        """Get ready (install, load) and say whether it can embed."""

    async def async_embed(self, texts: list[str]) -> list[Vector]:
        """One vector per text; raises AIServiceError when it cannot."""


class Embedder:
    """Turns texts into vectors with the model the user picked."""

    def __init__(self, client: openai.AsyncOpenAI, model: str) -> None:
        """Use this client and embedding model."""
        self.client = client.with_options(timeout=EMBED_TIMEOUT, max_retries=0)
        self.model = model

    @property
    def ready(self) -> bool:
        """A service has nothing to load: it is asked, and may fail."""
        return True

    async def async_prepare(self) -> bool:
        """Nothing to prepare."""
        return True

    async def async_embed(self, texts: list[str]) -> list[Vector]:
        """Return one vector per text; raises AIServiceError when the service fails."""
        with translate_errors(self.model):
            response = await self.client.embeddings.create(
                model=self.model, input=texts, encoding_format="float"
            )
        ordered = sorted(response.data, key=lambda item: item.index)
        return [np.asarray(item.embedding, dtype=np.float32) for item in ordered]
