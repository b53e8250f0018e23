"""The action endpoint answers only Rasa (a bearer secret) and never inflates a body past its cap."""

from __future__ import annotations

import gzip
import json
import zlib

import pytest

from bot.server.actions_routes import APOLOGY, MAX_ACTION_CALL_BYTES, BodyTooLarge, build_actions_blueprint, inflate
from bot.kernel.shop import Shop
from tests.connectors.helpers import serve_blueprint

TOKEN = "action-endpoint-test-token"
# The probe's call: another shopper's order status for the price of their phone number.
ORDER_STATUS_CALL = {
    "next_action": "action_respond",
    "sender_id": "sms:+447700900123",
    "version": "3.6.21",
    "tracker": {
        "sender_id": "sms:+447700900123",
        "slots": {},
        "latest_message": {"text": "where is my order", "intent": {"name": "order_status"}, "entities": []},
        "events": [],
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": "action_listen",
    },
    "domain": {},
}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": "Bearer"},
        {"Authorization": TOKEN},
    ],
)
async def test_calls_without_the_secret_get_401_and_run_nothing(shop: Shop, headers: dict[str, str]) -> None:
    async with serve_blueprint(build_actions_blueprint(TOKEN)) as client:
        reply = await client.post("/webhook", json=ORDER_STATUS_CALL, headers=headers)
        listing = await client.get("/actions", headers=headers)
    assert (reply.status_code, listing.status_code) == (401, 401)
    assert reply.json() == {"error": "unauthorised"} and "responses" not in reply.text


async def test_an_unset_token_refuses_every_call(shop: Shop) -> None:
    async with serve_blueprint(build_actions_blueprint("")) as client:
        reply = await client.post("/webhook", json=ORDER_STATUS_CALL, headers={"Authorization": "Bearer"})
    assert reply.status_code == 401


async def test_rasa_holding_the_secret_runs_the_action(shop: Shop) -> None:
    async with serve_blueprint(build_actions_blueprint(TOKEN)) as client:
        reply = await client.post("/webhook", json=ORDER_STATUS_CALL, headers={"Authorization": f"Bearer {TOKEN}"})
        deflated = await client.post(
            "/webhook",
            content=zlib.compress(json.dumps(ORDER_STATUS_CALL).encode()),
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Encoding": "deflate", "Content-Type": "application/json"},
        )
    assert reply.status_code == 200 and deflated.status_code == 200
    assert reply.json()["responses"] and reply.json() == deflated.json()
    assert APOLOGY not in reply.text  # the action ran, it did not fail


async def test_a_deflate_bomb_is_refused_at_the_cap(shop: Shop) -> None:
    # The probe's bomb: ~200 KB that inflates to 200 MiB. Refused after MAX_ACTION_CALL_BYTES.
    bomb = zlib.compress(b" " * (200 * 1024 * 1024), 9)
    assert len(bomb) < 300 * 1024
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Encoding": "deflate", "Content-Type": "application/json"}
    async with serve_blueprint(build_actions_blueprint(TOKEN)) as client:
        reply = await client.post("/webhook", content=bomb, headers=headers)
        unknown = await client.post("/webhook", content=b"{}", headers={**headers, "Content-Encoding": "br"})
        broken = await client.post("/webhook", content=b"not deflate", headers=headers)
        nested = await client.post("/webhook", content=b"[" * 100_000, headers={"Authorization": f"Bearer {TOKEN}"})
    assert [reply.status_code, unknown.status_code, broken.status_code, nested.status_code] == [413, 400, 400, 400]


def test_inflate_keeps_at_most_the_limit_in_memory() -> None:
    assert inflate(gzip.compress(b"x" * 1000), "gzip", limit=1000) == b"x" * 1000
    with pytest.raises(BodyTooLarge):
        inflate(zlib.compress(b"x" * 1001), "deflate", limit=1000)
    with pytest.raises(BodyTooLarge):
        inflate(zlib.compress(b"x" * (MAX_ACTION_CALL_BYTES + 1)), "deflate")


def test_rasa_sends_the_secret_from_its_environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # Rasa expands ${VAR} only in unquoted YAML values: a quoted header would send the literal text.
    from rasa.utils.endpoints import read_endpoint_config

    from scripts.shop_env import PROJECT_ROOT
    from scripts.stack import StackConfig

    monkeypatch.setenv("ACTION_ENDPOINT_TOKEN", TOKEN)
    endpoint = read_endpoint_config(str(PROJECT_ROOT / "endpoints.yml"), "action_endpoint")
    assert endpoint is not None and endpoint.headers == {"Authorization": f"Bearer {TOKEN}"}
    # The per-stack copy keeps the reference, so the secret is never written to disk.
    copy = StackConfig(model=tmp_path / "model.tar.gz", env={}, state_dir=tmp_path, bot_port=5999).endpoints_file()
    assert TOKEN not in copy.read_text() and "${ACTION_ENDPOINT_TOKEN}" in copy.read_text()
    stacked = read_endpoint_config(str(copy), "action_endpoint")
    assert stacked is not None and (stacked.url, stacked.headers) == ("http://127.0.0.1:5999/webhook", endpoint.headers)
