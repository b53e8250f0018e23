"""The agent console: login, the queue, one conversation live, reply, hand back, close, figures.

Pages: GET /console/login, POST /console/login, POST /console/logout, GET /console.
JSON API (all under /console/api, all need a logged-in agent; state changes need the X-CSRF-Token
header): GET queue, GET search (?q= name, phone or order reference), GET conversation, GET stream
(SSE of transcript lines), GET funnel (per-day funnel figures; page GET /console/funnel), POST take, reply,
hand-back, close. Without a session pages redirect to the login page and the API answers 401.
"""

from __future__ import annotations

import html
import logging
from datetime import timedelta
from functools import wraps
from pathlib import Path
from typing import Any, Awaitable, Callable

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.kernel import clock
from bot.kernel.config import Settings, load_settings
from bot.funnel.figures import funnel_by_day
from bot.orchestration.handoff_delivery import MAX_AGENT_REPLY_CHARS, HandoffDesk
from bot.server.cookies import CookieSigner, SessionSecretMissing, client_address, new_nonce, set_private_cookie
from bot.server.console_auth import (
    COOKIE_PATH,
    CSRF_FIELD,
    CSRF_HEADER,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    REALM,
    ConsoleSession,
    active_agent,
    issue_session,
    read_session,
    record_logout,
)
from bot.server.transcript_stream import stream_transcript
from bot.handoff import sessions as handoff, reports as handoff_reports
from bot.handoff import states, waiting
from bot.handoff.conversation_search import find_conversations
from bot.handoff.agents import AgentView, authenticate_agent
from bot.identity.login_throttle import claim_login_attempt, login_failed, login_succeeded

logger = logging.getLogger(__name__)

WEB_DIR = Path(__file__).parent / "web"
DEFAULT_SESSION_TTL = timedelta(hours=8)
# Short streams: EventSource reconnects by itself, and each reconnect re-checks the session.
STREAM_MAX_SECONDS = 60.0
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
}

Handler = Callable[..., Awaitable[HTTPResponse | None]]


def session_ttl_of(settings: Settings) -> timedelta:
    """CONSOLE_SESSION_MINUTES (Settings, default 480): how long a console login lasts."""
    minutes = settings.console_session_minutes
    return timedelta(minutes=minutes) if minutes > 0 else DEFAULT_SESSION_TTL


def build_console_blueprint(
    *,
    session_ttl: timedelta | None = None,
    policy: states.HandoffPolicy | None = None,
) -> Blueprint:
    """The console's routes. Uses the app's ctx.shop, ctx.rasa and ctx.signals (see bot.server.app).

    Args:
        session_ttl: how long a login lasts (default: CONSOLE_SESSION_MINUTES, else 8 hours).
        policy: support hours and presence (default: HandoffPolicy.from_settings).
    """
    console = Blueprint("agent_console")
    ttl = session_ttl or session_ttl_of(load_settings())
    handoff_policy = policy or states.HandoffPolicy.from_settings(load_settings())

    def signer(request: Request) -> CookieSigner:
        ctx = request.app.ctx
        if getattr(ctx, "console_signer", None) is None:
            ctx.console_signer = CookieSigner(ctx.shop.settings.session_secret, REALM)
        return ctx.console_signer

    def desk(request: Request) -> HandoffDesk:
        ctx = request.app.ctx
        if getattr(ctx, "handoff_desk", None) is None:
            ctx.handoff_desk = HandoffDesk(ctx.shop, ctx.rasa, ctx.signals)
        return ctx.handoff_desk

    async def current_agent(request: Request) -> tuple[AgentView, ConsoleSession] | None:
        session = read_session(signer(request), request.cookies.get(SESSION_COOKIE))
        if session is None:
            return None
        agent = await request.app.ctx.shop.call(active_agent, session)
        return (agent, session) if agent is not None else None

    def requires_agent(*, page: bool = False, csrf: bool = False) -> Callable[[Handler], Handler]:
        """Lets the handler run only for a logged-in agent (and, for state changes, a valid CSRF token)."""

        def decorate(handler: Handler) -> Handler:
            @wraps(handler)
            async def guarded(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse | None:
                try:
                    found = await current_agent(request)
                except SessionSecretMissing:
                    return response.text("The agent console is not configured (SHOP_SESSION_SECRET).", status=503)
                if found is None:
                    if page:
                        return response.redirect("/console/login")
                    return response.json({"error": "login required"}, status=401)
                agent, session = found
                if csrf:
                    offered = request.headers.get(CSRF_HEADER) or (request.form.get(CSRF_FIELD) if request.form else None)
                    if not signer(request).csrf_valid(session.nonce, offered):
                        return response.json({"error": "missing or invalid CSRF token"}, status=403)
                request.ctx.agent = agent
                request.ctx.console_session = session
                return await handler(request, *args, **kwargs)

            return guarded

        return decorate

    # --- pages ------------------------------------------------------------------------------------

    @console.get("/console/login")
    async def login_page(request: Request) -> HTTPResponse:
        try:
            if await current_agent(request) is not None:
                return response.redirect("/console")
        except SessionSecretMissing:
            return response.text("The agent console is not configured (SHOP_SESSION_SECRET).", status=503)
        return _login_response(signer(request), error="", secure=_secure(request))

    @console.post("/console/login")
    async def login(request: Request) -> HTTPResponse:
        form = request.form or {}
        try:
            signed = signer(request)
        except SessionSecretMissing:
            return response.text("The agent console is not configured (SHOP_SESSION_SECRET).", status=503)
        if not signed.csrf_valid(request.cookies.get(LOGIN_CSRF_COOKIE), form.get(CSRF_FIELD)):
            return _login_response(signed, "Your login form expired. Please try again.", status=403, secure=_secure(request))
        username, password = (form.get("username") or "").strip(), form.get("password") or ""
        if not username or not password or len(username) > 80 or len(password) > 1024:
            return _login_response(signed, "Enter your username and password.", status=400, secure=_secure(request))
        shop = request.app.ctx.shop
        client = client_address(request)
        gate = await shop.call(claim_login_attempt, "console", username, client)
        if not gate.allowed:
            reply = _login_response(signed, f"Too many attempts. Try again in {gate.retry_after} seconds.", status=429, secure=_secure(request))
            reply.headers["Retry-After"] = str(gate.retry_after)
            return reply
        agent = await shop.call(authenticate_agent, username, password)
        if agent is None:
            await shop.call(login_failed, "console", username, client)
            logger.info("console login refused for a username")
            return _login_response(signed, "Wrong username or password.", status=401, secure=_secure(request))
        await shop.call(login_succeeded, "console", username, client)
        cookie = issue_session(signed, agent.id, ttl)
        reply = response.redirect("/console", status=303)
        set_private_cookie(reply, SESSION_COOKIE, cookie, path=COOKIE_PATH, max_age=int(ttl.total_seconds()), secure=_secure(request))
        set_private_cookie(reply, LOGIN_CSRF_COOKIE, "", path=COOKIE_PATH, max_age=0, secure=_secure(request))
        return reply

    @console.post("/console/logout")
    @requires_agent(page=True, csrf=True)
    async def logout(request: Request) -> HTTPResponse:
        await request.app.ctx.shop.call(record_logout, request.ctx.agent.id)
        reply = response.redirect("/console/login", status=303)
        set_private_cookie(reply, SESSION_COOKIE, "", path=COOKIE_PATH, max_age=0, secure=_secure(request))
        return reply

    @console.get("/console")
    @requires_agent(page=True)
    async def console_page(request: Request) -> HTTPResponse:
        template = (WEB_DIR / "console.html").read_text(encoding="utf-8")
        page = template.replace("{{csrf_token}}", html.escape(signer(request).csrf_token(request.ctx.console_session.nonce)))
        page = page.replace("{{agent_name}}", html.escape(request.ctx.agent.display_name))
        page = page.replace("{{agent_id}}", str(request.ctx.agent.id))
        page = page.replace("{{max_reply}}", str(MAX_AGENT_REPLY_CHARS))
        # Times on the page are the support desk's (the stores'), not the agent's laptop's.
        page = page.replace("{{time_zone}}", html.escape(handoff_policy.hours.timezone))
        return response.html(page, headers=SECURITY_HEADERS)

    @console.get("/console/funnel")
    @requires_agent(page=True)
    async def funnel_page(request: Request) -> HTTPResponse:
        page = (WEB_DIR / "funnel.html").read_text(encoding="utf-8")
        return response.html(page.replace("{{time_zone}}", html.escape(handoff_policy.hours.timezone)), headers=SECURITY_HEADERS)

    # --- JSON API ---------------------------------------------------------------------------------

    @console.get("/console/api/funnel")
    @requires_agent()
    async def funnel(request: Request) -> HTTPResponse:
        # Days in the support desk's zone, as the consumer counted them (SUPPORT_TIMEZONE).
        today = clock.now().astimezone(handoff_policy.hours.zone).date()
        figures = await request.app.ctx.shop.call(funnel_by_day, today)
        return _json({**figures.as_json(), "time_zone": handoff_policy.hours.timezone, "today": today.isoformat()})

    @console.get("/console/api/queue")
    @requires_agent()
    async def queue(request: Request) -> HTTPResponse:
        shop = request.app.ctx.shop
        items = await shop.call(handoff_reports.list_queue)
        live = await shop.call(handoff_reports.live_conversations)
        figures = await shop.call(handoff_reports.handoff_figures, handoff_policy.hours)
        available = await shop.call(waiting.availability, handoff_policy)
        return _json(
            {
                "queue": [item.as_json() for item in items],
                "live": [conversation.as_json() for conversation in live],
                "figures": figures.as_json(),
                "availability": {
                    "status": available.status,
                    "agents_online": available.agents_online,
                    "support_hours": available.hours.describe(),
                },
                "me": {"id": request.ctx.agent.id, "display_name": request.ctx.agent.display_name},
            }
        )

    @console.get("/console/api/search")
    @requires_agent()
    async def search(request: Request) -> HTTPResponse:
        query = request.args.get("q") or ""
        if len(query) > 60:
            return _json({"error": "a search is at most 60 characters"}, status=400)
        found = await request.app.ctx.shop.call(find_conversations, query)
        return _json({"query": query, "results": [conversation.as_json() for conversation in found]})

    @console.get("/console/api/conversation")
    @requires_agent()
    async def conversation(request: Request) -> HTTPResponse:
        conversation_id = _conversation_id(request.args.get("conversation_id"))
        if conversation_id is None:
            return _json({"error": "conversation_id is required"}, status=400)
        overview = await request.app.ctx.shop.call(handoff_reports.conversation_overview, conversation_id)
        return _json(overview)

    @console.get("/console/api/stream")
    @requires_agent()
    async def stream(request: Request) -> HTTPResponse | None:
        conversation_id = _conversation_id(request.args.get("conversation_id"))
        if conversation_id is None:
            return _json({"error": "conversation_id is required"}, status=400)
        await stream_transcript(
            request, conversation_id, render=handoff_reports.transcript_json, max_seconds=STREAM_MAX_SECONDS
        )
        return None

    @console.post("/console/api/take")
    @requires_agent(csrf=True)
    async def take(request: Request) -> HTTPResponse:
        body = _body(request)
        handoff_id = _whole(body.get("handoff_id"))
        conversation_id = _conversation_id(body.get("conversation_id"))
        channel = body.get("channel") if isinstance(body.get("channel"), str) else None
        if handoff_id is None and (conversation_id is None or not channel):
            return _json({"error": "give handoff_id, or conversation_id and channel"}, status=400)
        try:
            result = await desk(request).take(
                request.ctx.agent.id, handoff_id=handoff_id, conversation_id=conversation_id, channel=channel
            )
        except states.HandoffError as error:
            return _handoff_error(error)
        status = 200 if result.won else 409
        return _json({"status": result.status, "handoff": _handoff_json(result.handoff)}, status=status)

    @console.post("/console/api/reply")
    @requires_agent(csrf=True)
    async def reply(request: Request) -> HTTPResponse:
        body = _body(request)
        conversation_id = _conversation_id(body.get("conversation_id"))
        text = body.get("text")
        if conversation_id is None or not isinstance(text, str):
            return _json({"error": "conversation_id and text are required"}, status=400)
        if not text.strip() or len(text) > MAX_AGENT_REPLY_CHARS:
            return _json({"error": f"a reply must be 1 to {MAX_AGENT_REPLY_CHARS} characters"}, status=400)
        owned = await request.app.ctx.shop.call(handoff.open_handoff, conversation_id)
        if owned is None or owned.state != states.ACTIVE or owned.agent_id != request.ctx.agent.id:
            return _json({"error": "take the conversation before replying"}, status=409)
        try:
            delivery = await desk(request).send_to_shopper(conversation_id, owned.channel, text)
        except ValueError as error:
            return _json({"error": str(error)}, status=400)
        return _json({"status": delivery.status, "reason": delivery.reason})

    async def end_session(request: Request, end: Callable[..., Awaitable[states.HandoffView]]) -> HTTPResponse:
        handoff_id = _whole(_body(request).get("handoff_id"))
        if handoff_id is None:
            return _json({"error": "handoff_id is required"}, status=400)
        try:
            ended = await end(request.ctx.agent.id, handoff_id)
        except states.HandoffError as error:
            return _handoff_error(error)
        return _json({"status": ended.state, "handoff": _handoff_json(ended)})

    @console.post("/console/api/hand-back")
    @requires_agent(csrf=True)
    async def hand_back(request: Request) -> HTTPResponse:
        return await end_session(request, desk(request).hand_back)

    @console.post("/console/api/close")
    @requires_agent(csrf=True)
    async def close(request: Request) -> HTTPResponse:
        return await end_session(request, desk(request).close)

    return console


# --- helpers --------------------------------------------------------------------------------------


def _login_response(signer: CookieSigner, error: str, status: int = 200, *, secure: bool) -> HTTPResponse:
    nonce = new_nonce()
    token = signer.csrf_token(nonce)
    template = (WEB_DIR / "console_login.html").read_text(encoding="utf-8")
    page = template.replace("{{csrf_token}}", html.escape(token)).replace("{{error}}", html.escape(error))
    reply = response.html(page, status=status, headers=SECURITY_HEADERS)
    # Secure behind HTTPS like the session cookie: it was never Secure, so it could travel in clear.
    set_private_cookie(reply, LOGIN_CSRF_COOKIE, nonce, path=COOKIE_PATH, max_age=3600, secure=secure)
    return reply


def _secure(request: Request) -> bool:
    return request.app.ctx.shop.settings.public_base_url.startswith("https://")


def _json(body: dict[str, Any], status: int = 200) -> HTTPResponse:
    return response.json(body, status=status, headers={"Cache-Control": "no-store"})


def _body(request: Request) -> dict[str, Any]:
    try:
        body = request.json
    except Exception:  # noqa: BLE001 - malformed JSON is just an empty request here
        return {}
    return body if isinstance(body, dict) else {}


def _whole(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value > 0:
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _conversation_id(value: Any) -> str | None:
    return value if isinstance(value, str) and 0 < len(value) <= 160 else None


def _handoff_json(view: states.HandoffView) -> dict[str, Any]:
    return {
        "id": view.id,
        "conversation_id": view.conversation_id,
        "channel": view.channel,
        "state": view.state,
        "agent_id": view.agent_id,
        "taken_at": view.taken_at.isoformat() if view.taken_at else None,
    }


_ERROR_STATUS = {"not_found": 404, "not_yours": 403, "invalid": 400}


def _handoff_error(error: states.HandoffError) -> HTTPResponse:
    return _json({"error": str(error), "code": error.code}, status=_ERROR_STATUS.get(error.code, 409))
