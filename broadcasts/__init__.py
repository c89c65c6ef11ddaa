"""Broadcasts: people subscribe to alerts in the conversation; campaign staff draft campaigns that a second
person approves; the runner feeds them into the outboxes' bulk lane at each channel's rate (docs/broadcasts.md)."""
