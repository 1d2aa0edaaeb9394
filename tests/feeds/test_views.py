from datetime import UTC, datetime, timedelta

import icalendar
import pytest
import recurring_ical_events
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from diary import catalogue, services
from diary.demo import demo_city_seed
from diary.models import Event, Occurrence
from tests.factories import CategoryFactory, EventFactory, VenueFactory, local

pytestmark = pytest.mark.django_db


def body(response) -> bytes:
    assert response.status_code == 200, response
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def parse(response) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(body(response))


def uids(response) -> set[str]:
    return {str(v["UID"]) for v in parse(response).walk("VEVENT")}


def test_the_feed_answers_the_agendas_own_query_string(client):
    music = CategoryFactory(slug="music", name="Music")
    gig = EventFactory(category=music, is_free=True)
    EventFactory(category=music, price_min=10)
    EventFactory(category=CategoryFactory(slug="film", name="Film"), is_free=True)
    assert uids(client.get("/feeds/events.ics?category=music&free=true")) == {gig.uid}


def test_a_recurring_event_is_exported_once_with_its_rule(client):
    event = EventFactory(rrule="FREQ=WEEKLY;COUNT=5")
    [vevent] = parse(client.get("/feeds/events.ics")).walk("VEVENT")
    assert vevent["UID"] == event.uid
    assert vevent["RRULE"]["COUNT"] == [5]


def test_the_feed_keeps_the_last_seven_days_and_never_unpublished_events(client):
    now = timezone.now()
    recent = EventFactory(start=now - timedelta(days=5), status=Event.Status.CANCELLED)
    EventFactory(start=now - timedelta(days=10))
    EventFactory(publication_state=Event.PublicationState.PENDING)
    EventFactory(publication_state=Event.PublicationState.REJECTED)
    calendar = parse(client.get("/feeds/events.ics"))
    [vevent] = calendar.walk("VEVENT")
    assert (vevent["UID"], vevent["STATUS"]) == (recent.uid, "CANCELLED")


@pytest.mark.parametrize("query", ["start=2026-13-45", "category=nope", "free=maybe"])
def test_a_bad_parameter_gets_a_400_that_names_it(client, query):
    response = client.get(f"/feeds/events.ics?{query}")
    assert response.status_code == 400
    assert query.split("=")[0] + ":" in response.content.decode()


def test_venue_and_category_shortcuts(client):
    flagey = VenueFactory(slug="flagey", name="Studio4")
    music = CategoryFactory(slug="music", name="Music")
    at_flagey = EventFactory(venue=flagey, category=CategoryFactory(slug="film", name="Film"))
    gig = EventFactory(category=music)
    response = client.get("/feeds/venues/flagey.ics")
    assert uids(response) == {at_flagey.uid}
    assert uids(client.get("/feeds/categories/music.ics")) == {gig.uid}
    assert client.get("/feeds/venues/nowhere.ics").status_code == 404
    assert client.get("/feeds/categories/nothing.ics").status_code == 404
    assert client.get("/feeds/venues/flagey.ics?free=maybe").status_code == 400
    # The agenda's venue box takes a name; a feed's address is the venue's slug alone.
    assert client.get("/feeds/venues/studio4.ics").status_code == 404
    assert client.get("/feeds/venues/flagey.ics?venue=elsewhere").status_code == 200
    assert parse(client.get("/feeds/venues/flagey.ics"))["X-WR-CALNAME"] == "Studio4"


def test_the_calendar_describes_itself(client):
    music = CategoryFactory(slug="music", name="Music")
    EventFactory(category=music, is_free=True)
    calendar = parse(client.get("/feeds/events.ics?category=music&free=true&when=month"))
    assert calendar["NAME"] == "Event Diary: Music · this month · free"
    assert calendar["X-WR-CALNAME"] == calendar["NAME"]
    assert calendar["X-WR-TIMEZONE"] == "Europe/Brussels"
    assert calendar["REFRESH-INTERVAL"].dt == timedelta(hours=3)
    assert calendar["REFRESH-INTERVAL"].params["VALUE"] == "DURATION"
    assert calendar["X-PUBLISHED-TTL"].to_ical() == b"PT3H"
    assert calendar["PRODID"] == "-//City agenda//Event diary//EN"


@time_machine.travel(datetime(2026, 11, 20, 12, tzinfo=UTC), tick=False)
def test_there_is_one_vtimezone_for_every_tzid_used(client):
    EventFactory()
    EventFactory(timezone="America/New_York", start=local(2026, 12, 1, 19))
    EventFactory(all_day=True, timezone="Asia/Tokyo")  # all-day: dates, no TZID
    calendar = parse(client.get("/feeds/events.ics"))
    used = {
        vevent["DTSTART"].params["TZID"]
        for vevent in calendar.walk("VEVENT")
        if "TZID" in vevent["DTSTART"].params
    }
    assert used == {"Europe/Brussels", "America/New_York"}
    assert {str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")} >= used


def test_lines_end_in_crlf_and_fold_at_75_octets_even_inside_a_character(client):
    EventFactory(
        title="Jazz, blues; and more\nsecond line 🎷" + " é" * 60,
        description="<p>" + "Ça commence 🎉, très tôt; " * 10 + "</p>",
    )
    raw = body(client.get("/feeds/events.ics"))
    lines = raw.split(b"\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert max(len(line) for line in lines) <= 75
    for line in lines:
        line.decode("utf-8")  # no line ends in the middle of a character
    [vevent] = icalendar.Calendar.from_ical(raw).walk("VEVENT")
    # A title is one line (a line break stored before titles refused them reads as a space).
    assert str(vevent["SUMMARY"]) == "Jazz, blues; and more second line 🎷" + " é" * 60
    assert b"SUMMARY;LANGUAGE=en:Jazz\\, blues\\; and more second line" in raw.replace(
        b"\r\n ", b""
    )
    assert "Ça commence 🎉, très tôt;" in str(vevent["DESCRIPTION"])


def test_the_same_data_gives_the_same_bytes_and_a_304(client):
    EventFactory(rrule="FREQ=WEEKLY;COUNT=3")
    first = client.get("/feeds/events.ics")
    assert body(first) == body(client.get("/feeds/events.ics"))
    assert first["ETag"].startswith('"')
    assert "public" in first["Cache-Control"] and "max-age=900" in first["Cache-Control"]
    again = client.get("/feeds/events.ics", headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304
    assert again.content == b""
    since = client.get("/feeds/events.ics", headers={"If-Modified-Since": first["Last-Modified"]})
    assert since.status_code == 304


def test_a_change_changes_the_etag(client):
    event = EventFactory()
    etag = client.get("/feeds/events.ics")["ETag"]
    event = Event.objects.get(pk=event.pk)
    event.title = "Renamed"
    services.event_save(event=event)
    response = client.get("/feeds/events.ics", headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert response["ETag"] != etag


@pytest.mark.usefixtures("still_clock")
def test_a_poll_of_unchanged_data_is_a_304_without_a_query(
    client, settings, django_assert_num_queries
):
    """Calendar apps poll for years: a feed's validators are remembered for the data
    version, so a poll of unchanged data runs no query at all (without the response cache,
    which would answer it before the view). A change elsewhere in the city moves the
    version but not this feed's ETag: the first poll after it checks with one aggregate."""
    settings.DIARY_CACHE_RESPONSES = False
    music = CategoryFactory(slug="music")
    EventFactory.create_batch(3, category=music)
    elsewhere = EventFactory(title="A play", category=CategoryFactory(slug="theatre"))
    path = "/feeds/categories/music.ics"
    first = client.get(path)
    etag = first["ETag"]
    with django_assert_num_queries(0):
        again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert (again["ETag"], again["Last-Modified"]) == (etag, first["Last-Modified"])
    assert "max-age=900" in again["Cache-Control"]
    elsewhere.title = "Another play"
    services.event_save(event=elsewhere)
    with django_assert_num_queries(2):  # the filter's check of the category, the aggregate
        assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    with django_assert_num_queries(0):
        assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/feeds/categories/nothing.ics").status_code == 404  # never remembered


@time_machine.travel(datetime(2026, 11, 20, 12, tzinfo=UTC), tick=False)
def test_uids_stay_and_the_sequence_rises_when_the_time_changes(client):
    event = EventFactory(start=local(2026, 12, 1, 19))
    [before] = parse(client.get("/feeds/events.ics")).walk("VEVENT")
    event = Event.objects.get(pk=event.pk)
    event.start = local(2026, 12, 1, 20)
    event.end = local(2026, 12, 1, 22)
    services.event_save(event=event)
    [after] = parse(client.get("/feeds/events.ics")).walk("VEVENT")
    assert after["UID"] == before["UID"] == event.uid
    assert (before["SEQUENCE"], after["SEQUENCE"]) == (0, 1)
    assert after.decoded("DTSTART") == local(2026, 12, 1, 20)


def test_a_venue_rename_reaches_the_feed(client):
    venue = VenueFactory(name="Old name")
    EventFactory(venue=venue)
    client.get("/feeds/events.ics")
    venue.name = "New name"
    catalogue.shown_save(obj=venue)
    [vevent] = parse(client.get("/feeds/events.ics")).walk("VEVENT")
    assert str(vevent["LOCATION"]).startswith("New name")


def test_feeds_run_a_constant_number_of_queries(client, django_assert_max_num_queries):
    from django.core.cache import cache

    demo_city_seed(events=10, venues=18, seed=5)
    body(client.get("/feeds/events.ics"))  # renders and stores every VEVENT once
    cache.clear()
    # Validators, time zones, the events nearest first, their texts (a batch: the size
    # budget bounds how many batches a feed reads).
    with django_assert_max_num_queries(4):
        body(client.get("/feeds/events.ics"))
    demo_city_seed(events=300, venues=18, seed=5)
    body(client.get("/feeds/events.ics"))
    cache.clear()
    with django_assert_max_num_queries(4):
        response = client.get("/feeds/events.ics")
        assert len(uids(response)) > 200


def test_each_vevent_is_rendered_once_and_stored():
    from feeds.ical import vevent_bytes

    EventFactory.create_batch(3)
    events = Event.objects.order_by("pk")
    assert set(events.values_list("ical_en", flat=True)) == {""}
    first = b"".join(vevent_bytes(events, "en"))
    stored = list(Event.objects.order_by("pk").values_list("ical_en", flat=True))
    assert all(text.startswith("BEGIN:VEVENT") for text in stored)
    assert first == "".join(stored).encode()
    assert set(events.values_list("ical_nl", flat=True)) == {""}  # each language its own
    b"".join(vevent_bytes(events, "nl"))
    event = Event.objects.first()
    event.title = "Renamed"
    event.save()
    stored = Event.objects.get(pk=event.pk)
    assert (stored.ical_en, stored.ical_nl) == ("", "")  # a save clears them


def feed_writes(client, path: str = "/feeds/events.ics") -> tuple[bytes, list[str]]:
    """A feed's body and the UPDATEs it ran (storing texts it had to render)."""
    from django.core.cache import cache

    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        content = body(client.get(path))
    return content, [q["sql"] for q in captured if q["sql"].startswith("UPDATE")]


def test_a_change_renders_its_events_texts_once_it_commits(
    client, django_capture_on_commit_callbacks
):
    """No subscriber waits for the calendar library: the write that changes an event, or
    the venue it shows, renders its texts again in every language once it commits."""
    flagey = VenueFactory(name="Flagey")
    with django_capture_on_commit_callbacks(execute=True):
        EventFactory.create_batch(3, venue=flagey)
    for texts in Event.objects.values_list("ical_en", "ical_fr", "ical_nl"):
        assert all(text.startswith("BEGIN:VEVENT") for text in texts)
    with django_capture_on_commit_callbacks(execute=True):
        flagey.name = "Flagey Studio 4"
        catalogue.shown_save(obj=flagey)
    assert all(
        "Flagey Studio 4" in text for text in Event.objects.values_list("ical_nl", flat=True)
    )
    content, writes = feed_writes(client)
    assert content.count(b"Flagey Studio 4") == 3
    assert writes == []  # the feed only reads


def test_a_change_too_large_to_render_at_once_leaves_its_texts_to_the_feeds(
    client, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr("diary.journal.RENDER_AT_ONCE", 2)
    flagey = VenueFactory(name="Flagey")
    with django_capture_on_commit_callbacks(execute=True):
        EventFactory.create_batch(3, venue=flagey)  # one change each: rendered
    with django_capture_on_commit_callbacks(execute=True):
        flagey.name = "Flagey Studio 4"
        catalogue.shown_save(obj=flagey)  # one change of three events: left to the feeds
    assert set(Event.objects.values_list("ical_en", flat=True)) == {""}
    content, writes = feed_writes(client)
    assert content.count(b"Flagey Studio 4") == 3
    assert len(writes) == 1  # rendered by the first feed, once


# Round trip: what a calendar app expands from the feed is what our database holds.


def expanded(calendar: icalendar.Calendar, start: datetime, end: datetime) -> set[tuple]:
    return {
        (str(component["UID"]), _utc(component.decoded("DTSTART")))
        for component in recurring_ical_events.of(calendar).between(start, end)
    }


def _utc(value) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.combine(value, datetime.min.time(), timezone.get_current_timezone()).astimezone(
        UTC
    )


def held(start: datetime, end: datetime) -> set[tuple]:
    return {
        (occurrence.event.uid, occurrence.start.astimezone(UTC))
        for occurrence in Occurrence.objects.public()
        .filter(start__lt=end, end__gt=start)
        .select_related("event")
    }


def test_a_calendar_app_expands_exactly_the_occurrences_we_hold(client):
    EventFactory(start=local(2026, 3, 1, 19), rrule="FREQ=WEEKLY;UNTIL=20261231")  # both DSTs
    EventFactory(start=local(2026, 3, 28, 2, 30), rrule="FREQ=DAILY;COUNT=4")  # the gap
    EventFactory(
        start=local(2026, 10, 20, 19),
        rrule="FREQ=WEEKLY;BYDAY=TU,TH;COUNT=8",
        exdates=["2026-10-27", "2026-11-05T19:00"],
        rdates=["2026-11-01T11:00"],
    )
    EventFactory(
        start=local(2026, 6, 5), end=local(2026, 6, 8), all_day=True, rrule="FREQ=MONTHLY;COUNT=6"
    )
    EventFactory(start=local(2026, 7, 3, 22), end=local(2026, 7, 4, 3))  # past midnight
    services.event_cancel(
        event=Event.objects.get(
            pk=EventFactory(start=local(2026, 9, 1, 20), rrule="FREQ=WEEKLY;COUNT=3").pk
        )
    )
    EventFactory(rrule="FREQ=WEEKLY;COUNT=3", publication_state=Event.PublicationState.PENDING)
    EventFactory(  # one date moved (RECURRENCE-ID)
        start=local(2026, 11, 3, 19),
        rrule="FREQ=WEEKLY;COUNT=4",
        overrides={"2026-11-10T19:00:00": {"start": "2026-11-11T20:30", "end": "2026-11-11T22:00"}},
    )
    EventFactory(  # an all-day date moved
        start=local(2026, 8, 1),
        all_day=True,
        rrule="FREQ=DAILY;COUNT=3",
        overrides={"2026-08-02": {"start": "2026-08-10", "end": "2026-08-12"}},
    )
    window = (local(2026, 1, 1), local(2027, 1, 1))
    calendar = parse(client.get("/feeds/events.ics?start=2026-01-01&end=2026-12-31"))
    assert expanded(calendar, *window) == held(*window)
    assert len(held(*window)) > 60
    assert any(start == local(2026, 11, 11, 20, 30) for _, start in held(*window))
