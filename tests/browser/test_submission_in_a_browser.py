"""An organiser submits, an editor approves, the event appears: in a real browser."""

import os
import re
from io import BytesIO
from pathlib import Path

import icalendar
import pytest
from django.contrib.auth import get_user_model
from PIL import Image

from diary.models import Event
from tests.factories import CategoryFactory, EventFactory, OrganiserFactory, VenueFactory, local

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
SCREENSHOTS = os.environ.get("SCREENSHOT_DIR")


@pytest.fixture
def city(settings):
    settings.DIARY_SUBMIT_MIN_SECONDS = 0
    CategoryFactory(slug="workshop", name="Workshop")
    VenueFactory(name="Recyclart", slug="recyclart")


@pytest.fixture
def poster(tmp_path) -> Path:
    path = tmp_path / "poster.png"
    out = BytesIO()
    Image.new("RGB", (1200, 800), "teal").save(out, format="PNG")
    path.write_bytes(out.getvalue())
    return path


def fill_weekly_event(page, poster: Path, *, title: str = "Repair Café"):
    page.locator("#id_organiser_name").fill("Collectif Canal")
    page.locator("#id_organiser_email").fill("canal@example.org")
    page.locator("#id_title").fill(title)
    page.locator("#id_summary").fill("Bring your broken things")
    page.locator("#id_category").select_option(label="Workshop")
    page.locator("#id_venue_name").fill("Recyclart")
    page.locator("#id_start").fill("2026-12-01T19:00")
    page.locator("#id_end").fill("2026-12-01T21:00")
    page.locator("#id_repeat").select_option("weekly")
    page.get_by_label("Tuesday").check()
    page.locator("#id_repeat_until").fill("2026-12-22")
    page.locator("#id_is_free").check()
    page.set_input_files("input[name=image]", str(poster))


def test_submit_approve_and_see_it_on_the_agenda_and_in_the_feed(live_server, page, city, poster):
    page.goto(live_server.url + "/submit/")
    fill_weekly_event(page, poster)
    # The live preview lists the dates (htmx), before anything is sent.
    page.locator("#preview", has_text="22 Dec").wait_for()
    if SCREENSHOTS:
        page.screenshot(path=Path(SCREENSHOTS) / "submit-form.png", full_page=True)
    page.get_by_role("button", name="Send the event").click()
    page.wait_for_url(re.compile(r"/submit/manage/"))
    assert "Pending review" in page.content()
    event = Event.objects.get()
    assert event.image and event.rrule == "FREQ=WEEKLY;BYDAY=TU;UNTIL=20261222"

    get_user_model().objects.create_superuser("editor", "editor@example.org", "a-long-password")
    page.goto(live_server.url + "/admin/login/?next=/admin/diary/submission/")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill("a-long-password")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/admin/diary/submission/"))
    if SCREENSHOTS:
        page.screenshot(path=Path(SCREENSHOTS) / "moderation-queue.png", full_page=True)
    page.locator("input[name=_selected_action]").first.check()
    page.locator("select[name=action]").select_option("approve")
    page.locator("button[name=index]").click()  # the admin's action button
    page.wait_for_load_state()
    event.refresh_from_db()
    assert event.is_published

    page.goto(live_server.url + "/?start=2026-12-01&end=2026-12-31")
    assert page.locator(".occurrence", has_text="Repair Café").count() == 4
    feed = page.request.get(live_server.url + "/feeds/events.ics?start=2026-11-01")
    [vevent] = icalendar.Calendar.from_ical(feed.body()).walk("VEVENT")
    assert str(vevent["SUMMARY"]) == "Repair Café"


def test_a_failed_submission_keeps_every_field_and_the_image(live_server, page, city, poster):
    page.goto(live_server.url + "/submit/")
    fill_weekly_event(page, poster, title="")
    page.get_by_role("button", name="Send the event").click()
    page.wait_for_load_state()
    assert "This field is required." in page.content()
    if SCREENSHOTS:
        page.screenshot(path=Path(SCREENSHOTS) / "submit-error.png", full_page=False)
    assert page.locator("#id_summary").input_value() == "Bring your broken things"
    assert page.locator("#id_venue_name").input_value() == "Recyclart"
    assert page.locator("#id_start").input_value() == "2026-12-01T19:00"
    assert page.get_by_label("Tuesday").is_checked()
    assert page.locator("#id_repeat_until").input_value() == "2026-12-22"
    assert "This image is kept" in page.content()
    page.locator("#id_title").fill("Repair Café")
    page.get_by_role("button", name="Send the event").click()
    page.wait_for_url(re.compile(r"/submit/manage/"))
    assert Event.objects.get().image.name.startswith("events/submitted/")


def test_an_organiser_sends_an_event_keeps_the_link_edits_cancels_and_takes_it_back(
    live_server, page_without_js, city, poster
):
    page = page_without_js
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Submit an event").click()
    fill_weekly_event(page, poster)
    page.get_by_role("button", name="Send the event").click()
    page.wait_for_url(re.compile(r"/submit/manage/"))
    manage = page.url
    assert "Thank you!" in page.content()
    assert "canal@example.org" in page.content()
    assert "Tue 8 Dec 2026, 19:00–21:00" in page.locator("#preview").inner_text()
    if SCREENSHOTS:
        page.screenshot(path=Path(SCREENSHOTS) / "journey-organiser-1280.png", full_page=False)

    page.locator("#id_title").fill("Repair Café (new room)")
    page.get_by_role("button", name="Save the changes").click()
    page.wait_for_url(manage)
    assert "Your changes are saved." in page.content()
    assert Event.objects.get().title == "Repair Café (new room)"

    page.get_by_role("button", name="Cancel this event").click()
    page.get_by_role("button", name="Yes, cancel it").click()
    page.wait_for_url(manage)
    assert Event.objects.get().status == Event.Status.CANCELLED
    assert "Cancelled" in page.locator(".state").inner_text()
    page.get_by_role("button", name="Reinstate it").click()
    page.wait_for_url(manage)
    assert Event.objects.get().status == Event.Status.SCHEDULED


def test_a_trusted_address_publishes_only_through_the_mailed_link(
    live_server, page, city, poster, settings
):
    """A stranger types a trusted organiser's address: the event waits; the organiser
    publishes it from the e-mail, and later says it is sold out; the stranger's later edit
    waits for the editors while the published version stays on the event page."""
    from django.core import mail

    settings.SITE_URL = live_server.url
    OrganiserFactory(email="canal@example.org", name="Collectif Canal", is_trusted=True)
    page.goto(live_server.url + "/submit/")
    fill_weekly_event(page, poster)
    page.locator("#id_organiser_name").fill("A Stranger")
    page.get_by_role("button", name="Send the event").click()
    page.wait_for_url(re.compile(r"/submit/manage/"))
    stranger_link = page.url
    assert "Pending review" in page.content()
    assert page.get_by_role("button", name="Publish now").count() == 0

    [message] = mail.outbox
    mailed = re.search(r"http\S+/submit/manage/\S+", message.body).group(0)
    page.goto(mailed)
    if SCREENSHOTS:
        page.screenshot(path=Path(SCREENSHOTS) / "journey-trusted-publish.png", full_page=False)
    page.get_by_role("button", name="Publish now").click()
    page.wait_for_url(mailed)
    event = Event.objects.get()
    assert event.is_published and event.organiser.name == "Collectif Canal"

    # The night fills up: the organiser says so from the same link, and the page at once.
    page.get_by_label("Sold out").check()
    page.get_by_role("button", name="Save the changes").click()
    page.wait_for_url(mailed)
    page.goto(live_server.url + event.get_absolute_url())
    assert page.get_by_text("Sold out", exact=True).is_visible()

    page.goto(stranger_link)
    page.locator("#id_title").fill("Free tickets here")
    page.get_by_role("button", name="Save the changes").click()
    page.wait_for_url(stranger_link)
    assert "wait for the editors" in page.content()
    if SCREENSHOTS:
        page.screenshot(path=Path(SCREENSHOTS) / "journey-change-waits.png", full_page=False)
    page.goto(live_server.url + event.get_absolute_url())
    assert page.locator("h1").inner_text() == "Repair Café"

    # The editor sees the proposed change beside the published text, and rejects it.
    get_user_model().objects.create_superuser("editor", "editor@example.org", "a-long-password")
    page.goto(live_server.url + f"/admin/login/?next=/admin/diary/submission/{event.pk}/change/")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill("a-long-password")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/change/"))
    proposed = page.locator(".field-proposed_change")
    assert "Repair Café" in proposed.inner_text()
    assert "Free tickets here" in proposed.inner_text()
    if SCREENSHOTS:
        proposed.scroll_into_view_if_needed()
        page.screenshot(path=Path(SCREENSHOTS) / "journey-editor-change.png", full_page=False)
    page.goto(live_server.url + "/admin/diary/submission/")
    page.locator("input[name=_selected_action]").first.check()
    page.locator("select[name=action]").select_option("reject")
    page.locator("button[name=index]").click()
    page.locator("textarea[name=reason], input[name=reason]").fill("Not the organiser's words.")
    page.get_by_role("button", name=re.compile("Reject", re.IGNORECASE)).click()
    page.wait_for_load_state()
    event.refresh_from_db()
    assert (event.title, event.is_published, event.pending_change) == ("Repair Café", True, None)
    assert "Not the organiser's words." in mail.outbox[-1].body


def test_an_organiser_on_a_phone_sends_an_event_and_reads_the_thanks(
    live_server, phone_page, city, poster
):
    page = phone_page
    page.goto(live_server.url + "/submit/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    fill_weekly_event(page, poster)
    page.get_by_role("button", name="Send the event").click()
    page.wait_for_url(re.compile(r"/submit/manage/"))
    assert "Thank you!" in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    if SCREENSHOTS:
        page.screenshot(path=Path(SCREENSHOTS) / "journey-organiser-375.png", full_page=False)


def test_after_an_error_the_cursor_is_in_the_first_field_in_error(live_server, page, city, poster):
    page.goto(live_server.url + "/submit/")
    # Only the controls of the chosen repetition show.
    assert not page.locator("[name=weekly_days]").first.is_visible()
    page.locator("#id_repeat").select_option("weekly")
    assert page.locator("[name=weekly_days]").first.is_visible()
    assert not page.locator("#id_monthly_ordinal").is_visible()
    fill_weekly_event(page, poster, title="")
    page.get_by_role("button", name="Send the event").click()
    page.wait_for_load_state()
    assert page.evaluate("document.activeElement.id") == "id_title"
    assert page.get_by_role("link", name="Go to the first one").get_attribute("href") == "#id_title"


def test_the_form_asks_whether_the_event_is_listed_already(live_server, page, city, poster):

    listed = EventFactory(
        title="Repair Café",
        venue=VenueFactory(name="Recyclart", slug="recyclart"),
        start=local(2026, 12, 1, 19),
        end=local(2026, 12, 1, 21),
    )
    page.goto(live_server.url + "/submit/")
    fill_weekly_event(page, poster, title="Repair Café at Recyclart")
    page.get_by_role("button", name="Send the event").click()
    question = page.locator("#likely-duplicates")
    question.wait_for()
    assert "Is it one of these?" in question.inner_text()
    assert question.locator("a").get_attribute("href") == listed.get_absolute_url()
    assert page.locator("#id_title").input_value() == "Repair Café at Recyclart"
    assert Event.objects.count() == 1
    if SCREENSHOTS:
        page.screenshot(path=Path(SCREENSHOTS) / "submit-likely-duplicate.png", full_page=False)
    page.get_by_role("button", name="It is none of these: send my event").click()
    page.wait_for_url(re.compile(r"/submit/manage/"))
    new = Event.objects.exclude(pk=listed.pk).get()
    assert new.image  # the poster travelled with the form
    assert new.duplicate_of == listed  # for the editors

    # The editor sees the suspicion in the queue, compares, and merges in one click.
    get_user_model().objects.create_superuser("editor", "editor@example.org", "a-long-password")
    page.goto(live_server.url + "/admin/login/?next=/admin/diary/submission/")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill("a-long-password")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="“Repair Café”: compare").click()
    assert page.locator("h1").inner_text() == "Is it the same event?"
    if SCREENSHOTS:
        page.screenshot(path=Path(SCREENSHOTS) / "moderation-likely-duplicate.png", full_page=True)
    page.get_by_role("button", name="Merge them").click()
    page.wait_for_url(re.compile(r"/admin/diary/submission/$"))
    new.refresh_from_db()
    assert new.publication_state == Event.PublicationState.REJECTED
    assert Event.objects.get(pk=listed.pk).is_published
