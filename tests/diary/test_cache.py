"""Cached API lists and feeds: fast when nothing changed, never stale after a change."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from diary import services
from diary.cache import data_version
from diary.models import Event
from tests.factories import EventFactory, VenueFactory

pytestmark = pytest.mark.django_db

CACHED = ["/api/v1/occurrences/", "/api/v1/events/?category=music", "/feeds/events.ics"]


def fetch(client, path: str) -> bytes:
    response = client.get(path)
    assert response.status_code == 200
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.parametrize("path", CACHED)
def test_a_repeated_request_is_served_from_the_cache(client, path):
    EventFactory.create_batch(3)
    first = fetch(client, path)
    with CaptureQueriesContext(connection) as queries:
        again = fetch(client, path)
    assert again == first
    assert len(queries) == 0


@pytest.mark.parametrize("path", CACHED)
def test_the_cache_can_be_switched_off_to_measure_without_it(client, settings, path):
    settings.DIARY_CACHE_RESPONSES = False
    EventFactory.create_batch(3)
    fetch(client, path)
    with CaptureQueriesContext(connection) as queries:
        fetch(client, path)
    assert len(queries) > 0


@pytest.mark.parametrize(
    "change",
    [
        lambda event: services.event_cancel(event=event),
        lambda event: services.event_reject(event=event),
        lambda event: services.event_save(event=setattr(event, "title", "Renamed") or event),
        lambda event: EventFactory(title="Brand new"),
    ],
)
@pytest.mark.parametrize("path", CACHED)
def test_any_change_is_visible_at_once(client, path, change):
    event = Event.objects.get(pk=EventFactory(title="Original").pk)
    before = fetch(client, path)
    version = data_version()
    change(event)
    assert data_version() != version
    assert fetch(client, path) != before


def test_a_venue_change_is_visible_at_once(client, admin_client):
    venue = VenueFactory(name="Old name", slug="old")
    EventFactory(venue=venue)
    assert b"Old name" in fetch(client, "/api/v1/occurrences/")
    admin_client.post(
        f"/admin/venues/venue/{venue.pk}/change/",
        {
            "name": "New name",
            "slug": "old",
            "street_address": "",
            "postal_code": "",
            "website": "",
            "description": "",
        },
    )
    assert b"New name" in fetch(client, "/api/v1/occurrences/")


def test_time_moves_the_default_window_even_without_changes(client, time_machine):
    time_machine.move_to(timezone.now())
    EventFactory(start=timezone.now() + timedelta(minutes=30), end=None, title="Soon")
    assert b"Soon" in fetch(client, "/api/v1/occurrences/")
    time_machine.shift(timedelta(hours=2))
    assert b"Soon" not in fetch(client, "/api/v1/occurrences/")


def test_organisers_are_never_served_from_the_public_cache(client):
    from diary.models import ApiToken
    from tests.factories import OrganiserFactory

    token = ApiToken.objects.create(organiser=OrganiserFactory()).key
    EventFactory()
    fetch(client, "/api/v1/events/")
    with CaptureQueriesContext(connection) as queries:
        client.get("/api/v1/events/", headers={"Authorization": f"Token {token}"})
    assert len(queries) > 0
