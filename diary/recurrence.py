"""Expanding an event's dates (RRULE, RDATE, EXDATE) into dated instances.

Pure functions, no database: `diary.services.occurrences_materialise` writes what `expand`
returns. Rules are expanded in the event's *local wall-clock time* (naive datetimes in its time
zone) and only then made aware, so that a weekly 19:00 concert is at 19:00 in March and in
November. A wall-clock time that does not exist (inside the spring-forward gap) is read with
the offset from before the gap, and an ambiguous one as its first occurrence: both as RFC 5545
section 3.3.5 says, and both exactly what `zoneinfo` does with `fold=0`.
"""

import re
import types
from collections import deque
from collections.abc import Iterable, Iterator, Sized
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil import rrule as du
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

# Guided tours every half hour are a MINUTELY rule (RFC 5545 3.3.10); the per-event cap, the
# date guard (MAX_SCANNED) and the work budget (MAX_WORK) keep it cheap. SECONDLY describes
# no agenda anyone reads.
ALLOWED_FREQUENCIES = ("YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY", "MINUTELY")
RULE_PARTS = {
    "FREQ",
    "INTERVAL",
    "COUNT",
    "UNTIL",
    "BYMONTH",
    "BYWEEKNO",
    "BYYEARDAY",
    "BYMONTHDAY",
    "BYDAY",
    "BYHOUR",
    "BYMINUTE",
    "BYSETPOS",
    "WKST",
}
# RFC 5545 3.3.10 value ranges, and whether a negative value (from the end) is allowed.
NUMBER_RANGES = {
    "BYMONTH": (1, 12, False),
    "BYHOUR": (0, 23, False),
    "BYMINUTE": (0, 59, False),
    "BYMONTHDAY": (1, 31, True),
    "BYYEARDAY": (1, 366, True),
    "BYWEEKNO": (1, 53, True),
    "BYSETPOS": (1, 366, True),
}
UNTIL_FORMAT = re.compile(r"^([0-9]{8})(?:T([0-9]{6})(Z?))?$")
# RFC 5545 3.3.10 weekdaynum: a day, with an optional ordinal from 1 to 53 (from the end when
# negative); in a monthly rule the ordinal counts within the month, so at most 5. dateutil
# indexes its day tables with the ordinal unchecked (BYDAY=99MO raised IndexError).
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
BYDAY_FORMAT = re.compile(r"^([+-]?[0-9]{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")
ORDINAL_LIMITS = {"MONTHLY": 5}
ORDINAL_LIMIT = 53
# COUNT and INTERVAL: far beyond any agenda, and short enough to read as a number.
COUNT_DIGITS = 9
# How many candidate dates a rule may yield before the horizon; a guard against rules such as
# FREQ=HOURLY;BYMINUTE=0,1,...,59 that no cap on stored rows would make cheap to expand.
MAX_SCANNED = 300_000
# How many days (and hours, for HOURLY rules) the search for those dates may examine. A rule
# that yields nothing, such as FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30, would otherwise make
# dateutil search up to the year 9999 without ever reaching the horizon: minutes of work for
# one request. 100,000 steps take about a quarter of a second here; a daily rule from 1900 to
# the horizon needs about 75,000, an hourly one over the horizon's 18 months about 13,000.
MAX_WORK = 100_000
# What one import file may spend on all its rules (feeds.importers): each rule is bounded by
# MAX_WORK, a file of thousands of rules is bounded by this. A city's calendar of 10,000
# weekly events needs about 5,500,000; a rule that yields nothing spends MAX_WORK twice (its
# check and its save), so a file stops expanding after a few of those.
FILE_WORK = 200 * MAX_WORK
FILE_REFUSALS = 5


@dataclass
class WorkBudget:
    """The expansion work left to one import file, and how many of its rules were refused
    for taking too much of it."""

    left: int = FILE_WORK
    refusals: int = 0


_budget: ContextVar[WorkBudget | None] = ContextVar("recurrence_budget", default=None)


@contextmanager
def file_budget(budget: WorkBudget | None = None) -> Iterator[WorkBudget]:
    """Every expansion inside draws from one budget: past it, or past FILE_REFUSALS rules
    refused for their work, the remaining rules are refused at once."""
    budget = budget or WorkBudget()
    token = _budget.set(budget)
    try:
        yield budget
    finally:
        _budget.reset(token)


# An agenda lives between these years; outside them lie typing errors, time zones whose
# historical offsets no client can read, and datetimes that overflow when a zone or a day is
# added (year 1 or 9999).
FIRST_YEAR, LAST_YEAR = 1900, 2100
# Extra or skipped dates one event may list: a season of dates fits many times over; tens of
# thousands would swell every feed that carries the event.
MAX_LISTED_DATES = 500

# The longest one date may last (an exhibition's run). The agenda's queries take it as a
# lower bound on `start` (what is still on began at most this long ago), so asking what is on
# costs the same whatever the archive holds. A longer run is a repeating event.
LONGEST = timedelta(days=366)
TOO_LONG = gettext_noop("A date lasts at most a year: make a longer run a repeating event.")


class RecurrenceError(ValueError):
    """A rule or date list that cannot be expanded; its message is shown to the editor."""


def in_agenda_years(value: date | datetime) -> bool:
    return FIRST_YEAR <= value.year < LAST_YEAR


@dataclass(frozen=True, slots=True)
class Instance:
    start: datetime
    end: datetime


def normalise_rule(text: str) -> str:
    """Canonical form of an RRULE value: upper case, no `RRULE:` prefix, no blanks."""
    text = re.sub(r"\s+", "", text or "").upper()
    if text.startswith("RRULE:"):
        text = text[len("RRULE:") :]
    return text.strip(";")


def _rule_parts(text: str) -> dict[str, str]:
    parts: dict[str, str] = {}
    for item in text.split(";"):
        name, sep, value = item.partition("=")
        if not sep or not value:
            raise RecurrenceError(
                _("“%(part)s” is not of the form NAME=VALUE (for example FREQ=WEEKLY).")
                % {"part": item}
            )
        if name not in RULE_PARTS:
            raise RecurrenceError(
                _("Unknown or unsupported rule part “%(name)s”.") % {"name": name}
            )
        if name in parts:
            raise RecurrenceError(_("The rule part %(name)s appears twice.") % {"name": name})
        parts[name] = value
    if "FREQ" not in parts:
        raise RecurrenceError(_("A recurrence rule needs a FREQ, for example FREQ=WEEKLY."))
    if parts["FREQ"] not in ALLOWED_FREQUENCIES:
        raise RecurrenceError(
            _("FREQ must be one of %(allowed)s.") % {"allowed": ", ".join(ALLOWED_FREQUENCIES)}
        )
    if "COUNT" in parts and "UNTIL" in parts:
        raise RecurrenceError(_("A rule may have COUNT or UNTIL, not both."))
    for name, (low, high, signed) in NUMBER_RANGES.items():
        if name not in parts:
            continue
        for value in parts[name].split(","):
            number = int(value) if re.fullmatch(r"[+-]?[0-9]{1,3}", value) else None
            if number is None or not (
                low <= number <= high or (signed and -high <= number <= -low)
            ):
                raise RecurrenceError(
                    _("%(name)s values must be whole numbers from %(low)s to %(high)s.")
                    % {"name": name, "low": -high if signed else low, "high": high}
                )
    if "BYDAY" in parts:
        _check_byday(parts["BYDAY"], frequency=parts["FREQ"])
    if "WKST" in parts and parts["WKST"] not in WEEKDAYS:
        raise RecurrenceError(
            _("WKST must be a day of the week: %(days)s.") % {"days": ", ".join(WEEKDAYS)}
        )
    return parts


def _check_byday(value: str, *, frequency: str) -> None:
    limit = ORDINAL_LIMITS.get(frequency, ORDINAL_LIMIT)
    for day in value.split(","):
        match = BYDAY_FORMAT.match(day)
        ordinal = match and match.group(1)
        if not match or (ordinal and not 1 <= abs(int(ordinal)) <= limit):
            raise RecurrenceError(
                _(
                    "BYDAY values are days such as MO, or a number and a day: 1MO is the "
                    "first Monday, -1FR the last Friday; in a %(frequency)s rule the number "
                    "goes from -%(limit)s to %(limit)s, 0 excepted."
                )
                % {"frequency": frequency, "limit": limit}
            )


def _local_until(value: str, tz: ZoneInfo, *, all_day: bool) -> str:
    """UNTIL as a naive local datetime, as dateutil needs beside a naive DTSTART.

    UTC values (…Z) are converted to the event's zone; a date-only UNTIL includes that whole
    day, which is what people mean by "until 31 December".
    """
    match = UNTIL_FORMAT.match(value)
    if not match:
        raise RecurrenceError(
            _("UNTIL must be a date such as 20261231 or a time such as 20261231T230000Z.")
        )
    day, clock, utc = match.groups()
    if not FIRST_YEAR <= int(day[:4]) < LAST_YEAR:
        # Converting 9999-12-31T23:59:59Z to a zone east of UTC overflowed.
        raise RecurrenceError(
            _(
                "UNTIL must fall between %(first)s and %(last)s; leave UNTIL out for a rule "
                "without an end."
            )
            % {"first": FIRST_YEAR, "last": LAST_YEAR - 1}
        )
    try:
        until_date = datetime.strptime(day, "%Y%m%d")
        if clock is None:
            until = until_date if all_day else until_date + timedelta(days=1, seconds=-1)
        else:
            until = datetime.strptime(day + clock, "%Y%m%d%H%M%S")
            if utc:
                until = until.replace(tzinfo=UTC).astimezone(tz).replace(tzinfo=None)
    except ValueError as error:
        raise RecurrenceError(
            _("UNTIL is not a valid date: %(error)s") % {"error": error}
        ) from None
    return until.strftime("%Y%m%dT%H%M%S")


def parse_rule(
    text: str, *, dtstart: datetime, tz: ZoneInfo, all_day: bool = False
) -> du.rrule | None:
    """A dateutil rule over naive local datetimes, or RecurrenceError with a readable message.

    None when the rule adds nothing to DTSTART (COUNT=1).
    """
    text = normalise_rule(text)
    parts = _rule_parts(text)
    if "UNTIL" in parts:
        parts["UNTIL"] = _local_until(parts["UNTIL"], tz, all_day=all_day)
    for name in ("COUNT", "INTERVAL"):
        if name not in parts:
            continue
        if not (re.fullmatch(r"[0-9]+", parts[name]) and parts[name].strip("0")):
            raise RecurrenceError(_("%(name)s must be a positive whole number.") % {"name": name})
        if len(parts[name].lstrip("0")) > COUNT_DIGITS:
            raise RecurrenceError(
                _("%(name)s must be below %(limit)s.") % {"name": name, "limit": 10**COUNT_DIGITS}
            )
    try:
        parsed = du.rrulestr(_rule_text(parts), dtstart=dtstart)
        if "COUNT" in parts and next(_metered_iter(parsed), None) != dtstart:
            # RFC 5545 3.3.10: DTSTART always counts as the first of COUNT occurrences, even
            # when the rule itself would not yield it; dateutil counts only what it yields.
            parts["COUNT"] = str(int(parts["COUNT"]) - 1)
            parsed = (
                du.rrulestr(_rule_text(parts), dtstart=dtstart) if parts["COUNT"] != "0" else None
            )
    except RecurrenceError:
        raise  # over the work budget: its own message
    except LIBRARY_ERRORS as error:
        raise _not_valid(error) from None
    return parsed


# What dateutil raises on a rule it cannot follow, while parsing it or at any step of its
# search; every one becomes a RecurrenceError, so no rule makes a door answer 500.
LIBRARY_ERRORS = (ValueError, TypeError, IndexError, KeyError, OverflowError)


def _not_valid(error: Exception) -> RecurrenceError:
    return RecurrenceError(_("This recurrence rule is not valid: %(error)s") % {"error": error})


def rule_for_ical(text: str, *, tz: ZoneInfo, all_day: bool) -> str:
    """The rule as RFC 5545 wants it beside a DTSTART with a TZID: UNTIL in UTC, or a date
    for all-day events, meaning exactly what `expand` made of it."""
    parts = _rule_parts(normalise_rule(text))
    if "UNTIL" in parts:
        local = datetime.strptime(
            _local_until(parts["UNTIL"], tz, all_day=all_day), "%Y%m%dT%H%M%S"
        )
        parts["UNTIL"] = (
            f"{local:%Y%m%d}" if all_day else to_aware(local, tz).strftime("%Y%m%dT%H%M%SZ")
        )
    return _rule_text(parts)


def _rule_text(parts: dict[str, str]) -> str:
    return ";".join(f"{name}={value}" for name, value in parts.items())


def date_count_check(values: Sized) -> None:
    """At most MAX_LISTED_DATES extra or skipped dates; the API counts them with this before
    it reads any."""
    if len(values) > MAX_LISTED_DATES:
        raise RecurrenceError(
            _("Give at most %(count)s dates; a rule (RRULE) describes longer series.")
            % {"count": MAX_LISTED_DATES}
        )


def parse_date_list(values: Iterable[str], *, tz: ZoneInfo) -> list[date | datetime]:
    """Dates (`2026-12-24`) and local datetimes (`2026-12-24T19:00`) of an RDATE/EXDATE list.

    A value with a UTC offset is converted to the event's zone; the result is naive local.
    """
    values = list(values)
    date_count_check(values)
    parsed: list[date | datetime] = []
    for raw in values:
        value = str(raw).strip()
        if not value:
            continue
        try:
            moment = (
                date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
            )
        except ValueError:
            raise RecurrenceError(
                _("“%(value)s” is not a date (2026-12-24) or a date and time (2026-12-24T19:00).")
                % {"value": value}
            ) from None
        if not in_agenda_years(moment) or (
            isinstance(moment, datetime)
            and moment.tzinfo is not None
            and not in_agenda_years(moment.astimezone(UTC))
        ):
            raise RecurrenceError(
                _("“%(value)s” is not between %(first)s and %(last)s.")
                % {"value": value, "first": FIRST_YEAR, "last": LAST_YEAR - 1}
            )
        if isinstance(moment, datetime) and moment.tzinfo is not None:
            moment = moment.astimezone(tz).replace(tzinfo=None)
        parsed.append(moment)
    return parsed


def to_local(moment: datetime, tz: ZoneInfo) -> datetime:
    """An aware datetime as naive wall-clock time in `tz`."""
    return moment.astimezone(tz).replace(tzinfo=None)


def to_aware(local: datetime, tz: ZoneInfo) -> datetime:
    """Naive wall-clock time in `tz` as an aware UTC datetime (fold=0: RFC 5545 3.3.5)."""
    return local.replace(tzinfo=tz).astimezone(UTC)


class _MeteredIterInfo(du._iterinfo):
    """dateutil's per-period helper, counting the days each period of the search examines.

    Every turn of `rrule._iter`'s loop asks it for the period's days (one call per year,
    month, week, day, or hour of the rule's frequency), whether or not any of them yields a
    date: the one place where the work of a fruitless search shows. A period costs more with
    BYSETPOS (each position scans the period's days) and, for HOURLY and MINUTELY rules,
    with the times built for every period (BYMINUTE, BYSECOND).
    """

    def __init__(self, rule):
        super().__init__(rule)
        self.work = 0
        self.budget = _budget.get()
        if self.budget is not None and (
            self.budget.left <= 0 or self.budget.refusals >= FILE_REFUSALS
        ):
            raise RecurrenceError(
                _(
                    "Not expanded: this file's rules took all the work one import may spend. "
                    "Import its recurring events in smaller files."
                )
            )
        self.weight = max(1, len(rule._bysetpos or ()))
        if rule._freq == du.HOURLY:
            self.weight *= len(rule._byminute or ()) * len(rule._bysecond or ()) or 1
        elif rule._freq == du.MINUTELY:
            self.weight *= len(rule._bysecond or ()) or 1

    def _metered(self, period):
        _days, start, end = period
        cost = max(1, end - start) * self.weight
        self.work += cost
        if self.budget is not None:
            self.budget.left -= cost
        if self.work > MAX_WORK:
            if self.budget is not None:
                self.budget.refusals += 1
            raise RecurrenceError(
                _(
                    "This rule takes too much work to expand: it yields no date, or very few, "
                    "for a very long time. Check its BY… values (30 February never comes), or "
                    "give the dates as extra dates."
                )
            )
        return period

    def ydayset(self, *args):
        return self._metered(super().ydayset(*args))

    def mdayset(self, *args):
        return self._metered(super().mdayset(*args))

    def wdayset(self, *args):
        return self._metered(super().wdayset(*args))

    def ddayset(self, *args):
        return self._metered(super().ddayset(*args))


# dateutil's own expansion loop, run with the metered helper in place of its `_iterinfo`
# (the loop looks the name up in its module's globals; this copy sees ours). dateutil offers
# no hook for this, and nothing else in the process is affected.
_metered_iter = types.FunctionType(
    du.rrule._iter.__code__,
    {**vars(du), "_iterinfo": _MeteredIterInfo},
    "_metered_iter",
)


def _rule_dates(rule: du.rrule, horizon: datetime, upcoming_from: datetime, cap: int) -> Iterator:
    upcoming = 0
    try:
        for scanned, local in enumerate(_metered_iter(rule), start=1):
            if local > horizon:
                return
            if scanned > MAX_SCANNED:
                raise RecurrenceError(
                    _(
                        "This rule yields too many dates to list. Use a larger INTERVAL, fewer "
                        "BY… values, or a COUNT or UNTIL."
                    )
                )
            if local >= upcoming_from:
                upcoming += 1
                if upcoming > cap:
                    return
            yield local
    except RecurrenceError:
        raise
    except LIBRARY_ERRORS as error:
        raise _not_valid(error) from None


def local_start_of(start: datetime, tz: ZoneInfo, *, all_day: bool) -> datetime:
    """The naive local start the rule counts from: whole seconds, as iCalendar (and
    dateutil) count; midnight for all-day events."""
    local_start = to_local(start, tz).replace(microsecond=0)
    return datetime.combine(local_start.date(), time.min) if all_day else local_start


def midnight_of(moment: datetime, tz: ZoneInfo, *, days: int = 0) -> datetime:
    """The midnight that begins `moment`'s day in `tz`, or `days` after it, as an aware UTC
    datetime: where an all-day date starts and ends, whichever door typed it."""
    return to_aware(local_start_of(moment, tz, all_day=True) + timedelta(days=days), tz)


def duration_of(*, start: datetime, end: datetime | None, tz: ZoneInfo, all_day: bool) -> timedelta:
    """An instance's length in wall-clock time (so it keeps its local end across DST): no
    end means no length, or one day for an all-day event, which lasts whole days."""
    if end is None:
        return timedelta(days=1) if all_day else timedelta(0)
    duration = to_local(end, tz).replace(microsecond=0) - local_start_of(start, tz, all_day=all_day)
    return timedelta(days=max(duration.days, 1)) if all_day else duration


def expand(
    *,
    start: datetime,
    end: datetime | None,
    tz: ZoneInfo,
    all_day: bool = False,
    rule: str = "",
    rdates: Iterable[str] = (),
    exdates: Iterable[str] = (),
    overrides: dict[str, dict] | None = None,
    horizon: datetime,
    now: datetime,
    cap: int,
) -> list[Instance]:
    """Every instance of an event, sorted, as aware UTC datetimes.

    `start` is always an instance (RFC 5545: DTSTART counts as the first) and so is every
    RDATE; the rule adds its dates up to `horizon`. An EXDATE removes the instance starting at
    that local time, or every instance on that local date when it is a bare date. At most `cap`
    instances are returned: all the upcoming ones first (those not ended by `now`), then the
    most recent past ones.

    `overrides` move single instances (RFC 5545 RECURRENCE-ID): each key is the instance's
    original local start (`2026-12-08T19:00:00`, or a date for all-day events), each value
    its new `start` and `end` (ISO; an end of None keeps the event's duration).
    """
    local_start = local_start_of(start, tz, all_day=all_day)
    duration = duration_of(start=start, end=end, tz=tz, all_day=all_day)
    if duration > LONGEST:
        raise RecurrenceError(_(TOO_LONG))
    local_horizon = to_local(horizon, tz)
    upcoming_from = to_local(now, tz) - duration

    def anchored(value: date | datetime) -> datetime:
        # A bare date in an RDATE list starts at the event's own time of day.
        if isinstance(value, datetime):
            return value
        return datetime.combine(value, local_start.time())

    explicit = {local_start, *(anchored(value) for value in parse_date_list(rdates, tz=tz))}
    excluded_days: set[date] = set()
    excluded_times: set[datetime] = set()
    for value in parse_date_list(exdates, tz=tz):
        if isinstance(value, datetime):
            excluded_times.add(value)
        else:
            excluded_days.add(value)

    candidates: set[datetime] = set(explicit)
    if normalise_rule(rule):
        parsed = parse_rule(rule, dtstart=local_start, tz=tz, all_day=all_day)
        if parsed is not None:
            candidates.update(_rule_dates(parsed, local_horizon, upcoming_from, cap))

    past: deque[datetime] = deque(maxlen=cap)
    upcoming: list[datetime] = []
    for local in sorted(candidates):
        if local in excluded_times or local.date() in excluded_days:
            continue
        if local >= upcoming_from:
            upcoming.append(local)
        else:
            past.append(local)
    kept = upcoming[:cap]
    room = cap - len(kept)
    if room:
        kept = list(past)[max(0, len(past) - room) :] + kept
    instances = {}
    for local in kept:
        instance = Instance(to_aware(local, tz), to_aware(local + duration, tz))
        key = local.date().isoformat() if all_day else local.isoformat(timespec="seconds")
        if overrides and key in overrides:
            instance = moved_instance(overrides[key], tz=tz, duration=duration)
        instances.setdefault(instance.start, instance)  # a move onto another date: once
    return sorted(instances.values(), key=lambda instance: instance.start)


def moved_instance(override: dict, *, tz: ZoneInfo, duration: timedelta) -> Instance:
    """The instance an override describes; local dates and times are read in the zone."""
    [start, *end] = parse_date_list([override["start"], override.get("end") or ""], tz=tz)
    start = start if isinstance(start, datetime) else datetime.combine(start, time.min)
    if end:
        finish = end[0] if isinstance(end[0], datetime) else datetime.combine(end[0], time.min)
    else:
        finish = start + duration
    if finish - start > LONGEST:
        raise RecurrenceError(_(TOO_LONG))
    return Instance(to_aware(start, tz), to_aware(max(finish, start), tz))
