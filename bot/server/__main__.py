"""`python -m bot.server`: runs the bot server (actions, web chat, commerce routes) on SHOP_HOST:SHOP_PORT."""

from __future__ import annotations

import logging

from bot.kernel.config import load_settings, refuse_blank_secrets_in_production


def main() -> None:
    # Before the app's imports (rasa_sdk and its dependencies take seconds, a minute on a busy machine):
    # a misconfigured replica says so at once.
    refuse_blank_secrets_in_production("the bot server")
    from bot.server.app import create_app

    settings = load_settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # rasa_sdk warns on every form turn that slots filled by our extract_* methods have no validate_*
    # method; that is by design here, and one line per stock question buried real warnings.
    logging.getLogger("rasa_sdk.forms").setLevel(logging.ERROR)
    app = create_app()
    app.run(host=settings.bot_server_host, port=settings.bot_server_port, workers=1, access_log=False)


if __name__ == "__main__":
    main()
