from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from diary import services
from diary.models import Event, Occurrence
from tests.factories import CategoryFactory, EventFactory

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


def public_event_ids() -> set[int]:
    return set(Occurrence.objects.public().values_list("event_id", flat=True))


def test_occurrences_follow_their_events_publication_through_every_service():
    event = EventFactory(
        publication_state=Event.PublicationState.PENDING, rrule="FREQ=DAILY;COUNT=4"
    )
    assert public_event_ids() == set()
    services.event_publish(event=event)
    assert public_event_ids() == {event.pk}
    assert set(event.occurrences.values_list("published", flat=True)) == {True}
    services.event_reject(event=event, reason="Duplicate")
    assert public_event_ids() == set()
    event.publication_state = Event.PublicationState.PUBLISHED
    event.rrule = "FREQ=DAILY;COUNT=6"  # new dates are made public with the old ones
    services.event_save(event=event)
    assert Occurrence.objects.public().count() == 6


def test_occurrences_carry_their_events_category_through_every_edit():
    """The copy the runs are counted by (Occurrence.category): set with the dates, moved
    with the event, new dates included."""
    music, theatre = CategoryFactory(), CategoryFactory()
    event = EventFactory(category=music, rrule="FREQ=DAILY;COUNT=3")

    def categories() -> list:
        return list(event.occurrences.values_list("category_id", flat=True))

    assert categories() == [music.pk] * 3
    event.category, event.rrule = theatre, "FREQ=DAILY;COUNT=5"
    services.event_save(event=event)
    assert categories() == [theatre.pk] * 5
    event.category = None
    services.event_save(event=event)
    assert categories() == [None] * 5


ACTIONS = st.sampled_from(["publish", "reject", "pending", "reschedule", "cancel"])


@given(actions=st.lists(ACTIONS, max_size=6))
@settings(max_examples=30)
def test_no_sequence_of_edits_lets_an_unpublished_event_be_public(actions):
    with transaction.atomic():
        event = EventFactory(
            publication_state=Event.PublicationState.PENDING, rrule="FREQ=WEEKLY;COUNT=3"
        )
        for number, action in enumerate(actions):
            if action == "publish" and event.is_called_off:  # nobody asked for it
                with pytest.raises(services.CalledOff):
                    services.event_publish(event=event)
            elif action == "publish":
                services.event_publish(event=event)
            elif action == "reject":
                services.event_reject(event=event)
            elif action == "cancel":
                services.event_cancel(event=event)
            elif action == "pending":
                event.publication_state = Event.PublicationState.PENDING
                services.event_save(event=event)
            else:
                event.rrule = f"FREQ=WEEKLY;COUNT={3 + number}"
                services.event_save(event=event)
            stored = Event.objects.get(pk=event.pk)
            assert public_event_ids() == ({event.pk} if stored.is_published else set())
            assert event.occurrences.filter(published=not stored.is_published).count() == 0
        transaction.set_rollback(True)
