"""Content in three languages: each text in the language asked for, or a fallback that the
page owns up to; found by its words in any language; answered in it by every door."""

import json

import icalendar
import pytest
from django.urls import reverse
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from common.translation import CODES, translated
from diary.models import Category, Event
from tests.factories import (
    ArticleFactory,
    CategoryFactory,
    EventFactory,
    MunicipalityFactory,
    OrganiserFactory,
    VenueFactory,
    form_data,
    local,
)

pytestmark = pytest.mark.django_db

# `title` is the active language's (English in tests): a factory sets it after the columns.
TRILINGUAL = {
    "title": "Canal run",
    "title_fr": "Course du canal",
    "title_nl": "Kanaalloop",
    "summary": "Ten kilometres along the water.",
    "summary_fr": "Dix kilomètres au bord de l’eau.",
    "summary_nl": "Tien kilometer langs het water.",
}


def french_only(**fields) -> Event:
    return EventFactory(text_language="fr", title="", title_fr="Balade des jardins", **fields)


def get(client, path: str, **headers):
    response = client.get(path, **headers)
    assert response.status_code == 200, (path, response.status_code, response.content[:300])
    return response


# Which text is shown


@pytest.mark.django_db(False)
@given(
    present=st.sets(st.sampled_from(CODES)),
    own=st.sampled_from(CODES),
    active=st.sampled_from(CODES),
)
def test_a_text_falls_back_to_its_own_language_then_english_then_any(present, own, active):
    event = Event(text_language=own, **{f"title_{code}": f"title in {code}" for code in present})
    order = [active, own, "en", "fr", "nl"]
    expected = next((code for code in order if code in present), "")
    with translation.override(active):
        assert event.title == (f"title in {expected}" if expected else "")
        assert translated(event, "title") == (event.title, expected)


def test_writing_a_text_writes_the_active_languages_column():
    event = Event(title_en="Walk")
    with translation.override("nl"):
        event.title = "Wandeling"
    assert (event.title_en, event.title_nl, event.title_fr) == ("Walk", "Wandeling", "")


def test_a_page_says_when_it_shows_a_text_in_another_language(client):
    event = french_only(start=local(2030, 6, 1, 14))
    english = get(client, f"/events/{event.slug}/").content.decode()
    assert '<span lang="fr">Balade des jardins</span>' in english
    assert '<small class="fallback-note">(in French)</small>' in english
    dutch = get(client, f"/nl/events/{event.slug}/").content.decode()
    assert "(in het Frans)" in dutch
    french = get(client, f"/fr/events/{event.slug}/").content.decode()
    assert "fallback-note" not in french and 'lang="fr">Balade' not in french
    agenda = get(client, "/nl/?start=2030-06-01").content.decode()
    assert 'lang="fr">Balade des jardins</a> <small class="fallback-note">(in het Frans)' in agenda


def test_a_translated_event_shows_each_language_its_own_texts_and_no_note(client):
    event = EventFactory(**TRILINGUAL, start=local(2030, 6, 1, 14))
    for prefix, title, summary in (
        ("", "Canal run", "Ten kilometres"),
        ("/fr", "Course du canal", "Dix kilomètres"),
        ("/nl", "Kanaalloop", "Tien kilometer"),
    ):
        page = get(client, f"{prefix}/events/{event.slug}/").content.decode()
        assert f'<h1 id="event-title"><span>{title}</span></h1>' in page
        assert summary in page and "fallback-note" not in page
        ld = json.loads(page.split('<script type="application/ld+json">')[1].split("</script>")[0])
        assert ld["name"] == title


def test_names_of_categories_venues_and_areas_follow_the_page(client):
    area = MunicipalityFactory(slug="ixelles", name="Ixelles", name_fr="Ixelles", name_nl="Elsene")
    venue = VenueFactory(name="Flagey", street_address="", street_address_fr="Place Sainte-Croix",
                         street_address_nl="Heilig-Kruisplein", municipality=area)  # fmt: skip
    event = EventFactory(venue=venue, category=Category.objects.get(slug="music"))
    dutch = get(client, f"/nl/events/{event.slug}/").content.decode()
    assert "Heilig-Kruisplein" in dutch and "Elsene" in dutch and ">Muziek<" in dutch
    french = get(client, f"/fr/events/{event.slug}/").content.decode()
    assert "Place Sainte-Croix" in french and ">Musique<" in french
    # English has no street name of its own here: the French one, as Brussels signs say.
    assert "Place Sainte-Croix" in get(client, f"/events/{event.slug}/").content.decode()
    filters = get(client, "/nl/").content.decode()
    assert '<option value="ixelles">Elsene</option>' in filters


# Search


@pytest.mark.parametrize("words", ["canal run", "course du canal", "KANAALLOOP", "kilomètres"])
def test_q_finds_an_event_by_its_words_in_any_language(client, words):
    event = EventFactory(**TRILINGUAL)
    EventFactory(title="Something else")
    for prefix in ("", "/fr", "/nl"):
        page = get(client, f"{prefix}/", data={"q": words}).content.decode()
        assert event.get_absolute_url().split("/events/")[1] in page, (prefix, words)
        assert "Something else" not in page
    found = get(client, "/api/v1/events/", data={"q": words}).json()
    assert [item["id"] for item in found["results"]] == [event.pk]


def test_q_finds_a_venue_by_its_name_in_any_language(client):
    venue = VenueFactory(name="Forest National", name_nl="Vorst Nationaal")
    event = EventFactory(venue=venue)
    found = get(client, "/api/v1/events/", data={"q": "vorst nationaal"}).json()
    assert [item["id"] for item in found["results"]] == [event.pk]


# The API


def test_the_api_answers_in_lang_or_accept_language_with_every_translation(client):
    event = EventFactory(**TRILINGUAL)
    path = f"/api/v1/events/{event.pk}/"
    assert get(client, path).json()["title"] == "Canal run"
    assert get(client, path, data={"lang": "nl"}).json()["title"] == "Kanaalloop"
    french = get(client, path, HTTP_ACCEPT_LANGUAGE="fr-BE,fr;q=0.9").json()
    assert (french["title"], french["summary"]) == ("Course du canal", TRILINGUAL["summary_fr"])
    assert french["translations"]["nl"]["title"] == "Kanaalloop"
    assert set(french["translations"]) == {"en", "fr", "nl"}
    # `lang` wins over the header; each answer is cached and validated per language.
    listed = get(client, "/api/v1/events/", data={"lang": "nl"}, HTTP_ACCEPT_LANGUAGE="fr")
    assert listed.json()["results"][0]["title"] == "Kanaalloop"
    again = get(client, "/api/v1/events/", HTTP_ACCEPT_LANGUAGE="fr")
    assert again.json()["results"][0]["title"] == "Course du canal"
    assert "Accept-Language" in again["Vary"]


def test_the_api_falls_back_and_lists_only_the_languages_an_event_has(client):
    event = french_only()
    answer = get(client, f"/api/v1/events/{event.pk}/", data={"lang": "nl"}).json()
    assert (answer["title"], answer["text_language"]) == ("Balade des jardins", "fr")
    assert set(answer["translations"]) == {"fr"}


def test_the_api_orders_by_the_title_in_the_language_asked_for(client):
    EventFactory(title="Apple", title_nl="Zebra")
    EventFactory(title="Banana", title_nl="Aap")

    def titles(**params):
        return [e["title"] for e in get(client, "/api/v1/events/", data=params).json()["results"]]

    assert titles(ordering="title") == ["Apple", "Banana"]
    assert titles(ordering="title", lang="nl") == ["Aap", "Zebra"]
    assert titles(ordering="-title", lang="nl") == ["Zebra", "Aap"]


@pytest.fixture
def organiser_api(client):
    organiser = OrganiserFactory(is_trusted=True)
    token = organiser.tokens.create()
    CategoryFactory(slug="walks")

    def send(method: str, path: str, data: dict):
        return getattr(client, method)(
            path, data, content_type="application/json", HTTP_AUTHORIZATION=f"Token {token.key}"
        )

    return send


def test_an_organiser_sends_texts_in_several_languages(organiser_api):
    created = organiser_api("post", "/api/v1/events/", {
        "title": "Balade des jardins",
        "text_language": "fr",
        "translations": {"nl": {"title": "Tuinenwandeling", "summary": "Langs verborgen tuinen."}},
        "category": "walks",
        "start": "2030-06-01T14:00:00+02:00",
        "online_url": "https://example.org/live",
    })  # fmt: skip
    assert created.status_code == 201, created.json()
    event = Event.objects.get(pk=created.json()["id"])
    assert (event.title_fr, event.title_nl, event.title_en) == (
        "Balade des jardins", "Tuinenwandeling", ""
    )  # fmt: skip
    assert event.summary_nl == "Langs verborgen tuinen."
    assert created.json()["translations"]["nl"]["title"] == "Tuinenwandeling"
    # An edit's `title` is the texts' own language's; `translations` adds another.
    edited = organiser_api("patch", f"/api/v1/events/{event.pk}/", {
        "title": "Balade des jardins secrets",
        "translations": {"en": {"title": "Secret gardens walk"}},
    })  # fmt: skip
    assert edited.status_code == 200, edited.json()
    event.refresh_from_db()
    assert (event.title_fr, event.title_en, event.title_nl) == (
        "Balade des jardins secrets", "Secret gardens walk", "Tuinenwandeling"
    )  # fmt: skip


def test_an_organiser_without_a_title_in_the_texts_language_is_told_so(organiser_api):
    refused = organiser_api("post", "/api/v1/events/", {
        "text_language": "nl",
        "translations": {"fr": {"title": "Seulement en français"}},
        "category": "walks",
        "start": "2030-06-01T14:00:00+02:00",
    })  # fmt: skip
    assert refused.status_code == 400
    assert "title" in refused.json()
    too_long = organiser_api("post", "/api/v1/events/", {
        "title": "Walk",
        "translations": {"nl": {"title": "x" * 201}},
        "category": "walks",
        "start": "2030-06-01T14:00:00+02:00",
    })  # fmt: skip
    assert too_long.status_code == 400
    assert too_long.json()["translations"][0].startswith("nl.title:")


# Feeds


def vevents(response) -> list:
    body = b"".join(response) if response.streaming else response.content
    return icalendar.Calendar.from_ical(body).walk("VEVENT")


def test_a_feed_speaks_the_language_asked_for(client):
    event = EventFactory(**TRILINGUAL, category=Category.objects.get(slug="music"))
    english = get(client, "/feeds/events.ics", data={"category": "music"})
    dutch = get(client, "/feeds/events.ics", data={"category": "music", "lang": "nl"})
    [vevent] = vevents(dutch)
    assert str(vevent["SUMMARY"]) == "Kanaalloop"
    assert vevent["SUMMARY"].params["LANGUAGE"] == "nl"
    assert vevent["DESCRIPTION"].params["LANGUAGE"] == "nl"
    assert "Tien kilometer" in str(vevent["DESCRIPTION"])
    assert str(vevent["CATEGORIES"].cats[0]) == "Muziek"
    assert b"X-WR-CALNAME:Agenda: Muziek" in dutch.content
    assert str(vevents(english)[0]["SUMMARY"]) == "Canal run"
    assert english["ETag"] != dutch["ETag"]
    # The same body again: a poll of the Dutch feed is answered 304.
    polled = client.get(
        "/feeds/events.ics", {"category": "music", "lang": "nl"}, HTTP_IF_NONE_MATCH=dutch["ETag"]
    )
    assert polled.status_code == 304
    # Both languages are stored, each in its own column.
    event.refresh_from_db()
    assert "SUMMARY;LANGUAGE=nl:Kanaalloop" in event.ical_nl
    assert "SUMMARY;LANGUAGE=en:Canal run" in event.ical_en
    french = get(client, "/feeds/events.ics", HTTP_ACCEPT_LANGUAGE="fr")
    assert str(vevents(french)[0]["SUMMARY"]) == "Course du canal"


def test_a_feed_gives_a_fallback_with_its_own_language(client):
    french_only()
    [vevent] = vevents(get(client, "/feeds/events.ics", data={"lang": "nl"}))
    assert (str(vevent["SUMMARY"]), vevent["SUMMARY"].params["LANGUAGE"]) == (
        "Balade des jardins", "fr"
    )  # fmt: skip


def test_rss_speaks_the_language_asked_for(client):
    EventFactory(**TRILINGUAL)
    rss = get(client, "/feeds/events.rss", data={"lang": "fr"}).content.decode()
    assert "<title>Course du canal</title>" in rss and "<language>fr</language>" in rss


# Organisers and editors


def test_the_form_takes_the_texts_in_one_language_or_more(client):
    page = get(client, "/fr/submit/").content.decode()
    assert "En néerlandais aussi (facultatif)" in page and 'name="title_nl"' in page
    assert 'name="title_fr"' not in page  # the main title is the French one here
    response = client.post("/fr/submit/", {
        **form_data(title="Balade des jardins", summary="Au fil des jardins cachés."),
        "text_language": "fr",
        "title_nl": "Tuinenwandeling",
        "description_en": "A walk\n\nthrough hidden gardens.",
    })  # fmt: skip
    assert response.status_code == 302, response.context["form"].errors
    event = Event.objects.get()
    assert (event.text_language, event.title_fr, event.title_nl, event.title_en) == (
        "fr", "Balade des jardins", "Tuinenwandeling", ""
    )  # fmt: skip
    assert event.summary_fr == "Au fil des jardins cachés."
    assert event.description_en == "<p>A walk</p>\n\n<p>through hidden gardens.</p>"
    # The private link's form shows the translations again and keeps them.
    manage = get(client, response["Location"]).content.decode()
    assert 'value="Tuinenwandeling"' in manage and 'value="Balade des jardins"' in manage


def test_the_form_needs_the_title_in_the_language_chosen(client):
    response = client.post("/submit/", {
        **form_data(title=""), "text_language": "nl", "title_fr": "Seulement en français",
    })  # fmt: skip
    assert response.status_code == 400
    assert response.context["form"].errors["title"]
    assert not Event.objects.exists()


def test_editors_filter_what_misses_a_dutch_title_and_see_the_queues_languages(admin_client):
    EventFactory(**TRILINGUAL)
    missing = french_only()
    listed = admin_client.get(reverse("admin:diary_event_changelist"), {"missing_title": "nl"})
    assert list(listed.context["cl"].result_list) == [missing]
    pending = EventFactory(
        **TRILINGUAL, text_language="nl", publication_state=Event.PublicationState.PENDING
    )
    queue = admin_client.get(reverse("admin:diary_submission_changelist")).content.decode()
    assert "en <strong>nl</strong> fr" not in queue  # its own language comes first
    assert "<strong>nl</strong> en fr" in queue
    form = admin_client.get(reverse("admin:diary_event_change", args=[pending.pk]))
    html = form.content.decode()
    for column in ("title_en", "title_fr", "title_nl", "description_nl"):
        assert f'name="{column}"' in html
    assert "Title [nl]" in html


def test_a_story_says_its_language_where_the_page_speaks_another(client):

    event = EventFactory()
    story = ArticleFactory(title="Les jardins cachés", language="fr")
    event.related_articles.add(story)
    english = get(client, f"/events/{event.slug}/").content.decode()
    assert (
        'hreflang="fr">Les jardins cachés</a> <small class="fallback-note">(in French)' in english
    )
    french = get(client, f"/fr/events/{event.slug}/").content.decode()
    assert 'hreflang="fr">Les jardins cachés</a>\n' in french


def test_spoken_languages_are_named_in_the_pages_language(client):
    from diary.models import Language

    event = EventFactory()
    event.languages.set([Language.objects.get(code="de")])
    assert "Duits" in get(client, f"/nl/events/{event.slug}/").content.decode()
    assert '<option value="de">Allemand</option>' in get(client, "/fr/").content.decode()


def test_a_name_in_no_language_is_refused(admin_client):
    response = admin_client.post(
        reverse("admin:diary_category_add"), {"slug": "nameless", "position": 0}
    )
    assert response.status_code == 200
    assert "Give a name in at least one language." in response.content.decode()
    assert not Category.objects.filter(slug="nameless").exists()
