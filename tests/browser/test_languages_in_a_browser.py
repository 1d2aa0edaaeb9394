"""The French and Dutch pages as a reader sees them: no English word of the interface left."""

import os
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def interface_english(language: str) -> list[str]:
    """The catalogue's English sentences and labels whose translation differs, without
    placeholders: what must not show on a page in `language`."""
    path = Path(settings.BASE_DIR) / "locale" / language / "LC_MESSAGES" / "django.po"
    with open(path, "rb") as po:
        catalogue = read_po(po, locale=language)
    english = []
    for message in catalogue:
        for source, translation in zip(
            message.id if isinstance(message.id, list | tuple) else [message.id],
            message.string if isinstance(message.string, list | tuple) else [message.string],
            strict=False,
        ):
            words = re.split(r"%\([a-z_]+\)[sd]|\{\{[^}]*\}\}", source or "")
            for part in words:
                part = part.strip(" .,:;“”()")
                # Two words or more, so that names shared by both languages do not count.
                if len(part.split()) >= 2 and part not in translation:
                    english.append(part)
    return english


@pytest.fixture
def demo_city(db):
    from diary.demo import demo_city_seed

    demo_city_seed(events=60, venues=18, seed=1)


def visible_text(page) -> str:
    return page.evaluate("document.body.innerText")


@pytest.mark.parametrize("language", ["fr", "nl"])
def test_every_visible_word_of_the_interface_is_in_the_pages_language(
    live_server, page, demo_city, language
):
    from diary.models import Event

    english = interface_english(language)
    event = Event.objects.published().exclude(rrule="").filter(venue__isnull=False).first()
    paths = ["/", "/month/", f"/events/{event.slug}/", "/venues/", "/submit/"]
    for path in paths:
        page.goto(f"{live_server.url}/{language}{path}")
        assert page.evaluate("document.documentElement.lang") == language
        shown = visible_text(page)
        left = sorted({sentence for sentence in english if sentence in shown})
        assert left == [], f"/{language}{path} shows English: {left}"
        # The events' own texts too: in the page's language, or marked as another one.
        foreign = page.locator(f"main [lang]:not([lang='{language}'])").count()
        notes = page.locator("main .fallback-note").count()
        assert (foreign > 0) == (notes > 0) and notes <= foreign, path
    page.goto(f"{live_server.url}/{language}/")
    titles = page.locator("main a[href*='/events/']").count()
    foreign = page.locator("main a[lang]").count()
    assert 0 < foreign < titles  # a city's listings: many in one language only (the demo's)


@pytest.mark.skipif(not os.environ.get("SCREENSHOT_DIR"), reason="set SCREENSHOT_DIR to take them")
@pytest.mark.parametrize("language", ["fr", "nl"])
def test_take_screenshots_in_french_and_dutch(live_server, page, demo_city, language):
    from diary.models import Event

    folder = Path(os.environ["SCREENSHOT_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    page.goto(f"{live_server.url}/{language}/")
    page.screenshot(path=folder / f"agenda-{language}.png", full_page=False)
    event = Event.objects.published().exclude(rrule="").filter(venue__isnull=False).first()
    page.goto(f"{live_server.url}/{language}/events/{event.slug}/")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=folder / f"event-{language}.png", full_page=False)
