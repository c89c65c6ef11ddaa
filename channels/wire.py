"""The typed pieces every messenger's wire format is read with (pydantic, strict): a wrong type is a 422.

- `PersonText`: text a person wrote (a message, a caption, a button's data); a lone UTF-16 surrogate (JSON
  `"\\ud800"`, possible from a broken client) becomes U+FFFD, so the message is kept and can be stored.
- `PlatformId`: an identifier the platform gives (a user id, a message token): 1 to 128 printable
  characters, refused otherwise (a surrogate or a control character never comes from the platform).
- `Latitude`, `Longitude`: finite numbers within their ranges (NaN and infinities refused).
- `read(model, data, what)`: the data as the model, or BadPayload 422 naming the fields that are wrong.
"""

from __future__ import annotations

import re
from typing import Annotated, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictStr, ValidationError

from messaging.channel import BadPayload

_SURROGATE = re.compile(r"[\ud800-\udfff]")
_NOT_PRINTABLE = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
_SHOWN_ERRORS = 3


def person_text(value: str) -> str:
    """The text with each lone surrogate replaced by U+FFFD (valid pairs were joined by the JSON parser)."""
    return _SURROGATE.sub("\ufffd", value)


def _printable(value: str) -> str:
    if _NOT_PRINTABLE.search(value):
        raise ValueError("must not contain control characters or lone surrogates")
    return value


PersonText = Annotated[StrictStr, AfterValidator(person_text)]
PlatformId = Annotated[StrictStr, Field(min_length=1, max_length=128), AfterValidator(_printable)]
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]


class Wire(BaseModel):
    """A platform object: strict types (no "12" for 12), unknown fields ignored, immutable."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True, populate_by_name=True)


M = TypeVar("M", bound=Wire)


def read(model: type[M], data: object, what: str) -> M:
    """`data` as `model`, or BadPayload 422 with the first wrong fields ("message.chat: Field required")."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        shown = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in errors[:_SHOWN_ERRORS]
        )
        raise BadPayload(f"malformed {what}: {shown}", 422) from exc
