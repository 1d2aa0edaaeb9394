"""Each date's row in a list of dates, rendered once per version of its event and language.

Rendering the rows was most of a list page's work (the agenda's 40 dates: a third of its
time), and a row shows nothing that its event's journal stamp does not version: the title,
status, price flag and slug are the event's, the venue's and category's names move the
stamp when they change (`Event.last_change`, diary.journal), and the times are the date's
own. So a row is rendered once, kept under that stamp, the date's times and the language,
and reused by every page that lists it (the agenda in any selection, a venue, a tag) until
its event changes. Rows outlive the data version, which any write in the city moves: after
an edit, pages are rendered again from the rows of the events that did not change.

Rows are kept as long as the response cache keeps a page (`diary.cache.TTL`), so a new
release's markup is everywhere as soon as its pages are.
"""

from django.core.cache import cache
from django.template.loader import get_template
from django.utils import translation
from django.utils.safestring import mark_safe

from diary.cache import TTL

ROW_TEMPLATE = "diary/_occurrence.html"


def row_key(occurrence, language: str) -> str | None:
    """Where a date's row is kept, or None for an event without a journal stamp (nothing
    versions its row)."""
    event = occurrence.event
    if event.last_change_id is None or event.changed is None:
        return None
    # The change's moment beside its id: SQLite hands out a rolled-back change's id anew.
    stamp = (event.last_change_id, event.changed.timestamp())
    times = (occurrence.start.timestamp(), occurrence.end.timestamp(), occurrence.all_day)
    return f"row:{language}:{occurrence.pk}:" + ":".join(map(str, (*stamp, *times)))


def rendered_rows(days: list[tuple]) -> list[tuple]:
    """`days` (common.listing.group_by_day) with each date replaced by its row's HTML: the
    kept ones in one cache read, the others rendered and kept in one write."""
    language = translation.get_language()
    occurrences = [occurrence for _day, group in days for occurrence in group]
    keys = [row_key(occurrence, language) for occurrence in occurrences]
    kept = cache.get_many([key for key in keys if key])
    template = get_template(ROW_TEMPLATE)
    rows, new = [], {}
    for occurrence, key in zip(occurrences, keys, strict=True):
        row = kept.get(key) if key else None
        if row is None:
            row = template.render({"occurrence": occurrence})
            if key:
                new[key] = row
        rows.append(mark_safe(row))  # our template's own output, escaped there
    if new:
        cache.set_many(new, TTL)
    shown = iter(rows)
    return [(day, [next(shown) for _ in group]) for day, group in days]
