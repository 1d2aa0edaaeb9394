from datetime import timedelta

import pytest
from django.utils import timezone

from diary.models import Event, Occurrence
from tests.factories import EventFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("state", [Event.PublicationState.PENDING, Event.PublicationState.REJECTED])
def test_unpublished_events_are_never_public(state):
    hidden = EventFactory(publication_state=state, rrule="FREQ=DAILY;COUNT=5")
    shown = EventFactory()
    assert list(Event.objects.published()) == [shown]
    assert hidden.occurrences.count() == 5
    assert set(Occurrence.objects.public().values_list("event_id", flat=True)) == {shown.pk}


def test_cancelled_events_stay_public_so_subscribers_learn_of_it():
    cancelled = EventFactory(status=Event.Status.CANCELLED)
    assert list(Event.objects.published()) == [cancelled]


def test_upcoming_keeps_what_has_not_ended():
    now = timezone.now()
    EventFactory(start=now - timedelta(days=3), end=now - timedelta(days=2))
    running = EventFactory(start=now - timedelta(days=1), end=now + timedelta(days=1))
    later = EventFactory(start=now + timedelta(days=1), end=now + timedelta(days=1, hours=2))
    upcoming = Occurrence.objects.public().upcoming().for_listing()
    assert [o.event for o in upcoming] == [running, later]


def test_listing_runs_one_query(django_assert_num_queries):
    EventFactory.create_batch(3)
    with django_assert_num_queries(1):
        for occurrence in Occurrence.objects.public().for_listing():
            assert occurrence.event.venue.municipality.name
            assert occurrence.event.category.name
