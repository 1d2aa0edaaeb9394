"""What a resident does on the agenda, in a real browser, with and without JavaScript."""

import os
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import icalendar
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from diary.filters import when_window
from tests.factories import (
    ArticleFactory,
    CategoryFactory,
    EventFactory,
    TagFactory,
    VenueFactory,
    local,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def weekend_programme():
    """A music event this weekend, a theatre one this weekend, a music one after it."""
    start, end = when_window("weekend")
    music = CategoryFactory(slug="music", name="Music")
    theatre = CategoryFactory(slug="theatre", name="Theatre")
    venue = VenueFactory(name="Flagey", latitude="50.827600", longitude="4.372200")
    # Halfway through what is left of the weekend, whenever the test runs.
    within = {"start": start + (end - start) / 2, "end": None, "venue": venue}
    return {
        "gig": EventFactory(title="Weekend Gig", category=music, **within),
        "play": EventFactory(title="Weekend Play", category=theatre, **within),
        "later": EventFactory(
            title="Later Gig", start=end + timedelta(days=3), category=music, venue=venue
        ),
    }


def query_of(url: str) -> dict:
    return parse_qs(urlsplit(url).query)


def listed_titles(page) -> set[str]:
    return set(page.locator("#results .occurrence .what > a").all_inner_texts())


def test_choosing_a_preset_and_a_category_filters_in_place(live_server, page, weekend_programme):
    page.goto(live_server.url + "/")
    assert listed_titles(page) == {"Weekend Gig", "Weekend Play", "Later Gig"}

    page.get_by_label("This weekend").check()
    page.wait_for_url(re.compile(r"when=weekend"))
    page.locator("summary", has_text="More filters").click()
    page.get_by_label("Music").check()
    page.wait_for_url(re.compile(r"category=music"))
    page.wait_for_function(
        "() => !document.querySelector('#results').textContent.includes('Weekend Play')"
    )

    assert listed_titles(page) == {"Weekend Gig"}
    assert query_of(page.url)["when"] == ["weekend"]
    assert query_of(page.url)["category"] == ["music"]
    # The list was replaced in place: the form is the one we clicked in.
    assert page.get_by_label("Music").is_checked()


def test_the_same_filters_work_without_javascript(live_server, page_without_js, weekend_programme):
    page = page_without_js
    page.goto(live_server.url + "/")
    page.get_by_label("This weekend").check()
    page.locator("summary", has_text="More filters").click()
    page.get_by_label("Music").check()
    page.get_by_role("button", name="Show events").click()
    page.wait_for_url(re.compile(r"category=music"))
    assert query_of(page.url)["when"] == ["weekend"]
    assert listed_titles(page) == {"Weekend Gig"}


@pytest.mark.parametrize("fixture", ["page", "page_without_js"])
def test_open_an_event_and_add_it_to_a_calendar(
    live_server, request, fixture, weekend_programme, tmp_path
):
    page = request.getfixturevalue(fixture)
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Weekend Gig").click()
    page.wait_for_url(re.compile(r"/events/weekend-gig/$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Weekend Gig"

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download (.ics)").click()
    path = tmp_path / "event.ics"
    download_info.value.save_as(path)
    calendar = icalendar.Calendar.from_ical(path.read_bytes())
    [vevent] = calendar.walk("VEVENT")
    assert vevent["UID"] == weekend_programme["gig"].uid
    assert str(vevent["SUMMARY"]) == "Weekend Gig"


@pytest.mark.parametrize("width", [1280, 375])
def test_pages_have_no_serious_accessibility_violations(
    live_server, page_for_axe, axe, weekend_programme, width
):
    page = page_for_axe
    page.set_viewport_size({"width": width, "height": 900})
    gig = weekend_programme["gig"]
    jazz = TagFactory(slug="jazz", name="Jazz")
    ArticleFactory(title="Where jazz lives").tags.add(jazz)
    gig.tags.add(jazz)
    EventFactory(title="Our Choice", is_pick=True, pick_reason="Go early.", start=gig.start)
    for path in (
        "/",
        gig.get_absolute_url(),
        gig.venue.get_absolute_url(),
        "/venues/",
        "/tags/jazz/",
        "/month/",
        "/submit/",
    ):
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        assert axe(page) == [], path


@pytest.mark.parametrize("width", [1280, 375])
def test_the_venues_map_groups_the_markers_that_would_overlap(
    live_server, page_for_axe, axe, width
):
    """A city's venues crowd its centre: one marker over another is a target too small to
    click (axe's target-size). Grouped, each is one button named by what it holds."""
    from diary.demo import demo_city_seed

    demo_city_seed(events=20, venues=18, seed=1)
    page = page_for_axe
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(live_server.url + "/venues/")
    page.wait_for_load_state("networkidle")
    groups = page.locator(".marker-cluster")
    expect(groups.first).to_be_visible()
    assert re.fullmatch(r"\d+ venues here: zoom in", groups.first.inner_text().replace("\n", " "))
    assert axe(page) == []


def test_the_agenda_opens_with_the_weeks_picks_and_lists_them_all(
    live_server, page, weekend_programme
):
    EventFactory(
        title="Our Choice",
        is_pick=True,
        pick_reason="Go early: the room is small.",
        start=weekend_programme["gig"].start,
        venue=weekend_programme["gig"].venue,
    )
    page.goto(live_server.url + "/")
    picks = page.get_by_role("region", name="Our picks this week")
    expect(picks).to_contain_text("Our Choice")
    expect(picks).to_contain_text("Go early: the room is small.")
    expect(page.locator("#results .occurrence", has_text="Our Choice")).to_contain_text("Our pick")

    picks.get_by_role("link", name="All our picks this week").click()
    page.wait_for_url(re.compile(r"pick=true"))
    assert query_of(page.url)["when"] == ["week"]
    assert listed_titles(page) == {"Our Choice"}
    assert page.get_by_label("Our picks", exact=True).is_checked()
    expect(page.get_by_role("region", name="Our picks this week")).to_have_count(0)


@pytest.mark.parametrize("width", [320, 375])
def test_pages_fit_a_phone_without_sideways_scrolling(
    live_server, phone_page, weekend_programme, width
):
    phone_page.set_viewport_size({"width": width, "height": 800})
    gig = weekend_programme["gig"]
    for path in ("/", "/month/", gig.get_absolute_url(), "/venues/"):
        phone_page.goto(live_server.url + path)
        assert phone_page.evaluate("document.documentElement.scrollWidth") <= width, path


@pytest.mark.skipif(not os.environ.get("SCREENSHOT_DIR"), reason="set SCREENSHOT_DIR to take them")
def test_take_screenshots_for_the_readme(live_server, page, phone_page):
    """`SCREENSHOT_DIR=docs/screenshots make browser-test` refreshes the README's pictures."""
    from diary.demo import demo_city_seed
    from diary.models import Event

    demo_city_seed(events=120, venues=18, seed=1, pictures=60)
    folder = Path(os.environ["SCREENSHOT_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    page.goto(live_server.url + "/")
    page.screenshot(path=folder / "agenda-desktop.png", full_page=False)
    phone_page.goto(live_server.url + "/")
    phone_page.screenshot(path=folder / "agenda-375.png", full_page=False)
    event = (
        Event.objects.published()
        .filter(venue__isnull=False, tags__articles__isnull=False, end__isnull=False)
        .exclude(image="")
        .order_by("-rrule", "pk")
        .first()
    )
    page.goto(live_server.url + event.get_absolute_url())
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")  # the lazy pictures load
    page.wait_for_load_state("networkidle")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=folder / "event.png", full_page=True)
    page.goto(live_server.url + "/tags/smart-city/")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=folder / "tag.png", full_page=False)


def test_the_content_security_policy_breaks_nothing(live_server, page, weekend_programme):
    """Every page runs with the CSP on: no violation reported, and the scripts still work."""
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    gig = weekend_programme["gig"]
    for path in ("/venues/", "/month/", "/submit/", "/api/v1/", "/"):
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
    assert page.evaluate("typeof window.htmx") == "object"
    page.goto(live_server.url + gig.get_absolute_url())
    page.wait_for_selector(".map.leaflet-container")  # Leaflet started
    page.goto(live_server.url + "/api/docs/")
    page.wait_for_selector(".swagger-ui .info")  # Swagger UI started from its own file
    assert violations == []


@pytest.mark.parametrize("width", [375, 1280])
@pytest.mark.parametrize("javascript", [True, False])
def test_a_resident_finds_this_weekends_music_and_subscribes_in_their_calendar(
    live_server, browser, weekend_programme, width, javascript
):
    from tests.browser.conftest import _new_page

    context, page = _new_page(
        browser, viewport={"width": width, "height": 800}, java_script_enabled=javascript
    )
    try:
        page.goto(live_server.url + "/")
        if not page.get_by_label("This weekend").is_visible():  # folded away on a phone
            page.locator("#filter-panel > summary").click()
        page.get_by_label("This weekend").check()
        page.locator("summary", has_text="More filters").click()
        page.get_by_label("Music").check()
        if not javascript:
            page.get_by_role("button", name="Show events").click()
        page.wait_for_url(re.compile(r"category=music"))
        page.wait_for_function(
            "() => !document.querySelector('#results').textContent.includes('Weekend Play')"
        )
        # What the resident sees: the selection, no error box, a URL that is the selection.
        assert listed_titles(page) == {"Weekend Gig"}
        assert "could not be used" not in page.content()
        assert all(values != [""] for values in parse_qs(urlsplit(page.url).query, True).values())
        assert set(query_of(page.url)) == {"when", "category"}
        if os.environ.get("SCREENSHOT_DIR") and javascript:
            if width < 600:
                page.locator("#filter-panel > summary").click()  # fold: the results show
            page.screenshot(
                path=Path(os.environ["SCREENSHOT_DIR"]) / f"journey-resident-{width}.png"
            )
        # The calendar link subscribes to exactly that selection.
        link = page.locator(".subscribe a", has_text="iCal link").first.get_attribute("href")
        assert "=&" not in link and not link.endswith("=")
        feed = page.request.get(link)
        assert feed.status == 200
        titles = {
            str(vevent["SUMMARY"])
            for vevent in icalendar.Calendar.from_ical(feed.body()).walk("VEVENT")
        }
        assert titles == {"Weekend Gig"}
    finally:
        context.close()


def test_a_date_range_after_a_preset_replaces_it_in_the_form(live_server, page, weekend_programme):
    page.goto(live_server.url + "/?when=weekend")
    later = weekend_programme["later"].start.date().isoformat()
    page.locator("input[name=start]").fill(later)
    page.locator("input[name=start]").dispatch_event("change")
    page.wait_for_url(re.compile(r"start="))
    assert page.get_by_label("Any time").is_checked()
    assert "when" not in query_of(page.url)
    page.wait_for_function(
        "() => document.querySelector('#results').textContent.includes('Later Gig')"
    )
    assert "Weekend Gig" not in listed_titles(page)


def test_on_a_phone_the_first_event_shows_in_the_first_screen(
    live_server, phone_page, weekend_programme
):
    phone_page.goto(live_server.url + "/?when=weekend")
    first = phone_page.locator("#results .occurrence").first.bounding_box()
    assert first["y"] + first["height"] <= 812
    # The filters are one tap away, and keep the selection.
    phone_page.locator("#filter-panel > summary").click()
    assert phone_page.get_by_label("This weekend").is_checked()


@pytest.mark.parametrize("width", [375, 1280])
def test_the_month_lists_a_long_exhibition_once_beside_it_and_fits_the_screen(
    live_server, browser, width
):
    from diary.models import Event
    from tests.browser.conftest import _new_page

    today = timezone.localdate()
    closes = today + timedelta(days=4)  # still on: the month names the runs still to close
    EventFactory(
        title="A very long exhibition title that does not fit in a cell",
        start=local(today.year, today.month, today.day),
        end=local(closes.year, closes.month, closes.day),
        all_day=True,
    )
    context, page = _new_page(browser, viewport={"width": width, "height": 900})
    try:
        page.goto(live_server.url + "/month/")
        # A run is listed once, beside the grid (below it on a phone), not on every day.
        assert page.locator("td", has_text="A very long exhibition").count() == 0
        listed = page.locator(".month-runs a", has_text="A very long exhibition")
        expect(listed).to_have_count(1)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert "does not fit" in listed.inner_text()  # wrapped, not cut to "A very long…"
        assert Event.objects.count() == 1
    finally:
        context.close()


def test_back_shows_the_form_as_it_was_and_later_starts_at_the_top(live_server, page):
    from datetime import timedelta as days

    start, _end = when_window("week")
    for number in range(45):
        EventFactory(title=f"Talk {number:02}", start=start + days(minutes=5 + number))
    page.goto(live_server.url + "/")
    page.get_by_label("Free", exact=True).check()
    page.wait_for_url(re.compile(r"free=true"))
    page.get_by_label("Free", exact=True).uncheck()
    page.wait_for_url(re.compile(r"/$"))
    page.go_back()
    page.wait_for_url(re.compile(r"free=true"))
    # The page is asked for again: wait for it (the assertion retries until it holds).
    expect(page.get_by_label("Free", exact=True)).to_be_checked()

    page.goto(live_server.url + "/")
    page.locator(".pagination a[rel=next]").scroll_into_view_if_needed()
    page.locator(".pagination a[rel=next]").click()
    page.wait_for_url(re.compile(r"page=2"))
    page.wait_for_function(
        "() => document.querySelector('.pagination span').textContent.includes('2')"
    )
    results_top = page.locator("#results").bounding_box()["y"]
    assert -5 <= results_top <= 900


def test_the_venue_box_suggests_venues_as_one_types(live_server, page, weekend_programme):
    """No list of a thousand venues in the page: typing asks for the few that match."""
    EventFactory(title="Botanique Night", venue=VenueFactory(name="Botanique"))
    flagey = weekend_programme["gig"].venue
    page.goto(live_server.url + "/")
    page.locator("summary", has_text="More filters").click()
    box = page.get_by_label("Venue", exact=True)
    box.press_sequentially("flag", delay=40)
    page.wait_for_function("() => document.querySelectorAll('#venue-options option').length")
    offered = page.locator("#venue-options option").evaluate_all(
        "options => options.map(option => [option.value, option.textContent])"
    )
    assert offered == [[flagey.slug, "Flagey"]]
    assert page.url == live_server.url + "/"  # suggestions do not touch the address
    box.fill(flagey.slug)  # what choosing the suggestion does
    box.press("Enter")
    page.wait_for_url(re.compile(rf"venue={flagey.slug}"))
    page.wait_for_function(
        "() => !document.querySelector('#results').textContent.includes('Botanique Night')"
    )
    assert listed_titles(page) == {"Weekend Gig", "Weekend Play", "Later Gig"}


def test_without_javascript_a_venue_is_found_by_its_name(live_server, page_without_js):
    page = page_without_js
    EventFactory(title="Botanique Night", venue=VenueFactory(name="Botanique"))
    EventFactory(title="Elsewhere")
    page.goto(live_server.url + "/")
    page.locator("summary", has_text="More filters").click()
    page.get_by_label("Venue", exact=True).fill("botanique")
    page.get_by_role("button", name="Show events").click()
    page.wait_for_url(re.compile(r"venue=botanique"))
    assert listed_titles(page) == {"Botanique Night"}
