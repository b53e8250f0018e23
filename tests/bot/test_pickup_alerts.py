"""Pickup alerts: one alert per ready event, claimed once across sweepers, retried with backoff, reminders."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.kernel.config import load_settings
from bot.adapters.rasa_client import RasaUnavailable
from bot.kernel.models import AuditEntry, Timer
from bot.ordering import orders
from bot.messaging.channel_rules import opt_out
from bot.orchestration.notice_delivery import deliver_due_notices as deliver_due_alerts
from bot.ordering.notices import due_notices as due_alerts, record_notice_sent as record_alert_sent
from bot.ordering.pickup_alerts import (
    HOLD_ENDING,
    PICKUP_REMINDER,
    READY_ALERT,
    AlertPolicy,
    PickupNotice,
    alert_problems,
    alert_timers,
    mark_ready_and_alert,
    pickup_notice,
    schedule_missing_alerts,
)
from bot.kernel.timers import exponential_backoff
from bot.kernel.shop import Shop
from tests.bot.factories import DEFAULT_NOW, place, seed_small_shop, set_stock

READY_AT = DEFAULT_NOW + timedelta(hours=1)
PHONE = "+447700900123"


class FakeRasa:
    """Records trigger_intent calls; fails the next `fail` calls."""

    def __init__(self, fail: int = 0) -> None:
        self.calls: list[tuple[str, str, dict[str, Any], str]] = []
        self.fail = fail

    async def trigger_intent(self, conversation_id: str, intent: str, entities: dict[str, Any] | None = None, output_channel: str = "latest") -> dict[str, Any]:
        if self.fail:
            self.fail -= 1
            raise RasaUnavailable("Rasa did not answer /conversations/x/trigger_intent: connection refused")
        self.calls.append((conversation_id, intent, dict(entities or {}), output_channel))
        return {}


def _ready_order(shop: Shop, conversation: str = "web-1", channel: str = "web", now: datetime = READY_AT) -> str:
    seed_small_shop(shop)
    placed = place(shop, conversation, {"JKT-NVY-M": 1}, payment_method="at_pickup", channel=channel)
    outcome = shop.run(mark_ready_and_alert, placed.reference, "store_api:sktest", now)
    assert outcome.order.status == "ready"
    return placed.reference


def _states(shop: Shop, reference: str) -> list[tuple[str, str, int]]:
    return [(a.kind, a.state, a.attempts) for a in shop.run(alert_timers, reference)]


def _audit_count(shop: Shop, action: str) -> int:
    with shop.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)))


def test_marking_ready_schedules_one_alert_and_two_reminders(shop: Shop) -> None:
    reference = _ready_order(shop)
    timers = shop.run(alert_timers, reference)
    hold_expires_at = shop.run(orders.order_status, reference).hold_expires_at
    assert [(t.kind, t.due_at, t.state) for t in timers] == [
        (READY_ALERT, READY_AT, "pending"),
        (PICKUP_REMINDER, READY_AT + timedelta(hours=24), "pending"),
        (HOLD_ENDING, hold_expires_at - timedelta(hours=4), "pending"),
    ]
    # Marking it ready again (a double click, a retried request) schedules nothing more.
    again = shop.run(mark_ready_and_alert, reference, "dashboard:leeds", READY_AT + timedelta(minutes=1))
    assert again.alert_scheduled is False and again.order.status == "ready"
    assert len(shop.run(alert_timers, reference)) == 3
    assert _audit_count(shop, "order_ready") == 1


def test_an_order_that_cannot_be_ready_schedules_nothing(shop: Shop) -> None:
    seed_small_shop(shop)
    unpaid = place(shop, "web-2", {"JKT-NVY-M": 1}, payment_method="link")
    with pytest.raises(orders.InvalidTransition):
        shop.run(mark_ready_and_alert, unpaid.reference, "store_api:sktest", READY_AT)
    assert shop.run(alert_timers, unpaid.reference) == []
    assert shop.run(orders.order_status, unpaid.reference).status == "pending_payment"


def test_a_short_hold_gets_no_separate_reminders(shop: Shop) -> None:
    seed_small_shop(shop)
    placed = place(shop, "web-3", {"JKT-NVY-M": 1}, payment_method="at_pickup")
    near_the_end = placed.hold_expires_at - timedelta(hours=3)
    shop.run(mark_ready_and_alert, placed.reference, "store_api:sktest", near_the_end)
    assert [kind for kind, _state, _n in _states(shop, placed.reference)] == [READY_ALERT]


async def test_delivery_sends_once_through_rasa_on_the_order_channel(shop: Shop) -> None:
    reference = _ready_order(shop, conversation="sms:+447700900123", channel="sms")
    rasa = FakeRasa()
    report = await deliver_due_alerts(shop, rasa, READY_AT)
    assert report.sent == [f"ready_alert:{reference}"]
    [(conversation, intent, entities, channel)] = rasa.calls
    assert (conversation, intent, channel) == ("sms:+447700900123", "EXTERNAL_order_ready", "sms")
    assert entities["order_reference"] == reference and entities["notice_key"] == f"ready_alert:{reference}"
    # What the alert says was read with the claim and travels with it: the conversation does not read it again.
    carried = PickupNotice.from_entity(entities["notice_facts"])
    assert carried == shop.run(pickup_notice, reference, READY_AT)

    again = await deliver_due_alerts(shop, rasa, READY_AT + timedelta(minutes=10))
    assert again.sent == [] and len(rasa.calls) == 1
    assert _states(shop, reference)[0] == (READY_ALERT, "sent", 1)
    assert _audit_count(shop, "pickup_alert_sent") == 1


async def test_web_orders_go_to_the_webchat_channel(shop: Shop) -> None:
    reference = _ready_order(shop, conversation="web-abc", channel="web")
    rasa = FakeRasa()
    await deliver_due_alerts(shop, rasa, READY_AT)
    assert [(c, i, e["notice_key"], o) for c, i, e, o in rasa.calls] == [("web-abc", "EXTERNAL_order_ready", f"ready_alert:{reference}", "webchat")]


async def test_failed_sends_back_off_exponentially_then_give_up(shop: Shop) -> None:
    reference = _ready_order(shop)
    policy = AlertPolicy(max_attempts=3, first_retry=timedelta(seconds=30), max_retry=timedelta(minutes=10))
    rasa = FakeRasa(fail=5)

    report = await deliver_due_alerts(shop, rasa, READY_AT, policy)
    assert report.retrying == [f"ready_alert:{reference}"]
    problem = shop.run(alert_problems, "leeds")[0]
    assert (problem.state, problem.attempts, problem.due_at) == ("retrying", 1, READY_AT + timedelta(seconds=30))
    assert "connection refused" in (problem.last_error or "")

    assert (await deliver_due_alerts(shop, rasa, READY_AT + timedelta(seconds=29), policy)).retrying == []  # not yet
    second_try = READY_AT + timedelta(seconds=30)
    assert (await deliver_due_alerts(shop, rasa, second_try, policy)).retrying == [f"ready_alert:{reference}"]
    assert shop.run(alert_problems, "leeds")[0].due_at == second_try + timedelta(seconds=60)

    given_up = await deliver_due_alerts(shop, rasa, second_try + timedelta(seconds=60), policy)
    assert given_up.given_up == [f"ready_alert:{reference}"]
    problem = shop.run(alert_problems, "leeds")[0]
    assert (problem.state, problem.attempts) == ("not_sent", 3)
    assert _audit_count(shop, "pickup_alert_failed") == 1
    assert (await deliver_due_alerts(shop, rasa, READY_AT + timedelta(hours=1), policy)).given_up == []
    assert rasa.calls == []


async def test_a_retry_that_succeeds_clears_the_error(shop: Shop) -> None:
    reference = _ready_order(shop)
    rasa = FakeRasa(fail=1)
    await deliver_due_alerts(shop, rasa, READY_AT)
    report = await deliver_due_alerts(shop, rasa, READY_AT + timedelta(seconds=30))
    assert report.sent == [f"ready_alert:{reference}"]
    assert _states(shop, reference)[0] == (READY_ALERT, "sent", 2)
    assert shop.run(alert_problems, "leeds") == []


def test_backoff_doubles_up_to_a_cap() -> None:
    waits = [exponential_backoff(n, timedelta(seconds=30), timedelta(minutes=5)) for n in range(1, 7)]
    assert [w.total_seconds() for w in waits] == [30, 60, 120, 240, 300, 300]


def test_a_sweeper_that_dies_mid_send_leaves_the_alert_for_another_after_the_lease(shop: Shop) -> None:
    reference = _ready_order(shop)
    policy = AlertPolicy(lease=timedelta(minutes=5))
    claimed = shop.run(due_alerts, READY_AT, 10, policy)
    assert [a.order_reference for a in claimed] == [reference]
    # The claimer crashes before recording anything. Within the lease nobody else takes it ...
    assert shop.run(due_alerts, READY_AT + timedelta(minutes=4), 10, policy) == []
    # ... after it, another sweeper does (attempt 2), and the alert still goes out once.
    retaken = shop.run(due_alerts, READY_AT + timedelta(minutes=5), 10, policy)
    assert [(a.order_reference, a.attempt) for a in retaken] == [(reference, 2)]
    shop.run(record_alert_sent, retaken[0].timer_id, READY_AT + timedelta(minutes=5))
    assert shop.run(due_alerts, READY_AT + timedelta(hours=1), 10, policy) == []


def _two_sweepers_claim(shop: Shop, now: datetime) -> list[str]:
    claimed: list[list[str]] = [[], []]
    barrier = threading.Barrier(2)

    def sweep(slot: int) -> None:
        barrier.wait()
        for _ in range(20):
            batch = shop.run(due_alerts, now, 3)
            if not batch:
                return
            for alert in batch:  # sent successfully
                shop.run(record_alert_sent, alert.timer_id, now)
                claimed[slot].append(f"{alert.kind}:{alert.order_reference}")

    threads = [threading.Thread(target=sweep, args=(slot,)) for slot in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return claimed[0] + claimed[1]


@pytest.mark.parametrize("database", ["shop", "pg_shop"])
def test_two_sweepers_claim_each_alert_exactly_once(database: str, request: pytest.FixtureRequest) -> None:
    shop: Shop = request.getfixturevalue(database)
    seed_small_shop(shop)
    set_stock(shop, "leeds", "FLC-RED-S", on_hand=100, safety_buffer=0)
    references = []
    for number in range(24):
        placed = place(shop, f"web-{number}", {"FLC-RED-S": 1}, payment_method="at_pickup")
        shop.run(mark_ready_and_alert, placed.reference, "store_api:sktest", READY_AT)
        references.append(placed.reference)

    claimed = _two_sweepers_claim(shop, READY_AT)
    assert sorted(claimed) == sorted(f"ready_alert:{reference}" for reference in references)
    # Later, the reminders too are each taken once.
    reminders = _two_sweepers_claim(shop, READY_AT + timedelta(hours=25))
    assert sorted(reminders) == sorted(f"pickup_reminder:{reference}" for reference in references)


async def test_reminder_and_last_notice_fire_for_an_uncollected_order(shop: Shop) -> None:
    reference = _ready_order(shop)
    hold_expires_at = shop.run(orders.order_status, reference).hold_expires_at
    rasa = FakeRasa()
    await deliver_due_alerts(shop, rasa, READY_AT)
    assert (await deliver_due_alerts(shop, rasa, READY_AT + timedelta(hours=23))).sent == []
    assert (await deliver_due_alerts(shop, rasa, READY_AT + timedelta(hours=24))).sent == [f"pickup_reminder:{reference}"]
    last = await deliver_due_alerts(shop, rasa, hold_expires_at - timedelta(hours=4))
    assert last.sent == [f"hold_ending:{reference}"]
    assert [intent for _c, intent, _e, _o in rasa.calls] == ["EXTERNAL_order_ready", "EXTERNAL_pickup_reminder", "EXTERNAL_hold_ending"]


async def test_configurable_reminder_time(shop: Shop) -> None:
    seed_small_shop(shop)
    placed = place(shop, "web-9", {"JKT-NVY-M": 1}, payment_method="at_pickup")
    policy = AlertPolicy(remind_after_hours=2, last_notice_hours=1)
    shop.run(mark_ready_and_alert, placed.reference, "dashboard:leeds", READY_AT, policy)
    timers = {t.kind: t.due_at for t in shop.run(alert_timers, placed.reference)}
    assert timers[PICKUP_REMINDER] == READY_AT + timedelta(hours=2)
    assert timers[HOLD_ENDING] == placed.hold_expires_at - timedelta(hours=1)


async def test_collected_orders_get_no_reminders(shop: Shop) -> None:
    reference = _ready_order(shop)
    rasa = FakeRasa()
    await deliver_due_alerts(shop, rasa, READY_AT)
    code = shop.run(orders.order_status, reference).pickup_code
    shop.run(orders.mark_collected, reference, "dashboard:leeds", code, READY_AT + timedelta(hours=2))
    await deliver_due_alerts(shop, rasa, READY_AT + timedelta(days=5))
    assert len(rasa.calls) == 1
    assert _states(shop, reference) == [(READY_ALERT, "sent", 1), (PICKUP_REMINDER, "not_sent", 1), (HOLD_ENDING, "not_sent", 1)]
    assert shop.run(alert_timers, reference)[1].last_error == "skipped: the order is collected"


async def test_an_opted_out_phone_is_never_alerted_and_the_reason_is_kept(shop: Shop) -> None:
    seed_small_shop(shop)
    shop.run(opt_out, PHONE, "STOP")
    placed = place(shop, f"sms:{PHONE}", {"JKT-NVY-M": 1}, payment_method="at_pickup", channel="sms")
    outcome = shop.run(mark_ready_and_alert, placed.reference, "store_api:sktest", READY_AT)
    assert outcome.alert_scheduled is False
    assert outcome.suppressed_reason == "not sent: •••••••••0123 opted out (STOP)"
    rasa = FakeRasa()
    await deliver_due_alerts(shop, rasa, READY_AT + timedelta(days=5))
    assert rasa.calls == []
    assert {state for _kind, state, _n in _states(shop, placed.reference)} == {"not_sent"}
    assert _audit_count(shop, "pickup_alert_suppressed") == 1


async def test_opting_out_after_the_order_was_ready_stops_the_reminders(shop: Shop) -> None:
    reference = _ready_order(shop, conversation=f"whatsapp:{PHONE}", channel="whatsapp")
    rasa = FakeRasa()
    await deliver_due_alerts(shop, rasa, READY_AT)
    shop.run(opt_out, PHONE, "STOP")
    await deliver_due_alerts(shop, rasa, READY_AT + timedelta(days=5))
    assert [intent for _c, intent, _e, _o in rasa.calls] == ["EXTERNAL_order_ready"]
    assert shop.run(alert_timers, reference)[1].last_error == "not sent: •••••••••0123 opted out (STOP)"


def test_the_safety_net_schedules_alerts_for_orders_made_ready_elsewhere(shop: Shop) -> None:
    seed_small_shop(shop)
    placed = place(shop, "web-5", {"JKT-NVY-M": 1}, payment_method="at_pickup")
    shop.run(orders.mark_ready, placed.reference, "system", READY_AT)  # no alert scheduled on this path
    assert shop.run(alert_timers, placed.reference) == []
    assert shop.run(schedule_missing_alerts, READY_AT) == 1
    assert [kind for kind, _s, _n in _states(shop, placed.reference)] == [READY_ALERT, PICKUP_REMINDER, HOLD_ENDING]
    assert shop.run(schedule_missing_alerts, READY_AT) == 0
    with shop.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Timer).where(Timer.kind == READY_ALERT)) == 1


def test_the_reminder_timing_comes_from_the_settings(shop: Shop, monkeypatch: pytest.MonkeyPatch) -> None:
    # AlertPolicy.from_settings used to read fields Settings did not have, so these were always the defaults.
    monkeypatch.setenv("PICKUP_REMINDER_HOURS", "6")
    monkeypatch.setenv("HOLD_ENDING_NOTICE_HOURS", "2")
    policy = AlertPolicy.from_settings(load_settings())
    assert (policy.remind_after_hours, policy.last_notice_hours) == (6, 2)
    seed_small_shop(shop)
    placed = place(shop, "web-settings", {"JKT-NVY-M": 1}, payment_method="at_pickup")
    shop.run(mark_ready_and_alert, placed.reference, "dashboard:leeds", READY_AT, policy)
    timers = {t.kind: t.due_at for t in shop.run(alert_timers, placed.reference)}
    assert timers[PICKUP_REMINDER] == READY_AT + timedelta(hours=6)
    assert timers[HOLD_ENDING] == placed.hold_expires_at - timedelta(hours=2)
    monkeypatch.delenv("PICKUP_REMINDER_HOURS")
    monkeypatch.delenv("HOLD_ENDING_NOTICE_HOURS")
    defaults = AlertPolicy.from_settings(load_settings())
    assert (defaults.remind_after_hours, defaults.last_notice_hours) == (24, 4)


class ActionServerDownRasa(FakeRasa):
    """Rasa answers 200 with the updated tracker, but the turn's action failed: the notice is not noted."""

    def __init__(self, handled_after: int) -> None:
        super().__init__()
        self.handled_after = handled_after

    async def trigger_intent(self, conversation_id, intent, entities=None, output_channel="latest"):  # type: ignore[no-untyped-def]
        await super().trigger_intent(conversation_id, intent, entities, output_channel)
        noted = [entities["notice_key"]] if len(self.calls) > self.handled_after else []
        return {"tracker": {"slots": {"dialogue": {"notices": noted}}}}


async def test_a_notice_rasa_took_but_the_conversation_did_not_handle_is_retried(shop: Shop) -> None:
    reference = _ready_order(shop)
    rasa = ActionServerDownRasa(handled_after=1)
    first = await deliver_due_alerts(shop, rasa, READY_AT)
    assert first.retrying == [f"ready_alert:{reference}"] and "did not handle" in (shop.run(alert_problems, "leeds")[0].last_error or "")
    second = await deliver_due_alerts(shop, rasa, READY_AT + timedelta(seconds=30))
    assert second.sent == [f"ready_alert:{reference}"] and len(rasa.calls) == 2


async def test_a_sweeper_whose_rasa_refuses_leaves_the_outbox_to_the_other_replicas(shop: Shop) -> None:
    """Its Rasa down, a sweeper claimed each retry first (it polls in step with the retry time it set) and
    failed it again, so the replica whose Rasa was up never got the notice. It now pauses notice delivery."""
    import time
    from types import SimpleNamespace

    from sqlalchemy import update

    from bot.kernel import clock
    from bot.orchestration import sweep

    reference = _ready_order(shop, now=clock.now() - timedelta(minutes=1))
    ctx = SimpleNamespace(shop=shop, rasa=FakeRasa(fail=1), signals=None)
    await sweep.deliver_notices(ctx)
    assert ctx.notices_paused_until > time.monotonic() and ctx.rasa.calls == []

    def due_now() -> None:
        with shop.uow() as uow:
            uow.session.execute(update(Timer).where(Timer.subject == reference, Timer.kind == READY_ALERT).values(due_at=clock.now() - timedelta(seconds=1)))
            uow.commit()

    due_now()
    await sweep.deliver_notices(ctx)  # due, but this replica's Rasa just refused: left for another sweeper
    assert ctx.rasa.calls == []
    ctx.notices_paused_until = 0.0  # the pause over
    await sweep.deliver_notices(ctx)
    assert [intent for _c, intent, _e, _o in ctx.rasa.calls] == ["EXTERNAL_order_ready"]
