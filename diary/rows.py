"""Each date's row in a list of dates, rendered once per version of its event and language.

Rendering the rows was most of a list page's work (the agenda's 40 dates: a third of its
time), and a row shows nothing that its event's journal stamp does not version: the title,
status, price flag and slug are the event's, the venue's and category's names move the
stamp when they change (`Event.last_change`, diary.journal), and the times are the date's
own. So a row is rendered once, kept under that stamp, the date's times and the language,
and reused by every page that lists it (the agenda in any selection, a venue, a tag) until
its event changes. Rows outlive the data version, which any write in the city moves: after
an edit, pages are rendered again from the rows of the events that did not change.

The agenda reads its dates narrow (`OccurrenceQuerySet.listed`: ids, times, stamps), and
loads whole only the dates whose rows are not kept, in one query; a venue's or a tag's page
(60 dates at most) loads them whole at once, in the query it always ran. Rows are kept as
long as the response cache keeps a page (`diary.cache.TTL`), so a new release's markup is
everywhere as soon as its pages are.
"""

from django.core.cache import cache
from django.template.loader import get_template
from django.utils import translation
from django.utils.safestring import mark_safe

from diary.cache import TTL
from diary.models import Occurrence

ROW_TEMPLATE = "diary/_occurrence.html"


def row_key(date, language: str) -> str | None:
    """Where a date's row is kept, or None for an event without a journal stamp (nothing
    versions its row). `date`: a row of `OccurrenceQuerySet.listed`, or an occurrence
    loaded whole (`for_day_lists`)."""
    if isinstance(date, Occurrence):
        stamp, stamped = date.event.last_change_id, date.event.changed
    else:
        stamp, stamped = date.stamp, date.stamped
    if stamp is None or stamped is None:
        return None
    # The change's moment beside its id: SQLite hands out a rolled-back change's id anew.
    # (Whether a date is all day is its event's, which the stamp versions.)
    parts = (date.pk, stamp, stamped.timestamp(), date.start.timestamp(), date.end.timestamp())
    return f"row:{language}:" + ":".join(map(str, parts))


def rendered_rows(days: list[tuple]) -> list[tuple]:
    """`days` (common.listing.group_by_day) with each date replaced by its row's HTML: the
    kept ones in one cache read; the others rendered (narrow dates loaded whole first, in
    one query) and kept in one write."""
    language = translation.get_language()
    dates = {date.pk: date for _day, group in days for date in group}
    keys = {pk: row_key(date, language) for pk, date in dates.items()}
    kept = cache.get_many([key for key in keys.values() if key])
    html = {pk: kept[key] for pk, key in keys.items() if key in kept}
    missing = [date for pk, date in dates.items() if pk not in html]
    if missing:
        whole = [date for date in missing if isinstance(date, Occurrence)]
        narrow = [date.pk for date in missing if not isinstance(date, Occurrence)]
        if narrow:
            whole += Occurrence.objects.for_day_lists().filter(pk__in=narrow).order_by()
        template = get_template(ROW_TEMPLATE)
        new = {occurrence.pk: template.render({"occurrence": occurrence}) for occurrence in whole}
        cache.set_many({keys[pk]: row for pk, row in new.items() if keys[pk]}, TTL)
        html |= new
    # A date gone between the two queries has no row. Our template's own output, escaped there.
    return [
        (day, [mark_safe(html[date.pk]) for date in group if date.pk in html])
        for day, group in days
    ]
