"""Code the Rasa server loads (named in endpoints.yml): Python 3.10, imports Rasa only.

Importing the package (Rasa does, to build the tracker store endpoints.yml names, before it loads the model or
serves a turn) also makes Rasa validate the action server's answers with a validator built once
(rasa_server/action_results.py), keep the intent classifier's weights in the order its product needs
(rasa_server/nlu_weights.py), and answer a message it has answered already from its tracker
(rasa_server/replays.py). The intent classifier config.yml names is here too (rasa_server/intent_classifier.py:
Rasa imports it by its module path when it trains or loads the model).
"""

from rasa_server import action_results, nlu_weights, replays

action_results.install()
nlu_weights.install()
replays.install()
