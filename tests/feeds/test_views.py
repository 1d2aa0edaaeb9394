from datetime import timedelta

import icalendar
import pytest
from django.utils import timezone

from diary.demo import demo_city_seed
from diary.models import Event
from tests.factories import CategoryFactory, EventFactory, VenueFactory

pytestmark = pytest.mark.django_db


def uids(response) -> set[str]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return {str(v["UID"]) for v in icalendar.Calendar.from_ical(response.content).walk("VEVENT")}


def test_the_feed_answers_the_agendas_own_query_string(client):
    music = CategoryFactory(slug="music", name="Music")
    gig = EventFactory(category=music, is_free=True)
    EventFactory(category=music, price_min=10)
    EventFactory(category=CategoryFactory(slug="film", name="Film"), is_free=True)
    assert uids(client.get("/feeds/events.ics?category=music&free=true")) == {gig.uid}


def test_a_recurring_event_is_exported_once_with_its_rule(client):
    event = EventFactory(rrule="FREQ=WEEKLY;COUNT=5")
    calendar = icalendar.Calendar.from_ical(client.get("/feeds/events.ics").content)
    [vevent] = calendar.walk("VEVENT")
    assert vevent["UID"] == event.uid
    assert vevent["RRULE"]["COUNT"] == [5]


def test_the_feed_keeps_the_last_thirty_days_and_never_unpublished_events(client):
    now = timezone.now()
    recent = EventFactory(start=now - timedelta(days=10), status=Event.Status.CANCELLED)
    EventFactory(start=now - timedelta(days=40))
    EventFactory(publication_state=Event.PublicationState.PENDING)
    EventFactory(publication_state=Event.PublicationState.REJECTED)
    assert uids(client.get("/feeds/events.ics")) == {recent.uid}


@pytest.mark.parametrize("query", ["start=2026-13-45", "category=nope", "free=maybe"])
def test_a_bad_parameter_gets_a_400_that_names_it(client, query):
    response = client.get(f"/feeds/events.ics?{query}")
    assert response.status_code == 400
    assert query.split("=")[0] + ":" in response.content.decode()


def test_venue_and_category_shortcuts(client):
    flagey = VenueFactory(slug="flagey")
    music = CategoryFactory(slug="music", name="Music")
    at_flagey = EventFactory(venue=flagey, category=CategoryFactory(slug="film", name="Film"))
    gig = EventFactory(category=music)
    assert uids(client.get("/feeds/venues/flagey.ics")) == {at_flagey.uid}
    assert uids(client.get("/feeds/categories/music.ics")) == {gig.uid}
    assert client.get("/feeds/venues/nowhere.ics").status_code == 404
    assert client.get("/feeds/categories/nothing.ics").status_code == 404


def test_the_feed_runs_a_constant_number_of_queries(client, django_assert_max_num_queries):
    demo_city_seed(events=10, venues=18, seed=5)
    with django_assert_max_num_queries(2):
        client.get("/feeds/events.ics")
    demo_city_seed(events=300, venues=18, seed=5)
    with django_assert_max_num_queries(2):
        response = client.get("/feeds/events.ics")
    assert len(uids(response)) > 200
