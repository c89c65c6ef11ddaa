"""Short messages the gateway itself sends (not the assistant), in each language."""

from __future__ import annotations

from channels.language import DEFAULT_LANGUAGE
from channels.messages import OutboundMessage

_TEXTS: dict[str, dict[str, str]] = {
    "waiting": {
        "ro": "Am primit mesajul tău. Asistentul nu poate răspunde chiar acum; îți scriem aici imediat ce "
        "poate. Dacă ești în pericol, sună la 112.",
        "it": "Abbiamo ricevuto il tuo messaggio. L'assistente non può rispondere in questo momento; ti "
        "scriviamo qui appena possibile. Se sei in pericolo, chiama il 112.",
        "es": "Hemos recibido tu mensaje. El asistente no puede responder ahora mismo; te escribiremos aquí "
        "en cuanto sea posible. Si estás en peligro, llama al 112.",
    },
}


def notice(kind: str, language: str) -> OutboundMessage:
    """The notice of a kind in a language (Romanian if the language is unknown)."""
    texts = _TEXTS[kind]
    return OutboundMessage(texts.get(language, texts[DEFAULT_LANGUAGE]))
