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


# 1. A typed address claims an organiser's trust


def test_a_form_sent_with_a_trusted_address_is_pending_and_renames_nobody(client, mailoutbox):
    from tests.diary.test_submissions import form_data

    OrganiserFactory(email="canal@example.org", name="Collectif Canal", is_trusted=True)
    response = client.post("/submit/", form_data(organiser_name="Evil Corp"))
    event = Event.objects.get()
    assert event.publication_state == Event.PublicationState.PENDING
    assert event.organiser.name == "Collectif Canal"
    assert "Evil Corp" not in client.get(response["Location"]).content.decode()
    [mail] = mailoutbox
    assert mail.to == ["canal@example.org"]


# 3. An untrusted organiser's API edit of an approved event


def test_an_untrusted_organisers_api_edit_of_a_published_event_goes_to_moderation():
    api = organiser_api()
    event = EventFactory(organiser=api.organiser)
    response = api.patch(
        f"/api/v1/events/{event.pk}/",
        {"ticket_url": "https://phishing.example/"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["publication_state"] == "pending"
    assert not Event.objects.published().filter(ticket_url__contains="phishing").exists()


def test_a_trusted_organisers_token_publishes_and_keeps_its_edits_published():
    api = organiser_api(trusted=True)
    created = api.post("/api/v1/events/", api_event(), format="json").json()
    assert created["publication_state"] == "published"
    edited = api.patch(f"/api/v1/events/{created['id']}/", {"title": "New"}, format="json")
    assert edited.json()["publication_state"] == "published"
