"""Rasa's event queue is bounded by the RabbitMQ policy docs/production.md sets: with nobody consuming
(43,421 events in 15 minutes once), the oldest events are dropped instead of filling the broker's disk."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import uuid

import aio_pika
import pytest

from scripts.shop_env import PROJECT_ROOT
from tests.production.services import require_rabbitmq
from tests.support.databases import running_in_ci

pytestmark = pytest.mark.production

DOCS = PROJECT_ROOT / "docs" / "production.md"
BOUND_FOR_THE_TEST = 50


def documented_policy_command() -> str:
    found = re.search(r"<!-- events-bound: begin -->\n *```bash\n(.*?)\n *```\n *<!-- events-bound: end -->", DOCS.read_text(), re.S)
    assert found, "docs/production.md lost its events-bound block"
    return found.group(1).strip()


def rabbitmqctl() -> str:
    found = shutil.which("rabbitmqctl") or shutil.which("rabbitmqctl", path="/usr/sbin")
    if not found:
        if running_in_ci():
            pytest.fail("rabbitmqctl is missing (it comes with the rabbitmq-server package)")
        pytest.skip("rabbitmqctl is not installed")
    return found


async def test_the_documented_policy_keeps_the_newest_events_only() -> None:
    url = require_rabbitmq()
    queue_name, policy = f"rasa_events_{uuid.uuid4().hex[:10]}", f"test-bound-{uuid.uuid4().hex[:8]}"
    command = documented_policy_command()
    documented = re.search(r'"max-length":(\d+)', command)
    assert documented and int(documented.group(1)) >= 100_000  # about 35 min of the 43k-per-15-min rate
    # The docs' command, on this test's queue, with a bound small enough to reach quickly.
    for old, new in (
        ("sudo rabbitmqctl", rabbitmqctl()),
        ("fellside-events-bound", policy),
        ("'^rasa_events$'", f"'^{queue_name}$'"),
        (f'"max-length":{documented.group(1)}', f'"max-length":{BOUND_FOR_THE_TEST}'),
    ):
        assert old in command, f"docs/production.md no longer says {old!r}"
        command = command.replace(old, new)
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        await channel.declare_queue(queue_name, durable=True)  # exactly as Rasa's pika broker declares it
        try:
            subprocess.run(["bash", "-c", command], check=True, capture_output=True, timeout=120)
            for number in range(80):
                body = json.dumps({"sender_id": "s1", "event": "user", "text": f"line {number}", "timestamp": float(number)})
                await channel.default_exchange.publish(aio_pika.Message(body.encode()), routing_key=queue_name)
            deadline = asyncio.get_running_loop().time() + 30
            while True:  # the policy reaches the queue within moments of being set
                queue = await channel.declare_queue(queue_name, durable=True, passive=True)
                if queue.declaration_result.message_count == BOUND_FOR_THE_TEST:
                    break
                assert asyncio.get_running_loop().time() < deadline, queue.declaration_result.message_count
                await asyncio.sleep(0.2)
            first = await queue.get(no_ack=True)
            assert json.loads(first.body)["text"] == f"line {80 - BOUND_FOR_THE_TEST}"  # drop-head: the oldest went
        finally:
            subprocess.run([rabbitmqctl(), "clear_policy", policy], capture_output=True, timeout=120)
            await channel.queue_delete(queue_name)
