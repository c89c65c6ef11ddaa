"""What /openapi.json says of the bodies the gateway reads itself: the web chat's, the messengers' (issue 13)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from channels import telegram_wire, viber_wire
from gateway.web_chat import WebMessageIn


def _inline(schema: object, defs: dict[str, Any]) -> object:
    """A pydantic JSON schema with its `$defs` written in place (the models are not recursive)."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            return _inline(defs[schema["$ref"].rsplit("/", 1)[1]], defs)
        return {k: _inline(v, defs) for k, v in schema.items() if k != "$defs"}
    if isinstance(schema, list):
        return [_inline(v, defs) for v in schema]
    return schema


def _schema(model: type[BaseModel]) -> dict[str, Any]:
    found = model.model_json_schema(by_alias=True)
    inlined = _inline(found, found.get("$defs", {}))
    assert isinstance(inlined, dict)
    return inlined


_ADDRESS = {
    "pattern": r"^(whatsapp:)?\+[1-9][0-9]{6,14}$",
    "description": "whatsapp:+E.164 (WhatsApp), +E.164 (SMS)",
}
_TWILIO_FIELDS: dict[str, dict[str, object]] = {
    "MessageSid": {"minLength": 1},
    "From": _ADDRESS,
    "To": _ADDRESS,
    "MessageStatus": {"description": "status callbacks: queued, sent, delivered, read, failed, undelivered..."},
    "ErrorCode": {"description": "status callbacks: 21610 the person replied STOP"},
}
_TWILIO_FORM = {
    "type": "object",
    "description": "Twilio's form fields (WhatsApp and SMS; a status callback has MessageStatus)",
    "properties": {
        name: {"type": "string", **_TWILIO_FIELDS.get(name, {})}
        for name in (
            "MessageSid",
            "From",
            "To",
            "Body",
            "NumMedia",
            "MediaContentType0",
            "ButtonPayload",
            "Latitude",
            "Longitude",
            "ProfileName",
            "MessageStatus",
            "ErrorCode",
        )
    },
    "required": ["MessageSid"],
}
_SIGNATURE = {
    "telegram": ("X-Telegram-Bot-Api-Secret-Token", "TELEGRAM_WEBHOOK_SECRET"),
    "whatsapp": ("X-Twilio-Signature", "Twilio's signature of PUBLIC_BASE_URL + the path and the form fields"),
    "sms": ("X-Twilio-Signature", "Twilio's signature of PUBLIC_BASE_URL + the path and the form fields"),
    "viber": ("X-Viber-Content-Signature", "hex HMAC-SHA256 of the body with VIBER_AUTH_TOKEN"),
}
_TWIML = {"text/xml": {"schema": {"type": "string", "description": "empty TwiML"}}}


def _body(messenger: str) -> dict[str, Any]:
    """What a platform posts: Telegram's Update, Viber's callbacks (JSON), Twilio's form."""
    if messenger == "telegram":
        return {"application/json": {"schema": _schema(telegram_wire.Update)}}
    if messenger == "viber":
        viber = (viber_wire.MessageEvent, viber_wire.UserOpened, viber_wire.Unsubscribed, viber_wire.Status)
        return {"application/json": {"schema": {"anyOf": [_schema(m) for m in viber]}}}
    return {"application/x-www-form-urlencoded": {"schema": _TWILIO_FORM}}


def messenger_paths(schema: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """The schema with the messenger webhooks written out per messenger, as the platforms call them
    (`/webhooks/telegram`..., `/webhooks/whatsapp/status`...), each with its signature header and body (read
    by the channel module, not by FastAPI); one route, `/webhooks/{messenger}`, serves them all. In place, once."""
    paths = schema["paths"]
    for template, suffix in (("/webhooks/{messenger}", ""), ("/webhooks/{messenger}/status", "/status")):
        operation = paths.pop(template, {}).get("post")
        if operation is None:
            continue
        for name in names:
            if suffix and name not in ("whatsapp", "sms"):  # Twilio's status callbacks only
                continue
            header, says = _SIGNATURE[name]
            signature = {"name": header, "in": "header", "required": True, "schema": {"type": "string"}}
            responses = {**operation["responses"]}
            if name in ("whatsapp", "sms"):
                responses["200"] = {"description": "stored: empty TwiML", "content": _TWIML}
            paths[f"/webhooks/{name}{suffix}"] = {
                "post": {
                    **operation,
                    "operationId": f"{operation['operationId']}_{name}",
                    "parameters": [{**signature, "description": says}],
                    "requestBody": {"required": True, "content": _body(name)},
                    "responses": responses,
                }
            }
    return schema


def web_request() -> dict[str, Any]:
    """The `openapi_extra` of POST /webhooks/web: its JSON body (read by gateway/web_chat.py, not by FastAPI)."""
    content = {"application/json": {"schema": _schema(WebMessageIn)}}
    return {"requestBody": {"required": True, "content": content}}
