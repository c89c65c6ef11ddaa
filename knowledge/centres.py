"""The service centres (a data file, knowledge/data/centres.yml): where they are, when they are open, and which
one is nearest to a place.

Routing is by great-circle distance from the place (or the shared location) to each centre's city point.
A place in Romania or Moldova goes to the nearest centre of the same country (the centres give country-specific
help); a point in neither country, or an unknown place, goes to the default centre (HANDOFF_DEFAULT_CENTRE).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from core.locales import text, texts

DEFAULT_FILE = Path(__file__).parent / "data" / "centres.yml"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
EARTH_RADIUS_KM = 6371.0
# A shared location farther than this from every centre is "elsewhere" (the default centre takes it).
NEAR_KM = 150.0


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two points, in kilometres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


@dataclass(frozen=True)
class Centre:
    """One centre: id, name, country (RO/MD), time zone, city point, hours, languages, contacts, on call."""

    id: str
    name: str
    country: str
    timezone: str
    lat: float
    lon: float
    languages: tuple[str, ...]
    hours: dict[str, tuple[tuple[time, time], ...]] = field(default_factory=dict)
    contacts: dict[str, str] = field(default_factory=dict)
    # Who is alerted for an urgent case while the centre is closed: an inbox account's username, "supervisors",
    # or "" (nobody on call: the person is told when the centre opens).
    on_call: str = ""

    def local(self, now: datetime) -> datetime:
        """`now` (aware) in the centre's time zone."""
        return now.astimezone(ZoneInfo(self.timezone))

    def is_open(self, now: datetime) -> bool:
        """Whether a counsellor is expected to be at work at `now`."""
        local = self.local(now)
        return any(start <= local.time() < end for start, end in self.hours.get(WEEKDAYS[local.weekday()], ()))

    def next_opening(self, now: datetime) -> datetime | None:
        """When the centre next opens after `now` (local time), or None if it has no hours at all."""
        local = self.local(now)
        for days in range(8):
            day = (local + timedelta(days=days)).date()
            for start, _ in self.hours.get(WEEKDAYS[day.weekday()], ()):
                opening = datetime.combine(day, start, tzinfo=local.tzinfo)
                if opening > local:
                    return opening
        return None


def next_opening_words(centre: Centre, now: datetime, language: str) -> tuple[str, str] | None:
    """When the centre next opens after `now`, in words of a language: ("azi", "mâine" or a weekday, "09:00"),
    in the centre's local time; None when it has no opening hours."""
    opening = centre.next_opening(now)
    if opening is None:
        return None
    days = (opening.date() - centre.local(now).date()).days
    weekday = texts("weekday", language)[opening.weekday()]
    day = {0: text("handoff.today", language), 1: text("handoff.tomorrow", language)}.get(days, weekday)
    return day, opening.strftime("%H:%M")


def _ranges(spec: list[str]) -> tuple[tuple[time, time], ...]:
    out = []
    for item in spec:
        start, end = (time.fromisoformat(part.strip()) for part in item.split("-"))
        out.append((start, end))
    return tuple(out)


class Centres:
    """The centres of the data file, and routing to the nearest one."""

    def __init__(self, centres: list[Centre], default_id: str | None = None) -> None:
        self.by_id = {c.id: c for c in centres}
        if default_id is None:
            default_id = centres[0].id  # no setting: the first centre of the file
        if default_id not in self.by_id:
            raise ValueError(f"HANDOFF_DEFAULT_CENTRE {default_id!r} is not a centre of the data file")
        self.default = self.by_id[default_id]

    @classmethod
    def load(cls, default_id: str | None = None, path: Path | None = None) -> Centres:
        """Read the data file (knowledge/data/centres.yml unless another path is given); the default centre is
        `default_id`, else the first of the file."""
        data = yaml.safe_load((path or DEFAULT_FILE).read_text(encoding="utf-8"))
        centres = [
            Centre(
                id=str(c["id"]),
                name=str(c["name"]),
                country=str(c["country"]).upper(),
                timezone=str(c["timezone"]),
                lat=float(c["lat"]),
                lon=float(c["lon"]),
                languages=tuple(c.get("languages") or ()),
                hours={day: _ranges(c.get("hours", {}).get(day) or []) for day in WEEKDAYS},
                contacts={k: str(v or "") for k, v in (c.get("contacts") or {}).items()},
                on_call=str(c.get("on_call") or "").strip(),
            )
            for c in data["centres"]
        ]
        return cls(centres, default_id)

    def all(self) -> list[Centre]:
        """Every centre, in file order."""
        return list(self.by_id.values())

    def get(self, centre_id: str) -> Centre | None:
        """The centre with this id, if any."""
        return self.by_id.get(centre_id)

    def nearest(self, lat: float, lon: float, country: str | None = None) -> Centre:
        """The nearest centre to a point; only centres of `country` when it has some."""
        candidates = [c for c in self.by_id.values() if country and c.country == country.upper()]
        if not candidates:
            candidates = list(self.by_id.values())
        return min(candidates, key=lambda c: distance_km(lat, lon, c.lat, c.lon))

    def for_location(self, lat: float, lon: float) -> Centre:
        """The centre for a shared location: the nearest, or the default one if every centre is far away."""
        centre = self.nearest(lat, lon)
        if distance_km(lat, lon, centre.lat, centre.lon) > NEAR_KM:
            return self.default
        return centre
