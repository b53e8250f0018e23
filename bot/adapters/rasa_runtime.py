"""Three fixes to Rasa's own per-message hot path, applied in the Rasa process (see connectors/__init__.py).

1. Rasa 3.6 checks every action server response with `jsonschema.validate(result, schema)`, and that
   helper first validates the *schema itself* against the JSON Schema meta-schema, on every call. The
   bench's profile of the Rasa process showed that meta-schema check at about half of the event loop's
   time on turns that run a custom action. Here the validator for the (fixed) response schema is built
   once; responses are checked against the same schema with the same ValidationError, so a malformed
   action server response is still rejected exactly as before.
2. `EndpointConfig.request` opens a new aiohttp ClientSession, and so a new TCP connection, for every
   call to the action server (a stock question makes three). Here each endpoint keeps one session per
   event loop, so calls reuse kept-alive connections; headers, auth and timeout are the ones Rasa sets.
3. An action call whose action server died under it (the connection dropped before an answer, or nginx
   answered 502 because its upstream did) is made again, twice at most: behind nginx it reaches another bot
   server. Rasa itself gives up at once, drops the action's events and the shopper gets an apology, though
   the action's database change may have committed just before the kill (seen in the chaos run through
   nginx). A second call is safe: side effects are keyed on the inbound message (bot.messaging.turn_effects),
   so it returns the same basket or order instead of doing it twice. Not retried: a refused connection
   (nothing was sent; nginx already tried the other server), a timeout (the action may still be running),
   and every other status (the action server answered).
"""

from __future__ import annotations

import asyncio
import logging
from functools import lru_cache
from types import TracebackType
from typing import Any

import aiohttp

from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL
from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT
from rasa.utils.endpoints import ClientResponseError, EndpointConfig

logger = logging.getLogger(__name__)

# Idle connections are dropped well before the action server (Sanic: 5 s keep-alive) closes its end,
# so a call never goes out on a connection the server is closing.
KEEPALIVE_SECONDS = 2.0


@lru_cache(maxsize=1)
def _response_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)  # once, not per message
    return validator_class(schema)


def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    try:
        _response_validator().validate(result)
    except ValidationError as error:
        error.message += (
            ". Failed to validate Action server response from API, make sure your response from the "
            f"Action endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise
    return True


class _KeptSession:
    """Stands where Rasa expects `async with endpoint.session() as session`, without closing the session."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self._session

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        return None


def _new_session(endpoint: EndpointConfig) -> aiohttp.ClientSession:
    """What Rasa's EndpointConfig.session builds (headers, basic auth, timeout), with a short keep-alive."""
    auth = None
    if endpoint.basic_auth:
        auth = aiohttp.BasicAuth(endpoint.basic_auth["username"], endpoint.basic_auth["password"])
    return aiohttp.ClientSession(
        headers=endpoint.headers,
        auth=auth,
        timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
        connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_SECONDS),
    )


def _shared_session(self: EndpointConfig) -> _KeptSession:
    loop = asyncio.get_running_loop()
    kept = getattr(self, "_kept_session", None)
    if kept is None or kept[0] is not loop or kept[1].closed:
        kept = (loop, _new_session(self))
        self._kept_session = kept  # type: ignore[attr-defined]
    return _KeptSession(kept[1])


ACTION_RETRY_SECONDS = (0.5, 2.0)  # waits before the second and third call
_RASA_REQUEST = EndpointConfig.request


def _action_server_died(error: BaseException) -> bool:
    """The call reached an action server that died before answering (or nginx said its upstream did)."""
    if isinstance(error, ClientResponseError):
        return error.status == 502
    return isinstance(error, aiohttp.ClientConnectionError) and not isinstance(
        error, (aiohttp.ClientConnectorError, aiohttp.ServerTimeoutError)
    )


async def _request_again_if_the_action_server_died(self: EndpointConfig, *args: Any, **kwargs: Any) -> Any:
    """EndpointConfig.request; an action call (its body names `next_action`) is made again after a dropped answer."""
    body = kwargs.get("json")
    action = body.get("next_action") if isinstance(body, dict) else None
    for wait in (*ACTION_RETRY_SECONDS, None):
        try:
            return await _RASA_REQUEST(self, *args, **kwargs)
        except aiohttp.ClientError as error:
            if action is None or wait is None or not _action_server_died(error):
                raise
            logger.warning("action %s: the action server went away (%s); calling it again", action, error)
            await asyncio.sleep(wait)


def install() -> None:
    """Replaces RemoteAction's response check, EndpointConfig's per-call session and its request (idempotent)."""
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
    EndpointConfig.session = _shared_session  # type: ignore[method-assign]
    EndpointConfig.request = _request_again_if_the_action_server_died  # type: ignore[method-assign]
