"""Handoff to human counsellors. For now: the record of users' requests for a person, kept until the
shared inbox (its own issue) takes them over."""
