"""VTIMEZONE definitions every calendar client reads alike (RFC 5545 3.6.5).

The offsets and their changes are tzdata's (Python's `zoneinfo`, the `tzdata` package): no
table of our own. What this module adds is their conventional form, the one Outlook,
libical's vzic and tzurl.org write: each kind of change (to summer time, back to standard
time) is one observance with a yearly rule while the zone follows one (`RRULE:FREQ=YEARLY;
BYMONTH=3;BYDAY=-1SU`), with UNTIL when the rule ended, and RDATEs only for the changes no
yearly rule describes (history). icalendar's own `Timezone.from_tzid` writes every change as
an RDATE; Mozilla's ical.js (Thunderbird, Nextcloud, FullCalendar) reads Brussels in July
from that an hour wrong (tests/feeds/test_readers.py).

A definition covers every date from 1 January of its first year to its last date, and
beyond: the rule in force at the end has no UNTIL, so a client reading the feed years
later still has the zone's current rule.
"""

import calendar
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from itertools import groupby

import icalendar

# tzdata changes no zone's offset twice within this, since 1900: each step finds one change.
STEP = timedelta(hours=12)
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True)
class State:
    offset: timedelta
    name: str
    summer: bool


@dataclass(frozen=True)
class Change:
    at: datetime  # UTC
    before: State
    after: State

    @property
    def onset(self) -> datetime:
        """The local time the change happens at, on the clock before it (RFC 5545 3.6.5)."""
        return (self.at + self.before.offset).replace(tzinfo=None)

    @property
    def kind(self) -> tuple:
        return (self.after.summer, self.before.offset, self.after.offset, self.after.name)


def state(zone: zoneinfo.ZoneInfo, moment: datetime) -> State:
    local = moment.astimezone(zone)
    return State(local.utcoffset(), local.tzname() or "", bool(local.dst()))


def changes(zone: zoneinfo.ZoneInfo, start: datetime, end: datetime) -> list[Change]:
    """Every change of offset or name in [start, end), to the second."""
    found = []
    moment, current = start, state(zone, start)
    while moment < end:
        later = min(moment + STEP, end)
        if (after := state(zone, later)) != current:
            low, high = moment, later  # the change is in (low, high]
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if state(zone, middle) == current:
                    low = middle
                else:
                    high = middle
            high = high.replace(microsecond=0)
            found.append(Change(high, current, state(zone, high)))
        moment, current = later, after
    return found


def weekday_rule(onset: datetime) -> set[int]:
    """The BYDAY positions that name this day in its month: its week (1 to 5) and, in the
    month's last seven days, -1 (the last)."""
    positions = {(onset.day - 1) // 7 + 1}
    if onset.day + 7 > calendar.monthrange(onset.year, onset.month)[1]:
        positions.add(-1)
    return positions


def yearly_runs(onsets: list[datetime]) -> list[tuple[list[datetime], int | None]]:
    """The onsets of one kind of change, in runs of consecutive years that one yearly rule
    gives (the same month, weekday, position and time), with that rule's position; a change
    no rule shares with the next year's is a run of one, with no position."""
    runs: list[tuple[list[datetime], set[int]]] = []
    for onset in onsets:
        if runs:
            run, positions = runs[-1]
            last = run[-1]
            shared = positions & weekday_rule(onset)
            if (
                shared
                and onset.year == last.year + 1
                and (onset.month, onset.weekday(), onset.time())
                == (last.month, last.weekday(), last.time())
            ):
                runs[-1] = ([*run, onset], shared)
                continue
        runs.append(([onset], weekday_rule(onset)))
    return [
        (run, (-1 if -1 in positions else min(positions)) if len(run) > 1 else None)
        for run, positions in runs
    ]


def observance(
    change: Change, *, rule: str = "", dates: list[datetime] = ()
) -> icalendar.Component:
    kind = icalendar.TimezoneDaylight if change.after.summer else icalendar.TimezoneStandard
    component = kind()
    component.add("tzname", change.after.name)
    component.add("tzoffsetfrom", change.before.offset)
    component.add("tzoffsetto", change.after.offset)
    component.add("dtstart", change.onset)
    if rule:
        component.add("rrule", icalendar.vRecur.from_ical(rule))
    for moment in dates:  # one line each: ical.js reads the first value of a line alone
        component.add("rdate", moment)
    return component


@lru_cache(maxsize=256)
def vtimezone_ical(tzid: str, first_year: int, last_date: date) -> bytes:
    zone = zoneinfo.ZoneInfo(tzid)
    start = datetime(first_year, 1, 1, tzinfo=zone).astimezone(UTC)
    end = datetime.combine(last_date, datetime.min.time(), UTC)
    found = changes(zone, start, end)
    vtimezone = icalendar.Timezone()
    vtimezone.add("tzid", tzid)
    # What is in force on 1 January of the first year, from then: the clock before any change.
    first = state(zone, start)
    vtimezone.add_component(observance(Change(start, first, first)))
    kinds = sorted(found, key=lambda change: change.kind)
    for _kind, group in groupby(kinds, key=lambda change: change.kind):
        group = list(group)
        onsets = [change.onset for change in group]
        by_onset = dict(zip(onsets, group, strict=True))
        singles = []
        for run, position in yearly_runs(onsets):
            if position is None:
                singles.extend(run)
                continue
            onset = run[0]
            rule = f"FREQ=YEARLY;BYMONTH={onset.month};BYDAY={position}{WEEKDAYS[onset.weekday()]}"
            if run[-1] + timedelta(days=366) < end.replace(tzinfo=None):  # the rule ended
                rule += f";UNTIL={by_onset[run[-1]].at:%Y%m%dT%H%M%SZ}"
            vtimezone.add_component(observance(by_onset[onset], rule=rule))
        if singles:
            vtimezone.add_component(
                # Its first date as an RDATE too: ical.js reads an observance's RDATEs
                # without its DTSTART.
                observance(by_onset[singles[0]], dates=singles)
            )
    return vtimezone.to_ical()


def vtimezone(tzid: str, *, first_date: date, last_date: date) -> bytes:
    """The VTIMEZONE of `tzid` for a calendar whose dates begin on `first_date`, with its
    yearly rules written to `last_date` (remembered per zone and first year: a feed asks for
    the same ones all day)."""
    return vtimezone_ical(tzid, first_date.year, last_date)
