"""Moving messages: the inbound queue, the outboxes and their send rates, conversations, the Rasa client,
language detection."""
