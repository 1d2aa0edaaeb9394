"""Events as iCalendar (RFC 5545): what calendar apps import and subscribe to.

A model renders its data; this module only arranges it into VEVENTs. The UID is the event's
own and never changes; SEQUENCE rises with every change a calendar must notice; DTSTAMP is
the last modification, so the same event always yields the same bytes.
"""

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from html import unescape

import icalendar
from django.utils.html import strip_tags

from diary import recurrence
from diary.models import Event

PRODID = "-//City agenda//Event diary//EN"
STATUS = {
    Event.Status.SCHEDULED: "CONFIRMED",
    Event.Status.CANCELLED: "CANCELLED",
    Event.Status.POSTPONED: "TENTATIVE",
    Event.Status.MOVED_ONLINE: "CONFIRMED",
}


def plain_text(html: str) -> str:
    return unescape(strip_tags(html.replace("</p>", "</p>\n\n").replace("<br>", "\n"))).strip()


def event_vevent(event: Event, *, url: str) -> icalendar.Event:
    tz = event.tzinfo
    vevent = icalendar.Event()
    vevent.add("uid", event.uid)
    vevent.add("sequence", event.sequence)
    vevent.add("dtstamp", event.updated.astimezone(UTC))
    vevent.add("created", event.created.astimezone(UTC))
    vevent.add("last-modified", event.updated.astimezone(UTC))
    vevent.add("summary", event.title)
    local_start = event.start.astimezone(tz)
    if event.all_day:
        start_day = local_start.date()
        end_day = event.end.astimezone(tz).date() if event.end else start_day + timedelta(days=1)
        vevent.add("dtstart", start_day)
        vevent.add("dtend", max(end_day, start_day + timedelta(days=1)))
    else:
        vevent.add("dtstart", local_start.replace(microsecond=0))
        if event.end:
            vevent.add("dtend", event.end.astimezone(tz).replace(microsecond=0))
    if event.rrule:
        rule = recurrence.rule_for_ical(event.rrule, tz=tz, all_day=event.all_day)
        vevent.add("rrule", icalendar.vRecur.from_ical(rule))
    for name, values in (("rdate", event.rdates), ("exdate", event.exdates)):
        moments = _date_list(values, event)
        if moments:
            vevent.add(name, moments)
    description = "\n\n".join(
        part for part in (event.summary, plain_text(event.description), url) if part
    )
    vevent.add("description", description)
    vevent.add("url", url)
    vevent.add("status", STATUS[event.status])
    if event.category:
        vevent.add("categories", [event.category.name])
    if event.venue:
        venue = event.venue
        vevent.add("location", ", ".join(p for p in (venue.name, venue.address) if p))
        if venue.latitude is not None and venue.longitude is not None:
            vevent.add("geo", (float(venue.latitude), float(venue.longitude)))
    elif event.online_url:
        vevent.add("location", event.online_url)
    return vevent


def _date_list(values: list[str], event: Event) -> list:
    """RDATE/EXDATE values in the event's zone; a bare date means the event's time that day."""
    tz = event.tzinfo
    local_time = event.start.astimezone(tz).time().replace(microsecond=0)
    moments = []
    for value in recurrence.parse_date_list(values, tz=tz):
        if event.all_day:
            moments.append(value if not isinstance(value, datetime) else value.date())
        elif isinstance(value, datetime):
            moments.append(value.replace(tzinfo=tz))
        else:
            moments.append(datetime.combine(value, local_time, tz))
    return moments


def calendar(
    events: Iterable[Event], *, name: str, url_for: Callable[[Event], str]
) -> icalendar.Calendar:
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    for event in events:
        cal.add_component(event_vevent(event, url=url_for(event)))
    cal.add_missing_timezones()
    return cal
