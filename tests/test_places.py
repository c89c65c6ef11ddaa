"""The gazetteer's data (knowledge/data/towns.yml, and the destination places of knowledge/data/countries.yml):
the towns and communes of North-East Romania and Moldova map to their county or raion with or without
diacritics, place names are taken out of a message whole, and no name in the files is an ordinary word of
Romanian, Italian or Spanish (wordfreq's lists), so that a message never names a place it does not."""

from __future__ import annotations

import csv
from functools import cache

import pytest
import yaml

from core.languages import fold
from knowledge.centres import Centres
from knowledge.countries import located, places
from knowledge.place_names import DATA, place_names, without_places
from knowledge.places import Gazetteer

COMMON = 3.3  # wordfreq's Zipf scale: 3.3 is about twice in a million words


def _names(text: str) -> frozenset[str]:
    return frozenset(" ".join(name.split()) for name in text.split(",") if name.strip())


# The names wordfreq finds frequent (its lists count proper names too) that were judged to be mainly the place
# in every language where they are frequent: most are frequent only as places ("vicenza", "getafe"); a few are
# also a word but far more often the place ("roma", "granada", "toledo", "santa mare", "l aia"). A new name
# that wordfreq finds frequent fails the test until someone judges it and adds it here, or leaves it out.
_ITALY = _names(
    """
    abruzzo, basilicata, calabria, emilia romagna, friuli, friuli venezia giulia, lazio, liguria, lombardia,
    molise, piemonte, puglia, sardegna, sicilia, toscana, trentino, trentino alto adige, alto adige, umbria,
    valle d aosta, valle de aosta, veneto, roma, milano, torino, napoli, napoles, bologna, firenze,
    florenta, verona, padova, vicenza, treviso, venezia, venetia, venecia, mestre, brescia, bergamo, genova,
    genoa, palermo, catania, bari, foggia, rimini, perugia, cuneo, parma, modena, reggio emilia, piacenza,
    trento, bolzano, udine, trieste, ancona, pescara, salerno, caserta, ragusa, trapani, messina, cagliari,
    monza, novara, alessandria, asti, pavia, mantova, cremona, varese, ferrara, ravenna, livorno, lucca,
    arezzo, siena, viterbo, frosinone, rieti, terni, pistoia, grosseto, la spezia, savona, imperia, sanremo,
    biella, vercelli, lecco, pordenone, gorizia, rovigo, belluno, forli, cesena, pesaro, macerata, ascoli
    piceno, chieti, teramo, l aquila, campobasso, benevento, avellino, brindisi, lecce, taranto, barletta,
    andria, cosenza, catanzaro, reggio calabria, crotone, siracusa, agrigento, caltanissetta, sassari,
    olbia, aprilia, fiumicino, civitavecchia, tivoli, velletri, settimo torinese, pinerolo, bassano del
    grappa, sesto san giovanni, legnano, vigevano, empoli, viareggio, imola, faenza, carpi, sassuolo,
    riccione, foligno, marsala
    """
)


_SPAIN = _names(
    """
    andalucia, aragon, aragona, asturias, baleares, islas baleares, canarias, islas canarias, canarie,
    cantabria, castilla, castilla la mancha, castilla y leon, cataluna, catalunya, catalonia, catalogna,
    comunidad valenciana, extremadura, galicia, la rioja, navarra, pais vasco, euskadi, ceuta, melilla,
    madrid, barcelona, barcellona, valencia, sevilla, siviglia, zaragoza, malaga, murcia, alicante,
    castellon, castellon de la plana, almeria, huelva, cordoba, granada, cadiz, jaen, a coruna, la coruna,
    albacete, avila, badajoz, burgos, caceres, ciudad real, girona, gerona, guadalajara, huesca, palencia,
    pontevedra, salamanca, santa cruz de tenerife, tenerife, segovia, soria, tarragona, teruel, toledo,
    valladolid, vizcaya, zamora, bilbao, vitoria, san sebastian, oviedo, gijon, logrono, pamplona, mallorca,
    palma de mallorca, ibiza, gran canaria, las palmas de gran canaria, vigo, santiago de compostela,
    villarreal, alcala, san fernando de henares, getafe, leganes, las rozas, san sebastian de los reyes,
    mejorada del campo, elche, cartagena, lorca, molina de segura, marbella, jerez de la frontera,
    algeciras, el ejido, isla cristina, linares, sabadell, reus, talavera de la reina, alcazar de san juan,
    miranda de ebro, medina del campo, merida
    """
)


_ELSEWHERE = _names(
    """
    berlin, berlino, hamburg, amburgo, hamburgo, munchen, munich, monaco di baviera, koln, frankfurt,
    frankfurt am main, francoforte, stuttgart, dortmund, leipzig, lipsia, norimberga, bayern, bavaria,
    baviera, bassa sassonia, sassonia, paris, parigi, lyon, lione, marsilia, marsiglia, marsella, nizza,
    strasbourg, strasburgo, estrasburgo, bordeaux, orleans, cannes, provenza, normandia, bretagna, corsica,
    costa azzurra, borgogna, savoia, london, londra, londres, manchester, birmingham, liverpool, leeds,
    bristol, nottingham, leicester, glasgow, edinburgh, edimburgo, belfast, brighton, oxford, cambridge,
    boston, kent, essex, scotland, scotia, scozia, escocia, wales, tara galilor, galles, gales, viena,
    vienna, salzburg, bruxelles, bruselas, brujas, flandes, lisboa, lisabona, lisbona, oporto, amsterdam,
    rotterdam, l aia, den bosch, dublin, dublino, copenhaga, copenhagen, copenaghen, copenhague, zurich,
    zurigo, geneva, ginebra, basel, basilea, berna, lausanne, lugano, ticino, oslo, stockholm, stoccolma,
    estocolmo, tel aviv, moscova
    """
)

# "onesti" is also Italian (honest): Onești, a town of 40,000, stays for routing (tests/test_handoff_desk.py)
# but is not in countries.yml, where it would make an Italian sentence say the person is in Romania.
_ROMANIA_MOLDOVA = _names(
    """
    pascani, targu frumos, tg frumos, dorohoi, flamanzi, stefanesti, falticeni, radauti, campulung
    moldovenesc, vatra dornei, gura humorului, siret, vicovu de sus, targu neamt, tg neamt, bicaz, barlad,
    husi, negresti, onesti, moinesti, comanesti, slanic moldova, targu ocna, tg ocna, vadul lui voda,
    costesti, straseni, comrat, tiraspol, slobozia, valea lupului, santa mare, vicovu de jos, vadu moldovei,
    putna, cacica, manastirea humorului, dumbrava rosie, vanatori neamt, bicaz chei, oituz, bucuresti,
    bucharest, bucarest, cluj, cluj napoca, timisoara, brasov, craiova, galati, ploiesti, oradea, braila, sibiu,
    satu mare, ilfov, otopeni, pitesti, targu mures, buzau
    """
)
MAINLY_PLACES = _ITALY | _SPAIN | _ELSEWHERE | _ROMANIA_MOLDOVA

TOWNS = yaml.safe_load((DATA / "towns.yml").read_text(encoding="utf-8"))
DESTINATIONS: dict[str, list[str]] = yaml.safe_load((DATA / "countries.yml").read_text(encoding="utf-8"))["places"]


@cache
def gazetteer() -> Gazetteer:
    return Gazetteer.load(Centres.load("iasi"))


def unit_of(name: str) -> tuple[str, float, float]:
    """The country and point of a county or raion, as knowledge/data/centroids_approx.csv gives them."""
    with (DATA / "centroids_approx.csv").open(encoding="utf-8") as f:
        row = next(row for row in csv.DictReader(f) if row["name"] == name)
    return row["country"], float(row["lat_approx"]), float(row["lon_approx"])


def town_names() -> list[tuple[str, str, str]]:
    """(kind, unit, name) of every name in towns.yml."""
    return [
        (kind, unit, name)
        for kind in ("towns", "communes")
        for unit, names in TOWNS[kind].items()
        for name in names
    ]


@pytest.mark.parametrize(
    ("said", "unit", "centre"),
    [
        ("Fălticeni", "Suceava", "suceava"),
        ("falticeni", "Suceava", "suceava"),
        ("Cimpulung Moldovenesc", "Suceava", "suceava"),  # î for â
        ("fratautii noi", "Suceava", "suceava"),
        ("Tirgu Frumos", "Iași", "iasi"),
        ("sunt de la tg frumos", "Iași", "iasi"),
        ("Miroslava", "Iași", "iasi"),
        ("valea lupului", "Iași", "iasi"),
        ("Darabani", "Botoșani", "botosani"),
        ("Ștefănești", "Botoșani", "botosani"),
        ("sunt din Săbăoani", "Neamț", "piatra-neamt"),
        ("Vanatori Neamt", "Neamț", "piatra-neamt"),
        ("husi", "Vaslui", "vaslui"),
        ("Zorleni", "Vaslui", "vaslui"),
        ("Moinești", "Bacău", "bacau"),
        ("ghimes faget", "Bacău", "bacau"),
        ("Durlești", "mun. Chișinău", "chisinau"),
        ("Ceadâr-Lunga", "Găgăuzia", "chisinau"),  # â for î
        ("Râbnița", "Transnistria", "chisinau"),
        ("Bucovat", "Straseni", "chisinau"),
        ("Căinari", "Căușeni", "chisinau"),
        ("Tvardița", "Taraclia", "chisinau"),
        ("Cupcini", "Edineț", "ungheni"),
        ("Marculesti", "Florești", "ungheni"),
    ],
)
def test_a_town_or_commune_of_the_file_is_found_at_its_county_or_raion(said: str, unit: str, centre: str) -> None:
    centres = Centres.load("iasi")
    place = gazetteer().find(said)
    assert place is not None, said
    assert (place.country, place.lat, place.lon) == unit_of(unit)
    assert centres.nearest(place.lat, place.lon, place.country).id == centre


def test_every_name_of_the_file_is_found_with_and_without_diacritics() -> None:
    for kind, unit, name in town_names():
        at = unit_of(unit)
        for spelling in (name, fold(name), name.replace("â", "î"), name.replace("î", "â")):
            place = gazetteer().find(spelling, fuzzy=False)
            assert place is not None, (kind, unit, spelling)
            assert (place.country, place.lat, place.lon) == at, (unit, spelling)


def test_a_misspelled_town_is_still_found_but_a_misspelled_commune_is_not() -> None:
    falticeni = gazetteer().find("Falticeny")
    assert falticeni is not None
    assert falticeni.name == "Fălticeni"
    assert gazetteer().find("Sabaoanii") is None  # a commune: as written only
    for word in ("singura", "vineri", "citesti", "acesti", "comanda", "puneti", "dovresti", "plaza"):
        place = gazetteer().find(word)
        assert place is None or place.kind != "commune", (word, place)


def test_an_origin_is_a_place_for_routing_and_never_where_the_person_is() -> None:
    place = gazetteer().find("sunt din Pașcani")
    assert place is not None
    assert place.name == "Pașcani"
    assert Centres.load("iasi").nearest(place.lat, place.lon, place.country).id == "iasi"
    assert located("sunt din Pașcani") is None
    assert located("sunt din Pașcani si lucrez la Torino") == "it"


def test_the_towns_file_names_each_unit_as_the_csv_and_each_place_once() -> None:
    def key(name: str) -> str:
        return fold(name.replace("mun. ", "").replace("î", "â"))

    with (DATA / "centroids_approx.csv").open(encoding="utf-8") as f:
        units = {row["name"] for row in csv.DictReader(f)}
    centres = yaml.safe_load((DATA / "centres.yml").read_text(encoding="utf-8"))["centres"]
    seen: dict[str, str] = {}
    for _, unit, name in town_names():
        assert unit in units, unit
        assert key(name) not in seen, f"{name} is under {seen[key(name)]} and {unit}"
        seen[key(name)] = unit
        # another unit's or a centre's name would send the person there ("Strășeni" is its own raion's)
        assert key(name) not in {key(u) for u in units if u != unit} | {key(c["name"]) for c in centres}, name
    destinations = {key(n) for names in DESTINATIONS.values() for n in names}
    assert not set(seen) & destinations


def test_no_destination_is_listed_twice_or_hidden_behind_another_countrys_name() -> None:
    seen: dict[str, str] = {}
    for code, names in DESTINATIONS.items():
        for name in names:
            folded = fold(name)
            assert folded not in seen, f"{name} is under {seen[folded]} and {code}"
            seen[folded] = code
    # The countries' pattern tries the countries in order: a name that begins another country's longer name
    # ("reggio" before "reggio emilia") would take its place.
    for name, code in seen.items():
        for other, other_code in seen.items():
            assert code == other_code or not other.startswith(f"{name} "), (name, other)


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("sunt din piatra neamt si lucrez aici", ["sunt", "din", "si", "lucrez", "aici"]),
        ("trabajo en alcala de henares desde enero", ["trabajo", "en", "desde", "enero"]),
        ("lavoro a monaco di baviera", ["lavoro", "a"]),
        ("sono di vatra dornei e vivo a reggio emilia", ["sono", "di", "e", "vivo", "a"]),
        ("vivo en santa cruz de tenerife", ["vivo", "en"]),
        ("sunt din valea lupului", ["sunt", "din"]),
    ],
)
def test_a_place_name_of_several_words_is_taken_out_whole(text: str, kept: list[str]) -> None:
    assert without_places(text.split()) == kept


AFTER_AT = yaml.safe_load((DATA / "countries.yml").read_text(encoding="utf-8"))["after_at"]


@pytest.mark.parametrize(
    "word",
    [
        "roman",  # Romanian "novel", "Roman": the town of Roman is left out
        "vama",
        "banca",
        "victoria",
        "codru",
        "campania",  # Romanian "the campaign"
        "prato",
        "latina",
        "marche",
        "parla",
        "porto",
        "como",
        "leon",
        "mosca",
        "palma",
        "pisa",
        "gela",
        "colonia",
        "haga",
        "lucerna",
        "badanta",
    ],
)
def test_an_ordinary_word_is_no_place(word: str) -> None:
    assert gazetteer().find(word, fuzzy=False) is None
    assert places(f"trabajo en la {word}") == []
    assert places(f"el {word} es bonito") == []
    assert (fold(word),) not in place_names()
    if not any(word in names for names in AFTER_AT.values()):  # those are places only after "la", "a", "en"...
        assert places(f"lucrez la {word}") == []


@pytest.mark.parametrize(
    "text",
    [
        "lucrez ca badanta",
        "tengo dos hermanas en casa",
        "no creo que la haya visto",
        "siamo onesti, paghiamo tutto",
        "ti porto a casa",
        "parla italiano?",
        "me pisa el jefe",
        "lucram in campania de cules",
        "sunt roman si lucrez in banca",
    ],
)
def test_a_sentence_of_ordinary_words_names_no_country(text: str) -> None:
    assert places(text) == []


def _common_in(name: str) -> list[str]:
    from wordfreq import zipf_frequency  # only this test needs the word lists

    forms = {name.lower(), fold(name)}
    return [lang for lang in ("ro", "it", "es") if max(zipf_frequency(f, lang) for f in forms) >= COMMON]


def test_no_name_in_the_files_is_a_common_word_unless_judged_mainly_a_place() -> None:
    pytest.importorskip("wordfreq")
    names = [name for names in DESTINATIONS.values() for name in names] + [name for *_, name in town_names()]
    common = {fold(name): langs for name in names if (langs := _common_in(name))}
    assert {name: langs for name, langs in common.items() if name not in MAINLY_PLACES} == {}
    listed = {fold(name) for name in names}
    assert listed >= MAINLY_PLACES, MAINLY_PLACES - listed  # no judgement left for a name taken out
