"""Every form, rendered in French, Dutch and English, posted back as a browser posts it.

The values are taken from the rendered page through `tests.posted`, which drops what a
browser drops (a `datetime-local` or `date` value not in HTML's own format). A French
organiser's edit once failed here with "Ce champ est obligatoire": the dates were rendered
as "02/01/2027 10:00:00" and never came back.
"""

from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation

from diary import services
from diary.models import Event
from tests.factories import form_data
from tests.posted import form_index, posted

pytestmark = pytest.mark.django_db
LANGUAGES = ["fr", "nl", "en"]


@pytest.fixture(autouse=True)
def _before_the_dates(time_machine):
    time_machine.move_to(datetime(2026, 11, 20, 9, tzinfo=UTC))


def manage_page(event, language: str) -> str:
    with translation.override(language):
        return reverse("diary:submission-manage", args=[services.manage_token(event)])


def submitted(client) -> Event:
    dates = {"start": "2027-01-02T10:00", "end": "2027-01-02T12:00", "repeat_until": "2027-02-27"}
    response = client.post("/submit/", form_data(**dates, weekly_days=["SA"]))
    assert response.status_code == 302, response.content.decode()[:2000]
    return Event.objects.get()


def test_the_sanitiser_drops_what_a_browser_drops():
    html = (
        '<form><input type="datetime-local" name="a" value="02/01/2027 10:00:00">'
        '<input type="datetime-local" name="b" value="2027-01-02 10:00:00">'
        '<input type="date" name="c" value="02/01/2027"><input type="date" name="d" '
        'value="2027-01-02"><input type="checkbox" name="e"><input type="checkbox" name="f" '
        'checked><select name="g"><option value="1">one</option></select>'
        '<textarea name="h">\nkept</textarea><input type="submit" name="i" value="Go"></form>'
    )
    assert posted(html) == {
        "a": [""],
        "b": ["2027-01-02T10:00:00"],
        "c": [""],
        "d": ["2027-01-02"],
        "f": ["on"],
        "g": ["1"],
        "h": ["kept"],
    }


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_organiser_saves_an_edit_from_the_manage_page_in_every_language(client, language):
    event = submitted(client)
    url = manage_page(event, language)
    html = client.get(url).content.decode()
    data = posted(html, form_index(html, 'class="submission"'))
    assert data["start"] == ["2027-01-02T10:00"]
    assert data["repeat_until"] == ["2027-02-27"]
    data["title"] = ["Repair Café, nouvelle salle"]
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()
    event.refresh_from_db()
    assert event.title_en == "Repair Café, nouvelle salle"
    assert (event.start, event.rrule) == (
        datetime(2027, 1, 2, 9, tzinfo=UTC),
        "FREQ=WEEKLY;BYDAY=SA;UNTIL=20270227",
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_submission_form_posts_back_what_it_rendered(client, language):
    """A form sent back with errors keeps every value, and posts again as the browser has it."""
    overrides = {"title": "", "start": "2027-01-02T10:00", "end": None, "weekly_days": ["SA"]}
    overrides["repeat_until"] = "2027-02-27"
    with translation.override(language):
        url = reverse("diary:submit")
    html = client.post(url, form_data(**overrides)).content.decode()
    data = posted(html, form_index(html, 'class="submission"'))
    assert (data["start"], data["repeat_until"]) == (["2027-01-02T10:00"], ["2027-02-27"])
    data["title"] = ["Atelier vélo"]
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()
    assert Event.objects.get().title == "Atelier vélo"


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_editor_saves_an_event_in_the_admin_in_every_language(client, language):
    event = submitted(client)
    editor = get_user_model().objects.create_superuser("editor", "e@example.org", "pw")
    editor.language = language
    client.force_login(editor)
    with translation.override(language):
        url = reverse("admin:diary_event_change", args=[event.pk])
    html = client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    data = posted(html, form_index(html, 'id="event_form"'))
    data["title_en"] = ["Repair Café, salle 2"]
    response = client.post(url, data, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 302, response.content.decode()
    event.refresh_from_db()
    assert event.title_en == "Repair Café, salle 2"
    assert event.start == datetime(2027, 1, 2, 9, tzinfo=UTC)
