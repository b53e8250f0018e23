"""Settings: the one place the environment is read, for every policy and credential."""

from __future__ import annotations

import pytest

from bot.messaging.channels.twilio import TwilioCredentials
from bot.kernel.config import load_settings, production_mode
from bot.server.webchat_routes import support_timezone
from bot.handoff.states import HandoffPolicy


@pytest.mark.parametrize(("raw", "expected"), [("1", True), ("true", True), (" On ", True), ("yes", True), ("0", False), ("", False), ("no", False)])
def test_production_mode_reads_a_boolean_like_every_other_switch(raw: str, expected: bool) -> None:
    assert production_mode({"SHOP_PRODUCTION": raw}) is expected
    assert load_settings({"SHOP_SQL_ECHO": raw}).sql_echo is expected


def test_a_mapping_is_read_instead_of_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "from-the-process")
    monkeypatch.setenv("SUPPORT_TIMEZONE", "Asia/Jakarta")
    assert load_settings().twilio_auth_token == "from-the-process"
    assert load_settings({}).twilio_auth_token == ""
    assert TwilioCredentials.from_env({"TWILIO_AUTH_TOKEN": "given"}).auth_token == "given"
    assert support_timezone(load_settings()) == "Asia/Jakarta"
    assert support_timezone(load_settings({})) == "Europe/London"


def test_policies_and_credentials_come_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPPORT_HOURS", "Sun 10:00-12:00")
    monkeypatch.setenv("AGENT_ONLINE_MINUTES", "2")
    policy = HandoffPolicy.from_settings(load_settings())
    assert policy.hours.text == "Sun 10:00-12:00" and policy.online_within.total_seconds() == 120
    monkeypatch.setenv("AGENT_ONLINE_MINUTES", "0")
    with pytest.raises(ValueError, match="AGENT_ONLINE_MINUTES"):
        HandoffPolicy.from_settings(load_settings())
    settings = load_settings({"SHOP_PUBLIC_URL": "https://shop.example/", "TWILIO_ACCOUNT_SID": "AC1"})
    assert TwilioCredentials.from_settings(settings).status_callback_url == "https://shop.example/twilio/status"
    assert load_settings({}).twilio_status_callback_url == ""  # Twilio cannot call localhost back

