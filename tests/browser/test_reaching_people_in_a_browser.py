"""Where people meet the diary away from it: a partner's page holding the widget, the
subscribe panel before a feed too large for Google, the weekly letter from the form to the
mailbox and back."""

import os
import re
import threading
import time
from datetime import timedelta
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import CategoryFactory, EventFactory, MunicipalityFactory, VenueFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def screenshot(page, name: str, **options) -> None:
    if os.environ.get("SCREENSHOT_DIR"):
        page.screenshot(path=Path(os.environ["SCREENSHOT_DIR"]) / name, **options)


@pytest.fixture
def programme():
    music = CategoryFactory(slug="music", name="Music")
    film = CategoryFactory(slug="film", name="Film")
    ixelles = MunicipalityFactory(slug="ixelles", name="Ixelles")
    flagey = VenueFactory(slug="flagey", name="Flagey", municipality=ixelles)
    soon = timezone.now() + timedelta(days=1)
    for n in range(6):
        EventFactory(
            title=f"Flagey concert {n + 1}",
            category=music,
            venue=flagey,
            start=soon + timedelta(days=n, hours=n),
        )
    for n in range(30):
        EventFactory(title=f"Film {n + 1}", category=film, start=soon + timedelta(days=n))
    return {"flagey": flagey}


@pytest.fixture
def partner_site(tmp_path, live_server):
    """A partner's page on another origin (127.0.0.1, another port) holding the widget."""
    (tmp_path / "index.html").write_text(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Flagey</title></head>"
        "<body style='margin:0;font-family:serif'><h1>Flagey: what is on</h1>"
        f"<script src='{live_server.url}/static/embed.js' data-query='venue=flagey' "
        "data-accent='0b4f9c' async></script><p id='after'>Our address: Place Sainte-Croix</p>"
        "</body></html>"
    )
    handler = partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_the_widget_on_a_partner_site_shows_its_selection_and_fits_its_content(
    live_server, page, programme, partner_site
):
    assert partner_site.split(":")[-1] != live_server.url.split(":")[-1]  # another origin
    page.goto(partner_site + "/")
    frame_element = page.locator("iframe")
    expect(frame_element).to_have_count(1)
    assert frame_element.get_attribute("src").startswith(live_server.url + "/embed/?venue=flagey")
    frame = page.frame_locator("iframe")
    expect(frame.locator("li")).to_have_count(6)
    expect(frame.get_by_text("Film 1", exact=True)).to_have_count(0)
    # The iframe takes its content's height (not its first 400 px): nothing cut, no scroll.
    # The content grows while its styles load (523 px, then 632): compared as it is now.
    assert frame_element.evaluate("element => element.contentDocument") is None  # other origin
    content = frame.locator("#embedded-agenda")
    deadline = time.monotonic() + 10
    while True:
        wanted = content.evaluate("element => Math.ceil(element.getBoundingClientRect().height)")
        height = frame_element.evaluate("element => element.getBoundingClientRect().height")
        if abs(height - wanted) < 2:
            break
        assert time.monotonic() < deadline, f"the iframe is {height} px, its content {wanted} px"
        page.wait_for_timeout(100)
    assert height != 400
    # The partner's page (another origin) cannot make it any size: its messages are ignored.
    page.evaluate("window.postMessage({cityAgendaEmbed: true, height: 7}, '*')")
    page.wait_for_timeout(200)
    assert frame_element.evaluate("element => element.getBoundingClientRect().height") == height
    # Its links open the event in a new tab, on the agenda.
    link = frame.locator("li a").first
    assert link.get_attribute("target") == "_blank"
    with page.context.expect_page() as opened:
        link.click()
    assert opened.value.url.startswith(live_server.url + "/events/")
    screenshot(page, "embed-on-a-partner-site.png", full_page=True)


def test_the_builder_previews_and_hands_out_the_snippet(live_server, page, programme):
    page.goto(live_server.url + "/embed/builder/")
    page.get_by_label("Venue", exact=True).fill("flagey")  # what choosing its suggestion does
    page.get_by_label("Venue", exact=True).press("Tab")
    page.get_by_label("Theme").select_option("dark")
    snippet = page.locator("#embed-snippet")
    expect(snippet).to_have_value(re.compile(r'data-query="venue=flagey" data-theme="dark"'))
    preview = page.frame_locator("#embed-preview")
    expect(preview.locator("li")).to_have_count(6)
    expect(preview.locator("html.theme-dark")).to_have_count(1)
    page.wait_for_load_state("networkidle")
    screenshot(page, "embed-builder.png", full_page=True)


@pytest.mark.parametrize("language", ["fr", "nl", "en"])
def test_the_builders_iframe_snippet_follows_every_choice(
    live_server, page, page_without_js, programme, language
):
    """With JavaScript the snippets change as the partner chooses; the iframe's is what the
    server writes for the same choices (without JavaScript, the form reloads the page)."""
    page.goto(f"{live_server.url}/{language}/embed/builder/")
    page.locator("input[name=category][value=music]").check()
    page.locator("select[name=theme]").select_option("dark")
    page.locator("input[name=limit]").fill("8")
    page.locator("input[name=limit]").dispatch_event("change")
    iframe = page.locator("#embed-iframe")
    expect(iframe).to_have_value(re.compile(r"category=music&amp;theme=dark&amp;limit=8"))
    if language != "en":
        expect(iframe).to_have_value(re.compile(rf"limit=8&amp;lang={language}\""))
    chosen = f"?category=music&theme=dark&limit=8&lang={language}"
    page_without_js.goto(f"{live_server.url}/{language}/embed/builder/{chosen}")
    served = page_without_js.locator("#embed-iframe").input_value()
    assert iframe.input_value() == served
    assert page.locator("#embed-snippet").input_value() == (
        page_without_js.locator("#embed-snippet").input_value()
    )


def test_the_subscribe_panel_warns_before_a_feed_too_large_for_google(
    live_server, page, programme, settings
):
    settings.DIARY_FEED_MAX_BYTES = 8_000
    page.goto(live_server.url + "/")
    page.locator(".subscribe-panel > summary").click()
    warning = page.locator(".size-warning")
    expect(warning).to_contain_text("This selection holds 36 events")
    expect(warning).to_contain_text("Google Calendar ignores feeds that large")
    page.locator(".size-warning a", has_text="Music").click()
    page.wait_for_url(re.compile(r"/subscribe/\?category=music$"))
    expect(page.locator(".feed-size")).to_contain_text("The feed holds 6 events")
    expect(page.locator("#feed-url")).to_have_value(
        live_server.url + "/feeds/events.ics?category=music"
    )
    page.goto(live_server.url + "/")
    page.locator(".subscribe-panel > summary").click()
    expect(warning).to_be_visible()
    screenshot(page, "subscribe-panel-size-warning.png", full_page=False)


def test_a_resident_asks_for_the_letter_confirms_it_and_stops_it(live_server, page, programme):
    mail.outbox = []
    page.goto(live_server.url + "/subscribe/?category=music")
    page.get_by_label("Your e-mail address").fill("reader@example.org")
    page.get_by_label("On", exact=True).select_option("4")
    page.get_by_role("button", name="E-mail me this every week").click()
    expect(page.locator("main")).to_contain_text("Check your mailbox")
    [message] = mail.outbox
    link = re.search(r"http\S+/letter/confirm/\S+/", message.body).group(0)
    page.goto(live_server.url + link.split("8000", 1)[1])
    page.get_by_role("button", name="Yes, send me the letter").click()
    expect(page.locator("main")).to_contain_text("Confirmed")
    expect(page.get_by_label("Send it on")).to_have_value("4")
    page.get_by_role("button", name="Stop the letter").click()
    expect(page.locator("h1")).to_have_text("The letter is stopped")


def test_the_digest_email_as_a_mail_client_shows_it(live_server, page, programme, time_machine):
    from diary import letters
    from diary.models import LetterSubscription

    subscription = LetterSubscription.objects.create(
        email="reader@example.org",
        query="venue=flagey",
        language="en",
        weekday=3,
        confirmed=timezone.now(),
    )
    today = timezone.localdate()
    occurrences, total, running = letters.letter_occurrences(subscription.query, today=today)
    message = letters.letter_message(subscription, occurrences, total, today, running)
    html, _mimetype = message.alternatives[0]
    page.set_content(html)
    expect(page.locator("a", has_text="Flagey concert 1")).to_be_visible()
    screenshot(page, "weekly-letter.png", full_page=True)
