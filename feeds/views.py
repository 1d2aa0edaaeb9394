from django.http import HttpResponse
from django.shortcuts import get_object_or_404

from diary.models import Event
from feeds import ical


def event_ics(request, slug: str) -> HttpResponse:
    """One published event as an iCalendar file, for "Add to calendar"."""
    event = get_object_or_404(
        Event.objects.published().select_related("venue__municipality", "category"), slug=slug
    )
    body = ical.calendar(
        [event],
        name=event.title,
        url_for=lambda e: request.build_absolute_uri(e.get_absolute_url()),
    ).to_ical()
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{event.slug}.ics"'
    return response
