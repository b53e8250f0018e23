"""The one place that decides what a shopper's message answers, the same on every channel.

For each message:
1. "start over" / "never mind" drop whatever is pending;
2. a typed option ("2", "the second one", "pay at pickup", "navy") becomes the button it names;
3. the pending question gets the first go: an answer to it, or to another slot of the same step, carries on;
4. otherwise the message is a new request (by intent, else by what the catalogue recognises): it is
   handled, and an interrupted question is asked again afterwards ("Back to the Kinder Fleece Jacket: …");
5. a question is never asked a third time in a row: the options come with an offer of a person instead.
"""

from __future__ import annotations

import re
from dataclasses import replace

from bot.conversation import (
    alternatives,
    basket,
    checkout,
    handlers,
    handoff,
    notices,
    orders,
    phone_link,
    requests,
    several,
    slot_answers,
    stock,
    stores,
    support,
)
from bot.conversation.heard import Heard, parse_payload, payload
from bot.conversation.language import hear
from bot.conversation.reading import A_QUESTION, is_escape, pick_option, yes_or_no
from bot.conversation.state import Button, DialogueState, Question
from bot.conversation.turn import Outcome, Turn
from bot.kernel.money import market_locales
from bot.languages import N_, _, current, speaking
from bot.languages.detection import only_asks_for_language
from bot.handoff import states
from bot.kernel.shop import Shop
from bot.markets.lookup import locales_by_currency

START_AGAIN = N_("OK, let's start again. What can I help you with?")
LANGUAGE_NAMES = {"en": N_("English"), "id": N_("Bahasa Indonesia"), "fi": N_("Finnish")}
TALK_TO_A_PERSON = Button(N_("Talk to a person"), payload("request_human"))
# Goals whose questions a new stock request replaces rather than interrupts.
_REPLACED_BY_STOCK = stock.STOCK_GOALS | {"reserve_offer", "reserve_there"}
# Questions about the item or the stores offered: after the answer, the offer to reserve is made again.
_KEEP_THE_OFFER = frozenset({"price", "describe", "address", "hours", "distance", "delivery", "faq", "faq_again", "pay_at_store"})
# The goal a request starts: asking for it again while its question is pending starts it afresh.
_STARTS = {"link_phone": "link_phone", "cancel": "cancel", "checkout": "checkout", "choose_store": "checkout",
           "handoff": "handoff", "leave_message": "message", "nearest": "nearest"}
_ANSWERS = {
    "check": slot_answers.answer, "reserve": slot_answers.answer, "pick": slot_answers.answer, "price": slot_answers.answer,
    "reserve_offer": alternatives.answer_offer, "reserve_there": alternatives.answer_offer, "distance": stores.answer,
    "checkout": checkout.answer, "remove": basket.answer, "quantity": basket.answer,
    "cancel": orders.answer, "verify_order": orders.answer, "store_info": stores.answer, "nearest": stores.answer,
    "handoff": handoff.answer, "message": handoff.answer, "link_phone": phone_link.answer,
}


async def respond(shop: Shop, heard: Heard, state: DialogueState) -> Outcome:
    """What the assistant says to `heard`, and what it remembers afterwards.

    The engine reads the message in English (`hear`) and speaks the conversation's language: every text
    said within the turn is translated (bot/languages/catalogue.py).
    """
    heard, state = await hear(shop, heard, state)
    state = await notices.in_order_language(shop, heard, state)
    locales = await shop.call(locales_by_currency)
    with speaking(state.language), market_locales(locales):
        return await _respond(shop, heard, state)


async def _respond(shop: Shop, heard: Heard, state: DialogueState) -> Outcome:
    turn = Turn(shop, heard, state)
    if notices.is_notice(heard.intent):
        await notices.tell(turn)
        return turn.outcome()
    await _converse(turn)
    if not turn.pause:
        await several.carry_on(turn)  # "a chair and a stove": the stove once the chair is in
    turn.state = turn.state.remembering_focus()
    if not turn.replies:  # never silent: a handler that found nothing to say falls back to asking again
        turn.say(support.REPHRASE, support.HELP_BUTTONS)
    turn.state = replace(turn.state, shown=next((say.buttons for say in reversed(turn.replies) if say.buttons), ()))
    return turn.outcome()


def _option_values(question: Question) -> list[str]:
    """Per option, the value its button sends ("9" for "UK 9"), so typing the value picks it."""
    values = []
    for option in question.options:
        parsed = parse_payload(option.payload)
        values.append(next(iter(parsed[1].values()), option.title) if parsed and parsed[1] else option.title)
    return values


async def _converse(turn: Turn) -> None:
    heard = turn.heard
    question = turn.state.question
    if not heard.tapped and only_asks_for_language(heard.text):
        language = _(LANGUAGE_NAMES.get(turn.state.language, "English"))
        turn.say(_("OK, I'll reply in {language}. What can I help you with?").format(language=language), support.HELP_BUTTONS)
        return
    if not heard.tapped and is_escape(heard.text):
        turn.state = turn.state.cleared()
        turn.say(START_AGAIN, support.HELP_BUTTONS)
        return
    if not heard.tapped:
        await stores.note_home(turn)  # "i'm in chorlton, ...": kept for "closest to me" and "how far"
    if question is not None and not heard.tapped and question.options:
        option = pick_option(heard.text, question.options, values=_option_values(question))
        if option is None and len(question.options) == 1 and yes_or_no(heard.text) is True:
            option = question.options[0]  # "yes that one" to a single offer
        if option is not None:
            turn.heard = heard.as_payload(option.payload)
    elif question is None and not heard.tapped and turn.state.shown:
        option = pick_option(heard.text, turn.state.shown)  # "2" or "opening hours" after the help buttons
        if option is not None:
            turn.heard = heard.as_payload(option.payload)
    if question is not None and not turn.heard.tapped and await _answer_then_ask(turn, question):
        return
    if question is not None:
        answer = _ANSWERS.get(question.goal)
        if question.goal == "faq" and turn.heard.tapped and turn.heard.intent == "faq":
            answer = None  # a tapped topic is answered as a new FAQ request below
        if answer is not None and await answer(turn, question):
            turn.state = replace(turn.state, misses=0)
            return
        kind = await requests.classify(turn)
        if question.data.get("soft") and question.data.get("again") and (kind in _KEEP_THE_OFFER or kind.startswith("faq_topic:")):
            turn.state = turn.state.suspend()  # "how much is it?", "where's arndale?" before saying yes: the offer stands
        elif question.data.get("soft"):
            turn.state = turn.state.asking(None)  # an offer not taken up simply lapses
        elif kind in ("unknown", "affirm"):
            await _ask_again(turn, question)
            return
        elif kind == "deny":
            turn.done()
            turn.say(_("OK, no problem. Anything else I can help with?"))
            return
        elif kind in requests.STOCK_KINDS and question.goal in _REPLACED_BY_STOCK or _STARTS.get(kind) == question.goal:
            turn.state = replace(turn.state.asking(None), queue=())  # the same step started afresh replaces the one pending
        else:
            turn.state = turn.state.suspend()
    else:
        kind = await requests.classify(turn)
    if kind in requests.STOCK_KINDS:
        turn.state = replace(turn.state, queue=())  # a new stock request: items still waiting from an earlier one are dropped
    await handlers.route(turn, kind)
    if kind != "unknown":
        turn.state = replace(turn.state, misses=0)
    await _come_back(turn)


_SENTENCES = re.compile(r"(?<=[.!?])\s+(?=\S)")


async def _answer_then_ask(turn: Turn, question: Question) -> bool:
    """"ok get both from didsbury. are they open saturdays?": the first sentence answers the pending question,
    the rest is a new request; both are handled, in that order."""
    heard = turn.heard
    sentences = _SENTENCES.split(heard.text.strip())
    answer = _ANSWERS.get(question.goal)
    if len(sentences) < 2 or answer is None or "?" in sentences[0] or A_QUESTION.match(sentences[0]):
        return False
    first, rest = sentences[0], " ".join(sentences[1:])
    if not ("?" in rest or A_QUESTION.match(rest)):
        return False  # only "… . are they open saturdays?": "32. no sorry 34" is one answer, corrected
    turn.heard = replace(heard, text=first, intent=None, confidence=0.0, ranking=(), entities={})
    if not await answer(turn, question):
        turn.heard = heard
        return False
    turn.heard = replace(heard, text=rest)  # the classifier read the whole message; the question part leads it
    kind = await requests.classify(turn)
    if kind != "unknown":
        await handlers.route(turn, kind)
    turn.state = replace(turn.state, misses=0)
    return True


async def _ask_again(turn: Turn, question: Question) -> None:
    """The reply answered nothing: ask again; the third time, the options with a person to talk to; then a person."""
    text = str(question.data.get("text") or "")
    if question.asked >= 3:
        await handoff.hand_to_person(turn, states.NOT_UNDERSTOOD, preface=_("Sorry, I'm still not sure what you mean."))
        return
    if question.asked == 2:
        options = tuple(question.options) + (TALK_TO_A_PERSON,)
        turn.ask(replace(question, options=options), _("Sorry, I'm still not sure. Tap one of these, or I can get you a person."),
                 remember=text)
        return
    turn.ask(question, _("Sorry, I didn't catch that. {question}").format(question=text).strip(), remember=text,
             show_options=bool(question.options) and not (question.about == "size" and turn.on_phone))


async def _come_back(turn: Turn) -> None:
    """After an interruption, ask the interrupted question again (unless this turn asked one of its own).

    An offer made while answering the interruption ("Reserve now?" under the basket) gives way to it.
    """
    pending = turn.state.question
    if turn.asked or turn.pause or not turn.state.suspended or (pending is not None and not pending.data.get("soft")):
        return
    turn.state, question = turn.state.resume()
    if question is None:
        return
    if question.goal == "checkout" and question.about == "payment":
        said = len(turn.replies)
        await checkout.review(turn, question.data.get("store"))  # the basket may have changed meanwhile: a fresh total
        if len(turn.replies) > said and turn.state.question is not None and turn.state.question.goal == "checkout":
            turn.replies[-1] = replace(turn.replies[-1], text=_("Back to your order: {question}").format(question=turn.replies[-1].text))
        turn.asked = True
        return
    if question.data.get("language", current()) != current() and question.goal in stock.STOCK_GOALS:
        # Asked before the shopper switched language ("English please"): asked afresh in the new one.
        turn.state = replace(turn.state, question=None)
        await stock.proceed(turn, stock.CHECK if question.goal == "pick" else question.goal)
        turn.asked = True
        return
    if question.goal == "reserve_there" and turn.state.last.get("store"):
        question = alternatives.towards(question, str(turn.state.last["store"]))  # the store just asked about first
    turn.state = turn.state.asking(question)
    turn.asked = True
    if question.data.get("again"):  # an offer is made again in a word: "Reserve at Didsbury?"
        turn.say(str(question.data["again"]), question.options)
        return
    subject = question.data.get("subject")
    if subject and current() != "en":
        subject = re.sub(r"^the ", "", str(subject))  # "Back to the Kinder Fleece Jacket" reads "Kembali ke Kinder Fleece Jacket"
    lead = _("Back to {subject}:").format(subject=subject) if subject else _("Back to where we were:")
    turn.say(f"{lead} {_(str(question.data.get('text', '')))}".strip(), question.options)
