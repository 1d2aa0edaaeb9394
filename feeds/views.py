"""iCalendar downloads and subscriptions.

`/feeds/events.ics` answers the agenda's own query string through the same AgendaFilter, so
any agenda URL's selection can be subscribed to. Each matching event is exported once, with
its recurrence rule, not expanded into copies. Calendar apps poll feeds for years: a poll
whose data did not change is answered 304 after one aggregate query.
"""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import Count, Max, Min, Sum
from django.http import HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.feedgenerator import Atom1Feed
from django.utils.http import http_date
from django.utils.translation import gettext as _

from common.caching import cacheable
from diary.filters import AgendaFilter, WhenChoices
from diary.models import Category, Event, Occurrence
from feeds import ical
from venues.models import Venue

# A feed with at most this many events (about 7 MB) is built whole, so that it can be cached:
# every venue's and category's feed of a capital city. Larger ones are streamed.
CACHEABLE_EVENTS = 10_000
# By default a feed runs from 30 days ago (subscribers still see recent cancellations) to the
# materialisation horizon.
FEED_PAST_DAYS = 30
MAX_AGE = 15 * 60
CONTENT_TYPE = "text/calendar; charset=utf-8"


def feed_filter(request, **fixed: str) -> AgendaFilter:
    """The agenda's filter on the request's query string, with `fixed` parameters imposed."""
    params = request.GET.copy()
    for name, value in fixed.items():
        params.setlist(name, [value])
    if not params.get("start") and not params.get("when"):
        today = timezone.localdate()
        params["start"] = (today - timedelta(days=FEED_PAST_DAYS)).isoformat()
        if not params.get("end"):
            params["end"] = (today + timedelta(days=settings.DIARY_HORIZON_DAYS)).isoformat()
    return AgendaFilter(params, queryset=Occurrence.objects.public())


def describe(agenda: AgendaFilter) -> str:
    """The selection in words, for the calendar's name: "Music, Theatre · Flagey · free"."""
    data = agenda.form.cleaned_data
    parts = [
        ", ".join(str(item) for item in data[name])
        for name in ("category", "tag", "venue", "area", "language")
        if data.get(name)
    ]
    if data.get("when"):
        parts.append(str(dict(WhenChoices.choices)[data["when"]]).lower())
    parts += [
        str(label)
        for name, label in (
            ("free", _("free")),
            ("family", _("family-friendly")),
            ("accessible", _("step-free")),
        )
        if data.get(name)
    ]
    if data.get("q"):
        parts.append(f"“{data['q']}”")
    return " · ".join(parts)


def calendar_response(request, events, *, name: str, filename: str = ""):
    """The events as iCalendar, streamed, with validators derived from the change journal
    alone (one aggregate query answers a calendar app's poll)."""
    events = events.select_related("venue__municipality", "category").order_by("start", "pk")
    # Every change an event's VEVENT shows (its own, its venue's, area's or category's) is a
    # row of the change journal that stamps it (diary.journal): the latest stamp, with the
    # set of events, decides the body.
    stats = events.aggregate(
        count=Count("pk"),
        ids=Sum("pk"),
        last_change=Max("last_change"),
        changed=Max("changed"),
        first=Min("start"),
        zones=Count("timezone", distinct=True),
    )
    modified = stats["changed"]
    key = repr(
        (
            sorted(stats.items()),
            request.get_full_path(),
            request.get_host(),
            timezone.localdate(),
            name,
            translation.get_language(),  # `lang`, or Accept-Language: the texts differ
        )
    )
    etag = '"' + hashlib.sha1(key.encode()).hexdigest() + '"'
    last_modified = int(modified.timestamp()) if modified else None
    response = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if response is None:
        zones = tuple(sorted(set(events.order_by().values_list("timezone", flat=True))))
        info = ical.CalendarInfo(
            name=name,
            time_zones=zones,
            first_date=(stats["first"] or timezone.now()).date() - timedelta(days=1),
        )
        chunks = ical.calendar_stream(events, info)
        if filename or stats["count"] <= CACHEABLE_EVENTS:
            response = HttpResponse(b"".join(chunks), content_type=CONTENT_TYPE)
        else:
            response = StreamingHttpResponse(chunks, content_type=CONTENT_TYPE)
        if filename:
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["ETag"] = etag
        if last_modified:
            response["Last-Modified"] = http_date(last_modified)
    patch_cache_control(response, public=True, max_age=MAX_AGE)
    return response


def matching_events(agenda: AgendaFilter):
    return Event.objects.published().filter(pk__in=agenda.qs.values("event_id"))


def bad_request(agenda: AgendaFilter) -> HttpResponseBadRequest:
    return HttpResponseBadRequest(
        "\n".join(agenda.error_messages) + "\n", content_type="text/plain; charset=utf-8"
    )


@cacheable
def events_ics(request):
    agenda = feed_filter(request)
    if not agenda.is_valid():
        return bad_request(agenda)
    selection = describe(agenda)
    name = _("Event Diary") + (f": {selection}" if selection else "")
    return calendar_response(request, matching_events(agenda), name=name)


def shortcut_feed(request, *, model, parameter: str, slug: str):
    """The agenda's feed with one parameter fixed by the URL, named after what it fixes."""
    fixed = get_object_or_404(model, slug=slug)
    agenda = feed_filter(request, **{parameter: slug})
    if not agenda.is_valid():
        return bad_request(agenda)
    return calendar_response(request, matching_events(agenda), name=fixed.name)


@cacheable
def venue_ics(request, slug: str):
    return shortcut_feed(request, model=Venue, parameter="venue", slug=slug)


@cacheable
def category_ics(request, slug: str):
    return shortcut_feed(request, model=Category, parameter="category", slug=slug)


@cacheable
def event_ics(request, slug: str):
    """One published event as an iCalendar file, for "Add to calendar"."""
    event = get_object_or_404(Event.objects.published(), slug=slug)
    return calendar_response(
        request, Event.objects.filter(pk=event.pk), name=event.title, filename=f"{event.slug}.ics"
    )


class NewEventsFeed(Feed):
    """RSS of newly published events, for the same selection as any agenda URL."""

    limit = 50
    description_template = "feeds/event_description.html"

    def __call__(self, request, *args, **kwargs):
        agenda = AgendaFilter(request.GET, queryset=Occurrence.objects.public())
        if not agenda.is_valid():
            return bad_request(agenda)
        request.agenda = agenda
        return super().__call__(request, *args, **kwargs)

    def get_object(self, request):
        return request

    def title(self, request) -> str:
        selection = describe(request.agenda)
        return _("Event Diary") + (f": {selection}" if selection else "")

    def link(self, request) -> str:
        query = request.GET.urlencode()
        return reverse("diary:agenda") + (f"?{query}" if query else "")

    def description(self, request) -> str:
        return _("Events newly published in the diary.")

    def items(self, request):
        return (
            matching_events(request.agenda)
            .for_reading()
            .select_related("venue__municipality", "category")
            .order_by("-published_at", "-pk")[: self.limit]
        )

    def item_title(self, event: Event) -> str:
        return event.title

    def item_guid(self, event: Event) -> str:
        return event.uid

    item_guid_is_permalink = False

    def item_pubdate(self, event: Event):
        return event.published_at

    def item_updateddate(self, event: Event):
        return event.updated

    def item_categories(self, event: Event) -> list[str]:
        return [event.category.name] if event.category else []


class NewEventsAtomFeed(NewEventsFeed):
    feed_type = Atom1Feed
    subtitle = NewEventsFeed.description
