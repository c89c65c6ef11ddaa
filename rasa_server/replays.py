"""A message Rasa has already answered is answered from its tracker, not run again.

The gateway asks Rasa again when a call fails without an answer (Rasa killed or timed out mid-turn), and the
turn may have been finished and stored just before: Rasa saves the tracker, then writes the HTTP answer. Rasa
3.6 would run the turn a second time, so its tracker had the message twice (and the person could get a second,
different answer). The gateway sends its message id in the metadata (`message_id`, the same on every try);
when a try may follow a finished turn (a retry, or an entry an earlier holder left unfinished) it adds
`retry: true`, and under the conversation's lock `handle_message` first looks for a stored user message with
that id whose turn ended; if there is one it gives back the bot's answers of that turn as they were, without
running anything. A first try skips the look (one tracker read less per turn).
"""

from __future__ import annotations

from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.processor import MessageProcessor
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

KEY = "message_id"
RETRY = "retry"
_original = MessageProcessor.handle_message


def answered(tracker: DialogueStateTracker, message_id: str) -> list[BotUttered] | None:
    """The bot's answers to the stored user message with this id, if its turn ended; else None."""
    events: list[Event] = list(tracker.events)
    for n in range(len(events) - 1, -1, -1):
        event = events[n]
        if isinstance(event, UserUttered) and (event.metadata or {}).get(KEY) == message_id:
            turn = events[n + 1 :]
            later = next((k for k, e in enumerate(turn) if isinstance(e, UserUttered)), len(turn))
            turn = turn[:later]
            if not any(isinstance(e, ActionExecuted) and e.action_name == "action_listen" for e in turn):
                return None
            return [e for e in turn if isinstance(e, BotUttered)]
    return None


async def handle_message(self: MessageProcessor, message: UserMessage) -> list[dict[str, Any]] | None:
    """Rasa's `handle_message`, unless this message id was answered already: then the same answers."""
    metadata = message.metadata or {}
    message_id = metadata.get(KEY)
    if message_id and metadata.get(RETRY) is True and isinstance(message.output_channel, CollectingOutputChannel):
        tracker = await self.tracker_store.retrieve(message.sender_id)
        replies = answered(tracker, str(message_id)) if tracker is not None else None
        if replies is not None:
            for bot in replies:
                data = {key: value for key, value in (bot.data or {}).items() if value is not None}
                await message.output_channel.send_response(message.sender_id, {"text": bot.text, **data})
            return message.output_channel.messages
    return await _original(self, message)


def install() -> None:
    """Make Rasa answer a repeated message from its tracker."""
    MessageProcessor.handle_message = handle_message  # type: ignore[method-assign]
