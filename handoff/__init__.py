"""Handoff to human counsellors: cases (cases.py), routing to the nearest centre (centres.py, places.py), what the
worker asks of it (desk.py), the events the inbox follows (events.py), "delete my data" (privacy.py). The
counsellors' inbox itself is the `inbox` package. See docs/inbox.md."""
