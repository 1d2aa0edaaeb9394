from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from diary.models import Event
from tests.factories import EventFactory, VenueFactory, local

pytestmark = pytest.mark.django_db


def test_the_home_page_lists_upcoming_published_occurrences_by_local_day(client):
    EventFactory(title="Late concert", start=timezone.now() + timedelta(days=2))
    EventFactory(title="Secret", publication_state=Event.PublicationState.PENDING)
    EventFactory(title="Refused", publication_state=Event.PublicationState.REJECTED)
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Late concert" in html
    assert "Secret" not in html
    assert "Refused" not in html


def test_a_late_evening_occurrence_is_listed_on_its_local_day(client, time_machine_now):
    # 00:30 on 2 July in Brussels is 22:30 UTC on 1 July: it belongs to 2 July.
    EventFactory(title="After midnight", start=local(2026, 7, 2, 0, 30), end=None)
    response = client.get("/")
    [(day, occurrences)] = response.context["days"]
    assert day.isoformat() == "2026-07-02"
    assert [o.event.title for o in occurrences] == ["After midnight"]
    assert "00:30" in response.content.decode()


def test_an_event_still_on_is_listed_under_today(client, time_machine_now):
    EventFactory(title="Exhibition", start=local(2026, 5, 20), end=local(2026, 6, 30), all_day=True)
    EventFactory(title="Tonight", start=local(2026, 6, 1, 20), end=None)
    response = client.get("/")
    [(day, occurrences)] = response.context["days"]
    assert day.isoformat() == "2026-06-01"
    assert [o.event.title for o in occurrences] == ["Exhibition", "Tonight"]


@pytest.fixture
def time_machine_now(time_machine):
    time_machine.move_to(local(2026, 6, 1, 12))


def test_the_home_page_runs_a_constant_number_of_queries(client, django_assert_max_num_queries):
    EventFactory.create_batch(3)
    with django_assert_max_num_queries(3):
        client.get("/")
    EventFactory.create_batch(30, rrule="FREQ=DAILY;COUNT=3")
    with django_assert_max_num_queries(3):
        client.get("/")


def test_an_event_page_shows_a_published_event(client):
    event = EventFactory(title="Open air cinema", description="<p>Bring a <em>chair</em></p>")
    response = client.get(event.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("Open air cinema") == 2  # the page title and the heading
    assert "<em>chair</em>" in html


@pytest.mark.parametrize("state", [Event.PublicationState.PENDING, Event.PublicationState.REJECTED])
def test_an_unpublished_event_page_is_not_found(client, state):
    event = EventFactory(publication_state=state)
    assert client.get(event.get_absolute_url()).status_code == 404


def test_a_venue_page_lists_its_published_events(client):
    venue = VenueFactory(name="Flagey")
    EventFactory(title="Piano", venue=venue)
    EventFactory(title="Hidden", venue=venue, publication_state=Event.PublicationState.PENDING)
    response = client.get(venue.get_absolute_url())
    assert response.status_code == 200
    assert "Piano" in response.content.decode()
    assert "Hidden" not in response.content.decode()


def test_healthz_answers_ok(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
