from dataclasses import dataclass
from functools import lru_cache, partial
from html import escape

from babel import Locale
from babel.numbers import format_currency, format_decimal
from django import template
from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from common.listing import in_page_language
from common.translation import IN_LANGUAGE, active_language, shown_language, translated
from diary import images, posters, rows, runs
from diary.models import Event, Occurrence

register = template.Library()

# Date patterns (Django's `date` format characters) each language writes its own way: English
# "Tue 1 Dec 2026", French "mar 1 déc 2026", Dutch "di 1 dec 2026" (lower-case months).
DAY_MONTH = pgettext_lazy("date pattern: day and short month, as in “Until 15 Dec”", "j M")
DAY_MONTH_TIME = pgettext_lazy("date pattern: day, short month and 24-hour time", "j M H:i")
SHORT_DATE = pgettext_lazy("date pattern: short weekday, day, short month, year", "D j M Y")


@register.filter
def time_range(occurrence: Occurrence) -> str:
    """How an occurrence's time reads in a list of one day: 19:00–21:00, All day, …"""
    start, end = timezone.localtime(occurrence.start), timezone.localtime(occurrence.end)
    if occurrence.all_day:
        last = occurrence.last_day()
        if last <= start.date():
            return _("All day")
        return _("Until %(day)s") % {"day": formats.date_format(last, str(DAY_MONTH))}
    if end <= start:
        return formats.time_format(start, "H:i")
    if end.date() != start.date():
        return (
            f"{formats.time_format(start, 'H:i')}–{formats.date_format(end, str(DAY_MONTH_TIME))}"
        )
    return f"{formats.time_format(start, 'H:i')}–{formats.time_format(end, 'H:i')}"


@register.filter
def day_month(day) -> str:
    """A day, short, as each language writes it: 7 Dec, 7 déc., 7 dec."""
    return formats.date_format(day, str(DAY_MONTH))


@register.filter
def run_dates(occurrence: Occurrence) -> str:
    """A run's days, short: 12 Dec – 10 Jan (diary.runs)."""
    pattern = str(DAY_MONTH)
    first = formats.date_format(timezone.localtime(occurrence.start), pattern)
    return f"{first} – {formats.date_format(occurrence.last_day(), pattern)}"


@register.filter
def date_range(occurrence: Occurrence) -> str:
    """An occurrence's dates in full, for an event page: Tue 1 Dec 2026, 19:00–21:00."""
    start = timezone.localtime(occurrence.start)
    day = formats.date_format(start, str(SHORT_DATE))
    if occurrence.all_day:
        last = occurrence.last_day()
        if last > start.date():
            return f"{day} – {formats.date_format(last, str(SHORT_DATE))}"
        return day
    return f"{day}, {time_range(occurrence)}"


def euros(low, high=None) -> str:
    """A price, or a range of prices, as the active language writes euros (Babel's locale
    data): "€20–30", « 20–30 € », "€ 20–30"; cents only where there are some."""
    return _euros(low, high, translation.get_language() or settings.LANGUAGE_CODE)


@lru_cache(maxsize=4096)
def _euros(low, high, language: str) -> str:
    # Babel's formatting takes a quarter of a millisecond; a city's prices are few.
    locale = Locale.parse(language, sep="-")
    last = high if high is not None else low
    whole = all(value == int(value) for value in (low, last))
    digits = "#,##0" if whole else "#,##0.00"
    pattern = locale.currency_formats["standard"].pattern.split(";")[0].replace("#,##0.00", digits)
    written = format_currency(last, "EUR", format=pattern, locale=locale, currency_digits=False)
    if high is None:
        return written
    number = partial(format_decimal, format=digits, locale=locale)
    return written.replace(number(last), f"{number(low)}–{number(last)}", 1)


@register.filter
def price(event: Event) -> str:
    if event.is_free:
        return _("Free")
    if event.price_min is not None and event.price_max not in (None, event.price_min):
        return euros(event.price_min, event.price_max)
    if event.price_min is not None:
        return euros(event.price_min)
    return ""


@register.filter
def feed_in_page_language(url: str) -> str:
    """A feed's or an .ics file's address in the page's language (common.listing)."""
    path, _sep, query = str(url).partition("?")
    query = in_page_language(query)
    return f"{path}?{query}" if query else path


@register.filter
def getlist(query, name: str) -> list[str]:
    """Every value of a repeatable query parameter: {{ request.GET|getlist:"category" }}."""
    return query.getlist(name)


@register.simple_tag
def options(choices, selected) -> str:
    """The `<option>`s of a select from (value, label) pairs, `selected` marked.

    Built in Python with the standard library's escape (Django's, lazy-aware, costs three
    times as much): a template loop over a capital's thousand venues took longer than the
    rest of the agenda page together.
    """
    return mark_safe(  # every value and label is escaped here
        "".join(
            f'<option value="{escape(value)}"{" selected" if value == selected else ""}>'
            f"{escape(label)}</option>"
            for value, label in choices
        )
    )


@register.simple_tag
def rendered_rows(days: list[tuple]) -> list[tuple]:
    """The days of a list of dates with their rows' HTML: `{% rendered_rows days as day_rows %}`,
    each row rendered once per version of its event and language (diary.rows)."""
    return rows.rendered_rows(days)


@register.simple_tag
def runs_group(group, opened: bool = False) -> str:
    """A runs group (diary.runs.RunsOn), rendered once per version of what it shows:
    `{% runs_group runs %}`, `{% runs_group runs opened=True %}` for its closing list
    unfolded."""
    return mark_safe(runs.rendered(group, opened))  # our template's own output, escaped there


@dataclass(frozen=True)
class ShownText:
    text: str
    language: str  # the language it is in ("" when there is no text)


@register.simple_tag
def shown_text(obj, name: str) -> ShownText:
    """The text `name` as a list shows it, worked out once: `{% shown_text event "title"
    as title %}`, then `title.text`, and `title.language` for `language_of` and
    `language_note`."""
    return ShownText(*translated(obj, name))


@register.simple_tag
def lang_of(obj, name: str) -> str:
    """` lang="fr"` on an element whose text `name` is shown in another language than the
    page's (a fallback): screen readers then pronounce it right."""
    return language_of(shown_language(obj, name))


@register.simple_tag
def language_of(code: str) -> str:
    """` lang="fr"` on an element in `code` when it is not the page's language."""
    return format_html(' lang="{}"', code) if code and code != active_language() else ""


@register.simple_tag
def language_note(code: str) -> str:
    """ "(in French)" beside a text in `code` when it is not the page's language."""
    if not code or code == active_language() or code not in IN_LANGUAGE:
        return ""
    return format_html(' <small class="fallback-note">({})</small>', IN_LANGUAGE[code])


@register.simple_tag
def fallback_note(obj, name: str, unless_as: str = "") -> str:
    """ "(in French)", discreetly, when the text `name` is shown in another language than the
    page's; nothing when it is in the same language as the text `unless_as` (already said)."""
    shown = shown_language(obj, name)
    if unless_as and shown_language(obj, unless_as) == shown:
        return ""
    return language_note(shown)


@register.inclusion_tag("diary/_picture.html")
def picture(obj, sizes: str, css_class: str = "", lazy: bool = False) -> dict:
    """An object's image at the size the layout needs (`sizes`, as in HTML), in WebP or
    JPEG as the browser takes, with its width and height so nothing moves while it loads;
    below the fold, `lazy`. Nothing without an image."""
    served = images.sizes(obj)
    return {
        "image": obj.image,
        "alt": obj.image_alt,
        "served": served,
        "largest": served[-1] if served else None,
        "sizes": sizes,
        "css_class": css_class,
        "lazy": lazy,
    }


@register.simple_tag
def colour_of(slug: str) -> str:
    """The colour of a category or a story's section (diary.posters), by its slug (none:
    the colour of the rest): a card's ground where it has no picture."""
    return posters.colour(slug)
