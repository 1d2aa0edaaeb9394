"""The pages in English (/…), French (/fr/…) and Dutch (/nl/…)."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from diary import services
from diary.models import Change, Event
from diary.templatetags.agenda import day_month, euros
from tests.factories import (
    ArticleFactory,
    CategoryFactory,
    EventFactory,
    OrganiserFactory,
    form_data,
    local,
)

pytestmark = pytest.mark.django_db


def text(client, path: str, **headers) -> str:
    response = client.get(path, **headers)
    assert response.status_code == 200, (path, response.status_code)
    return response.content.decode()


def test_the_french_and_dutch_agendas_speak_their_language(client):
    EventFactory(start=local(2030, 12, 7, 20), title="Jazz at Flagey")
    french = text(client, "/fr/?start=2030-12-01")
    assert '<html lang="fr"' in french
    for words in ("Filtres", "Proposer un événement", "samedi 7 décembre 2030", "20:00"):
        assert words in french
    assert "Submit an event" not in french
    dutch = text(client, "/nl/?start=2030-12-01")
    for words in ("Evenement indienen", "zaterdag 7 december 2030", "Filters wissen"):
        assert words in dutch


@pytest.mark.parametrize(
    ("headers", "location"),
    [
        ({"HTTP_ACCEPT_LANGUAGE": "fr-BE,fr;q=0.9,en;q=0.5"}, "/fr/?when=week&free=true"),
        ({"HTTP_ACCEPT_LANGUAGE": "nl-BE,nl;q=0.9"}, "/nl/?when=week&free=true"),
    ],
)
def test_a_first_visit_goes_to_the_language_the_browser_asks_for(client, headers, location):
    response = client.get("/?when=week&free=true", **headers)
    assert response.status_code == 302
    assert response["Location"] == location
    assert "Accept-Language" in response["Vary"]


@pytest.mark.parametrize("accept", ["", "en-GB,en;q=0.9", "de-DE,de;q=0.9", "tlh"])
def test_english_or_no_known_language_gets_the_english_page(client, accept):
    page = text(client, "/", HTTP_ACCEPT_LANGUAGE=accept)
    assert '<html lang="en"' in page and "Submit an event" in page


def test_a_choice_is_remembered_and_kept_on_the_same_page_with_its_filters(client):
    event = EventFactory()
    response = client.post(
        "/i18n/setlang/", {"language": "nl", "next": "/fr/?category=music&free=true"}
    )
    assert response["Location"] == "/nl/?category=music&free=true"
    # Later, an unprefixed link (from another site, an old bookmark) follows the choice...
    assert client.get(f"/events/{event.slug}/")["Location"] == f"/nl/events/{event.slug}/"
    # ...and choosing English again stays English, whatever the browser says.
    client.post("/i18n/setlang/", {"language": "en", "next": "/nl/"})
    assert '<html lang="en"' in text(client, "/", HTTP_ACCEPT_LANGUAGE="fr")


def test_en_is_the_english_pages_other_name(client):
    event = EventFactory()
    response = client.get(f"/en/events/{event.slug}/?utm=x")
    assert response.status_code == 301
    assert response["Location"] == f"/events/{event.slug}/?utm=x"


def test_every_page_names_its_languages_and_its_canonical_address(client):
    event = EventFactory()
    page = text(client, f"/fr/events/{event.slug}/")
    alternates = dict(re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)"', page))
    assert alternates == {
        "en": f"http://testserver/events/{event.slug}/",
        "fr": f"http://testserver/fr/events/{event.slug}/",
        "nl": f"http://testserver/nl/events/{event.slug}/",
        "x-default": f"http://testserver/events/{event.slug}/",
    }
    assert page.count('rel="canonical"') == 1
    agenda = text(client, "/nl/?category=music")
    assert 'hreflang="fr" href="http://testserver/fr/?category=music"' in agenda
    assert '<link rel="canonical" href="http://testserver/nl/?category=music">' in agenda


def test_the_sitemap_lists_each_page_in_each_language_with_its_alternates(client):
    event = EventFactory()
    xml = client.get("/sitemap-events.xml").content.decode()
    for prefix in ("", "/fr", "/nl"):
        assert f"<loc>http://testserver{prefix}/events/{event.slug}/</loc>" in xml
    assert 'hreflang="x-default" href="http://testserver/events/' in xml


def test_stable_addresses_keep_no_prefix_and_never_404(client):
    event = EventFactory()
    for path in (
        f"/events/{event.slug}/",
        f"/events/{event.slug}.ics",
        "/feeds/events.ics",
        "/api/v1/events/",
        "/venues/",
        "/month/",
    ):
        assert client.get(path).status_code == 200, path
    # A French visitor's .ics file and feeds stay where calendar apps expect them.
    ics = client.get(f"/events/{event.slug}.ics", HTTP_ACCEPT_LANGUAGE="fr")
    assert ics.status_code == 200
    assert f"URL:http://127.0.0.1:8000/events/{event.slug}/".encode() in ics.content.replace(
        b"\r\n ", b""
    )


def test_the_month_starts_on_monday_in_every_language(client):
    for prefix, week in (
        ("", ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]),
        ("/fr", ["lun", "mar", "mer", "jeu", "ven", "sam", "dim"]),
        ("/nl", ["ma", "di", "wo", "do", "vr", "za", "zo"]),
    ):
        headings = text(client, f"{prefix}/month/?start=2030-12-01").split("<thead")[1]
        assert re.findall(r">([^<]+)</th>", headings.split("</thead>")[0]) == week, prefix


def test_each_language_is_cached_apart(client, settings):
    settings.DIARY_CACHE_RESPONSES = True
    english, french = text(client, "/"), text(client, "/fr/")
    assert "Submit an event" in english and "Proposer un événement" in french
    assert text(client, "/") == english and text(client, "/fr/") == french


def test_the_form_in_french_is_the_same_door_and_answers_in_french(client):

    with translation.override("fr"):
        french_form = reverse("diary:submit")
    assert "Proposer un événement" in text(client, french_form)
    response = client.post(french_form, form_data())
    assert response.status_code == 302
    assert response["Location"].startswith("/fr/submit/manage/")  # the manage page in French
    event = Event.objects.get()
    assert event.publication_state == Event.PublicationState.PENDING
    assert "Merci" in text(client, response["Location"])
    event = services.event_publish(event=event)
    with translation.override("fr"):
        manage = reverse("diary:submission-manage", args=[services.manage_token(event)])
    assert manage.startswith("/fr/")
    client.post(manage, {"action": "cancel", "confirmed": "yes"})
    assert (Change.objects.first().action, Change.objects.first().door) == ("cancelled", "manage")


def test_the_organiser_is_written_to_in_the_language_of_the_form_whoever_moderates(
    client, admin_client, mailoutbox
):

    with translation.override("nl"):
        dutch_form = reverse("diary:submit")
    client.post(dutch_form, form_data())
    event = Event.objects.get()
    assert event.text_language == "nl"
    [received] = mailoutbox
    assert "ontvangen" in received.subject and "/nl/submit/manage/" in received.body
    # An editor approves from the English admin: the e-mail is still in Dutch.
    admin_client.post(
        reverse("admin:diary_event_changelist"),
        {"action": "approve", "_selected_action": [event.pk]},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    published = mailoutbox[-1]
    assert "staat in de agenda" in published.subject
    assert "Hallo" in published.body


def test_the_api_takes_the_texts_language_from_the_request_or_the_field(client):
    from diary.models import ApiToken

    token = ApiToken.objects.create(organiser=OrganiserFactory()).key
    event = {
        "title": "Balade",
        "category": "music",
        "start": "2030-12-07T20:00:00+01:00",
    }
    for extra, headers, expected in (
        ({}, {"HTTP_ACCEPT_LANGUAGE": "fr-BE"}, "fr"),
        ({"text_language": "nl"}, {"HTTP_ACCEPT_LANGUAGE": "fr-BE"}, "nl"),
        ({}, {}, "en"),
    ):
        response = client.post(
            "/api/v1/events/",
            {**event, **extra},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Token {token}",
            **headers,
        )
        assert response.status_code == 201, response.content
        assert Event.objects.get(uid=response.json()["uid"]).text_language == expected
    refused = client.post(
        "/api/v1/events/",
        {**event, "text_language": "de"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token}",
    )
    assert refused.status_code == 400 and "text_language" in refused.json()


def test_feeds_and_the_api_take_lang_and_refuse_an_unknown_one(client):
    event = EventFactory(category=None)
    dutch = client.get("/feeds/events.ics?lang=nl").content.decode()
    assert "X-WR-CALNAME:Agenda" in dutch  # "Event Diary" in Dutch
    assert f"SUMMARY;LANGUAGE=en:{event.title}" in dutch  # the texts' own language
    french = client.get("/api/v1/events/?category=nope&lang=fr").json()
    assert "ne fait pas partie des choix" in french["category"][0]
    for path in ("/feeds/events.ics?lang=de", "/api/v1/events/?lang=de"):
        response = client.get(path)
        assert response.status_code == 400, path
        assert "lang" in response.content.decode()
    assert client.get("/api/v1/events/?lang=de").json()["lang"][0].startswith("“de”")


def test_a_dutch_pages_subscribe_links_give_the_dutch_feed(client):
    EventFactory()
    page = text(client, "/nl/?category=music")
    assert "webcal://testserver/feeds/events.ics?category=music&amp;lang=nl" in page
    assert "lang=" not in text(client, "/?category=music").split("webcal://")[1][:80]


def test_structured_data_says_the_texts_language(client):
    import json

    event = EventFactory(text_language="fr", title="", title_fr="Balade", title_nl="Wandeling")
    for path, language, title in (("/nl/", "nl", "Wandeling"), ("/", "fr", "Balade")):
        page = text(client, f"{path}events/{event.slug}/")
        script = page.split('<script type="application/ld+json">')[1].split("</script>")[0]
        data = json.loads(script)
        assert (data["inLanguage"], data["name"]) == (language, title)


def test_the_api_says_each_events_texts_language(client):
    event = EventFactory(text_language="nl")
    assert client.get(f"/api/v1/events/{event.pk}/").json()["text_language"] == "nl"


def test_every_feed_link_of_a_french_page_carries_its_language(client):
    """ "S'abonner à tous les événements « En famille »" gave the feed in English."""
    family = CategoryFactory(slug="family", name_en="Family", name_fr="En famille")
    event = EventFactory(title="Conte", category=family, rrule="FREQ=WEEKLY;COUNT=3")
    page = client.get(f"/fr/events/{event.slug}/").content.decode()
    assert 'href="/feeds/categories/family.ics?lang=fr"' in page
    assert f'href="/fr/events/{event.slug}.ics?lang=fr" download' in page or (
        f'href="/events/{event.slug}.ics?lang=fr" download' in page
    )
    agenda = client.get("/nl/?category=family").content.decode()
    assert 'href="/feeds/events.rss?category=family&amp;lang=nl"' in agenda
    english = client.get(f"/events/{event.slug}/").content.decode()
    assert 'href="/feeds/categories/family.ics"' in english
    assert "lang=" not in english.split("<main")[1].split("</main>")[0]


def test_an_events_stories_are_the_same_on_every_languages_page(client):
    """*Vous aimerez aussi* showed on the English page of an event and not on its French one:
    the stories were found from the title in the page's language."""
    ArticleFactory(title="Why Brussels loves its brass bands", url="https://mag.example/brass")
    event = EventFactory(title="Brass Band Night", category=CategoryFactory())
    event.title_fr, event.title_nl = "Soirée fanfare", "Fanfareavond"
    services.event_save(event=event)
    for prefix in ("", "/fr", "/nl"):
        page = client.get(f"{prefix}/events/{event.slug}/").content.decode()
        assert "https://mag.example/brass" in page, prefix


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ("€20–30", "€12.50", "5 Jun", "5 Jul")),
        ("fr", ("20–30\xa0€", "12,50\xa0€", "5 juin", "5 juil.")),
        ("nl", ("€\xa020–30", "€\xa012,50", "5 jun", "5 jul")),
        ("en", ("€20–30", "€12.50", "5 Jun", "5 Jul")),  # the prices remembered by language
    ],
)
def test_prices_and_short_dates_as_each_language_writes_them(language, expected):
    with translation.override(language):
        written = (
            euros(Decimal("20"), Decimal("30")),
            euros(Decimal("12.50")),
            day_month(date(2027, 6, 5)),
            day_month(date(2027, 7, 5)),
        )
    assert written == expected
