"""A retailer's own web page with the chat widget's one <script> tag, served on another loopback origin.

The widget's browser test and the screenshots both need it. A real server on loopback, not a routed fake
host: Chromium refuses scripts from a loopback address to a page it counts as public (Private Network
Access), which the production setup (both public) never meets.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator


def retailer_page_html(bot_url: str) -> str:
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Walking boots</title>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'></head>"
        "<body><main><h1>Walking boots</h1><p>Our range of boots.</p></main>"
        f"<script src='{bot_url}/widget.js' async></script></body></html>"
    )


@contextmanager
def retailer_page(bot_url: str) -> Iterator[str]:
    """Serves the page (at any path) on a free loopback port until the block ends; yields its URL."""
    body = retailer_page_html(bot_url).encode()

    class RetailerPage(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass  # a test's or a screenshot run's output is not the place for an access log

    server = ThreadingHTTPServer(("127.0.0.1", 0), RetailerPage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/walking-boots"
    finally:
        server.shutdown()
        server.server_close()
