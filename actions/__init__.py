"""Custom actions of the Rasa assistant, served by the rasa-sdk action server (Python 3.10 venv)."""
