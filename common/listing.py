"""Lists of dates and the feeds that subscribe to them, as every page shows them."""

from collections.abc import Iterable
from datetime import date
from itertools import groupby

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.functional import cached_property


def group_by_day(occurrences: Iterable, since: date | None = None) -> list[tuple[date, list]]:
    """Occurrences (sorted by start) grouped by their day in the city's time zone.

    Whatever started before `since` (by default today) and is still on (an exhibition, a
    festival) is listed under `since`, not under a day that has passed or lies outside the
    window asked for.
    """
    since = since or timezone.localdate()
    return [
        (day, list(group))
        for day, group in groupby(
            occurrences, key=lambda o: max(timezone.localdate(o.start), since)
        )
    ]


def in_page_language(query: str = "") -> str:
    """A feed's query string in the page's language when it is not the site's (`lang=nl`:
    calendar apps send no Accept-Language of the reader's): every link to a feed or an
    .ics file carries it."""
    language = translation.get_language()
    if language != settings.LANGUAGE_CODE:
        return "&".join(filter(None, (query, f"lang={language}")))
    return query


def feed_links(request, query: str = "", path: str = "/feeds/events.ics") -> dict[str, str]:
    """An iCal feed (by default the agenda's, for the same selection) as an https link and a
    webcal:// one, which calendar apps open as a subscription; in the page's language."""
    query = in_page_language(query)
    https = request.build_absolute_uri(path) + (f"?{query}" if query else "")
    return {"https": https, "webcal": "webcal://" + https.split("://", 1)[1]}


MAX_PAGE = 1_000_000  # a page number beyond is read as this one (an offset a database takes)


def page_number(value) -> int:
    """A page number asked for (`?page=`), from 1 to MAX_PAGE; 1 for anything else."""
    try:
        return min(max(int(value), 1), MAX_PAGE)
    except (TypeError, ValueError):
        return 1


class IdsFirstPaginator(Paginator):
    """Django's Paginator where the database sorts and slices a page's ids, then loads those
    rows in full (one query more): it sorts narrow rows, not every match with its joined
    event, venue and category and their texts in every language.

    With `count_up_to`, the count stops there (`more` then says there are more): counting
    every date still on in a capital costs more than the rest of the page. It counts far
    enough to know the page asked for and whether one follows it. With `narrow`, the rows
    are narrow already (a `values_list`): one query reads the page.
    """

    def __init__(
        self,
        object_list,
        per_page,
        *,
        count_up_to: int | None = None,
        narrow: bool = False,
        **kwargs,
    ):
        super().__init__(object_list, per_page, **kwargs)
        self.count_up_to = count_up_to
        self.narrow = narrow
        self.more = False

    def get_page(self, number):
        if self.count_up_to:
            asked = page_number(number)
            self.count_up_to = max(self.count_up_to, (asked + 1) * self.per_page)
        return super().get_page(number)

    @cached_property
    def count(self) -> int:
        if not self.count_up_to or not isinstance(self.object_list, QuerySet):
            return super().count
        # COUNT(*) over a LIMIT: the database stops reading at the bound.
        counted = self.object_list.order_by().values("pk")[: self.count_up_to + 1].count()
        self.more = counted > self.count_up_to
        return min(counted, self.count_up_to)

    def _get_page(self, object_list, number, paginator):
        if isinstance(self.object_list, QuerySet) and not self.narrow:
            ids = list(object_list.prefetch_related(None).values_list("pk", flat=True))
            rows = {row.pk: row for row in self.object_list.filter(pk__in=ids).order_by()}
            object_list = [rows[pk] for pk in ids if pk in rows]
        return super()._get_page(object_list, number, paginator)
