"""The texts of the shopper's pages (the web chat page and the pay page) and which language a page is in.

The texts are marked `N_()` here and translated with the replies' catalogues (data/languages/<code>.po,
`make messages`), so a translator edits one file per language for everything a shopper reads. The chat
page gets every supported language's texts at once: it starts in the language the browser asks for and
follows the conversation's language as replies arrive (each web reply carries it).
"""

from __future__ import annotations

from babel import Locale, UnknownLocaleError

from bot.languages import N_, SUPPORTED, speaking
from bot.languages.catalogue import _

# What chat.html and chat.js say, by key ({retailer} is filled in by the page).
CHAT_TEXTS = {
    "title": N_("Chat with {retailer}"),
    "main_label": N_("Chat with the {retailer} assistant"),
    "close": N_("Close the chat"),
    "log_label": N_("Conversation"),
    "your_message": N_("Your message"),
    "placeholder": N_("Ask about stock, orders or stores…"),
    "send": N_("Send"),
    "connecting": N_("connecting…"),
    "reconnecting": N_("reconnecting…"),
    "offline": N_("offline, retrying…"),
    "online": N_("online"),
    "greeting": N_("Hi! I'm the {retailer} assistant. I can check stock in our stores, reserve items to collect, track an order or answer questions. What can I help with?"),
    "check_stock": N_("Check stock"),
    "track_order": N_("Track my order"),
    "store_hours": N_("Store opening hours"),
    "talk_to_person": N_("Talk to a person"),
    "support_team": N_("Support team"),
    "sending": N_("Sending…"),
    "sent": N_("Sent"),
    "not_sent": N_("Not sent"),
    "waiting_offline": N_("Not sent yet · will send when you're back online"),
    "retry": N_("Retry"),
    "pay_now": N_("Pay now"),
    "opens_pay_page": N_("Opens our secure payment page"),
    "pay_amount_by": N_("Pay {amount} by {time}"),
    "order_opens_pay_page": N_("Order {reference} · opens our secure payment page"),
    "order": N_("Order {reference}"),
    "paid": N_("Paid"),
    "link_expired": N_("Pay link expired"),
    "refunded": N_("Refunded"),
    "not_payable": N_("No longer payable"),
    "closed": N_("Closed"),
    "please_pay_by": N_("Please pay by {time} to keep it."),
}
# The reply sentence the chat page shortens once its link is drawn as a pay card: the part from "Pay here
# before" to the link, in each language (the page finds it with {held} as the time).
PAY_HERE = N_("Pay here before {held} to keep it:")
# Intl locales for times on the page (24-hour in every one of them).
BROWSER_LOCALES = {"en": "en-GB", "id": "id-ID", "fi": "fi-FI"}


def texts_in(language: str, texts: dict[str, str]) -> dict[str, str]:
    """`texts` translated into `language` (English where a text has no translation yet)."""
    with speaking(language):
        return {key: _(text) for key, text in texts.items()}


def chat_page_texts() -> dict[str, dict[str, str]]:
    """Every supported language's chat page texts, plus its time locale and pay-link sentence."""
    pages = {}
    for language in SUPPORTED:
        texts = texts_in(language, CHAT_TEXTS)
        with speaking(language):
            texts["pay_here"] = _(PAY_HERE)
        texts["time_locale"] = BROWSER_LOCALES.get(language, "en-GB")
        pages[language] = texts
    return pages


def _quality(part: str) -> float:
    for parameter in part.split(";")[1:]:
        name, _sep, value = parameter.strip().partition("=")
        if name.strip() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


def accepted_languages(header: str | None) -> list[str]:
    """The languages of an Accept-Language header, most wanted first ("id-ID,id;q=0.9,en;q=0.8" -> id, en)."""
    ranked = []
    for position, part in enumerate((header or "").split(",")):
        tag = part.split(";")[0].strip()
        if not tag or tag == "*":
            continue
        try:
            language = Locale.parse(tag, sep="-").language
        except (ValueError, UnknownLocaleError):
            continue
        ranked.append((-_quality(part), position, language))
    return list(dict.fromkeys(language for _q, _position, language in sorted(ranked)))


def page_language(*, asked: str | None = None, conversation: str | None = None, accept_language: str | None = None,
                  market_languages: tuple[str, ...] = ()) -> str:
    """The language a shopper's page is shown in.

    In order: the one asked for in the address (?lang=), the conversation's, the first the browser
    accepts among the ones the market speaks (any supported one when there is no market), the market's
    own, English.
    """
    for language in (asked, conversation):
        if language in SUPPORTED:
            return str(language)
    speaks = [language for language in market_languages if language in SUPPORTED] or list(SUPPORTED)
    for language in accepted_languages(accept_language):
        if language in speaks:
            return language
    return speaks[0] if market_languages and speaks else "en"
