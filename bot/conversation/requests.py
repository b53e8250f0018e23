"""What a message asks for when it is not an answer to the pending question, and who handles it.

The NLU intent decides when it is confident; otherwise the catalogue does (a product, colour, size or
store named is a stock question), then the language check, then "I didn't get that". Numbers and shop
words are never product names (see bot/services/catalog.py), so "2" or "basket" can't start a stock check.
"""

from __future__ import annotations

import re
from dataclasses import replace

from bot.conversation import alternatives, basket, checkout, corrections, handoff, orders, phone_link, product_info, scope, several, slot_answers, stock, stores, support
from bot.conversation.language import foreign_language
from bot.conversation.reading import (
    is_correction,
    is_escape,
    refers_back,
    wants_it,
    without_leading_no,
    without_negated,
    yes_or_no,
)
from bot.conversation.turn import Turn
from bot.services import handoff as handoff_service
from bot.conversation.turn import Say
from bot.replies import distance_text
from bot.services.catalog import StockQuery
from bot.replies.checkout import local_time
from bot.services.checkout import find_shoppers_order
from bot.services.orders import order_status
from bot.services.cart import view_cart
from bot.services.search import search_products
from bot.services.stores import nearest_stores

# Below this an intent is a guess: the catalogue and the other checks get their say first.
CONFIDENT = 0.50
KIND_BY_INTENT = {
    "check_stock": "stock", "inform": "stock", "reserve_item": "reserve", "ask_price": "price",
    "view_cart": "basket", "remove_item": "remove", "change_quantity": "quantity",
    "place_order": "checkout", "choose_store": "choose_store", "choose_payment": "choose_payment",
    "order_status": "order_status", "cancel_order": "cancel", "confirm_cancel": "confirm_cancel",
    "new_payment_link": "new_link", "give_code": "code",
    "ask_hours": "hours", "ask_address": "address", "ask_nearest_store": "nearest",
    "faq": "faq", "out_of_scope": "scope", "insult": "abuse",
    "greet": "greet", "goodbye": "goodbye", "thank": "thank", "help": "help", "affirm": "affirm", "deny": "deny",
    "request_human": "handoff", "leave_message": "leave_message", "link_phone": "link_phone", "unlink_phone": "unlink_phone",
}
_HOURS_WORDS = re.compile(r"\b(?:open|opening|opens|close|closes|closing|shut|shuts|hours|hrs|late)\b", re.I)
_ADDRESS_WORDS = re.compile(
    r"\b(?:address|postcode|post code|directions|where is|where's|wheres|how do i get|get there|phone|number|tel|"
    r"telephone|call|ring|contact|located)\b",
    re.I,
)
_NOT_THE_STORES = re.compile(r"\b(?:my|link|unlink|code|order|mine)\b", re.I)
_DAY_WORDS = re.compile(
    r"\b(?:today|tonight|tomorrow|tmrw|tmr|2day|2moro|now|weekend|mon|monday|tue|tues|tuesday|wed|weds|wednesday|thu|thur|"
    r"thurs|thursday|fri|friday|sat|saturday|sun|sunday|sundays|saturdays|christmas|xmas|boxing|new year|bank holiday)\b",
    re.I,
)
_COMPARE = re.compile(r"\bwhich(?: one)? (?:is|are|'s) (?:cheaper|dearer|more expensive|less expensive|pricier)\b|\bwhich costs less\b", re.I)
_A_PERSON = re.compile(
    r"\b(?:talk|speak|chat)\s+(?:to|with)\s+(?:a\s+|an\s+|the\s+|real\s+|your\s+)*(?:someone|somebody|person|human|agent|staff|"
    r"member of staff|manager|team|people)\b|\b(?:real person|human being|live agent|customer service)\b",
    re.I,
)
_HOW_MANY_LEFT = re.compile(r"\b(?:how many|any left|in stock|still got|still have)\b", re.I)
_MY_ORDER = re.compile(r"\b(?:my order|the order|my reservation|mine|it)\b", re.I)
_HOW_FAR = re.compile(r"\bhow far\b|\bdistance\b|\bhow close\b|\bhow many (?:km|miles)\b", re.I)
# Shapes the classifier confuses, read from the words (each one checked before the intent is trusted).
_PAY_THERE = re.compile(r"\b(?:can|could) (?:i|we|you)\b.*\bpay\b.*\b(?:pick ?up|picking|collect\w*|cash|in (?:store|person)|at the till|there)\b|\b(?:do|does) \w+(?: \w+)? take (?:cash|card|payment)", re.I)
_MONEY_AFTER = re.compile(r"\b(?:charged?|owe|money|pay(?:ing)?|refund\w*|link|cost|costs)\b", re.I)
_GET_RID = re.compile(r"\b(?:get rid of|scrap|bin|ditch|call off)\s+(?:it|them|my order|the order|that|the reservation|my reservation)\b|"
                      r"\btake (?:it|them|my order|the order) off hold\b|\bcall (?:it|the order|my order) off\b|"
                      r"\b(?:don'?t|do not) (?:need|want) (?:it|them|the order|my order) any ?more\b", re.I)
_HOW_DO_I_PAY = re.compile(r"\bhow (?:do|can|should|will) i pay\b|\bthat'?s (?:everything|all|it)\b.*\b(?:pay|check ?out|order)\b", re.I)
_ANYWHERE = re.compile(r"\b(?:anywhere|any (?:other )?(?:store|shop|branch)|which (?:stores?|shops?))\b.*\b(?:have|has|got|stock)\b|\bwhere (?:has|have) (?:got )?(?:all|\d)", re.I)
_RESTOCK = re.compile(r"\b(?:when|will|are)\b.*\b(?:get(?:ting)? (?:more|any more|some more|them|it) (?:in|back)|more (?:in|coming)|back in stock|"
                      r"restock\w*|be in again|coming back in|in again)\b", re.I)
_UNDO_CANCEL = re.compile(r"\b(?:don'?t|do not|didn'?t mean to) cancel\b|\bi (?:do )?need it\b|\bundo\b|\bun-?cancel\b", re.I)
_STOCK_QUESTION = re.compile(r"\b(?:got|have|has|any in|in stock|available)\b", re.I)
_STILL_GIFT_CARDS = re.compile(r"\b(?:use (?:one|it|them)|run out|expire\w*|valid|last|balance)\b", re.I)
_APOLOGY = re.compile(r"^\s*(?:so+r+y+|apologies)\b.*\b(?:hassle|trouble|bother|messing|faff|pain|mess)\b|^\s*no worries\b", re.I)
_KEEP_ORDER = re.compile(r"\bkeep (?:the|my) (?:order|reservation)\b|\b(?:i'?ll|i will) keep (?:it|the order)\b", re.I)
# "oh wait they're for my wife, she's a 6": a size for someone else, after the item was added or asked about.
_THEIR_SIZE = re.compile(r"\b(?:she|he|they|i)(?:'?s|'?re| is| are| takes?| wears?| am|'?m)\s+(?:a |an |size |in a )?(?:uk )?(\d{1,2}(?:\.5)?|xs|s|m|l|xl|xxl|small|medium|large)\b", re.I)
_TAKE_OFF = re.compile(r"\btake (?:the |that |those |these )?(?!it\b|them\b)[a-z][\w -]{1,30}? (?:off|out)\b(?! (?:hold|of (?:my|the) order))", re.I)
_OPEN_WORDS = re.compile(r"\bopen (?:til+|until|late|on|at|till|today|tomorrow|now)\b|\bopen (?:mon|tue|wed|thu|fri|sat|sun)\w*|\bclos(?:e|es|ing) (?:at|time)\b|\bopening (?:times?|hours)\b|\bwhat time (?:do|does) (?:it|they|you) (?:open|close|shut)\b", re.I)
_TOTAL = re.compile(r"\bwhat(?:'?s| does| do| will)? (?:that|it|they|that all|it all|everything) come to\b|\b(?:what'?s|whats|what is|how much is) (?:the|my) total\b|^\s*(?:and )?(?:the )?total\s*\??\s*$|\bhow much (?:does|is) (?:it|that|everything|my basket) (?:come to|all together|altogether)\b", re.I)
_OTHER_COLOURS = re.compile(r"\b(?:other|another|different|what|which|any more|more)\s+colou?rs?\b(?!.*\b(?:come|comes|do(?:es)? it)\b)", re.I)
_MY_ORDER_INFO = re.compile(r"\bmy (?:pickup|collection) code\b|\bmy order (?:number|no|ref|reference)\b|\bwhat(?:'s| is| s)? my order\b", re.I)
_FAULTY = re.compile(
    r"\b(?:broke|broken|fell apart|falling apart|ripped|torn|leaks?|leaking|faulty|defective|came off|come off|"
    r"stopped working|is (?:that|it) covered|under (?:warranty|guarantee)|warranty|guarantee)\b",
    re.I,
)
_PAY_WITH = re.compile(
    r"\b(?:take|accept|pay (?:with|by|using|on)|use|do)\b.*\b(?:amex|american express|visa|mastercard|maestro|paypal|klarna|"
    r"clearpay|apple ?pay|google ?pay|contactless|cash|debit cards?|credit cards?)\b|^\s*(?:amex|paypal|klarna|clearpay|apple pay|google pay)\s*\??\s*$"
    r"|\b(?:which|what) (?:cards?|payment|ways to pay)\b|^\s*(?:card|cash) or (?:card|cash)\b",
    re.I,
)
_REPAIR = re.compile(r"\b(?:fix|fixed|repair|repaired|mend|mended|resole|reproof|sew|stitch)\b", re.I)
_SOMEONE_ELSE = re.compile(
    r"\b(?:can|could|will)\s+(?:my|a|another)\s+(?:\w+\s+)?(?:mate|friend|wife|husband|son|daughter|mum|mom|dad|partner|"
    r"brother|sister|colleague|someone|somebody|person|boyfriend|girlfriend|neighbour)\s+(?:collect|pick|get)\b"
    r"|\bsomeone else (?:collect|pick)|\bmy (?:mate|friend|wife|husband|son|daughter|mum|mom|dad|partner|brother|sister|colleague|"
    r"boyfriend|girlfriend|neighbour)\s+(?:is |will |can |could |might |'?s )?(?:going to |gonna )?(?:collect|pick (?:it|them) up|pick up|pay for it|get it)\b",
    re.I,
)
_IS_IT_CANCELLED = re.compile(r"\b(?:is|was|has) (?:it|my order|the order|that)(?: been)? (?:definitely |really |actually )?cancell?ed\b|\bdid (?:it|that) cancel\b", re.I)
_CANCEL_ORDER = re.compile(r"\bcancel\s+(?:my|the|that|this|it|order|reservation|one|fs)\b|\bcancel\b.*\b(?:order|reservation|one i)\b", re.I)
_ANOTHER = re.compile(r"\b(?:another|one more|another one|another pair|same again)\b", re.I)
_A_STORE_IN = re.compile(r"\b(?:a|any|your)\s+(?:store|shop|branch|outlet)s?\s+(?:in|near|at|around)\b", re.I)
_CAN_I = re.compile(r"^\s*(?:can|could|do|does|is|what|how|will)\b|^\s*\w+\s*\?\s*$|^.{1,18}\?\s*$", re.I)
_NEVER_FAQ = frozenset({"greet", "goodbye", "thank", "handoff", "order_status", "cancel", "hours", "address", "nearest", "link_phone"})
_DELIVERY = re.compile(
    r"\b(?:deliver|delivery|deliveries|post (?:it|them|the|to|out)|posted|ship|shipping|send (?:it|them) (?:to|out)|courier|"
    r"to my (?:house|home|door|address|work))\b",
    re.I,
)
_FOR_COUNT = re.compile(r"\bfor (\d{1,2}|two|three|four|five|six)\b", re.I)
_UNSURE = re.compile(
    r"^\s*(?:not sure|dunno|don'?t know|no idea|unsure|idk|i'?m not sure|hmm+|um+|erm+)\b(?:\s+\S+){0,2}\s*[.!?]*\s*$", re.I
)
_STOCK_WORDS = re.compile(r"\b(?:in stock|stock|got|have|available|any left|left)\b", re.I)
_FOLLOW_UP = re.compile(r"^\s*(?:and|&|n|plus|also|oh and|what about|how about|wot about|what of|ok and|and what about)\b|\bthen\s*\??\s*$", re.I)
_BARE_OPTION = re.compile(r"(?:^|\s)(?:\d{1,2}(?:\.5)?|xxs|xs|s|m|l|xl|xxl)(?:\s|$|[?.!])", re.I)
_BARE_NUMBER = re.compile(r"^\s*(?:just\s+|only\s+|make it\s+)?(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten)\b", re.I)
_LEADING_NO = re.compile(r"^\s*(?:no|nope|nah|not)\b", re.I)
# "make it 3", "actually just 1", "no 2 is fine", "3 not 2": a new quantity for what was just added.
_NEW_QUANTITY = re.compile(
    r"^\s*(?:(?:no|nope|nah|actually|sorry|oh|wait|ok|okay|um|hmm)[\s,.!]+)*"
    r"(?:(?:make|change)\s+(?:it|that|them|those)\s+(?:to\s+)?|(?:just|only)\s+|i\s+(?:only\s+)?(?:want|need)\s+(?:just\s+)?)?"
    r"(?:\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten)\b(?!\s*(?:\.5|and a half|uk|years?))",
    re.I,
)
# "do you do fleeces", "looking for a bag for my laptop", "need something to keep drinks cold": a shopping request
# even when the intent classifier is unsure (the catalogue search then decides what we have).
_SHOPPING = re.compile(
    r"\b(?:do (?:you|u) (?:do|sell|stock|carry|have|got)|have (?:you|u) got|got any|looking for|i need|i want|need (?:a|an|some|something)|"
    r"something (?:for|to)|what about (?:a|an|the)|anything for|show me|recommend|what \w+ (?:do you|have you)|"
    r"what (?:have )?(?:you|u) got|a (?:present|gift) for|(?:present|gift) (?:for|idea)|for my (?:son|daughter|kids?|little|wife|husband|dad|mum|mom|boyfriend|girlfriend|partner)|"
    r"for my \d{1,2} ?(?:year|yr)|what(?: \w+){1,3} (?:do|have|d) (?:you|u|ya) (?:do|sell|stock|have|got)|what (?:do|would|should) (?:i|we|you)\b.*\b(?:need|take|get|wear|suggest|recommend)|"
    r"suggest|what kit|reckon i need|what would (?:you|u) (?:get|recommend|suggest|buy|go for)|gift ideas?|any ideas|needs? (?:some|new|a|an)|stocking fillers?|under (?:a )?(?:tenner|fiver|£?\d+)|between £?\d+|"
    r"cheapest|most expensive|selling)\b",
    re.I,
)
_DO_YOU_SELL = re.compile(r"^\s*(?:do|d|does)\s*(?:you|u|ya)\s+(?:sell|stock|carry|do)\b", re.I)
_STORE_WORDS = re.compile(r"\b(?:store|stores|shop|shops|branch|branches|outlet)\b", re.I)
_CLEAR_BASKET = re.compile(
    r"\b(?:empty|clear|reset|wipe)\b.*\b(?:basket|cart|bag|trolley)\b|\b(?:remove|delete|take out|get rid of)\s+(?:everything|all)\b"
    r"|\bstart (?:my )?(?:basket|cart) again\b|\b(?:don'?t|do not) want (?:any of it|any of (?:them|these|those)|it all|the lot)\b"
    r"|\b(?:don'?t|do not) want anything (?:now|any ?more|after all)?\s*[.!]*$"
    r"|\bforget (?:it all|the lot|everything|the whole (?:thing|lot))\b",
    re.I,
)
_CHECKOUT = re.compile(
    r"\b(?:check ?out|place (?:my |the )?order|confirm (?:my |the )?order|reserve (?:it all|everything|them all|now)|"
    r"that'?s (?:all|everything),? reserve)\b",
    re.I,
)
_COLLECT_AT = re.compile(r"\b(?:collect|pick(?: it| them)? up|pickup|collection)\b.*\b(?:at|from|in)\b", re.I)
_EVERYTHING = re.compile(r"\b(?:everything|all of it|all my (?:stuff|things|items)|the lot|it all|has it all)\b", re.I)
# A different intent must be this sure to break the thread of a follow-up ("and on sunday?" after hours).
SURE = 0.80
# Requests that start a new stock step: they replace a pending stock question instead of interrupting it.
STOCK_KINDS = frozenset({"stock", "reserve", "correct", "colours_here", "pick_listed", "compare_two", "several"})
_PRICE_WORDS = re.compile(r"\b(?:how much|price|prices|cost|costs|£)\b", re.I)
_TYPED_FOLLOW_UP = re.compile(r"^\s*(?:and|what about|how about|in|at|any in|got any in)\b", re.I)


def _intent(turn: Turn) -> tuple[str | None, float]:
    """The intent and its confidence; for nlu_fallback, the classifier's own best guess."""
    heard = turn.heard
    if heard.intent == "nlu_fallback":
        guess = next(((name, score) for name, score in heard.ranking if name != "nlu_fallback"), (None, 0.0))
        return guess
    return heard.intent, heard.confidence


async def classify(turn: Turn) -> str:
    """The kind of request this message is (a key of `_HANDLERS`), "unknown" when it is none we can place."""
    heard = turn.heard
    if heard.tapped:
        return KIND_BY_INTENT.get(heard.intent or "", "unknown")
    text = heard.text
    intent, confidence = _intent(turn)
    if foreign_language(text):
        return "language"
    if intent == "insult" and confidence >= CONFIDENT or (support.is_abusive(text) and confidence < 0.8):
        return "abuse"
    if _UNSURE.match(text):
        return "unknown"  # "not sure": no answer, so the question is asked again (then a person is offered)
    before = turn.state.last  # what the last step did
    if before.get("goal") == "cancel" and before.get("reference") and _MONEY_AFTER.search(text) and not wants_it(text):
        return "cancelled_money"  # "will i be charged?", "does the link still work?" right after cancelling
    if before.get("goal") == "cancel" and before.get("reference") and _UNDO_CANCEL.search(text):
        return "too_late"  # "oh wait no, don't cancel! i do need it" just after it was cancelled
    if _A_PERSON.search(text) and not scope.off_topic_reason(text):
        return "handoff"
    if scope.off_topic_reason(text):
        return "scope"
    if _DELIVERY.search(text):
        return "delivery"  # click and collect only: never a delivery promise
    if _MY_ORDER_INFO.search(text) or _IS_IT_CANCELLED.search(text) or re.search(r"\bstatus\b", text, re.I):
        return "order_status"
    if _SOMEONE_ELSE.search(text):
        return "faq_topic:someone_else_collecting"
    named_topic = support.topic_named(text)
    if named_topic == "size_guide" and _STOCK_QUESTION.search(text):
        named_topic = None  # "has trafford got a large then, they come up small anyway": a stock question first
    if before.get("topic") == "faq/gift_cards" and _STILL_GIFT_CARDS.search(text):
        return "faq_again"  # "can my sister use one?", "do they run out?" after gift cards
    if named_topic and not wants_it(text) and not _CANCEL_ORDER.search(text):
        return f"faq_topic:{named_topic}"  # "how long is the guarantee", "can she take it back if she doesn't like it"
    if _PAY_WITH.search(text) and not scope.off_topic_reason(text):
        return "faq_topic:payment_methods"
    if _FAULTY.search(text) and not wants_it(text):
        return "faq_topic:repairs" if _REPAIR.search(text) else "faq_topic:faulty_items"
    if _CANCEL_ORDER.search(text) and not is_escape(text):
        return "cancel"
    if _CLEAR_BASKET.search(text):
        return "clear_basket"
    if (wants_it(text) or several.asks_for_them(text)) and await several.items_in(turn):
        return "several"  # "a grey beanie, black gloves in L and grey socks M, from salford quays"
    if before.get("goal") == "reserve" and corrections.TWO_WAYS.search(text):
        return "split_line"  # "actually 2 green and 2 navy"
    if _GET_RID.search(text):  # "can you just get rid of it": the basket line just added, else the order
        return "remove" if before.get("goal") in ("reserve", "quantity") else "cancel"
    if _HOW_DO_I_PAY.search(text) and not (await turn.shop.call(view_cart, turn.conversation_id)).is_empty:
        return "checkout"  # "that's everything, how do i pay?"
    if _HOW_FAR.search(text) and (turn.state.last.get("near") or turn.state.home or await checkout.store_named(turn)):
        return "distance"  # "how far is stockport from me? i'm in chorlton"
    if product_info.COMPARING.search(text) and await product_info.two_named(turn):
        return "compare_two"  # "kinder vs mam tor", "what's the difference between X and Y"
    if slot_answers.names_a_listed_one(turn):
        return "pick_listed"  # "actually the biggest one", "the other one then"
    if _PAY_THERE.search(text) and await checkout.store_named(turn):
        return "pay_at_store"  # "can i pay when i pick up at trafford?"
    if _RESTOCK.search(text):
        return "restock"  # "ugh when r u getting more in"
    if _ANYWHERE.search(text) and turn.state.focus.product and not _EVERYTHING.search(text) and not (await stock.read_query(turn)).product_id:
        return "where"  # "does anywhere have all 4?"
    if _APOLOGY.search(text):
        return "apology"  # "sorry for the hassle"
    if _KEEP_ORDER.search(text) and before.get("goal") in ("order", "faq", "cancel_kept", "order_status"):
        return "keep_order"
    if _THEIR_SIZE.search(text) and before.get("goal") in ("reserve", "check") and turn.state.focus.product:
        return "correct"  # "they're for my wife, she's a 6"
    if _TAKE_OFF.search(text):
        return "remove"  # "take the trousers off", "take the bottle out"
    if _OPEN_WORDS.search(text):
        return "hours"  # "is it open til 6 on weekdays?"
    if _TOTAL.search(text):
        return "basket"  # "whats the total"
    if _OTHER_COLOURS.search(text) and turn.state.focus.product:
        return "colours_here"  # "any other colours at arndale?"
    words = without_negated(without_leading_no(text))
    query = await stock.read_query(turn, words)
    if not query.product_id and turn.state.focus.product and not (query.colour and query.size):
        said_colour, said_size = await stock.focus_options(turn, words)
        query = replace(query, colour=query.colour or said_colour, size=query.size or said_size)
    named = bool(query.product_id or query.colour or query.size or query.store_id or query.quantity)
    named = named or bool(turn.state.focus.product and stock.asks_other_version(words))  # "the kids one"
    last = turn.state.last.get("goal")
    if _ANOTHER.search(text) and turn.state.focus.product and not query.product_id and last in ("reserve", "order", "quantity", "cancel"):
        return "reserve"  # "and another pair at stockport please" after an order
    if _COMPARE.search(text) and not query.product_id and len(turn.state.recent) >= 2:
        return "compare"
    if product_info.ASKS_ABOUT_IT.search(text) and (query.product_id or turn.state.focus.product) and not _PRICE_WORDS.search(text):
        return "describe"
    if last == "cancel_missing" and _MY_ORDER.search(text):
        return "cancel"  # "cancel FS-WRONG1" - "sorry i mean my order"
    if _CLEAR_BASKET.search(text):
        return "clear_basket"
    if last in ("reserve", "quantity") and _NEW_QUANTITY.match(text) and not (query.product_id or query.colour):
        return "quantity"  # "make it 3" / "no, 2 is fine" right after adding some
    if _CHECKOUT.search(text) or (_COLLECT_AT.search(text) and query.store_id and not query.product_id and not wants_it(text)):
        return "checkout"  # "checkout at altrincham", "actually collect at stockport"
    if _EVERYTHING.search(text) and re.search(r"\b(?:store|shop|branch|one)\b", text, re.I):
        return "checkout_anywhere"  # "nearest store with everything"
    described = bool(query.product_name and turn.state.focus.product and re.search(r"\bthe \w+ ones?\b", text, re.I))
    if (is_correction(text) or _LEADING_NO.match(text)) and (named or described):
        return "correct"  # "no, I meant blue", "not the puddle one, the padded one"
    kind = KIND_BY_INTENT.get(intent or "", "unknown")
    kind = _checked(kind, text)
    if _HOW_MANY_LEFT.search(text) and (turn.state.focus.product or query.product_id) and kind not in ("order_status", "view_cart"):
        return "stock"  # "how many are left at altrincham now?"
    faq_sure = kind == "faq" and heard.faq_confidence >= 0.6 and confidence >= 0.45
    if kind in ("scope", "unknown", "faq", "help") and not faq_sure and not query.store_id and not _STORE_WORDS.search(text) and (
        _DO_YOU_SELL.search(text) or (confidence < SURE and _SHOPPING.search(text)) or (
            _SHOPPING.search(text) and (await turn.shop.call(search_products, text, None, 1)).hits
        )
    ):
        kind, confidence = "stock", CONFIDENT  # the catalogue search decides whether we have it ("we don't sell bikes")
    if _A_STORE_IN.search(text) and not query.product_id:
        return "nearest"  # "do you have a store in leeds"
    if kind == "nearest" and query.product_id:
        kind = "stock"  # "which store near chorlton has the camping stove"
    followed = _follow_up(turn, text, query, kind, confidence)
    if followed is not None:
        return followed
    if wants_it(text) and kind not in ("remove", "quantity", "checkout", "choose_payment") and (
        query.product_id or turn.state.focus.product or named
    ):
        return "reserve"
    if kind == "reserve" and confidence < SURE and not wants_it(text):
        kind = "stock"  # the classifier's "reserve" needs the words to want it too ("i need an adult one")
    if confidence >= CONFIDENT and kind != "unknown":
        if kind in ("stock", "scope", "faq") and _PRICE_WORDS.search(text) and (query.product_id or refers_back(text)):
            return "price"
        if kind in ("affirm", "deny", "greet", "thank") and query.product_id:
            return "stock"  # "yes the trailblazers" / "hi do you have the kinder fleece": the product wins
        if kind == "scope" and query.product_id and (query.matched_words >= 2 or confidence < 0.6):
            return "stock"  # "trailblazer boots?" the classifier was unsure of; one shared word is not enough
        return kind
    # Not sure of the intent: what the catalogue recognises decides.
    if query.product_id:
        return "price" if _PRICE_WORDS.search(text) else ("reserve" if kind == "reserve" else "stock")
    if turn.state.focus.product and (query.colour or query.size) and (named or _TYPED_FOLLOW_UP.match(text)):
        return "stock"
    if kind in ("stock", "reserve", "hours", "address", "nearest", "faq", "order_status", "handoff") and confidence >= 0.3:
        return "stock" if kind == "reserve" and not wants_it(text) else kind  # a guess of "reserve" is a stock question
    if _SHOPPING.search(text) or (query.product_name and kind in ("stock", "reserve", "unknown") and not _QUESTION_ABOUT_ELSE.match(text)):
        return "stock"
    if yes_or_no(text) is not None:
        return "affirm" if yes_or_no(text) else "deny"
    if kind == "scope" or _scope_guess(turn):
        return "scope"  # the classifier leans to "not about the shop": say what we do rather than "say it again"
    return "unknown"


def _in_last_answer(turn: Turn, text: str) -> bool:
    """"what about sale items?" right after an answer that mentions sale items."""
    topic = str(turn.state.last.get("topic") or "").removeprefix("faq/")
    answer = (support.faq_answer(topic, turn.shop.settings) or "").lower() if topic else ""
    words = [w for w in re.findall(r"[a-z]{4,}", text.lower()) if w not in ("what", "about", "that", "this", "does", "with", "items")]
    return bool(answer) and bool(words) and all(w.rstrip("s") in answer for w in words)


def _scope_guess(turn: Turn) -> bool:
    """out_of_scope is among the classifier's two best guesses with some weight."""
    return any(name == "out_of_scope" and score >= 0.15 for name, score in turn.heard.ranking[:3])


# The intent classifier confuses these with off-topic messages that share a word ("pick a number", "the first
# person on the moon", "what is 15% of 80"): each needs a word of its own topic too.
_TOPIC_WORDS = {
    "link_phone": re.compile(r"\b(?:link|connect|phone|mobile|texts?|sms|whatsapp)\b", re.I),
    "unlink_phone": re.compile(r"\b(?:link|unlink|connect|phone|mobile|disconnect)\b", re.I),
    "order_status": re.compile(r"\b(?:orders?|reservation|reserved|ready|collect|collection|pick ?up|fs-?\w{6}|status|paid|payment|parcel|arrived|where'?s my|it)\b", re.I),
    "handoff": re.compile(r"\b(?:human|agent|staff|advisor|operator|manager|someone|somebody|real|person|people|team|call me|phone me|assistant|colleague)\b", re.I),
    "code": re.compile(r"\b\d{6}\b|\bcode\b", re.I),
}
_QUESTION_ABOUT_ELSE = re.compile(r"^\s*(?:who|when did|what year|why is|why do|why does)\b", re.I)


def _checked(kind: str, text: str) -> str:
    """The intent's kind, or "unknown" when the message lacks any word of that topic."""
    needed = _TOPIC_WORDS.get(kind)
    if needed is not None and not needed.search(text):
        return "unknown"
    if kind == "handoff" and re.match(r"^\s*(?:who|what|when|where|which|how)\b", text, re.I) and not _A_PERSON.search(text):
        return "unknown"  # "who was the first person on the moon", "how much pasta per person"
    return kind


def _follow_up(turn: Turn, text: str, query: StockQuery, kind: str, confidence: float) -> str | None:
    """A message that carries on the last answer's topic with something changed: "and on sunday?" after
    opening hours, "phone?" after an address, "and in L?" after a stock answer, "klarna?" after payments."""
    last = turn.state.last.get("goal")
    sure_of_other = confidence >= SURE and kind not in ("stock", "inform", "unknown", "scope", "faq")
    short = len(text.split()) <= 6
    follows = bool(_FOLLOW_UP.search(text)) or short
    store_topic = last in ("hours", "address", "nearest")
    if (store_topic or query.store_id) and _ADDRESS_WORDS.search(text) and not _NOT_THE_STORES.search(text) \
            and kind not in ("hours", "nearest") and not (kind == "faq" and confidence >= SURE):
        return "address"
    own_topic = kind == "faq" and turn.heard.faq_confidence >= 0.6 and confidence >= 0.6
    if last == "faq" and not query.product_id and kind not in _NEVER_FAQ and (
        (not own_topic and len(text.split()) <= 12 and _CAN_I.match(text))
        or (len(text.split()) <= 6 and (refers_back(text) or _in_last_answer(turn, text)))
    ):
        return "faq_again"  # "can i take it to a different store?" after returns; "how long does that take?"
    if sure_of_other or not follows:
        return None
    if product_info.ASKS_ABOUT_IT.search(text) and (query.product_id or turn.state.focus.product):
        return "describe"
    if store_topic and (_DAY_WORDS.search(text) or _HOURS_WORDS.search(text) or query.store_id):
        return "hours"
    if last == "reserve" and _FOLLOW_UP.search(text) and (query.product_id or query.colour or query.size):
        return "reserve"  # "and a blue one" / "and a grey beanie" right after adding something
    counted = _FOR_COUNT.search(text)
    if last == "price" and counted and turn.state.focus.product:
        return "price"  # "and for 2?"
    if last in ("check", "price") and (query.product_id or query.colour or query.size or query.store_id or query.quantity):
        if query.store_id or _STOCK_WORDS.search(text):
            return "stock"  # "got grey in L at arndale?" after a price
        if _PRICE_WORDS.search(text):
            return "price"
        if last == "price" and (query.product_id or not turn.state.focus.store):
            return "price"  # "and the summit one?" after a price
        return "stock"  # "and in 10?" while talking about a store's stock
    if last == "distance" and query.store_id and not query.product_id:
        return "distance"  # "and didsbury?" after how far stockport is
    if last in ("check", "price") and turn.state.focus.product and _PRICE_WORDS.search(text):
        return "price"
    if last == "faq" and not query.product_id and kind in ("faq", "unknown", "scope", "stock", "inform") and confidence < SURE:
        return "faq_again"  # "klarna?" after the ways to pay
    return None


async def route(turn: Turn, kind: str) -> None:
    if kind.startswith("faq_topic:"):  # a support topic read from the words ("can my wife collect it?")
        topic = kind.removeprefix("faq_topic:")
        turn.heard = replace(turn.heard, faq_topic=f"faq/{topic}", faq_confidence=1.0, confidence=1.0)
        await _faq(turn)
        return
    await _HANDLERS[kind](turn)


async def _faq_again(turn: Turn) -> None:
    """A short follow-up to a support answer ("klarna?" after the ways to pay): the same topic's answer."""
    topic = str(turn.state.last.get("topic") or "")
    answer = support.faq_answer(topic.removeprefix("faq/"), turn.shop.settings) if topic else None
    if answer is None:
        await _faq(turn)
        return
    turn.done(goal="faq", topic=topic)
    turn.say(answer)


async def _delivery(turn: Turn) -> None:
    query = await stock.read_query(turn)
    if query.product_id:  # "can you post the kinder fleece to me": that fleece is what we talk about next
        turn.state = turn.state.with_focus(product=query.product_id, colour=query.colour, size=query.size)
    turn.heard = replace(turn.heard, faq_topic="faq/delivery", faq_confidence=1.0, confidence=max(turn.heard.confidence, 1.0))
    await _faq(turn)


async def _faq(turn: Turn) -> None:
    last = dict(turn.state.last)
    if not support.faq(turn):
        support.scope(turn)
        return
    topic = str(turn.state.last.get("topic") or "").removeprefix("faq/")
    if topic == "delivery" and turn.text:
        # "can you deliver to M20?": no, but here is the store nearest to it.
        found = await turn.shop.call(nearest_stores, turn.text, 1)
        if found is not None and found.stores:
            nearest = found.stores[0]
            turn.state = replace(turn.state.with_focus(store=nearest.store.store_id), home=found.place_name)
            turn.say(f"Your nearest store to {found.place_name} is {nearest.store.name} ({distance_text(nearest.distance_km)}).")
    if topic == "hold_time" and (last.get("goal") == "order" or re.search(r"\b(?:my|it|mine)\b", turn.text or "")):
        # "how long will you hold it?" after ordering: that order's own deadline.
        order = await turn.shop.call(find_shoppers_order, turn.conversation_id, None)
        if order is not None and order.status in orders.CANCELLABLE:
            held = local_time(order.hold_expires_at)
            pay = " Pay by the link before then to keep it." if order.status == "pending_payment" and order.payment_method == "link" else ""
            lapse = (" If it isn't paid by then, the reservation lapses and the items go back on sale (you can reserve again)."
                     if pay else " If you can't collect it by then, the items go back on sale.")
            turn.replies[-1] = Say(f"Order {order.reference} at {order.store_name} is held for you until {held}.{pay}{lapse}")
    if topic in ("refund_timing", "returns") and last.get("goal") == "cancel" and last.get("reference"):
        # "will i get a refund?" right after cancelling: about that order, not refunds in general.
        order = await turn.shop.call(order_status, str(last["reference"]))
        if order.paid_at is None:
            turn.replies[-1] = Say(f"Order {order.reference} wasn't paid, so you haven't been charged and there's nothing to refund.")


async def _apology(turn: Turn) -> None:
    turn.say("No problem at all! Anything else I can help with?")


async def _affirm(turn: Turn) -> None:
    turn.say("Great! What can I help you with?")


async def _deny(turn: Turn) -> None:
    turn.say("OK, no problem.")


async def _abuse(turn: Turn) -> None:
    turn.state = replace(turn.state, rudeness=turn.state.rudeness + 1)
    if turn.state.rudeness >= 2:
        await handoff.hand_to_person(turn, handoff_service.ASKED_FOR_PERSON, preface="I'm sorry I haven't been able to help.")
        return
    turn.say(support.CALM)


async def _unknown(turn: Turn) -> None:
    """Not understood: ask to rephrase once; the second miss in a row brings in a person."""
    misses = turn.state.misses + 1
    turn.state = replace(turn.state, misses=misses)
    if misses >= 2:
        await handoff.hand_to_person(turn, handoff_service.NOT_UNDERSTOOD, preface=support.STILL_LOST)
        return
    turn.say(support.REPHRASE, support.HELP_BUTTONS)


async def _greet(turn: Turn) -> None:
    support.greet(turn)


async def _goodbye(turn: Turn) -> None:
    turn.say("Thanks for chatting. Bye for now!")


async def _thank(turn: Turn) -> None:
    turn.say("You're welcome! Anything else?")


async def _help(turn: Turn) -> None:
    support.show_help(turn)


async def _scope(turn: Turn) -> None:
    support.scope(turn)


async def _language(turn: Turn) -> None:
    support.languages(turn)


async def _handoff(turn: Turn) -> None:
    await handoff.hand_to_person(turn, handoff_service.ASKED_FOR_PERSON)


async def _leave_message(turn: Turn) -> None:
    handoff.ask_for_message(turn)


async def _stock(turn: Turn) -> None:
    await stock.ask(turn, stock.CHECK)


async def _reserve(turn: Turn) -> None:
    await stock.ask(turn, stock.RESERVE)


_HANDLERS = {
    "stock": _stock,
    "reserve": _reserve,
    "price": product_info.price,
    "describe": product_info.describe,
    "compare": product_info.compare,
    "faq_again": _faq_again,
    "delivery": _delivery,
    "distance": stores.distance,
    "colours_here": alternatives.colours_here,
    "pay_at_store": stores.pay_at_store,
    "cancelled_money": orders.after_cancelling,
    "pick_listed": slot_answers.pick_listed,
    "compare_two": product_info.compare_two,
    "split_line": corrections.split_line,
    "several": several.add_several,
    "apology": _apology,
    "where": stock.where,
    "restock": alternatives.restock,
    "keep_order": orders.keep,
    "too_late": orders.already_cancelled,
    "correct": corrections.correct,
    "basket": basket.show,
    "remove": basket.remove,
    "quantity": basket.change_quantity,
    "checkout": checkout.review,
    "checkout_anywhere": checkout.review_anywhere,
    "clear_basket": basket.clear,
    "choose_store": checkout.review,
    "choose_payment": checkout.choose_payment,
    "order_status": orders.status,
    "cancel": orders.ask_cancel,
    "confirm_cancel": orders.cancel,
    "new_link": orders.new_link,
    "code": orders.status,
    "hours": stores.hours,
    "address": stores.address,
    "nearest": stores.nearest,
    "faq": _faq,
    "scope": _scope,
    "abuse": _abuse,
    "greet": _greet,
    "goodbye": _goodbye,
    "thank": _thank,
    "help": _help,
    "affirm": _affirm,
    "deny": _deny,
    "handoff": _handoff,
    "leave_message": _leave_message,
    "link_phone": phone_link.start,
    "unlink_phone": phone_link.unlink,
    "language": _language,
    "unknown": _unknown,
}
