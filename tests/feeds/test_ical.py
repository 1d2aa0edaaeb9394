from datetime import UTC, date, datetime

import icalendar
import pytest
from django.urls import reverse

from diary import services
from diary.models import Event
from tests.factories import CategoryFactory, EventFactory, VenueFactory, local

pytestmark = pytest.mark.django_db


def download(client, event: Event) -> icalendar.Calendar:
    response = client.get(reverse("diary:event-ics", args=[event.slug]))
    assert response.status_code == 200
    assert not response.streaming
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{event.slug}.ics"'
    return icalendar.Calendar.from_ical(response.content)


def test_an_event_downloads_as_a_valid_calendar_with_its_identity(client, settings):
    venue = VenueFactory(name="Flagey", latitude="50.827600", longitude="4.372200")
    event = EventFactory(title="Jazz; night, live", venue=venue, start=local(2026, 12, 1, 19))
    calendar = download(client, event)
    assert calendar["PRODID"] == "-//City agenda//Event diary//EN"
    assert calendar["VERSION"] == "2.0"
    [vevent] = calendar.walk("VEVENT")
    assert vevent["UID"] == event.uid
    assert vevent["SEQUENCE"] == 0
    assert str(vevent["SUMMARY"]) == "Jazz; night, live"
    assert vevent.decoded("DTSTART") == local(2026, 12, 1, 19)
    assert vevent["DTSTART"].params["TZID"] == "Europe/Brussels"
    assert vevent["URL"] == settings.SITE_URL + event.get_absolute_url()  # canonical
    assert "Flagey" in vevent["LOCATION"]
    assert vevent["GEO"].latitude == pytest.approx(50.8276)
    assert vevent["STATUS"] == "CONFIRMED"
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Brussels"]


def test_a_recurring_event_keeps_its_rule_with_until_in_utc(client):
    event = EventFactory(
        start=local(2026, 3, 22, 19),
        rrule="FREQ=WEEKLY;UNTIL=20260419",
        exdates=["2026-04-05"],
        rdates=["2026-04-01T20:00"],
    )
    [vevent] = download(client, event).walk("VEVENT")
    assert vevent["RRULE"]["FREQ"] == ["WEEKLY"]
    # 19 April 23:59:59 in Brussels (summer time) is 21:59:59 UTC.
    assert vevent["RRULE"]["UNTIL"] == [datetime(2026, 4, 19, 21, 59, 59, tzinfo=UTC)]
    assert [d.dt for d in vevent["EXDATE"].dts] == [local(2026, 4, 5, 19)]
    assert [d.dt for d in vevent["RDATE"].dts] == [local(2026, 4, 1, 20)]


def test_an_all_day_event_uses_dates(client):
    event = EventFactory(start=local(2026, 5, 3), end=local(2026, 5, 5), all_day=True)
    [vevent] = download(client, event).walk("VEVENT")
    assert vevent.decoded("DTSTART") == date(2026, 5, 3)
    assert vevent.decoded("DTEND") == date(2026, 5, 5)


def test_a_cancelled_event_says_so_with_a_higher_sequence(client):
    event = services.event_cancel(event=Event.objects.get(pk=EventFactory().pk))
    [vevent] = download(client, event).walk("VEVENT")
    assert vevent["STATUS"] == "CANCELLED"
    assert vevent["SEQUENCE"] == 1


def test_the_description_is_plain_text(client):
    event = EventFactory(summary="", description="<p>Bring a <em>chair</em> &amp; a coat</p>")
    [vevent] = download(client, event).walk("VEVENT")
    assert str(vevent["DESCRIPTION"]).startswith("Bring a chair & a coat")


# RFC 7986: what a calendar can show beyond RFC 5545.


def test_the_feed_gives_the_category_colour_the_picture_and_its_own_address(client, settings):
    from tests.diary.test_images import jpeg

    event = EventFactory(
        category=CategoryFactory(slug="music", name="Music"),
        venue=VenueFactory(name="Flagey"),
        image=jpeg((1200, 900)),
    )
    calendar = icalendar.Calendar.from_ical(client.get("/feeds/events.ics?lang=fr").content)
    assert str(calendar["SOURCE"]) == settings.SITE_URL + "/feeds/events.ics?lang=fr"
    assert calendar["SOURCE"].params["VALUE"] == "URI"
    assert str(calendar["NAME"]) == str(calendar["X-WR-CALNAME"])
    [vevent] = calendar.walk("VEVENT")
    assert str(vevent["COLOR"]) == "midnightblue"  # a CSS3 name, as RFC 7986 asks
    image = vevent["IMAGE"]
    assert image.params["DISPLAY"] == "BADGE"
    assert image.params["FMTTYPE"] == "image/jpeg"
    assert str(image).startswith(settings.SITE_URL) and str(image).endswith(".jpg")
    assert str(vevent["LOCATION"]).startswith("Flagey")
    assert "CONFERENCE" not in vevent
    assert event.uid == str(vevent["UID"])


def test_an_online_event_is_a_conference_not_a_place(client):
    event = EventFactory(venue=None, online_url="https://stream.example.org/live")
    [vevent] = download(client, event).walk("VEVENT")
    assert "LOCATION" not in vevent
    conference = vevent["CONFERENCE"]
    assert str(conference) == "https://stream.example.org/live"
    assert (conference.params["VALUE"], conference.params["FEATURE"]) == ("URI", "VIDEO")
    assert "Online: https://stream.example.org/live" in str(vevent["DESCRIPTION"])


@pytest.mark.parametrize("status", [Event.Status.POSTPONED, Event.Status.MOVED_ONLINE])
def test_a_postponed_or_moved_event_keeps_its_status_from_feed_to_import(client, status):
    """STATUS says TENTATIVE or CONFIRMED; X-EVENT-STATUS (schema.org's names) says the rest,
    and import_ics reads it back."""
    from feeds.importers import import_calendar

    event = EventFactory(status=status, online_url="https://stream.example.org/live")
    data = client.get(reverse("diary:event-ics", args=[event.slug])).content
    report = import_calendar(data, source="https://other.example/agenda.ics", publish=True)
    assert report.created == 1, report.errors
    copy = Event.objects.exclude(pk=event.pk).get()
    assert copy.status == status
    assert copy.online_url == "https://stream.example.org/live"
