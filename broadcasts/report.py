"""A campaign's progress and report: per channel (and per channel and language) how many were queued, sent,
delivered, read, failed, unconfirmed, skipped (and why) and stopped, and how many are still to go; as JSON
for the page and as CSV without personal data (counts only).

Reads the runner's counts (`hd:camp:{id}:n`, broadcasts/runner.py) and the campaign's sets; writes nothing.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from redis.asyncio import Redis

from broadcasts.campaigns import Campaign
from broadcasts.runner import todo_key
from broadcasts.subscribers import split_member
from broadcasts.topics import CHANNELS

COLUMNS = ("queued", "sent", "delivered", "read", "failed", "unconfirmed", "skipped", "stopped", "remaining")
# The outbox status a message has now → the columns it counts in (sent includes delivered and read...).
_COUNTS_IN = {
    "queued": ("queued",),
    "sent": ("queued", "sent"),
    "delivered": ("queued", "sent", "delivered"),
    "read": ("queued", "sent", "delivered", "read"),
    "failed": ("queued", "failed"),
    "unconfirmed": ("unconfirmed",),
    "stopped": ("stopped",),
}


def _empty() -> dict[str, int]:
    return dict.fromkeys(COLUMNS, 0)


async def progress(redis: Redis, campaign: Campaign) -> dict[str, Any]:
    """Counts per channel, per channel and language, and in total; `skipped_why` per reason."""
    raw = await redis.hgetall(f"hd:camp:{campaign.id}:n")
    by_channel: dict[str, dict[str, int]] = {}
    by_language: dict[str, dict[str, int]] = {}
    why: dict[str, int] = {}
    for key, value in raw.items():
        channel, language, status = key.decode().split("|")
        count = int(value)
        if status.startswith("skipped_"):
            columns: tuple[str, ...] = ("skipped",)
            why[status[len("skipped_") :]] = why.get(status[len("skipped_") :], 0) + count
        else:
            columns = _COUNTS_IN.get(status, ())
        for column in columns:
            by_channel.setdefault(channel, _empty())[column] += count
            by_language.setdefault(f"{channel}|{language}", _empty())[column] += count
    audience = campaign.audience_counts or {}
    excluded = audience.get("stopped") or {}
    async with redis.pipeline(transaction=False) as pipe:
        for channel in CHANNELS:
            pipe.scard(todo_key(campaign.id, channel))
        pipe.hkeys(f"hd:camp:{campaign.id}:pending")
        found = await pipe.execute()
    pending = [split_member(m.decode())[0] for m in found[-1]]
    for channel, remaining in zip(CHANNELS, found[:-1], strict=True):
        row = by_channel.setdefault(channel, _empty())
        row["remaining"] = int(remaining) + pending.count(channel)
        row["stopped"] += int(excluded.get(channel, 0))  # matched the audience but had left before the start
    planned = audience.get("eligible") or {}
    by_channel = {c: row for c, row in by_channel.items() if any(row.values()) or planned.get(c)}
    total = _empty()
    for row in by_channel.values():
        for column in COLUMNS:
            total[column] += row[column]
    return {
        "id": campaign.id,
        "state": campaign.state,
        "audience": audience.get("eligible") or {},
        "channels": by_channel,
        "languages": by_language,
        "skipped_why": why,
        "total": total,
    }


def as_csv(report: dict[str, Any]) -> str:
    """The report as CSV: one row per channel and language, then per channel, then the total (counts only)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["channel", "language", *COLUMNS])
    for key, row in sorted(report["languages"].items()):
        channel, language = key.split("|")
        writer.writerow([channel, language, *(row[c] for c in COLUMNS if c != "remaining"), ""])
    for channel, row in sorted(report["channels"].items()):
        writer.writerow([channel, "all", *(row[c] for c in COLUMNS)])
    writer.writerow(["all", "all", *(report["total"][c] for c in COLUMNS)])
    return out.getvalue()
