"""Calendars as real clients export them (tests/feeds/calendars/, its README says whose): each
is imported, and the test checks what was imported, what was reported, and that the diary's
dates are exactly what recurring-ical-events expands from the file."""

from datetime import UTC, date, datetime
from pathlib import Path

import icalendar
import pytest
import recurring_ical_events
import time_machine
import x_wr_timezone

from diary.models import Occurrence
from feeds import importers

pytestmark = pytest.mark.django_db

CALENDARS = Path(__file__).with_name("calendars")
NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
WINDOW = (datetime(2026, 12, 1, tzinfo=UTC), datetime(2028, 6, 1, tzinfo=UTC))
# Per file: the events created, and what the report says (errors, then notes), in part.
EXPECTED = {
    "google.ics": (3, [], []),
    "outlook-exchange.ics": (4, [], []),
    "outlook-2007.ics": (
        2,
        [],
        ["“(GMT+01.00) Brussels / Copenhagen / Madrid / Paris” was read as Europe/Brussels"],
    ),
    "apple.ics": (3, [], ["Attachments and pictures (ATTACH, IMAGE) are not imported (1 of"]),
    "thunderbird.ics": (4, [], []),
    "nextcloud.ics": (
        4,
        [],
        [
            "its extra dates (RDATE) are periods; each is kept with the event's own length",
            "Attachments and pictures (ATTACH, IMAGE) are not imported (1 of",
        ],
    ),
    "davx5.ics": (
        3,
        ["(RECURRENCE-ID with RANGE=THISANDFUTURE), which the diary cannot hold"],
        [],
    ),
    "meetup.ics": (3, [], []),
    "ticketing-no-uid.ics": (4, [], ["no UID; identified by its start and title"] * 4),
    "old-two-rrules.ics": (
        1,
        [
            "it repeats by 2 rules (RRULE lines); the diary keeps one per event",
            "it has no start (DTSTART): give the event a date in its calendar",
            "its DTSTART line is not valid iCalendar",
        ],
        [],
    ),
    "confluence.ics": (3, [], []),
}


def test_every_calendar_of_the_corpus_is_tested():
    assert sorted(path.name for path in CALENDARS.glob("*.ics")) == sorted(EXPECTED)


def expanded(data: bytes, uids: set[str]) -> set[tuple[str, datetime]]:
    """What recurring-ical-events expands from the file (floating times in its
    X-WR-TIMEZONE), for the events the diary imported; a VEVENT without UID is named as
    the import names it."""
    calendar = icalendar.Calendar.from_ical(data)
    for vevent in calendar.walk("VEVENT"):
        if not str(vevent.get("UID", "")).strip():
            vevent.add("uid", importers.made_up_uid(vevent))
    calendar.subcomponents = [  # the events the diary refused are not expanded
        component
        for component in calendar.subcomponents
        if component.name != "VEVENT" or str(component["UID"]) in uids
    ]
    calendar = x_wr_timezone.to_standard(calendar)
    return {
        (str(instance["UID"]), _utc(instance.decoded("DTSTART")))
        for instance in recurring_ical_events.of(calendar).between(*WINDOW)
        # A cancelled date of a series is left out of it (an EXDATE), as the diary does.
        if not ("RECURRENCE-ID" in instance and instance.get("STATUS") == "CANCELLED")
    }


def _utc(value) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    assert isinstance(value, date)
    from zoneinfo import ZoneInfo

    return datetime.combine(value, datetime.min.time(), ZoneInfo("Europe/Brussels")).astimezone(UTC)


def held(source: str) -> set[tuple[str, datetime]]:
    return {
        (uid, start.astimezone(UTC))
        for uid, start in Occurrence.objects.filter(
            event__source=source, start__gte=WINDOW[0], start__lt=WINDOW[1]
        ).values_list("event__source_uid", "start")
    }


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_real_calendar_imports_what_it_can_and_says_what_it_cannot(name):
    data = (CALENDARS / name).read_bytes()
    created, errors, notes = EXPECTED[name]
    with time_machine.travel(NOW, tick=False):
        report = importers.import_calendar(data, source=name, publish=True)
        again = importers.import_calendar(data, source=name, publish=True)
    assert report.created == created, report.errors
    assert len(report.errors) == len(errors), report.errors
    for expected, error in zip(errors, report.errors, strict=True):
        assert expected in error
        assert error.startswith("line ")  # each message names its line
    assert len(report.notes) == len(notes), report.notes
    for expected, note in zip(notes, report.notes, strict=True):
        assert expected in note
    # Imported again, the same file changes nothing: the same events, none cancelled.
    assert (again.created, again.updated, again.cancelled) == (0, 0, 0)
    assert again.unchanged == created
    dates = held(name)
    uids = {uid for uid, _start in dates}
    assert len(uids) == created
    if name == "davx5.ics":  # its THISANDFUTURE change was refused: the series is as it was
        uids -= {error.split("(UID ")[1].split(")")[0] for error in report.errors}
        dates = {item for item in dates if item[0] in uids}
    assert dates == expanded(data, uids)
