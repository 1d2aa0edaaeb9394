"""Reading an external iCalendar file or feed (an organiser's own calendar) into the diary.

This module only parses: every write goes through `diary.services`. An imported event is its
source's UID *in that source* (`Event.source`, `Event.source_uid`): an import updates,
cancels and publishes only its own source's events; a UID another event holds (another
calendar's copy, an attacker's guess) makes a new event beside it, for an editor. Each event
is checked first (`imported_event`), so a malformed one is reported (with its line) and
skipped, whatever fails in it; events the diary holds are updated one transaction each
(`event_import`), new ones are inserted a thousand at a time (`events_import_new`, one
transaction each), and those gone from the source are cancelled (`events_cancel_missing`).
Nothing is ever half-saved, and a killed import leaves whole batches: run again, it adds
what is missing. A file is bounded as a whole: its size and components are counted before
it is parsed, and its rules share one expansion budget (`recurrence.file_budget`).

What real exports do, and what we do about it:
- Outlook writes Windows time-zone names ("Romance Standard Time"): mapped to IANA names.
- Google writes X-WR-TIMEZONE: floating times and all-day dates are read in that zone.
- Meetup writes UTC times: those events recur in UTC, as RFC 5545 says.
- A moved or cancelled single date comes as a second VEVENT with the same UID and a
  RECURRENCE-ID: moved dates become `Event.overrides`, cancelled ones EXDATEs. Only the new
  time is taken from such an override; a changed title or place for one date is not kept.
"""

import hashlib
import html
import logging
import re
import urllib.request
import zoneinfo
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import icalendar
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError
from django.utils.html import linebreaks
from icalendar.parser import Contentline
from icalendar.parser.content_line import UFOLD
from icalendar.parser_tools import to_unicode
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from common.translation import columns
from diary import journal, recurrence, services, structured_data
from diary.models import Category, Event, Organiser, available_timezones
from diary.text import CONTROL, CONTROL_BUT_LINES, one_line
from feeds.ical import BATCH, batched
from venues.models import Venue

logger = logging.getLogger(__name__)
MAX_BYTES = 20 * 1024 * 1024
# What one file may hold, counted in its bytes before the parser builds anything: a city's
# busiest calendar has thousands of events and a few time zones; 60,000 VTIMEZONEs in 10 MB
# took the parser a minute and 700 MB.
MAX_COMPONENTS = {"VEVENT": 50_000, "VTIMEZONE": 100}
MAX_ALL_COMPONENTS = 150_000
# A line the parser could read as a BEGIN (icalendar strips a content line's name, drops its
# spaces and tabs and compares it in upper case): BEGIN's letters in any case, whitespace
# anywhere, then a delimiter. A superset, read again by the parser's own code (`begun`).
MAYBE_BEGIN = re.compile(
    r"^[^\S\n]*B[^\S\n]*E[^\S\n]*G[^\S\n]*I[^\S\n]*N[^\S\n]*[;:]"
    r"[^\r\n]*(?:\r(?!\n)[^\r\n]*)*",  # to the line's end (CRLF or LF; a lone CR is text)
    re.IGNORECASE | re.MULTILINE,
)
STATUS = {"CANCELLED": Event.Status.CANCELLED}
# What our feed writes beside STATUS (X-EVENT-STATUS): schema.org's eventStatus, which says
# postponed and moved online where STATUS cannot.
EVENT_STATUS = {
    structured_data.status_name(status): status for status in structured_data.EVENT_STATUS
} | {"EventRescheduled": Event.Status.SCHEDULED}
# Half a year: a zone read by its offsets must have the zone's offsets in both seasons.
HALF_YEAR = timedelta(days=182)
WORD_CHARACTER = re.compile(r"\w")


# What the report says of an event the code failed on (the log has the details).
UNREADABLE = (
    "could not be imported: something in it is not understood; check its dates and its "
    "repeat rule in its calendar, and tell the site's team (their log names the line)"
)


class RowError(ValueError):
    """One event that cannot be imported; the message says why."""


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    cancelled: int = 0
    errors: list[str] = field(default_factory=list)
    # New events whose UID another event holds: imported beside it, never over it.
    clashes: list[str] = field(default_factory=list)
    # Events this import created that likely repeat one from another source or the form.
    duplicates: list[str] = field(default_factory=list)
    # What was imported otherwise than the file says (a UID made up, a zone read by its
    # offsets, what the diary does not keep): the event is in, the editor should know.
    notes: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.cancelled} cancelled, {len(self.errors)} with errors, "
            f"{len(self.clashes)} with another event's UID, "
            f"{len(self.duplicates)} likely duplicates, {len(self.notes)} notes"
        )


def read_source(path_or_url: str) -> bytes:
    """The bytes of a local file or of an http(s)/webcal URL."""
    if re.match(r"^(https?|webcal)://", path_or_url, re.IGNORECASE):
        url = re.sub(r"^webcal://", "https://", path_or_url, flags=re.IGNORECASE)
        request = urllib.request.Request(url, headers={"User-Agent": "city-agenda import_ics"})
        with urllib.request.urlopen(request, timeout=30) as response:
            data = response.read(MAX_BYTES + 1)
    else:
        data = Path(path_or_url).read_bytes()
    if len(data) > MAX_BYTES:
        raise ValueError(f"{path_or_url} is larger than {MAX_BYTES // 1_000_000} MB: split it.")
    return data


def source_key(path_or_url: str) -> str:
    """What `Event.source` records: the URL as given, or the file's absolute path."""
    if re.match(r"^[a-z]+://", path_or_url, re.IGNORECASE):
        return path_or_url
    return str(Path(path_or_url).resolve())


def components(data: bytes) -> Iterator[tuple[str, int]]:
    """Each line of the file that could begin a component, in order: the name of the
    component the parser begins there (VEVENT, VTIMEZONE…; "" when the line begins none),
    and the line of the file it begins on. Read as icalendar reads the file: decoded, its
    folded lines joined with the parser's own expression (RFC 5545 3.1), the lines found by
    an expression that runs in C (nothing is built for the others) and read by the parser's
    own code. Folds joined lines, so their line breaks are counted back."""
    raw = to_unicode(data)
    folds = []  # where each fold was in the unfolded text, and the line breaks it held
    removed = 0
    for fold in UFOLD.finditer(raw):
        folds.append((fold.start() - removed, fold.group().count("\n")))
        removed += fold.end() - fold.start()
    text = UFOLD.sub("", raw)
    line, at, fold = 1, 0, 0
    for match in MAYBE_BEGIN.finditer(text):
        line += text.count("\n", at, match.start())
        at = match.start()
        while fold < len(folds) and folds[fold][0] < at:
            line += folds[fold][1]
            fold += 1
        yield begun(match.group()), line


def begun(line: str) -> str:
    """The component a content line begins, as icalendar names it, or ""."""
    try:
        name, _params, value = Contentline(line).parts()
    except Exception:  # a line the parser cannot read begins nothing (the parse says why)
        return ""
    return value.upper() if name.upper() == "BEGIN" else ""


def uid_problem(uid: str) -> str:
    """Why a UID cannot be an event's (`Event.source_uid` holds 255 characters, without
    control characters, which PostgreSQL refuses even in a query); "" when it can."""
    if not uid:
        return "no UID"
    if len(uid) > 255:
        return "a UID longer than 255 characters"
    if CONTROL.search(uid):
        return "a UID with control characters"
    return ""


def made_up_uid(component) -> str:
    """A stable identity for a VEVENT its writer left without UID (RFC 5545 requires one;
    ticketing sites and old generators omit it): its start and its title, hashed, so the
    same file imported again updates the same events. An event whose start or title
    changes in its source is a new event there (the old one is cancelled as gone)."""
    start = component.get("DTSTART")
    content = "\n".join(
        (
            start.to_ical().decode() if start is not None else "",
            str(getattr(start, "params", {}).get("TZID", "")),
            str(component.get("SUMMARY", "")),
        )
    )
    return f"no-uid-{hashlib.sha256(content.encode()).hexdigest()[:32]}"


def lines_of(component, name: str) -> list:
    """Every line of a property (icalendar gives one line alone, several as a list)."""
    props = component.get(name)
    return props if isinstance(props, list) else [props] if props is not None else []


def where(line: int | None, uid: str = "") -> str:
    """An event's place in its file, for the report: "line 12 (UID …)"."""
    place = f"line {line}" if line else "an event"
    return f"{place} (UID {uid})" if uid else place


@dataclass
class Row:
    line: int | None  # None when the file's lines could not be matched to its events
    uid: str
    fields: dict
    recurrence_id: date | datetime | None = None
    cancelled: bool = False


class Reader:
    """Turns VEVENTs into the field values of an Event."""

    def __init__(self, calendar: icalendar.Calendar):
        default = str(calendar.get("X-WR-TIMEZONE", "")) or settings.TIME_ZONE
        self.default_zone = default if default in available_timezones() else settings.TIME_ZONE
        self.categories = {}
        for category in Category.objects.all():  # by its slug, or its name in any language
            for key in (category.slug, *(getattr(category, c) for c in columns("name"))):
                if key:
                    self.categories[key.lower()] = category
        # Each venue by its name in any language, lowercased (the first venue keeps a name
        # two share); a LOCATION is matched against them by its leading words.
        self.venues: dict[str, Venue] = {}
        for venue in Venue.objects.only("pk", "slug", *columns("name")).order_by("pk"):
            for name in filter(None, (getattr(venue, c) for c in columns("name"))):
                self.venues.setdefault(name.strip().lower(), venue)
        self.longest_name = max(map(len, self.venues), default=0)
        # Zones named otherwise than IANA names, read as ours by their offsets: the report
        # says so once per name.
        self.read_as: dict[str, str] = {}

    def zone_of(self, prop) -> str:
        """The IANA name for a DTSTART/DTEND property's zone."""
        value = prop.dt
        key = getattr(value.tzinfo, "key", None)
        if key in available_timezones():
            return key
        tzid = str(prop.params.get("TZID", "")).strip().strip('"')
        for candidate in (WINDOWS_TO_OLSON.get(tzid), tzid.lstrip("/")):
            if candidate in available_timezones():
                return candidate
        if value.utcoffset() == timedelta(0) and not tzid:
            return "UTC"
        if zone := self.zone_by_offsets(value):  # Outlook 2007's "(GMT+01.00) Brussels / …"
            self.read_as[tzid] = zone
            return zone
        raise RowError(
            f"its time zone “{tzid}” is unknown and its offsets are not those of "
            f"{self.default_zone}: export the calendar with named zones (Europe/Brussels)"
        )

    def zone_by_offsets(self, value: datetime) -> str:
        """The calendar's zone (X-WR-TIMEZONE, or the city's) when a zone of another name,
        defined in the file, has its offsets at this date and half a year before and after;
        "" when it does not."""
        naive = value.replace(tzinfo=None)
        for name in dict.fromkeys((self.default_zone, settings.TIME_ZONE)):
            zone = zoneinfo.ZoneInfo(name)
            if all(
                moment.replace(tzinfo=value.tzinfo).utcoffset()
                == moment.replace(tzinfo=zone).utcoffset()
                for moment in (naive - HALF_YEAR, naive, naive + HALF_YEAR)
            ):
                return name
        return ""

    def moment(self, prop) -> tuple[datetime, str, bool]:
        """(aware start, zone name, all day) of a DTSTART-like property."""
        value = prop.dt
        if not isinstance(value, datetime):
            zone = zoneinfo.ZoneInfo(self.default_zone)
            return datetime.combine(value, time.min, zone), self.default_zone, True
        if value.tzinfo is None:  # floating: the calendar's zone
            return (
                value.replace(tzinfo=zoneinfo.ZoneInfo(self.default_zone)),
                self.default_zone,
                False,
            )
        zone = self.zone_of(prop)
        # Keep the wall-clock time, in the zone's IANA definition.
        return value.replace(tzinfo=zoneinfo.ZoneInfo(zone)), zone, False

    def local_list(self, component, name: str, zone: str, all_day: bool) -> list[str]:
        """RDATE/EXDATE values as local ISO strings in the event's zone."""
        tz = zoneinfo.ZoneInfo(zone)
        values = []
        for prop in lines_of(component, name):
            for item in prop.dts:
                value = item.dt
                if isinstance(value, tuple):  # an RDATE period: its start
                    value = value[0]
                if not isinstance(value, datetime) or all_day:
                    day = value.date() if isinstance(value, datetime) else value
                    values.append(day.isoformat())
                    continue
                if value.tzinfo is not None:
                    value = value.astimezone(tz)
                values.append(value.replace(tzinfo=None).isoformat(timespec="seconds"))
        return values

    def venue_for(self, location: str) -> Venue | None:
        """The venue a LOCATION names first: "Flagey", "Flagey, Place Sainte-Croix", …; of
        two names that both start it ("Flagey", "Flagey Studio 4"), the longer. One lookup
        per word boundary, whatever the number of venues."""
        text = location.strip().lower()
        for end in range(min(len(text), self.longest_name), 0, -1):
            if end < len(text) and WORD_CHARACTER.match(text[end]):
                continue  # "flagey" does not name "flageyplein"
            venue = self.venues.get(text[:end].rstrip())
            if venue is not None:
                return venue
        return None

    @staticmethod
    def text_language(component) -> str:
        """The SUMMARY's LANGUAGE parameter (RFC 5545 3.2.10: "fr-BE" is French) when it is
        one of ours, else the site's language."""
        summary = component.get("SUMMARY")
        tag = str(getattr(summary, "params", {}).get("LANGUAGE", "")).lower()
        code = tag.split("-")[0]
        return code if code in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE

    def row(self, component, line: int | None) -> Row:
        errors = getattr(component, "errors", [])
        if errors:
            name = errors[0][0]
            raise RowError(
                f"its {name} line is not valid iCalendar: correct it in the calendar it "
                "comes from (dates as 20270415T200000, with their time zone)"
            )
        uid = str(component.get("UID", "")).strip() or made_up_uid(component)
        if problem := uid_problem(uid):
            raise RowError(problem)
        if "DTSTART" not in component:
            raise RowError("it has no start (DTSTART): give the event a date in its calendar")
        rules = component.get("RRULE")
        if isinstance(rules, list):
            raise RowError(
                f"it repeats by {len(rules)} rules (RRULE lines); the diary keeps one per "
                "event: make one event per rule in its calendar, or list the extra dates "
                "(RDATE)"
            )
        start, zone, all_day = self.moment(component["DTSTART"])
        end = None
        if "DTEND" in component:
            end = self.moment(component["DTEND"])[0]
            if all_day and not isinstance(component["DTEND"].dt, datetime):
                end = datetime.combine(component["DTEND"].dt, time.min, start.tzinfo)
        elif "DURATION" in component:
            end = start + component["DURATION"].dt
        if end is not None and end <= start:
            end = None if not all_day else start + timedelta(days=1)
        rrule = rules.to_ical().decode() if rules is not None else ""
        # Other calendars' text may hold control characters our fields refuse: strip them.
        description = CONTROL_BUT_LINES.sub("", str(component.get("DESCRIPTION", ""))).strip()
        location = one_line(str(component.get("LOCATION", "")))
        venue = self.venue_for(location) if location else None
        link = str(component.get("URL", "")).strip()
        language = self.text_language(component)
        fields = {  # the texts in their language's columns; the others are left as they are
            f"title_{language}": (one_line(str(component.get("SUMMARY", ""))) or "(untitled)")[
                :200
            ],
            "text_language": language,
            f"description_{language}": linebreaks(html.escape(description)) if description else "",
            "category": self._category(component),
            "venue": venue,
            "online_url": self.conference(component)
            or (location if not venue and location.startswith("http") else ""),
            "ticket_url": link if link.startswith("http") else "",
            "timezone": zone,
            "start": start,
            "end": end,
            "all_day": all_day,
            "rrule": rrule,
            "rdates": self.local_list(component, "RDATE", zone, all_day),
            "exdates": self.local_list(component, "EXDATE", zone, all_day),
            "overrides": {},
            "status": self.status(component),
        }
        if location and not venue and not fields["online_url"]:
            key = f"description_{language}"
            fields[key] = linebreaks(html.escape(location)) + fields[key]
        recurrence_id = component["RECURRENCE-ID"].dt if "RECURRENCE-ID" in component else None
        if recurrence_id is not None and (
            str(component["RECURRENCE-ID"].params.get("RANGE", "")).upper() == "THISANDFUTURE"
        ):
            raise RowError(
                "it changes one date and every later one (RECURRENCE-ID with "
                "RANGE=THISANDFUTURE), which the diary cannot hold: the series is imported "
                "unchanged; in its calendar, end the series there and begin a new one"
            )
        return Row(
            line=line,
            uid=uid,
            fields=fields,
            recurrence_id=recurrence_id,
            cancelled=fields["status"] == Event.Status.CANCELLED,
        )

    @staticmethod
    def conference(component) -> str:
        """The first web address among the VEVENT's CONFERENCE lines (RFC 7986), or ""."""
        for prop in lines_of(component, "CONFERENCE"):
            if str(prop).startswith(("https://", "http://")):
                return str(prop)
        return ""

    @staticmethod
    def status(component) -> str:
        """Postponed and moved online from our own feeds' X-EVENT-STATUS; cancelled from
        STATUS; scheduled otherwise (TENTATIVE and CONFIRMED alike)."""
        named = EVENT_STATUS.get(str(component.get("X-EVENT-STATUS", "")).strip())
        if named is not None:
            return named
        return STATUS.get(str(component.get("STATUS", "")).upper(), Event.Status.SCHEDULED)

    def _category(self, component) -> Category | None:
        for prop in lines_of(component, "CATEGORIES"):
            for name in prop.cats:
                category = self.categories.get(str(name).strip().lower())
                if category:
                    return category
        return None


def apply_override(master: Row, override: Row) -> None:
    """Fold a RECURRENCE-ID VEVENT into its master: an EXDATE, or a moved date."""
    fields = master.fields
    tz = zoneinfo.ZoneInfo(fields["timezone"])
    rid = override.recurrence_id
    if isinstance(rid, datetime) and not fields["all_day"]:
        rid = rid.replace(tzinfo=tz) if rid.tzinfo is None else rid.astimezone(tz)
        key = rid.replace(tzinfo=None).isoformat(timespec="seconds")
    else:
        key = (rid.date() if isinstance(rid, datetime) else rid).isoformat()
    if override.cancelled:
        fields["exdates"] = [*fields["exdates"], key]
        return
    start = override.fields["start"].astimezone(tz)
    end = override.fields["end"]
    fields["overrides"] = {
        **fields["overrides"],
        key: {
            "start": start.replace(tzinfo=None).isoformat(timespec="seconds"),
            "end": end.astimezone(tz).replace(tzinfo=None).isoformat(timespec="seconds")
            if end
            else None,
        },
    }


@journal.door("import")
def import_calendar(
    data: bytes,
    *,
    source: str,
    organiser: Organiser | None = None,
    publish: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Import every event of an iCalendar file; `progress(done, total)` follows the events
    (a progress bar on a terminal)."""
    report = ImportReport()
    refused, lines = outline(data)
    if refused:
        report.errors.append(refused)
        return report
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except ValueError:
        report.errors.append(
            "The file is not an iCalendar file (it should begin with BEGIN:VCALENDAR): "
            "check the address, or export the calendar again as .ics"
        )
        return report
    except Exception:  # the library failed on a stranger's file: the import reports it
        logger.exception("Parsing an iCalendar file failed")
        report.errors.append(
            "The file could not be read as an iCalendar file: a part of it (often a time "
            "zone, VTIMEZONE) is not understood; export the calendar again, or tell the "
            "site's team (their log says where)."
        )
        return report
    reader = Reader(calendar)
    masters: dict[str, Row] = {}
    overrides: dict[str, list[Row]] = defaultdict(list)
    seen: set[str] = set()
    vevents = calendar.walk("VEVENT")
    places: list[int | None] = list(lines)
    if len(places) != len(vevents):  # read otherwise than the parser did: no line is certain
        places = [None] * len(vevents)
    attached = 0
    for component, line in zip(vevents, places, strict=True):
        uid = str(component.get("UID", "")).strip()
        try:
            row = reader.row(component, line)
        except RowError as error:
            report.errors.append(f"{where(line, uid)}: {error}")
            continue
        except Exception:  # as in `imported`: one event, never the whole file
            logger.exception("Reading line %s (UID %s) failed", line, uid)
            report.errors.append(f"{where(line, uid)}: {UNREADABLE}")
            continue
        finally:
            if not uid_problem(uid):  # no stored event has another: nor can a query take it
                seen.add(uid)
        if not uid:
            seen.add(row.uid)
            report.notes.append(
                f"{where(line)}: no UID; identified by its start and title ({row.uid}), so "
                "importing the file again updates it"
            )
        attached += "ATTACH" in component or "IMAGE" in component
        if row.recurrence_id is None and _periods(component):
            report.notes.append(
                f"{where(line, row.uid)}: its extra dates (RDATE) are periods; each is kept "
                "with the event's own length"
            )
        if row.recurrence_id is None:
            masters[row.uid] = row
        else:
            overrides[row.uid].append(row)

    for tzid, zone in reader.read_as.items():
        report.notes.append(
            f"The time zone “{tzid}” was read as {zone}: they have the same offsets"
        )
    if attached:
        report.notes.append(
            f"Attachments and pictures (ATTACH, IMAGE) are not imported ({attached} of the "
            "events carry them): add a picture on the event's page"
        )
    for uid in sorted(set(overrides) - set(masters)):
        report.errors.append(
            f"{where(overrides[uid][0].line, uid)}: changes one date of a series the file "
            "does not hold (RECURRENCE-ID without its event): export the whole series"
        )

    def folded(row: Row) -> Row:  # its moved and cancelled dates, once
        for override in overrides.get(row.uid, []):
            apply_override(row, override)
        return row

    def saved(row: Row) -> str:  # compared with the stored event, saved when it changed
        return services.event_import(
            uid=row.uid, fields=row.fields, source=source, organiser=organiser, publish=publish
        )

    def checked(row: Row) -> Event:  # a new event, inserted below with the others
        event, _changed = services.imported_event(
            None, uid=row.uid, fields=row.fields, source=source, organiser=organiser,
            publish=publish, clash=row.uid in held,
        )  # fmt: skip
        return event

    created: list[str] = []
    with journal.rendered_together(), recurrence.file_budget():
        # An event is its source's UID in its source: this source's own events are updated;
        # a UID another event holds (another calendar's, a submission's) is left alone.
        stored = services.imported_uids(source=source, uids=list(masters))
        held = services.uids_held([uid for uid in masters if uid not in stored])
        new: list[tuple[Row, Event]] = []
        for done, row in enumerate(masters.values()):
            if progress:
                progress(done, len(masters))
            if not imported(report, row, folded):
                continue
            if row.uid not in stored:
                if event := imported(report, row, checked):
                    new.append((row, event))
            elif outcome := imported(report, row, saved):
                setattr(report, outcome, getattr(report, outcome) + 1)
        for batch in batched(new, BATCH):
            try:
                services.events_import_new([event for _row, event in batch], clashes=held)
            except (IntegrityError, DataError):  # a slug or UID taken meanwhile: one at a time
                outcomes = [(row, imported(report, row, saved)) for row, _event in batch]
                held.update(taken_meanwhile(source, [row.uid for row, _event in batch]))
            else:
                outcomes = [(row, "created") for row, _event in batch]
            for row, outcome in outcomes:
                if outcome:
                    setattr(report, outcome, getattr(report, outcome) + 1)
                if outcome == "created":
                    created.append(row.uid)
                    if row.uid in held:
                        report.clashes.append(clash_line(row, held[row.uid]))
        if progress:
            progress(len(masters), len(masters))

    report.cancelled = services.events_cancel_missing(source=source, present=seen)
    report.duplicates = duplicates_report(source, created)
    return report


def outline(data: bytes) -> tuple[str, list[int]]:
    """Why a file is more than one import may read, from its text alone ("" when it is not),
    and the line each of its VEVENTs begins on, in the parser's order (the document's): the
    n-th is the n-th VEVENT."""
    if len(data) > MAX_BYTES:
        return f"The file is larger than {MAX_BYTES // 1_000_000} MB: split it.", []
    counts: dict[str, int] = defaultdict(int)
    vevents: list[int] = []
    # Every line that could begin a component counts towards the total, whether it does or
    # not: each costs the parser's reading of it.
    for total, (name, line) in enumerate(components(data), start=1):
        counts[name] += 1
        if name in MAX_COMPONENTS and counts[name] > MAX_COMPONENTS[name]:
            limit = MAX_COMPONENTS[name]
            return f"The file holds more than {limit:,} {name} components: split it.", []
        if total > MAX_ALL_COMPONENTS:
            return f"The file holds more than {MAX_ALL_COMPONENTS:,} components: split it.", []
        if name == "VEVENT":
            vevents.append(line)
    return "", vevents


def taken_meanwhile(source: str, uids: list[str]) -> dict[str, Event]:
    """Of these UIDs, those another source's event holds (taken while the file was read),
    with that event: the report names the clash as it names those found before."""
    return {
        uid: holder
        for uid, holder in services.uids_held(uids).items()
        if (holder.source, holder.source_uid) != (source, uid)
    }


def clash_line(row: Row, holder: Event) -> str:
    """What the report says of an event whose UID another event holds."""
    return (
        f"{where(row.line, row.uid)}: this UID is another event's, “{holder.title}” "
        f"({holder.source or 'sent by its organiser'}), which this import leaves alone; "
        "imported as a new event, waiting for an editor as its likely duplicate"
    )


def imported(report: ImportReport, row: Row, action: Callable[[Row], Any]) -> Any:
    """`action(row)`, or None with the reason (and the row's line) in the report when the
    row cannot be read or saved."""
    try:
        return action(row)
    except ValidationError as error:
        report.errors.append(f"{where(row.line, row.uid)}: {_messages(error)}")
    except (recurrence.RecurrenceError, IntegrityError, ValueError) as error:
        report.errors.append(f"{where(row.line, row.uid)}: {error}")
    except Exception:  # a stranger's file finds what no test did: one row fails
        logger.exception("Importing line %s (UID %s) failed", row.line, row.uid)
        report.errors.append(f"{where(row.line, row.uid)}: {UNREADABLE}; the other events were")
    return None


def _periods(component) -> bool:
    """Whether the VEVENT lists RDATEs as periods (a start and an end or a length)."""
    return any(
        isinstance(item.dt, tuple) for prop in lines_of(component, "RDATE") for item in prop.dts
    )


def duplicates_report(source: str, uids: list[str]) -> list[str]:
    """One line per new event suspected to repeat another (services.event_import flags
    them for the editors' queue)."""
    suspected = (
        Event.objects.filter(source=source, source_uid__in=uids, duplicate_of__isnull=False)
        .select_related("duplicate_of")
        .order_by("start", "pk")
    )
    return [
        f"“{event.title}” (UID {event.uid}) is likely “{event.duplicate_of.title}” "
        f"(UID {event.duplicate_of.uid}, {event.duplicate_of.source or 'sent by its organiser'})"
        for event in suspected
    ]


def _messages(error: ValidationError) -> str:
    if hasattr(error, "message_dict"):
        return "; ".join(
            f"{name}: {' '.join(messages)}" if name != "__all__" else " ".join(messages)
            for name, messages in error.message_dict.items()
        )
    return " ".join(error.messages)


def organiser_for(email: str) -> Organiser:
    organiser, _ = Organiser.objects.get_or_create(
        email=email.strip().lower(), defaults={"name": email.split("@")[0]}
    )
    return organiser
