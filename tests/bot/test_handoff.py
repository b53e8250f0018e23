"""The handoff state machine, availability, wait estimates, queue and figures, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from bot.handoff.support_hours import InvalidSupportHours, parse_support_hours
from bot.kernel.models import Agent, HandoffSession
from bot.handoff import sessions as handoff, reports as handoff_reports
from bot.handoff import states, waiting
from bot.handoff.states import HandoffError, HandoffPolicy
from bot.messaging.transcript import record_message
from bot.kernel.shop import Shop

# A Wednesday, 11:00 in London (BST): inside "Mon-Sat 09:00-18:00".
WEDNESDAY_11_LONDON = datetime(2024, 6, 12, 10, 0, tzinfo=timezone.utc)
SUNDAY_11_LONDON = datetime(2024, 6, 16, 10, 0, tzinfo=timezone.utc)
SMS = "sms:+447700900123"
WEB = "web-00000000-0000-4000-8000-0000000000aa"


def add_agent(shop: Shop, username: str, last_seen_at: datetime | None = None) -> int:
    with shop.uow() as uow:
        agent = Agent(username=username, display_name=username.title(), password_hash="x", last_seen_at=last_seen_at)
        uow.session.add(agent)
        uow.session.flush()
        agent_id = int(agent.id)
        uow.commit()
    return agent_id


def sessions(shop: Shop) -> list[tuple[str, str, int | None]]:
    with shop.uow() as uow:
        rows = uow.session.execute(
            select(HandoffSession.conversation_id, HandoffSession.state, HandoffSession.agent_id).order_by(HandoffSession.id)
        ).all()
    return [tuple(row) for row in rows]  # type: ignore[misc]


# --- state machine --------------------------------------------------------------------------------


def test_request_is_idempotent_while_open(shop: Shop) -> None:
    first = shop.run(handoff.request_handoff, SMS, "sms", states.ASKED_FOR_PERSON, now=WEDNESDAY_11_LONDON)
    again = shop.run(handoff.request_handoff, SMS, "sms", states.NOT_UNDERSTOOD, now=WEDNESDAY_11_LONDON)
    assert first.created is True and again.created is False
    assert again.handoff.id == first.handoff.id
    assert again.handoff.reason == states.ASKED_FOR_PERSON
    assert first.position == 1
    assert sessions(shop) == [(SMS, "waiting", None)]


def test_waiting_active_returned_then_a_new_request_opens_a_new_session(shop: Shop) -> None:
    sam = add_agent(shop, "sam")
    request = shop.run(handoff.request_handoff, WEB, "webchat", states.ASKED_FOR_PERSON)
    taken = shop.run(handoff.take_conversation, sam, handoff_id=request.handoff.id)
    assert taken.status == "taken" and taken.handoff.state == "active" and taken.handoff.agent_id == sam
    assert taken.handoff.taken_at is not None
    returned = shop.run(handoff.hand_back, request.handoff.id, sam)
    assert returned.state == "returned" and returned.resolved_by == "agent" and returned.ended_at is not None
    assert shop.run(handoff.open_handoff, WEB) is None
    later = shop.run(handoff.request_handoff, WEB, "webchat", states.ASKED_FOR_PERSON)
    assert later.created is True and later.handoff.id != request.handoff.id


def test_only_the_owner_hands_back_or_closes_an_active_session(shop: Shop) -> None:
    sam, kim = add_agent(shop, "sam"), add_agent(shop, "kim")
    request = shop.run(handoff.request_handoff, SMS, "sms", states.ASKED_FOR_PERSON)
    shop.run(handoff.take_conversation, sam, handoff_id=request.handoff.id)
    for action in (handoff.hand_back, handoff.close_handoff):
        with pytest.raises(HandoffError) as refused:
            shop.run(action, request.handoff.id, kim)
        assert refused.value.code == "not_yours"
    assert shop.run(handoff.close_handoff, request.handoff.id, sam).state == "closed"
    with pytest.raises(HandoffError) as twice:
        shop.run(handoff.close_handoff, request.handoff.id, sam)
    assert twice.value.code == "invalid_state"


def test_waiting_session_cannot_be_handed_back_but_any_agent_may_close_it(shop: Shop) -> None:
    kim = add_agent(shop, "kim")
    request = shop.run(handoff.request_handoff, SMS, "sms", states.ASKED_FOR_PERSON)
    with pytest.raises(HandoffError) as refused:
        shop.run(handoff.hand_back, request.handoff.id, kim)
    assert refused.value.code == "invalid_state"
    closed = shop.run(handoff.close_handoff, request.handoff.id, kim)
    assert (closed.state, closed.agent_id) == ("closed", kim)


def test_taking_an_ended_or_missing_session_is_refused(shop: Shop) -> None:
    sam = add_agent(shop, "sam")
    request = shop.run(handoff.request_handoff, SMS, "sms", states.ASKED_FOR_PERSON)
    shop.run(handoff.close_handoff, request.handoff.id, sam)
    with pytest.raises(HandoffError) as ended:
        shop.run(handoff.take_conversation, sam, handoff_id=request.handoff.id)
    assert ended.value.code == "ended"
    with pytest.raises(HandoffError) as missing:
        shop.run(handoff.take_conversation, sam, handoff_id=9999)
    assert missing.value.code == "not_found"
    with pytest.raises(HandoffError) as neither:
        shop.run(handoff.take_conversation, sam)
    assert neither.value.code == "invalid"


def test_agent_takes_over_a_live_conversation_with_no_request(shop: Shop) -> None:
    sam, kim = add_agent(shop, "sam"), add_agent(shop, "kim")
    first = shop.run(handoff.take_conversation, sam, conversation_id=WEB, channel="webchat")
    assert first.status == "taken" and first.handoff.reason == states.AGENT_TOOK_OVER
    again = shop.run(handoff.take_conversation, sam, conversation_id=WEB, channel="webchat")
    assert again.status == "already_yours"
    other = shop.run(handoff.take_conversation, kim, conversation_id=WEB, channel="webchat")
    assert other.status == "taken_by_other" and other.handoff.agent_id == sam
    assert sessions(shop) == [(WEB, "active", sam)]


def test_a_left_message_is_answered_by_opening_a_live_session(shop: Shop) -> None:
    sam = add_agent(shop, "sam")
    message = shop.run(handoff.leave_message, SMS, "sms")
    assert message.state == "message" and message.reason == states.LEFT_MESSAGE
    assert shop.run(handoff.open_handoff, SMS) is None  # a message does not silence the assistant
    taken = shop.run(handoff.take_conversation, sam, handoff_id=message.id)
    assert taken.status == "taken" and taken.handoff.id != message.id
    assert sessions(shop) == [(SMS, "closed", sam), (SMS, "active", sam)]


def test_bad_input_is_a_clear_error(shop: Shop) -> None:
    with pytest.raises(HandoffError) as empty:
        shop.run(handoff.request_handoff, "", "sms", states.ASKED_FOR_PERSON)
    assert empty.value.code == "invalid"
    with pytest.raises(HandoffError):
        shop.run(handoff.request_handoff, SMS, "sms", "x" * 61)


# --- two agents at once ---------------------------------------------------------------------------


def _race(shop: Shop, agents: list[int], take) -> list[str]:  # type: ignore[no-untyped-def]
    barrier = threading.Barrier(len(agents))
    outcomes: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def grab(agent_id: int) -> None:
        try:
            barrier.wait()
            result = take(agent_id)
            with lock:
                outcomes.append(result.status)
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=grab, args=(agent,)) for agent in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    return sorted(outcomes)


def _exactly_one_wins_a_queued_session(shop: Shop) -> None:
    agents = [add_agent(shop, f"agent{n}") for n in range(4)]
    for round_number in range(5):
        conversation = f"sms:+4477009001{round_number:02d}"
        request = shop.run(handoff.request_handoff, conversation, "sms", states.ASKED_FOR_PERSON)
        outcomes = _race(shop, agents, lambda agent: shop.run(handoff.take_conversation, agent, handoff_id=request.handoff.id))
        assert outcomes == ["taken", "taken_by_other", "taken_by_other", "taken_by_other"]
        owner = shop.run(handoff.get_handoff, request.handoff.id).agent_id
        assert owner in agents


def _exactly_one_wins_a_live_takeover(shop: Shop) -> None:
    agents = [add_agent(shop, f"live{n}") for n in range(4)]
    for round_number in range(5):
        conversation = f"web-00000000-0000-4000-8000-0000000001{round_number:02d}"
        outcomes = _race(
            shop,
            agents,
            lambda agent: shop.run(handoff.take_conversation, agent, conversation_id=conversation, channel="webchat"),
        )
        assert outcomes == ["taken", "taken_by_other", "taken_by_other", "taken_by_other"]
        with shop.uow() as uow:
            open_count = uow.session.scalar(
                select(func.count())
                .select_from(HandoffSession)
                .where(HandoffSession.conversation_id == conversation, HandoffSession.state.in_(states.OPEN_STATES))
            )
        assert open_count == 1


def test_two_agents_grabbing_at_once_exactly_one_wins_sqlite(shop: Shop) -> None:
    _exactly_one_wins_a_queued_session(shop)


def test_live_takeover_race_opens_one_session_sqlite(shop: Shop) -> None:
    _exactly_one_wins_a_live_takeover(shop)


def test_two_agents_grabbing_at_once_exactly_one_wins_postgres(pg_shop: Shop) -> None:
    _exactly_one_wins_a_queued_session(pg_shop)


def test_live_takeover_race_opens_one_session_postgres(pg_shop: Shop) -> None:
    _exactly_one_wins_a_live_takeover(pg_shop)


# --- availability and waits -----------------------------------------------------------------------


def test_the_next_opening_says_today_or_tomorrow_when_it_is() -> None:
    hours = parse_support_hours("Mon-Fri 09:00-18:00", "Europe/London")
    monday_7_london = datetime(2024, 6, 17, 6, 0, tzinfo=timezone.utc)
    opening = hours.next_opening(monday_7_london)
    # The conversation's wording (SupportHours.describe_opening said the same untranslated, and only here).
    from bot.conversation.handoff import opening_text

    assert opening_text(hours, opening, monday_7_london) == "from 9:00 today"  # not "Monday 9:00" on a Monday
    monday_evening = datetime(2024, 6, 17, 19, 0, tzinfo=timezone.utc)
    assert opening_text(hours, hours.next_opening(monday_evening), monday_evening) == "from 9:00 tomorrow"
    friday_evening = datetime(2024, 6, 21, 19, 0, tzinfo=timezone.utc)
    assert opening_text(hours, hours.next_opening(friday_evening), friday_evening) == "from Monday 9:00"


def test_support_hours_parse_and_answer_in_london_time() -> None:
    hours = parse_support_hours("Mon-Fri 09:00-18:00; Sat 10:00-16:00", "Europe/London")
    assert hours.is_open(WEDNESDAY_11_LONDON)
    assert not hours.is_open(datetime(2024, 6, 12, 17, 30, tzinfo=timezone.utc))  # 18:30 BST
    assert hours.is_open(datetime(2024, 1, 10, 17, 30, tzinfo=timezone.utc))  # 17:30 GMT in winter
    assert not hours.is_open(SUNDAY_11_LONDON)
    assert hours.next_opening(SUNDAY_11_LONDON) == datetime(2024, 6, 17, 8, 0, tzinfo=timezone.utc)
    for bad in ("Mon-Fri", "Funday 09:00-10:00", "Mon 18:00-09:00", "Mon 25:00-26:00", ""):
        with pytest.raises(InvalidSupportHours):
            parse_support_hours(bad)
    with pytest.raises(InvalidSupportHours):
        parse_support_hours("Mon 09:00-17:00", "Mars/Olympus")


def test_policy_from_env_and_its_errors() -> None:
    policy = HandoffPolicy.from_env({"SUPPORT_HOURS": "Sun 10:00-12:00", "AGENT_ONLINE_MINUTES": "2"})
    assert policy.hours.is_open(SUNDAY_11_LONDON) and policy.online_within == timedelta(minutes=2)
    assert HandoffPolicy.from_env({}).hours.text == "Mon-Sat 09:00-18:00"
    with pytest.raises(ValueError):
        HandoffPolicy.from_env({"AGENT_ONLINE_MINUTES": "soon"})


def test_availability_needs_hours_and_an_agent_seen_recently(shop: Shop) -> None:
    policy = HandoffPolicy.from_env({})
    assert shop.run(waiting.availability, policy, now=WEDNESDAY_11_LONDON).status == "no_agent_online"
    add_agent(shop, "stale", last_seen_at=WEDNESDAY_11_LONDON - timedelta(minutes=6))
    assert shop.run(waiting.availability, policy, now=WEDNESDAY_11_LONDON).status == "no_agent_online"
    add_agent(shop, "fresh", last_seen_at=WEDNESDAY_11_LONDON - timedelta(minutes=2))
    open_now = shop.run(waiting.availability, policy, now=WEDNESDAY_11_LONDON)
    assert (open_now.status, open_now.agents_online, open_now.person_available) == ("available", 1, True)
    sunday = shop.run(waiting.availability, policy, now=SUNDAY_11_LONDON)
    assert sunday.status == "outside_hours" and sunday.next_opening is not None


def test_wait_estimate_uses_recent_waits_and_queue_position(shop: Shop) -> None:
    sam = add_agent(shop, "sam")
    start = WEDNESDAY_11_LONDON
    # Two earlier handoffs taken after 4 and 6 minutes: the median is 5 minutes.
    for minutes, conversation in ((4, "sms:+447700900001"), (6, "sms:+447700900002")):
        request = shop.run(handoff.request_handoff, conversation, "sms", states.ASKED_FOR_PERSON, now=start)
        shop.run(handoff.take_conversation, sam, handoff_id=request.handoff.id, now=start + timedelta(minutes=minutes))
    first = shop.run(handoff.request_handoff, "sms:+447700900003", "sms", states.ASKED_FOR_PERSON, now=start)
    second = shop.run(handoff.request_handoff, "sms:+447700900004", "sms", states.ASKED_FOR_PERSON, now=start)
    assert (first.position, first.estimated_wait) == (1, timedelta(minutes=5))
    assert (second.position, second.estimated_wait) == (2, timedelta(minutes=10))
    assert waiting.describe_wait(second.estimated_wait) == "about 10 minutes"
    assert waiting.describe_wait(timedelta(seconds=20)) == "about a minute"
    assert waiting.describe_wait(timedelta(minutes=130)) == "about 2 hours"


def test_first_ever_wait_estimate_is_the_default(shop: Shop) -> None:
    request = shop.run(handoff.request_handoff, SMS, "sms", states.ASKED_FOR_PERSON, now=WEDNESDAY_11_LONDON)
    assert request.estimated_wait == waiting.DEFAULT_WAIT


# --- queue and figures ----------------------------------------------------------------------------


def test_queue_lists_waiting_then_active_then_messages_with_waits_and_reasons(shop: Shop) -> None:
    sam = add_agent(shop, "sam")
    start = WEDNESDAY_11_LONDON
    shop.run(record_message, SMS, "sms", "user", "my card is 4242 4242 4242 4242 and it failed")
    active = shop.run(handoff.request_handoff, SMS, "sms", states.NOT_UNDERSTOOD, now=start)
    shop.run(handoff.take_conversation, sam, handoff_id=active.handoff.id, now=start + timedelta(minutes=3))
    shop.run(handoff.request_handoff, WEB, "webchat", states.ASKED_FOR_PERSON, now=start + timedelta(minutes=1))
    shop.run(handoff.leave_message, "telegram:42", "telegram", now=start)
    queue = shop.run(handoff_reports.list_queue, now=start + timedelta(minutes=10))
    assert [(item.state, item.conversation_id, item.wait_seconds) for item in queue] == [
        ("waiting", WEB, 540),
        ("active", SMS, 180),
        ("message", "telegram:42", 600),
    ]
    assert queue[1].agent_name == "Sam" and queue[1].reason_label == "assistant did not understand twice"
    assert queue[1].last_message == "my card is **** **** **** 4242 and it failed"
    assert queue[0].shopper == "Web visitor 00000000"


def test_live_conversations_exclude_those_already_with_people(shop: Shop) -> None:
    shop.run(record_message, WEB, "webchat", "user", "hello")
    shop.run(record_message, SMS, "sms", "user", "hi there")
    shop.run(handoff.request_handoff, SMS, "sms", states.ASKED_FOR_PERSON)
    shop.run(record_message, "telegram:42", "telegram", "user", "call me back please")
    shop.run(handoff.leave_message, "telegram:42", "telegram")  # in the queue already
    live = shop.run(handoff_reports.live_conversations)
    assert [(c.conversation_id, c.channel, c.last_message) for c in live] == [(WEB, "webchat", "hello")]


def test_figures_count_waiting_median_today_and_who_resolved(shop: Shop) -> None:
    sam = add_agent(shop, "sam")
    now = WEDNESDAY_11_LONDON
    hours = parse_support_hours("Mon-Sat 09:00-18:00")
    for conversation in (WEB, SMS, "telegram:7", "telegram:8"):
        shop.run(record_message, conversation, conversation.split(":")[0], "user", "hi")
    taken_one = shop.run(handoff.request_handoff, SMS, "sms", states.ASKED_FOR_PERSON, now=now - timedelta(minutes=30))
    shop.run(handoff.take_conversation, sam, handoff_id=taken_one.handoff.id, now=now - timedelta(minutes=28))
    taken_two = shop.run(handoff.request_handoff, "telegram:7", "telegram", states.ASKED_FOR_PERSON, now=now - timedelta(minutes=20))
    shop.run(handoff.take_conversation, sam, handoff_id=taken_two.handoff.id, now=now - timedelta(minutes=16))
    shop.run(handoff.request_handoff, "telegram:8", "telegram", states.ASKED_FOR_PERSON, now=now - timedelta(minutes=5))
    # Yesterday's handoff does not count as today's.
    shop.run(handoff.request_handoff, "sms:+447700900999", "sms", states.ASKED_FOR_PERSON, now=now - timedelta(days=1))
    figures = shop.run(handoff_reports.handoff_figures, hours, now=now)
    assert figures.waiting_now == 2 and figures.active_now == 2
    assert figures.handoffs_today == 3
    assert figures.median_wait_seconds == 180  # waits of 2 and 4 minutes
    assert figures.resolved_by_agents == 2  # SMS and telegram:7 were taken
    assert figures.resolved_by_assistant == 1  # only the web chat never reached people


def test_a_left_message_waits_from_when_it_was_left_and_a_take_over_never_waited(shop: Shop) -> None:
    # The probe: a message left 2 minutes before an agent answered showed "waited 0s" and made the
    # median wait today 0 s; so did a conversation an agent took over that nobody had queued for.
    sam, kim = add_agent(shop, "sam"), add_agent(shop, "kim")
    now = WEDNESDAY_11_LONDON
    hours = parse_support_hours("Mon-Sat 09:00-18:00")
    message = shop.run(handoff.leave_message, SMS, "sms", now=now - timedelta(minutes=2))
    shop.run(handoff.take_conversation, sam, handoff_id=message.id, now=now)
    shop.run(handoff.take_conversation, kim, conversation_id=WEB, channel="webchat", now=now)
    queue = shop.run(handoff_reports.list_queue, now=now + timedelta(minutes=1))
    assert [(item.conversation_id, item.state, item.wait_seconds) for item in queue] == [(SMS, "active", 120), (WEB, "active", 0)]
    assert shop.run(handoff_reports.handoff_figures, hours, now=now + timedelta(minutes=1)).median_wait_seconds == 120
    # An answer hours after a message tells a shopper asking live nothing about their wait.
    with shop.uow() as uow:
        assert waiting.recent_waits(uow) == []


def test_conversation_overview_has_transcript_handoff_cart_and_orders(shop: Shop) -> None:
    sam = add_agent(shop, "sam")
    shop.run(record_message, SMS, "sms", "user", "can i talk to a person")
    shop.run(record_message, SMS, "sms", "bot", "Getting someone")
    request = shop.run(handoff.request_handoff, SMS, "sms", states.ASKED_FOR_PERSON)
    shop.run(handoff.take_conversation, sam, handoff_id=request.handoff.id)
    overview = shop.run(handoff_reports.conversation_overview, SMS)
    assert [(m["author"], m["text"]) for m in overview["messages"]] == [
        ("user", "can i talk to a person"),
        ("bot", "Getting someone"),
    ]
    assert overview["handoff"]["state"] == "active" and overview["handoff"]["agent_name"] == "Sam"
    assert overview["cart"] == {"lines": [], "total_minor": 0, "currency": None}
    assert overview["orders"] == [] and overview["channel"] == "sms" and overview["shopper"] == "+447700900123"
