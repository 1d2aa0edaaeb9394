"""An event handed to others: links that add it to a calendar or share it, and the
pictures a shared link shows (one per language)."""

import hashlib
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import formats, timezone, translation
from django.utils.html import strip_tags
from django.utils.translation import gettext

from common.translation import CODES
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


def sharing_card_text(event: Event, language: str, shown: Occurrence | None) -> dict[str, str]:
    """What an event's sharing picture says in `language`: its title, the date `shown` (its
    next, so a running exhibition's card does not give the day it opened), its place, its
    status when it is not on as planned, and the magazine's mark."""
    with translation.override(language):
        start = timezone.localtime(shown.start if shown else event.start, event.tzinfo)
        if shown and shown.is_run:
            last = shown.last_day(event.tzinfo)
            when = f"{formats.date_format(start, 'j F')} – {formats.date_format(last, 'j F Y')}"
        else:
            when = formats.date_format(start, "l j F Y" if event.all_day else "l j F Y, H:i")
            if event.is_recurring:
                when = gettext("From %(date)s") % {"date": when}
        return {
            "title": event.title,
            "when": when,
            "where": event.location_text,
            "category": event.category.slug if event.category_id else "",
            "status": "" if event.status == Event.Status.SCHEDULED else event.get_status_display(),
            "mark": gettext("Event Diary"),
        }


# What a shared link shows (Open Graph) of a card: one of images.RATIOS, drawn under the
# name a card is known by (Event.sharing_image); the others have theirs beside it.
SHARED_RATIO = "16x9"


def sharing_name(name: str, language: str, ratio: str = SHARED_RATIO) -> str:
    """The sharing card `name` (the site's language, SHARED_RATIO) in `language` and `ratio`
    (one of images.RATIOS): a file beside it (`.fr.jpg`, `.4x3.jpg`, `.nl.1x1.jpg`)."""
    if not name:
        return name
    suffix = "" if language == settings.LANGUAGE_CODE else f".{language}"
    suffix += "" if ratio == SHARED_RATIO else f".{ratio}"
    return name.removesuffix(".jpg") + suffix + ".jpg"


def sharing_names(name: str) -> list[str]:
    """Every file of the sharing card `name`: each language's, in each ratio."""
    return [sharing_name(name, code, ratio) for code in CODES for ratio in images.RATIOS]


def sharing_image_refresh(event: Event, *, now: datetime | None = None) -> None:
    """Draw the cards a link to the event shows where it is shared (Open Graph) or found
    (schema.org), one per language and ratio (images.RATIOS), when what they say changed:
    files named after their texts and sizes, so a save that changes none of it draws
    nothing, and those they replace are deleted. An event with a picture of its own shows
    that one and needs none. Called by services.event_save and by `sharing_images_draw`
    (daily: the next date moves on); never on a request."""
    wanted = ""
    if not event.image:
        shown = event.occurrences.upcoming(now).order_by("start").first()
        texts = {code: sharing_card_text(event, code, shown) for code in CODES}
        drawn = repr((sorted(images.RATIOS.items()), sorted(texts.items())))
        wanted = f"sharing/{event.pk}-{hashlib.sha1(drawn.encode()).hexdigest()[:16]}.jpg"
        for code, text in texts.items():
            for ratio, size in images.RATIOS.items():
                name = sharing_name(wanted, code, ratio)
                if not default_storage.exists(name):
                    card = posters.sharing_card(**text, size=size)
                    default_storage.save(name, ContentFile(card))
    replaced = event.sharing_image.name
    if replaced == wanted:
        return
    Event.objects.filter(pk=event.pk).update(sharing_image=wanted)
    event.sharing_image.name = wanted
    if replaced:
        for name in sharing_names(replaced):
            default_storage.delete(name)


def sharing_images_forget(events) -> int:
    """Forget the sharing pictures of `events` (a queryset) whose venue, area or category was
    renamed: a shared link shows none rather than the old name until `sharing_images_draw`
    draws them again; the files go with the orphans (orphan_images.orphan_images_remove)."""
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
        sharing_image_refresh(event, now=now)
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
        name = sharing_name(event.sharing_image.name, translation.get_language())
        return default_storage.url(name), *images.RATIOS[SHARED_RATIO]
    return "", None, None


def found_pictures(event: Event) -> list[str]:
    """The addresses (relative) of the pictures search engines are given of the event
    (schema.org's image): its own cropped to each of images.RATIOS, or its card drawn in
    each, in the page's language; an image of its own whose sizes could not be made, as it
    is; none before its card is drawn."""
    if event.image:
        return images.crops(event) or [event.image.url]
    if event.sharing_image:
        language = translation.get_language()
        return [
            default_storage.url(sharing_name(event.sharing_image.name, language, ratio))
            for ratio in images.RATIOS
        ]
    return []
