"""The precompiled check of action server responses accepts and rejects exactly what Rasa's own does."""

from __future__ import annotations

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

import connectors  # noqa: F401  (importing the package installs the fix, as in the Rasa process)
from bot.adapters import rasa_runtime

GOOD = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "product", "value": "FS-BOOT-TRB"}], "responses": [{"text": "hi"}]},
]
BAD = [
    {"events": "not a list", "responses": []},
    {"events": [{"event": "slot"}], "responses": [{"text": "hi"}]},  # a slot event needs a name
    {"events": [], "responses": ["not an object"]},
]


def test_importing_connectors_installs_the_fix() -> None:
    assert RemoteAction._validate_action_result is rasa_runtime._validate_action_result


@pytest.mark.parametrize("response", GOOD)
def test_valid_responses_pass_both_checks(response: dict) -> None:
    jsonschema.validate(response, RemoteAction.action_response_format_spec())  # Rasa's original check
    assert RemoteAction("action_x", None)._validate_action_result(response) is True


@pytest.mark.parametrize("response", BAD)
def test_invalid_responses_fail_both_checks(response: dict) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(response, RemoteAction.action_response_format_spec())
    with pytest.raises(jsonschema.ValidationError, match="Failed to validate Action server response"):
        RemoteAction("action_x", None)._validate_action_result(response)
