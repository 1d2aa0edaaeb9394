import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.utils import timezone

from diary import services
from diary.demo import demo_city_seed
from diary.models import Event
from tests.factories import CategoryFactory, EventFactory

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


def rss_items(client, query: str = "") -> list[ET.Element]:
    response = client.get(f"/feeds/events.rss{query}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/rss+xml")
    return ET.fromstring(response.content).findall("./channel/item")


def test_rss_lists_newly_published_events_newest_first(client):
    older = EventFactory(title="Older")
    Event.objects.filter(pk=older.pk).update(published_at=timezone.now() - timedelta(days=2))
    EventFactory(title="Newer")
    EventFactory(title="Pending", publication_state=Event.PublicationState.PENDING)
    items = rss_items(client)
    assert [item.findtext("title") for item in items] == ["Newer", "Older"]
    assert items[1].findtext("guid") == older.uid
    assert items[1].findtext("link") == f"http://testserver{older.get_absolute_url()}"


def test_rss_honours_the_agenda_filters(client):
    music = CategoryFactory(slug="music", name="Music")
    EventFactory(title="Gig", category=music, is_free=True)
    EventFactory(title="Paid gig", category=music, price_min=5)
    items = rss_items(client, "?category=music&free=true")
    assert [item.findtext("title") for item in items] == ["Gig"]
    assert items[0].findtext("category") == "Music"


def test_rss_says_when_an_event_is_cancelled(client):
    services.event_cancel(event=Event.objects.get(pk=EventFactory().pk))
    [item] = rss_items(client)
    assert "<strong>Cancelled</strong>" in item.findtext("description")


def test_a_bad_filter_gets_a_400(client):
    response = client.get("/feeds/events.rss?free=maybe")
    assert response.status_code == 400
    assert b"free:" in response.content


def test_atom_is_offered_too(client):
    EventFactory(title="Gig")
    response = client.get("/feeds/events.atom")
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert [e.findtext(f"{ATOM}title") for e in root.findall(f"{ATOM}entry")] == ["Gig"]


def test_rss_runs_a_constant_number_of_queries(client, django_assert_max_num_queries):
    demo_city_seed(events=10, venues=18, seed=6)
    with django_assert_max_num_queries(1):
        client.get("/feeds/events.rss")
    demo_city_seed(events=200, venues=18, seed=6)
    with django_assert_max_num_queries(1):
        assert len(rss_items(client)) == 50
