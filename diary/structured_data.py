"""schema.org JSON-LD for event pages, so search engines list our events correctly."""

import json
from datetime import datetime

from django.utils.html import strip_tags
from django.utils.safestring import SafeString, mark_safe

from common.translation import shown_language
from diary import recurrence
from diary.models import Event, Occurrence

SCHEMA = "https://schema.org/"
EVENT_STATUS = {
    Event.Status.SCHEDULED: SCHEMA + "EventScheduled",
    Event.Status.CANCELLED: SCHEMA + "EventCancelled",
    Event.Status.POSTPONED: SCHEMA + "EventPostponed",
    Event.Status.MOVED_ONLINE: SCHEMA + "EventMovedOnline",
}
# As Django's json_script does: nothing in the data can close the <script> element.
JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


def status_name(status: str) -> str:
    """schema.org's name of an event's status ("EventPostponed"): the iCal feeds'
    X-EVENT-STATUS."""
    return EVENT_STATUS[status].removeprefix(SCHEMA)


def _moment(event: Event, value) -> str:
    local = value.astimezone(event.tzinfo)
    return local.date().isoformat() if event.all_day else local.isoformat()


def event_json_ld(
    event: Event, occurrence: Occurrence | None, *, url: str, images: list[str] = ()
) -> dict:
    data: dict = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": event.title,
        # The language of the texts shown: the page's, or the fallback's.
        "inLanguage": shown_language(event, "title") or event.text_language,
        "url": url,
        "eventStatus": EVENT_STATUS[event.status],
        "description": event.summary or strip_tags(event.description)[:500],
    }
    if occurrence is not None:
        data["startDate"] = _moment(event, occurrence.start)
        data["endDate"] = _moment(event, occurrence.end)
        previous = previous_start(event, occurrence)
        if previous is not None:  # Google's rescheduled event: the date it had before
            data["previousStartDate"] = _moment(event, previous)
            if event.status == Event.Status.SCHEDULED:
                data["eventStatus"] = SCHEMA + "EventRescheduled"
    online = event.status == Event.Status.MOVED_ONLINE or (event.online_url and not event.venue)
    places = []
    if event.venue and not online:
        venue = event.venue
        place = {
            "@type": "Place",
            "name": venue.name,
            "address": {
                "@type": "PostalAddress",
                "streetAddress": venue.street_address,
                "postalCode": venue.postal_code,
                "addressLocality": str(venue.municipality or ""),
            },
        }
        if venue.latitude is not None and venue.longitude is not None:
            place["geo"] = {
                "@type": "GeoCoordinates",
                "latitude": float(venue.latitude),
                "longitude": float(venue.longitude),
            }
        places.append(place)
    if event.online_url:
        places.append({"@type": "VirtualLocation", "url": event.online_url})
    if places:
        data["location"] = places[0] if len(places) == 1 else places
    data["eventAttendanceMode"] = (
        "https://schema.org/OnlineEventAttendanceMode"
        if online
        else "https://schema.org/MixedEventAttendanceMode"
        if event.online_url
        else "https://schema.org/OfflineEventAttendanceMode"
    )
    if event.is_free or event.price_min is not None:
        offer = {
            "@type": "Offer",
            "price": "0" if event.is_free else str(event.price_min),
            "priceCurrency": "EUR",
            "url": event.ticket_url or url,
            "availability": SCHEMA + ("SoldOut" if event.sold_out else "InStock"),
        }
        data["offers"] = offer
    if event.performers:  # who they are is not said: a group is the nearer guess for most
        data["performer"] = [
            {"@type": "PerformingGroup", "name": name} for name in event.performer_names
        ]
    if event.organiser:
        data["organizer"] = {"@type": "Organization", "name": event.organiser.name}
        if event.organiser.website:
            data["organizer"]["url"] = event.organiser.website
    if images:
        data["image"] = list(images)
    return data


def previous_start(event: Event, occurrence: Occurrence) -> datetime | None:
    """The start a moved date had before it was moved (RFC 5545 RECURRENCE-ID: the key of
    `Event.overrides`), or None when the occurrence is where its rule put it."""
    tz = event.tzinfo
    duration = recurrence.duration_of(
        start=event.start, end=event.end, tz=tz, all_day=event.all_day
    )
    for original, moved in (event.overrides or {}).items():
        if recurrence.moved_instance(moved, tz=tz, duration=duration).start == occurrence.start:
            return datetime.fromisoformat(original).replace(tzinfo=tz)  # a date: midnight
    return None


def json_ld_script(data: dict) -> SafeString:
    payload = json.dumps(data, ensure_ascii=False).translate(JSON_SCRIPT_ESCAPES)
    return mark_safe(f'<script type="application/ld+json">{payload}</script>')
