"""What the Rasa process gets from rasa_server when it loads the tracker store: the action server's answers
checked with a validator built once (rasa_server/action_results.py): a valid answer passes, an invalid one is
refused with the same error `jsonschema.validate` gives (Rasa's own check, which re-checked the schema itself at
every answer), and the short way never passes what the schema refuses; and the intent classifier's weights
column-major (rasa_server/nlu_weights.py) with the same probabilities. Run in Rasa's venv (Python 3.10)."""

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
# The short way never passes what the whole schema refuses, and passes the usual answers.
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered, SessionStarted, ActiveLoop
from rasa_server.action_results import surely_valid, validator
usual = [
    {"events": [SlotSet("language", "ro").as_dict(), BotUttered("Salut", {"buttons": []}).as_dict()],
     "responses": [{"text": "Salut", "buttons": [{"title": "Da", "payload": "/affirm"}]}]},
    {"events": [ActionExecuted("action_listen").as_dict(), SessionStarted().as_dict(), ActiveLoop(None).as_dict(),
                UserUttered("buna", {"name": "greet", "confidence": 1.0}).as_dict()], "responses": []},
    {"events": [], "responses": [{"custom": {"handoff": True}}]},
]
odd = [
    {"events": [{"event": "slot", "name": 5}]}, {"events": [{"event": "nonsense"}]}, {"events": [{}]},
    {"events": [{"event": "slot", "name": "x", "value": 1, "timestamp": "now"}]}, {"events": "x"},
    {"events": [{"event": "user", "parse_data": {"intent_ranking": "x"}}]}, [], "text", {"responses": [1]},
]
# The intent classifier's weights: column-major after load, the same probabilities.
import numpy as np
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa_server import nlu_weights
from scipy.sparse import random as sparse_random
from sklearn.linear_model import LogisticRegression
X = sparse_random(60, 500, density=0.05, format="csr", random_state=1)
y = np.arange(60) % 4
clf = LogisticRegression(max_iter=200).fit(X, y)
before = clf.predict_proba(X)
nlu_weights.column_major(clf)
found["weights"] = [bool(clf.coef_.flags.f_contiguous), bool(np.array_equal(before, clf.predict_proba(X))),
                    LogisticRegressionClassifier.load.__func__ is nlu_weights.load]
found["short_usual"] = [surely_valid(a) and validator().is_valid(a) for a in usual]
found["short_odd"] = [(surely_valid(a), validator().is_valid(a)) for a in odd]
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
    assert found["weights"] == [True, True, True]
    assert all(found["short_usual"])
    for short, full in found["short_odd"]:
        assert not short or full, "the short way passed an answer the schema refuses"
    assert not any(full for _, full in found["short_odd"][:6])
