"""The action server's answers checked against Rasa's JSON schema with a validator built once.

Rasa 3.6's `RemoteAction._validate_action_result` calls `jsonschema.validate(result, schema)` for every answer
of the action server, and `jsonschema.validate` first checks the schema itself against the JSON Schema
metaschema. Rasa's events schema is large (one `anyOf` branch per event type), so that check was about 80% of
the Rasa process's busy time in a knowledge-card turn (py-spy, docs/performance.md), twice per turn: once for
the `language` slot's custom mapping, once for the answer.

`install()` replaces that method with one that validates against the same schema with a validator whose schema
was checked once, and raises the same error `jsonschema.validate` would (its `best_match`), with Rasa's hint
appended. An invalid answer is refused exactly as before; a valid one costs the validation only.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jsonschema import ValidationError, exceptions, validators
from jsonschema.protocols import Validator
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

_HINT = (
    ". Failed to validate Action server response from API, make sure your response from the Action endpoint "
    f"is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
)


@cache
def validator() -> Validator:
    """The validator of Rasa's action answer schema, its schema checked once."""
    schema = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """Rasa's `_validate_action_result` with the validator built once (same errors, same hint)."""
    error: ValidationError | None = exceptions.best_match(validator().iter_errors(result))
    if error is not None:
        error.message += _HINT
        raise error
    return True


def install() -> None:
    """Make Rasa's remote actions use the validator built once."""
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
