"""The precompiled check of action server responses accepts and rejects exactly what Rasa's own does."""

from __future__ import annotations

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

import connectors  # noqa: F401  (importing the package installs the fix, as in the Rasa process)
from bot.adapters import rasa_runtime
from tests.support.aiohttp_server import serve_post

GOOD = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "product", "value": "FS-BOOT-TRB"}], "responses": [{"text": "hi"}]},
]
BAD = [
    {"events": "not a list", "responses": []},
    {"events": [{"event": "slot"}], "responses": [{"text": "hi"}]},  # a slot event needs a name
    {"events": [], "responses": ["not an object"]},
]


def test_importing_connectors_installs_the_fix() -> None:
    assert RemoteAction._validate_action_result is rasa_runtime._validate_action_result


@pytest.mark.parametrize("response", GOOD)
def test_valid_responses_pass_both_checks(response: dict) -> None:
    jsonschema.validate(response, RemoteAction.action_response_format_spec())  # Rasa's original check
    assert RemoteAction("action_x", None)._validate_action_result(response) is True


@pytest.mark.parametrize("response", BAD)
def test_invalid_responses_fail_both_checks(response: dict) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(response, RemoteAction.action_response_format_spec())
    with pytest.raises(jsonschema.ValidationError, match="Failed to validate Action server response"):
        RemoteAction("action_x", None)._validate_action_result(response)


async def test_calls_to_the_action_server_reuse_one_connection() -> None:
    from aiohttp import web
    from rasa.utils.endpoints import EndpointConfig

    client_ports: list[int] = []

    async def webhook(request: web.Request) -> web.Response:
        client_ports.append(request.transport.get_extra_info("peername")[1])
        return web.json_response({"events": [], "responses": []})

    async with serve_post("/webhook", webhook) as port:
        endpoint = EndpointConfig(url=f"http://127.0.0.1:{port}/webhook")
        answers = [await endpoint.request(json={"next_action": "action_x"}) for _ in range(3)]
    assert answers == [{"events": [], "responses": []}] * 3
    assert len(client_ports) == 3 and len(set(client_ports)) == 1  # one kept-alive connection, not three
