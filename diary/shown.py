"""Dates as the month grid and the runs group name them: plain values, shown in any language.

A busy month lists a hundred dates and the runs group names the few closing soonest; both
are remembered (per data version and selection) and read back on every request. Whole
occurrences with their events and venues would be four models each to build and unpickle,
to print a title and a link: so they are read as `PlainDate`s (one narrow query, every
language's titles and venue names), and each request shows them in its language
(`shown_dates`): the titles' fallbacks, the addresses, the words for a status.
"""

from datetime import date
from types import SimpleNamespace

from django.db.models import F, QuerySet
from django.urls import reverse
from django.utils import timezone

from common.translation import active_language, columns, translated
from diary.models import EventStatus, last_day_of

TITLES = columns("title")
VENUE_NAMES = columns("name")
FIELDS = {
    **{name: F(f"event__{name}") for name in ("slug", "status", "text_language", *TITLES)},
    **{f"venue_{column}": F(f"event__venue__{column}") for column in VENUE_NAMES},
}


class PlainDate(SimpleNamespace):
    """A date in plain values: `pk`, `start`, `end`, `all_day`, its event's `slug`,
    `status`, `text_language` and title columns (`title_fr` …), and `venue`: its venue's
    name columns (`name_fr` …), or None."""

    def last_day(self, tz=None) -> date:
        return last_day_of(self.end, self.all_day, tz)


def plain_dates(dates: QuerySet) -> list[PlainDate]:
    """`dates` (a queryset of occurrences, in its order) as PlainDates, in one query."""
    plain = []
    for row in dates.values("pk", "start", "end", "all_day", **FIELDS):
        names = {column: row.pop(f"venue_{column}") for column in VENUE_NAMES}
        venue = SimpleNamespace(**names) if any(names.values()) else None
        plain.append(PlainDate(**row, venue=venue))
    return plain


class EventUrl:
    """An event page's address by slug, reversed once per page rather than once per date."""

    MARK = "SLUG"  # no slug holds capitals

    def __init__(self):
        self.pattern = reverse("diary:event-detail", kwargs={"slug": self.MARK})

    def __call__(self, slug: str) -> str:
        return self.pattern.replace(self.MARK, slug)


class ShownDate:
    """A PlainDate in the active language: what a template prints of it."""

    def __init__(self, date: PlainDate, event_url: EventUrl, language: str):
        self.date = date
        self.url = event_url(date.slug)
        self.title, title_language = translated(date, "title")
        self.language = "" if title_language == language else title_language  # a fallback's
        scheduled = date.status == EventStatus.SCHEDULED
        self.status = "" if scheduled else date.status
        self.status_label = "" if scheduled else EventStatus(date.status).label

    @property
    def time(self) -> str:
        """ "20:00" in the city's time zone; "" all day."""
        return "" if self.date.all_day else f"{timezone.localtime(self.date.start):%H:%M}"

    @property
    def first_day(self) -> date:
        return timezone.localdate(self.date.start)

    @property
    def venue(self) -> str:
        return translated(self.date.venue, "name")[0] if self.date.venue else ""


def shown_dates(dates: list[PlainDate]) -> list[ShownDate]:
    event_url, language = EventUrl(), active_language()
    return [ShownDate(date, event_url, language) for date in dates]
