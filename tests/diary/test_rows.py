"""A date's row in a list is rendered once per version of its event and language
(diary.rows), and any change a reader could see in it shows at once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from diary import catalogue, services
from diary.models import Event
from tests.factories import CategoryFactory, EventFactory, TagFactory, VenueFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("uncached")]

ROW = "diary/_occurrence.html"


@pytest.fixture
def uncached(settings):
    settings.DIARY_CACHE_RESPONSES = False  # the pages themselves are rendered every time


def rows_rendered(response) -> int:
    assert response.status_code == 200
    return sum(template.name == ROW for template in response.templates)


@pytest.fixture
def concerts():
    soon = timezone.now() + timedelta(days=2)
    tag = TagFactory(slug="jazz", name="Jazz")
    venue = VenueFactory(slug="flagey", name="Flagey")
    category = CategoryFactory(slug="music", name="Music", name_fr="Musique")
    return [
        EventFactory(
            title=f"Concert {n}",
            start=soon + timedelta(hours=n),
            venue=venue,
            category=category,
            tags=[tag],
        )
        for n in range(3)
    ]


def test_each_row_is_rendered_once_and_shared_by_every_list(client, concerts):
    assert rows_rendered(client.get("/")) == 3
    assert rows_rendered(client.get("/")) == 0
    # Another selection, the venue's page and the tag's page list the same dates.
    assert rows_rendered(client.get("/?category=music")) == 0
    assert rows_rendered(client.get("/venues/flagey/")) == 0
    assert rows_rendered(client.get("/tags/jazz/")) == 0
    html = client.get("/?category=music").content.decode()
    assert all(f"Concert {n}</a>" in html for n in range(3))
    assert "Flagey · Music" in html


def test_a_row_is_rendered_again_when_its_event_changes(client, concerts):
    client.get("/")
    event = Event.objects.get(pk=concerts[1].pk)
    event.title = "Concert moved upstairs"
    services.event_save(event=event)
    response = client.get("/")
    assert rows_rendered(response) == 1
    assert "Concert moved upstairs" in response.content.decode()
    services.event_cancel(event=Event.objects.get(pk=concerts[2].pk))
    response = client.get("/")
    assert rows_rendered(response) == 1
    assert 'class="occurrence is-cancelled"' in response.content.decode()


@pytest.mark.parametrize(
    ("relation", "name", "shown"),
    [
        ("venue", "Flagey Studio 4", "Flagey Studio 4 · Music"),
        ("category", "Jazz & more", "Flagey · Jazz &amp; more"),
    ],
)
def test_a_renamed_venue_or_category_reaches_every_row(client, concerts, relation, name, shown):
    client.get("/")
    renamed = getattr(concerts[0], relation)
    renamed.name = name
    catalogue.shown_save(obj=renamed)
    response = client.get("/")
    assert rows_rendered(response) == 3
    assert response.content.decode().count(shown) == 3


def test_each_language_has_its_rows(client, concerts):
    client.get("/")
    response = client.get("/fr/")
    assert rows_rendered(response) == 3
    html = response.content.decode()
    assert "Flagey · Musique" in html
    assert f'href="/fr/events/{concerts[0].slug}/"' in html
    assert rows_rendered(client.get("/fr/")) == 0
    assert "Flagey · Music<" in client.get("/").content.decode()
