"""The bot server: one Sanic app serving the action endpoint, web chat, and the commerce web routes."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress

from sanic import Blueprint, Sanic, response
from sqlalchemy.exc import OperationalError
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.adapters.rasa_client import RasaClient
from bot.payments import provider_factory
from bot.orchestration.pubsub import ConversationSignals
from bot.server.actions_routes import build_actions_blueprint
from bot.orchestration.sweep import sweep_forever
from bot.server.console_routes import build_console_blueprint
from bot.server.dashboard_routes import build_dashboard_blueprint
from bot.server.messaging_routes import build_messaging_blueprint
from bot.server.payments_routes import build_payments_blueprint
from bot.server.site_style import favicon_svg, site_css
from bot.orchestration.push import kick_notice_delivery
from bot.server.store_routes import build_store_api_blueprint
from bot.server.webchat_routes import WEB_DIR, build_webchat_blueprint
from bot.ordering.pay_links import PaymentOutcome
from bot.kernel.shop import Shop, process_shop, set_process_shop
from bot.languages.detection import warm_up_in_background

logger = logging.getLogger(__name__)

def create_app(
    shop: Shop | None = None,
    *,
    name: str = "shop_bot_server",
    run_sweeper: bool = True,
    console: Blueprint | None = None,
) -> Sanic:
    """Builds the app. Connections (database, Rasa, Redis) open in a start-up listener, not here.

    Args:
        console: the agent console's blueprint, when a caller needs its own settings (tests shorten
            session lifetimes); by default one configured from the environment.
    """
    shop = shop or process_shop()
    app = Sanic(name, configure_logging=False)
    app.config.RESPONSE_TIMEOUT = 120
    app.config.REQUEST_MAX_SIZE = 8 * 1024 * 1024

    async def tell_shopper_about_payment(outcome: PaymentOutcome) -> None:
        # The notice was queued with the payment change; deliver it now rather than at the next sweep.
        if outcome.message_kind and outcome.order_reference:
            kick_notice_delivery(app.ctx, shop, (outcome.message_kind,), outcome.notice_subject)

    app.blueprint(build_actions_blueprint(shop.settings.action_endpoint_token))
    app.blueprint(build_webchat_blueprint())
    app.blueprint(build_payments_blueprint(shop, provider_factory(shop.settings), tell_shopper_about_payment))
    app.blueprint(build_messaging_blueprint(shop))
    app.blueprint(build_store_api_blueprint())
    app.blueprint(build_dashboard_blueprint())
    app.blueprint(console or build_console_blueprint())
    app.static("/static", str(WEB_DIR / "static"), name="static")

    @app.before_server_start
    async def open_connections(app: Sanic, _loop: object) -> None:
        app.ctx.shop = shop
        # Actions in this process use the same shop (and so the same database) as the routes.
        set_process_shop(shop)
        app.ctx.signals = ConversationSignals()
        app.ctx.rasa = RasaClient(shop.settings)
        if shop.settings.redis_url:
            await app.ctx.signals.bridge_redis(shop.settings.redis_url)

    @app.after_server_start
    async def start_sweeper(app: Sanic, _loop: object) -> None:
        app.ctx.sweeper = asyncio.create_task(sweep_forever(app.ctx)) if run_sweeper else None
        warm_up_in_background()  # the first shopper after a start no longer waits for the language models

    @app.before_server_stop
    async def stop_sweeper(app: Sanic, _loop: object) -> None:
        if app.ctx.sweeper is not None:
            app.ctx.sweeper.cancel()
            with suppress(asyncio.CancelledError):
                await app.ctx.sweeper

    @app.after_server_stop
    async def close_connections(app: Sanic, _loop: object) -> None:
        await app.ctx.rasa.close()
        await app.ctx.signals.close()

    @app.exception(OperationalError)
    async def database_unavailable(request: Request, error: OperationalError) -> HTTPResponse:
        # A restarting or unreachable database: say so plainly and when to retry, never a bare 500.
        logger.error("database unavailable during %s %s: %s", request.method, request.path, type(error).__name__)
        return response.json(
            {"error": "the shop's database is unavailable for a moment; please retry"}, status=503, headers={"Retry-After": "5"}
        )

    @app.get("/health")
    async def health(_: Request) -> HTTPResponse:
        return response.json({"status": "ok"})

    @app.get("/site.css")
    async def site_stylesheet(request: Request) -> HTTPResponse:
        text, etag = site_css(shop.settings)
        if request.headers.get("If-None-Match") == etag:
            return response.empty(status=304, headers={"ETag": etag})
        return response.text(
            text, content_type="text/css; charset=utf-8", headers={"ETag": etag, "Cache-Control": "no-cache"}
        )

    @app.get("/favicon.ico")
    async def favicon(_: Request) -> HTTPResponse:
        # Browsers ask for /favicon.ico on every page; an SVG answers it (Chromium and Firefox draw it).
        return response.text(
            favicon_svg(shop.settings), content_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"}
        )

    @app.get("/")
    async def home(_: Request) -> HTTPResponse:
        return response.redirect("/chat")

    return app
