"""The rasa_sdk action endpoint, mounted in the bot server so actions and the commerce API share a process.

Only Rasa may call it: an action runs with whatever tracker the caller sends, so an open endpoint
gave anyone a shopper's orders and pickup code for the price of their phone number. Rasa sends
``Authorization: Bearer <ACTION_ENDPOINT_TOKEN>`` (endpoints.yml ``action_endpoint.headers``, which
Rasa fills from the environment); anything else gets 401 before the body is read. Compressed
bodies (Rasa deflates large calls when asked to) are inflated to at most MAX_ACTION_CALL_BYTES.
"""

from __future__ import annotations

import hmac
import logging
import zlib

from rasa_sdk import utils
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.kernel.inbound_text import load_json_body

logger = logging.getLogger(__name__)

APOLOGY = "Sorry, something went wrong on my side. Please try again in a moment, or type \"help\"."
# A tracker of the bounded store plus the domain is tens of KB; 4 MiB leaves room and stops a
# 200 KB deflate bomb (200 MiB inflated) at 4 MiB.
MAX_ACTION_CALL_BYTES = 4 * 1024 * 1024
_WBITS = {"deflate": zlib.MAX_WBITS, "gzip": 16 + zlib.MAX_WBITS}


class BodyTooLarge(ValueError):
    """The body inflates past MAX_ACTION_CALL_BYTES."""


def inflate(body: bytes, encoding: str, limit: int = MAX_ACTION_CALL_BYTES) -> bytes:
    """The decompressed body, never more than `limit` bytes of it in memory.

    Raises:
        BodyTooLarge: it inflates past `limit`.
        ValueError: an unknown Content-Encoding, or not valid compressed data.
    """
    if encoding not in _WBITS:
        raise ValueError(f"unsupported Content-Encoding {encoding!r}")
    inflater = zlib.decompressobj(_WBITS[encoding])
    try:
        data = inflater.decompress(body, limit)
    except zlib.error as error:
        raise ValueError(f"body is not valid {encoding} data") from error
    if inflater.unconsumed_tail:
        raise BodyTooLarge(f"body inflates past {limit} bytes")
    return data


def bearer_token_matches(request: Request, token: str) -> bool:
    """Constant-time check of ``Authorization: Bearer <token>``; an unset token matches nothing."""
    scheme, _, offered = request.headers.get("Authorization", "").partition(" ")
    return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(offered.strip().encode(), token.encode())


def build_actions_blueprint(token: str, action_package: str = "actions") -> Blueprint:
    """The action endpoint at POST /webhook (and GET /actions), answering only callers holding `token`."""
    executor = ActionExecutor()
    executor.register_package(action_package)
    actions = Blueprint("actions")
    if not token:
        logger.error("the action endpoint refuses every call: ACTION_ENDPOINT_TOKEN is not set")

    def refused() -> HTTPResponse:
        return response.json({"error": "unauthorised"}, status=401, headers={"WWW-Authenticate": "Bearer"})

    @actions.post("/webhook")
    async def run_action(request: Request) -> HTTPResponse:
        if not bearer_token_matches(request, token):
            return refused()
        encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
        try:
            raw = request.body if encoding == "identity" else inflate(request.body, encoding)
            action_call = load_json_body(raw)
        except BodyTooLarge as error:
            return response.json({"error": str(error)}, status=413)
        except ValueError as error:
            return response.json({"error": f"Invalid body request: {error}"}, status=400)
        if not isinstance(action_call, dict):
            return response.json({"error": "Invalid body request"}, status=400)
        version = action_call.get("version")
        utils.check_version_compatibility(version if isinstance(version, str) else None)
        try:
            result = await executor.run(action_call)
        except ActionExecutionRejection as rejection:
            return response.json({"error": rejection.message, "action_name": rejection.action_name}, status=400)
        except ActionNotFoundException as missing:
            logger.error(missing)
            return response.json({"error": missing.message, "action_name": missing.action_name}, status=404)
        except Exception:  # noqa: BLE001 - a failing action must still answer the shopper
            logger.exception("action %s failed", action_call.get("next_action"))
            return response.json({"events": [], "responses": [{"text": APOLOGY}]})
        return response.json(result)

    @actions.get("/actions")
    async def list_actions(request: Request) -> HTTPResponse:
        if not bearer_token_matches(request, token):
            return refused()
        return response.json([{"name": name} for name in executor.actions])

    return actions
