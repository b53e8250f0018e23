"""A probe loaded into the stack's processes (this folder first on PYTHONPATH; set HOP_PROBE_LOG).

It appends one line per SQL transaction begun and per outgoing aiohttp request to HOP_PROBE_LOG, so an
end-to-end test can count the transactions and the HTTP hops between the Rasa server and the bot server
that one event causes (tests/support/hop_count.py reads the lines). Nothing here changes behaviour.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import traceback

_LOG = os.environ.get("HOP_PROBE_LOG")
_lock = threading.Lock()


def _write(kind: str, what: str) -> None:
    line = json.dumps({"at": time.time(), "pid": os.getpid(), "process": " ".join(sys.argv[:3])[-60:], "kind": kind, "what": what})
    with _lock, open(_LOG, "a", encoding="utf-8") as log:  # type: ignore[arg-type]
        log.write(line + "\n")


def _caller() -> str:
    """The innermost frame of our own code outside the kernel (which use case began the transaction)."""
    for frame in reversed(traceback.extract_stack()[:-3]):
        path = frame.filename
        if "/bot/" in path and "/bot/kernel/" not in path and "site-packages" not in path:
            return f"{path.rsplit('/bot/', 1)[-1]}:{frame.name}"
    return "?"


def _install() -> None:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    @event.listens_for(Engine, "begin")
    def _begun(connection) -> None:  # type: ignore[no-untyped-def]
        _write("sql", _caller())

    import aiohttp

    original = aiohttp.ClientSession._request

    async def _request(self, method, url, *args, **kwargs):  # type: ignore[no-untyped-def]
        _write("http", f"{method} {url}")
        return await original(self, method, url, *args, **kwargs)

    aiohttp.ClientSession._request = _request  # type: ignore[method-assign]


if _LOG:
    _install()
