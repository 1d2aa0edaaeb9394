"""Pictures drawn with Pillow, offline: the demo city's posters (of its events, stories and
venues, from a title, a colour and a seed, the same for the same seed), the card a shared
link shows for an event without a picture (diary.sharing), and the colours of the
categories and sections they and the cards without a picture are drawn on."""

import functools
import random
from io import BytesIO
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

# DejaVu Sans (its licence beside it), cut to the Latin letters Brussels writes: Pillow's
# own default font has no "é".
FONTS = Path(__file__).resolve().parent / "fonts"
SIZE = (960, 640)
WIDE = (960, 540)  # a story's: its card is 16:9
# A colour per category (the demo's, and any city's first ones), and one for the rest. Each
# carries white text (a card's name, a poster's title) at WCAG AA's 4.5:1 at least
# (tests/diary/test_pictured.py measures it).
COLOURS = {
    "music": "#1d3557",
    "exhibition": "#6a4c93",
    "theatre": "#9d0208",
    "dance": "#c9184a",
    "film": "#212529",
    "talk": "#005f73",
    "festival": "#b04a00",
    "family": "#1f7a70",
    "food-drink": "#97561d",
    "market": "#606c38",
    "nightlife": "#3c096c",
    "sport": "#0077b6",
    "guided-tour": "#386641",
    "workshop": "#7f5539",
    # The magazine's sections (Article.Section), for its stories without a picture.
    "urban-life": "#08737a",
    "culture-creativity": "#ae2012",
    "discover-meet": "#9e5100",
    "europolitan-trends": "#264653",
}
OTHER = "#343a40"
# RFC 7986's COLOR (in the iCal feeds) takes a CSS3 colour name, not a hex value: the name
# nearest each colour above.
COLOUR_NAMES = {
    "music": "midnightblue",
    "exhibition": "darkslateblue",
    "theatre": "darkred",
    "dance": "crimson",
    "film": "darkslategray",
    "talk": "teal",
    "festival": "sienna",
    "family": "darkcyan",
    "food-drink": "saddlebrown",
    "market": "darkolivegreen",
    "nightlife": "indigo",
    "sport": "steelblue",
    "guided-tour": "darkgreen",
    "workshop": "sienna",
}
OTHER_NAME = "dimgray"


def colour(category: str) -> str:
    """A category's (or a section's) colour: its poster's ground, and its cards' without a
    picture."""
    return COLOURS.get(category, OTHER)


def colour_name(category: str) -> str:
    """A category's colour as a CSS3 name (RFC 7986 COLOR)."""
    return COLOUR_NAMES.get(category, OTHER_NAME)


@functools.cache
def font(size: int, *, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONTS / f"DejaVuSans{'-Bold' if bold else ''}.ttf"), size)


def wrapped(text: str, face: ImageFont.FreeTypeFont, width: int, lines: int) -> list[str]:
    """`text` in at most `lines` lines of at most `width` pixels, cut at words (the last
    one ends with … when the text is longer)."""
    words, shown = text.split(), []
    while words and len(shown) < lines:
        line = words.pop(0)
        while words and face.getlength(f"{line} {words[0]}") <= width:
            line = f"{line} {words.pop(0)}"
        shown.append(line)
    if words and shown:
        while shown[-1] and face.getlength(shown[-1] + "…") > width:
            shown[-1] = shown[-1][:-1]
        shown[-1] += "…"
    return shown


def poster(*, title: str, label: str, ground: str, key: str, size: tuple[int, int] = SIZE) -> bytes:
    """A JPEG poster of `size`: a `ground` colour, a few shapes drawn from `key`, a small
    `label` (an event's category, a story's section, a venue's area) and the title in
    white."""
    rng = random.Random(key)
    image = Image.new("RGB", size, ground)
    draw = ImageDraw.Draw(image, "RGBA")
    width, height = size
    for _ in range(rng.randint(3, 6)):
        x, y = rng.randrange(width), rng.randrange(height // 2 + 80)
        radius = rng.randint(60, 260)
        shade = (255, 255, 255, rng.randint(25, 70))
        if rng.random() < 0.5:
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=shade)
        else:
            draw.rectangle((x - radius, y - radius // 2, x + radius, y + radius // 2), fill=shade)
    draw.rectangle((0, height - 250, width, height), fill=(0, 0, 0, 110))
    small, large = font(28), font(56, bold=True)
    draw.text((48, height - 226), label.upper(), font=small, fill="white")
    for number, line in enumerate(wrapped(title, large, width - 96, lines=2)):
        draw.text((48, height - 172 + number * 72), line, font=large, fill="white")
    out = BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()


def sharing_card(
    *,
    title: str,
    when: str,
    where: str,
    category: str,
    mark: str,
    status: str = "",
    size: tuple[int, int],
) -> bytes:
    """The picture of `size` that a link to an event without one of its own shows where it
    is shared (Open Graph) or found (schema.org): its title, date and place on its
    category's colour, the magazine's mark, and its status (Cancelled) when it is not on as
    planned. The mark's band and the place keep clear of the top and bottom 40 pixels, which
    a service showing it at 2:1 crops."""
    image = Image.new("RGB", size, colour(category))
    draw = ImageDraw.Draw(image, "RGBA")
    width, height = size
    draw.rectangle((0, 0, width, 136), fill=(0, 0, 0, 90))
    draw.text((64, 62), mark, font=font(40, bold=True), fill="white")
    if status:
        band = font(40, bold=True)
        label = status.upper()
        right = width - 64
        left = right - draw.textlength(label, font=band) - 48
        draw.rectangle((left, 52, right, 116), fill="white")
        draw.text((left + 24, 62), label, font=band, fill=colour(category))
    title_font = font(68, bold=True)
    lines = max(1, min(5, (height - 136 - 34 - 190) // 86))  # down to the date
    for number, line in enumerate(wrapped(title, title_font, width - 128, lines=lines)):
        draw.text((64, 136 + 34 + number * 86), line, font=title_font, fill="white")
    size_of_details = 38  # smaller on a narrow card, if the date would not fit
    while size_of_details > 26 and font(size_of_details).getlength(when) > width - 128:
        size_of_details -= 2
    details = font(size_of_details)
    draw.text((64, height - 170), when, font=details, fill="white")
    [place] = wrapped(where, details, width - 128, lines=1) or [""]
    draw.text((64, height - 114), place, font=details, fill=(255, 255, 255, 220))
    out = BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()
