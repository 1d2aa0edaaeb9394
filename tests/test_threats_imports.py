"""Findings 1 and 12 of issue 29 (docs/security.md), as the attacker tried them, refused:
every imported event is somebody's source, and an import file costs a bounded amount."""

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from diary import services
from diary.models import Event
from feeds.importers import import_calendar
from tests.factories import EventFactory, OrganiserFactory, VenueFactory

pytestmark = pytest.mark.django_db


def day(offset: int) -> str:
    return (timezone.localdate() + timedelta(days=offset)).strftime("%Y%m%d")


def calendar(*events: str, name: str = "A calendar") -> bytes:
    body = "".join(events)
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Example//EN\r\n"
        f"X-WR-CALNAME:{name}\r\nX-WR-TIMEZONE:Europe/Brussels\r\n{body}END:VCALENDAR\r\n"
    ).encode()


def vevent(uid: str, title: str, *, offset: int = 20, extra: str = "") -> str:
    return (
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261101T120000Z\r\n"
        f"DTSTART;TZID=Europe/Brussels:{day(offset)}T190000\r\n"
        f"DTEND;TZID=Europe/Brussels:{day(offset)}T210000\r\nSUMMARY:{title}\r\n"
        f"{extra}END:VEVENT\r\n"
    )


def published_event_of_another_organiser() -> Event:
    event = EventFactory(
        title="Jazz at the Marni",
        venue=VenueFactory(name="Marni"),
        organiser=OrganiserFactory(),
        ticket_url="https://marni.example/tickets",
        publication_state=Event.PublicationState.PUBLISHED,
    )
    services.event_save(event=event)
    return Event.objects.get(pk=event.pk)


def as_it_was(event: Event) -> tuple:
    event.refresh_from_db()
    return (
        event.title,
        event.status,
        event.publication_state,
        event.ticket_url,
        event.venue_id,
        event.source,
        event.sequence,
        event.pending_change,
    )


# 1. An imported file takes over any event by its UID.


def test_1_a_file_naming_another_organisers_uid_cannot_cancel_its_event(tmp_path):
    victim = published_event_of_another_organiser()
    before = as_it_was(victim)
    path = tmp_path / "evil.ics"
    path.write_bytes(calendar(vevent(victim.uid, "Cancelled!", extra="STATUS:CANCELLED\r\n")))
    out = StringIO()

    call_command("import_ics", str(path), stdout=out, stderr=StringIO())

    assert as_it_was(victim) == before
    assert "1 with another event's UID" in out.getvalue()
    assert f"UID {victim.uid}): this UID is another event's" in out.getvalue()
    copy = Event.objects.exclude(pk=victim.pk).get()
    assert (copy.source_uid, copy.source) == (victim.uid, str(path))
    assert copy.uid != victim.uid  # a feed never carries one UID twice
    assert copy.publication_state == Event.PublicationState.PENDING
    assert copy.duplicate_of == victim  # for an editor, in the duplicates' queue


def test_1_a_trusted_organiser_vouches_for_its_own_events_not_for_a_stolen_uid(tmp_path):
    victim = published_event_of_another_organiser()
    before = as_it_was(victim)
    trusted = OrganiserFactory(is_trusted=True)
    path = tmp_path / "evil.ics"
    hijack = vevent(
        victim.uid, "Jazz at the Marni (new tickets)", offset=40,
        extra="URL:https://evil.test/tickets\r\n",
    )  # fmt: skip
    path.write_bytes(calendar(hijack))

    call_command("import_ics", str(path), organiser=trusted.email, stdout=StringIO())

    assert as_it_was(victim) == before
    copy = Event.objects.get(source_uid=victim.uid, source=str(path))
    assert copy.publication_state == Event.PublicationState.PENDING  # --publish neither
    assert copy.ticket_url == "https://evil.test/tickets"

    # The file again, without the event: only its own copy is called off.
    path.write_bytes(calendar(vevent("other@evil.test", "Something else")))
    out = StringIO()
    call_command("import_ics", str(path), organiser=trusted.email, stdout=out)
    assert as_it_was(victim) == before
    copy.refresh_from_db()
    assert copy.status == Event.Status.CANCELLED
    assert "1 cancelled" in out.getvalue()


def test_1_publish_does_not_publish_an_event_over_another_events_uid():
    victim = published_event_of_another_organiser()
    report = import_calendar(
        calendar(vevent(victim.uid, "Same UID")), source="https://evil.test/cal", publish=True
    )
    assert report.created == 1 and len(report.clashes) == 1
    copy = Event.objects.get(source="https://evil.test/cal")
    assert copy.publication_state == Event.PublicationState.PENDING


def test_1_importing_the_file_again_with_publish_still_does_not_publish_the_copy():
    """A cron job that imports a feed hourly with --publish: the copy it made over another
    event's UID, with the file's ticket address, still waits for an editor."""
    victim = published_event_of_another_organiser()
    data = calendar(vevent(victim.uid, "Jazz", extra="URL:https://evil.test/tickets\r\n"))
    for _ in range(3):
        import_calendar(data, source="https://evil.test/cal", publish=True)
    changed = calendar(vevent(victim.uid, "Jazz tonight", extra="URL:https://evil.test/t\r\n"))
    assert import_calendar(changed, source="https://evil.test/cal", publish=True).updated == 1
    copy = Event.objects.get(source="https://evil.test/cal")
    assert copy.publication_state == Event.PublicationState.PENDING
    assert copy.duplicate_of == victim
    assert not Event.objects.published().filter(pk=copy.pk).exists()


def test_1_two_real_calendars_that_share_uids_never_touch_each_other():
    """Two venues' exports of copied events: the same UIDs, each venue's own texts."""
    shared = ["copied-1@calendar.example", "copied-2@calendar.example"]
    flagey = calendar(
        vevent(shared[0], "Flagey: Brussels Jazz Weekend", offset=10),
        vevent(shared[1], "Flagey: Piano Day", offset=11),
        name="Flagey",
    )
    bozar = calendar(
        vevent(shared[0], "Bozar: Lunch concert", offset=12),
        vevent(shared[1], "Bozar: Film night", offset=13, extra="STATUS:CANCELLED\r\n"),
        vevent("bozar-own@bozar.example", "Bozar: Talk", offset=14),
        name="Bozar",
    )

    first = import_calendar(flagey, source="https://flagey.example/cal.ics", publish=True)
    second = import_calendar(bozar, source="https://bozar.example/cal.ics", publish=True)
    again = import_calendar(flagey, source="https://flagey.example/cal.ics", publish=True)

    assert (first.created, first.clashes) == (2, [])
    assert (second.created, len(second.clashes)) == (3, 2)
    assert (again.created, again.updated, again.unchanged, again.cancelled) == (0, 0, 2, 0)
    flagey_events = Event.objects.filter(source="https://flagey.example/cal.ics")
    assert sorted(flagey_events.values_list("title_en", "status", "uid")) == [
        ("Flagey: Brussels Jazz Weekend", "scheduled", shared[0]),
        ("Flagey: Piano Day", "scheduled", shared[1]),
    ]
    assert all(event.is_published for event in flagey_events)
    bozar_events = Event.objects.filter(source="https://bozar.example/cal.ics")
    assert sorted(bozar_events.values_list("source_uid", "title_en", "status")) == [
        ("bozar-own@bozar.example", "Bozar: Talk", "scheduled"),
        (shared[0], "Bozar: Lunch concert", "scheduled"),
        (shared[1], "Bozar: Film night", "cancelled"),
    ]
    # Bozar drops an event: only Bozar's is called off; a second import updates its own.
    changed = calendar(vevent(shared[0], "Bozar: Lunch concert (sold out)", offset=12))
    report = import_calendar(changed, source="https://bozar.example/cal.ics", publish=True)
    assert (report.updated, report.cancelled, report.clashes) == (1, 1, [])
    assert not flagey_events.filter(status="cancelled").exists()
    assert flagey_events.get(uid=shared[0]).title == "Flagey: Brussels Jazz Weekend"


def test_1_a_submitted_events_uid_in_a_file_leaves_the_submission_alone():
    submitted = published_event_of_another_organiser()  # sent through the form: no source
    assert submitted.source == ""
    before = as_it_was(submitted)
    import_calendar(
        calendar(vevent(submitted.uid, "Mine now", extra="STATUS:CANCELLED\r\n")),
        source="/srv/import/other.ics",
        organiser=OrganiserFactory(is_trusted=True),
    )
    assert as_it_was(submitted) == before


def test_1_the_organiser_named_vouches_only_for_its_own_events_of_the_source():
    """An editor gave one of the source's events to another organiser: an import that names
    a trusted organiser changes it only through moderation."""
    source = "https://venue.example/cal.ics"
    trusted = OrganiserFactory(is_trusted=True)
    import_calendar(
        calendar(vevent("a@venue.example", "Concert")), source=source, organiser=trusted
    )
    event = Event.objects.get(source=source)
    assert event.is_published
    Event.objects.filter(pk=event.pk).update(organiser=OrganiserFactory())

    import_calendar(
        calendar(vevent("a@venue.example", "Concert, new title")), source=source,
        organiser=trusted,
    )  # fmt: skip

    event.refresh_from_db()
    assert event.title == "Concert"  # the published version stays
    assert event.pending_change["fields"]["title_en"] == "Concert, new title"  # waits for an editor


def test_1_a_uid_taken_while_the_file_was_read_is_reported_as_a_clash(monkeypatch):
    """The batch insert fails on a UID taken meanwhile and the events go in one at a time:
    the copy made beside the other event is reported as the others are."""
    from feeds import importers

    victim = published_event_of_another_organiser()
    looked_up = []
    real = services.uids_held

    def not_yet(uids):  # as if the victim's event were saved just after this lookup
        looked_up.append(uids)
        return {} if len(looked_up) == 1 else real(uids)

    monkeypatch.setattr(importers.services, "uids_held", not_yet)
    report = import_calendar(
        calendar(vevent(victim.uid, "Same UID"), vevent("own@evil.test", "Own")),
        source="https://evil.test/cal",
    )
    assert report.created == 2
    assert len(report.clashes) == 1 and report.clashes[0].startswith(f"line 6 (UID {victim.uid})")
    assert as_it_was(victim)[0] == "Jazz at the Marni"


def test_1_events_imported_before_keep_their_identity(tmp_path):
    """The migration gave every imported event its source's UID: a new import finds it."""
    event = EventFactory(uid="old@venue.example", source="/srv/old.ics")
    Event.objects.filter(pk=event.pk).update(source_uid="old@venue.example")
    report = import_calendar(
        calendar(vevent("old@venue.example", "Renamed")), source="/srv/old.ics", publish=True
    )
    assert (report.created, report.updated, report.clashes) == (0, 1, [])
    assert Event.objects.get().title == "Renamed"


def test_1_a_calendar_that_moves_keeps_its_events_under_its_source_name(tmp_path):
    """`--source NAME` binds the events to a name, not to the file's path: the calendar
    read from another place updates them, and cancels none."""
    for folder, title in (("2026", "Concert"), ("2027", "Concert, new room")):
        (tmp_path / folder).mkdir()
        path = tmp_path / folder / "venue.ics"
        path.write_bytes(calendar(vevent("a@venue.example", title)))
        out = StringIO()
        call_command("import_ics", str(path), "--source", " venue ", "--publish", stdout=out)
    assert "0 created, 1 updated, 0 unchanged, 0 cancelled" in out.getvalue()
    event = Event.objects.get()
    assert (event.source, event.source_uid, event.title) == (
        "venue",
        "a@venue.example",
        "Concert, new room",
    )


# 9. A rule the parser chokes on aborted the whole import.


def test_9_one_bad_rule_never_aborts_an_import(tmp_path):
    path = tmp_path / "mixed.ics"
    path.write_bytes(
        calendar(
            vevent("a@t", "Ninety-ninth Monday", extra="RRULE:FREQ=MONTHLY;BYDAY=99MO\r\n"),
            vevent("b@t", "Until 9999", extra="RRULE:FREQ=DAILY;UNTIL=99991231T235959Z\r\n"),
            vevent("c@t", "A good one"),
        )
    )
    out, err = StringIO(), StringIO()
    call_command("import_ics", str(path), stdout=out, stderr=err)  # no CommandError
    assert Event.objects.get(source_uid="c@t").title == "A good one"
    for line, uid in ((6, "a@t"), (14, "b@t")):  # refused, with its line, or imported
        assert f"line {line} (UID {uid})" in err.getvalue() or Event.objects.filter(uid=uid)
    assert "Error" not in err.getvalue()  # no Python exception's name for the editor


def test_9_a_file_the_library_fails_on_is_reported_not_raised(tmp_path, caplog):
    """A VTIMEZONE whose parts icalendar cannot follow raised AttributeError from the parser:
    the import stopped with a traceback."""
    path = tmp_path / "odd.ics"
    path.write_bytes(
        calendar(
            "BEGIN:X\r\nTZID:Nowhere/Else\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\n"
            "TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n",
            vevent("a@t", "Concert", extra=""),
        )
    )
    out, err = StringIO(), StringIO()
    call_command("import_ics", str(path), stdout=out, stderr=err)  # no exception
    assert "could not be read as an iCalendar file" in err.getvalue()
    assert "1 with errors" in out.getvalue()


def test_9_an_unexpected_error_in_one_event_is_reported_and_the_rest_imported(monkeypatch):
    from feeds import importers

    row = importers.Reader.row

    def fails_once(self, component, line):
        if str(component.get("UID")) == "a@t":
            raise IndexError("list index out of range")
        return row(self, component, line)

    monkeypatch.setattr(importers.Reader, "row", fails_once)
    report = import_calendar(
        calendar(vevent("a@t", "Breaks"), vevent("b@t", "Fine")), source="x.ics"
    )
    assert report.created == 1
    assert report.errors == [f"line 6 (UID a@t): {importers.UNREADABLE}"]
    assert "IndexError" not in report.errors[0]  # the log has it; an editor could not use it


# 12. import_ics was bounded per event, not per file.


@pytest.mark.parametrize(
    ("component", "count", "message"),
    [
        ("VTIMEZONE", 101, "more than 100 VTIMEZONE components"),
        ("VEVENT", 50_001, "more than 50,000 VEVENT components"),
        ("VALARM", 150_001, "more than 150,000 components"),
    ],
)
def test_12_a_file_of_too_many_components_is_refused_before_it_is_parsed(
    component, count, message, monkeypatch
):
    import icalendar

    monkeypatch.setattr(
        icalendar.Calendar, "from_ical", lambda data: pytest.fail("the file was parsed")
    )
    data = calendar(f"BEGIN:{component}\r\nEND:{component}\r\n" * count)
    report = import_calendar(data, source="big.ics")
    assert len(report.errors) == 1 and message in report.errors[0]
    assert report.errors[0].endswith("split it.")


BEGIN_LINES = [
    "BEG\r\n IN:VTIMEZONE",  # folded, as RFC 5545 allows anywhere in a line
    "BEGIN\r\n\r\n :VTIMEZONE",  # icalendar folds over blank lines too
    "B\r\n\tEGIN:VTIME\r\n ZONE",
    'BEGIN;X-A="a:b":VTIMEZONE',  # parameters, one quoting a colon
    "begin:vtimezone",
    # icalendar strips a name of any whitespace at its ends, of spaces and tabs within, and
    # compares it in upper case ("ı".upper() is "I"); so does the count.
    "B E G I N:VTIMEZONE",
    "BEG\tIN:VTIMEZONE",
    "\x0cBEGIN:VTIMEZONE",
    "\u00a0BEGIN:VTIMEZONE",
    "BEGIN\x1c:VTIMEZONE",
    "BEG\u0131N:VTIMEZONE",
    "BEGIN:VT\u0131MEZONE",
]


@pytest.mark.parametrize("begin", BEGIN_LINES)
def test_12_a_begin_line_folded_or_with_parameters_is_still_counted(begin, monkeypatch):
    """The bounds were counted on raw lines: 60,000 VTIMEZONEs with folded begin lines
    (8.4 MB) passed them, and the parser took 16 s and 428 MB."""
    import icalendar

    one = calendar(f"{begin}\r\nTZID:Europe/Brussels\r\nEND:VTIMEZONE\r\n")
    assert [c.name for c in icalendar.Calendar.from_ical(one).subcomponents] == ["VTIMEZONE"]
    monkeypatch.setattr(
        icalendar.Calendar, "from_ical", lambda data: pytest.fail("the file was parsed")
    )
    data = calendar(f"{begin}\r\nTZID:Europe/Brussels\r\nEND:VTIMEZONE\r\n" * 101)
    report = import_calendar(data, source="big.ics")
    assert report.errors == ["The file holds more than 100 VTIMEZONE components: split it."]


def three_events() -> bytes:
    return calendar(
        vevent("u0@calendar.example", "Zero", offset=10),
        vevent("u1@calendar.example", "One", offset=11),
        vevent("u2@calendar.example", "Two", offset=12),
    )


@pytest.mark.parametrize(
    "begin",
    ["BEG\r\n IN:VEVENT", "BEGIN\r\n\r\n :VEVENT", "B\r\n\tEGIN:VEV\r\n ENT"],
)
def test_12_a_folded_begin_line_loses_no_event_and_cancels_none(begin):
    """Events were paired with their lines by counting raw begin lines: one folded begin
    line left the file's last event unread, and the import told subscribers it was off."""
    import_calendar(three_events(), source="https://venue.example/cal.ics")
    folded = three_events().replace(b"BEGIN:VEVENT", begin.encode(), 1)
    report = import_calendar(folded, source="https://venue.example/cal.ics")
    assert (report.unchanged, report.cancelled, report.errors) == (3, 0, [])
    assert not Event.objects.filter(status=Event.Status.CANCELLED).exists()


def test_12_an_error_names_the_line_its_event_begins_on_after_a_folded_one():
    data = three_events().replace(b"BEGIN:VEVENT", b"BEG\r\n IN:VEVENT", 1)
    data = data.replace(
        b"UID:u2@calendar.example\r\nDTSTAMP", b"UID:u2@calendar.example\r\nX-DTSTAMP"
    )
    data = re.sub(
        rb"(UID:u2@calendar.example\r\nX-DTSTAMP:[^\r]*\r\n)DTSTART[^\r]*\r\n", rb"\1", data
    )
    lines = data.split(b"\r\n")
    begins = lines.index(b"UID:u2@calendar.example")  # the line before it, counted from 1
    report = import_calendar(data, source="https://venue.example/cal.ics")
    assert report.errors == [
        f"line {begins} (UID u2@calendar.example): it has no start (DTSTART): give the event "
        "a date in its calendar"
    ]
    assert report.created == 2


def test_12_events_are_paired_with_their_lines_as_the_parser_reads_them():
    """A line the parser reads as a VEVENT's beginning and one it does not (its value is
    "VTODO:VEVENT") made the counts agree while the events did not: an error named the
    line of another event."""
    data = three_events().replace(b"BEGIN:VEVENT", b"B EGIN:VEVENT", 1)
    data = data.replace(
        b"END:VCALENDAR", b"BEGIN;X-A=b:VTODO:VEVENT\r\nEND:VTODO:VEVENT\r\nEND:VCALENDAR"
    )
    data = re.sub(
        rb"(UID:u2@calendar.example\r\n)DTSTAMP:[^\r]*\r\nDTSTART[^\r]*\r\n", rb"\1", data
    )
    begins = data.split(b"\r\n").index(b"UID:u2@calendar.example")  # the line before it
    report = import_calendar(data, source="https://venue.example/cal.ics")
    assert report.errors == [
        f"line {begins} (UID u2@calendar.example): it has no start (DTSTART): give the event "
        "a date in its calendar"
    ]


@given(
    st.lists(
        st.sampled_from(
            [
                "B",
                "b",
                "E",
                "e",
                "G",
                "I",
                "i",
                "\u0131",
                "N",
                "n",
                " ",
                "\t",
                "\x0c",
                "\u00a0",
                "\x1c",
                "\r\n ",
                "\r\n\r\n\t",
                "\n ",
                '"',
                ";",
                "X=1",
                ":",
                "\\",
            ]
        ),
        max_size=12,
    ),
    st.sampled_from(["VTIMEZONE", "vtimezone", "VT\u0131MEZONE", "VTIME\r\n ZONE", "VEVENT"]),
)
def test_12_the_count_and_the_parser_agree_on_every_begin_line(pieces, name):
    """Lines built of BEGIN's letters, whitespace, folds, quotes and delimiters: the bounds
    count as many VTIMEZONEs as icalendar makes (or the parser refuses the file)."""
    import icalendar

    from feeds.importers import components

    begin = "".join(pieces) + ":" + name
    data = calendar(f"{begin}\r\nTZID:Europe/Brussels\r\nEND:VTIMEZONE\r\n")
    try:
        parsed = icalendar.Calendar.from_ical(data)
    except ValueError:
        return  # the import reports the file unreadable: nothing is parsed twice
    made = [component.name for component in parsed.walk()]
    counted = [found for found, _line in components(data) if found]
    assert counted == made


@pytest.mark.parametrize(
    "uid, message",
    [
        ("x" * 250 + "@calendar.example", "a UID longer than 255 characters"),
        ("bad\x00@calendar.example", "a UID with control characters"),
    ],
)
def test_9_a_uid_no_column_can_hold_is_a_reported_line_not_an_aborted_import(uid, message):
    """PostgreSQL refused the 300-character UID (and a NUL in any query) in the middle of
    the import: the valid events of its batch were lost, the missing ones never cancelled."""
    source = "https://venue.example/cal.ics"
    import_calendar(calendar(vevent("kept@calendar.example", "Kept")), source=source)
    data = calendar(
        vevent("kept@calendar.example", "Kept"),
        vevent(uid, "Bad"),
        vevent("new@calendar.example", "New", offset=21),
    )
    report = import_calendar(data, source=source)
    assert (report.created, report.unchanged, report.cancelled) == (1, 1, 0)
    assert len(report.errors) == 1 and report.errors[0].endswith(message)
    assert set(Event.objects.values_list("source_uid", flat=True)) == {
        "kept@calendar.example",
        "new@calendar.example",
    }


def test_12_a_file_over_the_size_limit_is_refused(monkeypatch):
    from feeds import importers

    monkeypatch.setattr(importers, "MAX_BYTES", 1000)
    report = import_calendar(calendar(vevent("a@t", "x" * 1000)), source="big.ics")
    assert report.errors == ["The file is larger than 0 MB: split it."] or (
        "larger than" in report.errors[0]
    )
    assert not Event.objects.exists()


def test_12_rules_that_yield_nothing_spend_one_budget_for_the_whole_file(monkeypatch):
    """Twenty events whose rule never yields a date: each used to search to the limit
    (12 s); after a few the file's budget is spent and the rest are refused at once."""
    from diary import recurrence

    budgets = []

    class Watched(recurrence.WorkBudget):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            budgets.append(self)

    monkeypatch.setattr(recurrence, "WorkBudget", Watched)
    monkeypatch.setattr(recurrence, "MAX_WORK", 10_000)  # the same walk, ten times cheaper
    never = "RRULE:FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30\r\n"
    events = [vevent(f"{n}@t", f"Never {n}", extra=never) for n in range(20)]
    report = import_calendar(calendar(*events, vevent("ok@t", "Fine")), source="x.ics")

    assert report.created == 1 and len(report.errors) == 20
    [budget] = budgets
    assert budget.refusals == recurrence.FILE_REFUSALS
    spent = recurrence.FILE_WORK - budget.left
    assert spent <= (recurrence.FILE_REFUSALS + 1) * recurrence.MAX_WORK * 1.1
    assert "took all the work one import may spend" in report.errors[-1]
