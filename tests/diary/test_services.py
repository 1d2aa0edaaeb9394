import logging
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from diary import recurrence, services
from diary.models import Event, Occurrence
from tests.factories import EventFactory, OrganiserFactory, VenueFactory, local

pytestmark = pytest.mark.django_db


def starts(event: Event) -> list:
    return list(event.occurrences.order_by("start").values_list("start", flat=True))


def test_saving_a_recurring_event_materialises_its_dates_up_to_the_horizon(settings):
    settings.DIARY_HORIZON_DAYS = 70
    now = timezone.now()
    event = services.event_save(
        event=Event(title="Market", start=now + timedelta(days=1), rrule="FREQ=WEEKLY"), now=now
    )
    assert len(starts(event)) == 10  # days 1, 8, …, 64: the last one inside 70 days


def test_a_weekly_event_stays_at_19h_local_across_dst_in_the_database():
    event = EventFactory(start=local(2026, 10, 18, 19), end=None, rrule="FREQ=WEEKLY;COUNT=3")
    local_times = [timezone.localtime(start).strftime("%m-%d %H:%M") for start in starts(event)]
    assert local_times == ["10-18 19:00", "10-25 19:00", "11-01 19:00"]


def test_editing_the_rule_removes_stale_dates_and_keeps_the_others():
    event = EventFactory(start=local(2026, 1, 5, 19), rrule="FREQ=DAILY;COUNT=5")
    kept = event.occurrences.order_by("start")[1]
    event.rrule = "FREQ=DAILY;COUNT=3"
    services.event_save(event=event)
    assert len(starts(event)) == 3
    assert Occurrence.objects.get(pk=kept.pk).start == kept.start


def test_changing_the_duration_updates_every_occurrence_end():
    event = EventFactory(start=local(2026, 1, 5, 19), rrule="FREQ=DAILY;COUNT=3")
    event.end = event.start + timedelta(hours=3)
    services.event_save(event=event)
    assert {o.end - o.start for o in event.occurrences.all()} == {timedelta(hours=3)}


def test_an_all_day_event_materialises_all_day_occurrences():
    event = EventFactory(start=local(2026, 5, 3), end=local(2026, 5, 5), all_day=True)
    occurrence = event.occurrences.get()
    assert occurrence.all_day
    assert (occurrence.start, occurrence.end) == (local(2026, 5, 3), local(2026, 5, 5))


def test_the_cap_limits_stored_occurrences(settings):
    settings.DIARY_MAX_OCCURRENCES = 5
    event = EventFactory(start=local(2024, 1, 1, 19), rrule="FREQ=DAILY")
    assert event.occurrences.count() == 5
    assert event.occurrences.upcoming().count() == 5


def test_a_new_event_starts_at_sequence_zero():
    assert EventFactory().sequence == 0


@pytest.mark.parametrize(
    "change",
    [
        lambda e: setattr(e, "title", "Renamed"),
        lambda e: setattr(e, "start", e.start + timedelta(hours=1)),
        lambda e: setattr(e, "end", e.end + timedelta(hours=1)),
        lambda e: setattr(e, "venue", VenueFactory()),
        lambda e: setattr(e, "status", Event.Status.POSTPONED),
        lambda e: setattr(e, "rrule", "FREQ=WEEKLY;COUNT=2"),
        lambda e: setattr(e, "exdates", ["2030-01-01"]),
    ],
)
def test_changes_calendar_apps_must_notice_raise_the_sequence(change):
    event = Event.objects.get(pk=EventFactory().pk)
    change(event)
    services.event_save(event=event)
    assert Event.objects.get(pk=event.pk).sequence == 1


def test_changes_calendar_apps_do_not_show_leave_the_sequence():
    event = Event.objects.get(pk=EventFactory().pk)
    event.summary = "A better summary"
    event.is_free = True
    services.event_save(event=event)
    services.event_save(event=event)
    assert Event.objects.get(pk=event.pk).sequence == 0


def test_two_saves_of_one_change_raise_the_sequence_once():
    event = Event.objects.get(pk=EventFactory().pk)
    event.title = "Renamed"
    services.event_save(event=event)
    services.event_save(event=event)
    assert event.sequence == 1


def test_publishing_records_when():
    event = EventFactory(publication_state=Event.PublicationState.PENDING)
    assert event.published_at is None
    services.event_publish(event=event)
    event.refresh_from_db()
    assert event.is_published
    assert event.published_at is not None
    assert event.sequence == 0


def test_rejecting_hides_the_event():
    event = services.event_reject(event=EventFactory())
    assert event.publication_state == Event.PublicationState.REJECTED
    assert not Event.objects.published().exists()


def test_cancelling_keeps_the_event_and_raises_the_sequence():
    event = services.event_cancel(event=Event.objects.get(pk=EventFactory().pk))
    event.refresh_from_db()
    assert event.status == Event.Status.CANCELLED
    assert event.sequence == 1
    assert event.occurrences.exists()


def test_a_bad_rule_saves_nothing():
    event = Event(title="Broken", start=local(2026, 1, 5, 19), rrule="FREQ=WEEKLY;BYDAY=XX")
    with pytest.raises(recurrence.RecurrenceError):
        services.event_save(event=event)
    assert not Event.objects.exists()
    assert not Occurrence.objects.exists()


def test_slugs_are_made_unique_from_the_title():
    first = services.event_save(event=Event(title="Jazz Night", start=local(2026, 1, 5, 19)))
    second = services.event_save(event=Event(title="Jazz Night", start=local(2026, 1, 6, 19)))
    assert (first.slug, second.slug) == ("jazz-night", "jazz-night-2")


def test_a_slug_is_found_past_the_first_candidates_asked_for(django_assert_max_num_queries):
    """Candidates are asked for by name, SLUG_CANDIDATES at once (an index lookup, however
    large the table): a title used more often takes a query more, and a freed one is reused."""
    for day in range(1, services.SLUG_CANDIDATES + 3):
        services.event_save(event=Event(title="Repair Café", start=local(2026, 1, day, 19)))
    slugs = set(Event.objects.values_list("slug", flat=True))
    assert slugs == {"repair-cafe"} | {f"repair-cafe-{n}" for n in range(2, 23)}
    with django_assert_max_num_queries(2):
        assert services.unique_slug(Event, "Repair café!") == "repair-cafe-23"
    Event.objects.filter(slug="repair-cafe-7").delete()
    with django_assert_max_num_queries(1):
        assert services.unique_slug(Event, "Repair Café") == "repair-cafe-7"


def test_extending_adds_the_dates_that_enter_the_horizon(settings):
    settings.DIARY_HORIZON_DAYS = 30
    now = timezone.now()
    event = services.event_save(
        event=Event(title="Weekly", start=now + timedelta(hours=1), rrule="FREQ=WEEKLY"), now=now
    )
    before = event.occurrences.count()
    result = services.occurrences_extend(now=now + timedelta(days=28))
    assert result.created == 4
    assert event.occurrences.count() == before + 4


def test_extending_skips_a_broken_rule_and_goes_on(caplog):
    broken = EventFactory(rrule="FREQ=DAILY;COUNT=2")
    Event.objects.filter(pk=broken.pk).update(rrule="FREQ=NEVER")
    fine = EventFactory(start=timezone.now() + timedelta(days=1), rrule="FREQ=DAILY")
    Occurrence.objects.filter(event=fine).delete()
    with caplog.at_level(logging.WARNING):
        result = services.occurrences_extend()
    assert result.created > 0
    assert fine.occurrences.exists()
    assert "not extended" in caplog.text


def test_a_write_rolled_back_sends_no_mail(mailoutbox):
    event = EventFactory(
        publication_state=Event.PublicationState.PENDING, organiser=OrganiserFactory()
    )
    with pytest.raises(RuntimeError), transaction.atomic():
        services.event_publish(event=event)
        raise RuntimeError("a later step of the same write fails")
    assert len(mailoutbox) == 0
    event = Event.objects.get(pk=event.pk)
    assert event.publication_state == Event.PublicationState.PENDING
    services.event_publish(event=event)
    assert [message.subject for message in mailoutbox] == [mailoutbox[0].subject]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_mail_leaves_when_the_write_commits_not_before():
    from django.core import mail

    event = EventFactory(
        publication_state=Event.PublicationState.PENDING, organiser=OrganiserFactory()
    )
    with transaction.atomic():
        services.event_publish(event=event)
        assert mail.outbox == []
    assert len(mail.outbox) == 1
    assert event.title in mail.outbox[0].subject
