"""Delta sync for partner sites: `/api/v1/events/?updated_since=…`, from the journal alone."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from diary import catalogue, services
from diary.models import Event
from tests.factories import CategoryFactory, EventFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/events/"


def sync(client, since, **params) -> dict:
    response = client.get(URL, {"updated_since": since.isoformat(), **params})
    assert response.status_code == 200, response.content
    return response.json()


def sync_all(client, since) -> list[dict]:
    """Follow `next` to the end, as the documented loop does."""
    page = sync(client, since, page_size=2)
    items = page["results"]
    while page["next"]:
        page = client.get(page["next"]).json()
        items += page["results"]
    return items


def test_every_change_since_then_in_the_order_of_change_tombstones_included(client, mailoutbox):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        before = EventFactory(title="Untouched")
        clock.shift(timedelta(minutes=1))
        since = timezone.now()
        edited = EventFactory(title="Edited later")
        cancelled = EventFactory(title="Cancelled")
        rejected = EventFactory(title="Rejected")
        deleted = EventFactory(title="Deleted")
        clock.shift(timedelta(minutes=1))
        services.event_cancel(event=cancelled)
        services.event_reject(event=rejected, reason="Not an event")
        deleted_id, deleted_uid = deleted.pk, deleted.uid
        services.event_delete(event=deleted)
        edited.title = "Edited at last"
        services.event_save(event=edited)
        items = sync_all(client, since)
    assert before.uid not in {item["uid"] for item in items}
    assert [item["uid"] for item in items] == [
        cancelled.uid,
        rejected.uid,
        deleted_uid,
        edited.uid,
    ]
    assert items[0]["status"] == "cancelled" and items[0]["state"] == "published"
    assert items[1] == {
        "id": rejected.pk,
        "uid": rejected.uid,
        "updated": items[1]["updated"],
        "state": "withdrawn",
    }
    assert set(items[2]) == {"id", "uid", "updated", "state"} and items[2]["id"] == deleted_id
    assert items[3]["title"] == "Edited at last"
    updated = [item["updated"] for item in items]
    assert updated == sorted(updated)


def test_a_category_rename_is_a_change_of_its_events(client):
    music = CategoryFactory(slug="music", name="Music")
    event = EventFactory(category=music)
    since = timezone.now()
    assert sync(client, since)["results"] == []
    music.slug = "live-music"
    catalogue.shown_save(obj=music)
    [item] = sync(client, since)["results"]
    assert (item["uid"], item["category"]) == (event.uid, "live-music")


def test_the_last_updated_seen_is_where_the_next_sync_starts(client):
    event = EventFactory()
    first = sync(client, timezone.now() - timedelta(hours=1))["results"]
    last_seen = first[-1]["updated"]
    assert first[-1]["uid"] == event.uid
    # Read back as a client would: the value it holds, minus a few seconds of overlap.
    again = client.get(URL, {"updated_since": last_seen}).json()["results"]
    assert [item["uid"] for item in again] == [event.uid]


def test_pages_are_stable_while_events_change(client):
    since = timezone.now() - timedelta(seconds=1)
    events = [EventFactory() for _ in range(5)]
    page = sync(client, since, page_size=2)
    # The first one changes again between two pages: it moves to the end, nothing is lost.
    events[0].title = "Changed meanwhile"
    services.event_save(event=events[0])
    seen = [item["uid"] for item in page["results"]]
    while page["next"]:
        page = client.get(page["next"]).json()
        seen += [item["uid"] for item in page["results"]]
    assert set(seen) == {event.uid for event in events}
    assert seen[-1] == events[0].uid


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("2026-12-01T08:00:00", "offset"),  # no offset: which 08:00?
        ("yesterday", "offset"),
        ("2026-13-45T08:00:00Z", "offset"),
        ("", "offset"),
    ],
)
def test_a_bad_moment_is_a_400_naming_the_parameter(client, value, words):
    response = client.get(URL, {"updated_since": value})
    assert response.status_code == 400
    [message] = response.json()["updated_since"]
    assert words in message


def test_it_is_not_combined_with_the_agendas_parameters(client):
    response = client.get(URL, {"updated_since": "2026-12-01T08:00:00Z", "category": "music"})
    assert response.status_code == 400
    assert "category" in response.json()["updated_since"][0]


def test_an_unencoded_plus_in_the_offset_is_read_as_one(client):
    EventFactory()
    since = (timezone.localtime() - timedelta(hours=1)).replace(microsecond=0).isoformat()
    response = client.get(f"{URL}?updated_since={since}")  # "+01:00" arrives as " 01:00"
    assert response.status_code == 200
    assert len(response.json()["results"]) == 1


def test_delta_sync_runs_a_constant_number_of_queries(client, django_assert_max_num_queries):
    since = timezone.now() - timedelta(seconds=1)
    for number in range(30):
        event = EventFactory()
        if number % 3 == 0:
            services.event_reject(event=event)
    with django_assert_max_num_queries(8):
        page = sync(client, since, page_size=100)
    assert len(page["results"]) == 30
    assert sum(item["state"] == "withdrawn" for item in page["results"]) == 10


def test_pending_events_never_appear(client):
    since = timezone.now() - timedelta(seconds=1)
    EventFactory(publication_state=Event.PublicationState.PENDING)
    assert sync(client, since)["results"] == []


@pytest.mark.parametrize(
    ("value", "echoed"),
    [
        ("0513-08-19T04:24:59Z", "0513-08-19T04:24:59Z"),  # Brussels then: local mean time
        ("2026-12-01T09:00:00+01:00", "2026-12-01T08:00:00Z"),
    ],
)
def test_the_moment_is_echoed_in_utc(client, value, echoed):
    assert client.get(URL, {"updated_since": value}).json()["updated_since"] == echoed


def test_a_moment_that_overflows_is_a_400(client):
    response = client.get(URL, {"updated_since": "0001-01-01T00:00:00+05:00"})
    assert response.status_code == 400
    assert "updated_since" in response.json()
