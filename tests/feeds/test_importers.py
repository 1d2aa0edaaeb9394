"""import_ics with files shaped like real exports, served from 127.0.0.1."""

import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count
from django.utils import timezone

from diary.models import Change, Event
from tests.factories import OrganiserFactory, VenueFactory, local

pytestmark = pytest.mark.django_db

GOOGLE = """BEGIN:VCALENDAR
PRODID:-//Google Inc//Google Calendar 70.9054//EN
VERSION:2.0
CALSCALE:GREGORIAN
METHOD:PUBLISH
X-WR-CALNAME:Collectif Canal
X-WR-TIMEZONE:Europe/Brussels
BEGIN:VTIMEZONE
TZID:Europe/Brussels
X-LIC-LOCATION:Europe/Brussels
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
BEGIN:VEVENT
DTSTART;TZID=Europe/Brussels:20261006T190000
DTEND;TZID=Europe/Brussels:20261006T210000
RRULE:FREQ=WEEKLY;WKST=MO;UNTIL=20261110T175959Z;BYDAY=TU
EXDATE;TZID=Europe/Brussels:20261020T190000
DTSTAMP:20261101T120000Z
UID:7kukuqrkh9gqb3b5ji9tk5dfh0@google.com
CREATED:20260901T100000Z
DESCRIPTION:Weekly repair café.\\nBring your broken things!
LAST-MODIFIED:20260915T100000Z
LOCATION:Recyclart\\, Rue de Manchester 13-15\\, 1080 Molenbeek-Saint-Jean
SEQUENCE:0
STATUS:CONFIRMED
SUMMARY:Repair Café
TRANSP:OPAQUE
END:VEVENT
BEGIN:VEVENT
DTSTART;TZID=Europe/Brussels:20261028T200000
DTEND;TZID=Europe/Brussels:20261028T220000
DTSTAMP:20261101T120000Z
UID:7kukuqrkh9gqb3b5ji9tk5dfh0@google.com
RECURRENCE-ID;TZID=Europe/Brussels:20261027T190000
SUMMARY:Repair Café (on Wednesday this time)
SEQUENCE:1
STATUS:CONFIRMED
END:VEVENT
BEGIN:VEVENT
DTSTART;TZID=Europe/Brussels:20261103T190000
DTEND;TZID=Europe/Brussels:20261103T210000
DTSTAMP:20261101T120000Z
UID:7kukuqrkh9gqb3b5ji9tk5dfh0@google.com
RECURRENCE-ID;TZID=Europe/Brussels:20261103T190000
SUMMARY:Repair Café
STATUS:CANCELLED
END:VEVENT
BEGIN:VEVENT
DTSTART;VALUE=DATE:20261212
DTEND;VALUE=DATE:20261214
DTSTAMP:20261101T120000Z
UID:1abcdefghijk@google.com
SUMMARY:Winter market weekend
LOCATION:Tour & Taxis
END:VEVENT
END:VCALENDAR
"""

OUTLOOK = """BEGIN:VCALENDAR
PRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN
VERSION:2.0
METHOD:PUBLISH
X-MS-OLK-FORCEINSPECTOROPEN:TRUE
BEGIN:VTIMEZONE
TZID:Romance Standard Time
BEGIN:STANDARD
DTSTART:16011028T030000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010325T020000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
CLASS:PUBLIC
CREATED:20260910T080000Z
DESCRIPTION:Monthly talk on the smart city.\\n
DTEND;TZID="Romance Standard Time":20261015T203000
DTSTAMP:20260910T080000Z
DTSTART;TZID="Romance Standard Time":20261015T190000
LAST-MODIFIED:20260910T080000Z
LOCATION:Bozar
PRIORITY:5
RRULE:FREQ=MONTHLY;COUNT=3;BYDAY=3TH
RDATE;TZID="Romance Standard Time":20261230T180000
SEQUENCE:0
SUMMARY;LANGUAGE=en-gb:Smart City Talks
TRANSP:OPAQUE
UID:040000008200E00074C5B7101A82E00800000000D0E1B2C3D4E5F60100000000000000001000
 0000ABCDEF
X-MICROSOFT-CDO-BUSYSTATUS:BUSY
END:VEVENT
END:VCALENDAR
"""

MEETUP = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Meetup//RemoteApi//EN
CALSCALE:GREGORIAN
METHOD:PUBLISH
X-ORIGINAL-URL:https://www.meetup.example/brussels-python/events/ical/
X-WR-CALNAME:Events - Brussels Python Meetup
BEGIN:VEVENT
DTSTAMP:20261101T090000Z
DTSTART:20261203T180000Z
DTEND:20261203T200000Z
STATUS:CONFIRMED
SUMMARY:Python Meetup:\\n Django 6\\, async & more
DESCRIPTION:Brussels Python Meetup\\nThursday\\, December 3 at 7:00 PM\\n\\nTalks
 ; pizza; <script>alert(1)</script>
CLASS:PUBLIC
CREATED:20261020T090000Z
GEO:50.8276;4.3722
LOCATION:Flagey (Place Sainte-Croix\\, Ixelles)
URL:https://www.meetup.example/brussels-python/events/312345678/
LAST-MODIFIED:20261020T090000Z
UID:event_312345678@meetup.example
END:VEVENT
END:VCALENDAR
"""

MALFORMED = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Hand made//EN
BEGIN:VEVENT
UID:good@example.org
DTSTART:20261205T200000Z
SUMMARY:Good one
END:VEVENT
BEGIN:VEVENT
UID:no-start@example.org
SUMMARY:No start
END:VEVENT
BEGIN:VEVENT
UID:bad-date@example.org
DTSTART:20261341T190000
SUMMARY:Bad date
END:VEVENT
BEGIN:VEVENT
UID:bad-rule@example.org
DTSTART:20261205T200000Z
RRULE:FREQ=SOMETIMES
SUMMARY:Bad rule
END:VEVENT
END:VCALENDAR
"""


def crlf(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode()


@pytest.fixture
def served(tmp_path):
    """Write calendars into a folder served over HTTP from 127.0.0.1; returns their URLs."""
    handler = partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()

    def serve(name: str, text: str) -> str:
        (tmp_path / name).write_bytes(crlf(text))
        return f"http://127.0.0.1:{server.server_port}/{name}"

    yield serve
    server.shutdown()
    server.server_close()


def import_ics(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_ics", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def local_starts(event: Event) -> list[str]:
    return [
        timezone.localtime(start).strftime("%Y-%m-%d %H:%M")
        for start in event.occurrences.values_list("start", flat=True)
    ]


def test_a_google_export_keeps_its_rule_exceptions_and_moved_dates(served):
    VenueFactory(name="Recyclart")
    out, err = import_ics(served("google.ics", GOOGLE))
    assert "2 created, 0 updated, 0 unchanged, 0 cancelled, 0 with errors" in out
    assert err == ""
    repair = Event.objects.get(uid="7kukuqrkh9gqb3b5ji9tk5dfh0@google.com")
    assert repair.venue.name == "Recyclart"
    assert repair.timezone == "Europe/Brussels"
    # 20 Oct excluded, 27 Oct moved to Wednesday 28 at 20:00 (after the DST change),
    # 3 Nov cancelled, 10 Nov after UNTIL.
    assert local_starts(repair) == ["2026-10-06 19:00", "2026-10-13 19:00", "2026-10-28 20:00"]
    assert "Bring your broken things!" in repair.description
    market = Event.objects.get(uid="1abcdefghijk@google.com")
    assert market.all_day
    assert (market.start, market.end) == (local(2026, 12, 12), local(2026, 12, 14))


def test_outlook_windows_time_zone_names_are_understood(served):
    import_ics(served("outlook.ics", OUTLOOK))
    talk = Event.objects.get(title_en="Smart City Talks")
    assert talk.uid.startswith("040000008200E00074C5B7101A82E008")
    assert talk.timezone == "Europe/Paris"
    # The third Thursday, at 19:00 local time before and after the October DST change,
    # and one extra date (RDATE).
    assert local_starts(talk) == [
        "2026-10-15 19:00",
        "2026-11-19 19:00",
        "2026-12-17 19:00",
        "2026-12-30 18:00",
    ]


def test_a_meetup_feed_in_utc_with_escaped_text(served):
    VenueFactory(name="Flagey")
    import_ics(served("meetup.ics", MEETUP))
    event = Event.objects.get(uid="event_312345678@meetup.example")
    assert event.title == "Python Meetup: Django 6, async & more"  # a line break, dropped
    assert event.timezone == "UTC"
    assert local_starts(event) == ["2026-12-03 19:00"]
    assert event.venue.name == "Flagey"
    assert event.ticket_url == "https://www.meetup.example/brussels-python/events/312345678/"
    assert "<script>" not in event.description
    assert "&lt;script&gt;" in event.description


def test_imported_events_wait_for_moderation_unless_published(served):
    url = served("meetup.ics", MEETUP)
    import_ics(url)
    assert Event.objects.get().publication_state == Event.PublicationState.PENDING
    import_ics(url, "--publish")
    assert Event.objects.get().publication_state == Event.PublicationState.PUBLISHED


def test_a_trusted_organiser_is_published_at_once(served):
    OrganiserFactory(email="canal@example.org", is_trusted=True)
    import_ics(served("google.ics", GOOGLE), "--organiser", "canal@example.org")
    events = Event.objects.all()
    assert {e.publication_state for e in events} == {Event.PublicationState.PUBLISHED}
    assert {e.organiser.email for e in events} == {"canal@example.org"}


def test_importing_the_same_file_again_changes_nothing(served):
    url = served("google.ics", GOOGLE)
    import_ics(url, "--publish")
    before = list(Event.objects.order_by("uid").values_list("uid", "sequence", "updated"))
    occurrences = sorted(Event.objects.values_list("occurrences__pk", flat=True))
    out, _ = import_ics(url, "--publish")
    assert "0 created, 0 updated, 2 unchanged, 0 cancelled" in out
    assert list(Event.objects.order_by("uid").values_list("uid", "sequence", "updated")) == before
    assert sorted(Event.objects.values_list("occurrences__pk", flat=True)) == occurrences


def test_a_changed_time_updates_the_event_and_raises_its_sequence(served):
    import_ics(served("meetup.ics", MEETUP))
    out, _ = import_ics(served("meetup.ics", MEETUP.replace("T180000Z", "T183000Z")))
    assert "0 created, 1 updated" in out
    event = Event.objects.get()
    assert event.sequence == 1
    assert local_starts(event) == ["2026-12-03 19:30"]


def test_events_gone_from_the_source_are_cancelled_not_deleted(served):
    import_ics(served("google.ics", GOOGLE))
    without_market = GOOGLE.replace(GOOGLE[GOOGLE.rindex("BEGIN:VEVENT") :], "END:VCALENDAR\n")
    out, _ = import_ics(served("google.ics", without_market))
    assert "1 cancelled" in out
    market = Event.objects.get(uid="1abcdefghijk@google.com")
    assert market.status == Event.Status.CANCELLED
    assert market.sequence == 1
    # Another source's events are not touched.
    import_ics(served("meetup.ics", MEETUP))
    assert Event.objects.get(uid="event_312345678@meetup.example").status == "scheduled"
    assert Event.objects.filter(status="cancelled").count() == 1


def test_malformed_events_are_reported_with_their_line_and_the_rest_imported(served):
    out, err = import_ics(served("mixed.ics", MALFORMED))
    lines = MALFORMED.splitlines()
    begin = [n for n, line in enumerate(lines, start=1) if line == "BEGIN:VEVENT"]
    assert f"line {begin[1]} (UID no-start@example.org): it has no start (DTSTART)" in err
    assert f"line {begin[2]} (UID bad-date@example.org): its DTSTART line is not valid" in err
    assert f"line {begin[3]} (UID bad-rule@example.org):" in err
    assert "1 created, 0 updated, 0 unchanged, 0 cancelled, 3 with errors" in out
    assert list(Event.objects.values_list("uid", flat=True)) == ["good@example.org"]
    assert Event.objects.get().occurrences.count() == 1


def test_a_malformed_event_does_not_cancel_its_earlier_import(served):
    import_ics(served("meetup.ics", MEETUP))
    import_ics(served("meetup.ics", MEETUP.replace("DTSTART:20261203T180000Z", "DTSTART:2026")))
    assert Event.objects.get().status == Event.Status.SCHEDULED


def test_a_file_that_is_not_a_calendar_imports_and_cancels_nothing(served):
    import_ics(served("meetup.ics", MEETUP))
    out, err = import_ics(served("meetup.ics", "<html>Not found</html>"))
    assert "not an iCalendar file" in err
    assert "0 created, 0 updated, 0 unchanged, 0 cancelled" in out
    assert Event.objects.get().status == Event.Status.SCHEDULED


def test_an_unreachable_source_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="Could not read"):
        import_ics(str(tmp_path / "missing.ics"))
    with pytest.raises(CommandError, match="Could not read"):
        import_ics("http://127.0.0.1:9/nothing-listens-here.ics")


def test_a_local_file_imports_too(tmp_path):
    path = tmp_path / "meetup.ics"
    path.write_bytes(crlf(MEETUP))
    import_ics(str(path))
    assert Event.objects.get().source == str(path.resolve())


TOURS = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Museum//Tours//EN
BEGIN:VEVENT
UID:quarter@museum.example
DTSTART;TZID=Europe/Brussels:20270105T090000
DTEND;TZID=Europe/Brussels:20270105T091000
RRULE:FREQ=MINUTELY;INTERVAL=15;COUNT=6
SUMMARY:Tour every quarter hour
END:VEVENT
BEGIN:VEVENT
UID:ninety@museum.example
DTSTART;TZID=Europe/Brussels:20270105T090000
RRULE:FREQ=MINUTELY;INTERVAL=90;COUNT=4
SUMMARY:Tour every ninety minutes
END:VEVENT
BEGIN:VEVENT
UID:day@museum.example
DTSTART;TZID=Europe/Brussels:20270105T090000
DTEND;TZID=Europe/Brussels:20270105T091500
RRULE:FREQ=MINUTELY;INTERVAL=20;BYHOUR=9,10,11,12,13,14,15,16;UNTIL=20270105T160000Z
SUMMARY:Tour every twenty minutes
END:VEVENT
BEGIN:VEVENT
UID:endless@museum.example
DTSTART;TZID=Europe/Brussels:20200105T090000
RRULE:FREQ=MINUTELY
SUMMARY:Every minute since 2020
END:VEVENT
BEGIN:VEVENT
UID:seconds@museum.example
DTSTART;TZID=Europe/Brussels:20270105T090000
RRULE:FREQ=SECONDLY;COUNT=3
SUMMARY:Every second
END:VEVENT
END:VCALENDAR
"""


def test_minutely_rules_are_imported_with_their_dates_and_the_rest_reported(served):
    with time_machine.travel(local(2026, 12, 1, 12), tick=False):
        out, err = import_ics(served("tours.ics", TOURS))
    counts = dict(Event.objects.values_list("uid").annotate(dates=Count("occurrences")))
    assert counts == {
        "quarter@museum.example": 6,
        "ninety@museum.example": 4,
        "day@museum.example": 24,  # 9:00 to 16:40
    }
    lines = TOURS.splitlines()
    begin = [n for n, line in enumerate(lines, start=1) if line == "BEGIN:VEVENT"]
    assert f"line {begin[3]} (UID endless@museum.example):" in err
    assert f"line {begin[4]} (UID seconds@museum.example):" in err
    assert "3 created, 0 updated, 0 unchanged, 0 cancelled, 2 with errors" in out
    assert not Event.objects.filter(occurrences__isnull=True).exists()


def test_an_import_nobody_vouches_for_changes_a_published_event_only_through_moderation():
    from diary import services
    from feeds.importers import import_calendar

    calendar = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:t\r\nBEGIN:VEVENT\r\nUID:talk@club.example\r\n"
        "DTSTART:20270105T180000Z\r\nSUMMARY:{}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    untrusted = OrganiserFactory()
    import_calendar(calendar.format("Talk").encode(), source="club.ics", organiser=untrusted)
    event = services.event_publish(event=Event.objects.get())  # an editor approved it
    import_calendar(calendar.format("Spam").encode(), source="club.ics", organiser=untrusted)
    event = Event.objects.get()
    assert (event.title, event.is_published) == ("Talk", True)
    assert event.pending_change == {"fields": {"title_en": "Spam"}}
    # The operator's own word (--publish) applies it.
    import_calendar(calendar.format("Talk, new title").encode(), source="club.ics", publish=True)
    event = Event.objects.get()
    assert (event.title, event.pending_change) == ("Talk, new title", None)


def test_a_cancellation_in_an_unvouched_import_applies_at_once():
    from diary import services
    from feeds.importers import import_calendar

    calendar = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:t\r\nBEGIN:VEVENT\r\nUID:gig@club.example\r\n"
        "DTSTART:20270105T180000Z\r\nSUMMARY:{}\r\nSTATUS:{}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    import_calendar(calendar.format("Gig", "CONFIRMED").encode(), source="club.ics")
    services.event_publish(event=Event.objects.get())
    import_calendar(calendar.format("Gig!", "CANCELLED").encode(), source="club.ics")
    event = Event.objects.get()
    assert (event.title, event.status, event.is_published) == ("Gig", "cancelled", True)
    assert event.pending_change == {"fields": {"title_en": "Gig!"}}


def test_the_summarys_language_is_the_texts_language():
    from feeds.importers import import_calendar

    calendar = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:t\r\n"
        "BEGIN:VEVENT\r\nUID:a@t\r\nDTSTART:20270105T180000Z\r\n"
        "SUMMARY;LANGUAGE=fr-BE:Concert\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:b@t\r\nDTSTART:20270105T180000Z\r\n"
        "SUMMARY;LANGUAGE=de:Konzert\r\nEND:VEVENT\r\n"
        "END:VCALENDAR\r\n"
    )
    import_calendar(calendar.encode(), source="x.ics")
    assert dict(Event.objects.values_list("uid", "text_language")) == {"a@t": "fr", "b@t": "en"}


def test_progress_follows_the_events_and_is_quiet_off_a_terminal(served):
    from feeds.importers import import_calendar

    calls = []
    report = import_calendar(crlf(TOURS), source="tours", progress=lambda *c: calls.append(c))
    total = report.created + len(report.errors)  # every event read, saved or refused
    assert report.created > 1
    assert calls == [(done, total) for done in range(total + 1)]
    _out, err = import_ics(served("meetup.ics", MEETUP))
    assert "event/s" not in err and "%" not in err  # under cron: no bar


TWO_TALKS = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:t\r\n"
    b"BEGIN:VEVENT\r\nUID:one@club.example\r\nDTSTART:20270105T180000Z\r\nSUMMARY:One\r\n"
    b"END:VEVENT\r\nBEGIN:VEVENT\r\nUID:two@club.example\r\nDTSTART:20270112T180000Z\r\n"
    b"SUMMARY:Two\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


def test_an_import_renders_its_events_texts_together_when_it_ends(
    django_capture_on_commit_callbacks,
):
    """One batch at the end, not one render per event's transaction: a city's feed of
    thousands is not slowed by it (more than journal.RENDER_AT_ONCE are left to the feeds)."""
    from feeds.importers import import_calendar

    with django_capture_on_commit_callbacks() as callbacks:
        import_calendar(TWO_TALKS, source="club.ics", publish=True)
    for texts in Event.objects.values_list("ical_en", "ical_fr", "ical_nl"):
        assert all(text.startswith("BEGIN:VEVENT") for text in texts)
    assert len(callbacks) == 1  # the data version's (one change: a batch); no render left


def test_an_import_too_large_to_render_at_once_leaves_its_texts_to_the_feeds(monkeypatch):
    from feeds.importers import import_calendar

    monkeypatch.setattr("diary.journal.RENDER_AT_ONCE", 1)
    import_calendar(TWO_TALKS, source="club.ics", publish=True)
    assert set(Event.objects.values_list("ical_en", flat=True)) == {""}


def test_new_events_are_inserted_together_and_one_at_a_time_when_that_fails(monkeypatch):
    """A city's feed of thousands is inserted a thousand at a time (one change of the
    journal each); a slug or UID taken meanwhile sends that batch through the one-event path
    instead, which reports what it cannot save and saves the rest."""
    from django.db import IntegrityError

    from diary import services
    from feeds.importers import import_calendar

    report = import_calendar(TWO_TALKS, source="club.ics", publish=True)
    assert report.created == 2
    assert Change.objects.filter(subject="2 events").count() == 1
    Event.objects.all().delete()

    def taken_meanwhile(events, **kwargs):
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr(services, "events_import_new", taken_meanwhile)
    report = import_calendar(TWO_TALKS, source="club.ics", publish=True)
    assert (report.created, report.errors) == (2, [])
    assert sorted(Event.objects.values_list("slug", flat=True)) == ["one", "two"]
