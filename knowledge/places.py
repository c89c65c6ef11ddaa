"""The gazetteer: recognises a county, raion or town of North-East Romania or Moldova in what a user writes,
with or without diacritics, with â/î spelled either way and with small misspellings, and gives its point.

Points: the six counties and the Moldovan units from knowledge/data/centroids_approx.csv (area centroids
computed from public county and raion polygons; the CSV's last column names each dataset), the eight centre
cities from knowledge/data/centres.yml, and the city point of Bender. A town or commune is mapped to the county
or raion it belongs to (knowledge/data/towns.yml, which says where its names come from), so it needs no
coordinates of its own. A commune is recognised only as written (with or without diacritics): among so many
small names, the closest one to a misspelling is too often an ordinary word.
"""

from __future__ import annotations

import csv
import difflib
from dataclasses import dataclass
from pathlib import Path

import yaml

from core.languages import fold
from knowledge.centres import Centres

CENTROIDS = Path(__file__).parent / "data" / "centroids_approx.csv"
TOWNS = Path(__file__).parent / "data" / "towns.yml"
_FUZZY_MIN_CHARS = 5
_FUZZY_RATIO = 0.84

# Words that name no place (kept out of fuzzy matching so "sunt din" never looks like a place).
_NOT_PLACES = frozenset(
    [
        "sunt",
        "din",
        "de",
        "la",
        "in",
        "judetul",
        "judet",
        "jud",
        "raionul",
        "raion",
        "orasul",
        "oras",
        "comuna",
        "satul",
        "municipiul",
        "mun",
        "republica",
        "romania",
        "moldova",
        "sono",
        "vengo",
        "da",
        "della",
        "di",
        "soy",
        "del",
        "el",
        "la",
        "provincia",
        "ciudad",
        "citta",
        "paese",
        "nord",
        "est",
    ]
)


def _spellings(name: str) -> set[str]:
    """The ways a name is typed: as is, â and î swapped (Rîșcani / Râșcani), "mun." dropped."""
    base = name.replace("mun. ", "")
    variants = {base, base.replace("î", "â"), base.replace("â", "î"), base.replace("-", " ")}
    return {fold(v) for v in variants}


@dataclass(frozen=True)
class Place:
    """A recognised place: its name, country (RO/MD), point and kind (county, raion, city, town, commune)."""

    name: str
    country: str
    lat: float
    lon: float
    kind: str


class Gazetteer:
    """Finds the place a text names."""

    def __init__(self, places: list[tuple[str, Place]]) -> None:
        self._by_spelling: dict[str, Place] = {}
        for spelling, place in places:
            self._by_spelling.setdefault(spelling, place)
        self._longest = max(len(s.split()) for s in self._by_spelling)
        self._fuzzy = {s: p for s, p in self._by_spelling.items() if p.kind != "commune"}

    @classmethod
    def load(cls, centres: Centres, path: Path = CENTROIDS, towns: Path = TOWNS) -> Gazetteer:
        """Counties and raions from the CSV, the centre cities, Bender, and the towns and communes of the towns
        file."""
        entries: list[tuple[str, Place]] = []
        units: dict[str, Place] = {}
        for centre in centres.all():  # a city's own point first: "Iași" is the centre city
            place = Place(centre.name, centre.country, centre.lat, centre.lon, "city")
            entries += [(s, place) for s in _spellings(centre.name)]
        with path.open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                kind = "county" if row["country"] == "RO" else "raion"
                place = Place(
                    row["name"], row["country"], float(row["lat_approx"]), float(row["lon_approx"]), kind
                )
                units[row["name"]] = place
                entries += [(s, place) for s in _spellings(row["name"])]
        bender = Place("Bender", "MD", 46.832, 29.478, "city")  # its city point (public city datasets)
        entries += [(s, bender) for s in ("bender", "tighina")]
        data = yaml.safe_load(towns.read_text(encoding="utf-8"))
        for key, kind in (("towns", "town"), ("communes", "commune")):
            for unit, names in data.get(key, {}).items():
                at = units[unit]  # a unit not named as in the CSV fails here, at load
                for name in names:  # its own name, at the point of its county or raion
                    place = Place(name, at.country, at.lat, at.lon, kind)
                    entries += [(s, place) for s in _spellings(name)]
        return cls(entries)

    def spellings_by_country(self) -> dict[str, list[str]]:
        """Every spelling of every place, by lowercase country code ("ro", "md"), sorted."""
        found: dict[str, set[str]] = {}
        for spelling, place in self._by_spelling.items():
            found.setdefault(place.country.lower(), set()).add(spelling)
        return {code: sorted(names) for code, names in found.items()}

    def find(self, text: str, fuzzy: bool = True) -> Place | None:
        """The place named in `text`: an exact name first (longest wins), else (when `fuzzy`, for an answer to
        "where are you from?") the closest misspelling."""
        words = fold(text).split()
        grams = [
            " ".join(words[i : i + n])
            for n in range(min(self._longest, len(words)), 0, -1)
            for i in range(len(words) - n + 1)
        ]
        for gram in grams:
            if gram in self._by_spelling:
                return self._by_spelling[gram]
        if not fuzzy:
            return None
        best: tuple[float, Place | None] = (0.0, None)
        for gram in grams:
            if len(gram) < _FUZZY_MIN_CHARS or gram in _NOT_PLACES:
                continue
            for spelling, place in self._fuzzy.items():
                if abs(len(spelling) - len(gram)) > 3:
                    continue
                ratio = difflib.SequenceMatcher(None, gram, spelling).ratio()
                if ratio > best[0]:
                    best = (ratio, place)
        return best[1] if best[0] >= _FUZZY_RATIO else None
