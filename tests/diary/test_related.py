"""Related stories: the editors' choice, then shared tags, then similar words."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from diary.demo import demo_city_seed
from diary.models import Article
from diary.related import related_articles
from diary.views import TAG_DATES
from tests.factories import ArticleFactory, EventFactory, TagFactory

pytestmark = pytest.mark.django_db


def titles(event) -> list[str]:
    return [article.title for article in related_articles(event)]


def story(title: str, *, tags=(), days_ago: int = 10, **fields) -> Article:
    article = ArticleFactory(
        title=title, published_on=timezone.localdate() - timedelta(days=days_ago), **fields
    )
    article.tags.set(tags)
    return article


def test_the_editors_choice_comes_first():
    smart = TagFactory(slug="smart-city", name="smart city")
    by_tag = story("Tagged", tags=[smart], days_ago=1)
    chosen = story("Chosen", days_ago=500)
    event = EventFactory(title="Smart City Meetup", tags=[smart])
    event.related_articles.set([chosen])
    assert titles(event)[:2] == ["Chosen", "Tagged"]
    assert by_tag in related_articles(event)


def test_more_shared_tags_rank_higher_then_newer_first():
    smart, branding = TagFactory(slug="smart-city"), TagFactory(slug="city-branding")
    story("One tag, new", tags=[smart], days_ago=1)
    story("Two tags, old", tags=[smart, branding], days_ago=900)
    story("One tag, older", tags=[branding], days_ago=50)
    event = EventFactory(tags=[smart, branding])
    assert titles(event) == ["Two tags, old", "One tag, new", "One tag, older"]


def test_tag_overlap_beats_similar_words():
    smart = TagFactory(slug="smart-city")
    story("Copenhagen harbour baths", tags=[smart])
    story("Jazz quartet tonight at Flagey")
    event = EventFactory(title="Jazz quartet", summary="A night of jazz", tags=[smart])
    assert titles(event) == ["Copenhagen harbour baths", "Jazz quartet tonight at Flagey"]


def test_similar_words_find_stories_without_shared_tags():
    story("Copenhagen and Brussels strengthen ties")
    story("Green roofs of Schaerbeek")
    event = EventFactory(title="Copenhagen design talk", summary="Nordic ties")
    assert titles(event) == ["Copenhagen and Brussels strengthen ties"]


def test_an_excluded_suggestion_is_never_shown():
    smart = TagFactory(slug="smart-city")
    unwanted = story("Unwanted", tags=[smart])
    story("Wanted", tags=[smart])
    event = EventFactory(title="Unwanted guests", tags=[smart])
    event.excluded_articles.set([unwanted])
    assert titles(event) == ["Wanted"]


def test_unpublished_and_future_stories_are_never_shown():
    smart = TagFactory(slug="smart-city")
    story("Draft", tags=[smart], is_published=False)
    story("Tomorrow's", tags=[smart], days_ago=-1)
    chosen_draft = story("Chosen draft", is_published=False)
    event = EventFactory(tags=[smart])
    event.related_articles.set([chosen_draft])
    assert titles(event) == []


def test_at_most_five():
    smart = TagFactory(slug="smart-city")
    for n in range(8):
        story(f"Story {n}", tags=[smart], days_ago=n)
    assert titles(EventFactory(tags=[smart])) == [f"Story {n}" for n in range(5)]


def test_relatedness_runs_a_constant_number_of_queries():
    smart = TagFactory(slug="smart-city")
    event = EventFactory(title="Smart city walk", tags=[smart])
    for n in range(3):
        story(f"Smart city {n}", tags=[smart] if n % 2 else [])

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            related_articles(event)
        return len(queries)

    few = count()
    for n in range(60):
        story(f"Smart city more {n}", tags=[smart] if n % 2 else [])
    # At most one query per stage (explicit, excluded, tags, words), whatever the size;
    # a stage is skipped once five stories are found.
    assert few <= 5
    assert count() <= 5


def test_the_demo_city_links_the_smart_city_event_to_its_story(client):
    demo_city_seed(events=0, venues=18, seed=1)
    from diary.models import Event

    event = Event.objects.get(title_en="Brussels Smart City")
    stories = client.get(event.get_absolute_url()).context["stories"]
    assert stories[0].title == "Smart City – branding and the need for citizen engagement"
    tag_page = client.get("/tags/city-branding/")
    html = tag_page.content.decode()
    for title in (
        "Smart City – branding and the need for citizen engagement",
        "Belgian economic mission to Japan with large Brussels delegation",
        "Brussels Region opens economic office in the heart of Copenhagen",
        "Copenhagen and Brussels strengthen ties",
    ):
        assert title in html
    assert [s.published_on for s in tag_page.context["stories"]] == sorted(
        [date(2016, 5, 4), date(2022, 12, 6), date(2022, 11, 23), date(2022, 11, 21)],
        reverse=True,
    )


def test_the_tag_page_lists_upcoming_events_of_the_tag(client):
    smart = TagFactory(slug="smart-city", name="smart city")
    EventFactory(title="Tagged meetup", tags=[smart])
    EventFactory(title="Other meetup")
    html = client.get("/tags/smart-city/").content.decode()
    assert "Tagged meetup" in html
    assert "Other meetup" not in html
    assert client.get("/tags/nothing/").status_code == 404


def test_the_api_gives_each_event_its_related_article_ids(client):
    smart = TagFactory(slug="smart-city")
    article = story("Tagged", tags=[smart])
    draft = story("Draft", tags=[smart], is_published=False)
    event = EventFactory(tags=[smart])
    assert client.get(f"/api/v1/events/{event.pk}/").json()["related_articles"] == [article.pk]
    ids = [a["id"] for a in client.get("/api/v1/articles/").json()["results"]]
    assert draft.pk not in ids


def test_the_tag_page_opens_with_its_stories_as_cards(client):
    smart = TagFactory(slug="smart-city", name="smart city")
    story("Where the city is going", tags=[smart], author="Editorial Team")
    EventFactory(title="Tagged meetup", tags=[smart])
    html = client.get("/tags/smart-city/").content.decode()
    assert html.index("Where the city is going") < html.index("Tagged meetup")
    assert "Editorial Team · <time" in html
    assert "No stories on this topic yet." not in html
    bare = TagFactory(slug="bare", name="bare")
    EventFactory(title="Lonely meetup", tags=[bare])
    assert "No stories on this topic yet." in client.get("/tags/bare/").content.decode()


def test_the_tag_page_pages_its_dates_in_the_same_number_of_queries(
    client, django_assert_num_queries, settings
):
    settings.DIARY_CACHE_RESPONSES = False
    smart = TagFactory(slug="smart-city", name="smart city")
    story("Where the city is going", tags=[smart])
    EventFactory(title="Daily walk", tags=[smart], rrule="FREQ=DAILY;COUNT=90")
    first = client.get("/tags/smart-city/")
    html = first.content.decode()
    assert html.count('<li class="occurrence') == TAG_DATES
    assert 'rel="next" href="?page=2"' in html and 'rel="prev"' not in html
    with django_assert_num_queries(3):  # the tag, a page of dates (and one more), the stories
        client.get("/tags/smart-city/")
    with django_assert_num_queries(2):  # no stories after the first page
        last = client.get("/tags/smart-city/?page=3").content.decode()
    assert last.count('<li class="occurrence') == 90 - 2 * TAG_DATES
    assert 'rel="prev" href="?page=2"' in last and 'rel="next"' not in last
    assert "Where the city is going" not in last
    for nonsense in ("nonsense", "-5", "99999999999999999999999"):  # an offset no database takes
        assert client.get(f"/tags/smart-city/?page={nonsense}").status_code == 200
