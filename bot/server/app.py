"""The bot server: one Sanic app serving the action endpoint, web chat, and the commerce web routes."""

from __future__ import annotations

import logging

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.adapters.rasa_client import RasaClient
from bot.pubsub import ConversationSignals
from bot.server.actions_routes import build_actions_blueprint
from bot.server.webchat_routes import WEB_DIR, build_webchat_blueprint
from bot.shop import Shop, process_shop, set_process_shop

logger = logging.getLogger(__name__)


def create_app(shop: Shop | None = None, *, name: str = "shop_bot_server") -> Sanic:
    """Builds the app. Connections (database, Rasa, Redis) open in a start-up listener, not here."""
    app = Sanic(name, configure_logging=False)
    app.config.RESPONSE_TIMEOUT = 120
    app.config.REQUEST_MAX_SIZE = 8 * 1024 * 1024
    app.blueprint(build_actions_blueprint())
    app.blueprint(build_webchat_blueprint())
    app.static("/static", str(WEB_DIR / "static"), name="static")

    @app.before_server_start
    async def open_connections(app: Sanic, _loop: object) -> None:
        app.ctx.shop = shop or process_shop()
        # Actions in this process use the same shop (and so the same database) as the routes.
        set_process_shop(app.ctx.shop)
        app.ctx.signals = ConversationSignals()
        app.ctx.rasa = RasaClient(app.ctx.shop.settings)
        if app.ctx.shop.settings.redis_url:
            await app.ctx.signals.bridge_redis(app.ctx.shop.settings.redis_url)

    @app.after_server_stop
    async def close_connections(app: Sanic, _loop: object) -> None:
        await app.ctx.rasa.close()
        await app.ctx.signals.close()

    @app.get("/health")
    async def health(_: Request) -> HTTPResponse:
        return response.json({"status": "ok"})

    @app.get("/")
    async def home(_: Request) -> HTTPResponse:
        return response.redirect("/chat")

    return app
