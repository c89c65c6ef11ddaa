"""Short messages the gateway itself sends (not the assistant), in each language."""

from __future__ import annotations

from channels.language import DEFAULT_LANGUAGE
from channels.messages import Button, OutboundMessage

_TEXTS: dict[str, dict[str, str]] = {
    "waiting": {
        "ro": "Am primit mesajul tău. Asistentul nu poate răspunde chiar acum; îți scriem aici imediat ce "
        "poate. Dacă ești în pericol, sună la 112.",
        "it": "Abbiamo ricevuto il tuo messaggio. L'assistente non può rispondere in questo momento; ti "
        "scriviamo qui appena possibile. Se sei in pericolo, chiama il 112.",
        "es": "Hemos recibido tu mensaje. El asistente no puede responder ahora mismo; te escribiremos aquí "
        "en cuanto sea posible. Si estás en peligro, llama al 112.",
    },
    "media_only": {
        "ro": "Deocamdată înțeleg doar mesaje scrise. Scrie-mi întrebarea în câteva cuvinte sau vorbește cu "
        "un consilier.",
        "it": "Per ora capisco solo i messaggi scritti. Scrivimi la tua domanda in poche parole o parla con "
        "un consulente.",
        "es": "Por ahora solo entiendo mensajes escritos. Escríbeme tu pregunta en pocas palabras o habla con "
        "un asesor.",
    },
    "location_saved": {
        "ro": "Mulțumim, am notat locația ta. Ne ajută să găsim cel mai apropiat centru dacă vrei să "
        "vorbești cu un consilier.",
        "it": "Grazie, abbiamo annotato la tua posizione. Ci aiuta a trovare il centro più vicino se vuoi "
        "parlare con un consulente.",
        "es": "Gracias, hemos anotado tu ubicación. Nos ayuda a encontrar el centro más cercano si quieres "
        "hablar con un asesor.",
    },
    "welcome": {
        "ro": "Bun venit! Sunt asistentul pentru românii și moldovenii din străinătate: drepturi la muncă, "
        "muncă legală în străinătate, trafic de persoane, întoarcere acasă. Scrie-mi sau alege limba.",
        "it": "Benvenuto! Sono l'assistente per romeni e moldavi all'estero: diritti sul lavoro, lavoro "
        "legale all'estero, tratta di persone, ritorno a casa. Scrivimi o scegli la lingua.",
        "es": "¡Bienvenido! Soy el asistente para rumanos y moldavos en el extranjero: derechos laborales, "
        "trabajo legal en el extranjero, trata de personas, regreso a casa. Escríbeme o elige el idioma.",
    },
}

# Buttons that go with a notice: (title per language, payload).
_BUTTONS: dict[str, list[tuple[dict[str, str], str]]] = {
    "media_only": [
        ({"ro": "Vorbește cu un om", "it": "Parla con qualcuno", "es": "Hablar con alguien"}, "/request_human")
    ],
    "welcome": [
        ({"ro": "Română", "it": "Română", "es": "Română"}, '/choose_language{"language":"ro"}'),
        ({"ro": "Italiano", "it": "Italiano", "es": "Italiano"}, '/choose_language{"language":"it"}'),
        ({"ro": "Español", "it": "Español", "es": "Español"}, '/choose_language{"language":"es"}'),
    ],
}


def notice(kind: str, language: str) -> OutboundMessage:
    """The notice of a kind in a language (Romanian if the language is unknown), with its buttons."""
    texts = _TEXTS[kind]
    buttons = tuple(
        Button(titles.get(language, titles[DEFAULT_LANGUAGE]), payload)
        for titles, payload in _BUTTONS.get(kind, [])
    )
    return OutboundMessage(texts.get(language, texts[DEFAULT_LANGUAGE]), buttons)
