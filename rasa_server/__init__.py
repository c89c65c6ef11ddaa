"""Code the Rasa server loads (named in endpoints.yml): Python 3.10, imports Rasa only.

Importing the package (Rasa does, to build the tracker store endpoints.yml names, before it serves a turn)
also makes Rasa's remote actions validate the action server's answers with a validator built once
(rasa_server/action_results.py).
"""

from rasa_server import action_results

action_results.install()
