"""Which country a message names, and in what role (knowledge/countries.py): table by table, in the three
languages, without diacritics, with the words that look like country names but are not."""

from __future__ import annotations

import pytest

from knowledge.countries import located, mentioned, places


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Bună, lucrez în Italia de un an", [("it", "here")]),
        ("sunt din romania si am nevoie de ajutor", [("ro", "from")]),
        ("soy de Moldavia y estoy en España", [("md", "from"), ("es", "here")]),
        ("vengo dalla Romania, lavoro in Italia", [("ro", "from"), ("it", "here")]),
        ("lucrez la Torino in Italia", [("it", "here"), ("it", "here")]),
        ("amu lucrez pe santier la Roma, nu ne plateste", [("it", "here")]),
        ("trabajo de interna en Alcala", [("es", "here")]),
        ("como pido el paro en la palma de la mano", []),
        ("vreau sa plec in Germania", [("other", "to")]),
        ("sunt in Italia si vreau sa ma intorc acasa in Romania", [("it", "here"), ("ro", "to")]),
        ("volver a Rumanía el mes que viene", [("ro", "to")]),
        ("cum e somajul in spania?", [("es", "in")]),
        ("spania", [("es", "named")]),
        ("merg spre Spania", [("es", "to")]),
        ("la sua datrice di lavoro usa il telefono", []),
        ("uk", []),
    ],
)
def test_each_country_is_read_with_its_role(text: str, found: list[tuple[str, str]]) -> None:
    assert [(p.country, p.role) for p in places(text)] == found


def test_only_a_statement_of_presence_says_where_the_person_is() -> None:
    assert located("estoy en peligro en España") == "es"
    assert located("sunt din Moldova si mi-e frica") is None
    assert located("am nevoie de ajutor in italia") is None  # about Italy, not said to be there
    assert located("sunt in Italia, dar sotul e in Spania") == "it"


def test_a_question_is_answered_for_the_country_it_is_about_but_never_for_an_origin() -> None:
    assert mentioned("cum e somajul in spania?") == "es"
    assert mentioned("vreau sa plec in Germania") == "other"
    assert mentioned("sunt din Moldova, cum fac contract?") is None
    assert mentioned("sunt in Italia dar vreau sa plec in Spania") == "it"
