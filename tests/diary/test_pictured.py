"""Stories and venues have pictures of their own, served at their sizes like an event's;
a story without one shows the magazine's, or a tile in its section's colour. An event's
sharing picture never names a venue that was renamed, and the ones a bulk insert left out
are drawn by `draw_sharing_images`."""

import re
import shutil
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from PIL import Image

from diary import catalogue, posters, services
from diary.models import Article, Event
from diary.orphan_images import orphan_images_remove
from tests.diary.test_images import drawn, jpeg, sizes_on_disk  # noqa: F401 (a fixture)
from tests.factories import ArticleFactory, EventFactory, TagFactory, VenueFactory, html_of, local
from venues.models import Venue

pytestmark = pytest.mark.django_db


def story_cards(html: str) -> list[str]:
    return re.findall(r'<li class="story-card">.*?</li>', html, re.S)


def test_a_story_card_shows_its_own_picture_the_magazines_or_its_sections_colour(client):
    tag = TagFactory(slug="jazz", name="Jazz")
    own = ArticleFactory(title="Own", image=jpeg((1200, 675)), image_alt="A trumpet")
    magazine = ArticleFactory(title="Magazine", image_url="https://magazine.example/a.jpg")
    plain = ArticleFactory(title="Plain", section=Article.Section.URBAN_LIFE)
    for story in (own, magazine, plain):
        story.tags.add(tag)
    own.refresh_from_db()
    assert (own.image_width, own.image_height) == (1200, 675)
    cards = {
        re.search(r'hreflang="en">([^<]+)</a>', card).group(1): card
        for card in story_cards(html_of(client.get(reverse("diary:tag-detail", args=["jazz"]))))
    }
    assert set(cards) == {"Own", "Magazine", "Plain"}
    assert re.search(
        r'srcset="[^"]+\.webp 480w, [^"]+\.webp 960w, [^"]+\.webp 1200w"', cards["Own"]
    )
    assert 'width="1200" height="675"' in cards["Own"] and 'alt="A trumpet"' in cards["Own"]
    assert 'loading="lazy"' in cards["Own"]
    assert 'src="https://magazine.example/a.jpg"' in cards["Magazine"]
    assert "<img" not in cards["Plain"]
    assert (
        f'<span class="story-image tile" style="--tile: {posters.colour("urban-life")}">'
        "Urban Life</span>"
    ) in cards["Plain"]


def test_an_event_page_offers_its_stories_as_cards_under_you_may_also_like(client):
    event = EventFactory()
    story = ArticleFactory(title="Jazz in the park", image=jpeg((960, 540)))
    event.related_articles.add(story)
    html = html_of(client.get(event.get_absolute_url()))
    section = re.search(r'<section class="stories".*?</section>', html, re.S).group()
    assert '<h2 id="stories-title">You may also like</h2>' in section
    [card] = story_cards(section)
    assert "Jazz in the park" in card and "<picture>" in card


def venue_form(venue: Venue, **overrides) -> dict:
    data = {
        "slug": venue.slug,
        "name_en": venue.name_en,
        "street_address_en": venue.street_address_en,
        "postal_code": venue.postal_code,
        "municipality": venue.municipality_id,
        "image_alt": "",
    }
    return {**data, **overrides}


def test_an_editor_gives_a_venue_a_picture_sized_once_and_shown_on_its_page(
    admin_client, client, settings
):
    venue = VenueFactory(name="Flagey")
    response = admin_client.post(
        reverse("admin:venues_venue_change", args=[venue.pk]),
        venue_form(venue, image=jpeg((1000, 700)), image_alt="The studio's curved front"),
    )
    assert response.status_code == 302, response.content
    venue.refresh_from_db()
    assert venue.image.name.startswith("venues/")
    assert (venue.image_width, venue.image_height) == (1000, 700)
    # 480, 960 and its own 1,000 pixels wide, each as WebP and JPEG.
    widths = sorted(Image.open(file).size[0] for file in sizes_on_disk(settings))
    assert widths == [480, 480, 960, 960, 1000, 1000]
    html = html_of(client.get(venue.get_absolute_url()))
    [picture] = re.findall(r"<picture>.*?</picture>", html, re.S)
    assert 'width="1000" height="700"' in picture
    assert 'alt="The studio&#x27;s curved front"' in picture

    # Saved again without a new picture: its dimensions stay.
    admin_client.post(
        reverse("admin:venues_venue_change", args=[venue.pk]),
        venue_form(venue, image_alt="The studio's curved front", postal_code="1050"),
    )
    venue.refresh_from_db()
    assert (venue.image_width, venue.image_height) == (1000, 700)
    assert venue.postal_code == "1050"


def test_a_venue_page_without_a_picture_shows_none(client):
    venue = VenueFactory()
    assert "<picture>" not in html_of(client.get(venue.get_absolute_url()))


def test_the_pictures_of_stories_and_venues_are_kept_and_replaced_ones_removed(settings):
    story = ArticleFactory(image=jpeg())
    venue = VenueFactory(image=jpeg())
    old = Path(settings.MEDIA_ROOT) / story.image.name
    assert orphan_images_remove(older_than=timedelta(0)) == 0
    story.image = jpeg((640, 480))  # an editor replaced it
    catalogue.article_save(article=story)
    assert orphan_images_remove(older_than=timedelta(0)) == 1
    assert not old.exists()
    assert (Path(settings.MEDIA_ROOT) / story.image.name).exists()
    assert (Path(settings.MEDIA_ROOT) / venue.image.name).exists()


# Sharing pictures that follow their venue


def test_a_renamed_venue_forgets_its_events_sharing_pictures_until_they_are_drawn_again(
    client,
    drawn,  # noqa: F811
):
    venue = VenueFactory(name="Old Hall")
    event = EventFactory(venue=venue)
    other = EventFactory()
    assert drawn.call_args.kwargs["where"].startswith("Venue")  # the other's
    kept = other.sharing_image.name

    venue.name_en = "New Hall"
    catalogue.shown_save(obj=venue)
    event.refresh_from_db()
    assert not event.sharing_image  # a link shows no picture rather than the old name
    assert 'og:image"' not in html_of(client.get(event.get_absolute_url()))

    out = StringIO()
    call_command("draw_sharing_images", stdout=out)
    assert out.getvalue() == "Sharing pictures drawn: 1.\n"
    assert drawn.call_args.kwargs["where"].startswith("New Hall")
    event.refresh_from_db()
    other.refresh_from_db()
    assert event.sharing_image and other.sharing_image.name == kept
    call_command("draw_sharing_images", stdout=out)  # nothing left to draw
    assert out.getvalue().endswith("Sharing pictures drawn: 0.\n")


def test_a_venues_unshown_change_keeps_the_sharing_pictures(drawn):  # noqa: F811
    event = EventFactory()
    event.venue.website = "https://hall.example/"
    catalogue.shown_save(obj=event.venue)
    event.refresh_from_db()
    assert event.sharing_image


@time_machine.travel(local(2026, 12, 1, 12), tick=False)
def test_events_inserted_in_bulk_get_their_sharing_pictures_from_the_command(
    settings,
    drawn,  # noqa: F811
):
    soon = EventFactory(start=local(2026, 12, 10, 20))
    past = EventFactory(start=local(2026, 11, 10, 20))
    pending = EventFactory(start=local(2026, 12, 10, 20))
    pictured = EventFactory(start=local(2026, 12, 10, 20), image=jpeg())
    services.event_reject(event=pending)
    Event.objects.update(sharing_image="")  # as `events_bulk_create` leaves them
    shutil.rmtree(Path(settings.MEDIA_ROOT) / "sharing")
    drawn.reset_mock()
    call_command("draw_sharing_images", stdout=StringIO())
    assert drawn.call_count == 9  # in each language and shape
    for event in (soon, past, pending, pictured):
        event.refresh_from_db()
    assert soon.sharing_image
    assert not (past.sharing_image or pending.sharing_image or pictured.sharing_image)


def relative_luminance(colour: str) -> float:
    """WCAG 2's relative luminance of a #rrggbb colour."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@pytest.mark.parametrize("name", [*posters.COLOURS, "other"])
def test_every_category_colour_carries_white_text_at_wcag_aa(name):
    """Cards without a picture show the category's name in white on its colour (axe found
    Festival at 3.5:1, Family at 3.3:1)."""
    ground = posters.COLOURS.get(name, posters.OTHER)
    contrast = (1 + 0.05) / (relative_luminance(ground) + 0.05)
    assert contrast >= 4.5, f"{name} {ground}: {contrast:.2f}:1"
