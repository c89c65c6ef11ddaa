"""Code the Rasa server loads (named in endpoints.yml): Python 3.10, imports Rasa only."""
