"""Fixtures for connector tests."""

from __future__ import annotations

from typing import Iterator

import pytest

from tests.support.fake_twilio import FakeTwilio


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    with FakeTwilio(auth_token="twilio-test-token") as fake:
        yield fake
