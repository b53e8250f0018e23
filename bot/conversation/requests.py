"""What a message asks for when it is not an answer to the pending question, and who handles it.

The NLU intent decides when it is confident; otherwise the catalogue does (a product, colour, size or
store named is a stock question), then the language check, then "I didn't get that". Numbers and shop
words are never product names (see bot/catalog/matching.py), so "2" or "basket" can't start a stock check.
"""

from __future__ import annotations

import re
from dataclasses import replace

from bot.conversation import (
    checkout,
    corrections,
    focus,
    product_info,
    scope,
    several,
    slot_answers,
    support,
)
from bot.conversation.follow_ups import (
    A_PERSON,
    PRICE_WORDS,
    QUESTION_ABOUT_ELSE,
    SURE,
    checked,
    follow_up,
    scope_guess,
)
from bot.conversation.language import foreign_language
from bot.languages import no_word_known
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
from bot.ordering.cart import view_cart
from bot.catalog.price_limits import names_a_price_limit
from bot.catalog.search import search_products

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
_COMPARE = re.compile(r"\bwhich(?: one)? (?:is|are|'s) (?:cheaper|dearer|more expensive|less expensive|pricier)\b|\bwhich costs less\b", re.I)
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
    r"clearpay|apple ?pay|google ?pay|contactless|cash|debit cards?|credit cards?|gopay|ovo|dana|shopeepay|qris|mobilepay|"
    r"virtual account|kredivo|akulaku)\b|^\s*(?:amex|paypal|klarna|clearpay|apple pay|google pay|gopay|ovo|shopeepay|qris|mobilepay)\s*\??\s*$"
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
_DELIVERY = re.compile(
    r"\b(?:deliver|delivery|deliveries|post (?:it|them|the|to|out)|posted|ship|shipping|send (?:it|them) (?:to|out)|courier|"
    r"to my (?:house|home|door|address|work))\b",
    re.I,
)
_UNSURE = re.compile(
    r"^\s*(?:not sure|dunno|don'?t know|no idea|unsure|idk|i'?m not sure|hmm+|um+|erm+)\b(?:\s+\S+){0,2}\s*[.!?]*\s*$", re.I
)
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
# A price as shoppers write a limit: "£50", "80 €", "500k", "1jt", "Rp 750.000", "60e".
_AMOUNT = r"(?:£|€|rp\.? ?)?\d[\d.,]*(?: ?(?:k|rb|ribu|jt|juta|e|euros?|pounds?|quid))?"
# "do you do fleeces", "looking for a bag for my laptop", "need something to keep drinks cold": a shopping request
# even when the intent classifier is unsure (the catalogue search then decides what we have).
_SHOPPING = re.compile(
    r"\b(?:do (?:you|u) (?:do|sell|stock|carry|have|got)|have (?:you|u) got|got any|looking for|i need|i want|need (?:a|an|some|something)|"
    r"something (?:for|to)|what about (?:a|an|the)|anything for|show me|recommend|what \w+ (?:do you|have you)|"
    r"what (?:have )?(?:you|u) got|a (?:present|gift) for|(?:present|gift) (?:for|idea)|for my (?:son|daughter|kids?|little|wife|husband|dad|mum|mom|boyfriend|girlfriend|partner)|"
    r"for my \d{1,2} ?(?:year|yr)|what(?: \w+){1,3} (?:do|have|d) (?:you|u|ya) (?:do|sell|stock|have|got)|what (?:do|would|should) (?:i|we|you)\b.*\b(?:need|take|get|wear|suggest|recommend)|"
    r"suggest|what kit|reckon i need|what would (?:you|u) (?:get|recommend|suggest|buy|go for)|gift ideas?|any ideas|needs? (?:some|new|a|an)|stocking fillers?|"
    rf"(?:under|below|max|budget) (?:a )?(?:tenner|fiver|{_AMOUNT})|between {_AMOUNT}|"
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
# Requests that start a new stock step: they replace a pending stock question instead of interrupting it.
STOCK_KINDS = frozenset({"stock", "reserve", "correct", "colours_here", "pick_listed", "compare_two", "several"})
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
    if no_word_known(text):
        return "unknown"  # "qwertyuiop zzz": a miss (asked again, then a person), not a question we can't help with
    before = turn.state.last  # what the last step did
    if before.get("goal") == "cancel" and before.get("reference") and _MONEY_AFTER.search(text) and not wants_it(text):
        return "cancelled_money"  # "will i be charged?", "does the link still work?" right after cancelling
    if before.get("goal") == "cancel" and before.get("reference") and _UNDO_CANCEL.search(text):
        return "too_late"  # "oh wait no, don't cancel! i do need it" just after it was cancelled
    if A_PERSON.search(text) and not scope.off_topic_reason(text):
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
    if _ANYWHERE.search(text) and turn.state.focus.product and not _EVERYTHING.search(text) and not (await focus.read_query(turn)).product_id:
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
    query = await focus.read_query(turn, words)
    if not query.product_id and turn.state.focus.product and not (query.colour and query.size):
        said_colour, said_size = await focus.focus_options(turn, words)
        query = replace(query, colour=query.colour or said_colour, size=query.size or said_size)
    named = bool(query.product_id or query.colour or query.size or query.store_id or query.quantity)
    named = named or bool(turn.state.focus.product and focus.asks_other_version(words))  # "the kids one"
    last = turn.state.last.get("goal")
    if _ANOTHER.search(text) and turn.state.focus.product and not query.product_id and last in ("reserve", "order", "quantity", "cancel"):
        return "reserve"  # "and another pair at stockport please" after an order
    if _COMPARE.search(text) and not query.product_id and len(turn.state.recent) >= 2:
        return "compare"
    if product_info.ASKS_ABOUT_IT.search(text) and (query.product_id or turn.state.focus.product) and not PRICE_WORDS.search(text):
        return "describe"
    if last == "cancel_missing" and _MY_ORDER.search(text):
        return "cancel"  # "cancel FS-WRONG1" - "sorry i mean my order"
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
    kind = checked(kind, text)
    if kind in ("quantity", "remove", "link_phone") and not turn.state.question and names_a_price_limit(text):
        # "jaket di bawah 1,5 juta", "ada tenda antara 4 jt dan 6 juta?": the numbers are prices, not a quantity
        kind, confidence = "stock", CONFIDENT
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
    followed = follow_up(turn, text, query, kind, confidence)
    if followed is not None:
        return followed
    if wants_it(text) and kind not in ("remove", "quantity", "checkout", "choose_payment") and (
        query.product_id or turn.state.focus.product or named
    ):
        return "reserve"
    if kind == "reserve" and confidence < SURE and not wants_it(text):
        kind = "stock"  # the classifier's "reserve" needs the words to want it too ("i need an adult one")
    if confidence >= CONFIDENT and kind != "unknown":
        if kind in ("stock", "scope", "faq") and PRICE_WORDS.search(text) and (query.product_id or refers_back(text)):
            return "price"
        if kind in ("affirm", "deny", "greet", "thank") and query.product_id:
            return "stock"  # "yes the trailblazers" / "hi do you have the kinder fleece": the product wins
        if kind == "scope" and query.product_id and (query.matched_words >= 2 or confidence < 0.6):
            return "stock"  # "trailblazer boots?" the classifier was unsure of; one shared word is not enough
        return kind
    # Not sure of the intent: what the catalogue recognises decides.
    if query.product_id:
        return "price" if PRICE_WORDS.search(text) else ("reserve" if kind == "reserve" else "stock")
    if turn.state.focus.product and (query.colour or query.size) and (named or _TYPED_FOLLOW_UP.match(text)):
        return "stock"
    # An unsure `inform` that names nothing ("qwertyuiop zzz") gives no value: not a stock question.
    gave_nothing = turn.heard.intent == "inform" and not turn.heard.entities and not query.product_name and not _SHOPPING.search(text)
    if kind in ("stock", "reserve", "hours", "address", "nearest", "faq", "order_status", "handoff") and confidence >= 0.3 \
            and not gave_nothing:
        return "stock" if kind == "reserve" and not wants_it(text) else kind  # a guess of "reserve" is a stock question
    if _SHOPPING.search(text) or (query.product_name and kind in ("stock", "reserve", "unknown") and not QUESTION_ABOUT_ELSE.match(text)):
        return "stock"
    if yes_or_no(text) is not None:
        return "affirm" if yes_or_no(text) else "deny"
    if kind == "scope" or scope_guess(turn):
        return "scope"  # the classifier leans to "not about the shop": say what we do rather than "say it again"
    return "unknown"
