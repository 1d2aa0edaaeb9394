"""The month grid (`/month/`): each day's happenings of a selection, the runs beside it.

A happening is listed on the day it begins (a concert ending after midnight belongs to its
evening), at most MONTH_SHOWN a day and a link to the rest; the month's runs are listed once,
beside the grid (diary.runs). A capital's month holds tens of thousands of dates: the
database ranks them, and the grid's dates are remembered as plain values per data version,
selection and month, so that a month asked again builds no model and reads no row.
"""

import calendar as pycalendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.cache import cache
from django.db.models import Case, Count, F, Value, When, Window
from django.db.models.functions import RowNumber
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from common.translation import active_language
from diary import recurrence
from diary.cache import REMEMBERED, remembered_as
from diary.filters import AgendaFilter, local_midnight, selection
from diary.models import Occurrence
from diary.shown import EventUrl, PlainDate, ShownDate, plain_dates

MONTH_SHOWN = 3  # dates a month grid lists in a day; the rest are a link to that day
MONTH_RUNS_SHOWN = 12  # runs listed beside a month's grid; the rest are a link


def month_start(value: str | None) -> date:
    """The month asked for (2026-12), or this month for anything else, the years the agenda
    does not hold included."""
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        first = date(year, month, 1)
    except ValueError:
        first = None
    if first is None or not recurrence.in_agenda_years(first):
        return timezone.localdate().replace(day=1)
    return first


def month_end(first: date) -> date:
    return first.replace(day=pycalendar.monthrange(first.year, first.month)[1])


def day_number(field: str, midnights: list[datetime]) -> Case:
    """Which of the days between `midnights` a moment falls on, as a number from 0 (any
    moment before the first day counts as the first, any after the last as the last): a
    balanced CASE, so that a row is placed in five comparisons, not one per day, and without
    a time-zone function per row (SQLite calls Python for each)."""

    def between(low: int, high: int):
        if low == high:
            return Value(low)
        middle = (low + high + 1) // 2
        return Case(
            When(**{f"{field}__lt": midnights[middle]}, then=between(low, middle - 1)),
            default=between(middle, high),
        )

    return between(0, len(midnights) - 2)


def month_days(agenda: AgendaFilter, first: date, last: date) -> dict[date, tuple[list, int]]:
    """Each day of [first, last] with its first MONTH_SHOWN happenings of the selection
    (diary.shown's PlainDates, by time) and how many there are in all, however many the
    month holds; days without any are left out. Remembered; the first time, two queries:

    - the month's happenings, counted and ranked per day by the database (a window), read
      from the index's range of the month alone;
    - the values the grid shows of the dates it lists.
    """
    agenda.is_valid()  # filter_queryset reads the cleaned selection (an invalid part is left out)

    def ranked_now() -> dict[int, tuple[list[PlainDate], int]]:
        days = (last - first).days + 2
        midnights = [local_midnight(first + timedelta(days=n)) for n in range(days)]
        # The month's bounds come first: SQLite ranges over the first bound it is given on
        # an index (the selection's own is a year earlier, for the runs).
        within = Occurrence.objects.public().filter(
            start__gte=midnights[0], start__lt=midnights[-1], is_run=False
        )
        ranked = (
            agenda.filter_queryset(within.order_by())
            .annotate(day=day_number("start", midnights))
            .annotate(
                place=Window(RowNumber(), partition_by=F("day"), order_by=(F("start"), F("pk"))),
                total=Window(Count("pk"), partition_by=F("day")),
            )
            .filter(place__lte=MONTH_SHOWN)
            .values_list("pk", "day", "total")
        )
        day_of = {pk: (n, total) for pk, n, total in ranked}
        listed = Occurrence.objects.filter(pk__in=day_of).order_by("start", "pk")
        days_listed: dict[int, tuple[list[PlainDate], int]] = {}
        for listed_date in plain_dates(listed):
            n, total = day_of[listed_date.pk]
            days_listed.setdefault(n, ([], total))[0].append(listed_date)
        return days_listed

    # (":2": plain values; the code before kept ids under the same question.)
    key = remembered_as("month-days:2", selection(agenda.data).urlencode(), first)
    days_listed = cache.get_or_set(key, ranked_now, REMEMBERED)
    return {first + timedelta(days=n): day for n, day in days_listed.items()}


@dataclass(slots=True)
class Cell:
    day: date
    weekday: str  # its name
    in_month: bool
    dates: list[ShownDate]
    more: int  # dates of the day not listed
    more_url: str  # the agenda of that day, same selection


def weeks(first: date, by_day: dict, query: str) -> list[list[Cell]]:
    """The grid of `first`'s month, Monday first, in the active language: every word and
    address worked out here, once (a busy month lists a hundred dates)."""
    agenda_url = reverse("diary:agenda") + "?" + (f"{query}&" if query else "")
    event_url, language = EventUrl(), active_language()
    calendar_weeks = pycalendar.Calendar().monthdatescalendar(first.year, first.month)
    weekdays = [date_format(day, "l") for day in calendar_weeks[0]]
    grid = []
    for week in calendar_weeks:
        cells = []
        for day, weekday in zip(week, weekdays, strict=True):
            listed, count = by_day.get(day, ([], 0))
            dates = [ShownDate(listed_date, event_url, language) for listed_date in listed]
            cells.append(
                Cell(
                    day=day,
                    weekday=weekday,
                    in_month=day.month == first.month,
                    dates=dates,
                    more=count - len(dates),
                    more_url=f"{agenda_url}start={day}&end={day}",
                )
            )
        grid.append(cells)
    return grid
