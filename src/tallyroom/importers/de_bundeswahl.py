"""German Bundestag results from the Federal Returning Officer's files.

Two formats are read, both into one :class:`Bundeswahl`: per Wahlkreis (constituency),
Land and Bund, the valid first (Erststimmen) and second votes (Zweitstimmen) and each
party's first and second votes.

* ``gesamtergebnis`` XML (2021, 2025): ``Gebietsergebnis`` elements with
  ``Gebietsart`` ``BUND``, ``LAND`` or ``WAHLKREIS``; votes in ``Stimmergebnis`` with
  ``Stimmart="DIREKT"`` (first) or ``"LISTE"`` (second). Parties are keyed by their
  ``Gruppe`` number and named as on the Bund row (so Berlin's ``GRÜNE/B 90`` is
  ``GRÜNE``); independent candidates (``EINZELKANDIDAT``) count as first votes for
  ``"EB:<name>"``.
* ``kerg`` CSV (2013, 2017): semicolon-separated, UTF-8 with BOM, ``#`` comment lines,
  a three-row header (party names; Erststimmen/Zweitstimmen; Endgültig/Vorperiode).
  Only the ``Endgültig`` columns are read. Land rows belong to ``99``; the Bund row
  belongs to nothing.

Both formats also carry comparison figures (XML ``AnzahlVergleich``, kerg
``Vorperiode``): the previous election by the current constituencies, or, in the 2021
file, the 2021 count as it stood before the 2024 Berlin repeat vote. ``read(path,
comparison=True)`` reads those instead, reconciled the same way.

Every file is reconciled before anything is returned: each Land row must equal the sum
of its Wahlkreise and the Bund row the sum of the Länder, figure by figure; otherwise
:class:`~tallyroom.importers.errors.ReconciliationError` names the file and line.
Population tables (``strukturdaten``) for the 2013–2021 seat contingents are read by
:func:`read_population`. Nothing here writes anywhere.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from xml.parsers import expat

from tallyroom.importers.errors import FileFormatError, ReconciliationError
from tallyroom.rules.regional import District, Region

INDEPENDENT_PREFIX = "EB:"
OTHERS = "Übrige"  # the files' own total of parties not listed separately


@dataclass
class Area:
    """One Wahlkreis, Land or the Bund as the file gives it; ``line`` is where it starts."""

    kind: str  # "WAHLKREIS", "LAND" or "BUND"
    number: int
    name: str
    land: int | None
    line: int
    valid_first: int = 0
    valid_second: int = 0
    invalid_first: int = 0
    invalid_second: int = 0
    first: dict[str, int] = field(default_factory=dict)
    second: dict[str, int] = field(default_factory=dict)
    covered: bool | None = None  # XML 2025: the file's own Zweitstimmendeckung flag


@dataclass(frozen=True)
class Bundeswahl:
    """One Bundestag election: its Wahlkreise, Länder (by number) and the Bund."""

    source: str
    wahlkreise: tuple[Area, ...]
    laender: dict[int, Area]
    bund: Area
    date: str = ""
    """polling day (``YYYY-MM-DD``) as the file states it"""

    def winner(self, wk: Area) -> tuple[str, int]:
        """The party (or ``EB:`` independent) with most first votes, and its votes."""
        ranked = sorted(wk.first.items(), key=lambda x: -x[1])
        if not ranked:
            raise FileFormatError(f"{self.source}, line {wk.line}: no first votes")
        if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
            raise FileFormatError(
                f"{self.source}, line {wk.line}: first votes tied in Wahlkreis {wk.number}"
            )
        return ranked[0]

    def regions(self, population: dict[str, int] | None = None) -> list[Region]:
        """The Länder as regions with their second votes (and population, if given)."""
        out = []
        for land in self.laender.values():
            pop = None
            if population is not None:
                if land.name not in population:
                    raise FileFormatError(f"no population given for {land.name}")
                pop = population[land.name]
            out.append(Region(land.name, dict(land.second), pop))
        return out

    def districts(self) -> list[District]:
        """The Wahlkreise as districts with their winners."""
        out = []
        for wk in self.wahlkreise:
            party, votes = self.winner(wk)
            if party == OTHERS:
                raise FileFormatError(
                    f"{self.source}, line {wk.line}: Wahlkreis {wk.number} won by {OTHERS!r}"
                )
            if party.startswith(INDEPENDENT_PREFIX) or party not in self.bund.second:
                winner = None
            else:
                winner = party
            land = self.laender[wk.land or 0].name
            out.append(District(f"{wk.number} {wk.name}", land, winner, votes, wk.valid_first))
        return out


def read(path: Path | str, *, comparison: bool = False) -> Bundeswahl:
    """Read a gesamtergebnis XML or kerg CSV file, reconciled; with ``comparison`` its
    comparison figures (``AnzahlVergleich`` / ``Vorperiode``) instead of the final count."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise FileFormatError(f"{path}: file not found") from None
    if data.lstrip(b"\xef\xbb\xbf \r\n\t").startswith(b"<"):
        areas, date = _read_xml(path, data, "AnzahlVergleich" if comparison else "Anzahl")
    else:
        areas, date = _read_kerg(path, data, "Vorperiode" if comparison else "Endgültig")
    return replace(_reconciled(str(path), areas), date=date)


def _number(source: str, line: int, text: str | None, what: str) -> int | None:
    if text is None or text.strip() in ("", "n/a", "-"):
        return None
    try:
        value = int(text.strip())
    except ValueError:
        raise FileFormatError(
            f"{source}, line {line}: {what}: not a whole number: {text!r}"
        ) from None
    if value < 0:
        raise FileFormatError(f"{source}, line {line}: {what}: negative count {value}")
    return value


def _read_xml(path: Path, data: bytes, count_attribute: str) -> tuple[list[Area], str]:
    source = str(path)
    parser = expat.ParserCreate("UTF-8")
    areas: list[Area] = []
    names: dict[str, str] = {}
    state: dict[str, object] = {"area": None, "group": None, "text": False}
    polling_day: list[str] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        line = parser.CurrentLineNumber
        if tag == "Wahl" and not polling_day:
            polling_day.append(attrs.get("Wahltermin", "")[:10])
        elif tag == "Gebietsergebnis":
            kind = attrs.get("Gebietsart", "")
            if kind not in ("BUND", "LAND", "WAHLKREIS"):
                state["area"] = None
                return
            number = _number(source, line, attrs.get("Gebietsnummer"), "Gebietsnummer")
            if number is None:
                raise FileFormatError(
                    f"{source}, line {line}: Gebietsergebnis without Gebietsnummer"
                )
            land = _number(source, line, attrs.get("UegGebietsnummer"), "UegGebietsnummer")
            area = Area(kind, number, "", land if kind == "WAHLKREIS" else None, line)
            areas.append(area)
            state["area"] = area
        elif tag == "GebietText":
            state["text"] = True
        elif tag == "Direktergebnis" and isinstance(state["area"], Area):
            flag = attrs.get("Zweitstimmendeckung")
            if flag is not None:
                state["area"].covered = flag == "true"
        elif tag == "Gruppenergebnis":
            art, gruppe = attrs.get("Gruppenart"), attrs.get("Gruppe", "")
            if art == "PARTEI":
                names.setdefault(gruppe, attrs.get("Name", gruppe))
                state["group"] = ("party", names[gruppe])
            elif art == "EINZELKANDIDAT":
                who = attrs.get("Direktkandidat") or attrs.get("Name", gruppe)
                state["group"] = ("independent", INDEPENDENT_PREFIX + who)
            elif art == "UEBRIGE":
                state["group"] = ("party", OTHERS)
            elif art == "ALLGEMEIN" and attrs.get("Name") == "Gültige":
                state["group"] = ("valid", "")
            elif art == "ALLGEMEIN" and attrs.get("Name") == "Ungültige":
                state["group"] = ("invalid", "")
            else:
                state["group"] = None
        elif tag == "Stimmergebnis":
            area, group = state["area"], state["group"]
            if not isinstance(area, Area) or not isinstance(group, tuple):
                return
            stimmart = attrs.get("Stimmart")
            count = _number(source, line, attrs.get(count_attribute), count_attribute)
            if count is None or stimmart not in ("DIREKT", "LISTE"):
                return
            kind, name = group
            if kind == "valid":
                if stimmart == "DIREKT":
                    area.valid_first = count
                else:
                    area.valid_second = count
            elif kind == "invalid":
                if stimmart == "DIREKT":
                    area.invalid_first = count
                else:
                    area.invalid_second = count
            elif stimmart == "DIREKT":
                area.first[name] = count
            elif kind == "party":
                area.second[name] = count

    def end(tag: str) -> None:
        if tag == "GebietText":
            state["text"] = False
        elif tag == "Gruppenergebnis":
            state["group"] = None

    def chars(text: str) -> None:
        area = state["area"]
        if state["text"] and isinstance(area, Area):
            area.name += text

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        parser.Parse(data, True)
    except expat.ExpatError as error:
        raise FileFormatError(
            f"{source}, line {error.lineno}: not well-formed XML: {error}"
        ) from None
    if not areas:
        raise FileFormatError(f"{source}: no Gebietsergebnis elements; not a gesamtergebnis file")
    for area in areas:
        area.name = area.name.strip()
    return areas, polling_day[0] if polling_day else ""


def _lines(source: str, data: bytes) -> Iterator[tuple[int, list[str]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FileFormatError(f"{source}: not UTF-8: {error}") from None
    for number, row in enumerate(csv.reader(io.StringIO(text), delimiter=";"), 1):
        if not row or row[0].startswith("#") or not any(cell.strip() for cell in row):
            continue
        yield number, row


_MONTHS = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
]
_KERG_DATE = re.compile(r"^# .*\((\d{1,2})\. (\w+) (\d{4})\)", re.MULTILINE)


def _kerg_date(data: bytes) -> str:
    """The polling day from a kerg file's title comment, e.g. ``(24. September 2017)``."""
    found = _KERG_DATE.search(data[:4000].decode("utf-8", "replace"))
    if not found or found[2] not in _MONTHS:
        return ""
    day, month, year = int(found[1]), _MONTHS.index(found[2]) + 1, found[3]
    return f"{year}-{month:02d}-{day:02d}"


def _read_kerg(path: Path, data: bytes, period: str) -> tuple[list[Area], str]:
    source = str(path)
    rows = _lines(source, data)
    try:
        head = [next(rows) for _ in range(3)]
    except StopIteration:
        raise FileFormatError(f"{source}: fewer than three header rows") from None
    (line1, names), (_, votes), (line3, periods) = head
    if names[:2] != ["Nr", "Gebiet"]:
        raise FileFormatError(f"{source}, line {line1}: expected a kerg header starting Nr;Gebiet")
    columns: dict[int, tuple[str, str]] = {}
    name = stimme = ""
    for i in range(3, len(periods)):
        name = names[i].strip() if i < len(names) and names[i].strip() else name
        stimme = votes[i].strip() if i < len(votes) and votes[i].strip() else stimme
        if periods[i].strip() == period:
            if stimme not in ("Erststimmen", "Zweitstimmen"):
                raise FileFormatError(
                    f"{source}, line {line3}: column {i + 1}: no Erst/Zweitstimmen"
                )
            columns[i] = (name, stimme)
    if not any(n == "Gültige" for n, _ in columns.values()):
        raise FileFormatError(f"{source}, line {line1}: no Gültige columns")
    skip = {"Wahlberechtigte", "Wähler"}
    areas = []
    for line, row in rows:
        if len(row) < len(periods) - 1:
            raise FileFormatError(
                f"{source}, line {line}: {len(row)} fields, expected {len(periods)}"
            )
        number = _number(source, line, row[0], "Nr")
        if number is None:
            raise FileFormatError(f"{source}, line {line}: no area number")
        belongs = row[2].strip()
        if not belongs:
            area = Area("BUND", 99, row[1].strip(), None, line)
        elif belongs == "99":
            area = Area("LAND", number % 900, row[1].strip(), None, line)
        else:
            land = _number(source, line, belongs, "gehört zu")
            area = Area("WAHLKREIS", number, row[1].strip(), land, line)
        for i, (party, stimme) in columns.items():
            if party in skip:
                continue
            count = _number(source, line, row[i] if i < len(row) else "", f"{party} {stimme}")
            if party == "Gültige":
                if stimme == "Erststimmen":
                    area.valid_first = count or 0
                else:
                    area.valid_second = count or 0
            elif party == "Ungültige":
                if stimme == "Erststimmen":
                    area.invalid_first = count or 0
                else:
                    area.invalid_second = count or 0
            elif count is not None:
                (area.first if stimme == "Erststimmen" else area.second)[party] = count
        areas.append(area)
    return areas, _kerg_date(data)


def _reconciled(source: str, areas: list[Area]) -> Bundeswahl:
    bunds = [a for a in areas if a.kind == "BUND"]
    if len(bunds) != 1:
        raise FileFormatError(f"{source}: expected one Bund row, found {len(bunds)}")
    laender: dict[int, Area] = {}
    for a in areas:
        if a.kind == "LAND":
            if a.number in laender:
                raise FileFormatError(f"{source}, line {a.line}: Land {a.number} given twice")
            laender[a.number] = a
    wahlkreise = tuple(a for a in areas if a.kind == "WAHLKREIS")
    seen: set[int] = set()
    for wk in wahlkreise:
        if wk.number in seen:
            raise FileFormatError(f"{source}, line {wk.line}: Wahlkreis {wk.number} given twice")
        seen.add(wk.number)
        if wk.land not in laender:
            raise FileFormatError(
                f"{source}, line {wk.line}: Wahlkreis {wk.number} in unknown Land {wk.land}"
            )
        if sum(wk.first.values()) != wk.valid_first or sum(wk.second.values()) != wk.valid_second:
            raise ReconciliationError(
                f"{source}, line {wk.line}: Wahlkreis {wk.number}: party votes do not add up "
                "to the valid votes"
            )
    for number, land in laender.items():
        _check_sum(source, land, [wk for wk in wahlkreise if wk.land == number])
    _check_sum(source, bunds[0], list(laender.values()))
    return Bundeswahl(source, wahlkreise, dict(sorted(laender.items())), bunds[0])


def _check_sum(source: str, total: Area, parts: list[Area]) -> None:
    """``total`` must equal the sum of ``parts`` in every figure."""
    where = f"{source}, line {total.line}: {total.name}"
    if not parts:
        raise ReconciliationError(f"{where}: nothing to total")
    for what, mine, theirs in (
        ("valid first votes", total.valid_first, sum(p.valid_first for p in parts)),
        ("valid second votes", total.valid_second, sum(p.valid_second for p in parts)),
        ("invalid first votes", total.invalid_first, sum(p.invalid_first for p in parts)),
        ("invalid second votes", total.invalid_second, sum(p.invalid_second for p in parts)),
    ):
        if mine != theirs:
            raise ReconciliationError(
                f"{where}: {what} {mine:,} but its parts add up to {theirs:,}"
            )
    for label, mine_map, key in (
        ("first", total.first, "first"),
        ("second", total.second, "second"),
    ):
        summed: dict[str, int] = {}
        for p in parts:
            for party, n in getattr(p, key).items():
                if party.startswith(INDEPENDENT_PREFIX) and party not in mine_map:
                    party = OTHERS  # a Land row counts its independents among the others
                summed[party] = summed.get(party, 0) + n
        for party in sorted(set(mine_map) | set(summed)):
            if mine_map.get(party, 0) != summed.get(party, 0):
                raise ReconciliationError(
                    f"{where}: {label} votes for {party} {mine_map.get(party, 0):,} but its "
                    f"parts add up to {summed.get(party, 0):,}"
                )


def read_population(path: Path | str) -> dict[str, int]:
    """Land → German population (persons) from a ``strukturdaten`` table in thousands."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise FileFormatError(f"{path}: file not found") from None
    out: dict[str, int] = {}
    for line, row in _lines(str(path), data):
        if len(row) < 4 or row[2].strip() != "Land insgesamt":
            continue
        try:
            thousands = Fraction(row[3].strip().replace(",", "."))
        except (ValueError, ZeroDivisionError):
            raise FileFormatError(
                f"{path}, line {line}: population {row[3]!r} is not a number"
            ) from None
        persons = thousands * 1000
        if persons.denominator != 1 or persons < 0:
            raise FileFormatError(
                f"{path}, line {line}: population {row[3]!r} is not whole persons"
            )
        out[row[0].strip()] = int(persons)
    if len(out) != 16:
        raise FileFormatError(f"{path}: expected 16 Länder, found {len(out)}")
    return out
