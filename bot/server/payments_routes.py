"""Payment routes: the sandbox's hosted pay page and the providers' webhooks.

Webhook bodies are verified on their raw bytes before anything is parsed; a forged or stale
request gets 403 and changes nothing. Card numbers typed into the sandbox page are used only to
pick the test outcome: they are never stored or logged (the event carries the last four digits).
"""

from __future__ import annotations

import logging
from html import escape
from typing import Awaitable, Callable

import httpx
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, html, json

from bot.kernel.money import format_money
from bot.ordering.rules import HoldPolicy
from bot.ordering.checkout_replies import local_time
from bot.languages import N_, _, current, speaking
from bot.server.page_texts import page_language
from bot.payments import PROVIDER_NAMES, InvalidSignature, MalformedEvent, PaymentProvider, PaymentProviderError, ProviderNotConfigured
from bot.payments.sandbox import (
    SandboxMidtransProvider,
    SandboxProvider,
    card_outcome,
    is_sandbox_token,
    last4,
    sandbox_provider_of,
)
from bot.ordering.pay_links import PaymentOutcome, PayPage, execute_refund, handle_payment_event, order_languages, pay_page
from bot.kernel.shop import Shop

log = logging.getLogger(__name__)

Notify = Callable[[PaymentOutcome], Awaitable[None]]
ProviderFactory = Callable[[str], PaymentProvider]

_PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # the pay token is in the URL
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'"
    ),
}
# Channels whose shoppers can go back to the conversation in this browser.
WEB_CHANNELS = frozenset({"web", "webchat"})


# Generic method labels in the language of the page; brand names (GoPay, QRIS, Klarna) stay as they are.
METHOD_LABELS = {"card": N_("Card"), "bank transfer": N_("Bank transfer")}


def _language(request: Request, page: PayPage | None) -> str:
    """The pay page's language: ?lang= (the web chat adds its own), else the order's (the conversation's when it
    was placed: a link opened from an SMS has no chat to ask), else the browser's among the market's, else the market's."""
    return _language_of(request, page.order.language if page is not None else None, page.languages if page is not None else ())


def _language_of(request: Request, order_language: str | None, market_languages: tuple[str, ...]) -> str:
    return page_language(
        asked=request.args.get("lang"), conversation=order_language,
        accept_language=request.headers.get("accept-language"), market_languages=market_languages,
    )


def _paragraph(text: str) -> str:
    return f"<p>{escape(text)}</p>"


def _page(title: str, body: str, status: int = 200, *, retailer: str, back_to_chat: bool = False) -> HTTPResponse:
    """A page in the shop's colours (/site.css): the retailer's name in the bar, a way back to the chat.

    Called within `speaking(language)`: the page is in that language, and says so (lang, Content-Language).
    """
    back_label = escape(_("Back to the chat"))
    # The chat page takes up the conversation's language again from its replies.
    back = f"<p><a class='btn btn--secondary' href='/chat'>{back_label}</a></p>" if back_to_chat else ""
    document = (
        f"<!doctype html><html lang='{current()}'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(title)} · {escape(retailer)}</title>"
        "<link rel='icon' href='/favicon.ico'><link rel='stylesheet' href='/site.css'>"
        "<link rel='stylesheet' href='/static/pay.css'></head>"
        f"<body><header class='site-bar'><span class='site-bar__title'>{escape(retailer)}</span></header>"
        f"<main class='pay card'><h1>{escape(title)}</h1>{body}{back}</main>"
        "<script src='/static/pay.js'></script></body></html>"
    )
    return html(document, status=status, headers={**_PAGE_HEADERS, "Content-Language": current(), "Vary": "Accept-Language"})


def _order_table(page: PayPage) -> str:
    order = page.order
    rows = "".join(
        "<tr><td>{qty} × {name}{options}</td><td class='num'>{amount}</td></tr>".format(
            qty=line.quantity,
            name=escape(line.name),
            options=escape(f" ({', '.join(o for o in (line.colour, line.size) if o)})") if (line.colour or line.size) else "",
            amount=escape(format_money(line.line_total_minor, order.currency, page.locale)),
        )
        for line in order.lines
    )
    total = escape(format_money(page.link.amount_minor, page.link.currency, page.locale))
    heading = _("Order {reference} · collect from {store}").format(reference="\0", store="\1")
    heading = escape(heading).replace("\0", f"<strong>{escape(order.reference)}</strong>").replace("\1", escape(order.store_name))
    caption, total_label = escape(_("Your order")), escape(_("Total"))
    return (
        f"<p>{heading}</p>"
        f"<table class='table'><caption class='visually-hidden'>{caption}</caption>{rows}"
        f"<tr><th scope='row'>{total_label}</th><td class='num'><strong>{total}</strong></td></tr></table>"
    )


CARD_METHODS = frozenset({"card", "credit_card"})


def _method_choice(page: PayPage) -> str:
    """The market's payment methods as the provider's page would offer them (cards need a number)."""
    if not page.methods:
        return ""
    options = "".join(
        f"<label class='pay__method'><input type='radio' name='method' value='{escape(method)}'{' checked' if position == 0 else ''}>"
        f" {escape(_(METHOD_LABELS[name]) if name in METHOD_LABELS else name)}</label>"
        for position, (method, name) in enumerate(page.methods)
    )
    legend = escape(_("Pay with"))
    return f"<fieldset class='field pay__methods'><legend>{legend}</legend>{options}</fieldset>"


def _pay_form(page: PayPage, retailer: str, error: str = "", card_number: str = "") -> HTTPResponse:
    amount = escape(format_money(page.link.amount_minor, page.link.currency, page.locale))
    deadline = escape(local_time(page.pay_by, page.locale, page.order.store_timezone))
    card_required = not page.methods or page.methods[0][0] in CARD_METHODS
    # After a decline the number stays in the field (this page is no-store and never logged), so the
    # shopper corrects a digit or swaps the card instead of typing it all again.
    card_label, busy = escape(_("Card number")), escape(_("Paying…"), quote=True)
    pay_label = escape(_("Pay {amount}")).format(amount=amount)
    note = escape(_("Sandbox payments: no real money moves. Test cards: 4242 4242 4242 4242 succeeds, "
                    "4000 0000 0000 0002 is declined; any other method succeeds."))
    due = escape(_("Pay {amount} by {time} to keep your items.")).format(amount=f"<strong>{amount}</strong>", time=f"<strong>{deadline}</strong>")
    body = (
        f"<p class='pay__due'>{due}</p>"
        + _order_table(page)
        + (f"<p class='notice notice--error' role='alert' id='card_error'>{escape(error)}</p>" if error else "")
        + "<form method='post' class='pay__form' id='pay_form'>" + _method_choice(page) + "<div class='field'>"
        f"<label for='card_number'>{card_label}</label>"
        "<input id='card_number' name='card_number' inputmode='numeric' autocomplete='cc-number'"
        + (" required" if card_required else "")
        + (f" value='{escape(card_number, quote=True)}' aria-invalid='true' aria-describedby='card_error'" if error else "")
        + ">"
        f"</div><button class='btn pay__submit' type='submit' id='pay_button' data-busy='{busy}'>{pay_label}</button></form>"
        f"<p class='muted pay__note'>{note}</p>"
    )
    return _page(_("Pay for your order"), body, status=400 if error else 200, retailer=retailer, back_to_chat=_from_web(page))


def _from_web(page: PayPage) -> bool:
    return page.order.channel in WEB_CHANNELS


def _closed_page(page: PayPage, retailer: str) -> HTTPResponse:
    titles = {
        "paid": (_("Paid, thank you"), _("This order is paid. We'll message you when it's ready to collect.")),
        "refunded": (_("Payment refunded"), _("This order could no longer take your payment, so it is being refunded in full.")),
        "expired": (_("This link has expired"), _("The hold on this order ran out. Message us to order again.")),
        "closed": (_("This order can't be paid"), _("This order is no longer waiting for payment.")),
    }
    title, text = titles[page.reason]
    return _page(
        title, _order_table(page) + f"<p>{escape(text)}</p>", status=200 if page.reason == "paid" else 410,
        retailer=retailer, back_to_chat=_from_web(page),
    )


def _local_webhook_url(request: Request, provider_name: str) -> str:
    """The sandbox webhook on this very server, reached over the socket the shopper came in on."""
    sockname = request.conn_info.sockname if request.conn_info else None
    host, port = (sockname[0], sockname[1]) if isinstance(sockname, tuple) else ("127.0.0.1", request.port)
    if ":" in host:  # IPv6
        host = f"[{host}]"
    return f"http://{host}:{port}/webhooks/payments/{provider_name}"


def build_payments_blueprint(
    shop: Shop,
    provider_factory: ProviderFactory,
    notify: Notify,
    sandbox_webhook_base: str | None = None,
) -> Blueprint:
    """The pay page and webhook routes.

    Args:
        shop: the process's shop (database and settings).
        provider_factory: provider by name ("sandbox", "stripe"); may raise ProviderNotConfigured.
        notify: awaited with every outcome that has something to tell the shopper (payment received,
            failed, or refunded); the server wires it to Rasa's trigger_intent.
        sandbox_webhook_base: the server the sandbox pay page posts its signed webhooks to
            (`<base>/webhooks/payments/<sandbox provider>`); by default this same server, over the
            local socket the pay request arrived on.
    """
    blueprint = Blueprint("payments")
    hold_policy = HoldPolicy.from_settings(shop.settings)
    retailer = shop.settings.retailer_name

    async def load_page(token: str) -> PayPage | None:
        if not is_sandbox_token(token):
            return None
        return await shop.call(pay_page, sandbox_provider_of(token), token)

    def signed_payment(page: PayPage, method: str, card_last4: str | None) -> tuple[str, bytes, dict[str, str]]:
        """The webhook the imitated provider would send for this payment: (provider, body, headers)."""
        provider = provider_factory(page.link.provider)
        if isinstance(provider, SandboxMidtransProvider):
            body, headers = provider.notification(
                page.link.provider_ref, page.order.reference, page.link.amount_minor, "settlement", method, card_last4
            )
            return provider.name, body, headers
        assert isinstance(provider, SandboxProvider)
        body, headers = provider.checkout_event(
            "checkout.session.completed",
            provider_ref=page.link.provider_ref,
            order_reference=page.order.reference,
            amount_minor=page.link.amount_minor,
            currency=page.link.currency,
            card_last4=card_last4,
        )
        return provider.name, body, headers

    def not_found() -> HTTPResponse:
        return _page(_("Payment link not found"), _paragraph(_("Check the link in your messages.")), status=404, retailer=retailer)

    @blueprint.get("/pay/<token:str>")
    async def show_pay_page(request: Request, token: str) -> HTTPResponse:
        page = await load_page(token)
        with speaking(_language(request, page)):
            if page is None:
                return not_found()
            return _pay_form(page, retailer) if page.payable else _closed_page(page, retailer)

    @blueprint.post("/pay/<token:str>")
    async def submit_payment(request: Request, token: str) -> HTTPResponse:
        page = await load_page(token)
        with speaking(_language(request, page)):
            return await pay(request, token, page)

    async def pay(request: Request, token: str, page: PayPage | None) -> HTTPResponse:
        if page is None:
            return not_found()
        if not page.payable:
            return _closed_page(page, retailer)
        form = request.form or {}
        offered = [method for method, _name in page.methods]
        method = (form.get("method") or offered[0]) if offered else "card"  # no market: cards, as before
        if method not in offered and offered:
            return _pay_form(page, retailer, _("Choose one of the payment methods below."))
        card_last4 = None
        if method in CARD_METHODS:
            card_number = form.get("card_number", "")
            outcome = card_outcome(card_number)
            if outcome == "declined":
                return _pay_form(page, retailer, _("Your card was declined. Check the number or try another card."), card_number)
            if outcome != "succeeded":
                return _pay_form(page, retailer, _("That is not a sandbox test card; see the note below."), card_number)
            card_last4 = last4(card_number)
            del card_number  # nothing below may see it
        provider_name, body, headers = signed_payment(page, method, card_last4)
        target = f"{sandbox_webhook_base.rstrip('/')}/webhooks/payments/{provider_name}" if sandbox_webhook_base else _local_webhook_url(request, provider_name)
        try:
            async with httpx.AsyncClient(timeout=30) as client:
                response = await client.post(target, content=body, headers=headers)
            delivered = response.status_code == 200
        except httpx.HTTPError as error:
            log.error("sandbox webhook to %s failed: %s", target, type(error).__name__)
            delivered = False
        after = await load_page(token)
        if delivered and after is not None and after.reason == "paid" and after.order.status != "pending_payment":
            return _page(
                _("Payment received"),
                _order_table(after) + _paragraph(_("Thank you. We'll message you when it's ready to collect.")),
                retailer=retailer, back_to_chat=_from_web(after),
            )
        if after is not None and after.reason == "paid":
            return _closed_page(after, retailer)
        return _page(
            _("Payment processing"), _paragraph(_("We're confirming your payment and will message you shortly.")), status=202,
            retailer=retailer, back_to_chat=_from_web(page),
        )

    async def return_page_language(request: Request) -> str:
        """The language of a page the provider sends the shopper back to (?order=<reference>): the order's."""
        reference = (request.args.get("order") or "")[:40]
        order_language, market_languages = await shop.call(order_languages, reference) if reference else (None, ())
        return _language_of(request, order_language, market_languages)

    @blueprint.get("/payments/complete")
    async def after_checkout(request: Request) -> HTTPResponse:
        with speaking(await return_page_language(request)):
            return _page(_("Thank you"), _paragraph(_("We'll confirm your payment in the chat.")), retailer=retailer)

    @blueprint.get("/payments/cancelled")
    async def checkout_cancelled(request: Request) -> HTTPResponse:
        with speaking(await return_page_language(request)):
            return _page(_("Payment cancelled"), _paragraph(_("Nothing was charged. Your link works until the hold runs out.")), retailer=retailer)

    @blueprint.post("/webhooks/payments/<provider_name:str>")
    async def payment_webhook(request: Request, provider_name: str) -> HTTPResponse:
        if provider_name not in PROVIDER_NAMES:
            return json({"error": "unknown provider"}, status=404)
        try:
            provider = provider_factory(provider_name)
        except ProviderNotConfigured:
            return json({"error": "provider not configured"}, status=404)
        try:
            event = provider.parse_webhook(request.body or b"", request.headers)
        except InvalidSignature as error:
            log.warning("rejected %s webhook: %s", provider_name, error)
            return json({"error": "invalid signature"}, status=403)
        except MalformedEvent as error:
            log.warning("unreadable %s webhook: %s", provider_name, error)
            return json({"error": "malformed event"}, status=400)
        outcome = await shop.call(handle_payment_event, event, hold_policy)
        if outcome.refund is not None:
            try:
                await shop.call(execute_refund, provider, outcome.refund)
            except PaymentProviderError as error:
                log.error("refund for %s failed, left for staff: %s", outcome.refund.order_reference, error)
        if outcome.should_notify:
            try:
                await notify(outcome)
            except Exception:  # noqa: BLE001 - the payment is recorded; a failed alert must not 500 the provider
                log.exception("notifying conversation of %s failed", outcome.order_reference)
        return json({"received": True, "result": outcome.result})

    return blueprint

