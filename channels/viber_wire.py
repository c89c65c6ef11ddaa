"""Viber's REST bot API callbacks as far as the helpdesk reads them, typed as Viber documents them.

One model per event used; each field's type is checked (`channels/wire.py`): a `user_id` that is an object,
a `message_token` that is a list, a latitude that is NaN or a string are refused (422) instead of reaching
the queue. Fields not listed are ignored.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictInt

from channels.wire import Latitude, Longitude, PersonText, PlatformId, Wire

# Viber's message tokens are unsigned 64-bit numbers; a string token is accepted too (it is only compared).
Token = Annotated[StrictInt, Field(ge=0, lt=2**64)] | PlatformId


class Callback(Wire):
    """What every callback has: its event and, for most, the message token (the id deduplicated on)."""

    event: PlatformId
    message_token: Token | None = None

    def token(self) -> str:
        """The message token as text, empty when absent."""
        return "" if self.message_token is None else str(self.message_token)


class User(Wire):
    """A Viber user (`sender`, `user`): its id is the user id; `language` the phone's."""

    id: PlatformId
    language: str | None = None


class Location(Wire):
    """A shared location."""

    lat: Latitude
    lon: Longitude


class Message(Wire):
    """The message of a `message` event: text, a link (`media`), a location, a picture, a file, a sticker."""

    type: PlatformId
    text: PersonText | None = None
    media: PersonText | None = None
    location: Location | None = None


class MessageEvent(Callback):
    """`message`: a user wrote, pressed a keyboard button, shared a location or sent media."""

    message_token: Token
    sender: User
    message: Message


class UserOpened(Callback):
    """`subscribed`, `conversation_started`: a user subscribed, or opened the chat."""

    user: User


class Unsubscribed(Callback):
    """`unsubscribed`: the user left (a stop signal)."""

    user_id: PlatformId


class Status(Callback):
    """`delivered`, `seen`, `failed`: the delivery status of a message we sent, by its token."""

    message_token: Token
    desc: PersonText = ""
