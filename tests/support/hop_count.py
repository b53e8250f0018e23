"""Reading the hop probe's lines (tests/support/hop_probe/sitecustomize.py) for one window of time."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

PROBE_PATH = str(Path(__file__).parent / "hop_probe")


@dataclass(frozen=True)
class Crossing:
    """What the stack's processes did between two instants."""

    transactions: dict[str, int]  # per process ("bot-server", "rasa")
    requests: list[str]  # outgoing HTTP requests, "<from process> METHOD url"
    callers: list[str]  # per transaction, "<process> <module>:<function that began it>"

    def hops_between(self, *urls: str) -> int:
        """Requests sent to one of these base URLs (each is a hop there and, with its answer, one back)."""
        return sum(1 for request in self.requests if any(url in request for url in urls))


def probe_env(log: Path) -> dict[str, str]:
    from scripts.shop_env import PROJECT_ROOT

    return {"HOP_PROBE_LOG": str(log), "PYTHONPATH": f"{PROBE_PATH}:{PROJECT_ROOT}"}


def crossing(log: Path, start: float, end: float) -> Crossing:
    transactions: dict[str, int] = {}
    requests: list[str] = []
    callers: list[str] = []
    for line in log.read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        if not start <= entry["at"] <= end:
            continue
        process = "rasa" if "rasa" in entry["process"] else "bot-server"
        if entry["kind"] == "sql":
            transactions[process] = transactions.get(process, 0) + 1
            callers.append(f"{process} {entry['what']}")
        else:
            requests.append(f"{process} {entry['what']}")
    return Crossing(transactions, requests, callers)
