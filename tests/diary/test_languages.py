"""The interface in English, French and Dutch (issue 15's first part: the catalogues)."""

import re

import pytest

from tests.factories import EventFactory, local

pytestmark = pytest.mark.django_db


def test_choosing_french_in_the_header_gives_a_french_agenda(client):
    EventFactory(start=local(2030, 12, 7, 20), title="Jazz at Flagey")
    response = client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    assert response.status_code == 302
    page = client.get("/?start=2030-12-01").content.decode()
    assert '<html lang="fr"' in page
    for words in ("Filtres", "Proposer un événement", "samedi 7 décembre 2030", "20:00"):
        assert words in page
    assert "Submit an event" not in page


def test_a_dutch_browser_gets_the_agenda_in_dutch(client):
    EventFactory(start=local(2030, 12, 7, 20))
    page = client.get("/?start=2030-12-01", HTTP_ACCEPT_LANGUAGE="nl-BE,nl;q=0.9").content.decode()
    assert '<html lang="nl"' in page
    for words in ("Evenement indienen", "zaterdag 7 december 2030", "Filters wissen"):
        assert words in page


def test_the_month_starts_on_monday_in_every_language(client):
    for language, week in (
        ("en", ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]),
        ("fr", ["lun", "mar", "mer", "jeu", "ven", "sam", "dim"]),
        ("nl", ["ma", "di", "wo", "do", "vr", "za", "zo"]),
    ):
        page = client.get("/month/?start=2030-12-01", HTTP_ACCEPT_LANGUAGE=language)
        headings = page.content.decode().split("<thead")[1].split("</thead>")[0]
        assert re.findall(r">([^<]+)</th>", headings) == week, language


def test_an_unknown_language_falls_back_to_english(client):
    client.cookies["django_language"] = "xx"
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="tlh").content.decode()
    assert '<html lang="en"' in page
    assert "Submit an event" in page


def test_each_language_is_cached_apart(client, settings):
    settings.DIARY_CACHE_RESPONSES = True
    english = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    french = client.get("/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Submit an event" in english and "Proposer un événement" in french
