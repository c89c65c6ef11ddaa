"""The messenger webhooks' common path: verify → parse → deduplicate → queue durably → answer 2xx.

The channel module does what is specific to its messenger (channels/telegram.py, twilio.py, viber.py);
this module does the rest, the same for all (the body's size is limited before, gateway/body_limit.py):
the answer to a forged signature (403, counted in metrics, nothing read further or queued), to a body that
cannot be understood (4xx with a JSON reason), to a channel that is off (404); status reports and user
events (registration, stop signals); and the inbound queue, which drops a message whose id was seen
before (`SET NX` with the queueing, one step).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from core.languages import DEFAULT_LANGUAGE
from core.messages import InboundMessage
from gateway.services import Services
from messaging import metrics
from messaging.channel import BadPayload, Parsed, RawRequest

log = logging.getLogger(__name__)


def _reject(channel: str, status: int, reason: str) -> JSONResponse:
    metrics.WEBHOOK_REJECTED.labels(channel=channel, reason=str(status)).inc()
    metrics.INBOUND.labels(channel=channel, result=f"rejected_{status}").inc()
    return JSONResponse({"error": reason}, status)


async def receive(services: Services, name: str, request: Request) -> Response:
    """Handle one webhook request for channel `name`."""
    channel = services.channels.get(name)
    if channel is None:
        return JSONResponse({"error": f"channel {name} is off (no credentials configured)"}, 404)
    body = await request.body()  # within the body limit (gateway/body_limit.py)
    raw = RawRequest(request.url.path, {k.lower(): v for k, v in request.headers.items()}, body)
    if not channel.verify(raw):
        log.warning("%s webhook: signature check failed", name)
        return _reject(name, 403, "signature check failed")
    try:
        parsed = await channel.parse(raw)
    except BadPayload as exc:
        return _reject(name, exc.status, exc.reason)
    too_long = next((m for m in parsed.messages if len(m.text) > services.settings.max_text_chars), None)
    if too_long is not None:
        return _reject(name, 413, f"text too long: at most {services.settings.max_text_chars} characters")
    duplicate = not await _first_time(services, name, parsed)
    if not duplicate:
        await _apply_events(services, name, parsed)
    for message in parsed.messages:
        if await services.queue.accept(message):
            metrics.INBOUND.labels(channel=name, result="accepted").inc()
            await services.conversations.set_reachable(message.conversation_id)
            if message.kind == "start":
                await services.conversations.register(message.conversation_id, name)
        else:
            duplicate = True
            metrics.INBOUND.labels(channel=name, result="duplicate").inc()
    if not parsed.messages:
        metrics.INBOUND.labels(channel=name, result="duplicate" if duplicate else "event").inc()
    return _answer(parsed, duplicate)


async def _first_time(services: Services, name: str, parsed: Parsed) -> bool:
    """For a request without messages (statuses, user events): False if its id was seen before.
    Messages are deduplicated by the inbound queue itself, together with their queueing."""
    if parsed.messages or not parsed.dedupe_id:
        return True
    key = f"hd:dedupe:{name}:event:{parsed.dedupe_id}"
    return bool(await services.redis.set(key, "1", nx=True, ex=services.settings.dedupe_ttl_seconds))


async def _apply_events(services: Services, name: str, parsed: Parsed) -> None:
    for status in parsed.statuses:
        await services.outbox.platform_status(name, status)
    for event in parsed.user_events:
        conversation_id = f"{name}:{event.user_id}"
        if event.kind == "unsubscribed":
            await services.conversations.set_unreachable(conversation_id, f"{name} {event.kind}")
            await services.broadcasts.desk.platform_stop(conversation_id, f"{name} {event.kind}")
        elif event.kind == "subscribed":
            await services.conversations.register(conversation_id, name)
            if event.locale and not (await services.conversations.get(conversation_id)).language:
                await services.conversations.touch(conversation_id, name, event.locale)
            await _offer_alerts(services, name, event.user_id, conversation_id)


async def _offer_alerts(services: Services, name: str, user_id: str, conversation_id: str) -> None:
    """Viber `subscribed`: the alerts are offered in the person's language (unless they have them)."""
    language = (await services.conversations.get(conversation_id)).language or DEFAULT_LANGUAGE
    found = InboundMessage(name, user_id, "", kind="start")
    offer = await services.broadcasts.desk.offer_if_new(found, language)
    if offer:
        await services.delivery.send(name, user_id, offer)


def _answer(parsed: Parsed, duplicate: bool) -> Response:
    if isinstance(parsed.response, str):
        return Response(parsed.response, 200, media_type="text/xml")
    if parsed.response is not None:
        return JSONResponse(parsed.response, 200)
    body: dict[str, Any] = {"ok": True}
    if duplicate:
        body["duplicate"] = True
    if parsed.ignored:
        body["ignored"] = parsed.ignored
    return JSONResponse(body, 200)
