"""Happenings and runs (DESIGN.md): what a list shows first, and what it groups.

A *happening* has a time on its day (a concert at 20:00, a market all Saturday, a party
until 04:00); a *run* is on for more than a day (an exhibition, a festival:
`Occurrence.is_run`). A capital's week holds hundreds of runs: listed as dates, they fill
every page of the weekend with "Until 22 Dec" and hide Saturday night. So the agenda, the
widget, the month and the weekly letter list the happenings, and show the runs that are on
as one compact group: how many, of which kinds, the ones closing soonest, and a link to them
all (`kind=run`, a parameter of AgendaFilter on every door). A selection that names a
`kind` gets exactly that, and no group.
"""

from dataclasses import dataclass, field
from functools import partial

from django.core.cache import cache
from django.db.models import Count, QuerySet
from django.template.loader import get_template
from django.utils import timezone, translation

from diary.cache import REMEMBERED, remembered_as
from diary.filters import AgendaFilter, KindChoices, happenings_after, selection
from diary.models import Category, Occurrence
from diary.shown import PlainDate, ShownDate, plain_dates, shown_dates

RUNS_SHOWN = 5  # the runs a group names (those closing soonest); the rest are a link
# Dates read per run named: a weekend market every weekend of the window is one event.
RUNS_READ_PER_SHOWN = 8
CLOSING_SPARE = 3  # remembered beyond those named, for the ones that close during the day
GROUP_TEMPLATE = "diary/_runs.html"


@dataclass
class RunsOn:
    """The runs of a selection that are on in its window."""

    total: int  # events, each counted once
    kinds: list[tuple[Category, int]] = field(default_factory=list)  # most first
    closing: list[PlainDate] = field(default_factory=list)  # each event once
    query: str = ""  # the selection, runs only: the link to them all
    key: str = ""  # what it was remembered as (data version, selection, day)

    @property
    def named(self) -> list[ShownDate]:
        """The closing soonest, in the active language (a letter's is its reader's)."""
        return shown_dates(self.closing)


def listed(agenda: AgendaFilter) -> QuerySet:
    """The dates a list shows: the selection, without its runs unless it names a `kind`."""
    if agenda.kind_chosen:
        return agenda.qs
    return agenda.qs.filter(happenings_after(agenda.opens))


def runs_on(
    agenda: AgendaFilter, categories: list[Category], shown: int = RUNS_SHOWN
) -> RunsOn | None:
    """The group of runs beside a list of `agenda`'s happenings (None when the selection
    names a `kind`, or is invalid), naming the `shown` closing soonest. Counting a capital's
    runs reads most of a year of its long dates: remembered per data version, selection and
    day (two queries the first time, none after); a run that closed since is no longer named.
    `categories`: the filter's choices (named in the page's language), from the cache."""
    if not agenda.is_valid() or agenda.kind_chosen:
        return None
    query = selection(agenda.data, "kind")
    # (":2": plain values; the code before kept occurrences under the same question.)
    key = remembered_as("runs-on:2", query.urlencode(), shown, timezone.localdate(agenda.now))
    counts, closing = cache.get_or_set(key, partial(runs_now, agenda, shown), REMEMBERED)
    total = sum(counts.values())
    if not total:
        return RunsOn(total=0)
    named = {category.pk: category for category in categories}
    kinds = sorted(
        ((named[pk], count) for pk, count in counts.items() if pk in named),
        key=lambda kind: (-kind[1], str(kind[0])),
    )
    query["kind"] = KindChoices.RUN
    return RunsOn(
        total=total,
        kinds=kinds,
        closing=[run for run in closing if run.end > agenda.now][:shown],
        query=query.urlencode(),
        key=key,
    )


def rendered(group: RunsOn, opened: bool = False) -> str:
    """The group's HTML (GROUP_TEMPLATE; `opened`: its closing list unfolded, as beside the
    month), rendered once per language and version of what it shows: the data version,
    selection and day it was remembered as, and the runs it names (one closed since is not),
    as the rows of a list are (diary.rows)."""
    if not group.total:
        return ""
    named = ",".join(str(run.pk) for run in group.closing)
    key = f"runs-html:{translation.get_language()}:{opened:d}:{group.key}:{named}"
    html = cache.get(key)
    if html is None:
        html = get_template(GROUP_TEMPLATE).render({"runs": group, "runs_open": opened})
        cache.set(key, html, REMEMBERED)
    return html


def runs_now(agenda: AgendaFilter, shown: int) -> tuple[dict, list[PlainDate]]:
    """The runs on in `agenda`'s window: how many events of each category, and the first
    ones to close (each event once, a few more than `shown` for those closing today)."""
    runs = agenda.filter_queryset(Occurrence.objects.public().filter(is_run=True))
    counts = dict(
        runs.order_by().values_list("category_id").annotate(events=Count("event_id", distinct=True))
    )
    if not shown or not counts:
        return counts, []
    ahead = runs.filter(end__gt=agenda.now)  # a month's: not those already closed
    read = (shown + CLOSING_SPARE) * RUNS_READ_PER_SHOWN
    first: dict[str, PlainDate] = {}  # each event's first date to close, by its slug
    for run in plain_dates(ahead.order_by("end", "pk")[:read]):
        first.setdefault(run.slug, run)
    return counts, list(first.values())[: shown + CLOSING_SPARE]
