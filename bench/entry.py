"""The production bench's entry point: one loopback URL in front of the replicas, routed as deploy/nginx.conf routes.

`python -m bench.entry --port P --rasa URL[,URL] --bots URL[,URL]` serves until SIGTERM. Messaging webhooks
(/webhooks/..., except payments) go to the Rasa replicas, everything else (web chat, pages) to the bot
servers, each request to the next replica in turn. It stands in for nginx, which this machine does not have
(deploy/nginx.conf is what production runs; tests/production/test_nginx.py checks it where nginx exists).
The same entry point fronts one replica and two, so their figures differ only by the replicas behind it.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
from urllib.parse import urlparse

import aiohttp
from aiohttp import web

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
              "transfer-encoding", "upgrade", "content-length", "host"}
HTTP = web.AppKey("http", aiohttp.ClientSession)  # the pooled client to the replicas
UPSTREAM_TIMEOUT_SECONDS = 120.0  # as nginx's proxy_read_timeout: a message may wait its turn in the lock


def upstream_pool(path: str) -> str:
    """Which replicas serve `path`: "rasa" for messaging webhooks, "bots" for the rest (as deploy/nginx.conf)."""
    if path.startswith("/webhooks/") and not path.startswith("/webhooks/payments/"):
        return "rasa"
    return "bots"


def build_app(rasa: list[str], bots: list[str]) -> web.Application:
    for url in (*rasa, *bots):
        if urlparse(url).hostname not in LOOPBACK_HOSTS:
            raise ValueError(f"upstreams must be on loopback, got {url!r}")
    turns = {"rasa": itertools.cycle(rasa), "bots": itertools.cycle(bots)}
    app = web.Application(client_max_size=8 * 1024 * 1024)

    async def start_client(app_: web.Application) -> None:
        app_[HTTP] = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=UPSTREAM_TIMEOUT_SECONDS), auto_decompress=False,
            connector=aiohttp.TCPConnector(limit=0, keepalive_timeout=2),
        )

    async def stop_client(app_: web.Application) -> None:
        await app_[HTTP].close()

    async def forward(request: web.Request) -> web.StreamResponse:
        upstream = next(turns[upstream_pool(request.path)])
        headers = {name: value for name, value in request.headers.items() if name.lower() not in HOP_BY_HOP}
        headers["X-Forwarded-For"] = request.remote or ""
        body = await request.read()
        try:
            async with request.app[HTTP].request(request.method, f"{upstream}{request.rel_url}", headers=headers,
                                                   data=body or None, allow_redirects=False) as reply:
                payload = await reply.read()
                out = {name: value for name, value in reply.headers.items() if name.lower() not in HOP_BY_HOP}
                return web.Response(status=reply.status, body=payload, headers=out)
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            return web.Response(status=502, text=f"upstream {upstream} failed: {type(error).__name__}")

    app.on_startup.append(start_client)
    app.on_cleanup.append(stop_client)
    app.router.add_route("*", "/{tail:.*}", forward)
    return app


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.entry", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--rasa", required=True, help="Rasa replicas' URLs, comma-separated")
    parser.add_argument("--bots", required=True, help="bot servers' URLs, comma-separated")
    args = parser.parse_args(argv)
    app = build_app(args.rasa.split(","), args.bots.split(","))
    web.run_app(app, host="127.0.0.1", port=args.port, print=None, access_log=None)  # stops on SIGTERM/SIGINT
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
