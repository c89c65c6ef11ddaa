"""The Rasa process checks the action server's answers with a validator built once
(rasa_server/action_results.py): importing the package Rasa loads for the tracker store installs it, a valid
answer passes, and an invalid one is refused with the same error `jsonschema.validate` gives (Rasa's own check,
which re-checked the schema itself at every answer). Run in Rasa's venv (Python 3.10), where Rasa lives."""

from __future__ import annotations

import json
import subprocess

from tests.conftest import ROOT

CHECK = r"""
import json, sys
from jsonschema import ValidationError, validate
from rasa.core.actions.action import RemoteAction
original = RemoteAction._validate_action_result
import rasa_server  # what Rasa imports to build the tracker store endpoints.yml names
from rasa_server import action_results
found = {"installed": RemoteAction._validate_action_result is action_results.validate_action_result}
action = RemoteAction.__new__(RemoteAction)
schema = RemoteAction.action_response_format_spec()
valid = {"events": [{"event": "slot", "name": "language", "value": "ro"}], "responses": [{"text": "Salut"}]}
found["valid"] = action._validate_action_result(valid)
found["refused"] = []
for bad in ({"events": [{"event": "slot", "name": 5}]}, {"responses": "text"}, {"events": {}}):
    try:
        validate(bad, schema)
        expected = None
    except ValidationError as error:
        expected = error.message
    try:
        action._validate_action_result(bad)
        found["refused"].append(None)
    except ValidationError as error:
        found["refused"].append([error.message, expected])
print(json.dumps(found))
"""


def test_the_action_answer_check_is_installed_and_refuses_what_rasa_refused() -> None:
    run = subprocess.run(
        [str(ROOT / ".venv-rasa" / "bin" / "python"), "-c", CHECK],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "3"},
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    found = json.loads(run.stdout.strip().splitlines()[-1])
    assert found["installed"] and found["valid"] is True
    assert len(found["refused"]) == 3
    for refused in found["refused"]:
        assert refused is not None, "an invalid answer was accepted"
        message, expected = refused
        assert expected is not None and message.startswith(expected) and "custom-actions" in message
