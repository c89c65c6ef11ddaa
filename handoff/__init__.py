"""Handoff to human counsellors: cases (cases.py), routing to the nearest centre (centres.py, places.py), what the
worker asks of it (desk.py), the counsellors' inbox at /inbox (routes.py over inbox.py, accounts.py, sessions.py,
events.py, audit.py), "delete my data" (privacy.py). See docs/inbox.md."""
