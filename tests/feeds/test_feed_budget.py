"""Subscription feeds keep to a size calendar apps accept (Google Calendar ignores a feed
much over 1 MB): the nearest events that fit, whole, and a description saying so."""

import re
from datetime import UTC, datetime, timedelta

import icalendar
import pytest
from django.core.cache import cache
from django.urls import reverse

from tests.factories import CategoryFactory, EventFactory, MunicipalityFactory, VenueFactory, local

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _monday_morning(time_machine):
    time_machine.move_to(datetime(2026, 11, 2, 9, tzinfo=UTC), tick=False)


BUDGET = 12_000


def city(count: int = 40):
    """`count` events, one a day from tomorrow, half of them music at Flagey in Ixelles; the
    last one recurs weekly from last month (its nearest date is this week)."""
    music = CategoryFactory(slug="music", name="Music")
    film = CategoryFactory(slug="film", name="Film")
    ixelles = MunicipalityFactory(slug="ixelles", name="Ixelles")
    flagey = VenueFactory(slug="flagey", name="Flagey", municipality=ixelles)
    events = [
        EventFactory(
            title=f"Event {n:02d} with a title long enough to take some room in a feed",
            summary="A summary of a few words, as organisers write them. " * 3,
            start=local(2026, 11, 3, 19) + timedelta(days=n),
            category=music if n % 2 else film,
            venue=flagey if n % 2 else None,
        )
        for n in range(count - 1)
    ]
    weekly = EventFactory(
        title="Weekly jam session",
        start=local(2026, 10, 1, 20),
        rrule="FREQ=WEEKLY;COUNT=20",
        exdates=["2026-11-12"],
        category=music,
        venue=flagey,
    )
    return events, weekly


def feed(client, query: str = ""):
    response = client.get("/feeds/events.ics" + (f"?{query}" if query else ""))
    assert response.status_code == 200
    assert not response.streaming  # cut or whole, a subscription is built and cached whole
    return response


def test_a_feed_over_budget_is_cut_to_the_nearest_events_and_stays_under_it(client, settings):
    settings.DIARY_FEED_MAX_BYTES = BUDGET
    events, weekly = city()
    response = feed(client)
    assert len(response.content) <= BUDGET
    calendar = icalendar.Calendar.from_ical(response.content)
    kept = [str(vevent["UID"]) for vevent in calendar.walk("VEVENT")]
    assert 3 < len(kept) < len(events)
    # Nearest first: the weekly session (on this week) and the first days, none skipped.
    assert weekly.uid in kept
    nearest = [event.uid for event in events[: len(kept) - 1]]
    assert set(kept) == {weekly.uid, *nearest}
    # A recurring event is whole: its rule and its exceptions, one VEVENT.
    [jam] = [vevent for vevent in calendar.walk("VEVENT") if vevent["UID"] == weekly.uid]
    assert jam["RRULE"]["COUNT"] == [20]
    assert [d.dt.date().isoformat() for d in jam["EXDATE"].dts] == ["2026-11-12"]
    description = str(calendar["DESCRIPTION"])
    assert f"holds {len(events) + 1} events" in description
    assert f"the {len(kept)} nearest" in description
    assert "http://127.0.0.1:8000/subscribe/" in description
    assert calendar["X-WR-CALDESC"] == calendar["DESCRIPTION"]


def test_a_feed_within_budget_is_whole_and_says_nothing_of_a_cut(client, settings):
    settings.DIARY_FEED_MAX_BYTES = 900_000
    _events, _weekly = city(10)
    calendar = icalendar.Calendar.from_ical(feed(client).content)
    assert len(calendar.walk("VEVENT")) == 10
    assert "DESCRIPTION" not in calendar


def test_the_cut_is_the_same_for_the_same_data_so_its_etag_holds(client, settings):
    settings.DIARY_FEED_MAX_BYTES = BUDGET
    city()
    first, second = feed(client), feed(client)
    assert first.content == second.content
    again = client.get("/feeds/events.ics", headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304


def test_the_budget_is_part_of_the_etag(client, settings):
    settings.DIARY_FEED_MAX_BYTES = BUDGET
    city(10)
    etag = feed(client)["ETag"]
    settings.DIARY_FEED_MAX_BYTES = BUDGET * 2
    cache.clear()  # the response cache keeps answers for minutes; a deploy changes settings
    assert client.get("/feeds/events.ics", headers={"If-None-Match": etag}).status_code == 200


def test_the_cut_note_links_to_narrower_choices_of_the_same_selection(client, settings):
    settings.DIARY_FEED_MAX_BYTES = BUDGET
    city()
    calendar = icalendar.Calendar.from_ical(feed(client, "free=false&lang=fr").content)
    description = str(calendar["DESCRIPTION"]).replace("\n", "")
    # In the feed's language, to the page for this selection (the window is the feed's own).
    assert "http://127.0.0.1:8000/fr/subscribe/?free=false" in description
    assert "start=" not in description
    assert "lang=" not in description  # the page's language is its address


def test_shortcut_feeds_keep_to_the_budget_too(client, settings):
    settings.DIARY_FEED_MAX_BYTES = BUDGET
    city(60)
    response = client.get("/feeds/categories/music.ics")
    assert response.status_code == 200
    assert len(response.content) <= BUDGET
    assert "DESCRIPTION" in icalendar.Calendar.from_ical(response.content)


def test_a_one_event_download_is_never_cut(client, settings):
    settings.DIARY_FEED_MAX_BYTES = 100
    event = EventFactory(description="<p>" + "Long text. " * 500 + "</p>")
    response = client.get(reverse("diary:event-ics", args=[event.slug]))
    assert [
        str(v["UID"]) for v in icalendar.Calendar.from_ical(response.content).walk("VEVENT")
    ] == [event.uid]


def test_without_a_budget_a_large_feed_is_streamed_whole(client, settings):
    from feeds import views

    settings.DIARY_FEED_MAX_BYTES = 0
    _events, _weekly = city(12)
    original = views.CACHEABLE_EVENTS
    views.CACHEABLE_EVENTS = 5
    try:
        response = client.get("/feeds/events.ics")
    finally:
        views.CACHEABLE_EVENTS = original
    assert response.streaming
    calendar = icalendar.Calendar.from_ical(b"".join(response.streaming_content))
    assert len(calendar.walk("VEVENT")) == 12


def test_the_subscribe_page_warns_before_a_feed_is_too_large(client, settings):
    settings.DIARY_FEED_MAX_BYTES = BUDGET
    city()
    page = client.get("/subscribe/")
    assert page.status_code == 200
    html = page.content.decode()
    kept = len(icalendar.Calendar.from_ical(feed(client).content).walk("VEVENT"))
    assert "This selection holds 40 events: too many for one calendar feed." in html
    assert f"carries only the {kept} nearest ones" in html
    # One click to narrower feeds, each with its count.
    assert 'href="/subscribe/?category=music"' in html and "(20 events" in html
    assert 'href="/subscribe/?category=film"' in html
    assert 'href="/subscribe/?area=ixelles"' in html
    assert 'href="/subscribe/?venue=flagey"' in html
    # A narrower choice that is still too large says so ("Brussels (1492)" once read as one
    # that fits): each count is marked exactly when it exceeds what a feed carries.
    offered = re.findall(r"\((\d+) events?(: still too many, narrow it further)?\)", html)
    assert offered and all((int(count) > kept) == bool(still) for count, still in offered)
    # Apple and Outlook (webcal), Google's add-by-URL link, and the https address to copy.
    assert 'href="webcal://testserver/feeds/events.ics"' in html
    assert (
        'href="https://calendar.google.com/calendar/r?cid=webcal%3A%2F%2Ftestserver%2Ffeeds%2Fevents.ics"'
        in html
    )
    assert 'value="http://testserver/feeds/events.ics"' in html


def test_the_subscribe_page_of_a_small_selection_only_counts(client, settings):
    settings.DIARY_FEED_MAX_BYTES = BUDGET
    city()
    html = client.get("/subscribe/?category=music&venue=flagey&when=week").content.decode()
    assert "too many" not in html
    assert "The feed holds 4 events" in html
    assert (
        "webcal://testserver/feeds/events.ics?category=music&amp;venue=flagey&amp;when=week" in html
    )


def test_the_subscribe_page_names_a_bad_parameter(client):
    response = client.get("/subscribe/?category=nope")
    assert response.status_code == 200
    assert "Category: “nope” is not one of the choices." in response.content.decode()


def test_the_agendas_panel_loads_the_same_options(client, settings):
    settings.DIARY_FEED_MAX_BYTES = BUDGET
    city()
    agenda = client.get("/?category=music").content.decode()
    assert 'hx-get="/subscribe/?category=music"' in agenda
    panel = client.get("/subscribe/?category=music", headers={"HX-Request": "true"})
    assert panel.content.decode().startswith('<div id="subscribe-options"')
    assert "HX-Request" in panel["Vary"]


def test_the_subscribe_page_runs_a_constant_number_of_queries(
    client, settings, django_assert_max_num_queries
):
    """Counting, the feed's time zones, the nearest events (their order, their texts), three
    narrower groups (one query each, names included), whatever the size."""
    settings.DIARY_FEED_MAX_BYTES = BUDGET
    for count in (40, 200):
        city(count)
        client.get("/subscribe/")  # renders and stores the VEVENTs once
        cache.clear()
        with django_assert_max_num_queries(7):
            assert "too many" in client.get("/subscribe/").content.decode()


def test_without_a_budget_the_subscribe_page_only_counts(client, settings):
    settings.DIARY_FEED_MAX_BYTES = 0
    city(20)
    html = client.get("/subscribe/").content.decode()
    assert "The feed holds 20 events" in html and "too many" not in html


def test_a_cut_feed_reads_no_further_than_it_needs(
    client, settings, monkeypatch, django_assert_max_num_queries
):
    """Validators, zones, the order, one batch of texts: not the four batches of the whole."""
    from feeds import ical

    settings.DIARY_FEED_MAX_BYTES = BUDGET
    monkeypatch.setattr(ical, "BATCH", 20)
    city(80)
    feed(client)  # renders and stores what the cut reads
    cache.clear()
    with django_assert_max_num_queries(4):
        content = feed(client).content
    assert len(content) <= BUDGET
    assert content.count(b"BEGIN:VEVENT") < 20  # all of it from the first batch
