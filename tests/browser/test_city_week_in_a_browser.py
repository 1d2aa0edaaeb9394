"""A real week in a real city, in each of its languages: the journeys walked on the demo
city as `make run` seeds it (a capital's shape: a quarter exhibitions running for weeks,
texts mostly in French, many in one language), in French and Dutch first, English too.

Screenshots (SCREENSHOT_DIR) of the weekend, the month and the widget in French and Dutch
are the ones docs/journeys.md shows.
"""

import os
import re
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import expect

from diary.models import Event
from tests.browser.conftest import _new_page
from tests.factories import EventFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
LANGUAGES = ["fr", "nl", "en"]
TIMED = re.compile(r"^\d{2}:\d{2}")


def prefixed(language: str) -> str:
    return "" if language == "en" else f"/{language}"


def screenshot(page, name: str, **options) -> None:
    if os.environ.get("SCREENSHOT_DIR"):
        page.screenshot(path=Path(os.environ["SCREENSHOT_DIR"]) / name, **options)


@pytest.fixture
def city(settings):
    """The demo city `make run` loads (300 events), without posters: cards show their
    category's colour, which is what axe measures."""
    from diary.demo import demo_city_seed

    settings.DIARY_SUBMIT_MIN_SECONDS = 0
    demo_city_seed(events=300, venues=18, seed=1, pictures=0)


def in_language(browser, language: str, width: int = 1280):
    height = 900 if width > 500 else 812
    return _new_page(
        browser,
        viewport={"width": width, "height": height},
        is_mobile=width < 500,
        locale={"fr": "fr-BE", "nl": "nl-BE", "en": "en-GB"}[language],
    )


def next_saturday_evening() -> datetime:
    today = timezone.localdate()
    saturday = today + timedelta(days=(5 - today.weekday()) % 7 + 7)
    return datetime.combine(saturday, time(19, 0))


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_organiser_submits_then_edits_from_the_manage_link(live_server, browser, city, language):
    """A French or Dutch organiser could not save any edit: the dates came back empty."""
    context, page = in_language(browser, language)
    try:
        start = next_saturday_evening()
        page.goto(f"{live_server.url}{prefixed(language)}/submit/")
        page.locator("#id_organiser_name").fill("Collectif Canal")
        page.locator("#id_organiser_email").fill("canal@example.org")
        page.locator("#id_title").fill("Atelier vélo")
        page.locator("#id_category").select_option(index=1)
        page.locator("#id_venue_name").fill("Recyclart")
        page.locator("#id_start").fill(f"{start:%Y-%m-%dT%H:%M}")
        page.locator("#id_end").fill(f"{start + timedelta(hours=2):%Y-%m-%dT%H:%M}")
        page.locator("#id_repeat").select_option("weekly")
        # The repetition follows the start: Saturday is ticked for the organiser.
        expect(page.locator("input[name=weekly_days][value=SA]")).to_be_checked()
        page.locator("#id_repeat_until").fill(f"{start + timedelta(days=28):%Y-%m-%d}")
        page.locator("#id_is_free").check()
        page.locator("form.submission button[type=submit]").last.click()
        page.wait_for_url(re.compile(r"/submit/manage/"))
        event = Event.objects.get(organiser__email="canal@example.org")
        assert event.rrule.startswith("FREQ=WEEKLY;BYDAY=SA;UNTIL=")
        # The manage page, in the organiser's language: change the title and save.
        expect(page.locator("#id_start")).to_have_value(f"{start:%Y-%m-%dT%H:%M}")
        page.locator("#id_title").fill("Atelier vélo, deuxième salle")
        page.locator("form.submission button[type=submit]").last.click()
        page.wait_for_load_state()
        assert not page.locator(".errorlist").count(), page.locator(".errorlist").all_inner_texts()
        event.refresh_from_db()
        assert event.title == "Atelier vélo, deuxième salle"
        assert event.rrule.startswith("FREQ=WEEKLY;BYDAY=SA;UNTIL=")
    finally:
        context.close()


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("language", LANGUAGES)
def test_saturday_night_shows_timed_events_on_the_first_screen(
    live_server, browser, city, language, width
):
    """At 3,000 events the weekend's first page was 40 exhibitions and not one event with a
    time. The runs are one group; the first thing listed has a time."""
    context, page = in_language(browser, language, width)
    try:
        page.goto(f"{live_server.url}{prefixed(language)}/?when=weekend")
        listed = page.locator("#results .occurrence")
        first = listed.first
        assert TIMED.match(first.locator("time").inner_text()), first.inner_text()
        for part in (first.locator("time"), first.locator(".what a").first):  # seen, whole
            box = part.bounding_box()
            assert box["y"] + box["height"] <= page.viewport_size["height"], part
        runs = page.locator("#results .runs")
        expect(runs).to_be_visible()
        assert runs.locator(".run-kinds a").count() >= 2
        times = listed.locator("time").all_inner_texts()
        assert all(TIMED.match(text) or len(text) < 20 for text in times)  # no "Until …"
        if width == 1280 and language != "en":
            screenshot(page, f"city-weekend-{language}.png")
        if width == 375 and language != "en":
            screenshot(page, f"city-weekend-{language}-phone.png")
    finally:
        context.close()


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_busy_month_lists_each_days_own_events_and_its_runs_once(
    live_server, browser, city, language
):
    context, page = in_language(browser, language)
    try:
        page.goto(f"{live_server.url}{prefixed(language)}/month/")
        runs = page.locator(".month-runs .runs-closing a").all_inner_texts()
        assert runs, "the month's runs are listed beside it"
        cells = page.locator("td.has-events")
        assert cells.count() >= 20
        for index in range(cells.count()):
            cell = cells.nth(index)
            for entry in cell.locator("li").all():
                text = entry.locator("a").inner_text()
                assert TIMED.match(text) or entry.locator("a").get_attribute("title"), text
                assert not any(run.strip() == text.strip() for run in runs), text
            for cancelled in cell.locator("li.is-cancelled").all():
                expect(cancelled.locator(".status")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        if language != "en":
            screenshot(page, f"city-month-{language}.png")
    finally:
        context.close()


def overlapping(page) -> list[str]:
    """The rows of the embedded agenda whose time covers their title, as boxes measure."""
    return page.evaluate(
        """() => [...document.querySelectorAll('li')].flatMap(row => {
            const time = row.querySelector('time'), title = row.querySelector('a');
            if (!time || !title) return [];
            const a = time.getBoundingClientRect(), b = title.getBoundingClientRect();
            const apart = a.right <= b.left || b.right <= a.left || a.bottom <= b.top
                || b.bottom <= a.top;
            return apart ? [] : [row.innerText];
        })"""
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_widgets_rows_never_overlap_in_any_layout(live_server, browser, city, language):
    """ "Jusqu'au 22 déc" covered the title (French; the compact layout in every language)."""
    for width in (320, 600):
        context, page = in_language(browser, language, width)
        try:
            for query in ("layout=list", "layout=compact", "layout=compact&kind=run",
                          "kind=run", "when=weekend"):  # fmt: skip
                page.goto(f"{live_server.url}/embed/?{query}&lang={language}")
                assert page.locator("li").count() > 0, query
                assert overlapping(page) == [], (width, query)
            if width == 600 and language != "en":
                page.goto(f"{live_server.url}/embed/?when=weekend&lang={language}")
                screenshot(page, f"city-widget-{language}.png", full_page=True)
        finally:
            context.close()


def test_an_editor_approves_three_items_in_a_row_without_leaving_the_queue(
    live_server, browser, city
):

    Event.objects.filter(publication_state=Event.PublicationState.PENDING).update(
        publication_state=Event.PublicationState.REJECTED
    )
    titles = ["Concert A", "Concert B", "Concert C"]
    for title in titles:
        EventFactory(title=title, publication_state=Event.PublicationState.PENDING)
    get_user_model().objects.create_superuser("editor", "editor@example.org", "a-long-password")
    context, page = in_language(browser, "fr")
    try:
        page.goto(live_server.url + "/admin/login/?next=/admin/")
        page.locator("#id_username").fill("editor")
        page.locator("#id_password").fill("a-long-password")
        page.locator("input[type=submit]").click()
        expect(page.locator("#waiting")).to_contain_text("3 nouvelles propositions")
        page.goto(live_server.url + "/admin/diary/submission/")
        page.locator("#result_list tbody tr a").first.click()
        for title in titles:
            expect(page.locator("h2, .readonly").filter(has_text=title).first).to_be_visible()
            page.get_by_role("button", name="Approuver et publier").click()
            page.wait_for_load_state()
            expect(page.locator(".messagelist")).to_contain_text(f"« {title} »")
        assert page.url.endswith("/admin/diary/submission/")  # the queue, empty
        assert set(Event.objects.filter(title_en__in=titles).values_list(
            "publication_state", flat=True
        )) == {Event.PublicationState.PUBLISHED}  # fmt: skip
    finally:
        context.close()


@pytest.mark.parametrize("posters", [0, 40])
@pytest.mark.parametrize("width", [1280, 375])
def test_every_page_kind_of_the_default_demo_passes_axe(
    live_server, browser, axe, city, width, posters
):
    """On the demo as `make run` seeds it, without posters and with them (the project's own
    axe test once passed only on a demo whose events all had posters)."""
    if posters:
        from diary.demo import demo_city_seed

        demo_city_seed(events=60, venues=18, seed=2, pictures=posters)
    context, page = _new_page(
        browser, viewport={"width": width, "height": 900}, bypass_csp=True, locale="fr-BE"
    )
    try:
        event = Event.objects.published().exclude(rrule="").first()
        venue = event.venue or Event.objects.exclude(venue=None).first().venue
        for path in (
            "/fr/",
            "/fr/?when=weekend",
            "/nl/?kind=run",
            f"/fr/events/{event.slug}/",
            f"/nl/venues/{venue.slug}/",
            "/fr/venues/",
            "/nl/tags/smart-city/",
            "/fr/month/",
            "/nl/submit/",
            "/fr/subscribe/",
            "/fr/embed/builder/",
            "/embed/?lang=fr&layout=compact",
            "/embed/?lang=nl&theme=dark",
        ):
            page.goto(live_server.url + path)
            page.wait_for_load_state("networkidle")
            assert axe(page) == [], path
    finally:
        context.close()
