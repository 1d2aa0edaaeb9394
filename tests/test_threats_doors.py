"""Findings 4, 5 and 14 (feeds: unknown parameters, escaped titles) of issue 29
(docs/security.md), as the attacker tried them, refused."""

import gzip
import re
from datetime import timedelta
from urllib.parse import unquote_to_bytes

import feedparser
import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from diary.cache import PublicResponseCacheMiddleware
from diary.models import Event
from feeds.views import PARAMETERS
from tests.factories import CategoryFactory, EventFactory, TagFactory, VenueFactory

pytestmark = pytest.mark.django_db

LOC = re.compile(r"<loc>http://testserver([^<]*)</loc>")


# 4. /sitemap.xml was a free denial of service and listed a third of the diary


def many_events(count: int, *, every_nth_hidden: int) -> set[str]:
    """`count` events in bulk, one in `every_nth_hidden` pending or rejected; the slugs of
    the published ones."""
    start = timezone.now() - timedelta(days=400)
    hidden = (Event.PublicationState.PENDING, Event.PublicationState.REJECTED)
    events = [
        Event(
            title=f"Event {n}",
            slug=f"event-{n}",
            start=start + timedelta(hours=n),
            end=start + timedelta(hours=n + 1),
            publication_state=(
                hidden[n % 2] if n % every_nth_hidden == 0 else Event.PublicationState.PUBLISHED
            ),
        )
        for n in range(count)
    ]
    Event.objects.bulk_create(events, batch_size=2000)
    return {event.slug for event in events if event.is_published}


def sitemap_pages(client) -> list[str]:
    index = client.get("/sitemap.xml")
    assert index.status_code == 200
    assert "<sitemapindex" in index.content.decode()
    return LOC.findall(index.content.decode())


def test_the_sitemap_lists_every_published_event_of_30000_on_pages_it_indexes_and_no_other(
    client,
):
    published = many_events(30_000, every_nth_hidden=10)
    pages = sitemap_pages(client)
    event_pages = [page for page in pages if page.startswith("/sitemap-events.xml")]
    # 27,000 events in three languages: 81,000 addresses, 10,000 a page.
    assert len(event_pages) == 9
    listed = []
    for page in event_pages:
        response = client.get(page)
        assert response.status_code == 200
        addresses = LOC.findall(response.content.decode())
        assert len(addresses) <= 10_000
        listed += addresses
    assert len(listed) == len(set(listed)) == 3 * len(published)
    english = {path.split("/")[2] for path in listed if path.startswith("/events/")}
    assert english == published
    for prefix in ("/fr", "/nl"):
        assert {path.split("/")[3] for path in listed if path.startswith(prefix)} == published
    assert {page.split("?")[0] for page in pages} == {
        f"/sitemap-{section}.xml" for section in ("pages", "events", "venues", "tags")
    }


def test_a_sitemap_page_past_the_end_is_a_404_from_the_remembered_count(
    client, django_assert_max_num_queries, still_clock
):
    many_events(25, every_nth_hidden=5)
    assert sitemap_pages(client)
    for page in ("2", "999999", "1000000", "0", "01", "-1", "x", "1.5", "%EF%BC%91"):
        with django_assert_max_num_queries(0):
            assert client.get(f"/sitemap-events.xml?p={page}").status_code == 404, page
    assert client.get("/sitemap-nothing.xml").status_code == 404


def test_a_warm_sitemap_page_runs_no_query_and_is_served_gzipped(
    client, django_assert_max_num_queries, still_clock
):
    many_events(40, every_nth_hidden=4)
    plain = client.get("/sitemap-events.xml").content
    index = client.get("/sitemap.xml").content
    with django_assert_max_num_queries(0):
        for query in ("", "?p=1", "?zzz=1", "?p=1&zzz=2"):
            assert client.get(f"/sitemap-events.xml{query}").content == plain
        zipped = client.get("/sitemap-events.xml", headers={"Accept-Encoding": "gzip, br"})
        assert client.get("/sitemap.xml?p=2&zzz=3").content == index
    assert zipped["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.content) == plain
    assert "Accept-Encoding" in zipped["Vary"]


def test_a_sitemap_page_is_remembered_until_the_data_changes(client):
    first = EventFactory(title="First")
    assert first.get_absolute_url() in client.get("/sitemap-events.xml").content.decode()
    second = EventFactory(title="Second")
    assert second.get_absolute_url() in client.get("/sitemap-events.xml").content.decode()


# 5. Open redirect: /en//evil.example/x answered 301 Location: //evil.example/x

ATTACKS = [
    "/en//evil.example/x",
    "/en//evil.example",
    "/en///evil.example/login",
    "/en/%2F%2Fevil.example/login",
    "/en/%2f%2fevil.example/login",
    "/en/%2F/evil.example",
    "/en/\\evil.example",
    "/en/%5Cevil.example",
    "/en/%5cevil.example",
    "/en/\\\\evil.example",
    "/en/\\/evil.example",
    "/en//\\evil.example",
    "/en/%2f%5cevil.example",
    "/en/%5C%2Fevil.example",
    "/en/%2F%2Fevil.example/login?next=/",
    "/en//evil.example/?q=1",
    "/en/%2F%2Fevil.example%2F",
    "/en/http://evil.example/",
    "/en/%09/evil.example",
    "//evil.example/x",
    "//evil.example",
    "///evil.example/login",
    "/\\evil.example",
    "/\\/evil.example",
    "/%2F%2Fevil.example",
    "/%5Cevil.example",
    "/%2f%5cevil.example",
    "/fr//evil.example/",
    "/fr/%2F%2Fevil.example",
    "/nl/\\evil.example",
    "/fr//evil.example",
    "/en",
    "/en/",
    "/en/events/x",
]


def raw_get(client, address: str, **headers):
    """GET `address` as a server receives it: the path percent-decoded into PATH_INFO, as
    WSGI servers do (the test client would read `//host/…` as a host of its own)."""
    path, _, query = address.partition("?")
    return client.get(
        "/",
        PATH_INFO=unquote_to_bytes(path).decode("iso-8859-1"),
        QUERY_STRING=query,
        headers=headers,
    )


def same_site(location: str) -> bool:
    """A path of this site: one slash, then neither a slash nor a backslash (browsers read
    both as the start of another host)."""
    return location.startswith("/") and location[1:2] not in ("/", "\\")


@pytest.mark.parametrize("address", ATTACKS)
@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_redirect_goes_to_a_path_of_this_site(client, address, language):
    response = raw_get(client, address, **{"Accept-Language": language})
    assert response.status_code < 500
    if response.has_header("Location"):
        assert same_site(response["Location"]), (address, response["Location"])


def test_the_english_prefix_keeps_its_path_and_query_on_this_site(client):
    response = raw_get(client, "/en/%2F%2Fevil.example/login")
    assert response.status_code == 301
    assert response["Location"] == "/evil.example/login"
    assert raw_get(client, "/en/%5Cevil.example")["Location"] == "/evil.example"
    # A character of the path stays one, not the start of a query.
    assert raw_get(client, "/en/events/a%3Fb/?x=1")["Location"] == "/events/a%3Fb/?x=1"


@pytest.mark.parametrize("next_page", ["//evil.example/", "/\\evil.example", "\\\\evil.example"])
def test_the_language_switcher_goes_back_only_to_this_site(client, next_page):
    response = client.post("/i18n/setlang/", {"language": "fr", "next": next_page})
    assert same_site(response["Location"])


PIECES = st.sampled_from(
    ["/", "\\", "%2F", "%2f", "%5C", "%5c", "evil.example", "en/", "fr/", "events/", ".."]
)


@given(
    pieces=st.lists(PIECES, max_size=6),
    prefix=st.sampled_from(["/en/", "/", "/fr/", "/nl/"]),
    language=st.sampled_from(["en", "fr"]),
)
def test_no_path_of_slashes_backslashes_and_prefixes_redirects_elsewhere(prefix, pieces, language):
    response = raw_get(Client(), prefix + "".join(pieces), **{"Accept-Language": language})
    assert response.status_code < 500
    if response.has_header("Location"):
        assert same_site(response["Location"]), (prefix + "".join(pieces), response["Location"])


# 14. Feeds and the subscribe page were cache-busted by any unknown parameter


@pytest.fixture
def stores(monkeypatch) -> list[str]:
    """The keys the response cache stores answers under, from now on."""
    stored = []
    store = PublicResponseCacheMiddleware.store

    def spy(key, response):
        stored.append(key)
        store(key, response)

    monkeypatch.setattr(PublicResponseCacheMiddleware, "store", staticmethod(spy))
    return stored


@pytest.mark.parametrize(
    "door",
    [
        "/feeds/events.ics",
        "/feeds/events.ics?category=music&lang=fr",
        "/feeds/events.rss",
        "/feeds/events.atom?free=true",
        "/feeds/venues/flagey.ics",
        "/feeds/categories/music.ics",
        "/subscribe/",
        "/fr/subscribe/?category=music",
    ],
)
def test_unknown_parameters_bust_no_feed_and_no_subscribe_page(
    client, door, stores, django_assert_max_num_queries, still_clock
):
    # The cache key holds the minute: a still clock keeps the thousand requests in one.
    EventFactory(category=CategoryFactory(slug="music"), venue=VenueFactory(slug="flagey"))
    first = client.get(door)
    assert first.status_code == 200
    assert len(stores) == 1
    joiner = "&" if "?" in door else "?"
    with django_assert_max_num_queries(0):
        for n in range(1, 1000):
            response = client.get(f"{door}{joiner}zzz={n}")
            assert response.status_code == 200
    assert response.content == first.content
    assert len(stores) == 1


def test_a_feed_never_carries_an_unknown_parameter_into_its_links(client):
    EventFactory(category=CategoryFactory(slug="music"))
    page = client.get("/subscribe/?category=music&utm_source=letter&fbclid=abc").content
    assert b"category=music" in page
    assert b"utm_source" not in page
    assert b"fbclid" not in page
    rss = client.get("/feeds/events.rss?category=music&_=1700000000").content
    assert b"category=music" in rss
    assert b"_=1700000000" not in rss


BAD_VALUES = {
    "start": "yesterday-ish",
    "end": "2026-13-45",
    "when": "someday",
    "category": "no-such-category",
    "tag": "no-such-tag",
    "venue": "no-such-venue",
    "area": "no-such-area",
    "free": "maybe",
    "language": "xx",
    "accessible": "maybe",
    "family": "maybe",
    "pick": "maybe",
    "kind": "exhibition",
    "lang": "xx",
}


def test_every_public_parameter_still_reaches_the_feeds(client):
    """DESIGN.md's parameters are read, not dropped: a bad value of each is a 400 naming it,
    and `q` names the calendar."""
    assert set(BAD_VALUES) | {"q"} == PARAMETERS
    EventFactory(title="Jazz night", tags=[TagFactory(slug="jazz")])
    for name, value in BAD_VALUES.items():
        for door in ("/feeds/events.ics", "/feeds/events.rss"):
            response = client.get(door, {name: value})
            assert response.status_code == 400, (door, name)
            assert name in response.content.decode(), (door, name)
    calendar = client.get("/feeds/events.ics", {"q": "jazz"}).content.decode()
    assert "“jazz”" in calendar


# 14. RSS/Atom titles showed escaped markup

TYPED = "Repair Café at Tour & Taxis <script>"


@pytest.mark.parametrize("door", ["/feeds/events.rss", "/feeds/events.atom"])
def test_rss_and_atom_titles_read_back_exactly_as_typed(client, door):
    EventFactory(title=TYPED)
    feed = feedparser.parse(client.get(door).content)
    assert [entry.title for entry in feed.entries] == [TYPED]
    searched = feedparser.parse(client.get(door, {"q": "Repair Café at Tour & Taxis"}).content)
    assert searched.feed.title == "Event Diary: “Repair Café at Tour & Taxis”"
    assert [entry.title for entry in searched.entries] == [TYPED]
    raw = client.get(door, {"q": "<script>"}).content.decode()
    assert "&amp;lt;" not in raw
    assert feedparser.parse(raw).feed.title == "Event Diary: “<script>”"
