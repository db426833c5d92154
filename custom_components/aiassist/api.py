"""The OpenAI-compatible client, and the one place where its errors become ours."""

from collections.abc import Generator, Mapping
from contextlib import contextmanager
import json
from typing import Any, cast

import httpx
import httpx2
import openai

from homeassistant.const import CONF_API_KEY, CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.httpx_client import get_async_client

from .const import DOMAIN, LOGGER, PLACEHOLDER_API_KEY, PROBE_TIMEOUT, REQUEST_TIMEOUT


class AIServiceError(HomeAssistantError):
    """An error talking to the AI service, with a translated message."""

    key = "unknown"

    def __init__(self, message: str = "", **placeholders: str) -> None:
        """Keep the server's own message for the log and the translation."""
        super().__init__(
            translation_domain=DOMAIN,
            translation_key=self.key,
            translation_placeholders={"message": message, **placeholders},
        )
        self.detail = message
        self.placeholders = placeholders


class ServiceUnreachable(AIServiceError):
    """The service could not answer at all: the home must go on without it."""


class CannotConnect(ServiceUnreachable):
    """Connection refused, DNS failure, or the server hung up."""

    key = "cannot_connect"


class ServiceTimeout(ServiceUnreachable):
    """The service did not answer in time."""

    key = "timeout"


class ServerError(ServiceUnreachable):
    """The service answered 5xx, even after a retry."""

    key = "server_error"


class InvalidAuth(AIServiceError):
    """The API key was rejected."""

    key = "invalid_auth"


class ModelNotFound(AIServiceError):
    """The configured model does not exist on the server."""

    key = "model_not_found"


class RateLimited(AIServiceError):
    """The service is busy (HTTP 429), even after honouring Retry-After once."""

    key = "rate_limited"


def normalize_url(url: str) -> str:
    """Return the base URL as the client uses it, so duplicates compare equal."""
    return url.strip().rstrip("/")


async def async_create_client(hass: HomeAssistant, data: Mapping[str, Any]) -> openai.AsyncOpenAI:
    """Create a client on Home Assistant's shared HTTP connection pool."""
    client = openai.AsyncOpenAI(
        api_key=data.get(CONF_API_KEY) or PLACEHOLDER_API_KEY,
        base_url=normalize_url(data[CONF_URL]),
        http_client=cast(Any, get_async_client(hass)),
        timeout=openai.Timeout(REQUEST_TIMEOUT, connect=PROBE_TIMEOUT),
        # One retry: a 429 is retried once after Retry-After, a 5xx or a dropped connection once.
        max_retries=1,
    )
    # The SDK inspects the platform and imports its resource modules on first use; both touch
    # files, so they happen here, outside the event loop.
    await hass.async_add_executor_job(_load_lazily_imported_parts, client)
    return client


def _load_lazily_imported_parts(client: openai.AsyncOpenAI) -> None:
    client.platform_headers()
    _ = (client.chat.completions, client.models, client.embeddings)
    _ = (client.audio.speech, client.audio.transcriptions)


async def async_list_models(client: openai.AsyncOpenAI) -> list[str]:
    """Return the ids of the models the server offers."""
    with translate_errors():
        page = await client.with_options(timeout=PROBE_TIMEOUT, max_retries=0).models.list()
        return sorted({model.id async for model in page})


def _server_message(err: openai.APIStatusError) -> str:
    """Return the server's own error text, whatever shape its body has."""
    body = err.body
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return cast(str, error["message"])
        if isinstance(error, str):
            return error
    return err.message or str(err)


@contextmanager
def translate_errors(model: str | None = None) -> Generator[None]:
    """Turn every `openai` exception into one of ours; `model` names a 404's cause."""
    try:
        yield
    except openai.APITimeoutError as err:
        raise ServiceTimeout(str(err)) from err
    except openai.APIConnectionError as err:
        raise CannotConnect(str(err.__cause__ or err)) from err
    except (openai.AuthenticationError, openai.PermissionDeniedError) as err:
        raise InvalidAuth(_server_message(err)) from err
    except openai.NotFoundError as err:
        if model is None:
            # No model involved: the URL does not point at an OpenAI-compatible API.
            raise CannotConnect(_server_message(err)) from err
        raise ModelNotFound(_server_message(err), model=model) from err
    except openai.RateLimitError as err:
        raise RateLimited(_server_message(err)) from err
    except openai.InternalServerError as err:
        raise ServerError(_server_message(err)) from err
    except openai.APIStatusError as err:
        LOGGER.debug("Unexpected status %s from the AI service: %s", err.status_code, err.body)
        raise AIServiceError(_server_message(err)) from err
    except openai.OpenAIError as err:
        raise AIServiceError(str(err)) from err
    # While a stream is read, openai lets the transport's errors and bad JSON through.
    except (httpx.TimeoutException, httpx2.TimeoutException) as err:
        raise ServiceTimeout(str(err)) from err
    except (httpx.TransportError, httpx2.TransportError) as err:
        raise CannotConnect(str(err) or type(err).__name__) from err
    except json.JSONDecodeError as err:
        raise AIServiceError(f"malformed response: {err}") from err
