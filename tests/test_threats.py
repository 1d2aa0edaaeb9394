"""Each finding of docs/security.md, as the attacker tried it, refused.

The numbers are the findings' numbers there; the tests of the parts stay beside the parts.
"""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from rest_framework.test import APIClient

from diary import recurrence
from diary.models import ApiToken, Event
from tests.factories import CategoryFactory, EventFactory, OrganiserFactory, VenueFactory

pytestmark = pytest.mark.django_db

NEVER = "FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30"


def organiser_api(*, trusted: bool = False) -> APIClient:
    organiser = OrganiserFactory(is_trusted=trusted)
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Token {ApiToken.objects.create(organiser=organiser).key}"
    )
    client.organiser = organiser
    return client


def api_event(**overrides) -> dict:
    return {
        "title": "Canal clean-up",
        "start": "2026-12-05T10:00:00+01:00",
        "end": "2026-12-05T13:00:00+01:00",
        "venue": VenueFactory().slug,
        "category": CategoryFactory().slug,
        "is_free": True,
        **overrides,
    }


# 2. A rule that never yields a date


@pytest.mark.parametrize(
    "rule",
    [
        NEVER,
        "FREQ=DAILY;BYSETPOS=366",
        NEVER + ";BYMINUTE=" + ",".join(str(minute) for minute in range(60)),
        "FREQ=DAILY;BYSETPOS=366;COUNT=3",
    ],
)
def test_a_rule_without_dates_is_a_400_after_one_bounded_expansion(rule, monkeypatch):
    calls = []
    expand = recurrence.expand
    monkeypatch.setattr(recurrence, "expand", lambda **kw: calls.append(1) or expand(**kw))
    response = organiser_api().post("/api/v1/events/", api_event(rrule=rule), format="json")
    assert response.status_code == 400
    assert "too much work" in response.json()["rrule"][0]
    assert len(calls) == 1
    assert not Event.objects.exists()


def test_an_accepted_rule_is_expanded_once_per_request(monkeypatch):
    calls = []
    expand = recurrence.expand
    monkeypatch.setattr(recurrence, "expand", lambda **kw: calls.append(1) or expand(**kw))
    response = organiser_api().post(
        "/api/v1/events/", api_event(rrule="FREQ=WEEKLY;COUNT=4"), format="json"
    )
    assert response.status_code == 201
    assert len(calls) == 1
    assert Event.objects.get().occurrences.count() == 4


def test_a_stored_rule_over_the_budget_is_reported_by_the_check_and_skipped():
    event = EventFactory()
    Event.objects.filter(pk=event.pk).update(rrule=NEVER)  # stored before the budget existed
    with pytest.raises(SystemCheckError, match=rf"Event {event.pk} .*too much work"):
        call_command("check", "--database", "default", "--fail-level", "WARNING")
    call_command("extend_occurrences")  # logs it and goes on, in bounded time
