"""The fuzz suite: every webhook, the web chat API, the payment webhook and the store API.

`make test` runs FUZZ_EXAMPLES (default 1,000) generated inputs per route; `make fuzz` runs 10,000.
Each route is served for real on loopback; only Rasa is stood in for (it records each message and
answers it on its channel, as Rasa's agent does), so a turn's whole path in our code runs.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Callable, Iterator

import httpx
import pytest
from hypothesis import HealthCheck, Phase, settings

from bot.kernel.config import Settings
from bot.kernel.shop import Shop
from tests.conftest import installed_shop

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "1000"))


def fuzz_settings(examples: int = FUZZ_EXAMPLES) -> settings:
    # No example database (nothing written to the work tree), no deadline (a loaded CI machine is
    # slow, not wrong), every health check off (slow, large and filtered inputs are the point), and no
    # shrinking: each step is an HTTP round trip with database writes, and a failing input is
    # reported as generated (Hypothesis prints it), which is readable enough for a request body.
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=(Phase.explicit, Phase.reuse, Phase.generate),
        print_blob=True,
    )


@dataclass
class Probe:
    """Sends generated requests to one route and keeps the tally the assertions need."""

    client: httpx.Client
    route: str
    statuses: dict[int, int] = field(default_factory=dict)
    server_errors: list[str] = field(default_factory=list)

    def send(self, method: str, path: str, **kwargs: object) -> httpx.Response:
        response = self.client.request(method, path, **kwargs)  # type: ignore[arg-type]
        self.record(response.status_code, f"{method} {path}: {response.text[:200]}")
        return response

    def record(self, status: int, what: str) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if status >= 500:
            self.server_errors.append(f"{status} {what}")

    @property
    def sent(self) -> int:
        return sum(self.statuses.values())

    def check(self, examples: int = FUZZ_EXAMPLES) -> None:
        """At least `examples` inputs went out, none got a 5xx; the tally is printed for the report."""
        print(f"fuzz {self.route}: {self.sent} inputs, statuses {dict(sorted(self.statuses.items()))}")
        assert self.server_errors == []
        assert self.sent >= examples


@pytest.fixture(scope="module")
def fuzz_shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    """A shop of its own for a whole fuzz module (Hypothesis runs many inputs through one server)."""
    with installed_shop(tmp_path_factory.mktemp("fuzz")) as shop:
        yield shop


@pytest.fixture
def errors_logged(caplog: pytest.LogCaptureFixture) -> Iterator[Callable[[], list[str]]]:
    """The ERROR records our code logged while a fuzz test ran (a failed turn, a crashed background task).

    Only our loggers count: a server thread of an earlier test being torn down may log asyncio noise.
    """
    ours = ("connectors", "bot")
    with caplog.at_level(logging.ERROR):
        yield lambda: [
            f"{record.name}: {record.getMessage()}"
            for record in caplog.records
            if record.levelno >= logging.ERROR and record.name.split(".")[0] in ours
        ]


__all__ = ["FUZZ_EXAMPLES", "Probe", "Settings", "fuzz_settings"]
