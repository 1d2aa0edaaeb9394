"""Events as iCalendar (RFC 5545): what calendar apps import and subscribe to.

A calendar app subscribes once and polls for years, so everything here is deterministic: the
UID is the event's own and never changes, SEQUENCE rises with every change a calendar must
notice, DTSTAMP is the last modification (not the time of the request), so the same data
always yields the same bytes and the same ETag.

Feeds can hold 100,000 events: they are streamed, and each event's VEVENT is rendered once
and stored with the event (`Event.ical`). The change journal (diary.journal) clears it
whenever the event, its venue, its area or its category changes, and renders it again in
every language once the change commits (`texts_render`), so no subscriber waits for it;
a change too large for that (a category of thousands) leaves the rest to the feeds that
read them. A text is stored only while its event carries the journal stamp it was
rendered from (`ical_store`).
"""

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from html import unescape
from itertools import islice

import icalendar
from django.conf import settings
from django.db.models import Case, F, QuerySet, TextField, Value, When
from django.utils import timezone, translation
from django.utils.html import strip_tags
from django.utils.translation import gettext

from common.translation import CODES, active_language, to_attribute, translated
from diary import posters, recurrence, sharing, structured_data
from diary.models import Event
from diary.text import CONTROL_BUT_LINES, one_line
from feeds import timezones

logger = logging.getLogger(__name__)

PRODID = "-//City agenda//Event diary//EN"
STATUS = {
    Event.Status.SCHEDULED: "CONFIRMED",
    Event.Status.CANCELLED: "CANCELLED",
    Event.Status.POSTPONED: "TENTATIVE",
    Event.Status.MOVED_ONLINE: "CONFIRMED",
}
# What STATUS cannot say (it knows TENTATIVE, CONFIRMED, CANCELLED) is said again as
# schema.org's eventStatus (diary.structured_data), which our importer reads back, so a
# postponed event stays postponed from feed to feed.
SAID_BY_EVENT_STATUS = {Event.Status.POSTPONED, Event.Status.MOVED_ONLINE}
# How often subscribed calendar apps should poll (RFC 7986 REFRESH-INTERVAL).
REFRESH_INTERVAL = timedelta(hours=3)
BATCH = 1000
CALENDAR_END = b"END:VCALENDAR\r\n"
# Bytes kept aside when a calendar must fit a size: a description line folded differently.
SLACK = 256


def ical_text(text: str) -> str:
    """Text as icalendar escapes it safely: line breaks as LF (the library escapes LF and
    CRLF, not a bare CR, which would end the content line), no other control characters."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    return CONTROL_BUT_LINES.sub("", text).replace("\t", " ")


def plain_text(html: str) -> str:
    return ical_text(
        unescape(strip_tags(html.replace("</p>", "</p>\n\n").replace("<br>", "\n"))).strip()
    )


def event_vevent(event: Event, *, url: str) -> icalendar.Event:
    tz = event.tzinfo
    vevent = icalendar.Event()
    vevent.add("uid", event.uid)
    vevent.add("sequence", event.sequence)
    vevent.add("dtstamp", event.modified.astimezone(UTC))
    vevent.add("created", event.created.astimezone(UTC))
    vevent.add("last-modified", event.modified.astimezone(UTC))
    # Each text in the feed's language, or a fallback, with the language it is in
    # (RFC 5545 3.2.10).
    title, language = translated(event, "title")
    vevent.add("summary", one_line(title), parameters={"LANGUAGE": language})
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
        try:
            rule = recurrence.rule_for_ical(event.rrule, tz=tz, all_day=event.all_day)
        except recurrence.RecurrenceError as error:
            # Stored before its rule was refused (diary.W001 lists it): its stored dates
            # stay in the agenda; the feed carries no rule it cannot state.
            logger.warning("Event %s: rule left out of the feed: %s", event.pk, error)
        else:
            vevent.add("rrule", icalendar.vRecur.from_ical(rule))
    for name, values in (("rdate", event.rdates), ("exdate", event.exdates)):
        moments = _date_list(values, event)
        if moments:
            vevent.add(name, moments)
    summary, description = translated(event, "summary"), translated(event, "description")
    # The stream's address in the text too: most apps show no CONFERENCE.
    online = gettext("Online: %(url)s") % {"url": event.online_url} if event.online_url else ""
    text = "\n\n".join(
        part
        for part in (
            pick_line(event),
            plain_text(summary[0]),
            plain_text(description[0]),
            online,
            url,
        )
        if part
    )
    vevent.add(
        "description", text, parameters={"LANGUAGE": description[1] or summary[1] or language}
    )
    vevent.add("url", url)
    vevent.add("status", STATUS[event.status])
    if event.status in SAID_BY_EVENT_STATUS:
        vevent.add("x-event-status", structured_data.status_name(event.status))
    if event.category:
        vevent.add("categories", [one_line(event.category.name)])
        vevent.add("color", posters.colour_name(event.category.slug))  # RFC 7986
    if event.venue:
        vevent.add(
            "location", one_line(event.location_text), parameters={"LANGUAGE": active_language()}
        )
    if event.online_url:  # RFC 7986: the stream is a conference, not a place
        vevent.add(
            "conference",
            event.online_url,
            parameters={"VALUE": "URI", "FEATURE": "VIDEO", "LABEL": gettext("Online")},
        )
    if event.image:  # RFC 7986: its own picture, as its page shares it
        picture = sharing.shared_picture(event)[0]
        vevent.add(
            "image",
            absolute(picture),
            parameters={"VALUE": "URI", "DISPLAY": "BADGE", "FMTTYPE": image_type(picture)},
        )
    venue = event.venue
    if venue and venue.latitude is not None and venue.longitude is not None:
        vevent.add("geo", (float(venue.latitude), float(venue.longitude)))
    return vevent


def absolute(address: str) -> str:
    """A stored file's address as a calendar app can fetch it."""
    return address if "://" in address else settings.SITE_URL + address


def image_type(address: str) -> str:
    return "image/png" if address.lower().endswith(".png") else "image/jpeg"


def pick_line(event: Event) -> str:
    """An editors' pick says so first, with its reason, in the feed's language."""
    if not event.is_pick:
        return ""
    reason = translated(event, "pick_reason")[0]
    return gettext("Our pick: %(reason)s") % {"reason": reason} if reason else gettext("Our pick")


def override_vevents(event: Event, master: icalendar.Event) -> list[icalendar.Event]:
    """One VEVENT per moved instance: the master's properties, its own dates (RFC 5545
    RECURRENCE-ID); calendar apps put it in place of the instance the rule yields."""
    tz = event.tzinfo
    duration = recurrence.duration_of(
        start=event.start, end=event.end, tz=tz, all_day=event.all_day
    )
    components = []
    for original, moved in sorted(event.overrides.items()):
        instance = recurrence.moved_instance(moved, tz=tz, duration=duration)
        vevent = icalendar.Event()
        for name, value in master.property_items(recursive=False):
            if name not in {"BEGIN", "END", "RRULE", "RDATE", "EXDATE", "DTSTART", "DTEND"}:
                vevent.add(name, value)
        recurrence_id = datetime.fromisoformat(original)
        if event.all_day:
            vevent.add("recurrence-id", recurrence_id.date())
            vevent.add("dtstart", instance.start.astimezone(tz).date())
            vevent.add("dtend", instance.end.astimezone(tz).date())
        else:
            vevent.add("recurrence-id", recurrence_id.replace(tzinfo=tz))
            vevent.add("dtstart", instance.start.astimezone(tz))
            vevent.add("dtend", instance.end.astimezone(tz))
        components.append(vevent)
    return components


def event_ical(event: Event, *, url: str) -> bytes:
    """The event's VEVENT, and one more for each moved instance."""
    master = event_vevent(event, url=url)
    return master.to_ical() + b"".join(
        vevent.to_ical() for vevent in override_vevents(event, master)
    )


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


def event_url(event: Event) -> str:
    """The canonical address of an event's page, the same whichever host (and language)
    asked: the text is stored and shared by every feed."""
    with translation.override(settings.LANGUAGE_CODE):
        return settings.SITE_URL + event.get_absolute_url()


def batched(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def vevent_bytes(events: QuerySet, language: str) -> Iterator[bytes]:
    """Each event's VEVENT text in `language`, a batch of events at a time."""
    column = to_attribute("ical", language)
    rows = batched(events.values_list("pk", column).iterator(chunk_size=BATCH), BATCH)
    for texts in _rendered(rows, language):
        yield "".join(texts).encode()


def vevents_within(ids: Iterable[int], language: str, room: int) -> tuple[list[bytes], bool]:
    """The VEVENT texts of the first events of `ids`, in that order, that fit in `room`
    bytes, each whole (a recurring event is one rule and its moved instances), and whether
    that is every event. Reads no further than the batch of ids where the room runs out."""
    kept: list[bytes] = []
    for texts in _rendered(_rows_in_order(ids, language), language):
        for text in texts:
            data = text.encode()
            if len(data) > room:
                return kept, False
            room -= len(data)
            kept.append(data)
    return kept, True


def _rows_in_order(ids: Iterable[int], language: str) -> Iterator[list[tuple[int, str]]]:
    """(id, stored text) of the events of `ids`, in that order, a batch at a time."""
    column = to_attribute("ical", language)
    for batch in batched(ids, BATCH):
        texts = dict(Event.objects.filter(pk__in=batch).order_by().values_list("pk", column))
        yield [(pk, texts[pk]) for pk in batch if pk in texts]


def _rendered(batches: Iterable[list[tuple[int, str]]], language: str) -> Iterator[list[str]]:
    """Each event's stored VEVENT text in `language`, from plain rows (no model objects);
    events without it (new, edited, or whose venue or category changed) are rendered once
    and stored, so the library runs once per change and language, never on every request."""
    for batch in batches:
        missing = [pk for pk, text in batch if not text]
        rendered: dict[int, str] = {}
        if missing:
            stale = list(
                Event.objects.filter(pk__in=missing).select_related(
                    "venue__municipality", "category"
                )
            )
            with translation.override(language):
                for event in stale:
                    rendered[event.pk] = event_ical(event, url=event_url(event)).decode()
            ical_store(stale, rendered, language)
        yield [rendered.get(pk) or text for pk, text in batch]


def texts_render(ids: list[int]) -> None:
    """Render and store, in every language, the VEVENT texts the published events of `ids`
    lack."""
    for language in CODES:
        column = to_attribute("ical", language)
        missing = (
            list(
                Event.objects.published()
                .filter(pk__in=batch, **{column: ""})
                .values_list("pk", column)
            )
            for batch in batched(ids, BATCH)
        )
        for _texts in _rendered(missing, language):
            pass  # each batch is stored as it is rendered


def ical_store(events: list[Event], texts: dict[int, str], language: str) -> None:
    """Store rendered VEVENT texts in `language`, each only if its event is unchanged since
    it was read (its journal stamp is the same): a text rendered from an older version is
    never written over a newer event. One UPDATE."""
    column = to_attribute("ical", language)
    text = Case(
        *(
            When(pk=event.pk, last_change_id=event.last_change_id, then=Value(texts[event.pk]))
            for event in events
        ),
        default=F(column),
        output_field=TextField(),
    )
    Event.objects.filter(pk__in=[event.pk for event in events]).update(**{column: text})


@dataclass(frozen=True)
class CalendarInfo:
    name: str
    description: str = ""
    time_zones: tuple[str, ...] = ()
    first_date: date = date(1970, 1, 1)
    source: str = ""  # the feed's own address (RFC 7986 SOURCE)


def calendar_head(info: CalendarInfo) -> bytes:
    """BEGIN:VCALENDAR, its properties and one VTIMEZONE per TZID the events use."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("name", one_line(info.name))
    cal.add("x-wr-calname", one_line(info.name))
    if info.description:
        cal.add("description", ical_text(info.description))
        cal.add("x-wr-caldesc", ical_text(info.description))
    if info.source:
        cal.add("source", info.source, parameters={"VALUE": "URI"})
    cal.add("x-wr-timezone", settings.TIME_ZONE)
    cal.add("refresh-interval", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", icalendar.vDuration(REFRESH_INTERVAL))
    last_date = timezone.localdate() + timedelta(days=settings.DIARY_HORIZON_DAYS + 366)
    zones = b"".join(
        timezones.vtimezone(tzid, first_date=info.first_date, last_date=last_date)
        for tzid in info.time_zones
    )
    return cal.to_ical().removesuffix(CALENDAR_END) + zones


def calendar_stream(events: QuerySet, info: CalendarInfo) -> Iterator[bytes]:
    """The calendar in the active language, taken now: a streamed body is read after the
    view returns."""
    return _calendar_chunks(events, info, active_language())


def _calendar_chunks(events: QuerySet, info: CalendarInfo, language: str) -> Iterator[bytes]:
    yield calendar_head(info)
    yield from vevent_bytes(events, language)
    yield CALENDAR_END


def calendar_within(
    ids: Iterable[int], info: CalendarInfo, max_bytes: int, cut_note: Callable[[int], str]
) -> tuple[bytes, int]:
    """The calendar of the first events of `ids`, in that order, that fit in `max_bytes`,
    and how many it holds. When some do not fit, the calendar's description is
    `cut_note(kept)`: the subscriber's calendar app shows it."""
    # The head is measured with the longest note it can carry (every event kept); the note
    # actually written is never longer, bar a line fold, for which SLACK is kept.
    head = calendar_head(replace(info, description=cut_note(10**9)))
    room = max_bytes - len(head) - len(CALENDAR_END) - SLACK
    texts, complete = vevents_within(ids, active_language(), max(room, 0))
    head = calendar_head(info if complete else replace(info, description=cut_note(len(texts))))
    return head + b"".join(texts) + CALENDAR_END, len(texts)
