"""One fix to Rasa's own per-message hot path, applied in the Rasa process (see connectors/__init__.py).

Rasa 3.6 checks every action server response with `jsonschema.validate(result, schema)`, and that
helper first validates the *schema itself* against the JSON Schema meta-schema, on every call. The
bench's profile of the Rasa process showed that meta-schema check at about half of the event loop's
time on turns that run a custom action. Here the validator for the (fixed) response schema is built
once; responses are checked against the same schema with the same ValidationError, so a malformed
action server response is still rejected exactly as before.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL


@lru_cache(maxsize=1)
def _response_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)  # once, not per message
    return validator_class(schema)


def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    try:
        _response_validator().validate(result)
    except ValidationError as error:
        error.message += (
            ". Failed to validate Action server response from API, make sure your response from the "
            f"Action endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise
    return True


def install() -> None:
    """Replaces RemoteAction's response check with the precompiled one (idempotent)."""
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
