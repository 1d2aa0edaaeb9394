"""The change journal: one row per write a reader could notice, and what derives from it."""

import contextlib

import pytest
from django.db import connection, transaction
from django.db.models import Max

from diary import catalogue, journal, services
from diary.models import Change, ChangedEvent, Event, Organiser
from feeds import ical
from feeds.importers import import_calendar
from tests.factories import (
    CategoryFactory,
    EventFactory,
    MunicipalityFactory,
    OrganiserFactory,
    TagFactory,
    VenueFactory,
)

pytestmark = pytest.mark.django_db


def conditional_get(client, url: str, etag: str):
    return client.get(url, HTTP_IF_NONE_MATCH=etag)


def touched(change: Change) -> set[str]:
    return set(change.events.values_list("uid", flat=True))


@pytest.mark.parametrize(
    ("url", "rename"),
    [
        ("/feeds/events.ics", "category"),
        ("/feeds/categories/music.ics", "category"),
        ("/feeds/events.ics", "municipality"),
        ("/feeds/events.ics", "venue"),
    ],
)
def test_a_rename_reaches_calendar_apps_that_hold_the_feed(client, url, rename):
    event = EventFactory(category=CategoryFactory(slug="music", name="Music"))
    first = client.get(url)
    etag = first["ETag"]
    assert conditional_get(client, url, etag).status_code == 304
    shown = {
        "category": event.category,
        "municipality": event.venue.municipality,
        "venue": event.venue,
    }[rename]
    shown.name = "Renamed for calendars"
    catalogue.shown_save(obj=shown)
    fresh = conditional_get(client, url, etag)
    assert fresh.status_code == 200
    assert fresh["ETag"] != etag
    assert b"Renamed for calendars" in fresh.content.replace(b"\r\n ", b"")  # unfolded


def test_a_change_no_event_shows_leaves_the_feeds_validators(client):
    event = EventFactory()
    etag = client.get("/feeds/events.ics")["ETag"]
    version = journal.data_version()
    event.venue.website = "https://venue.example/"
    catalogue.shown_save(obj=event.venue)
    assert conditional_get(client, "/feeds/events.ics", etag).status_code == 304
    assert journal.data_version() != version  # the venue's page shows it


def test_an_unchanged_save_records_nothing():
    venue = VenueFactory()
    rows = Change.objects.count()
    catalogue.shown_save(obj=venue)
    catalogue.shown_save(obj=CategoryFactory(slug="circus", name="Circus"))
    assert Change.objects.count() == rows + 1  # the new category, nothing for the venue


def test_a_category_rename_touches_its_public_events_only():
    music = CategoryFactory(slug="music", name="Music")
    public = EventFactory(category=music)
    EventFactory(category=music, publication_state=Event.PublicationState.PENDING)
    music.name = "Live music"
    catalogue.shown_save(obj=music)
    change = Change.objects.first()
    assert (change.action, change.fields) == ("edited", ["name_en"])
    assert touched(change) == {public.uid}
    public.refresh_from_db()
    assert public.last_change == change and public.changed == change.at
    assert "live music" in public.search_text


def test_a_tag_rename_touches_events_only_when_their_data_shows_it():
    tag = TagFactory(slug="jazz", name="Jazz")
    event = EventFactory(tags=[tag])
    tag.name = "All that jazz"
    catalogue.shown_save(obj=tag)
    assert touched(Change.objects.first()) == set()  # the API shows slugs
    tag.slug = "all-that-jazz"
    catalogue.shown_save(obj=tag)
    assert touched(Change.objects.first()) == {event.uid}


def test_edits_of_an_event_no_reader_saw_are_not_journalled():
    event = EventFactory(publication_state=Event.PublicationState.PENDING)
    rows = Change.objects.count()
    event.title = "Still pending"
    services.event_save(event=event)
    assert Change.objects.count() == rows


def test_each_action_is_named_as_a_reader_sees_it(mailoutbox):
    event = EventFactory(publication_state=Event.PublicationState.PENDING)
    services.event_publish(event=event)
    services.event_cancel(event=event)
    services.event_reinstate(event=event)
    event.title = "New title"
    services.event_save(event=event)
    services.event_reject(event=event, reason="Spam")
    uid, pk = event.uid, event.pk
    services.event_delete(
        event=Event.objects.get(pk=pk)
    )  # the admin's delete: no longer public, not journalled
    actions = list(
        ChangedEvent.objects.filter(uid=uid).order_by("id").values_list("change__action", flat=True)
    )
    assert actions == ["published", "cancelled", "status", "edited", "withdrawn"]


def test_deleting_a_public_event_keeps_its_id_and_uid_in_the_journal():
    event = EventFactory()
    pk, uid = event.pk, event.uid
    services.event_delete(event=event)
    change = Change.objects.first()
    assert change.action == "deleted"
    assert list(change.events.values_list("event_pk", "uid")) == [(pk, uid)]


def test_a_feed_never_stores_a_vevent_rendered_from_an_older_version():
    event = EventFactory(title="Before")
    read = Event.objects.get(pk=event.pk)  # what a feed request read
    event.title = "After"
    services.event_save(event=event)  # written meanwhile
    ical.ical_store([read], {read.pk: "BEGIN:VEVENT\r\nSUMMARY:Before\r\nEND:VEVENT\r\n"}, "en")
    assert Event.objects.get(pk=event.pk).ical_en == ""
    current = Event.objects.get(pk=event.pk)
    ical.ical_store([current], {current.pk: "rendered from the current version"}, "nl")
    stored = Event.objects.get(pk=event.pk)
    assert (stored.ical_en, stored.ical_nl) == ("", "rendered from the current version")


def test_the_data_version_is_the_journals_last_row(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        EventFactory()
    last = Change.objects.aggregate(last=Max("id"))["last"]
    assert journal.data_version() == str(last)


def test_each_door_is_recorded(client, admin_client):
    trusted = OrganiserFactory(is_trusted=True)
    token = trusted.tokens.create()
    event = EventFactory(organiser=trusted)
    response = client.patch(
        f"/api/v1/events/{event.pk}/",
        {"title": "Through the API"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token.key}",
    )
    assert response.status_code == 200
    assert Change.objects.first().door == "api"
    municipality = MunicipalityFactory()
    admin_client.post(
        f"/admin/venues/municipality/{municipality.pk}/change/",
        {"name_en": "Renamed in the admin", "slug": municipality.slug},
    )
    assert Change.objects.first().door == "admin"
    import_calendar(
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:test\r\nBEGIN:VEVENT\r\nUID:door@test\r\n"
        b"DTSTART:20270105T190000Z\r\nSUMMARY:Imported\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        source="test.ics",
        publish=True,
    )
    assert Change.objects.first().door == "import"
    assert Organiser.objects.count() == 1


def test_a_rolled_back_change_never_lends_its_version_to_the_next():
    """SQLite hands a rolled-back id out again: the version a change shows while it is
    written must still never come back, or what was cached under it would be served."""

    class Undone(Exception):
        pass

    with contextlib.suppress(Undone), transaction.atomic():
        undone = journal.record(action="edited", subject="undone")
        seen = journal.data_version()
        raise Undone
    kept = journal.record(action="edited", subject="kept")
    assert journal.data_version() != seen
    if connection.vendor == "sqlite":
        assert kept.pk == undone.pk  # the case this guards against
