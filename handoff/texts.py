"""What the handoff tells the user, in Romanian, Italian and Spanish: the question where they are from, who will
answer and when, that a counsellor has finished, and that their data is erased."""

from __future__ import annotations

from datetime import datetime

from channels.messages import Button, OutboundMessage
from handoff.centres import Centre

ORIGIN_OTHER = "/origin_other"

_DAYS = {
    "ro": ("luni", "marți", "miercuri", "joi", "vineri", "sâmbătă", "duminică"),
    "it": ("lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica"),
    "es": ("el lunes", "el martes", "el miércoles", "el jueves", "el viernes", "el sábado", "el domingo"),
}
_TEXTS: dict[str, dict[str, str]] = {
    "ask_origin": {
        "ro": "Ca să te punem în legătură cu cel mai apropiat centru: din ce județ, raion sau oraș ești? "
        "(de exemplu: Iași, Suceava, Chișinău, Bălți). Poți trimite și locația.",
        "it": "Per metterti in contatto con il centro più vicino: da quale provincia (județ), distretto (raion) "
        "o città vieni? (per esempio: Iași, Suceava, Chișinău, Bălți). Puoi anche inviare la tua posizione.",
        "es": "Para ponerte en contacto con el centro más cercano: ¿de qué provincia (județ), distrito (raion) "
        "o ciudad eres? (por ejemplo: Iași, Suceava, Chișinău, Bălți). También puedes enviar tu ubicación.",
    },
    "origin_other": {"ro": "Din altă parte", "it": "Da un altro posto", "es": "De otro lugar"},
    "who": {
        "ro": "Cererea ta a ajuns la centrul din {centre}. Un consilier îți va răspunde aici, în această "
        "conversație, {when}. Până atunci asistentul automat nu mai răspunde; tot ce scrii aici citește "
        "consilierul.",
        "it": "La tua richiesta è arrivata al centro di {centre}. Un consulente ti risponderà qui, in questa "
        "conversazione, {when}. Nel frattempo l'assistente automatico non risponde; tutto quello che scrivi "
        "qui lo legge il consulente.",
        "es": "Tu petición ha llegado al centro de {centre}. Un asesor te responderá aquí, en esta "
        "conversación, {when}. Mientras tanto el asistente automático no responde; todo lo que escribas "
        "aquí lo lee el asesor.",
    },
    "when_open": {
        "ro": "în curând (centrul este deschis acum)",
        "it": "a breve (il centro è aperto adesso)",
        "es": "en breve (el centro está abierto ahora)",
    },
    "when_later": {
        "ro": "după ce centrul se deschide: {day} la {time} (ora centrului)",
        "it": "quando il centro apre: {day} alle {time} (ora del centro)",
        "es": "cuando abra el centro: {day} a las {time} (hora del centro)",
    },
    "today": {"ro": "azi", "it": "oggi", "es": "hoy"},
    "tomorrow": {"ro": "mâine", "it": "domani", "es": "mañana"},
    "urgent": {
        "ro": "Cazul tău este urgent: consilierii de serviciu au fost anunțați. Dacă ești în pericol acum, "
        "sună la 112.",
        "it": "Il tuo caso è urgente: i consulenti di turno sono stati avvisati. Se sei in pericolo adesso, "
        "chiama il 112.",
        "es": "Tu caso es urgente: los asesores de guardia han sido avisados. Si estás en peligro ahora, "
        "llama al 112.",
    },
    "handed_back": {
        "ro": "Consilierul a încheiat discuția. Asistentul automat îți răspunde din nou; scrie „meniu” ca să "
        "vezi subiectele.",
        "it": "Il consulente ha concluso la conversazione. L'assistente automatico ti risponde di nuovo; "
        "scrivi «menu» per vedere gli argomenti.",
        "es": "El asesor ha terminado la conversación. El asistente automático te responde de nuevo; "
        "escribe «menú» para ver los temas.",
    },
    "erased": {
        "ro": "Datele tale au fost șterse: conversațiile, cazurile și abonamentele. Dacă ne scrii din nou, "
        "începem de la zero.",
        "it": "I tuoi dati sono stati cancellati: conversazioni, casi e iscrizioni. Se ci scrivi di nuovo, "
        "ricominciamo da zero.",
        "es": "Tus datos han sido borrados: conversaciones, casos y suscripciones. Si nos escribes de nuevo, "
        "empezamos de cero.",
    },
}


def text(kind: str, language: str) -> str:
    """A text of a kind in a language (Romanian if the language is not one of ours)."""
    texts = _TEXTS[kind]
    return texts.get(language, texts["ro"])


def ask_origin(language: str) -> OutboundMessage:
    """The question where the person is from, with a button for "somewhere else"."""
    return OutboundMessage(text("ask_origin", language), (Button(text("origin_other", language), ORIGIN_OTHER),))


def when(centre: Centre, at: datetime, language: str) -> str:
    """When a counsellor of the centre answers: soon if open now, else the next opening in the centre's time."""
    if centre.is_open(at):
        return text("when_open", language)
    opening = centre.next_opening(at)
    if opening is None:
        return text("when_open", language)
    local_today = centre.local(at).date()
    days = (opening.date() - local_today).days
    lang = language if language in _DAYS else "ro"
    day = {0: text("today", lang), 1: text("tomorrow", lang)}.get(days, _DAYS[lang][opening.weekday()])
    return text("when_later", language).format(day=day, time=opening.strftime("%H:%M"))


def who_answers(centre: Centre, at: datetime, language: str, urgent: bool) -> list[OutboundMessage]:
    """Who will answer (the centre) and when, plus the urgent notice for urgent cases."""
    out = [OutboundMessage(text("who", language).format(centre=centre.name, when=when(centre, at, language)))]
    if urgent:
        out.append(OutboundMessage(text("urgent", language)))
    return out
