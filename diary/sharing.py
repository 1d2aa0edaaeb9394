"""Links that hand an event to other services: calendars, and sharing."""

import hashlib
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import formats, timezone, translation
from django.utils.html import strip_tags
from django.utils.translation import gettext

from diary import images, posters
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


def sharing_card_text(event: Event) -> dict[str, str]:
    """What an event's sharing picture says, in the language of its texts: its title, its
    (first) date, its place, and the magazine's mark."""
    with translation.override(event.text_language):
        start = timezone.localtime(event.start, event.tzinfo)
        when = formats.date_format(start, "l j F Y" if event.all_day else "l j F Y, H:i")
        if event.is_recurring:
            when = gettext("From %(date)s") % {"date": when}
        return {
            "title": event.own_title,
            "when": when,
            "where": event.location_text,
            "category": event.category.slug if event.category_id else "",
            "mark": gettext("Event Diary"),
        }


def sharing_image_refresh(event: Event) -> None:
    """Draw the picture a shared link to the event shows (Open Graph), when what it says
    changed: a file named after its text, so a save that changes none of it draws nothing,
    and the one it replaces is deleted. An event with a picture of its own shares that one
    and needs none. Called by services.event_save; never on a request."""
    wanted = ""
    if not event.image:
        text = sharing_card_text(event)
        digest = hashlib.sha1(repr(sorted(text.items())).encode()).hexdigest()[:16]
        wanted = f"sharing/{event.pk}-{digest}.jpg"
        if not default_storage.exists(wanted):
            default_storage.save(wanted, ContentFile(posters.sharing_card(**text)))
    replaced = event.sharing_image.name
    if replaced == wanted:
        return
    Event.objects.filter(pk=event.pk).update(sharing_image=wanted)
    event.sharing_image.name = wanted
    if replaced:
        default_storage.delete(replaced)


def sharing_images_forget(events) -> int:
    """Forget the sharing pictures of `events` (a queryset) whose venue, area or category was
    renamed: a shared link shows none rather than the old name until `sharing_images_draw`
    draws them again; the files go with the orphans (images.orphan_images_remove)."""
    return events.exclude(sharing_image="").update(sharing_image="")


def sharing_images_draw(*, now: datetime | None = None) -> int:
    """Draw the sharing pictures missing or out of date of the published events not yet
    over (events inserted in bulk by an import or the demo, or whose venue was renamed).
    How many were drawn."""
    on = Occurrence.objects.upcoming(now).values("event_id")
    waiting = (
        Event.objects.published()
        .filter(image="", pk__in=on)
        .select_related("venue__municipality", "category")
        .order_by("pk")
    )
    drawn = 0
    for event in waiting.iterator(chunk_size=500):
        before = event.sharing_image.name
        sharing_image_refresh(event)
        drawn += event.sharing_image.name != before
    return drawn


def shared_picture(event: Event) -> tuple[str, int | None, int | None]:
    """The address (relative), width and height of the picture a shared link shows: the
    event's own at the size nearest 1,200 pixels wide (JPEG, which every service reads), or
    its sharing picture; ("", None, None) when it has neither yet."""
    served = images.sizes(event)
    if served:
        size = next((size for size in served if size.width >= 960), served[-1])
        return size.jpeg, size.width, size.height
    if event.image:
        return event.image.url, None, None
    if event.sharing_image:
        return event.sharing_image.url, *posters.SHARING_SIZE
    return "", None, None
