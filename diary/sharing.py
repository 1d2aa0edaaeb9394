"""Links that hand an event to other services: calendars, and sharing."""

from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from django.utils.html import strip_tags

from diary.models import Event, Occurrence


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _details(event: Event, url: str) -> str:
    return "\n\n".join(
        part for part in (event.summary or strip_tags(event.description), url) if part
    )


def google_calendar_url(event: Event, occurrence: Occurrence, url: str) -> str:
    if occurrence.all_day:
        local_start = occurrence.start.astimezone(event.tzinfo).date()
        local_end = occurrence.end.astimezone(event.tzinfo).date()
        dates = f"{local_start:%Y%m%d}/{max(local_end, local_start + timedelta(days=1)):%Y%m%d}"
    else:
        dates = f"{_utc(occurrence.start)}/{_utc(occurrence.end)}"
    query = {
        "action": "TEMPLATE",
        "text": event.title,
        "dates": dates,
        "details": _details(event, url),
        "location": event.location_text,
        "ctz": event.timezone,
    }
    return "https://calendar.google.com/calendar/render?" + urlencode(query)


def outlook_calendar_url(event: Event, occurrence: Occurrence, url: str) -> str:
    query = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": event.title,
        "startdt": occurrence.start.astimezone(event.tzinfo).isoformat(),
        "enddt": occurrence.end.astimezone(event.tzinfo).isoformat(),
        "allday": "true" if occurrence.all_day else "false",
        "body": _details(event, url),
        "location": event.location_text,
    }
    return "https://outlook.live.com/calendar/0/deeplink/compose?" + urlencode(query)


def share_links(title: str, url: str) -> list[tuple[str, str]]:
    """(service name, link) pairs: plain links, no third-party script on our pages."""
    return [
        ("E-mail", "mailto:?" + urlencode({"subject": title, "body": url})),
        ("Facebook", "https://www.facebook.com/sharer/sharer.php?" + urlencode({"u": url})),
        ("X", "https://twitter.com/intent/tweet?" + urlencode({"text": title, "url": url})),
        ("WhatsApp", "https://wa.me/?" + urlencode({"text": f"{title} {url}"})),
        ("LinkedIn", "https://www.linkedin.com/sharing/share-offsite/?" + urlencode({"url": url})),
    ]
