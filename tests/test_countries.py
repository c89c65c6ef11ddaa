"""Which country a message names, and in what role (knowledge/countries.py): table by table, in the three
languages, without diacritics, with the cities and regions of each country and the words that look like country
or place names but are not."""

from __future__ import annotations

import pytest

from knowledge.countries import abroad_beside_home, hinted, located, mentioned, places


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
        ("il comune di Bergamo non mi iscrive", [("it", "in")]),  # an office of the place: not an origin
        ("primaria din Madrid nu ma inregistreaza", [("es", "in")]),
        ("la fabrica de Lleida no nos paga", [("es", "in")]),
        (
            "lucrez la fabrica de mezeluri din Parma",
            [("it", "in")],
        ),  # a workplace named in a few words, of the place
        ("o agenzia per il lavoro din Verona mi-a oferit un post", [("it", "in")]),
        ("lucrez la fabrica dar sunt din Moldova", [("md", "from")]),  # a verb of being between: still an origin
        ("lucrez la o ferma langa Latina", [("it", "here")]),  # near a place is there
        ("vivo cerca de Lleida", [("es", "here")]),
        ("abito vicino a Prato", [("it", "here")]),
        ("va scriu din Piacenza, lucrez la o cooperativa", [("it", "here")]),  # writing from: where one is
        ("te escribo desde Huelva", [("es", "here")]),
        ("spania", [("es", "named")]),
        ("merg spre Spania", [("es", "to")]),
        ("la sua datrice di lavoro usa il telefono", []),
        ("uk", []),
    ],
)
def test_each_country_is_read_with_its_role(text: str, found: list[tuple[str, str]]) -> None:
    assert [(p.country, p.role) for p in places(text)] == found


@pytest.mark.parametrize(
    ("text", "found"),
    [
        # Italy
        ("lucrez la Verona de doi ani", [("it", "here")]),
        ("sono ad Ancona da marzo", [("it", "here")]),
        ("lavoro a Reggio Emilia come badante", [("it", "here")]),
        ("trabajo en Nápoles", [("it", "here")]),
        ("sunt la Veneția", [("it", "here")]),
        ("mio marito e a Latina", [("it", "in")]),  # an ordinary word too: a place only after "a", "in", "en"...
        ("sono a Prato da tre anni", [("it", "here")]),
        ("ho studiato la lingua latina", []),
        ("il prato del giardino", []),
        ("vivo en Parla con mi hermana", [("es", "here")]),
        ("mi jefe no me habla ni me parla", []),
        # Spain
        ("trabajo en Castellón", [("es", "here")]),
        ("sono a Lleida", [("es", "here")]),
        ("lucrez la Torrejon de Ardoz", [("es", "here")]),
        ("vivo en Alcalá de Henares con mi hija", [("es", "here")]),
        ("lavoro a Siviglia", [("es", "here")]),
        ("sunt la Saragosa", [("es", "here")]),
        ("soy de Huelva", [("es", "from")]),
        ("tengo dos hermanas", []),  # Dos Hermanas (Sevilla) is "two sisters"
        # Germany
        ("lucrez la Munchen", [("other", "here")]),
        ("lavoro a Monaco di Baviera", [("other", "here")]),
        ("estoy en Múnich", [("other", "here")]),
        ("lucrez in Köln", [("other", "here")]),
        ("trabajo en la colonia", []),  # Spanish and Italian "Colonia" is also a colony
        # France
        ("sunt la Paris", [("other", "here")]),
        ("lavoro a Marsiglia", [("other", "here")]),
        ("vivo en Burdeos", [("other", "here")]),
        # United Kingdom
        ("lucrez la Londra", [("other", "here")]),
        ("vivo en Londres", [("other", "here")]),
        ("sono a Edimburgo", [("other", "here")]),
        # Austria
        ("sunt la Viena", [("other", "here")]),
        ("lavoro a Vienna", [("other", "here")]),
        ("trabajo en Salzburgo", [("other", "here")]),
        # Belgium
        ("lucrez la Bruxelles", [("other", "here")]),
        ("vivo en Bruselas", [("other", "here")]),
        ("lavoro ad Anversa", [("other", "here")]),
        # Portugal
        ("lucrez la Lisabona", [("other", "here")]),
        ("lavoro a Lisbona", [("other", "here")]),
        ("estoy en Lisboa", [("other", "here")]),
        # The Netherlands
        ("lucrez in Den Haag", [("other", "here")]),
        ("lavoro a L'Aia", [("other", "here")]),
        ("no creo que la haya visto", []),  # La Haya is left out
        # Ireland, Denmark
        ("lucrez la Dublin", [("other", "here")]),
        ("vivo en Copenhague", [("other", "here")]),
        ("sunt la Copenhaga", [("other", "here")]),
        # roles
        ("vreau sa plec la Berlin", [("other", "to")]),
        ("am lucrat la Valencia si acum sunt la Torino", [("es", "in"), ("it", "here")]),
        ("sunt din Pașcani", []),  # a town of the region is an origin for routing (knowledge/places.py)
        ("vengo da Bacău e lavoro a Padova", [("it", "here")]),
        # Romania's large cities outside the north-east are where people from the region also work
        ("sunt din Vaslui si lucrez pe santier in Bucuresti", [("ro", "here")]),
        ("estoy en Cluj-Napoca", [("ro", "here")]),
        ("sunt de loc din Timișoara", [("ro", "from")]),
    ],
)
def test_a_city_or_region_is_read_as_its_country(text: str, found: list[tuple[str, str]]) -> None:
    assert [(p.country, p.role) for p in places(text)] == found


def test_a_place_named_as_origin_is_never_where_the_person_is() -> None:
    assert located("sunt din Pașcani") is None
    assert located("soy de Huelva y trabajo en Múnich") == "other"
    assert located("sono di Torino ma vivo a Lleida") == "es"


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


@pytest.mark.parametrize(
    ("text", "country"),
    [
        ("platesc impozit in italia trebuie sa mai platesc si in romania?", "it"),
        ("am 20 de ani de munca in Moldova si 10 in Spania, se aduna la pensie?", "es"),
        ("assegno unico lo prendo se mio figlio sta in Romania e io in Italia?", "it"),
        ("cotizo en España, ¿cuenta en Rumanía?", "es"),
        ("am lucrat in Italia si in Spania, unde cer pensia?", None),  # two countries with their own rules
        ("firma e in Moldova si lucrez in Germania", None),  # not one with rules of its own here: ask
    ],
)
def test_italy_or_spain_named_beside_the_home_country_is_the_one_asked_about(
    text: str, country: str | None
) -> None:
    assert abroad_beside_home(text) == country
    assert mentioned(text) is None  # a guess for answering: never where the person is said to be, never stored


@pytest.mark.parametrize(
    ("text", "country"),
    [
        ("fac ore suplimentare si nu le vad in busta paga", "it"),
        ("cum cer TFR-ul de la INPS?", "it"),
        ("no me han dado el finiquito", "es"),
        ("pedi cita previa en el SEPE", "es"),
        ("nu mi-a platit salariul", None),
        ("busta paga si nomina", None),  # two countries' words: none
        ("come chiedo la disoccupazione?", None),  # a word of the language, not of one country's system
        ("el sindicato no me contesta", None),
        ("assegno unico il primesc si pentru copilul din tara?", "it"),
        ("fara residenza nu-mi da medico di base", "it"),
        ("la CGIL ma ajuta?", "it"),
        ("la empresa entro en concurso de acreedores", "es"),
        ("cuanto es el tiempo de presencia de una interna", "es"),
        ("cat costa certificat de registro", "es"),
    ],
)
def test_the_words_of_one_countrys_system_hint_at_it(text: str, country: str | None) -> None:
    assert hinted(text) == country


@pytest.mark.parametrize(
    ("text", "language", "country"),
    [
        ("padronul nu m-a platit de doua luni", "ro", "it"),
        ("duminica am lucrat toata ziua la signora, se plateste mai mult?", "ro", "it"),
        ("jefu nu vrea sa-mi dea contract", "ro", "es"),
        ("padronul nu pune orele in nomina", "ro", None),  # two countries' words: none
        ("il padrone non mi paga", "it", None),  # in Italian it is just the word for the boss
        ("el jefe no me paga", "es", None),
        ("patronul nu m-a platit", "ro", None),  # the Romanian word says nothing
    ],
)
def test_italian_or_spanish_words_borrowed_into_romanian_hint_at_their_country(
    text: str, language: str, country: str | None
) -> None:
    assert hinted(text, language) == country


@pytest.mark.parametrize(
    ("text", "country"),
    [
        ("lucrez la o firma in Iasi fara forme legale", "ro"),
        ("la fabrica unde lucrez in Pascani nu ne plateste", "ro"),
        ("la noi la Ialoveni lucram la vie fara contract", "md"),
        ("locuim la Soroca si vrem sa plecam", "md"),
        ("aici la Balti nu e de lucru", "md"),
        ("lavoro a Suceava in un magazzino", "ro"),
        # named as home, family or a destination, a town is not where the person is
        ("sunt din Iasi si lucrez in Italia", "it"),
        ("copiii sunt la parinti in Cahul, eu la Roma", "it"),
        ("lucrez la Torino, copiii sunt la Soroca", "it"),
        ("lucrez in Spania langa Madrid, sunt din Botosani", "es"),
        ("stau la Suceava", None),  # "stau" is also "they stay"
        ("ma intorc la Iasi si vreau sa lucrez acolo", None),
    ],
)
def test_a_home_town_is_where_the_person_is_only_when_they_say_they_work_or_live_there(
    text: str, country: str | None
) -> None:
    assert located(text) == country


@pytest.mark.parametrize(
    ("text", "country"),
    [
        ("am venit in Italia acum 2 ani si nu am contract", "it"),
        ("de 3 ani sunt plecata in Spania", "es"),
        ("m-am intors in Romania de o luna", "ro"),
        ("ne-am mutat in Spania anul trecut", "es"),
        ("amu is in Italia la Padova", "it"),
        ("ma gasesc in Spania", "es"),
        ("mi sono trasferito in Spagna", "es"),
        ("volvi a Rumania en mayo", "ro"),
        # a move still to make is a destination
        ("vreau sa ma mut in Spania", None),
        ("ma intorc in Romania la anul", None),
        ("quiero volver a Rumania", None),
        ("am venit din Moldova", None),
    ],
)
def test_a_move_already_made_says_where_the_person_is(text: str, country: str | None) -> None:
    assert located(text) == country


@pytest.mark.parametrize(
    ("text", "here", "about"),
    [
        ("am gresit tara, eu sunt in italia nu in spania", "it", "it"),
        ("nu mai sunt in Spania, acum lucrez in Italia", "it", "it"),
        ("non sono più in Italia, ora sto in Germania", "other", "other"),
        ("ya no estoy en España, ahora vivo en Italia", "it", "it"),
        ("sunt in Italia, nu in Spania, am dreptul la somaj?", "it", "it"),
        # a country only negated is nowhere: the question is asked again
        ("nu mai sunt in Spania", None, None),
        # a negation not tied to the place keeps it
        ("nu stiu daca in Spania se poate", None, "es"),
        ("nu am contract in Italia", None, "it"),
    ],
)
def test_a_country_the_person_says_they_are_not_in_counts_for_nothing(
    text: str, here: str | None, about: str | None
) -> None:
    assert (located(text), mentioned(text)) == (here, about)
