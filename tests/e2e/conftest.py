from __future__ import annotations

from typing import Iterator

import pytest

from bot.kernel.shop import Shop
from scripts.stack import RunningStack
from tests.support.stack import running_assistant


@pytest.fixture(scope="package")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningStack, Shop]]:
    yield from running_assistant(tmp_path_factory.mktemp("e2e"))
