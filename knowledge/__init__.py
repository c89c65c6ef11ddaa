"""The helpdesk's knowledge: answer cards in Romanian, Italian and Spanish with their sources, as data.

Reviewers own the YAML files in `knowledge/content/`; the action server answers from them, the gateway's
safety triage sends the hotline card from them, and `make knowledge` renders them side by side for review.
Pure Python plus PyYAML, so it loads in both the Rasa (3.10) and the gateway (3.11) environments.
"""
