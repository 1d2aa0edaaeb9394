from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from diary.models import Event, Occurrence, Organiser
from diary.recurrence import LONGEST
from tests.factories import EventFactory, OrganiserFactory, VenueFactory, local

pytestmark = pytest.mark.django_db


def unsaved_event(**fields) -> Event:
    values = {
        "title": "Concert",
        "slug": "concert",
        "start": local(2026, 12, 1, 20),
        "end": local(2026, 12, 1, 22),
    }
    values.update(fields)
    return Event(**values)


def errors_of(event: Event) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        event.full_clean()
    return caught.value.message_dict


def test_a_valid_event_passes_validation():
    unsaved_event(rrule="FREQ=WEEKLY;COUNT=3").full_clean()


def test_an_end_before_the_start_is_refused_with_a_message():
    errors = errors_of(unsaved_event(end=local(2026, 12, 1, 19)))
    assert "The end must be after the start." in errors["end"]


def test_a_date_may_last_a_year_and_no_longer():
    """The agenda's queries take a year as the longest a date lasts (a bound on `start`)."""
    start = local(2026, 12, 1)
    unsaved_event(start=start, end=start + LONGEST, all_day=True).full_clean()
    errors = errors_of(unsaved_event(start=start, end=start + LONGEST + timedelta(days=1)))
    assert errors["end"] == ["A date lasts at most a year: make a longer run a repeating event."]
    moved_far = unsaved_event(
        rrule="FREQ=WEEKLY;COUNT=3",
        overrides={"2026-12-08T20:00:00": {"start": "2026-12-08T20:00", "end": "2028-01-01"}},
    )
    assert "at most a year" in errors_of(moved_far)["rrule"][0]


def test_the_database_refuses_an_end_before_the_start_too():
    with pytest.raises(IntegrityError), transaction.atomic():
        unsaved_event(end=local(2026, 12, 1, 19)).save()


def test_a_bad_rrule_is_refused_with_a_message():
    errors = errors_of(unsaved_event(rrule="FREQ=FORTNIGHTLY"))
    assert any("FREQ must be one of" in message for message in errors["rrule"])


def test_a_bad_exception_date_is_refused_with_a_message():
    errors = errors_of(unsaved_event(rrule="FREQ=DAILY;COUNT=3", exdates=["31/12/2026"]))
    assert any("is not a date" in message for message in errors["exdates"])


def test_an_unknown_time_zone_is_refused_with_a_message():
    errors = errors_of(unsaved_event(timezone="Europe/Bruxelles"))
    assert errors["timezone"] == [
        "“Europe/Bruxelles” is not a known time zone. Use an IANA name such as Europe/Brussels."
    ]


def test_a_price_range_upside_down_is_refused():
    errors = errors_of(unsaved_event(price_min=20, price_max=10))
    assert "The lowest price cannot be above the highest." in errors["__all__"]


def test_a_free_event_with_a_price_is_refused():
    errors = errors_of(unsaved_event(is_free=True, price_min=5))
    assert "A free event has no price." in errors["is_free"]


def test_an_age_range_upside_down_is_refused():
    errors = errors_of(unsaved_event(min_age=12, max_age=6))
    assert "The minimum age cannot be above the maximum age." in errors["__all__"]


def test_slugs_are_unique():
    EventFactory(slug="same")
    with pytest.raises(ValidationError) as caught:
        unsaved_event(slug="same").full_clean()
    assert "slug" in caught.value.message_dict


def test_every_event_gets_its_own_uid_on_the_site_domain(settings):
    first, second = EventFactory(), EventFactory()
    assert first.uid != second.uid
    assert first.uid.endswith(f"@{settings.DIARY_UID_DOMAIN}")


def test_the_uid_is_not_editable():
    assert Event._meta.get_field("uid").editable is False


def test_script_in_a_description_is_removed_on_save():
    event = EventFactory(
        description='<p onclick="x()">Hi <script>alert(1)</script><a href="javascript:x">l</a></p>'
    )
    event.refresh_from_db()
    assert "script" not in event.description
    assert "onclick" not in event.description
    assert "javascript" not in event.description
    assert event.description.startswith("<p>Hi")


def test_the_rule_is_stored_in_canonical_form():
    event = EventFactory(rrule="rrule:freq=weekly; count=2")
    assert Event.objects.get(pk=event.pk).rrule == "FREQ=WEEKLY;COUNT=2"


def test_organiser_emails_are_stored_in_lower_case():
    organiser = OrganiserFactory(email="Someone@Example.ORG")
    assert Organiser.objects.get(pk=organiser.pk).email == "someone@example.org"


def test_an_event_links_to_its_page_and_a_venue_to_its_own():
    event = EventFactory(slug="jazz-night", venue=VenueFactory(slug="flagey"))
    assert event.get_absolute_url() == "/events/jazz-night/"
    assert event.venue.get_absolute_url() == "/venues/flagey/"


def test_an_occurrence_reads_as_its_event_and_local_time():
    event = EventFactory(title="Jazz", start=local(2026, 7, 1, 20), end=None)
    occurrence = event.occurrences.get()
    assert str(occurrence) == "Jazz (2026-07-01 20:00)"
    assert occurrence.end == occurrence.start
    assert occurrence.get_absolute_url() == event.get_absolute_url()


def test_the_venue_address_reads_as_one_line():
    venue = VenueFactory(street_address="Rue Ravenstein 23", postal_code="1000")
    assert venue.address == f"Rue Ravenstein 23, 1000 {venue.municipality.name}"


def test_changed_fields_lists_what_calendar_apps_see():
    event = Event.objects.get(pk=EventFactory().pk)
    assert event.changed_fields() == set()
    event.summary = "new summary"
    assert event.changed_fields() == set()
    event.start += timedelta(hours=1)
    event.title = "New title"
    assert event.changed_fields() == {"start", "title_en"}


def test_a_rule_too_dense_to_expand_is_refused_with_a_message():
    minutes = ",".join(str(minute) for minute in range(60))
    errors = errors_of(
        unsaved_event(start=local(2000, 1, 1), end=None, rrule=f"FREQ=HOURLY;BYMINUTE={minutes}")
    )
    assert any("too many dates" in m or "too much work" in m for m in errors["rrule"])


@pytest.mark.parametrize("year", [1850, 2100, 9999])
def test_dates_outside_the_agendas_years_are_refused(year):
    errors = errors_of(unsaved_event(start=local(year, 1, 1, 20), end=None))
    assert errors["start"] == ["Give a date between 1900 and 2099."]


@pytest.mark.parametrize(
    "start, end, is_run",
    [
        # 25 hours on the wall across the autumn change are 26 that pass: on for over a day.
        (local(2026, 10, 24, 2), local(2026, 10, 25, 3), True),
        (local(2026, 10, 25), local(2026, 10, 26), False),  # the day the clocks go back: 25 h
        (local(2026, 3, 28, 2), local(2026, 3, 29, 4), False),  # 26 on the wall, 25 in spring
        (local(2026, 12, 1, 20), local(2026, 12, 2, 21, 1), True),
    ],
)
def test_a_date_is_a_run_when_more_than_25_hours_pass(start, end, is_run):
    """As the database counts (the month grid, the `is_run` column's migration, the filter
    of what is still on): a date found a happening by the wall clock was missed by the
    filter in the hour it still ran."""
    assert Occurrence.is_run_of(start, end) is is_run
