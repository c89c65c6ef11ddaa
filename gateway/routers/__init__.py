"""The gateway's routes, one router per concern: the web chat, the messenger webhooks, health and metrics.
The inbox's routes are the `inbox` package's router."""
