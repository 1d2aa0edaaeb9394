"""iCalendar downloads and subscriptions.

`/feeds/events.ics` answers the agenda's own query string through the same AgendaFilter, so
any agenda URL's selection can be subscribed to. Each matching event is exported once, with
its recurrence rule, not expanded into copies.
"""

from datetime import timedelta

from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from diary.filters import AgendaFilter
from diary.models import Category, Event, Occurrence
from feeds import ical
from venues.models import Venue

# Subscribers see what changed recently too, cancellations above all.
FEED_PAST_DAYS = 30


def _calendar_response(request, events, *, name: str, filename: str = "") -> HttpResponse:
    body = ical.calendar(
        events,
        name=name,
        url_for=lambda event: request.build_absolute_uri(event.get_absolute_url()),
    ).to_ical()
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    if filename:
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _events_for(request, **fixed: str) -> AgendaFilter:
    """The agenda's filter on the request's query string, with `fixed` parameters imposed."""
    params = request.GET.copy()
    for name, value in fixed.items():
        params.setlist(name, [value])
    if not params.get("start") and not params.get("when"):
        params["start"] = (timezone.localdate() - timedelta(days=FEED_PAST_DAYS)).isoformat()
    return AgendaFilter(params, queryset=Occurrence.objects.public())


def _matching_events(agenda: AgendaFilter):
    return (
        Event.objects.published()
        .filter(pk__in=agenda.qs.values("event_id"))
        .select_related("venue__municipality", "category")
        .order_by("start", "pk")
    )


def events_ics(request) -> HttpResponse:
    agenda = _events_for(request)
    if not agenda.is_valid():
        return HttpResponseBadRequest(
            "\n".join(agenda.error_messages) + "\n", content_type="text/plain; charset=utf-8"
        )
    return _calendar_response(request, _matching_events(agenda), name=_("Event Diary"))


def venue_ics(request, slug: str) -> HttpResponse:
    venue = get_object_or_404(Venue, slug=slug)
    agenda = _events_for(request, venue=slug)
    return _calendar_response(request, _matching_events(agenda), name=venue.name)


def category_ics(request, slug: str) -> HttpResponse:
    category = get_object_or_404(Category, slug=slug)
    agenda = _events_for(request, category=slug)
    return _calendar_response(request, _matching_events(agenda), name=category.name)


def event_ics(request, slug: str) -> HttpResponse:
    """One published event as an iCalendar file, for "Add to calendar"."""
    event = get_object_or_404(
        Event.objects.published().select_related("venue__municipality", "category"), slug=slug
    )
    return _calendar_response(request, [event], name=event.title, filename=f"{event.slug}.ics")
