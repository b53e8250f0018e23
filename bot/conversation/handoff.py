"""Handing the shopper to a person, or taking a message for people when nobody can answer now.

A person is offered when it is within support hours and an agent is online; then the conversation joins
the queue and the assistant pauses until an agent hands it back. Otherwise the shopper hears why and may
leave a message ("yes" or the button), which agents find in the console.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from babel.dates import format_date

from bot.kernel import clock
from bot.kernel.config import load_settings
from bot.conversation.heard import payload
from bot.conversation.reading import yes_or_no
from bot.conversation.state import Button, Question
from bot.conversation.turn import Turn
from bot.funnel.facts import HANDOFFS, handoff_key
from bot.handoff.support_hours import SupportHours
from bot.languages import N_, _
from bot.languages.catalogue import locale_for
from bot.handoff import sessions as handoff
from bot.handoff import states, waiting

HANDING_OVER = N_(
    "I'm getting a person from our team to help you. The wait is {wait}. Anything you type now goes straight to them."
)
ALREADY_WAITING = N_("You're already through to our team - a person will reply here shortly.")
OUTSIDE_HOURS = N_("Our team isn't around right now - they chat {hours}.")
NO_AGENT_ONLINE = N_("Nobody from our team is free to chat right now.")
OFFER_MESSAGE = N_("Would you like to leave a message? They'll reply to you here.")
ASK_MESSAGE = N_("OK - type your message for our team (and the best way to reach you), and I'll pass it on.")
MESSAGE_TAKEN = N_("Thanks - I've passed your message on. Someone from our team will reply to you here{when}.")
LEAVE_MESSAGE = Button("Leave a message", payload("leave_message"))
NO_THANKS = Button("No thanks", payload("deny"))


async def hand_to_person(turn: Turn, reason: str, *, preface: str = "") -> None:
    """Queues the conversation for a person and pauses the assistant, or offers to take a message."""
    lead = f"{preface} " if preface else ""
    if await turn.shop.call(handoff.open_handoff, turn.conversation_id) is not None:
        turn.done()
        turn.say(lead + _(ALREADY_WAITING))
        turn.pause = True
        return
    policy = states.HandoffPolicy.from_settings(load_settings())
    available = await turn.shop.call(waiting.availability, policy)
    if available.person_available:
        request = await turn.shop.call(handoff.request_handoff, turn.conversation_id, turn.heard.channel, reason)
        turn.done(goal="handoff")
        turn.count(HANDOFFS, handoff_key(request.handoff.id))
        turn.say(lead + _(HANDING_OVER).format(wait=waiting.describe_wait(request.estimated_wait)))
        turn.pause = True
        return
    why = _(OUTSIDE_HOURS).format(hours=available.hours.describe()) if available.status == "outside_hours" else _(NO_AGENT_ONLINE)
    turn.ask(Question("handoff", "confirm", (LEAVE_MESSAGE, NO_THANKS)), f"{lead}{why} {_(OFFER_MESSAGE)}")


def opening_text(hours: SupportHours, start: datetime, now: datetime) -> str:
    """When the team is back, as the shopper reads it now: "from 9:00 today", "from 9:00 tomorrow", "from Monday 9:00"."""
    local, today = start.astimezone(hours.zone), now.astimezone(hours.zone).date()
    at = f"{local.hour}:{local.minute:02d}"
    if local.date() == today:  # "from Monday 9:00" read oddly on a Monday morning
        return _("from {time} today").format(time=at)
    if local.date() == today + timedelta(days=1):
        return _("from {time} tomorrow").format(time=at)
    return _("from {day} {time}").format(day=format_date(local, "EEEE", locale=locale_for()), time=at)


def ask_for_message(turn: Turn) -> None:
    turn.ask(Question("message", "text"), ASK_MESSAGE)


async def take_message(turn: Turn) -> None:
    """The shopper's words are the message: agents read them in the console (they are in the transcript)."""
    await turn.shop.call(handoff.leave_message, turn.conversation_id, turn.heard.channel)
    policy = states.HandoffPolicy.from_settings(load_settings())
    available = await turn.shop.call(waiting.availability, policy)
    when = ""
    if available.status == "outside_hours" and available.next_opening is not None:
        when = " " + opening_text(available.hours, available.next_opening, clock.now())
    turn.done(goal="message")
    turn.say(_(MESSAGE_TAKEN).format(when=when))


async def answer(turn: Turn, question: Question) -> bool:
    if question.goal == "message":
        if turn.heard.tapped or not turn.text.strip():
            return False
        await take_message(turn)
        return True
    said = None if turn.heard.tapped else yes_or_no(turn.text)
    if turn.heard.intent == "leave_message" and turn.heard.tapped or said is True:
        ask_for_message(turn)
        return True
    if turn.heard.intent == "deny" and turn.heard.tapped or said is False:
        turn.done()
        turn.say("OK. Anything else I can help with?")
        return True
    return False
