"""Language detection and the conversation's language rules (messaging/language.py), with the real backends."""

from __future__ import annotations

import pytest

from messaging.language import as_rasa_text, detect, explicit_choice, resolve, undecided


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("nu mi-au platit salariul", "ro"),
        ("buna ziua, am o intrebare despre contract", "ro"),
        ("Bună ziua, lucrez în Italia de trei ani", "ro"),
        ("Bunã ziua, lucrez fãrã contract", "ro"),  # tilde-a typed by old keyboards
        ("ştiu că nu e legal", "ro"),  # old cedilla letters
        ("unde ma pot plange de patron", "ro"),
        ("multumesc", "ro"),
        ("non mi pagano lo stipendio da due mesi", "it"),
        ("buongiorno", "it"),
        ("grazie", "it"),
        ("perché non ho il contratto?", "it"),
        ("no me pagan el sueldo desde hace dos meses", "es"),
        ("hola", "es"),
        ("¿dónde puedo denunciar?", "es"),
        ("necesito ayuda con el NIE", "es"),
    ],
)
def test_detects_the_language(text: str, language: str) -> None:
    found, confidence = detect(text)
    assert found == language
    assert 0 < confidence <= 1


@pytest.mark.parametrize(
    "text",
    [
        "si",
        "ok",
        "no",
        "da",
        "👍",
        "🙏🙏",
        "123",
        "0744 123 456",
        "?",
        "",
        "   ",
        "ok ok",
        "Maria",
        "codice fiscale",
    ],
)
def test_abstains_on_short_or_ambiguous_text(text: str) -> None:
    assert detect(text)[0] is None


@pytest.mark.parametrize(
    ("text", "language"),
    [
        # place names with the letters of another language say nothing about the sentence's language
        ("¿Cuál es el horario del centro de Chișinău?", "es"),
        ("dove si trova il vostro ufficio di Piatra Neamț?", "it"),
        ("¿cómo llego a la oficina de Iași desde la estación?", "es"),
        ("a che ora apre lo sportello di Bălți", "it"),
        # Romanian typed without diacritics, with Italian or Spanish words in it
        ("am ramas fara serviciu la Torino, pot sa cer disoccupazione?", "ro"),
        ("lucrez la Castellón de 3 ani si n-am primit nomina", "ro"),
        ("donde puedo aprender italiano gratis en Valencia", "es"),
        ("vreau sa stiu daca busta paga asta e corecta", "ro"),
        # the names of one country's offices and forms, borrowed whole, do not decide either
        ("ce e fondo di garanzia inps si cum fac cererea", "ro"),
        ("certificado de registro de ciudadano cat costa si unde il fac", "ro"),
        ("non mi hanno ancora dato la busta paga di ottobre", "it"),
        ("el SEPE no me ha pagado el paro de este mes", "es"),
    ],
)
def test_words_decide_not_letters_or_place_names(text: str, language: str) -> None:
    assert detect(text)[0] == language


@pytest.mark.parametrize(
    "payload", ["/confirm_delete", '/set_country{"country":"es"}', "/delete_my_data", "/start"]
)
def test_a_button_payload_never_changes_the_language(payload: str) -> None:
    assert resolve("it", payload) == ("it", False)


@pytest.mark.parametrize(
    "text", ["ce e gecco", "ce e un patronato?", "Ce e INPS", "ce e flussi", "ce e caf ul", "ce e ispettorato"]
)
def test_a_romanian_what_is_about_a_foreign_office_stays_romanian(text: str) -> None:
    assert detect(text)[0] == "ro"
    assert resolve("ro", text) == ("ro", False)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("c'e il patronato qui vicino?", "it"),
        ("ce e un problema con il mio contratto di lavoro, il padrone non paga", "it"),
    ],
)
def test_the_opening_rule_leaves_italian_alone(text: str, language: str) -> None:
    assert detect(text)[0] == language


def test_laughter_says_nothing() -> None:
    assert all(detect(t)[0] is None for t in ("ahaha", "jajajaja", "hihihi", "hahah"))


@pytest.mark.parametrize(
    ("stored", "text", "requested", "expected"),
    [
        (None, "ok", None, True),
        (None, "ciao", None, True),
        (None, "?", None, True),
        ("it", "ok", None, False),  # the conversation (or the client's hint) already says it
        (None, "ok", "es", False),
        (None, "/greet", None, False),
        (None, "italiano", None, False),
        (None, "buna ziua, am o intrebare", None, False),
    ],
)
def test_a_first_message_that_tells_no_language(
    stored: str | None, text: str, requested: str | None, expected: bool
) -> None:
    assert undecided(stored, text, requested) is expected


def test_langdetect_backend_answers_too() -> None:
    assert detect("non mi pagano lo stipendio da due mesi", backend_name="langdetect")[0] == "it"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("italiano", "it"),
        ("Italiano", "it"),
        ("in italiano per favore", "it"),
        ("română", "ro"),
        ("vreau in romana", "ro"),
        ("español", "es"),
        ("en español por favor", "es"),
        ("raspunde in italiana te rog", "it"),
        ("raspunde-mi in italiana, te rog", "it"),
        ("poti sa-mi scrii in spaniola?", "es"),
        ("rispondimi in rumeno per favore", "ro"),
        ("puedes hablar en italiano?", "it"),
        ("escribeme en rumano por favor", "ro"),
        ("hablame en rumano", "ro"),
        ("scrivi in romeno per favore", "ro"),
        ("puoi parlare in rumeno?", "ro"),
        ("poti vorbi in italiana?", "it"),
        ("/lang es", "es"),
        ("/lang it", "it"),
        ("/lingua ro", "ro"),
        ('/choose_language{"language":"it"}', "it"),
        ('/choose_language{"language": "es"}', "es"),
    ],
)
def test_recognises_an_explicit_choice(text: str, language: str) -> None:
    assert explicit_choice(text) == language


@pytest.mark.parametrize(
    "text",
    [
        "es",
        "it",
        "lavoro in Italia da tre anni",
        "sono italiano e ho un problema",
        "sunt in spania si vorbesc spaniola",
        "quiero aprender italiano",
        "ho un contratto in italiano che non capisco",
        "la patrona es italiana",
        "puedo hablar italiano en el trabajo?",
        "/lang en",
        '/choose_language{"language":"fr"}',
        "/choose_language{oops",
        "",
    ],
)
def test_does_not_mistake_other_text_for_a_choice(text: str) -> None:
    assert explicit_choice(text) is None


def test_resolve_rules() -> None:
    # a new conversation takes the detected language, or Romanian when nothing can be told
    assert resolve(None, "hola, buenas tardes") == ("es", False)
    assert resolve(None, "ok") == ("ro", False)
    # short or ambiguous texts never flip the stored language
    for short in ("si", "ok", "no", "👍", "grazie", "hola"):
        assert resolve("ro", short) == ("ro", False)
    # a confident longer message in another language does
    assert resolve("ro", "non mi pagano lo stipendio") == ("it", False)
    # an explicit choice always wins, also over the text's language
    assert resolve("ro", "italiano") == ("it", True)
    assert resolve("it", "buna ziua", requested="es") == ("es", True)


def test_a_lang_command_reaches_rasa_as_the_language_choice() -> None:
    assert as_rasa_text("/lang es", "es") == '/choose_language{"language": "es"}'
    assert as_rasa_text("  /lingua it ", "it") == '/choose_language{"language": "it"}'
    assert as_rasa_text("italiano", "it") == "italiano"  # the NLU understands this one itself
    assert as_rasa_text("/greet", "ro") == "/greet"
