"""The rasa_sdk action endpoint, mounted in the bot server so actions and the commerce API share a process."""

from __future__ import annotations

import json
import logging
import zlib

from rasa_sdk import utils
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

APOLOGY = "Sorry, something went wrong on my side. Please try again in a moment, or type \"help\"."


def build_actions_blueprint(action_package: str = "actions") -> Blueprint:
    executor = ActionExecutor()
    executor.register_package(action_package)
    actions = Blueprint("actions")

    @actions.post("/webhook")
    async def run_action(request: Request) -> HTTPResponse:
        if request.headers.get("Content-Encoding") == "deflate":
            action_call = json.loads(zlib.decompress(request.body))
        else:
            action_call = request.json
        if not isinstance(action_call, dict):
            return response.json({"error": "Invalid body request"}, status=400)
        utils.check_version_compatibility(action_call.get("version"))
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
    async def list_actions(_: Request) -> HTTPResponse:
        return response.json([{"name": name} for name in executor.actions])

    return actions
