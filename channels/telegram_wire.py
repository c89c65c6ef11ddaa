"""The Telegram Bot API's Update as far as the helpdesk reads it, typed as the Bot API documents it.

Mirrors python-telegram-bot's objects (Update, Message, Chat, User, CallbackQuery, ChatMemberUpdated,
Location) with the fields they require, and checks each field's type (`channels/wire.py`): a `text` that is
a number, a `chat.id` that is "abc", a message without `chat`, a button press without `from` are refused
(422) instead of reaching the queue. Update types and fields not listed are ignored.
"""

from __future__ import annotations

from pydantic import Field

from channels.wire import Latitude, Longitude, PersonText, PlatformId, Wire

_INT64 = 2**63


class User(Wire):
    """A Telegram user (`from`): only the app's language is used."""

    id: int = Field(ge=-_INT64, lt=_INT64)
    is_bot: bool
    first_name: str
    language_code: str | None = None


class Chat(Wire):
    """The chat of a message: its id is the user id of a private chat."""

    id: int = Field(ge=-_INT64, lt=_INT64)
    type: str


class Location(Wire):
    """A shared location."""

    latitude: Latitude
    longitude: Longitude


class File(Wire):
    """A file sent (voice, audio, video, document, sticker, a photo's size...): only that it is one is used."""

    file_id: str
    file_unique_id: str


class Contact(Wire):
    """A shared contact (treated as media; its number is not kept)."""

    phone_number: str
    first_name: str


class Message(Wire):
    """A message in a chat (also the inaccessible message of an old button: date 0)."""

    message_id: int
    date: int
    chat: Chat
    sender: User | None = Field(default=None, alias="from")
    text: PersonText | None = None
    caption: PersonText | None = None
    location: Location | None = None
    voice: File | None = None
    audio: File | None = None
    photo: list[File] | None = None
    video: File | None = None
    video_note: File | None = None
    document: File | None = None
    sticker: File | None = None
    animation: File | None = None
    contact: Contact | None = None


class CallbackQuery(Wire):
    """A press on an inline keyboard button: `data` is the button's callback_data."""

    id: PlatformId  # answered in the webhook response (answerCallbackQuery)
    sender: User = Field(alias="from")
    chat_instance: str
    message: Message | None = None
    data: PersonText | None = None


class ChatMember(Wire):
    """A member's state in a chat: "member", "kicked" (the user blocked the bot), "left"..."""

    status: str
    user: User


class ChatMemberUpdated(Wire):
    """The bot's membership in a chat changed (`my_chat_member`)."""

    chat: Chat
    sender: User = Field(alias="from")
    date: int
    old_chat_member: ChatMember
    new_chat_member: ChatMember


class Update(Wire):
    """One incoming update; at most one of the optional fields is set."""

    update_id: int = Field(ge=0, lt=_INT64)
    message: Message | None = None
    callback_query: CallbackQuery | None = None
    my_chat_member: ChatMemberUpdated | None = None
