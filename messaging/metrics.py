"""Prometheus metrics of the gateway and worker, exposed at GET /metrics."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

_FAST = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)
_SLOW = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)

INBOUND = Counter("hd_inbound_messages_total", "Inbound webhook requests by outcome", ["channel", "result"])
WORKER_MESSAGES = Counter("hd_worker_messages_total", "Messages the worker finished", ["result"])
WORKER_OVERHEAD = Histogram(
    "hd_worker_overhead_seconds", "Worker time per message outside Rasa (language, state, delivery)", buckets=_FAST
)
RASA_SECONDS = Histogram("hd_rasa_request_seconds", "Time Rasa took to answer a message", buckets=_SLOW)
RASA_ERRORS = Counter("hd_rasa_errors_total", "Failed calls to Rasa", ["reason"])
QUEUE_WAIT = Histogram("hd_inbound_latency_seconds", "From webhook acceptance to answered", buckets=_SLOW)
QUEUE_DEPTH = Gauge("hd_inbound_queue_depth", "Messages waiting in the inbound queue")
PARTITION_DEPTH = Gauge("hd_inbound_partition_depth", "Messages waiting in one inbound partition", ["partition"])
QUEUE_OLDEST = Gauge("hd_inbound_oldest_seconds", "Age of the oldest message waiting in the inbound queue")
BACKLOGGED = Gauge("hd_inbound_backlogged", "1 while new web chat messages are refused (a depth limit reached)")
WEBHOOK_REJECTED = Counter(
    "hd_webhook_rejected_total", "Messenger webhook requests refused, by channel and reason", ["channel", "reason"]
)
OUTBOUND = Counter(
    "hd_outbound_messages_total", "Outbox sends by channel, lane and outcome", ["channel", "lane", "result"]
)
OUTBOX_DEPTH = Gauge("hd_outbox_depth", "Messages waiting in a channel's outbox", ["channel", "lane"])
DELIVERY_STATUS = Counter(
    "hd_delivery_status_total", "Delivery statuses reported by the platforms", ["channel", "status"]
)
SAFETY_ALERTS = Counter("hd_safety_alerts_total", "Messages the safety triage answered with the hotline first")
