"""The store dashboard: staff sign in per store, see today's orders, mark them ready and collected.

Sessions are stateless cookies signed by the one cookie signer (bot.server.cookies; HttpOnly,
SameSite=Lax, 12-hour expiry) naming the store and the password credential used: replacing a store's
password ends every session signed in with the old one. Every form post carries a CSRF token bound
to the session (the login form one bound to a pre-login cookie). Pages are server-rendered with
every value escaped (bot.server.dashboard_pages); the only script is the page's own /static file,
which keeps the board live: GET /store/stream is a Server-Sent Events stream, as the console's
transcript is, that says when the board changed, and GET /store/board is the fresh board.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Awaitable, Callable
from urllib.parse import urlencode

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, html, redirect

from bot.kernel import clock
from bot.ordering.rules import InvalidTransition, NotYourOrder, OrderNotFound
from bot.server.cookies import CookieSigner, client_address, new_nonce, set_private_cookie
from bot.server.dashboard_pages import board_html, dashboard_page, login_page, page
from bot.server.store_routes import kick_alert_delivery
from bot.identity.login_throttle import claim_login_attempt, login_failed, login_succeeded
from bot.ordering.pickup_alerts import AlertPolicy, alert_problems
from bot.identity.store_access import check_dashboard_login, dashboard_credential_is_live
from bot.store_operations.store_board import board_version, store_board
from bot.store_operations.store_orders import WrongStore, collect_store_order, mark_store_order_ready
from bot.catalog.stores import list_stores, store_details
from bot.kernel.shop import Shop

log = logging.getLogger(__name__)

BASE = "/store"
SESSION_COOKIE = "store_session"
LOGIN_COOKIE = "store_login"
SESSION_SECONDS = 12 * 3600
REALM = "store-dashboard"

_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
}
# Short streams, as the console's: EventSource reconnects by itself and each reconnect re-checks the session.
STREAM_SECONDS = 60.0
STREAM_POLL_SECONDS = 2.0
_NOTICES = {
    "ready": "{order} is marked ready; the shopper is being told.",
    "ready_again": "{order} was already ready.",
    "collected": "{order} is collected.",
    "bad_code": "That pickup code does not match {order}. Nothing changed.",
    "cannot": "{order} cannot change now: {detail}.",
    "not_found": "No order {order} at this store.",
}


@dataclass(frozen=True)
class DashboardSession:
    store_id: str
    credential_id: int
    nonce: str


def issue_session(signer: CookieSigner, store_id: str, credential_id: int) -> str:
    return signer.issue({"store": store_id, "credential": credential_id}, timedelta(seconds=SESSION_SECONDS))


def read_session(signer: CookieSigner, cookie: str | None) -> DashboardSession | None:
    """The session in a cookie when the signer accepts it (signature, expiry) and it names a store."""
    return signer.read_as(cookie, lambda claims: DashboardSession(str(claims["store"]), int(claims["credential"]), str(claims["nonce"])))


# --- rendering --------------------------------------------------------------------------------------


def _not_configured() -> HTTPResponse:
    return _page("Dashboard not configured", "<p>Set SHOP_SESSION_SECRET to use the store dashboard.</p>", 503)


def _page(title: str, body: str, status: int = 200) -> HTTPResponse:
    return html(page(title, f"<main class='login__box card'>{body}</main>", body_class="login"), status=status, headers=_HEADERS)


def _login_page(shop_stores: list[Any], token: str, error: str = "", status: int = 200, chosen: str = "") -> HTTPResponse:
    return html(login_page(shop_stores, token, error, chosen), status=status, headers=_HEADERS)


# --- the blueprint ----------------------------------------------------------------------------------


Page = Callable[..., Awaitable[HTTPResponse]]


def build_dashboard_blueprint() -> Blueprint:
    """The dashboard routes under /store; uses `app.ctx.shop` (and `app.ctx.rasa` to send alerts at once)."""
    blueprint = Blueprint("store_dashboard")

    def signer_of(shop: Shop) -> CookieSigner | None:
        """The dashboard's signer, or None while SHOP_SESSION_SECRET is unset (nobody can sign in)."""
        return CookieSigner(shop.settings.session_secret, REALM) if shop.settings.session_secret else None

    def secure(shop: Shop) -> bool:
        return shop.settings.public_base_url.startswith("https://")

    def signed_in(handler: Page) -> Page:
        """Loads the session (signature, expiry, password still current) and checks CSRF on posts."""

        async def guarded(request: Request, **kwargs: Any) -> HTTPResponse:
            shop: Shop = request.app.ctx.shop
            signer = signer_of(shop)
            session = read_session(signer, request.cookies.get(SESSION_COOKIE)) if signer else None
            if session is not None and not await shop.call(dashboard_credential_is_live, session.store_id, session.credential_id):
                session = None
            if session is None:
                return redirect(f"{BASE}/login")
            if request.method == "POST":
                presented = request.form.get("csrf") if request.form else None
                if not signer or not signer.csrf_valid(session.nonce, presented):
                    return _page("Form expired", f"<p>Please <a href='{BASE}'>reload the page</a> and try again.</p>", 403)
            return await handler(request, shop, session, **kwargs)

        guarded.__name__ = handler.__name__
        return guarded

    def back(request: Request, notice: str, order: str, detail: str = "") -> HTTPResponse:
        form = request.form or {}
        where = {key: str(form.get(key))[:60] for key in ("tab", "q") if form.get(key)}
        query = urlencode({**where, "notice": notice, "order": order, **({"detail": detail} if detail else {})})
        return redirect(f"{BASE}?{query}", status=303)

    @blueprint.get(f"{BASE}/login")
    async def login_form(request: Request) -> HTTPResponse:
        shop: Shop = request.app.ctx.shop
        signer = signer_of(shop)
        if signer is None:
            return _not_configured()
        nonce = new_nonce()
        response = _login_page(await shop.call(list_stores), signer.csrf_token(nonce))
        set_private_cookie(response, LOGIN_COOKIE, nonce, path=BASE, max_age=3600, secure=secure(shop))
        return response

    @blueprint.post(f"{BASE}/login")
    async def login(request: Request) -> HTTPResponse:
        shop: Shop = request.app.ctx.shop
        signer = signer_of(shop)
        if signer is None:
            return _not_configured()
        form = request.form or {}
        nonce = request.cookies.get(LOGIN_COOKIE)
        stores = await shop.call(list_stores)
        if not signer.csrf_valid(nonce, form.get("csrf")):
            fresh = new_nonce()
            chosen = str(form.get("store") or "")[:40]
            response = _login_page(stores, signer.csrf_token(fresh), "The form expired; please sign in again.", 403, chosen)
            set_private_cookie(response, LOGIN_COOKIE, fresh, path=BASE, max_age=3600, secure=secure(shop))
            return response
        store_id, password = str(form.get("store") or "")[:40], str(form.get("password") or "")
        client = client_address(request)
        # The same throttle as the console: per (store, client address), growing delays, audit-logged.
        gate = await shop.call(claim_login_attempt, "store", store_id, client)
        if not gate.allowed:
            page = _login_page(stores, signer.csrf_token(nonce or ""), f"Too many attempts. Try again in {gate.retry_after} seconds.", 429, store_id)
            page.headers["Retry-After"] = str(gate.retry_after)
            return page
        principal = await shop.call(check_dashboard_login, store_id, password)
        if principal is None:
            log.warning("failed dashboard sign-in for store %r", store_id)
            known = store_id if any(store.store_id == store_id for store in stores) else None
            await shop.call(login_failed, "store", store_id, client, store_id=known)
            return _login_page(stores, signer.csrf_token(nonce or ""), "Wrong store or password.", 401, store_id)
        await shop.call(login_succeeded, "store", store_id, client)
        cookie = issue_session(signer, principal.store_id, principal.credential_id)
        response = redirect(BASE, status=303)
        set_private_cookie(response, SESSION_COOKIE, cookie, path=BASE, max_age=SESSION_SECONDS, secure=secure(shop))
        set_private_cookie(response, LOGIN_COOKIE, "", path=BASE, max_age=0, secure=secure(shop))
        return response

    @blueprint.post(f"{BASE}/logout")
    @signed_in
    async def logout(request: Request, shop: Shop, session: DashboardSession) -> HTTPResponse:
        response = redirect(f"{BASE}/login", status=303)
        set_private_cookie(response, SESSION_COOKIE, "", path=BASE, max_age=0, secure=secure(shop))
        return response

    async def board_markup(request: Request, shop: Shop, session: DashboardSession) -> tuple[Any, str, str]:
        """The store's details, the board's HTML for this request's ?tab= and ?q=, and the form token."""
        now = clock.now()
        details = await shop.call(store_details, session.store_id)
        query = (request.args.get("q") or "").strip()[:60]
        board = await shop.call(store_board, session.store_id, tab=request.args.get("tab") or "", query=query, now=now)
        problems = await shop.call(alert_problems, session.store_id)
        version = await shop.call(board_version, session.store_id)
        token = signer_of(shop).csrf_token(session.nonce)  # type: ignore[union-attr]  # signed in, so signed
        return details, board_html(board, problems, details, token, now, version), token

    @blueprint.get(BASE)
    @signed_in
    async def dashboard(request: Request, shop: Shop, session: DashboardSession) -> HTTPResponse:
        details, markup, token = await board_markup(request, shop, session)
        notice_key = request.args.get("notice") or ""
        notice = None
        if notice_key in _NOTICES:
            text = _NOTICES[notice_key].format(order=(request.args.get("order") or "")[:20], detail=(request.args.get("detail") or "")[:80])
            notice = ("error" if notice_key in ("bad_code", "cannot", "not_found") else "success", text)
        query = (request.args.get("q") or "").strip()[:60]
        return html(dashboard_page(details, markup, token, notice, query), headers=_HEADERS)

    @blueprint.get(f"{BASE}/board")
    @signed_in
    async def board(request: Request, shop: Shop, session: DashboardSession) -> HTTPResponse:
        _details, markup, _token = await board_markup(request, shop, session)
        return html(markup, headers=_HEADERS)

    @blueprint.get(f"{BASE}/stream")
    @signed_in
    async def stream(request: Request, shop: Shop, session: DashboardSession) -> None:  # type: ignore[return]
        """Sends `changed` whenever the board's version differs from the one the page (or the last event) had."""
        known = (request.headers.get("Last-Event-ID") or request.args.get("version") or "")[:200]
        reply = await request.respond(content_type="text/event-stream", headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
        await reply.send("retry: 2000\n\n")
        started = time.monotonic()
        signals = getattr(request.app.ctx, "signals", None)
        while not request.transport.is_closing() and time.monotonic() - started < STREAM_SECONDS:
            version = await shop.call(board_version, session.store_id)
            if version != known:
                await reply.send(f"id: {version}\nevent: changed\ndata: {version}\n\n")
                known = version
            else:
                await reply.send(": keep-alive\n\n")
            if signals is not None:
                await signals.wait(_board_signal(session.store_id), STREAM_POLL_SECONDS)
            else:
                await asyncio.sleep(STREAM_POLL_SECONDS)
        await reply.eof()

    @blueprint.post(f"{BASE}/orders/<reference:str>/ready")
    @signed_in
    async def mark_ready(request: Request, shop: Shop, session: DashboardSession, reference: str) -> HTTPResponse:
        policy = AlertPolicy.from_settings(shop.settings)
        try:
            outcome = await shop.call(mark_store_order_ready, session.store_id, reference, f"dashboard:{session.store_id}", None, policy)
        except (OrderNotFound, WrongStore):
            return back(request, "not_found", reference)
        except InvalidTransition as error:
            return back(request, "cannot", reference, f"it is {error.current.replace('_', ' ')}")
        await _wake_boards(request, session.store_id)
        if outcome.alert_scheduled:
            kick_alert_delivery(request.app, shop)
            return back(request, "ready", outcome.order.reference)
        return back(request, "ready_again" if not outcome.suppressed_reason else "ready", outcome.order.reference)

    @blueprint.post(f"{BASE}/orders/<reference:str>/collect")
    @signed_in
    async def mark_collected(request: Request, shop: Shop, session: DashboardSession, reference: str) -> HTTPResponse:
        code = str((request.form or {}).get("pickup_code") or "")
        try:
            order = await shop.call(collect_store_order, session.store_id, reference, code, f"dashboard:{session.store_id}")
        except (OrderNotFound, WrongStore):
            return back(request, "not_found", reference)
        except NotYourOrder:
            return back(request, "bad_code", reference)
        except InvalidTransition as error:
            return back(request, "cannot", reference, f"it is {error.current.replace('_', ' ')}")
        await _wake_boards(request, session.store_id)
        return back(request, "collected", order.reference)

    return blueprint


def _board_signal(store_id: str) -> str:
    # The console's conversation signals carry any key; this one never collides with a conversation id.
    return f"store-board:{store_id}"


async def _wake_boards(request: Request, store_id: str) -> None:
    """Other tills of the store see a change made here at once, not at their next poll."""
    signals = getattr(request.app.ctx, "signals", None)
    if signals is not None:
        await signals.publish(_board_signal(store_id))
