"""The store dashboard: staff sign in per store, see today's orders, mark them ready and collected.

Sessions are stateless signed cookies (HMAC-SHA256 with Settings.session_secret; HttpOnly,
SameSite=Lax, 12-hour expiry) naming the store and the password credential used: replacing a store's
password ends every session signed in with the old one. Every form post carries a CSRF token bound
to the session (the login form one bound to a pre-login cookie). Pages are server-rendered with
every value escaped, and served with a CSP that allows no scripts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json as jsonlib
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from html import escape
from typing import Any, Awaitable, Callable
from urllib.parse import urlencode

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, html, redirect

from bot.domain.hours import local_now
from bot.domain.money import format_money
from bot.domain.orders import InvalidTransition, NotYourOrder, OrderNotFound
from bot.server.cookies import client_address, set_private_cookie
from bot.server.store_routes import kick_alert_delivery
from bot.services.login_throttle import claim_login_attempt, login_failed, login_succeeded
from bot.services.orders import OrderSummary
from bot.services.pickup_alerts import AlertPolicy, AlertStatus, alert_problems
from bot.services.store_access import check_dashboard_login, dashboard_credential_is_live
from bot.services.store_orders import (
    WrongStore,
    collect_store_order,
    mark_store_order_ready,
    search_store_orders,
    todays_orders,
)
from bot.services.stores import StoreDetails, list_stores, store_details
from bot.shop import Shop

log = logging.getLogger(__name__)

BASE = "/store"
SESSION_COOKIE = "store_session"
LOGIN_COOKIE = "store_login"
SESSION_SECONDS = 12 * 3600

_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
}
_NOTICES = {
    "ready": "{order} is marked ready; the shopper is being told.",
    "ready_again": "{order} was already ready.",
    "collected": "{order} is collected.",
    "bad_code": "That pickup code does not match {order}. Nothing changed.",
    "cannot": "{order} cannot change now: {detail}.",
    "not_found": "No order {order} at this store.",
}
_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:1rem auto;max-width:70rem;padding:0 1rem}"
    "table{width:100%;border-collapse:collapse}th,td{text-align:left;padding:.4rem;border-bottom:1px solid #ddd;vertical-align:top}"
    "form.inline{display:inline-flex;gap:.3rem}input,button,select{font-size:1rem;padding:.35rem}"
    ".notice{background:#eef6ee;padding:.5rem}.error{background:#fbeaea;padding:.5rem}"
    ".status-ready{color:#06600f;font-weight:600}.late{color:#a00}header{display:flex;justify-content:space-between;align-items:center}"
    ".visually-hidden{position:absolute;left:-9999px}"
)


@dataclass(frozen=True)
class DashboardSession:
    store_id: str
    credential_id: int
    expires: int
    nonce: str


# --- signing ----------------------------------------------------------------------------------------


def _key(secret: str, purpose: str) -> bytes:
    return hmac.new(secret.encode(), f"store-dashboard:{purpose}".encode(), hashlib.sha256).digest()


def _sign(secret: str, purpose: str, value: str) -> str:
    return hmac.new(_key(secret, purpose), value.encode(), hashlib.sha256).hexdigest()


def encode_session(secret: str, session: DashboardSession) -> str:
    """The cookie value: base64url(JSON) + "." + HMAC-SHA256 hex."""
    body = base64.urlsafe_b64encode(
        jsonlib.dumps({"s": session.store_id, "c": session.credential_id, "e": session.expires, "n": session.nonce}).encode()
    ).decode()
    return f"{body}.{_sign(secret, 'session', body)}"


def decode_session(secret: str, cookie: str | None, now: float | None = None) -> DashboardSession | None:
    """The session in a cookie if its signature is right and it has not expired, else None."""
    if not cookie or not secret or "." not in cookie:
        return None
    body, _dot, signature = cookie.rpartition(".")
    if not hmac.compare_digest(signature.encode(), _sign(secret, "session", body).encode()):
        return None
    try:
        data = jsonlib.loads(base64.urlsafe_b64decode(body.encode()))
        session = DashboardSession(str(data["s"]), int(data["c"]), int(data["e"]), str(data["n"]))
    except (ValueError, KeyError, TypeError):
        return None
    return session if session.expires > (now if now is not None else time.time()) else None


def csrf_token(secret: str, nonce: str) -> str:
    return _sign(secret, "csrf", nonce)


def _csrf_ok(secret: str, nonce: str | None, presented: str | None) -> bool:
    return bool(nonce and presented) and hmac.compare_digest(csrf_token(secret, nonce or "").encode(), (presented or "").encode())


# --- rendering --------------------------------------------------------------------------------------


def _page(title: str, body: str, status: int = 200) -> HTTPResponse:
    document = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>{body}</body></html>"
    )
    return html(document, status=status, headers=_HEADERS)


def _login_page(shop_stores: list[Any], token: str, error: str = "", status: int = 200) -> HTTPResponse:
    options = "".join(f"<option value='{escape(s.store_id, quote=True)}'>{escape(s.name)}</option>" for s in shop_stores)
    body = (
        "<h1>Store sign in</h1>"
        + (f"<p class='error' role='alert'>{escape(error)}</p>" if error else "")
        + f"<form method='post' action='{BASE}/login'>"
        f"<input type='hidden' name='csrf' value='{escape(token, quote=True)}'>"
        f"<p><label for='store'>Store</label><br><select id='store' name='store'>{options}</select></p>"
        "<p><label for='password'>Password</label><br>"
        "<input id='password' name='password' type='password' autocomplete='current-password' required></p>"
        "<p><button type='submit'>Sign in</button></p></form>"
    )
    return _page("Store sign in", body, status)


def _local(details: StoreDetails, moment: datetime) -> str:
    return local_now(details.timezone, moment).strftime("%a %d %b %H:%M")


def _order_row(order: OrderSummary, details: StoreDetails, token: str, now: datetime) -> str:
    ref = escape(order.reference)
    ref_attr = escape(order.reference, quote=True)
    items = "<br>".join(
        escape(f"{line.quantity} × {line.name}" + (f" ({', '.join(o for o in (line.colour, line.size) if o)})" if (line.colour or line.size) else ""))
        for line in order.lines
    )
    late = " late" if order.hold_expires_at <= now and order.status in ("paid", "ready", "pending_payment") else ""
    actions = ""
    hidden = f"<input type='hidden' name='csrf' value='{escape(token, quote=True)}'>"
    can_ready = order.status == "paid" or (order.status == "pending_payment" and order.payment_method == "at_pickup")
    if can_ready:
        actions = (
            f"<form class='inline' method='post' action='{BASE}/orders/{ref_attr}/ready'>{hidden}"
            f"<button type='submit' data-testid='ready-{ref_attr}'>Mark ready</button></form>"
        )
    elif order.status == "ready":
        actions = (
            f"<form class='inline' method='post' action='{BASE}/orders/{ref_attr}/collect'>{hidden}"
            f"<label class='visually-hidden' for='code-{ref_attr}'>Pickup code for {ref}</label>"
            f"<input id='code-{ref_attr}' name='pickup_code' size='8' placeholder='Pickup code' autocomplete='off' required>"
            f"<button type='submit' data-testid='collect-{ref_attr}'>Collected</button></form>"
        )
    due = "" if order.payment_method == "link" or order.paid_at else f"<br>due {escape(format_money(order.total_minor, order.currency, order.store_locale))}"
    return (
        f"<tr data-order='{ref_attr}'><td>{ref}</td><td class='status-{escape(order.status, quote=True)}' data-testid='status-{ref_attr}'>"
        f"{escape(order.status.replace('_', ' '))}</td><td>{items}</td><td>{escape(order.contact_phone or '')}</td>"
        f"<td class='deadline{late}'>{escape(_local(details, order.hold_expires_at))}{due}</td><td>{actions}</td></tr>"
    )


def _alerts_section(problems: list[AlertStatus], details: StoreDetails) -> str:
    if not problems:
        return ""
    rows = "".join(
        f"<tr><td>{escape(p.order_reference)}</td><td>{escape(p.kind.replace('_', ' '))}</td><td>{escape(p.state.replace('_', ' '))}</td>"
        f"<td>{p.attempts}</td><td>{escape(_local(details, p.due_at))}</td><td>{escape(p.last_error or '')}</td></tr>"
        for p in problems
    )
    return (
        "<h2>Alerts that did not go out</h2><table id='alert-problems'><thead><tr><th>Order</th><th>Alert</th><th>State</th>"
        f"<th>Attempts</th><th>Next try / due</th><th>Last error</th></tr></thead><tbody>{rows}</tbody></table>"
    )


# --- the blueprint ----------------------------------------------------------------------------------


Page = Callable[..., Awaitable[HTTPResponse]]


def build_dashboard_blueprint() -> Blueprint:
    """The dashboard routes under /store; uses `app.ctx.shop` (and `app.ctx.rasa` to send alerts at once)."""
    blueprint = Blueprint("store_dashboard")

    def secret_of(shop: Shop) -> str:
        return shop.settings.session_secret

    def secure(shop: Shop) -> bool:
        return shop.settings.public_base_url.startswith("https://")

    def signed_in(handler: Page) -> Page:
        """Loads the session (signature, expiry, password still current) and checks CSRF on posts."""

        async def guarded(request: Request, **kwargs: Any) -> HTTPResponse:
            shop: Shop = request.app.ctx.shop
            secret = secret_of(shop)
            session = decode_session(secret, request.cookies.get(SESSION_COOKIE))
            if session is not None and not await shop.call(dashboard_credential_is_live, session.store_id, session.credential_id):
                session = None
            if session is None:
                return redirect(f"{BASE}/login")
            if request.method == "POST":
                presented = request.form.get("csrf") if request.form else None
                if not _csrf_ok(secret, session.nonce, presented):
                    return _page("Form expired", f"<p>Please <a href='{BASE}'>reload the page</a> and try again.</p>", 403)
            return await handler(request, shop, session, **kwargs)

        guarded.__name__ = handler.__name__
        return guarded

    def back(notice: str, order: str, detail: str = "") -> HTTPResponse:
        query = urlencode({"notice": notice, "order": order, **({"detail": detail} if detail else {})})
        return redirect(f"{BASE}?{query}", status=303)

    @blueprint.get(f"{BASE}/login")
    async def login_form(request: Request) -> HTTPResponse:
        shop: Shop = request.app.ctx.shop
        if not secret_of(shop):
            return _page("Dashboard not configured", "<p>Set SHOP_SESSION_SECRET to use the store dashboard.</p>", 503)
        nonce = secrets.token_urlsafe(16)
        response = _login_page(await shop.call(list_stores), csrf_token(secret_of(shop), nonce))
        set_private_cookie(response, LOGIN_COOKIE, nonce, path=BASE, max_age=3600, secure=secure(shop))
        return response

    @blueprint.post(f"{BASE}/login")
    async def login(request: Request) -> HTTPResponse:
        shop: Shop = request.app.ctx.shop
        secret = secret_of(shop)
        if not secret:
            return _page("Dashboard not configured", "<p>Set SHOP_SESSION_SECRET to use the store dashboard.</p>", 503)
        form = request.form or {}
        nonce = request.cookies.get(LOGIN_COOKIE)
        stores = await shop.call(list_stores)
        if not _csrf_ok(secret, nonce, form.get("csrf")):
            fresh = secrets.token_urlsafe(16)
            response = _login_page(stores, csrf_token(secret, fresh), "The form expired; please sign in again.", 403)
            set_private_cookie(response, LOGIN_COOKIE, fresh, path=BASE, max_age=3600, secure=secure(shop))
            return response
        store_id, password = str(form.get("store") or "")[:40], str(form.get("password") or "")
        client = client_address(request)
        # The same throttle as the console: per (store, client address), growing delays, audit-logged.
        gate = await shop.call(claim_login_attempt, "store", store_id, client)
        if not gate.allowed:
            page = _login_page(stores, csrf_token(secret, nonce or ""), f"Too many attempts. Try again in {gate.retry_after} seconds.", 429)
            page.headers["Retry-After"] = str(gate.retry_after)
            return page
        principal = await shop.call(check_dashboard_login, store_id, password)
        if principal is None:
            log.warning("failed dashboard sign-in for store %r", store_id)
            known = store_id if any(store.store_id == store_id for store in stores) else None
            await shop.call(login_failed, "store", store_id, client, store_id=known)
            return _login_page(stores, csrf_token(secret, nonce or ""), "Wrong store or password.", 401)
        await shop.call(login_succeeded, "store", store_id, client)
        session = DashboardSession(principal.store_id, principal.credential_id, int(time.time()) + SESSION_SECONDS, secrets.token_urlsafe(16))
        response = redirect(BASE, status=303)
        set_private_cookie(response, SESSION_COOKIE, encode_session(secret, session), path=BASE, max_age=SESSION_SECONDS, secure=secure(shop))
        set_private_cookie(response, LOGIN_COOKIE, "", path=BASE, max_age=0, secure=secure(shop))
        return response

    @blueprint.post(f"{BASE}/logout")
    @signed_in
    async def logout(request: Request, shop: Shop, session: DashboardSession) -> HTTPResponse:
        response = redirect(f"{BASE}/login", status=303)
        set_private_cookie(response, SESSION_COOKIE, "", path=BASE, max_age=0, secure=secure(shop))
        return response

    @blueprint.get(BASE)
    @signed_in
    async def dashboard(request: Request, shop: Shop, session: DashboardSession) -> HTTPResponse:
        now = datetime.now(timezone.utc)
        details = await shop.call(store_details, session.store_id)
        query = (request.args.get("q") or "").strip()[:60]
        if query:
            orders = await shop.call(search_store_orders, session.store_id, query)
            heading = f"Orders matching “{escape(query)}”"
        else:
            orders = await shop.call(todays_orders, session.store_id, now)
            heading = "Today's orders"
        problems = await shop.call(alert_problems, session.store_id)
        token = csrf_token(secret_of(shop), session.nonce)
        notice_key = request.args.get("notice") or ""
        notice = ""
        if notice_key in _NOTICES:
            text = _NOTICES[notice_key].format(order=(request.args.get("order") or "")[:20], detail=(request.args.get("detail") or "")[:80])
            css = "error" if notice_key in ("bad_code", "cannot", "not_found") else "notice"
            notice = f"<p class='{css}' role='status' id='notice'>{escape(text)}</p>"
        rows = "".join(_order_row(order, details, token, now) for order in orders) or "<tr><td colspan='6'>No orders.</td></tr>"
        body = (
            f"<header><h1>{escape(details.store.name)}</h1>"
            f"<form method='post' action='{BASE}/logout'><input type='hidden' name='csrf' value='{escape(token, quote=True)}'>"
            "<button type='submit'>Sign out</button></form></header>"
            f"{notice}"
            f"<form method='get' action='{BASE}' role='search'><label for='q'>Find by pickup code, reference or phone</label> "
            f"<input id='q' name='q' value='{escape(query, quote=True)}'> <button type='submit'>Search</button></form>"
            f"<h2>{heading}</h2><table id='orders'><thead><tr><th>Order</th><th>Status</th><th>Items</th><th>Phone</th>"
            f"<th>Pickup deadline</th><th></th></tr></thead><tbody>{rows}</tbody></table>"
            f"{_alerts_section(problems, details)}"
        )
        return _page(f"{details.store.name} orders", body)

    @blueprint.post(f"{BASE}/orders/<reference:str>/ready")
    @signed_in
    async def mark_ready(request: Request, shop: Shop, session: DashboardSession, reference: str) -> HTTPResponse:
        policy = AlertPolicy.from_settings(shop.settings)
        try:
            outcome = await shop.call(mark_store_order_ready, session.store_id, reference, f"dashboard:{session.store_id}", None, policy)
        except (OrderNotFound, WrongStore):
            return back("not_found", reference)
        except InvalidTransition as error:
            return back("cannot", reference, f"it is {error.current.replace('_', ' ')}")
        if outcome.alert_scheduled:
            kick_alert_delivery(request.app, shop)
            return back("ready", outcome.order.reference)
        return back("ready_again" if not outcome.suppressed_reason else "ready", outcome.order.reference)

    @blueprint.post(f"{BASE}/orders/<reference:str>/collect")
    @signed_in
    async def mark_collected(request: Request, shop: Shop, session: DashboardSession, reference: str) -> HTTPResponse:
        code = str((request.form or {}).get("pickup_code") or "")
        try:
            order = await shop.call(collect_store_order, session.store_id, reference, code, f"dashboard:{session.store_id}")
        except (OrderNotFound, WrongStore):
            return back("not_found", reference)
        except NotYourOrder:
            return back("bad_code", reference)
        except InvalidTransition as error:
            return back("cannot", reference, f"it is {error.current.replace('_', ' ')}")
        return back("collected", order.reference)

    return blueprint
