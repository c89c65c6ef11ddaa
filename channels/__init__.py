"""The gateway: channel webhooks, the web chat, the inbound queue and worker, language detection."""
