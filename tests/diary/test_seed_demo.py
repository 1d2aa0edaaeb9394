from datetime import date, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Q
from django.utils import timezone

from diary import posters
from diary.demo import VENUES
from diary.images import sizes
from diary.models import Article, ChangedEvent, Event, Occurrence
from venues.models import Municipality, Venue

pytestmark = pytest.mark.django_db


def seed(*args) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def snapshot() -> list[tuple]:
    return list(
        Event.objects.order_by("uid").values_list(
            "uid", "title_en", "title_fr", "title_nl", "start", "rrule"
        )
    )


def test_the_demo_city_has_real_venues_in_real_municipalities():
    seed("--events", "0")
    assert Municipality.objects.count() == 19
    assert Venue.objects.count() == len(VENUES) >= 15
    tour_taxis = Venue.objects.get(slug="tour-taxis")
    assert tour_taxis.street_address == "Avenue du Port 86C"
    assert tour_taxis.municipality.slug == "brussels"
    assert 50.8 < tour_taxis.latitude < 50.9


def test_the_smart_city_story_and_its_event_are_linked():
    seed("--events", "0")
    article = Article.objects.get(title="Smart City – branding and the need for citizen engagement")
    assert (article.author, article.published_on) == ("Editorial Team", date(2016, 5, 4))
    assert set(article.tags.values_list("name_en", flat=True)) == {"smart city", "city branding"}
    related = Article.objects.filter(published_on__year=2022).values_list("title", flat=True)
    assert set(related) == {
        "Belgian economic mission to Japan with large Brussels delegation",
        "Brussels Region opens economic office in the heart of Copenhagen",
        "Copenhagen and Brussels strengthen ties",
    }
    event = Event.objects.get(title_en="Brussels Smart City")
    assert event.venue.slug == "tour-taxis"
    assert event.occurrences.get().start.date() == date(2016, 5, 3)
    assert list(event.related_articles.all()) == [article]
    assert event.is_published


def test_generated_events_cover_the_cases_the_agenda_must_show():
    seed("--events", "200")
    events = Event.objects.exclude(title_en="Brussels Smart City")
    assert events.count() == 200
    assert events.exclude(rrule="").exists()
    assert events.filter(is_free=True).exists()
    assert events.filter(all_day=True).exists()
    assert events.filter(status=Event.Status.CANCELLED).exists()
    assert events.filter(publication_state=Event.PublicationState.PENDING).exists()
    assert events.filter(venue__isnull=True).exists()
    assert events.filter(sold_out=True, is_free=False).exists()
    assert not events.filter(sold_out=True, is_free=True).exists()
    assert events.filter(category__slug="music").exclude(performers="").exists()
    assert not events.filter(category__slug="exhibition").exclude(performers="").exists()
    assert Occurrence.objects.count() > events.count()
    assert (
        not Occurrence.objects.filter(event__in=events)
        .exclude(event__rrule="")
        .filter(event__rrule__contains="COUNT")
        .filter(event__occurrences__isnull=True)
        .exists()
    )


def test_seeding_twice_changes_nothing():
    seed("--events", "50")
    before = (snapshot(), Occurrence.objects.count(), Venue.objects.count())
    output = seed("--events", "50")
    assert "0 events added" in output
    assert (snapshot(), Occurrence.objects.count(), Venue.objects.count()) == before


def test_the_same_seed_gives_the_same_events():
    seed("--events", "30", "--seed", "7")
    first = snapshot()
    Event.objects.all().delete()
    seed("--events", "30", "--seed", "7")
    assert snapshot() == first


def test_more_venues_than_the_real_ones_are_generated():
    seed("--events", "0", "--venues", str(len(VENUES) + 3))
    assert Venue.objects.count() == len(VENUES) + 3


def test_if_empty_leaves_an_existing_diary_alone():
    seed("--events", "5")
    output = seed("--events", "50", "--if-empty")
    assert "nothing loaded" in output
    assert Event.objects.count() == 6


@pytest.mark.parametrize("args", [["--events", "-1"], ["--events", "100001"], ["--venues", "0"]])
def test_out_of_range_arguments_are_refused(args):
    with pytest.raises(CommandError):
        seed(*args)


def test_extend_occurrences_reports_what_it_did():
    seed("--events", "20")
    out = StringIO()
    call_command("extend_occurrences", stdout=out)
    assert out.getvalue().startswith("Occurrences: 0 created")


def test_the_bulk_insert_follows_the_same_rules_as_every_save():
    seed("--events", "60", "--seed", "3")
    public = Event.objects.published()
    assert public.exists()
    # Journalled as the demo door, each public event stamped, as event_save would.
    assert not public.filter(last_change__isnull=True).exists()
    journalled = ChangedEvent.objects.filter(change__door="demo").values("event_pk")
    assert journalled.distinct().count() == public.count()
    for event in Event.objects.select_related("venue", "category"):
        stored = event.search_text
        event.search_text_refresh()
        assert event.search_text == stored
        assert (event.published_at is not None) == event.is_published
        expected = [instance.start for instance in event.stored_instances()]
        assert list(event.occurrences.order_by("start").values_list("start", flat=True)) == (
            expected
        )


def test_the_first_generated_events_have_posters_with_their_sizes(settings):
    seed("--events", "6", "--pictures", "4")
    pictured = Event.objects.exclude(image="").order_by("uid")
    assert pictured.count() == 4
    for event in pictured:
        assert (event.image_width, event.image_height) == posters.SIZE
        assert [size.width for size in sizes(event)] == [480, 960]
        for size in sizes(event):
            for url in (size.webp, size.jpeg):
                assert (Path(settings.MEDIA_ROOT) / url.removeprefix(settings.MEDIA_URL)).exists()
    files = sorted(Path(settings.MEDIA_ROOT).rglob("*.*"))
    seed("--events", "6", "--pictures", "4")  # a rerun draws nothing again
    assert sorted(Path(settings.MEDIA_ROOT).rglob("*.*")) == files


def test_the_stories_and_the_real_venues_have_posters_of_their_own(settings):
    seed("--events", "3", "--venues", str(len(VENUES) + 2), "--pictures", "1")
    real = Venue.objects.filter(slug__in=[venue.slug for venue in VENUES])
    for obj in [*Article.objects.all(), *real]:
        wanted = posters.WIDE if isinstance(obj, Article) else posters.SIZE  # a story's is 16:9
        assert (obj.image_width, obj.image_height) == wanted, obj
        assert [size.width for size in sizes(obj)] == [480, 960]
        for size in sizes(obj):
            assert (Path(settings.MEDIA_ROOT) / size.webp.removeprefix(settings.MEDIA_URL)).exists()
    assert not Venue.objects.exclude(pk__in=real).exclude(image="").exists()  # generated ones
    stories = {story.url: story.image.name for story in Article.objects.all()}
    seed("--events", "3", "--pictures", "1")  # a rerun keeps them
    assert {story.url: story.image.name for story in Article.objects.all()} == stories


def test_without_pictures_nothing_is_drawn(settings):
    seed("--events", "3", "--pictures", "0")
    assert not Article.objects.exclude(image="").exists()
    assert not Venue.objects.exclude(image="").exists()
    media = Path(settings.MEDIA_ROOT)
    drawn = [path.relative_to(media).parts[0] for path in media.rglob("*.jpg")]
    assert set(drawn) <= {"sharing"}  # only the smart city event's sharing picture


def test_the_nearest_events_texts_are_rendered_as_the_city_is_loaded(client, monkeypatch):
    """A subscription's first visitor reads them; the feeds render the rest as they read
    them (seeding 100,000 events would otherwise spend minutes on texts)."""
    monkeypatch.setattr("diary.demo.RENDERED", 5)
    seed("--events", "40")
    public = Event.objects.published().exclude(start__lt=timezone.now() - timedelta(days=7))
    rendered = list(public.exclude(ical_en="").order_by("start", "pk").values_list("pk", flat=True))
    assert rendered == list(public.order_by("start", "pk").values_list("pk", flat=True)[:5])
    assert not public.filter(pk__in=rendered).filter(Q(ical_fr="") | Q(ical_nl="")).exists()
    feed = client.get("/feeds/events.ics").content
    assert feed.count(b"BEGIN:VEVENT") >= public.count()
    assert not public.filter(ical_en="").exists()  # the feed rendered and stored the rest


def test_a_poster_is_the_same_for_the_same_seed():
    drawn = posters.poster(title="Jazz Session", label="music", ground="#1d3557", key="1-7")
    assert drawn == posters.poster(title="Jazz Session", label="music", ground="#1d3557", key="1-7")
    assert drawn != posters.poster(title="Jazz Session", label="music", ground="#1d3557", key="2-7")


def test_the_posters_font_writes_the_letters_of_brussels():
    """Pillow's own font has no "é": a missing letter is drawn as the font's empty box."""

    def drawn(face, letter: str) -> tuple:
        mask = face.getmask(letter)
        return mask.size, bytes(mask)

    for bold in (False, True):
        face = posters.font(40, bold=bold)
        for letter in "éèêëàâçîïôûùüœÉÈÀÇŒ€’–—…«»":
            assert drawn(face, letter) != drawn(face, "\ue000"), letter
