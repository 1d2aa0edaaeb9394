"""The venues' pages: the list (by area, with its map) and one venue with what is on there."""

import json
import re

import pytest
from django.urls import reverse

from diary.models import Event
from tests.factories import EventFactory, VenueFactory, html_of

pytestmark = pytest.mark.django_db


def test_the_venue_list_filters_by_area_and_maps_every_venue(client):
    flagey = VenueFactory(name="Flagey", latitude="50.8276", longitude="4.3722")
    VenueFactory(name="Bozar")
    response = client.get(reverse("venues:list"), {"area": flagey.municipality.slug})
    html = html_of(response)
    assert "Flagey" in html
    assert "Bozar" not in html
    area = flagey.municipality
    assert f'<option value="{area.slug}" selected>{area.name}</option>' in html
    places = json.loads(re.search(r'id="venue-places"[^>]*>(.*?)</script>', html).group(1))
    assert places == [
        {
            "name": "Flagey",
            "lat": 50.8276,
            "lon": 4.3722,
            "url": "/venues/venue-" + flagey.slug.split("-")[1] + "/",
        }
    ]


def test_an_unknown_area_shows_every_venue_with_a_message(client):
    VenueFactory(name="Bozar")
    html = html_of(client.get(reverse("venues:list"), {"area": "atlantis"}))
    assert "Bozar" in html
    assert "There is no area called “atlantis”" in html


def test_a_venue_page_lists_its_published_events_and_offers_its_feed(client):
    venue = VenueFactory(name="Flagey", step_free_access=True)
    EventFactory(title="Piano", venue=venue)
    EventFactory(title="Hidden", venue=venue, publication_state=Event.PublicationState.PENDING)
    html = html_of(client.get(venue.get_absolute_url()))
    assert "Piano" in html
    assert "Hidden" not in html
    assert "Step-free access" in html
    assert f"webcal://testserver/feeds/venues/{venue.slug}.ics" in html
