"""The action server's answers checked against Rasa's JSON schema with a validator built once.

Rasa 3.6's `RemoteAction._validate_action_result` calls `jsonschema.validate(result, schema)` for every answer
of the action server, and `jsonschema.validate` first checks the schema itself against the JSON Schema
metaschema. Rasa's events schema is large (one `anyOf` branch per event type), so that check was about 80% of
the Rasa process's busy time in a knowledge-card turn (py-spy, docs/performance.md), twice per turn: once for
the `language` slot's custom mapping, once for the answer.

`install()` replaces that method with one that validates against the same schema with a validator whose schema
was checked once, and raises the same error `jsonschema.validate` would (its `best_match`), with Rasa's hint
appended. An invalid answer is refused exactly as before; a valid one costs the validation only.

The events schema says each event matches exactly one of its branches (`oneOf`), and each branch fixes the
`event` name (`const`). So an answer is first checked the short way: the answer without its events' branches,
then each event against the one branch of its name only (the others cannot match: their name differs). When
that passes, the whole schema passes; when it does not (or an event's name has no branch), the full validator
decides and gives the error.
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


@cache
def short_way() -> tuple[Validator, dict[str, Validator]]:
    """The answer schema with events only required to be an array, and one validator per event name: the
    events' common part with the branch of that name."""
    schema = RemoteAction.action_response_format_spec()
    events = schema["properties"]["events"]
    item = {key: value for key, value in events["items"].items() if key != "oneOf"}
    cls = validators.validator_for(schema)
    per_name = {
        branch["properties"]["event"]["const"]: cls({**item, "allOf": [branch]})
        for branch in events["items"]["oneOf"]
    }
    outer = {**schema, "properties": {**schema["properties"], "events": {"type": events.get("type", "array")}}}
    return cls(outer), per_name


def surely_valid(result: object) -> bool:
    """True when the answer passes the short way (then it passes the whole schema); False: ask the full one."""
    outer, per_name = short_way()
    if not outer.is_valid(result):
        return False
    assert isinstance(result, dict)
    for event in result.get("events") or []:
        name = event.get("event") if isinstance(event, dict) else None
        branch = per_name.get(name) if isinstance(name, str) else None
        if branch is None or not branch.is_valid(event):
            return False
    return True


def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """Rasa's `_validate_action_result` with the validator built once (same errors, same hint)."""
    if surely_valid(result):
        return True
    error: ValidationError | None = exceptions.best_match(validator().iter_errors(result))
    if error is not None:
        error.message += _HINT
        raise error
    return True


def install() -> None:
    """Make Rasa's remote actions use the validator built once."""
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
