"""Delivering shopper notices: each due notice pushed into its conversation through Rasa's trigger_intent, and
the outcome recorded (sent, or retried later with back-off). The notices themselves, and their rows, are
`bot.ordering.notices`."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Protocol

from bot.adapters.rasa_client import RasaUnavailable
from bot.kernel import clock
from bot.kernel.shop import Shop
from bot.ordering.notices import (
    DeliveryPolicy,
    DeliveryReport,
    NOTICE_ATTEMPT,
    NOTICE_FACTS,
    NOTICE_KINDS,
    due_notices,
    notice_key,
    record_notice_failure,
    record_notice_sent,
)
from bot.ordering.pickup_alerts import notice_facts

log = logging.getLogger(__name__)

# Orders record where they came from; Rasa names the web chat's input channel "webchat".
RASA_CHANNEL_NAMES = {"web": "webchat"}
DIALOGUE_SLOT = "dialogue"  # the Rasa slot holding the dialogue state (actions/conversation.py)


class TriggersIntents(Protocol):
    async def trigger_intent(
        self, conversation_id: str, intent: str, entities: dict[str, Any] | None = None, output_channel: str = "latest"
    ) -> dict[str, Any]: ...


class NotSaid(RuntimeError):
    """Rasa answered, but the conversation's state shows the notice was not handled."""


def handled_by_conversation(result: dict[str, Any], key: str) -> bool:
    """Whether trigger_intent's answer shows the conversation handled the notice with this key.

    Rasa answers 200 even when the action server was down and the turn said nothing; the tracker in its
    answer (updated by that turn) carries the dialogue state, where the conversation notes each notice
    key it handled (bot/conversation/notices.py). An answer without a tracker cannot tell: taken as handled.
    """
    tracker = result.get("tracker") if isinstance(result, dict) else None
    if not isinstance(tracker, dict):
        return True
    dialogue = (tracker.get("slots") or {}).get(DIALOGUE_SLOT)
    return isinstance(dialogue, dict) and key in (dialogue.get("notices") or [])


async def deliver_due_notices(
    shop: Shop,
    rasa_client: TriggersIntents,
    now: datetime | None = None,
    policy: DeliveryPolicy = DeliveryPolicy(),
    limit: int = 50,
    kinds: tuple[str, ...] = NOTICE_KINDS,
    subject: str | None = None,
) -> DeliveryReport:
    """Pushes every due notice into its conversation through Rasa and records each result.

    Several replicas may call this at once: each notice is claimed by one of them.
    """
    now = now or clock.now()
    report = DeliveryReport()
    for notice in await shop.call(due_notices, now, limit, policy, kinds, subject, notice_facts):
        label = notice_key(notice.kind, notice.subject)
        entities = {"order_reference": notice.order_reference, "notice_key": notice.key, NOTICE_ATTEMPT: str(notice.attempt)}
        if notice.facts is not None:
            entities[NOTICE_FACTS] = notice.facts  # read with the claim: the conversation words it without a look-up
        try:
            result = await rasa_client.trigger_intent(
                notice.conversation_id,
                notice.intent,
                entities=entities,
                output_channel=RASA_CHANNEL_NAMES.get(notice.channel, notice.channel),
            )
            if not handled_by_conversation(result, notice.key):
                raise NotSaid("Rasa took the notice but the conversation did not handle it (action server down, or paused)")
        except Exception as error:  # noqa: BLE001 - any failure is retried later and shown to staff
            log.warning("notice %s failed (attempt %s): %s", label, notice.attempt, error)
            if isinstance(error, RasaUnavailable) and not (error.reached or error.timed_out):
                report.unreachable = True
            retrying = await shop.call(record_notice_failure, notice.timer_id, error, now, policy)
            (report.retrying if retrying else report.given_up).append(label)
            continue
        await shop.call(record_notice_sent, notice.timer_id, now)
        report.sent.append(label)
    return report
