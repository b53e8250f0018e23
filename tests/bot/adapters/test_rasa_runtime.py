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


# --- an action call whose action server died under it is made again (behind nginx: on another server) ---

async def _calls_made(first_answer: str, body: dict) -> tuple[int, object]:
    """Calls a fake action server whose first answer is `first_answer` ("drop": it closes the connection
    without answering; "502"/"500": that status; later calls get a normal answer). Returns how many calls
    reached it and what the request returned (or the exception it raised)."""
    from aiohttp import web
    from rasa.utils.endpoints import EndpointConfig

    calls: list[dict] = []

    async def webhook(request: web.Request) -> web.StreamResponse:
        calls.append(await request.json())
        if len(calls) == 1 and first_answer == "drop":
            assert request.transport is not None
            request.transport.close()  # as a process killed mid-action: no answer at all
            return web.Response()
        if len(calls) == 1 and first_answer.isdigit():
            return web.Response(status=int(first_answer), text="upstream went away")
        return web.json_response({"events": [], "responses": [{"text": "Added 2 to your basket."}]})

    async with serve_post("/webhook", webhook) as port:
        endpoint = EndpointConfig(url=f"http://127.0.0.1:{port}/webhook")
        try:
            result: object = await endpoint.request(json=body, method="post")
        except Exception as error:  # noqa: BLE001 - the outcome under test
            result = error
    assert all(call == body for call in calls)  # the same tracker and message each time
    return len(calls), result


@pytest.mark.parametrize("first_answer", ["drop", "502"])
async def test_an_action_call_dropped_by_a_dying_action_server_is_made_again(first_answer: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rasa_runtime, "ACTION_RETRY_SECONDS", (0.01, 0.01))
    calls, result = await _calls_made(first_answer, {"next_action": "action_add_to_cart", "sender_id": "web-1"})
    assert calls == 2 and result == {"events": [], "responses": [{"text": "Added 2 to your basket."}]}


async def test_an_answer_other_than_502_and_a_call_that_is_no_action_are_not_made_again(monkeypatch: pytest.MonkeyPatch) -> None:
    from rasa.utils.endpoints import ClientResponseError

    monkeypatch.setattr(rasa_runtime, "ACTION_RETRY_SECONDS", (0.01, 0.01))
    calls, result = await _calls_made("500", {"next_action": "action_add_to_cart", "sender_id": "web-1"})
    assert calls == 1 and isinstance(result, ClientResponseError) and result.status == 500  # the action server answered
    calls, result = await _calls_made("502", {"sender_id": "web-1"})
    assert calls == 1 and isinstance(result, ClientResponseError) and result.status == 502  # not an action call
