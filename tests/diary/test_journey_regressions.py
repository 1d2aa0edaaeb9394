"""Issue 13: what a person meets using the agenda's own form and links (regressions, one per
numbered point; the browser journeys live in tests/browser/)."""

import pytest
from django.urls import reverse

from diary import catalogue
from tests.factories import CategoryFactory, EventFactory, VenueFactory, form_data, local, titles

pytestmark = pytest.mark.django_db

EMPTY_FORM = "q=&when=&start=&end=&area=&venue=&tag=&language="


# 1. The form's empty selects are no error


@pytest.mark.parametrize("path", ["/", "/month/"])
def test_the_forms_empty_parameters_show_no_error(client, path):
    from django.utils import timezone

    event = EventFactory(title="Jazz night", category=CategoryFactory(slug="music"))
    month = timezone.localtime(event.start).strftime("%Y-%m")
    url = f"{path}?{EMPTY_FORM}&category=music&month={month}"
    response = client.get(url, follow=True)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Some filters could not be used" not in html
    assert "Jazz night" in html


def test_the_agenda_url_drops_empty_parameters_without_javascript(client):
    response = client.get(f"/?{EMPTY_FORM}&category=music&free=true")
    assert response.status_code == 302
    assert response["Location"] == "/?category=music&free=true"


# 2. Subscribing to a selection made with the form


@pytest.mark.parametrize(
    "url",
    [
        f"/feeds/events.ics?{EMPTY_FORM}&category=music",
        f"/feeds/events.rss?{EMPTY_FORM}&category=music",
        f"/api/v1/occurrences/?{EMPTY_FORM}&category=music",
        f"/api/v1/events/?{EMPTY_FORM}&category=music",
    ],
)
def test_every_door_treats_an_empty_value_as_absent(client, url):
    EventFactory(title="Jazz night", category=CategoryFactory(slug="music"))
    response = client.get(url)
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert b"Jazz night" in body


def test_the_subscribe_links_carry_no_empty_parameters(client):
    EventFactory(category=CategoryFactory(slug="music"))
    html = client.get(f"/?{EMPTY_FORM}&category=music", HTTP_HX_REQUEST="true").content.decode()
    assert "/feeds/events.ics?category=music" in html
    assert "area=&" not in html and "tag=&" not in html


def test_an_event_page_links_its_category_and_the_categorys_calendar(client):
    event = EventFactory(category=CategoryFactory(slug="music", name="Music"))
    html = client.get(event.get_absolute_url()).content.decode()
    assert 'href="/?category=music"' in html
    assert "/feeds/categories/music.ics" in html
    assert client.get("/feeds/categories/music.ics").status_code == 200


# 8. The organisers' form is linked from every page


def test_every_page_links_to_the_submission_form(client):
    html = client.get("/").content.decode()
    assert f'href="{reverse("diary:submit")}"' in html


# 7. Adding to a calendar


def test_a_cancelled_event_offers_no_add_to_calendar(client):
    from diary import services

    event = services.event_cancel(event=EventFactory())
    html = client.get(event.get_absolute_url()).content.decode()
    assert "Add to calendar" not in html


def test_a_series_says_google_and_outlook_add_only_the_next_date(client):
    event = EventFactory(rrule="FREQ=WEEKLY;COUNT=4")
    html = client.get(event.get_absolute_url()).content.decode()
    assert "Every date (.ics)" in html
    assert html.count("(the next date only)") == 2


# 3. Dates after a preset; the first heading of a window


def test_dates_chosen_after_a_preset_win_and_the_form_says_so(client, time_machine):

    time_machine.move_to(local(2026, 11, 29, 12), tick=False)  # a Sunday
    EventFactory(title="This weekend", start=local(2026, 11, 29, 20))
    EventFactory(title="Next Saturday", start=local(2026, 12, 5, 20))
    response = client.get("/?when=weekend&start=2026-12-05&end=2026-12-06")
    assert [title for _day, group in response.context["days"] for title in titles(group)] == [
        "Next Saturday"
    ]
    html = response.content.decode()
    assert 'value="weekend" checked' not in html
    assert 'name="when" value="" checked' in html


@pytest.mark.parametrize(
    ("query", "first_day"),
    [("start=2026-12-05&end=2026-12-06", "2026-12-05"), ("when=tomorrow", "2026-11-30")],
)
def test_an_ongoing_event_is_listed_under_the_windows_first_day(
    client, time_machine, query, first_day
):

    time_machine.move_to(local(2026, 11, 29, 12), tick=False)
    EventFactory(
        title="Exhibition", start=local(2026, 11, 20), end=local(2026, 12, 31), all_day=True
    )
    response = client.get(f"/?{query}&kind=run")  # a run: grouped apart unless asked for
    [(day, occurrences)] = response.context["days"]
    assert day.isoformat() == first_day
    assert titles(occurrences) == ["Exhibition"]


# 4. Search ignores accents and case, and knows categories


@pytest.mark.parametrize("q", ["marche", "marché", "MARCHÉ", "Marche aux puces", "flea music"])
def test_search_ignores_accents_and_case_and_finds_category_names(client, q):
    EventFactory(
        title="Marché aux puces",
        summary="Flea market",
        category=CategoryFactory(slug="music", name="Music"),
    )
    days = client.get("/", {"q": q}).context["days"]
    assert [title for _day, group in days for title in titles(group)] == ["Marché aux puces"]


def test_search_follows_a_venue_or_category_rename(client):

    venue = VenueFactory(name="Old Hall")
    category = CategoryFactory(slug="talk", name="Talk")
    EventFactory(title="Evening", venue=venue, category=category)
    venue.name, category.name = "Halles Saint-Géry", "Conférence"
    catalogue.shown_save(obj=venue)
    catalogue.shown_save(obj=category)
    for q in ("gery", "conference"):
        assert client.get("/", {"q": q}).context["days"], q


# 9. After sending: a confirmation, and a preview of the dates on the manage page


def test_sending_says_thanks_where_the_link_went_and_to_keep_this_page(client):

    page = client.post("/submit/", form_data(), follow=True).content.decode()
    assert "Thank you" in page
    assert "canal@example.org" in page
    assert "keep" in page.lower()


def test_the_manage_page_previews_the_events_dates(client):
    from diary import services
    from diary.models import Event

    client.post("/submit/", form_data())
    event = Event.objects.get()
    html = client.get(f"/submit/manage/{services.manage_token(event)}/").content.decode()
    assert "Choose a start" not in html
    assert "Tue 8 Dec 2026, 19:00–21:00" in html


# 11. An end that makes every date of a series last for weeks


def test_an_end_on_the_series_last_date_is_explained_not_accepted(client):
    from diary.models import Event

    response = client.post(
        "/submit/",
        form_data(start="2026-12-01T19:00", end="2027-02-23T22:00", repeat_until="2027-02-23"),
    )
    assert response.status_code == 400
    assert "each date" in response.content.decode()
    assert not Event.objects.exists()


def test_the_preview_shows_each_dates_start_and_end(client):

    data = {
        k: v
        for k, v in form_data().items()
        if k in {"start", "end", "repeat", "weekly_days", "repeat_until"}
    }
    html = client.get("/submit/preview/", data).content.decode()
    assert "Tue 1 Dec 2026, 19:00–21:00" in html


# 12. Cancelling: asked once more, said truthfully, undone


def test_cancelling_asks_first_and_can_be_undone(client):
    from diary import services
    from diary.models import Event

    client.post("/submit/", form_data())
    event = Event.objects.get()
    manage = f"/submit/manage/{services.manage_token(event)}/"
    asked = client.post(manage, {"action": "cancel"})
    assert asked.status_code == 200
    assert "Yes, cancel it" in asked.content.decode()
    event.refresh_from_db()
    assert event.status == Event.Status.SCHEDULED
    done = client.post(manage, {"action": "cancel", "confirmed": "yes"}, follow=True)
    page = done.content.decode()
    assert "calendars show it" not in page  # a pending event is in no calendar
    assert "Save the changes" not in page  # a cancelled event is not edited…
    assert "Reinstate" in page  # …it is reinstated
    event.refresh_from_db()
    assert event.status == Event.Status.CANCELLED
    client.post(manage, {"action": "reinstate"})
    event.refresh_from_db()
    assert event.status == Event.Status.SCHEDULED


def test_the_cancel_button_comes_after_the_form(client):
    from diary import services
    from diary.models import Event

    client.post("/submit/", form_data())
    html = client.get(
        f"/submit/manage/{services.manage_token(Event.objects.get())}/"
    ).content.decode()
    assert html.index("Save the changes") < html.index("Cancel this event")


# 13. The date preview keeps the organiser's details out of the address


def test_the_date_preview_sends_only_the_dates(client):
    from diary import services
    from diary.models import Event

    html = client.get("/submit/").content.decode()
    [fieldset] = [part for part in html.split("<fieldset") if 'id="when"' in part]
    assert 'hx-include="closest form"' not in fieldset
    client.post("/submit/", form_data())
    manage = client.get(f"/submit/manage/{services.manage_token(Event.objects.get())}/")
    assert 'hx-include="closest form"' not in manage.content.decode()


# 14. Errors are reached from the notice


def test_the_error_notice_links_to_the_first_field_in_error(client):

    html = client.post("/submit/", form_data(title="")).content.decode()
    assert 'href="#id_title"' in html
    assert 'aria-invalid="true"' in html


# 10. What the description keeps


def test_typed_paragraphs_line_breaks_and_web_addresses_are_kept(client):
    from diary.models import Event

    typed = "First paragraph.\r\n\r\nSecond, with a line\r\nbreak.\r\n\r\nTickets: https://tickets.example/repair?x=1&y=2"
    client.post("/submit/", form_data(description=typed))
    html = Event.objects.get().description
    assert html.count("<p>") == 3
    assert "line<br>break" in html
    assert (
        '<a href="https://tickets.example/repair?x=1&amp;y=2" rel="noopener noreferrer nofollow">'
        in html
    )


def test_typed_markup_is_shown_as_text_or_kept_never_run(client):
    from diary.models import Event

    client.post(
        "/submit/", form_data(description="<p>A <strong>bold</strong> start</p><script>x</script>")
    )
    html = Event.objects.get().description
    assert "<strong>bold</strong>" in html
    assert "<script" not in html


def test_the_description_help_says_exactly_what_is_kept(client):
    html = client.get("/submit/").content.decode()
    assert "blank line" in html and "web addresses become links" in html


def test_three_typed_web_addresses_are_within_the_link_limit(client, settings):
    from diary.models import Event

    settings.DIARY_SUBMIT_MAX_LINKS = 3
    typed = "https://a.example https://b.example https://c.example"
    assert client.post("/submit/", form_data(description=typed)).status_code == 302
    assert Event.objects.get().description.count("<a ") == 3


# Issue 14: a rule the form cannot express is kept, never dropped


def test_an_edit_through_the_manage_link_keeps_a_rule_the_form_cannot_express(client):
    from diary import services
    from diary.models import Event

    event = EventFactory(rrule="FREQ=DAILY;COUNT=5", publication_state="pending")
    manage = f"/submit/manage/{services.manage_token(event)}/"
    page = client.get(manage).content.decode()
    assert 'value="custom" selected' in page
    assert "FREQ=DAILY;COUNT=5" in page
    data = form_data(title="Renamed", repeat="custom", weekly_days=None, repeat_until=None)
    data.update(start="2026-12-01T19:00", end="2026-12-01T21:00")
    assert client.post(manage, data).status_code == 302
    event = Event.objects.get(pk=event.pk)
    assert (event.title, event.rrule, event.occurrences.count()) == (
        "Renamed",
        "FREQ=DAILY;COUNT=5",
        5,
    )
