"""Editors' picks: chosen in the admin, filtered by `pick=true` through every door, and the
agenda opening with the picks of its selection that are on this week."""

import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import icalendar
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from diary.demo import demo_city_seed
from diary.models import ApiToken, Event
from diary.views import PICKS_SHOWN
from tests.factories import CategoryFactory, EventFactory, OrganiserFactory, html_of, local, titles

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def wednesday(time_machine, settings):
    """Wednesday 1 July 2026, noon in Brussels: this week runs until Monday 6 July."""
    settings.DIARY_CACHE_RESPONSES = False
    time_machine.move_to(local(2026, 7, 1, 12))


def picked(title: str, **fields) -> Event:
    return EventFactory(title=title, is_pick=True, **fields)


def feed_body(response) -> bytes:
    assert response.status_code == 200
    return b"".join(response.streaming_content) if response.streaming else response.content


def pick_titles(response) -> list[str]:
    """The titles under "Our picks this week", in order."""
    picks = re.search(r'<section class="picks".*?</section>', html_of(response), re.S)
    return re.findall(r'class="pick-title"[^>]*>([^<]+)</a>', picks.group()) if picks else []


def test_pick_true_keeps_the_picks_through_every_door(client):
    picked("Chosen", start=local(2026, 7, 3, 19))
    EventFactory(title="Other", start=local(2026, 7, 3, 19))
    query = "pick=true"

    assert titles(client.get(f"/?{query}").context["page"]) == ["Chosen"]
    api = APIClient()
    occurrences = api.get(f"/api/v1/occurrences/?{query}").json()["results"]
    assert [row["event"]["title"] for row in occurrences] == ["Chosen"]
    assert occurrences[0]["event"]["is_pick"] is True
    events = api.get(f"/api/v1/events/?{query}").json()["results"]
    assert [row["title"] for row in events] == ["Chosen"]
    calendar = icalendar.Calendar.from_ical(feed_body(client.get(f"/feeds/events.ics?{query}")))
    assert [str(vevent["SUMMARY"]) for vevent in calendar.walk("VEVENT")] == ["Chosen"]
    items = ET.fromstring(feed_body(client.get(f"/feeds/events.rss?{query}"))).iter("item")
    assert [item.findtext("title") for item in items] == ["Chosen"]
    embedded = html_of(client.get(f"/embed/?{query}"))
    assert "Chosen" in embedded and "Other" not in embedded
    month = html_of(client.get(f"/month/?month=2026-07&{query}"))
    assert "Chosen" in month and "Other" not in month


def test_the_agenda_opens_with_this_weeks_picks_of_its_selection(client):
    music, film = CategoryFactory(slug="music"), CategoryFactory(slug="film")
    picked("Jazz pick", category=music, start=local(2026, 7, 2, 20), pick_reason="Go early.")
    picked("Film pick", category=film, start=local(2026, 7, 4, 21))
    picked("Next week's pick", category=music, start=local(2026, 7, 8, 20))
    picked("Withdrawn pick", publication_state=Event.PublicationState.PENDING)
    EventFactory(title="Plain gig", category=music, start=local(2026, 7, 2, 19))

    response = client.get("/")
    assert pick_titles(response) == ["Jazz pick", "Film pick"]
    html = html_of(response)
    assert "Go early." in html
    assert "Thursday 2 July" in html
    assert 'href="/?when=week&amp;pick=true"' in html  # all the picks of this week

    music_only = client.get("/?category=music")
    assert pick_titles(music_only) == ["Jazz pick"]
    assert 'href="/?category=music&amp;when=week&amp;pick=true"' in html_of(music_only)
    assert pick_titles(client.get("/?category=music&when=weekend")) == []
    assert pick_titles(client.get("/?pick=true")) == []  # the list is the picks already
    # htmx asks for the results alone: the picks follow the selection there too.
    partial = client.get("/?category=film", headers={"HX-Request": "true"})
    assert pick_titles(partial) == ["Film pick"]


def test_the_picks_are_on_the_first_page_only(client):
    picked("Jazz pick", start=local(2026, 7, 2, 20))
    EventFactory(rrule="FREQ=DAILY;COUNT=60", start=local(2026, 7, 1, 18))
    assert pick_titles(client.get("/")) == ["Jazz pick"]
    assert pick_titles(client.get("/?page=2")) == []


def test_a_pick_on_every_evening_is_shown_once_at_its_next_date(client):
    picked("Nightly", start=local(2026, 6, 20, 20), rrule="FREQ=DAILY;COUNT=30")
    for day in range(2, 2 + PICKS_SHOWN):
        picked(f"Pick {day}", start=local(2026, 7, day, 21))
    response = client.get("/")
    assert pick_titles(response) == ["Nightly", "Pick 2", "Pick 3", "Pick 4"]
    assert "Wednesday 1 July" in html_of(response)  # tonight's, not one already past


def test_an_exhibition_already_open_is_on_now(client):
    picked(
        "Exhibition",
        start=local(2026, 6, 20, 0),
        end=local(2026, 8, 1, 0),
        all_day=True,
    )
    html = html_of(client.get("/"))
    assert pick_titles(client.get("/")) == ["Exhibition"]
    assert "On now · <time" in html and ">20 Jun – 31 Jul</time>" in html


def test_a_pick_shows_at_once_and_its_rows_say_so(client, admin_client):
    gig = EventFactory(title="Gig", start=local(2026, 7, 2, 20))
    assert pick_titles(client.get("/")) == []
    assert "Our pick<" not in html_of(client.get("/"))
    changelist = reverse("admin:diary_event_changelist")
    admin_client.post(changelist, {"action": "pick", "_selected_action": [gig.pk]})  # why?
    gig.refresh_from_db()
    assert not gig.is_pick
    admin_client.post(changelist, {"action": "pick", "_selected_action": [gig.pk], "picked": "yes"})
    gig.refresh_from_db()
    assert gig.is_pick and gig.sequence == 0  # calendars have nothing to replace
    assert pick_titles(client.get("/")) == ["Gig"]
    assert '<strong class="pick-mark">Our pick</strong>' in html_of(client.get("/"))
    admin_client.post(changelist, {"action": "unpick", "_selected_action": [gig.pk]})
    assert pick_titles(client.get("/")) == []
    assert "pick-mark" not in html_of(client.get("/"))


def test_a_page_asked_again_reads_its_picks_from_the_cache(client):
    picked("Jazz pick", start=local(2026, 7, 2, 20))
    client.get("/")
    with CaptureQueriesContext(connection) as again:
        assert pick_titles(client.get("/")) == ["Jazz pick"]
    assert not [q for q in again.captured_queries if "is_pick" in q["sql"]]


def test_the_api_and_the_feeds_say_why_we_pick_it(client):
    picked(
        "Jazz pick",
        start=local(2026, 7, 2, 20),
        pick_reason_en="Go early.",
        pick_reason_fr="Venez tôt.",
    )
    [event] = APIClient().get("/api/v1/events/?lang=fr").json()["results"]
    assert (event["is_pick"], event["pick_reason"]) == (True, "Venez tôt.")
    [vevent] = icalendar.Calendar.from_ical(
        feed_body(client.get("/feeds/events.ics?lang=fr"))
    ).walk("VEVENT")
    assert str(vevent["DESCRIPTION"]).startswith("Coup de cœur : Venez tôt.")


def test_an_organiser_cannot_make_a_pick(client):
    token = ApiToken.objects.create(organiser=OrganiserFactory(is_trusted=True)).key
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = api.post(
        "/api/v1/events/",
        {
            "title": "Self-promoted",
            "start": "2026-07-02T20:00:00+02:00",
            "end": "2026-07-02T22:00:00+02:00",
            "is_pick": True,
            "pick_reason": "Trust me.",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    event = Event.objects.get(title_en="Self-promoted")
    assert event.is_published and not event.is_pick and not event.pick_reason


def test_the_demo_city_has_picks_with_their_reasons():
    demo_city_seed(events=60, venues=12, seed=3)
    picks = Event.objects.filter(is_pick=True)
    assert picks.count() == 6
    assert all(pick.pick_reason_en and pick.pick_reason_fr for pick in picks)


def test_a_pick_ends_its_week(client, time_machine):
    picked("Tonight", start=local(2026, 7, 1, 19), end=local(2026, 7, 1, 21))
    assert pick_titles(client.get("/")) == ["Tonight"]
    time_machine.move_to(local(2026, 7, 1, 21) + timedelta(minutes=1))
    assert pick_titles(client.get("/")) == []  # over, though remembered as a pick


def test_a_pick_shows_its_picture_or_its_categorys_colour(client):
    from tests.diary.test_images import jpeg

    picked("Pictured", start=local(2026, 7, 2, 20), image=jpeg((1200, 800)))
    picked("Plain", start=local(2026, 7, 3, 20), category=CategoryFactory(slug="film"))
    picks = re.search(r'<section class="picks".*?</section>', html_of(client.get("/")), re.S)
    pictured, plain = re.findall(r'<li class="pick.*?</li>', picks.group(), re.S)
    assert '<source type="image/webp"' in pictured and 'width="1200" height="800"' in pictured
    assert "<img" not in plain and 'class="tile"' in plain
