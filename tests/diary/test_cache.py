"""Cached pages, API lists and feeds: fast when nothing changed, never stale after a change."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from diary import services
from diary.cache import PublicResponseCacheMiddleware, data_version, serves_cacheable
from diary.models import Event
from tests.factories import EventFactory, OrganiserFactory, TagFactory, VenueFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("still_clock")]

CACHED = ["/", "/api/v1/occurrences/", "/api/v1/events/?category=music", "/feeds/events.ics"]


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


@pytest.mark.parametrize(
    "path", ["/month/", "/events/{event}/", "/venues/", "/venues/{venue}/", "/tags/{tag}/"]
)
def test_every_public_page_is_served_from_the_cache(client, path):
    event = EventFactory(tags=[TagFactory(slug="jazz")])
    path = path.format(event=event.slug, venue=event.venue.slug, tag=event.tags.get().slug)
    first = fetch(client, path)
    with CaptureQueriesContext(connection) as queries:
        assert fetch(client, path) == first
    assert len(queries) == 0


def test_public_pages_carry_nothing_personal(client):
    """No CSRF token nor cookie: the same page can be served to everyone."""
    EventFactory()
    response = client.get("/")
    assert b"csrfmiddlewaretoken" not in response.content
    assert not response.cookies


def test_the_language_switcher_works_without_a_token():
    response = Client(enforce_csrf_checks=True).post(
        "/i18n/setlang/", {"language": "fr", "next": "/"}
    )
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "fr"


def test_a_visitor_is_served_the_page_in_their_language(client):
    EventFactory()
    english = fetch(client, "/")
    client.cookies["django_language"] = "fr"
    assert client.get("/")["Location"] == "/fr/"  # the cached English page is not served
    french = fetch(client, "/fr/")
    assert french != english
    assert b'lang="fr"' in french
    assert fetch(client, "/fr/") == french  # and the French page is cached in turn


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
            "name_en": "New name",
            "slug": "old",
            "postal_code": "",
            "website": "",
            "description": "",
        },
    )
    assert b"New name" in fetch(client, "/api/v1/occurrences/")


def test_time_moves_the_default_window_even_without_changes(client, still_clock):
    EventFactory(start=timezone.now() + timedelta(minutes=30), end=None, title="Soon")
    assert b"Soon" in fetch(client, "/api/v1/occurrences/")
    still_clock.shift(timedelta(hours=2))
    assert b"Soon" not in fetch(client, "/api/v1/occurrences/")


def test_organisers_are_never_served_from_the_public_cache(client):
    from diary.models import ApiToken

    token = ApiToken.objects.create(organiser=OrganiserFactory()).key
    EventFactory()
    fetch(client, "/api/v1/events/")
    with CaptureQueriesContext(connection) as queries:
        client.get("/api/v1/events/", headers={"Authorization": f"Token {token}"})
    assert len(queries) > 0


def test_a_feed_too_large_to_store_is_still_answered_304_without_a_query(
    client, monkeypatch, settings
):
    settings.DIARY_FEED_MAX_BYTES = 0  # no budget: a streamed feed
    monkeypatch.setattr("feeds.views.CACHEABLE_EVENTS", 1)
    EventFactory.create_batch(3)
    response = client.get("/feeds/events.ics")
    assert response.streaming
    etag = response["ETag"]
    b"".join(response.streaming_content)
    with CaptureQueriesContext(connection) as queries:
        again = client.get("/feeds/events.ics", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again["ETag"] == etag
    assert len(queries) == 0
    with CaptureQueriesContext(connection) as queries:
        fresh = client.get("/feeds/events.ics")  # a new subscriber gets the whole feed
        assert b"".join(fresh.streaming_content).count(b"BEGIN:VEVENT") == 3
    assert len(queries) > 0


def test_a_stored_answer_is_304_for_a_client_that_holds_it(client):
    EventFactory()
    etag = client.get("/api/v1/occurrences/")["ETag"]
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/occurrences/", headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert len(queries) == 0


@pytest.mark.parametrize(
    "other",
    [
        {"HTTP_ACCEPT_LANGUAGE": "fr"},
        {"HTTP_ACCEPT": "application/json"},
        {"HTTP_ORIGIN": "https://example.org"},
        {"HTTP_HX_REQUEST": "true"},
        {"QUERY_STRING": "page=2"},
        {"secure": True},
    ],
)
def test_answers_are_stored_apart_by_what_they_vary_on(rf, other):
    plain = rf.get("/api/v1/occurrences/")
    varied = rf.get("/api/v1/occurrences/", **other)
    assert PublicResponseCacheMiddleware.key(plain) != PublicResponseCacheMiddleware.key(varied)
    french = rf.get("/api/v1/occurrences/")
    french.COOKIES["django_language"] = "fr"
    assert PublicResponseCacheMiddleware.key(plain) != PublicResponseCacheMiddleware.key(french)


def test_a_visitor_with_a_session_is_never_served_a_shared_answer(client, admin_client):
    EventFactory()
    fetch(client, "/api/v1/occurrences/")
    with CaptureQueriesContext(connection) as queries:
        admin_client.get("/api/v1/occurrences/")
    assert len(queries) > 0


@pytest.mark.parametrize(
    ("path", "shared"),
    [
        ("/", True),
        ("/venues/", True),
        ("/api/v1/occurrences/", True),
        ("/feeds/events.ics", True),
        ("/feeds/venues/bozar.ics", True),
        ("/feeds/categories/music.ics", True),
        ("/api/v1/occurrences/1/", False),
        ("/healthz", False),
        ("/submit/", False),
        ("/admin/", False),
        ("/no/such/page/", False),
    ],
)
def test_only_shareable_views_look_in_the_cache(path, shared):
    assert serves_cacheable(path) is shared


def test_a_304_does_not_read_a_large_body(client, rf, monkeypatch):
    monkeypatch.setattr("diary.cache.INLINE_BODY_BYTES", 10)
    EventFactory()
    first = client.get("/api/v1/occurrences/")
    body_key = PublicResponseCacheMiddleware.key(rf.get("/api/v1/occurrences/")) + ":body"
    assert cache.get(body_key) == first.content
    cache.delete(body_key)  # the body alone is gone: only a client that holds it is answered
    with CaptureQueriesContext(connection) as queries:
        again = client.get("/api/v1/occurrences/", headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304
    assert len(queries) == 0
    with CaptureQueriesContext(connection) as queries:
        fresh = client.get("/api/v1/occurrences/")
    assert fresh.content == first.content
    assert len(queries) > 0


def test_the_api_rate_counts_computed_answers_not_cache_hits(monkeypatch):
    """As the README says: a hit costs what /healthz costs, so it is not counted; every
    answer the API computes is."""
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "3/minute", "user": None})
    EventFactory()
    client = Client()
    assert [client.get("/api/v1/occurrences/").status_code for _ in range(6)] == [200] * 6
    codes = [client.get(f"/api/v1/occurrences/?q=word{n}").status_code for n in range(3)]
    assert codes == [200, 200, 429]
